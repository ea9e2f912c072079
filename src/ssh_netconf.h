/* ssh_netconf.h: fetch one device's configuration over SSH/NETCONF.
 *
 * ssh_netconf.c is the only file that includes <libssh2.h>. The fetch runs on a
 * worker thread, touches nothing shared but the known_hosts file (appends under
 * a lock for trust-on-first-use) and reports through struct fetch_result. */
#ifndef RESYNCD_SSH_NETCONF_H
#define RESYNCD_SSH_NETCONF_H

#include "worker.h"

/* Once per process, before worker threads start (also done lazily, once). */
int ssh_netconf_global_init(void);
/* At exit, after every fetch has ended: releases libssh2's global state. */
void ssh_netconf_global_cleanup(void);

/* A fetch_fn: fills res (res->job/device are copied from req). Bounded by
 * req->timeout_secs; stops promptly (closing the session) when req->cancel is set. */
void ssh_netconf_fetch(struct fetch_request *req, struct fetch_result *res);

/* Pure helpers, exposed for unit tests. */

/* Parses a NETCONF <hello>: 0 ok (*base11 set when the peer offers base:1.1),
 * -1 malformed (why in err). */
int ssh_netconf_parse_hello(const char *xml, size_t len, int *base11, char *err, size_t errlen);

/* Outcome of parsing an <rpc-reply> to a configuration request. */
enum nc_reply {
	NC_REPLY_OK = 0,          /* text (malloc'd) set */
	NC_REPLY_RPC_ERROR = 1,   /* err holds the error-message; *unsupported set if the
	                             error-tag says the operation is unknown */
	NC_REPLY_MALFORMED = 2,   /* err says why */
};

/* Extracts the configuration from a reply to <get-configuration format="text">
 * (element configuration-text) or to <get-config> (children of <data>). */
enum nc_reply ssh_netconf_parse_config_reply(const char *xml, size_t len, char **text,
					     size_t *text_len, int64_t *commit_secs,
					     char *commit_user, size_t userlen, int *unsupported,
					     char *err, size_t errlen);

#endif
