/* deploy.h: push the manager's copy of a configuration to a device over
 * NETCONF (SPEC S4): lock, load, commit confirmed, reconnect, confirm,
 * unlock, check. Runs on a worker thread. */
#ifndef RESYNCD_DEPLOY_H
#define RESYNCD_DEPLOY_H

#include <stdbool.h>
#include <stddef.h>

#include "worker.h"

/* A fetch_fn for FETCH_OP_DEPLOY requests: fills res; on success res->config
 * is the running configuration read back. res->rollback_pending says the
 * device holds an unconfirmed commit it will roll back by itself. */
void deploy_config(struct fetch_request *req, struct fetch_result *res);

/* S6: merges req->intended (a Junos syslog host entry) and commits. */
void deploy_syslog_host(struct fetch_request *req, struct fetch_result *res);

/* The workers' fetch_fn: deploy or fetch, as the request says. */
void deploy_or_fetch(struct fetch_request *req, struct fetch_result *res);

/* The check after a deploy (pure, exposed for tests): Junos text compared
 * line by line without blanks and "#" comment lines; XML compared element by
 * element (namespace and local name, trimmed leaf text), each top element of
 * the intended one (or of its <config>) present in the running one. */
bool deploy_text_same(const char *a, size_t alen, const char *b, size_t blen);
bool deploy_xml_same(const char *intended, size_t ilen, const char *running, size_t rlen);

#endif
