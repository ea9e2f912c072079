/* fuzz_config.c: libFuzzer target over config_load, the reader of
 * resyncd.conf (libconfig, then every value checked): whatever the file
 * holds, it is loaded or refused with a "file:line: reason" message, never a
 * crash, and what was loaded is consistent (every device findable by name,
 * every credential name it uses defined). config_load reads a path, so each
 * input goes to a private file first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	if (!*path)
		snprintf(path, sizeof(path), "/tmp/fuzz_config.%ld.conf", (long)getpid());
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	struct config c;
	config_defaults(&c);
	char err[512] = "";
	if (config_load(path, &c, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < c.ndevices; i++) {
			if (config_device(&c, c.devices[i].name) != &c.devices[i])
				abort();
			if (*c.devices[i].credential && !config_credential(&c, c.devices[i].credential))
				abort();
		}
	} else if (!strchr(err, ':')) {
		abort(); /* a refusal names the file */
	}
	config_free(&c);
	return 0;
}
