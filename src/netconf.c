/* netconf.c: NETCONF over an ssh_session — framing, hello, capabilities, rpc().
 *
 * Replies are read by libxml2; only the framing (RFC 6242) is done by hand,
 * because it is below XML. Nothing here knows what an operation means: the
 * fetch (fetch.c), deploy and data capture are written over netconf_rpc(). */
#include "netconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "log.h"

#define NC_BASE10 "urn:ietf:params:netconf:base:1.0"
#define NC_BASE11 "urn:ietf:params:netconf:base:1.1"
#define NC_EOM "]]>]]>"
#define NC_YUMA_HELLO_PAUSE_US 300000

static const char nc_hello[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	"<hello xmlns=\"" NETCONF_NS "\"><capabilities>"
	"<capability>" NC_BASE10 "</capability>"
	"<capability>" NC_BASE11 "</capability>"
	"</capabilities></hello>";

struct netconf {
	struct ssh_session *ss;
	struct netconf_framer f;
	int base11;                      /* chunked framing after the hello */
	int eof;
	unsigned msgid;
	char *caps;                      /* the peer's capabilities, one per line */
};

/* libxml2 reports some faults (bytes that break the encoding a reply
 * declares, the I/O error that follows) through its generic handler, which
 * XML_PARSE_NOERROR does not silence: a device could write lines to our
 * log at will. The parse still fails and netconf_parse says why. */
static void xml_quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int netconf_global_init(void)
{
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, xml_quiet);         /* this thread */
	xmlThrDefSetGenericErrorFunc(NULL, xml_quiet);   /* threads started later: the workers */
	return ssh_session_global_init();
}

void netconf_global_cleanup(void)
{
	ssh_session_global_cleanup();
}

/* ------------------------------------------------------------ framing */

/* Appends n bytes to a growable, NUL-terminated buffer; -1 above the cap or OOM. */
static int nc_append(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
	size_t c = *cap ? *cap : 16384;

	if (n > NETCONF_REPLY_MAX || *len > NETCONF_REPLY_MAX - n)
		return -1;
	if (*len + n + 1 > *cap) {
		char *q;

		while (c < *len + n + 1)
			c *= 2;
		q = realloc(*buf, c);
		if (!q)
			return -1;
		*buf = q;
		*cap = c;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

int netconf_framer_add(struct netconf_framer *f, const char *p, size_t n)
{
	return nc_append(&f->rx, &f->rx_len, &f->rx_cap, p, n);
}

static int nc_msg_add(struct netconf_framer *f, const char *p, size_t n)
{
	return nc_append(&f->msg, &f->msg_len, &f->msg_cap, p, n);
}

static void nc_consume(struct netconf_framer *f, size_t n)
{
	memmove(f->rx, f->rx + n, f->rx_len - n);
	f->rx_len -= n;
	if (f->rx)
		f->rx[f->rx_len] = '\0';
}

/* memmem() needs _GNU_SOURCE, which src/sched.h (shadowing <sched.h>) breaks. */
static const char *nc_find_eom(const char *p, size_t n)
{
	size_t i = 0;

	while (p && n >= 6 && i <= n - 6) {
		const char *q = memchr(p + i, ']', n - 5 - i); /* q + 6 <= p + n */

		if (!q)
			return NULL;
		if (memcmp(q, NC_EOM, 6) == 0)
			return q;
		i = (size_t)(q - p) + 1;
	}
	return NULL;
}

/* Chunked framing (RFC 6242 4.2): 1 message complete in f->msg, 0 need more, -1 bad. */
static int nc_parse_chunks(struct netconf_framer *f)
{
	for (;;) {
		const char *p = f->rx + f->cpos;
		size_t avail = f->rx_len - f->cpos, i;
		uint64_t size = 0;

		if (avail < 4)
			return 0;
		if (p[0] != '\n' || p[1] != '#')
			return -1;
		if (p[2] == '#') {
			/* RFC 6242 4.2: a message has at least one chunk. */
			if (p[3] != '\n' || f->msg_len == 0)
				return -1;
			f->cpos += 4;
			return 1;
		}
		for (i = 2; i < avail && p[i] >= '0' && p[i] <= '9' && i < 13; i++)
			size = size * 10 + (uint64_t)(p[i] - '0');
		if (i == avail)
			return 0;
		if (i == 2 || p[i] != '\n' || p[2] == '0' || size > 4294967295u)
			return -1;
		i++;
		if (avail - i < size)
			return 0;
		if (nc_msg_add(f, p + i, (size_t)size) < 0)
			return -2;
		f->cpos += i + (size_t)size;
	}
}

int netconf_framer_next(struct netconf_framer *f, int chunked, char *err, size_t errlen)
{
	if (!chunked) {
		const char *end = nc_find_eom(f->rx, f->rx_len);
		size_t n;

		if (!end)
			return 0;
		n = (size_t)(end - f->rx);
		f->msg_len = 0;
		if (nc_msg_add(f, f->rx, n) < 0) {
			snprintf(err, errlen, "larger than %u MiB", NETCONF_REPLY_MAX >> 20);
			return -1;
		}
		nc_consume(f, n + 6);
		return 1;
	}
	if (f->cpos == 0)
		f->msg_len = 0; /* a new message starts */
	switch (nc_parse_chunks(f)) {
	case 0:
		return 0;
	case 1:
		nc_consume(f, f->cpos);
		f->cpos = 0;
		return 1;
	case -2:
		snprintf(err, errlen, "larger than %u MiB", NETCONF_REPLY_MAX >> 20);
		return -1;
	default:
		snprintf(err, errlen, "bad chunked framing");
		return -1;
	}
}

void netconf_framer_free(struct netconf_framer *f)
{
	free(f->rx);
	free(f->msg);
	memset(f, 0, sizeof(*f));
}

static int nc_send(struct netconf *nc, const char *xml, int chunked)
{
	size_t n = strlen(xml);
	char hdr[32];

	if (!chunked)
		return ssh_session_write(nc->ss, xml, n) < 0 ||
				       ssh_session_write(nc->ss, NC_EOM, 6) < 0
			       ? -1 : 0;
	snprintf(hdr, sizeof(hdr), "\n#%zu\n", n);
	return ssh_session_write(nc->ss, hdr, strlen(hdr)) < 0 ||
			       ssh_session_write(nc->ss, xml, n) < 0 ||
			       ssh_session_write(nc->ss, "\n##\n", 4) < 0
		       ? -1 : 0;
}

/* Reads one message into nc->f.msg (NUL-terminated). */
static int nc_recv(struct netconf *nc, int chunked)
{
	char tmp[32768], err[64];

	for (;;) {
		size_t got = 0;
		int rc = netconf_framer_next(&nc->f, chunked, err, sizeof(err));

		if (rc > 0)
			return 0;
		if (rc < 0)
			return ssh_session_fail(nc->ss, CONN_UP, "malformed reply: %s", err);
		if (nc->eof) {
			size_t have = nc->f.rx_len + nc->f.msg_len;

			if (have == 0)
				return ssh_session_fail(nc->ss, CONN_UP, "malformed reply: device closed "
							"the session without answering (%s)",
							ssh_session_get_stage(nc->ss));
			return ssh_session_fail(nc->ss, CONN_UP, "malformed reply: truncated, session "
						"closed after %zu bytes", have);
		}
		rc = ssh_session_read(nc->ss, tmp, sizeof(tmp), &got);
		if (rc < 0)
			return -1;
		if (rc > 0)
			nc->eof = 1;
		if (got && netconf_framer_add(&nc->f, tmp, got) < 0)
			return ssh_session_fail(nc->ss, CONN_UP, "malformed reply: larger than %u MiB",
						NETCONF_REPLY_MAX >> 20);
	}
}

/* ------------------------------------------------------------ XML */

static int nc_ns_is(const xmlNode *n, const char *ns)
{
	const xmlChar *href = n->ns ? n->ns->href : NULL;

	if (!ns)
		return 1;
	if (!href)
		return strcmp(ns, NETCONF_NS) == 0;
	return xmlStrcmp(href, BAD_CAST ns) == 0;
}

int netconf_is(const xmlNode *n, const char *ns, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, BAD_CAST name) == 0 &&
	       nc_ns_is(n, ns);
}

xmlNode *netconf_child(xmlNode *n, const char *ns, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (netconf_is(c, ns, name))
			return c;
	return NULL;
}

xmlNode *netconf_next(xmlNode *n, const xmlNode *top)
{
	xmlNode *c;

	if (!n)
		return NULL;
	/* Down first, then along, then up and along: depth costs no stack. */
	for (c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return c;
	while (n && n != top) {
		for (c = n->next; c; c = c->next)
			if (c->type == XML_ELEMENT_NODE)
				return c;
		n = n->parent;
	}
	return NULL;
}

xmlNode *netconf_find(xmlNode *top, const char *ns, const char *name)
{
	for (xmlNode *n = netconf_next(top, top); n; n = netconf_next(n, top))
		if (netconf_is(n, ns, name))
			return n;
	return NULL;
}

void netconf_text_line(const xmlNode *n, char *out, size_t outlen)
{
	xmlChar *t = n ? xmlNodeGetContent(n) : NULL;
	size_t o = 0;
	int space = 0;

	if (outlen == 0)
		return;
	for (const xmlChar *p = t; p && *p && o + 1 < outlen; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < outlen)
			out[o++] = ' ';
		space = 0;
		out[o++] = (char)*p;
	}
	out[o] = '\0';
	xmlFree(t);
}

xmlDoc *netconf_parse(const char *xml, size_t len, char *err, size_t errlen)
{
	xmlParserCtxt *ctxt;
	xmlDoc *doc;

	if (len > (size_t)INT32_MAX) {
		snprintf(err, errlen, "too large");
		return NULL;
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* No network, no entity substitution, no DTD loading: the device is not
	 * trusted. No XML_PARSE_HUGE: libxml2's depth and size limits stay. */
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "reply.xml", NULL,
			       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		char msg[96] = "not well-formed XML";

		if (e && e->message && strstr(e->message, "Excessive depth")) {
			snprintf(err, errlen, "line %d: nested too deeply (more than %d levels)",
				 e->line, NETCONF_MAX_DEPTH);
		} else {
			if (e && e->message) {
				snprintf(msg, sizeof(msg), "%s", e->message);
				msg[strcspn(msg, "\n")] = '\0';
			}
			snprintf(err, errlen, "line %d: %s", e ? e->line : 0, msg);
		}
	} else if (doc->intSubset || doc->extSubset) {
		/* NETCONF has no DTDs; one in a reply is an entity-expansion attempt. */
		snprintf(err, errlen, "DOCTYPE not allowed");
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
}

int netconf_rpc_error(xmlDoc *reply, char *tag, size_t taglen, char *msg, size_t msglen)
{
	xmlNode *root = xmlDocGetRootElement(reply);

	for (xmlNode *n = root ? root->children : NULL; n; n = n->next) {
		char sev[32];

		if (!netconf_is(n, NETCONF_NS, "rpc-error"))
			continue;
		netconf_text_line(netconf_child(n, NETCONF_NS, "error-severity"), sev, sizeof(sev));
		/* An rpc-error of severity warning comes along with data: not a failure. */
		if (strcmp(sev, "warning") == 0)
			continue;
		netconf_text_line(netconf_child(n, NETCONF_NS, "error-tag"), tag, taglen);
		netconf_text_line(netconf_child(n, NETCONF_NS, "error-message"), msg, msglen);
		return 1;
	}
	return 0;
}

/* The base URIs: RFC 6241's, and the pre-RFC one Junos 9.x offers alone. */
static int nc_is_base10(const char *cap)
{
	return strcmp(cap, NC_BASE10) == 0 || strcmp(cap, NETCONF_NS) == 0;
}

int netconf_parse_hello(const char *xml, size_t len, int *base11, char **caps, char *err,
			size_t errlen)
{
	xmlDoc *doc = netconf_parse(xml, len, err, errlen);
	xmlNode *root, *cl;
	xmlBuffer *list = NULL;
	int base10 = 0, rc = -1;

	*base11 = 0;
	if (caps)
		*caps = NULL;
	if (!doc)
		return -1;
	root = xmlDocGetRootElement(doc);
	if (!netconf_is(root, NETCONF_NS, "hello") ||
	    !(cl = netconf_child(root, NETCONF_NS, "capabilities"))) {
		snprintf(err, errlen, "not a NETCONF <hello>");
		goto out;
	}
	list = xmlBufferCreate();
	for (xmlNode *c = cl->children; c; c = c->next) {
		char cap[512];

		if (!netconf_is(c, NETCONF_NS, "capability"))
			continue;
		netconf_text_line(c, cap, sizeof(cap));
		if (nc_is_base10(cap))
			base10 = 1;
		else if (strcmp(cap, NC_BASE11) == 0)
			*base11 = 1;
		if (list) {
			xmlBufferCCat(list, cap);
			xmlBufferCCat(list, "\n");
		}
	}
	if (!base10 && !*base11) {
		snprintf(err, errlen, "<hello> offers neither base:1.0 nor base:1.1");
		goto out;
	}
	if (caps && list && !(*caps = strdup((const char *)xmlBufferContent(list)))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	if (list)
		xmlBufferFree(list);
	xmlFreeDoc(doc);
	return rc;
}

/* ------------------------------------------------------------ session */

struct netconf *netconf_open(struct fetch_request *req, struct session_status *st)
{
	struct netconf *nc;
	char err[RS_REASON_MAX];

	nc = calloc(1, sizeof(*nc));
	if (!nc) {
		session_status_fail(st, CONN_UNKNOWN, "out of memory");
		return NULL;
	}
	nc->ss = ssh_session_open(req, st);
	if (!nc->ss || ssh_session_subsystem(nc->ss, "netconf") < 0)
		goto fail;
	ssh_session_stage(nc->ss, "NETCONF hello");
	if (nc_send(nc, nc_hello, 0) < 0 || nc_recv(nc, 0) < 0)
		goto fail;
	if (netconf_parse_hello(nc->f.msg, nc->f.msg_len, &nc->base11, &nc->caps, err,
				sizeof(err)) < 0) {
		ssh_session_fail(nc->ss, CONN_UP, "malformed reply: hello: %s", err);
		goto fail;
	}
	/* yuma123's netconfd (2.13, Debian 12) loses a request that reaches it
	 * while it is still taking the client's hello (the session then waits
	 * for a reply that never comes): give it a moment first. */
	if (nc->caps && strstr(nc->caps, "http://netconfcentral.org/ns/yuma"))
		usleep(NC_YUMA_HELLO_PAUSE_US);
	return nc;
fail:
	ssh_session_close(nc->ss);
	nc->ss = NULL;
	netconf_close(nc);
	return NULL;
}

/* The operation's element name, for the stage ("reply to <lock>"). */
static void nc_op_name(const char *op, char *out, size_t outlen)
{
	size_t n = 0;

	op += strspn(op, " \t\r\n<");
	while (op[n] && !strchr(" \t\r\n/>", op[n]))
		n++;
	snprintf(out, outlen, "reply to <%.*s>", (int)n, op);
}

enum netconf_rc netconf_rpc(struct netconf *nc, const char *op, xmlDoc **reply, char *err,
			    size_t errlen)
{
	char head[128], stage[80], perr[160], tag[64];
	size_t olen = strlen(op), hlen;
	char *rpc;
	xmlNode *root;
	xmlDoc *doc;
	int rc;

	*reply = NULL;
	nc_op_name(op, stage, sizeof(stage));
	ssh_session_stage(nc->ss, stage);
	hlen = (size_t)snprintf(head, sizeof(head), "<rpc xmlns=\"%s\" message-id=\"%u\">",
				NETCONF_NS, ++nc->msgid);
	rpc = malloc(hlen + olen + 7);
	if (!rpc) {
		ssh_session_fail(nc->ss, CONN_UP, "out of memory");
		goto failed;
	}
	memcpy(rpc, head, hlen);
	memcpy(rpc + hlen, op, olen);
	memcpy(rpc + hlen + olen, "</rpc>", 7);
	rc = nc_send(nc, rpc, nc->base11) < 0 || nc_recv(nc, nc->base11) < 0 ? -1 : 0;
	free(rpc);
	if (rc < 0)
		goto failed;
	doc = netconf_parse(nc->f.msg, nc->f.msg_len, perr, sizeof(perr));
	if (!doc) {
		ssh_session_fail(nc->ss, CONN_UP, "malformed reply: %s", perr);
		goto failed;
	}
	root = xmlDocGetRootElement(doc);
	if (!netconf_is(root, NETCONF_NS, "rpc-reply")) {
		ssh_session_fail(nc->ss, CONN_UP, "malformed reply: <%s> instead of <rpc-reply>",
				 root ? (const char *)root->name : "nothing");
		xmlFreeDoc(doc);
		goto failed;
	}
	*reply = doc;
	if (netconf_rpc_error(doc, tag, sizeof(tag), perr, sizeof(perr))) {
		snprintf(err, errlen, "%s", perr[0] ? perr : tag[0] ? tag : "(no message)");
		return NETCONF_RPC_ERROR;
	}
	return NETCONF_OK;
failed:
	snprintf(err, errlen, "%s", ssh_session_status(nc->ss)->reason);
	return NETCONF_FAILED;
}

void netconf_close(struct netconf *nc)
{
	if (!nc)
		return;
	if (nc->ss && !ssh_session_stopped(nc->ss)) {
		char rpc[160];

		/* Polite end; the reply is not waited for. */
		snprintf(rpc, sizeof(rpc), "<rpc xmlns=\"%s\" message-id=\"%u\"><close-session/></rpc>",
			 NETCONF_NS, ++nc->msgid);
		nc_send(nc, rpc, nc->base11);
	}
	ssh_session_close(nc->ss);
	netconf_framer_free(&nc->f);
	free(nc->caps);
	free(nc);
}

/* ------------------------------------------------------------ capabilities */

/* Calls fn for each capability URI (a line of caps) until it returns 1. */
static int nc_any_cap(const struct netconf *nc, int (*fn)(const char *cap, size_t n, const char *arg),
		      const char *arg)
{
	for (const char *p = nc ? nc->caps : NULL; p && *p;) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (fn(p, n, arg))
			return 1;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

static int nc_cap_is(const char *cap, size_t n, const char *uri)
{
	size_t u = strlen(uri);

	return n >= u && strncmp(cap, uri, u) == 0 && (n == u || cap[u] == '?');
}

static int nc_cap_junos(const char *cap, size_t n, const char *unused)
{
	(void)unused;
	return n > 23 && strncmp(cap, "http://xml.juniper.net/", 23) == 0;
}

int netconf_has_capability(const struct netconf *nc, const char *uri)
{
	return nc_any_cap(nc, nc_cap_is, uri);
}

int netconf_has_candidate(const struct netconf *nc)
{
	return netconf_has_capability(nc, NETCONF_CAP_CANDIDATE);
}

int netconf_has_confirmed_commit(const struct netconf *nc)
{
	return netconf_has_capability(nc, NETCONF_CAP_CONFIRMED_COMMIT ":1.0") ||
	       netconf_has_capability(nc, NETCONF_CAP_CONFIRMED_COMMIT ":1.1");
}

int netconf_is_junos(const struct netconf *nc)
{
	return nc_any_cap(nc, nc_cap_junos, NULL);
}

int netconf_base11(const struct netconf *nc)
{
	return nc && nc->base11;
}

struct ssh_session *netconf_ssh(struct netconf *nc)
{
	return nc ? nc->ss : NULL;
}
