/* capture.h: the data capture of an incident (SPEC E4): the profile's
 * operational commands run on the device, their text output collected. */
#ifndef RESYNCD_CAPTURE_H
#define RESYNCD_CAPTURE_H

#include <stddef.h>

#include "worker.h"

/* Worker thread: runs req->commands over a NETCONF session (Junos
 * <command format="text">), or, where the device offers no NETCONF, one SSH
 * exec channel per command. res->config holds the output, each command behind
 * a "> command" line, cut at INC_CAPTURE_MAX bytes. Bounded by
 * req->timeout_secs. res->ok once at least one command answered. */
void capture_run(struct fetch_request *req, struct fetch_result *res);

/* Pure: the text of a <command> reply (its <output>, else all its text). */
char *capture_reply_text(const char *xml, size_t len, char *err, size_t errlen);

#endif
