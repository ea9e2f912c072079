/* fetch.c: the resync fetch, a short sequence of netconf_rpc() calls.
 *
 * Junos first (<get-configuration format="text">: the curly-brace text the
 * archive diffs by lines); a server that does not know the RPC gets the
 * standard <get-config> of the running datastore. */
#include "fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		xmlBuffer *b = xmlBufferCreate();

		/* Indented, one element per line: the archive diffs it by lines. */
		for (xmlNode *c = n->children; b && c; c = c->next) {
			if (c->type != XML_ELEMENT_NODE)
				continue;
			xmlNodeDump(b, reply, c, 0, 1);
			xmlBufferCCat(b, "\n");
		}
		if (b) {
			*text_len = (size_t)xmlBufferLength(b);
			*text = strndup((const char *)xmlBufferContent(b), *text_len);
			xmlBufferFree(b);
		}
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

	nc = netconf_open(req, &st);
	if (nc) {
		rc = fetch_rpc(nc, &st, "<get-configuration format=\"text\"/>", res);
		if (rc > 0) {
			/* Not a Junos device (or one without the RPC): standard NETCONF. */
			log_debug("device %s: <get-configuration> not supported, using <get-config>",
				  req->name);
			rc = fetch_rpc(nc, &st, "<get-config><source><running/></source></get-config>",
				       res);
			if (rc > 0)
				session_status_fail(&st, CONN_UP, "NETCONF rpc-error: device supports "
						    "neither <get-configuration> nor <get-config>");
		}
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
