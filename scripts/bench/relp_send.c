/* relp_send.c: benchmark sender: sends COUNT syslog messages, cycling through
 * the lines of FILE, over RELP (librelp client) to HOST:PORT, and waits until
 * every one is acknowledged. Prints the seconds it took. */
#include <stddef.h> /* librelp.h needs size_t */
#include <librelp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void quiet(char *fmt, ...)
{
	(void)fmt; /* librelp calls its debug hook unconditionally in places */
}

int main(int argc, char **argv)
{
	relpEngine_t *eng;
	relpClt_t *clt;

	if (argc < 5) {
		fprintf(stderr, "usage: relp_send HOST PORT FILE COUNT\n");
		return 2;
	}
	FILE *f = fopen(argv[3], "r");
	long count = atol(argv[4]);
	char **lines = NULL, *line = NULL;
	size_t nlines = 0, cap = 0;
	ssize_t n;

	if (f == NULL) {
		perror(argv[3]);
		return 1;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		lines = realloc(lines, (nlines + 1) * sizeof(*lines));
		lines[nlines++] = strdup(line);
	}
	fclose(f);
	if (nlines == 0)
		return 1;
	if (relpEngineConstruct(&eng) != RELP_RET_OK || relpEngineSetDbgprint(eng, quiet) != RELP_RET_OK ||
	    relpEngineSetEnableCmd(eng, (unsigned char *)"syslog", eRelpCmdState_Required) != RELP_RET_OK ||
	    relpEngineCltConstruct(eng, &clt) != RELP_RET_OK)
		return 1;
	relpCltSetWindowSize(clt, 1024);
	relpCltSetTimeout(clt, 30);
	relpRetVal cr;
	for (int i = 0; (cr = relpCltConnect(clt, 0 /* any family */, (unsigned char *)argv[2],
					     (unsigned char *)argv[1])) != RELP_RET_OK; i++) {
		if (i > 50) {
			fprintf(stderr, "relp_send: cannot connect: librelp error %d\n", (int)cr);
			return 1;
		}
		usleep(100000);
	}
	double t0 = now();
	for (long i = 0; i < count; i++) {
		const char *l = lines[(size_t)i % nlines];
		relpRetVal r = relpCltSendSyslog(clt, (unsigned char *)l, strlen(l));

		if (r != RELP_RET_OK) {
			fprintf(stderr, "relp_send: message %ld: error %d\n", i, (int)r);
			return 1;
		}
	}
	/* Closing waits for the acknowledgement of everything sent. */
	relpEngineCltDestruct(eng, &clt);
	printf("%.3f\n", now() - t0);
	relpEngineDestruct(&eng);
	return 0;
}
