/* fuzz_netconf.c: libFuzzer target over what a device sends on the NETCONF
 * channel: the RFC 6242 framer (end-of-message or chunked, fed in reads of
 * any size), then every message it yields through the hello parser and the
 * configuration-reply parser (libxml2 with its default limits, recursion-free
 * walks). No crash, no overread, no leak; a stored configuration is a slice
 * of no larger than the message.
 *
 * Input: byte 0 chooses the framing (bit 0) and the read size (bits 1-7);
 * the rest is the stream. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "netconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_message(const char *msg, size_t len)
{
	char err[256], *caps = NULL, *text = NULL, user[RS_USER_MAX];
	size_t tlen = 0;
	int64_t secs;
	int b11, unsup;

	if (netconf_parse_hello(msg, len, &b11, &caps, err, sizeof(err)) == 0 && !caps)
		abort(); /* a hello that parses has its capability list */
	free(caps);
	if (fetch_parse_config_reply(msg, len, &text, &tlen, &secs, user, sizeof(user), &unsup, err,
				     sizeof(err)) == FETCH_REPLY_OK) {
		if (!text || strlen(text) != tlen)
			abort();
	} else if (text) {
		abort(); /* a failed parse hands nothing out */
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netconf_framer f;
	char err[64];
	size_t step, off = 1;
	int chunked;

	if (size < 1)
		return 0;
	chunked = data[0] & 1;
	step = (size_t)(data[0] >> 1) * 37 + 1;
	memset(&f, 0, sizeof(f));
	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		int rc;

		/* A private copy of exactly n bytes: ASan catches any overread. */
		char *b = malloc(n);
		if (!b)
			break;
		memcpy(b, data + off, n);
		rc = netconf_framer_add(&f, b, n);
		free(b);
		off += n;
		if (rc < 0)
			break;
		while ((rc = netconf_framer_next(&f, chunked, err, sizeof(err))) > 0) {
			if (f.msg_len != strlen(f.msg) && memchr(f.msg, 0, f.msg_len) == NULL)
				abort();
			fuzz_message(f.msg, f.msg_len);
		}
		if (rc < 0)
			break;
	}
	/* Whatever came without framing is parsed too: the parsers see raw bytes. */
	fuzz_message((const char *)data + 1, size - 1);
	netconf_framer_free(&f);
	return 0;
}
