/* tcp_frame.c: RFC 6587 framing of a syslog byte stream (pure). */
#include "tcp_frame.h"

#include <string.h>

/* Octet-counting header "LEN SP": >0 header length and *len; 0 need more
 * bytes; -1 not octet counting. */
static int tcp_frame_octet_header(const char *p, size_t n, size_t *len)
{
	size_t v = 0, k = n < 11 ? n : 11;

	for (size_t i = 0; i < k; i++) {
		if (p[i] == ' ' && i > 0) {
			*len = v;
			return (int)i + 1;
		}
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (size_t)(p[i] - '0');
	}
	return k < 11 ? 0 : -1;
}

enum tcp_frame_kind tcp_frame_next(struct tcp_frame_state *st, const char *p, size_t n, size_t max,
				   size_t *consumed, const char **msg, size_t *msglen)
{
	const char *eol;
	size_t flen;
	int hl;

	*consumed = 0;
	if (n == 0)
		return TCP_FRAME_NEED_MORE;
	if (st->skip) {
		*consumed = st->skip < n ? st->skip : n;
		st->skip -= *consumed;
		return TCP_FRAME_SKIPPED;
	}
	if (st->discarding) {
		eol = memchr(p, '\n', n);
		*consumed = eol ? (size_t)(eol - p) + 1 : n;
		st->discarding = eol == NULL;
		return TCP_FRAME_SKIPPED;
	}
	if (p[0] >= '1' && p[0] <= '9' && (hl = tcp_frame_octet_header(p, n, &flen)) != -1) {
		if (hl == 0)
			return TCP_FRAME_NEED_MORE; /* header not complete yet */
		if (flen > max) {
			*consumed = (size_t)hl;
			st->skip = flen;
			return TCP_FRAME_DROPPED;
		}
		if (n < (size_t)hl + flen)
			return TCP_FRAME_NEED_MORE;
		*msg = p + hl;
		*msglen = flen;
		*consumed = (size_t)hl + flen;
		return TCP_FRAME_MSG;
	}
	eol = memchr(p, '\n', n);
	if (eol == NULL) {
		if (n <= max + 1)
			return TCP_FRAME_NEED_MORE;
		*consumed = n;
		st->discarding = true;
		return TCP_FRAME_DROPPED;
	}
	flen = (size_t)(eol - p);
	*consumed = flen + 1;
	if (flen > max + 1) /* one more: a CR before the LF */
		return TCP_FRAME_DROPPED;
	if (flen == 0)
		return TCP_FRAME_SKIPPED;
	*msg = p;
	*msglen = flen;
	return TCP_FRAME_MSG;
}

bool tcp_frame_eof(const struct tcp_frame_state *st, size_t n, size_t max)
{
	return n > 0 && !st->skip && !st->discarding && n <= max;
}
