/* classify.c: `resyncd --classify`: parse and recognise each input line and
 * print the verdict, so an operator can check how resyncd reads their logs. */
#include "classify.h"

#include <stdlib.h>
#include <string.h>

#include "junos.h"
#include "syslog_parse.h"

/* Appends s to out as a TSV field: tabs, newlines and other control bytes
 * become spaces so one input line stays one output line. */
static size_t classify_field(char *out, size_t outlen, size_t o, const char *s, size_t n, bool tab)
{
	if (tab && o + 1 < outlen)
		out[o++] = '\t';
	for (size_t i = 0; i < n && o + 1 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];

		out[o++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	if (outlen)
		out[o < outlen ? o : outlen - 1] = '\0';
	return o;
}

void classify_line(const char *buf, size_t len, size_t max_size, char *out, size_t outlen)
{
	struct syslog_msg m;
	struct junos_event ev;
	enum syslog_error e;
	const char *verdict;
	size_t o = 0;

	if (outlen == 0)
		return;
	out[0] = '\0';
	e = syslog_parse(buf, len, max_size, &m);
	if (e != SYSLOG_OK) {
		const char *why = syslog_strerror(e);

		o = classify_field(out, outlen, o, "malformed", 9, false);
		o = classify_field(out, outlen, o, why, strlen(why), true);
		o = classify_field(out, outlen, o, "", 0, true);
		o = classify_field(out, outlen, o, "", 0, true);
		classify_field(out, outlen, o, "", 0, true);
		return;
	}
	junos_recognise(&m, &ev);
	verdict = junos_kind_name(ev.kind);
	o = classify_field(out, outlen, o, verdict, strlen(verdict), false);
	o = classify_field(out, outlen, o, ev.tag, strlen(ev.tag), true);
	o = classify_field(out, outlen, o, ev.host.p, ev.host.n, true);
	o = classify_field(out, outlen, o, ev.user, strlen(ev.user), true);
	classify_field(out, outlen, o, ev.comment, strlen(ev.comment), true);
}

int classify_stream(FILE *in, FILE *out, size_t max_size)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	char res[1024];
	int rc = 0;

	while ((n = getline(&line, &cap, in)) >= 0) {
		classify_line(line, (size_t)n, max_size, res, sizeof(res));
		if (fprintf(out, "%s\n", res) < 0) {
			rc = -1;
			goto out;
		}
	}
	if (ferror(in))
		rc = -1;
out:
	free(line);
	if (fflush(out) != 0)
		rc = -1;
	return rc;
}

int classify_main(FILE *in, FILE *out)
{
	return classify_stream(in, out, 0);
}
