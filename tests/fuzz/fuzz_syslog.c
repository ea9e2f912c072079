/* fuzz_syslog.c: libFuzzer target over syslog_parse + junos_recognise +
 * classify_line: no crash, no read outside the input, every field a slice of it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "junos.h"
#include "syslog_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_slice(struct syslog_str s, const char *b, size_t n)
{
	if (s.n && (s.p < b || s.p + s.n > b + n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A private copy of exactly size bytes: ASan catches any overread. */
	char *b = malloc(size ? size : 1);
	struct syslog_msg m;
	struct junos_event ev;
	char v[64], line[512];

	if (b == NULL)
		return 0;
	memcpy(b, data, size);
	if (syslog_parse(b, size, 4096, &m) == SYSLOG_OK) {
		struct syslog_str f[] = { m.timestamp, m.host, m.app, m.procid, m.msgid, m.sd, m.text };

		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			fuzz_check_slice(f[i], b, size);
		if (m.pri > 191 || m.severity > 7)
			abort();
		junos_recognise(&m, &ev);
		fuzz_check_slice(ev.host, b, size);
		fuzz_check_slice(ev.text, b, size);
		if (strlen(ev.user) >= sizeof(ev.user) || strlen(ev.comment) >= sizeof(ev.comment))
			abort();
		(void)syslog_sd_param(&m, "junos@2636", "username", v, sizeof(v));
		(void)syslog_sd_param(&m, "", "message", v, 1);
		(void)syslog_sd_first_id(&m);
	}
	classify_line(b, size, 4096, line, sizeof(line));
	if (strlen(line) >= sizeof(line) || memchr(line, '\n', strlen(line)) != NULL)
		abort();
	free(b);
	return 0;
}
