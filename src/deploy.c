/* deploy.c: push the manager's copy of a configuration to a device (SPEC S4).
 *
 * Over netconf_rpc(): lock the candidate, load the intended configuration
 * (Junos <load-configuration action="override">, or the standard
 * <edit-config> with default-operation replace for other servers, chosen
 * from the capabilities), commit with confirmed and a timeout, close the
 * session, reconnect (the change must not have cut the manager off), confirm,
 * unlock, then fetch the running configuration and check that it is the
 * intended one. Before the commit, any error discards the change and unlocks;
 * the job fails with the device's own rpc-error text. After the commit, a
 * failure leaves the device to roll back by itself when the timeout runs out
 * (res->rollback_pending). Runs on a worker thread. */
#include "deploy.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>

#include "fetch.h"
#include "intended.h"
#include "log.h"
#include "netconf.h"

#define DEPLOY_RECONNECT_PAUSE_US 500000

static const char deploy_lock[] = "<lock><target><candidate/></target></lock>";
static const char deploy_unlock[] = "<unlock><target><candidate/></target></unlock>";
static const char deploy_discard[] = "<discard-changes/>";

/* XML-escapes text into a malloc'd string. */
static char *deploy_escape(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += s[i] == '&' ? 5 : s[i] == '<' || s[i] == '>' ? 4 : 1;
	char *out = malloc(n + 1), *p = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		const char *r = s[i] == '&' ? "&amp;" : s[i] == '<' ? "&lt;" : s[i] == '>' ? "&gt;" : NULL;
		if (r) {
			memcpy(p, r, strlen(r));
			p += strlen(r);
		} else {
			*p++ = s[i];
		}
	}
	*p = '\0';
	return out;
}

/* The intended XML without its declaration: a <config> element's children,
 * else the document element itself (e.g. a Junos <configuration>). */
static char *deploy_xml_payload(const char *xml, size_t len, int children_of_config, char *err,
				size_t errlen)
{
	xmlDoc *doc = netconf_parse(xml, len, err, errlen);
	if (!doc)
		return NULL;
	xmlNode *root = xmlDocGetRootElement(doc);
	xmlBuffer *buf = xmlBufferCreate();
	char *out = NULL;
	if (root && buf) {
		if (children_of_config && xmlStrcmp(root->name, BAD_CAST "config") == 0) {
			for (xmlNode *c = root->children; c; c = c->next)
				if (c->type == XML_ELEMENT_NODE)
					xmlNodeDump(buf, doc, c, 0, 0);
		} else {
			xmlNodeDump(buf, doc, root, 0, 0);
		}
		out = strdup((const char *)xmlBufferContent(buf));
	}
	if (!out)
		snprintf(err, errlen, "out of memory");
	xmlBufferFree(buf);
	xmlFreeDoc(doc);
	return out;
}

/* The load RPC for this server and this configuration; malloc'd. */
static char *deploy_load_rpc(struct netconf *nc, const struct fetch_request *req, char *err, size_t errlen)
{
	bool xml = intended_is_xml(req->intended, req->intended_len);
	bool junos = netconf_is_junos(nc);
	char *body, *rpc;
	const char *fmt;

	if (!junos && !xml) {
		snprintf(err, errlen, "a text (.conf) intended configuration needs a Junos device; "
				      "this server takes XML: give the device a .xml file");
		return NULL;
	}
	if (junos && !xml) {
		body = deploy_escape(req->intended, req->intended_len);
		fmt = "<load-configuration action=\"override\" format=\"text\"><configuration-text>%s"
		      "</configuration-text></load-configuration>";
	} else if (junos) {
		body = deploy_xml_payload(req->intended, req->intended_len, 0, err, errlen);
		fmt = "<load-configuration action=\"override\" format=\"xml\">%s</load-configuration>";
	} else {
		body = deploy_xml_payload(req->intended, req->intended_len, 1, err, errlen);
		fmt = "<edit-config><target><candidate/></target><default-operation>replace"
		      "</default-operation><config>%s</config></edit-config>";
	}
	if (!body) {
		if (!err[0])
			snprintf(err, errlen, "out of memory");
		return NULL;
	}
	size_t n = strlen(fmt) + strlen(body);
	rpc = malloc(n);
	if (rpc)
		snprintf(rpc, n, fmt, body);
	else
		snprintf(err, errlen, "out of memory");
	free(body);
	return rpc;
}

/* One RPC whose reply is only ok or an error: 0 ok, 1 the device refused
 * (its text in why), -1 the session failed (why says so). */
static int deploy_rpc(struct netconf *nc, const char *op, char *why, size_t whylen)
{
	xmlDoc *reply = NULL;
	enum netconf_rc rc = netconf_rpc(nc, op, &reply, why, whylen);
	xmlFreeDoc(reply);
	return rc == NETCONF_OK ? 0 : rc == NETCONF_RPC_ERROR ? 1 : -1;
}

/* ---- checking the result ------------------------------------------------ */

/* Junos text compared line by line, blanks and "#" comment lines (the
 * "## Last commit" header) left out, each line trimmed. */
static const char *deploy_text_line(const char *p, const char *end, const char **lb, size_t *ll)
{
	for (;;) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end)
			return NULL;
		const char *e = memchr(p, '\n', (size_t)(end - p));
		if (!e)
			e = end;
		const char *t = e;
		while (t > p && isspace((unsigned char)t[-1]))
			t--;
		if (*p != '#') {
			*lb = p;
			*ll = (size_t)(t - p);
			return e;
		}
		p = e;
	}
}

bool deploy_text_same(const char *a, size_t alen, const char *b, size_t blen)
{
	const char *pa = a, *ea = a + alen, *pb = b, *eb = b + blen, *la, *lb;
	size_t na, nb;
	for (;;) {
		pa = deploy_text_line(pa, ea, &la, &na);
		pb = deploy_text_line(pb, eb, &lb, &nb);
		if (!pa || !pb)
			return !pa && !pb;
		if (na != nb || memcmp(la, lb, na) != 0)
			return false;
	}
}

/* Text content of n with blanks at both ends dropped. */
static bool deploy_text_eq(const xmlNode *x, const xmlNode *y)
{
	xmlChar *a = xmlNodeGetContent(x), *b = xmlNodeGetContent(y);
	const char *pa = a ? (const char *)a : "", *pb = b ? (const char *)b : "";
	size_t la = strlen(pa), lb = strlen(pb);
	while (la && isspace((unsigned char)*pa))
		pa++, la--;
	while (la && isspace((unsigned char)pa[la - 1]))
		la--;
	while (lb && isspace((unsigned char)*pb))
		pb++, lb--;
	while (lb && isspace((unsigned char)pb[lb - 1]))
		lb--;
	bool same = la == lb && memcmp(pa, pb, la) == 0;
	xmlFree(a);
	xmlFree(b);
	return same;
}

static const xmlNode *deploy_next_elem(const xmlNode *n)
{
	while (n && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

static bool deploy_name_eq(const xmlNode *a, const xmlNode *b)
{
	const xmlChar *na = a->ns ? a->ns->href : NULL, *nb = b->ns ? b->ns->href : NULL;
	return xmlStrEqual(a->name, b->name) && (!na || !nb || xmlStrEqual(na, nb));
}

/* Same elements (namespace and local name, never the prefix), in order,
 * with the same trimmed text at the leaves; attributes (Junos adds its own)
 * and comments are not compared. depth bounds the recursion (the parser
 * already refuses more than 256 levels). */
static bool deploy_tree_eq(const xmlNode *a, const xmlNode *b, int depth)
{
	if (depth > 256 || !deploy_name_eq(a, b))
		return false;
	const xmlNode *ca = deploy_next_elem(a->children), *cb = deploy_next_elem(b->children);
	if (!ca && !cb)
		return deploy_text_eq(a, b);
	for (; ca && cb; ca = deploy_next_elem(ca->next), cb = deploy_next_elem(cb->next))
		if (!deploy_tree_eq(ca, cb, depth + 1))
			return false;
	return !ca && !cb;
}

bool deploy_xml_same(const char *intended, size_t ilen, const char *running, size_t rlen)
{
	char err[128];
	xmlDoc *di = netconf_parse(intended, ilen, err, sizeof(err));
	/* The running configuration as fetched: the one child of <data>, or
	 * <data> itself around several; wrapped so it parses either way. */
	size_t wlen = rlen + sizeof("<config></config>");
	char *w = malloc(wlen);
	bool same = false;
	if (!di || !w)
		goto out;
	snprintf(w, wlen, "<config>%.*s</config>", (int)rlen, running);
	xmlDoc *dr = netconf_parse(w, strlen(w), err, sizeof(err));
	if (!dr)
		goto out;
	const xmlNode *ri = xmlDocGetRootElement(di), *rr = xmlDocGetRootElement(dr);
	/* Several top-level modules are stored inside their <data> (one document). */
	const xmlNode *data = deploy_next_elem(rr->children);
	if (data && netconf_is(data, NETCONF_NS, "data"))
		rr = data;
	/* An intended <config> holds several top elements; anything else is one.
	 * Each must be on the device as it is; the server may hold more (its
	 * own empty containers, say). */
	const xmlNode *ci = xmlStrEqual(ri->name, BAD_CAST "config") ? deploy_next_elem(ri->children) : ri;
	same = true;
	for (; ci && same; ci = ci == ri ? NULL : deploy_next_elem(ci->next)) {
		const xmlNode *cr = deploy_next_elem(rr->children);
		while (cr && !deploy_name_eq(ci, cr))
			cr = deploy_next_elem(cr->next);
		same = cr && deploy_tree_eq(ci, cr, 0);
	}
	xmlFreeDoc(dr);
out:
	xmlFreeDoc(di);
	free(w);
	return same;
}

/* Fetches the running configuration (into res) in the intended's form and
 * compares: 0 same, 1 different (why says so), -1 failed. */
static int deploy_verify(struct netconf *nc, const struct fetch_request *req, struct fetch_result *res,
			 char *why, size_t whylen)
{
	bool xml = intended_is_xml(req->intended, req->intended_len);
	const char *op = xml || !netconf_is_junos(nc) ? "<get-config><source><running/></source></get-config>"
						      : "<get-configuration format=\"text\"/>";
	xmlDoc *reply = NULL;
	int64_t secs = 0;
	enum netconf_rc rc = netconf_rpc(nc, op, &reply, why, whylen);
	if (rc != NETCONF_OK) {
		xmlFreeDoc(reply);
		return -1;
	}
	enum fetch_reply fr = fetch_extract_config(reply, &res->config, &res->config_len, &secs, res->commit_user,
						   sizeof(res->commit_user), why, whylen);
	xmlFreeDoc(reply);
	if (fr != FETCH_REPLY_OK)
		return -1;
	res->commit_time = RS_SECS(secs);
	bool same = xml ? deploy_xml_same(req->intended, req->intended_len, res->config, res->config_len)
			: deploy_text_same(req->intended, req->intended_len, res->config, res->config_len);
	if (!same) {
		snprintf(why, whylen, "the running configuration differs from the intended one after the commit");
		return 1;
	}
	if (xml && netconf_is_junos(nc)) {
		/* Archived as every fetch of this device archives it (Junos text):
		 * an XML copy would make the next fetch a change of every line. */
		struct session_status st = { .conn = CONN_UP };
		free(res->config);
		res->config = NULL;
		res->config_len = 0;
		res->commit_time = 0;
		res->commit_user[0] = '\0';
		if (fetch_running(nc, &st, res) < 0) {
			snprintf(why, whylen, "reading the deployed configuration back: %s", st.reason);
			return -1;
		}
	}
	return 0;
}

/* ---- the deploy --------------------------------------------------------- */

static void deploy_fail(struct fetch_result *res, const struct session_status *st, const char *fmt,
			const char *detail)
{
	res->ok = 0;
	res->conn = st->conn == CONN_UNKNOWN ? CONN_DOWN : st->conn;
	res->cancelled = st->cancelled;
	snprintf(res->reason, sizeof(res->reason), fmt, detail);
	free(res->config);
	res->config = NULL;
	res->config_len = 0;
}

/* Before the commit: discard the loaded change and unlock, then fail. */
static void deploy_back_out(struct netconf *nc, struct fetch_result *res, const struct session_status *st,
			    const char *fmt, const char *detail)
{
	char ignore[RS_REASON_MAX];
	deploy_rpc(nc, deploy_discard, ignore, sizeof(ignore));
	deploy_rpc(nc, deploy_unlock, ignore, sizeof(ignore));
	deploy_fail(res, st, fmt, detail);
}

/* Opens a second session once the device answers again; NULL when it did not
 * within half the confirm timeout (the rest is left for the confirm). */
static struct netconf *deploy_reconnect(struct fetch_request *req, struct session_status *st)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		*st = (struct session_status){ .conn = CONN_UNKNOWN };
		struct netconf *nc = netconf_open(req, st);
		if (nc || atomic_load(&req->cancel))
			return nc;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec >= (time_t)req->confirm_timeout_secs / 2)
			return NULL;
		usleep(DEPLOY_RECONNECT_PAUSE_US);
	}
}

void deploy_config(struct fetch_request *req, struct fetch_result *res)
{
	struct session_status st = { .conn = CONN_UNKNOWN }, st2;
	char why[RS_REASON_MAX] = "", op[96];
	struct netconf *nc, *nc2 = NULL;
	char *load = NULL;
	int rc;

	memset(res, 0, sizeof(*res));
	res->job = req->job;
	res->device = req->device;
	if (!req->intended) {
		deploy_fail(res, &st, "%s", "no intended configuration");
		return;
	}
	nc = netconf_open(req, &st);
	if (!nc) {
		deploy_fail(res, &st, "%s", st.reason[0] ? st.reason : "cannot connect");
		return;
	}
	if (!netconf_has_candidate(nc) || !netconf_has_confirmed_commit(nc)) {
		deploy_fail(res, &st, "%s", "the device offers no candidate configuration with confirmed commit");
		goto out;
	}
	load = deploy_load_rpc(nc, req, why, sizeof(why));
	if (!load) {
		deploy_fail(res, &st, "%s", why);
		goto out;
	}
	rc = deploy_rpc(nc, deploy_lock, why, sizeof(why));
	if (rc != 0) {
		deploy_fail(res, &st, rc > 0 ? "lock refused: %s" : "%s", why);
		goto out;
	}
	rc = deploy_rpc(nc, load, why, sizeof(why));
	if (rc != 0) {
		deploy_back_out(nc, res, &st, rc > 0 ? "load refused: %s" : "%s", why);
		goto out;
	}
	snprintf(op, sizeof(op), "<commit><confirmed/><confirm-timeout>%u</confirm-timeout></commit>",
		 req->confirm_timeout_secs);
	rc = deploy_rpc(nc, op, why, sizeof(why));
	if (rc > 0) {
		deploy_back_out(nc, res, &st, "commit refused: %s", why);
		goto out;
	}
	if (rc < 0) {
		deploy_fail(res, &st, "lost during commit confirmed (rolls back by itself): %s",
			    why);
		res->rollback_pending = 1;
		goto out;
	}
	/* Confirmed only once the device answers a new session: a change that
	 * cut the manager off is undone by the device. The first session stays
	 * open meanwhile (a standard server reverts when it closes). */
	nc2 = deploy_reconnect(req, &st2);
	if (!nc2) {
		deploy_fail(res, &st2, "not reachable after commit confirmed (rolls back by itself): %s",
			    st2.reason[0] ? st2.reason : "no answer");
		res->rollback_pending = 1;
		goto out;
	}
	rc = deploy_rpc(nc, "<commit/>", why, sizeof(why));
	if (rc < 0 && netconf_is_junos(nc2)) /* Junos: any session's commit confirms */
		rc = deploy_rpc(nc2, "<commit/>", why, sizeof(why));
	if (rc != 0) {
		deploy_fail(res, &st2, "confirm failed (rolls back by itself): %s", why);
		res->rollback_pending = 1;
		goto out;
	}
	deploy_rpc(nc, deploy_unlock, op, sizeof(op)); /* a dead first session holds no lock */
	rc = deploy_verify(nc2, req, res, why, sizeof(why));
	if (rc != 0) {
		deploy_fail(res, &st2, "%s", why);
		goto out;
	}
	res->ok = 1;
	res->conn = CONN_UP;
	snprintf(res->reason, sizeof(res->reason), "intended configuration deployed");
out:
	free(load);
	netconf_close(nc2);
	netconf_close(nc);
	if (!res->ok)
		log_debug("device %s: deploy failed: %s", req->name, res->reason);
}

void deploy_syslog_host(struct fetch_request *req, struct fetch_result *res)
{
	struct session_status st = { .conn = CONN_UNKNOWN };
	char why[RS_REASON_MAX] = "", *esc = NULL, *load = NULL;
	struct netconf *nc;
	int rc;

	memset(res, 0, sizeof(*res));
	res->job = req->job;
	res->device = req->device;
	nc = netconf_open(req, &st);
	if (!nc) {
		deploy_fail(res, &st, "%s", st.reason[0] ? st.reason : "cannot connect");
		return;
	}
	if (!netconf_is_junos(nc) || !req->intended) {
		deploy_fail(res, &st, "%s", "configuring the syslog host entry needs a Junos device");
		goto out;
	}
	esc = deploy_escape(req->intended, req->intended_len);
	size_t n = (esc ? strlen(esc) : 0) + 128;
	load = esc ? malloc(n) : NULL;
	if (!load) {
		deploy_fail(res, &st, "%s", "out of memory");
		goto out;
	}
	/* Merged, never override: the rest of the configuration is the device's. */
	snprintf(load, n, "<load-configuration action=\"merge\" format=\"text\"><configuration-text>%s"
		 "</configuration-text></load-configuration>", esc);
	rc = deploy_rpc(nc, deploy_lock, why, sizeof(why));
	if (rc != 0) {
		deploy_fail(res, &st, rc > 0 ? "lock refused: %s" : "%s", why);
		goto out;
	}
	rc = deploy_rpc(nc, load, why, sizeof(why));
	if (rc == 0)
		rc = deploy_rpc(nc, "<commit/>", why, sizeof(why));
	if (rc != 0) {
		deploy_back_out(nc, res, &st, rc > 0 ? "syslog host entry refused: %s" : "%s", why);
		goto out;
	}
	deploy_rpc(nc, deploy_unlock, why, sizeof(why));
	res->ok = 1;
	res->conn = CONN_UP;
	snprintf(res->reason, sizeof(res->reason), "syslog host entry configured");
out:
	free(esc);
	free(load);
	netconf_close(nc);
}

void deploy_or_fetch(struct fetch_request *req, struct fetch_result *res)
{
	if (req->op == FETCH_OP_CONFIGURE_SYSLOG)
		deploy_syslog_host(req, res);
	else if (req->op == FETCH_OP_DEPLOY)
		deploy_config(req, res);
	else
		fetch_config(req, res);
}
