/* ingest.h: from a received syslog message to the model: parse, recognise,
 * match the device, drop duplicate copies, count, and hand commit
 * notifications to the loop (SPEC R1, section 8).
 *
 * ingest_prepare() is pure and may run on any thread (the RELP thread);
 * everything that touches the model runs on the loop thread. */
#ifndef RESYNCD_INGEST_H
#define RESYNCD_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "incident.h"
#include "junos.h"
#include "model.h"

struct loop;
struct sockaddr;

enum ingest_verdict {
	INGEST_MALFORMED = 1,
	INGEST_OVERSIZE,          /* over max_message_size: counted as dropped */
	INGEST_EVENT,             /* ordinary device event: costs only a parse */
	INGEST_COMMIT,            /* commit notification */
	INGEST_COMMIT_REQUEST,    /* UI_COMMIT: user and comment for the next commit */
	INGEST_INCIDENT_EVENT,    /* an event whose tag some profile names (E1): to the loop */
	INGEST_RATE_LIMITED,      /* such an event over its host's eventRateCap (E6): counted only */
};

/* What a commit-ish message carries, copied out of the receive buffer so it
 * can cross to the loop thread. */
struct ingest_msg {
	enum ingest_verdict verdict;
	char tag[JUNOS_TAG_MAX];
	char host[256];
	char user[JUNOS_USER_MAX];
	char comment[JUNOS_COMMENT_MAX];
	char sender[RS_ADDR_MAX];    /* transport peer; empty: match by host only */
	bool relay;                  /* the peer is in listen.relays */
	uint64_t key;                /* duplicate detection; 0 = cannot tell */
	struct incident_event ev;    /* INGEST_INCIDENT_EVENT: tag, detail, severity, text */
};

/* Parses and recognises; fills im (beyond verdict) only for commits, commit
 * requests and events a profile wants, with control characters in user and
 * comment escaped (ingest_escape_ctl). max_size 0 = parser default. */
enum ingest_verdict ingest_prepare(const char *buf, size_t len, size_t max_size,
				   struct ingest_msg *im);

/* Counts a verdict of ingest_prepare (received and per-outcome). */
void ingest_count(struct ingest_counters *c, enum ingest_verdict v);

/* Loop thread: applies a prepared commit or commit request to the model.
 * Returns 0 (including unknown host and duplicates), -1 if the commit could
 * not be made durable. */
int ingest_apply(struct loop *l, const struct ingest_msg *im);

/* Loop thread: the whole path for one message received on the loop (UDP,
 * TCP): prepare, count, apply. sa (may be NULL) is the peer, formatted only
 * when a commit needs matching by address. */
int ingest_handle(struct loop *l, const char *buf, size_t len, size_t max_size,
		  const struct sockaddr *sa);

/* Rewrites control characters (C0, DEL, C1 in UTF-8) in s as \xNN (C1 as
 * \u0080..\u009f) within size (an escape that does not fit is cut whole): a
 * user or comment from the network is stored, logged and served over SNMP
 * without terminal controls or line breaks. */
void ingest_escape_ctl(char *s, size_t size);

/* Formats a peer address without port ("192.0.2.1", "2001:db8::1"). */
void ingest_format_addr(const struct sockaddr *sa, char *out, size_t outlen);

/* The profile set ingest_prepare checks event tags against, on any thread.
 * After it returns no thread uses the previous set any more. NULL: none. */
void ingest_set_profiles(const struct incident_profiles *ps);

/* E6 before the hand-off: each receiving thread keeps a token bucket per
 * host name, so a flooding device's events are dropped where they arrive
 * instead of queueing for the loop (which caps per device as well). */
void ingest_set_rate_cap(uint32_t cap);
/* Frees the calling thread's buckets (at the end of a receiving thread). */
void ingest_forget_rates(void);

/* Forgets the duplicate-detection history (tests). */
void ingest_reset(void);

#endif
