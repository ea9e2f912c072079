/* fetch.h: the resync fetch — one device's running configuration over NETCONF.
 *
 * Runs on a worker thread (a fetch_fn), touches nothing shared but the
 * known_hosts file (through ssh_session) and reports through fetch_result. */
#ifndef RESYNCD_FETCH_H
#define RESYNCD_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "worker.h"

/* A fetch_fn: fills res (res->job/device are copied from req). Bounded by
 * req->timeout_secs; stops promptly (closing the session) when req->cancel is set. */
void fetch_config(struct fetch_request *req, struct fetch_result *res);

/* Outcome of reading a reply to a configuration request. */
enum fetch_reply {
	FETCH_REPLY_OK = 0,          /* text (malloc'd) set */
	FETCH_REPLY_RPC_ERROR = 1,   /* err holds the error-message; *unsupported set if the
	                                error-tag says the operation is unknown */
	FETCH_REPLY_MALFORMED = 2,   /* err says why */
};

struct netconf;
struct session_status;
/* The running configuration on an open session, in the form every fetch
 * stores (Junos text, else <get-config>), with its commit time and user:
 * 0, or -1 with the reason in st. */
int fetch_running(struct netconf *nc, struct session_status *st, struct fetch_result *res);

/* The configuration in an <rpc-reply> (already parsed, rpc-errors already
 * handled): <configuration-text> (Junos text) or the children of <data>
 * (<get-config>). commit_secs/commit_user from junos:commit-* attributes. */
enum fetch_reply fetch_extract_config(xmlDoc *reply, char **text, size_t *text_len,
				      int64_t *commit_secs, char *commit_user, size_t userlen,
				      char *err, size_t errlen);

/* The same from the reply's bytes, rpc-errors included (pure, for tests and
 * the fuzz target). */
enum fetch_reply fetch_parse_config_reply(const char *xml, size_t len, char **text,
					  size_t *text_len, int64_t *commit_secs, char *commit_user,
					  size_t userlen, int *unsupported, char *err, size_t errlen);

/* The newest commit's time and user from a <get-commit-information/> reply
 * (<commit-history><user>, <date-time junos:seconds=…>): 0, or -1 if absent. */
int fetch_parse_commit_information(xmlDoc *reply, int64_t *commit_secs, char *commit_user,
				   size_t userlen);

/* Whether a device whose newest commit is at commit_secs (what
 * <get-commit-information/> says) still has the stored version, committed
 * at stored (0: unknown, so it is fetched). */
bool fetch_commit_is_current(rs_time_t stored, int64_t commit_secs);

#endif
