/* tcp_frame.h: syslog over a byte stream (RFC 6587): LF-terminated or
 * octet-counted ("LEN SP MSG") frames, told apart by the first byte as
 * rsyslog does; frames longer than the limit are dropped, not kept (pure:
 * recv_syslog.c feeds it a connection's unread bytes, the fuzz target feeds
 * it anything). */
#ifndef RESYNCD_TCP_FRAME_H
#define RESYNCD_TCP_FRAME_H

#include <stdbool.h>
#include <stddef.h>

/* How many unread bytes tcp_frame_next needs to see at once to decide: an
 * octet-count header, the longest frame and its LF. */
#define TCP_FRAME_WINDOW(max) ((max) + 12)

struct tcp_frame_state {
	size_t skip;        /* bytes of an oversize octet-counted frame still to drop */
	bool discarding;    /* dropping an oversize LF frame up to its LF */
};

enum tcp_frame_kind {
	TCP_FRAME_NEED_MORE,  /* nothing to consume until more bytes arrive */
	TCP_FRAME_MSG,        /* a message: *msg, *msglen */
	TCP_FRAME_DROPPED,    /* the start of an oversize frame: count one dropped message */
	TCP_FRAME_SKIPPED,    /* bytes of a dropped frame or an empty line: nothing to count */
};

/* Looks at the first n unread bytes p (at most TCP_FRAME_WINDOW(max) of them
 * need be given) of a stream. *consumed is how many to remove from the
 * stream (0 only for NEED_MORE); a MSG lies inside p. */
enum tcp_frame_kind tcp_frame_next(struct tcp_frame_state *st, const char *p, size_t n, size_t max,
				   size_t *consumed, const char **msg, size_t *msglen);

/* At end of stream: whether the n unread bytes p are a last message without
 * its LF (not within a dropped frame, not over the limit). */
bool tcp_frame_eof(const struct tcp_frame_state *st, size_t n, size_t max);

#endif
