/* capture.c: the data capture of an incident (SPEC E4), one short sequence
 * of netconf_rpc() calls: Junos <command format="text"> per command, its
 * <output> kept. A device that refuses the netconf subsystem gets the
 * commands over SSH exec channels instead, one session each. Everything
 * together is bounded by the request's timeout (resyncTimeoutSecs), and the
 * output by INC_CAPTURE_MAX. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* asprintf */
#endif
#include "capture.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "netconf.h"

#define CAPTURE_CUT_NOTE "\n[output cut at 65536 bytes]\n"

struct cbuf {
	char *p;
	size_t n;
	bool cut, oom;
};

/* Appends, keeping room for the note that says the output was cut. */
static void cb_add(struct cbuf *b, const char *s, size_t n)
{
	size_t room = INC_CAPTURE_MAX - sizeof(CAPTURE_CUT_NOTE) - b->n;
	char *p;

	if (b->cut || b->oom || n == 0)
		return;
	if (n > room) {
		n = room;
		b->cut = true;
	}
	p = realloc(b->p, b->n + n + sizeof(CAPTURE_CUT_NOTE) + 1);
	if (p == NULL) {
		b->oom = true;
		return;
	}
	b->p = p;
	memcpy(b->p + b->n, s, n);
	b->n += n;
	if (b->cut) {
		memcpy(b->p + b->n, CAPTURE_CUT_NOTE, sizeof(CAPTURE_CUT_NOTE) - 1);
		b->n += sizeof(CAPTURE_CUT_NOTE) - 1;
	}
	b->p[b->n] = '\0';
}

static void cb_line(struct cbuf *b, const char *a, const char *c)
{
	cb_add(b, a, strlen(a));
	cb_add(b, c, strlen(c));
	cb_add(b, "\n", 1);
}

/* The reply's text: <output> (any namespace) if there is one, else all of it. */
static char *capture_doc_text(xmlDoc *doc)
{
	xmlNode *root = xmlDocGetRootElement(doc), *out = root ? netconf_find(root, NULL, "output") : NULL;
	xmlChar *t = xmlNodeGetContent(out ? out : root);
	const char *s = t ? (const char *)t : "";
	char *copy;

	while (*s == '\n' || *s == '\r')
		s++; /* Junos starts the text on the line after <output> */
	copy = strdup(s);
	xmlFree(t);
	return copy;
}

char *capture_reply_text(const char *xml, size_t len, char *err, size_t errlen)
{
	xmlDoc *doc = netconf_parse(xml, len, err, errlen);
	char *t;

	if (doc == NULL)
		return NULL;
	t = capture_doc_text(doc);
	xmlFreeDoc(doc);
	return t;
}

static char *capture_escape(const char *s)
{
	size_t n = strlen(s) * 6 + 1, o = 0;
	char *out = malloc(n);

	if (out == NULL)
		return NULL;
	for (; *s; s++) {
		const char *r = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : NULL;

		if (r) {
			memcpy(out + o, r, strlen(r));
			o += strlen(r);
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
	return out;
}

/* Over NETCONF: returns how many commands answered, -1 if the session failed
 * before any; st says why. */
static int capture_netconf(struct netconf *nc, struct fetch_request *req, struct cbuf *b,
			   struct session_status *st)
{
	int answered = 0;

	for (size_t i = 0; i < req->ncommands; i++) {
		char err[RS_REASON_MAX], *esc = capture_escape(req->commands[i]), *op;
		xmlDoc *reply = NULL;
		enum netconf_rc rc;

		if (esc == NULL || asprintf(&op, "<command format=\"text\">%s</command>", esc) < 0) {
			free(esc);
			session_status_fail(st, CONN_UP, "out of memory");
			return -1;
		}
		free(esc);
		cb_line(b, "> ", req->commands[i]);
		rc = netconf_rpc(nc, op, &reply, err, sizeof(err));
		free(op);
		if (rc == NETCONF_FAILED) {
			cb_line(b, "(failed: ", st->reason[0] ? st->reason : err);
			return answered ? answered : -1;
		}
		if (rc == NETCONF_RPC_ERROR) {
			cb_line(b, "error: ", err);
		} else {
			char *t = capture_doc_text(reply);

			if (t) {
				cb_add(b, t, strlen(t));
				if (*t && t[strlen(t) - 1] != '\n')
					cb_add(b, "\n", 1);
			}
			free(t);
			answered++;
		}
		xmlFreeDoc(reply);
	}
	return answered;
}

/* One command over an SSH exec channel, in a session of its own. */
static int capture_exec_one(struct fetch_request *req, const char *cmd, struct cbuf *b,
			    struct session_status *st)
{
	struct ssh_session *ss = ssh_session_open(req, st);
	char buf[4096];
	size_t got;
	int rc = -1;

	cb_line(b, "> ", cmd);
	if (ss && ssh_session_exec(ss, cmd) == 0) {
		ssh_session_stage(ss, "command output");
		while ((rc = ssh_session_read(ss, buf, sizeof(buf), &got)) == 0)
			cb_add(b, buf, got);
		rc = rc == 1 ? 0 : -1;
	}
	if (rc < 0)
		cb_line(b, "(failed: ", st->reason[0] ? st->reason : "unknown error");
	ssh_session_close(ss);
	return rc;
}

static rs_time_t capture_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (rs_time_t)ts.tv_sec * RS_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* Where NETCONF is not offered: one exec session per command, sharing the
 * one time limit. */
static int capture_exec(struct fetch_request *req, struct cbuf *b, struct session_status *st)
{
	uint32_t limit = req->timeout_secs ? req->timeout_secs : 60;
	rs_time_t end = capture_clock() + RS_SECS(limit);
	int answered = 0;

	for (size_t i = 0; i < req->ncommands; i++) {
		rs_time_t left = end - capture_clock();

		if (left < RS_USEC_PER_SEC) {
			session_status_fail(st, CONN_UP, "timed out after %u s", limit);
			break;
		}
		req->timeout_secs = (uint32_t)(left / RS_USEC_PER_SEC);
		memset(st, 0, sizeof(*st));
		if (capture_exec_one(req, req->commands[i], b, st) == 0)
			answered++;
		else if (st->cancelled || st->conn != CONN_UP)
			break;
	}
	return answered ? answered : -1;
}

void capture_run(struct fetch_request *req, struct fetch_result *res)
{
	struct session_status st = { .conn = CONN_UNKNOWN };
	struct cbuf b = { 0 };
	struct netconf *nc;
	int answered;

	memset(res, 0, sizeof(*res));
	res->job = req->job;
	res->device = req->device;
	res->incident = req->incident;
	nc = netconf_open(req, &st);
	if (nc) {
		answered = capture_netconf(nc, req, &b, &st);
	} else if (!st.cancelled && st.conn == CONN_UP && strstr(st.reason, "refused the netconf subsystem")) {
		log_debug("device %s: no NETCONF (%s): capturing over SSH exec", req->name, st.reason);
		answered = capture_exec(req, &b, &st);
	} else {
		answered = -1;
	}
	netconf_close(nc);
	res->conn = st.conn;
	res->cancelled = st.cancelled;
	if (b.oom)
		session_status_fail(&st, st.conn, "out of memory");
	if (answered > 0 && !b.oom) {
		res->ok = 1;
		res->conn = CONN_UP;
		res->config = b.p;
		res->config_len = b.n;
		snprintf(res->reason, sizeof(res->reason), "%d of %zu commands answered", answered, req->ncommands);
		return;
	}
	/* What the device said before it failed is kept too: it may be why. */
	res->config = b.oom ? NULL : b.p;
	res->config_len = b.oom ? 0 : b.n;
	if (b.oom)
		free(b.p);
	snprintf(res->reason, sizeof(res->reason), "%s",
		 st.reason[0] ? st.reason : answered == 0 ? "every command was refused" : "capture failed");
}
