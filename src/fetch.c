/* fetch.c: the resync fetch, a short sequence of netconf_rpc() calls.
 *
 * Junos first (<get-configuration format="text">: the curly-brace text the
 * archive diffs by lines); a server that does not know the RPC gets the
 * standard <get-config> of the running datastore. */
#include "fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "netconf.h"

#define JUNOS_NS_PART "juniper.net/junos"

/* A junos:NAME attribute (any Junos release's namespace URI), or NULL. */
static xmlChar *fetch_junos_attr(const xmlNode *n, const char *name)
{
	for (xmlAttr *a = n->properties; a; a = a->next)
		if (a->ns && a->ns->href && strstr((const char *)a->ns->href, JUNOS_NS_PART) &&
		    xmlStrcmp(a->name, BAD_CAST name) == 0)
			return xmlNodeListGetString(n->doc, a->children, 1);
	return NULL;
}

/* The first element (document order) carrying junos:commit-seconds. */
static xmlNode *fetch_find_commit_attrs(xmlNode *top)
{
	for (xmlNode *n = netconf_next(top, top); n; n = netconf_next(n, top)) {
		xmlChar *v = fetch_junos_attr(n, "commit-seconds");

		if (v) {
			xmlFree(v);
			return n;
		}
	}
	return NULL;
}

static void fetch_commit_attrs(xmlNode *root, int64_t *commit_secs, char *commit_user,
			       size_t userlen)
{
	xmlNode *n = fetch_find_commit_attrs(root);
	xmlChar *secs, *user;
	char *end = NULL;
	long long v;

	if (!n)
		return;
	secs = fetch_junos_attr(n, "commit-seconds");
	user = fetch_junos_attr(n, "commit-user");
	v = secs ? strtoll((const char *)secs, &end, 10) : 0;
	if (secs && end && *end == '\0' && v > 0)
		*commit_secs = v;
	if (user && userlen)
		snprintf(commit_user, userlen, "%s", (const char *)user);
	xmlFree(secs);
	xmlFree(user);
}

/* Drops the whitespace between elements (a reply's newlines and indents), so
 * the stored copy is indented the same however the device laid it out. Text
 * of leaf elements is kept as it is. No recursion: any depth. */
static void fetch_drop_blanks(xmlNode *top)
{
	for (xmlNode *n = top; n; n = netconf_next(n, top)) {
		xmlNode *c = n->children, *next;
		int elements = 0;

		for (; c; c = c->next)
			elements |= c->type == XML_ELEMENT_NODE;
		for (c = elements ? n->children : NULL; c; c = next) {
			next = c->next;
			if ((c->type == XML_TEXT_NODE && xmlIsBlankNode(c)) || c->type == XML_COMMENT_NODE) {
				xmlUnlinkNode(c);
				xmlFreeNode(c);
			}
		}
	}
}

/* parent's one element child (a <configuration>), or parent itself when it
 * has several (a server's top-level modules in <data>), serialised as a
 * document of its own: indented, one element per line (the archive diffs by
 * lines), and well-formed without the reply around it — a junos:commit-*
 * attribute keeps its xmlns:junos, a default namespace its xmlns. Under
 * <rpc-reply> only <configuration> counts, so a Junos <cli> trailer or a
 * warning is not stored. malloc'd, or NULL. */
static char *fetch_dump_xml(xmlDoc *reply, xmlNode *parent, size_t *len)
{
	xmlBuffer *b = xmlBufferCreate();
	int top = parent == xmlDocGetRootElement(reply), n = 0;
	char *out = NULL;
	xmlNode *c, *only = NULL, *copy;
	xmlDoc *alone;

	for (c = parent->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && (!top || netconf_is(c, NULL, "configuration")))
			n++, only = c;
	/* Several top-level modules (<get-config> of a YANG server) stay inside
	 * their <data>, so the stored text is one document. */
	c = n == 1 ? only : parent;
	/* A copy into a new document declares, on its root, every namespace it
	 * uses from the reply's ancestors (libxml2's xmlDocCopyNode does). */
	alone = b ? xmlNewDoc(BAD_CAST "1.0") : NULL;
	copy = alone ? xmlDocCopyNode(c, alone, 1) : NULL;
	if (copy) {
		xmlDocSetRootElement(alone, copy);
		fetch_drop_blanks(copy);
		xmlNodeDump(b, alone, copy, 0, 1);
		xmlBufferCCat(b, "\n");
		*len = (size_t)xmlBufferLength(b);
		out = strndup((const char *)xmlBufferContent(b), *len);
	}
	xmlFreeDoc(alone);
	if (b)
		xmlBufferFree(b);
	return out;
}

enum fetch_reply fetch_extract_config(xmlDoc *reply, char **text, size_t *text_len,
				      int64_t *commit_secs, char *commit_user, size_t userlen,
				      char *err, size_t errlen)
{
	xmlNode *root = xmlDocGetRootElement(reply), *n;

	*text = NULL;
	*text_len = 0;
	*commit_secs = 0;
	if (userlen)
		commit_user[0] = '\0';
	fetch_commit_attrs(root, commit_secs, commit_user, userlen);
	if ((n = netconf_find(root, NULL, "configuration-text"))) {
		xmlChar *content = xmlNodeGetContent(n);
		const char *t = content ? (const char *)content : "";

		while (*t == '\n' || *t == '\r')
			t++; /* Junos starts the text on the line after the tag */
		*text_len = strlen(t);
		*text = strdup(t);
		xmlFree(content);
	} else if ((n = netconf_child(root, NETCONF_NS, "data"))) {
		*text = fetch_dump_xml(reply, n, text_len);
	} else if ((n = netconf_child(root, NULL, "configuration"))) {
		/* Junos XML: <get-configuration> without format="text" (or a device
		 * that ignores it). Stored as the <configuration> element itself. */
		*text = fetch_dump_xml(reply, root, text_len);
	} else {
		snprintf(err, errlen, "malformed reply: no configuration in <rpc-reply>");
		return FETCH_REPLY_MALFORMED;
	}
	if (!*text) {
		snprintf(err, errlen, "out of memory");
		*text_len = 0;
		return FETCH_REPLY_MALFORMED;
	}
	return FETCH_REPLY_OK;
}

/* error-tags that say "this server does not have that RPC". */
static int fetch_tag_unsupported(const char *tag)
{
	return strcmp(tag, "operation-not-supported") == 0 || strcmp(tag, "unknown-element") == 0 ||
	       strcmp(tag, "unknown-namespace") == 0;
}

enum fetch_reply fetch_parse_config_reply(const char *xml, size_t len, char **text,
					  size_t *text_len, int64_t *commit_secs, char *commit_user,
					  size_t userlen, int *unsupported, char *err, size_t errlen)
{
	char perr[160], tag[64], msg[RS_REASON_MAX];
	xmlDoc *doc = netconf_parse(xml, len, perr, sizeof(perr));
	xmlNode *root;
	enum fetch_reply out = FETCH_REPLY_MALFORMED;

	*text = NULL;
	*text_len = 0;
	*commit_secs = 0;
	*unsupported = 0;
	if (userlen)
		commit_user[0] = '\0';
	if (!doc) {
		snprintf(err, errlen, "malformed reply: %s", perr);
		return FETCH_REPLY_MALFORMED;
	}
	root = xmlDocGetRootElement(doc);
	if (!netconf_is(root, NETCONF_NS, "rpc-reply")) {
		snprintf(err, errlen, "malformed reply: <%s> instead of <rpc-reply>",
			 root ? (const char *)root->name : "nothing");
	} else if (netconf_rpc_error(doc, tag, sizeof(tag), msg, sizeof(msg))) {
		*unsupported = fetch_tag_unsupported(tag);
		snprintf(err, errlen, "NETCONF rpc-error: %s", msg[0] ? msg : tag[0] ? tag : "(no message)");
		out = FETCH_REPLY_RPC_ERROR;
	} else {
		out = fetch_extract_config(doc, text, text_len, commit_secs, commit_user, userlen, err,
					   errlen);
	}
	xmlFreeDoc(doc);
	return out;
}

/* One configuration RPC: 0 ok (res filled), 1 the server lacks the RPC, -1 failed
 * (reason in st). */
static int fetch_rpc(struct netconf *nc, struct session_status *st, const char *op,
		     struct fetch_result *res)
{
	char err[RS_REASON_MAX], tag[64], msg[8];
	xmlDoc *reply = NULL;
	int64_t secs = 0;
	enum netconf_rc rc = netconf_rpc(nc, op, &reply, err, sizeof(err));

	if (rc == NETCONF_FAILED)
		return -1;
	if (rc == NETCONF_RPC_ERROR) {
		netconf_rpc_error(reply, tag, sizeof(tag), msg, sizeof(msg));
		xmlFreeDoc(reply);
		if (fetch_tag_unsupported(tag))
			return 1;
		session_status_fail(st, CONN_UP, "NETCONF rpc-error: %s", err);
		return -1;
	}
	if (fetch_extract_config(reply, &res->config, &res->config_len, &secs, res->commit_user,
				 sizeof(res->commit_user), err, sizeof(err)) != FETCH_REPLY_OK) {
		xmlFreeDoc(reply);
		session_status_fail(st, CONN_UP, "%s", err);
		return -1;
	}
	xmlFreeDoc(reply);
	res->commit_time = RS_SECS(secs);
	return 0;
}

int fetch_parse_commit_information(xmlDoc *reply, int64_t *commit_secs, char *commit_user,
				   size_t userlen)
{
	xmlNode *root = xmlDocGetRootElement(reply);
	xmlNode *h = netconf_find(netconf_find(root, NULL, "commit-information"), NULL,
				  "commit-history");
	xmlNode *when = netconf_child(h, NULL, "date-time");
	xmlChar *secs = when ? fetch_junos_attr(when, "seconds") : NULL;
	char *end = NULL;
	long long v = secs ? strtoll((const char *)secs, &end, 10) : 0;
	int ok = secs && end && *end == '\0' && v > 0;

	xmlFree(secs);
	if (!ok)
		return -1;
	/* The newest commit comes first (sequence-number 0). */
	*commit_secs = v;
	netconf_text_line(netconf_child(h, NULL, "user"), commit_user, userlen);
	return 0;
}

bool fetch_commit_is_current(rs_time_t stored, int64_t commit_secs)
{
	return stored > 0 && commit_secs > 0 && RS_SECS(commit_secs) == stored;
}

/* <get-commit-information/>: the newest commit's time and user. 0, or -1
 * (logged) if the device does not say. */
static int fetch_ask_commit(struct netconf *nc, int64_t *secs, char *user, size_t userlen)
{
	char err[RS_REASON_MAX];
	xmlDoc *reply = NULL;
	int rc = -1;

	if (netconf_rpc(nc, "<get-commit-information/>", &reply, err, sizeof(err)) == NETCONF_OK &&
	    fetch_parse_commit_information(reply, secs, user, userlen) == 0)
		rc = 0;
	else
		log_debug("device %s: no commit time from <get-commit-information/>: %s",
			  ssh_session_request(netconf_ssh(nc))->name, reply ? err : "no reply");
	xmlFreeDoc(reply);
	return rc;
}

/* A reply without junos:commit-* (a real 18.1 text reply carries none): ask
 * <get-commit-information/>, unless that was asked already. Best effort: the
 * configuration is in hand. */
static void fetch_commit_info(struct netconf *nc, int64_t asked, const char *asked_user,
			      struct fetch_result *res)
{
	int64_t secs = asked;
	char user[RS_USER_MAX];

	snprintf(user, sizeof(user), "%s", asked_user);
	if (!secs && fetch_ask_commit(nc, &secs, user, sizeof(user)) < 0)
		return;
	res->commit_time = RS_SECS(secs);
	if (!res->commit_user[0])
		snprintf(res->commit_user, sizeof(res->commit_user), "%s", user);
}

/* A recurring inventory resync asks first when the device last committed:
 * 1 if that is the stored version's commit (not fetched), else 0 with what
 * the device said in *secs/user for the fetch's own commit time. */
static int fetch_check_current(struct netconf *nc, const struct fetch_request *req, int64_t *secs,
			       char *user, size_t userlen, struct fetch_result *res)
{
	char when[32];
	time_t t;
	struct tm tm;

	if (!req->current_commit || !netconf_is_junos(nc) || fetch_ask_commit(nc, secs, user, userlen) < 0)
		return 0;
	if (!fetch_commit_is_current(req->current_commit, *secs))
		return 0;
	t = (time_t)*secs;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	snprintf(res->reason, sizeof(res->reason), "configuration current: last commit %s by %s, not fetched",
		 when, *user ? user : "unknown user");
	return 1;
}

/* fetch_running, with the commit time the device said already (asked, or
 * 0) for a reply that carries none. */
static int fetch_running_asked(struct netconf *nc, struct session_status *st, int64_t asked,
			       const char *asked_user, struct fetch_result *res)
{
	int rc = fetch_rpc(nc, st, "<get-configuration format=\"text\"/>", res);
	if (rc > 0) {
		/* Not a Junos device (or one without the RPC): standard NETCONF. */
		log_debug("device %s: <get-configuration> not supported, using <get-config>",
			  ssh_session_request(netconf_ssh(nc))->name);
		rc = fetch_rpc(nc, st, "<get-config><source><running/></source></get-config>", res);
		if (rc > 0)
			session_status_fail(st, CONN_UP, "NETCONF rpc-error: device supports "
					    "neither <get-configuration> nor <get-config>");
	}
	if (rc == 0 && !res->commit_time && netconf_is_junos(nc))
		fetch_commit_info(nc, asked, asked_user, res);
	return rc ? -1 : 0;
}

int fetch_running(struct netconf *nc, struct session_status *st, struct fetch_result *res)
{
	return fetch_running_asked(nc, st, 0, "", res);
}

void fetch_config(struct fetch_request *req, struct fetch_result *res)
{
	struct session_status st = { .conn = CONN_UNKNOWN };
	struct netconf *nc;
	int rc = -1;

	res->job = req->job;
	res->device = req->device;
	res->ok = 0;
	res->conn = CONN_UNKNOWN;
	res->reason[0] = '\0';
	res->config = NULL;
	res->config_len = 0;
	res->commit_time = 0;
	res->commit_user[0] = '\0';
	res->cancelled = 0;
	res->current = 0;

	int64_t asked = 0;
	char asked_user[RS_USER_MAX] = "";
	nc = netconf_open(req, &st);
	if (nc && fetch_check_current(nc, req, &asked, asked_user, sizeof(asked_user), res)) {
		netconf_close(nc);
		res->ok = 1;
		res->current = 1;
		res->conn = CONN_UP;
		return;
	}
	if (nc) {
		rc = fetch_running_asked(nc, &st, asked, asked_user, res);
		if (rc != 0 && !st.reason[0])
			session_status_fail(&st, CONN_UP, "failed during %s",
					    ssh_session_get_stage(netconf_ssh(nc)));
	}
	netconf_close(nc);
	if (rc == 0) {
		res->ok = 1;
		res->conn = CONN_UP;
		return;
	}
	free(res->config);
	res->config = NULL;
	res->config_len = 0;
	res->conn = st.conn;
	res->cancelled = st.cancelled;
	snprintf(res->reason, sizeof(res->reason), "%s", st.reason[0] ? st.reason : "fetch failed");
	log_debug("device %s: fetch failed: %s", req->name, res->reason);
}
