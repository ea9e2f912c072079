/* classify.h: `resyncd --classify`, how resyncd reads a log, line by line. */
#ifndef RESYNCD_CLASSIFY_H
#define RESYNCD_CLASSIFY_H

#include <stddef.h>
#include <stdio.h>

/* Reads syslog lines from in and writes one tab-separated line per input
 * line to out: verdict (commit, commit-request, event, malformed), event tag,
 * host, user, comment. A malformed line's tag column holds the reason.
 * max_size 0 means the parser's default. Returns 0, or -1 on a read/write error. */
int classify_main(FILE *in, FILE *out);
int classify_stream(FILE *in, FILE *out, size_t max_size);

/* Classifies one message into a line (without newline) in out. */
void classify_line(const char *buf, size_t len, size_t max_size, char *out, size_t outlen);

#endif
