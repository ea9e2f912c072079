/* fuzz_tcp_frame.c: libFuzzer target over tcp_frame (RFC 6587 framing of a
 * TCP syslog stream). The first byte picks how the rest arrives: in reads of
 * 1..256 bytes, as a connection delivers it. Checked: every message lies in
 * the bytes given and within the limit, progress is always made when the
 * window is full, and the stream is consumed exactly, never beyond. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX 600

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcp_frame_state st = { 0 };
	size_t chunk, arrived = 0, done = 0;

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] + 1;
	data++;
	size--;
	while (done < size) {
		size_t have, win, used = 0, mlen = 0;
		const char *msg = NULL;
		char *p;
		enum tcp_frame_kind k;

		if (arrived < size)
			arrived = arrived + chunk < size ? arrived + chunk : size;
		have = arrived - done;
		win = have < TCP_FRAME_WINDOW(FUZZ_MAX) ? have : TCP_FRAME_WINDOW(FUZZ_MAX);
		/* A private copy of exactly win bytes: ASan catches any overread. */
		p = malloc(win ? win : 1);
		if (p == NULL)
			return 0;
		memcpy(p, data + done, win);
		k = tcp_frame_next(&st, p, win, FUZZ_MAX, &used, &msg, &mlen);
		if (used > win)
			abort();
		if (k == TCP_FRAME_NEED_MORE) {
			/* Waiting is only allowed while more can come and fit. */
			if (used != 0 || win == TCP_FRAME_WINDOW(FUZZ_MAX)) {
				free(p);
				abort();
			}
			free(p);
			if (arrived == size)
				break; /* end of stream: the rest is tcp_frame_eof's */
			continue;
		}
		if (used == 0)
			abort();
		if (k == TCP_FRAME_MSG && (msg < p || mlen == 0 || mlen > FUZZ_MAX + 1 || msg + mlen > p + win))
			abort();
		free(p);
		done += used;
	}
	(void)tcp_frame_eof(&st, size - done, FUZZ_MAX);
	return 0;
}
