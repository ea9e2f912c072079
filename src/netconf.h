/* netconf.h: a NETCONF session over ssh_session — framing (RFC 6242 end-of-
 * message for base:1.0, chunked for base:1.1), the hello exchange, the peer's
 * capabilities, and one call, netconf_rpc(), that every operation (fetch,
 * deploy, data capture) is written over.
 *
 * Replies are parsed by libxml2 with its default limits (no XML_PARSE_HUGE:
 * at most 256 levels of nesting, 10 MB per text node) and walked without
 * recursion, so a hostile reply fails its job and cannot overflow a worker's
 * stack. Elements are matched by namespace and local name, never by prefix. */
#ifndef RESYNCD_NETCONF_H
#define RESYNCD_NETCONF_H

#include <stddef.h>

#include <libxml/tree.h>

#include "ssh_session.h"

#define NETCONF_NS "urn:ietf:params:xml:ns:netconf:base:1.0"
#define NETCONF_MAX_DEPTH 256           /* libxml2's own limit without XML_PARSE_HUGE */
#define NETCONF_REPLY_MAX (64u << 20)   /* refuse messages above 64 MiB */

/* Capabilities asked about by name. */
#define NETCONF_CAP_CANDIDATE "urn:ietf:params:netconf:capability:candidate:1.0"
#define NETCONF_CAP_CONFIRMED_COMMIT "urn:ietf:params:netconf:capability:confirmed-commit"

struct netconf;

/* libssh2 and libxml2 global state: once, before worker threads start. */
int netconf_global_init(void);
void netconf_global_cleanup(void);

/* Connects (ssh_session_open), starts the netconf subsystem and exchanges
 * hellos. req must outlive the session; st receives the first failure, now or
 * in any later call. NULL on failure (st says why). */
struct netconf *netconf_open(struct fetch_request *req, struct session_status *st);

/* Outcome of netconf_rpc(). */
enum netconf_rc {
	NETCONF_FAILED = -1,    /* transport, timeout, cancel, malformed reply: err (and the
	                           status) say why; the session is not usable any more */
	NETCONF_OK = 0,         /* *reply is the <rpc-reply> (no error of severity error) */
	NETCONF_RPC_ERROR = 1,  /* the device refused: err holds its error-message (or
	                           error-tag); *reply is set too, for netconf_rpc_error() */
};

/* Sends <rpc message-id=N>op</rpc> (op: one operation element, e.g.
 * "<lock><target><candidate/></target></lock>") and waits for the reply.
 * On OK and RPC_ERROR the caller frees *reply with xmlFreeDoc(). An RPC_ERROR
 * is not recorded in the status: the caller decides whether it fails the job. */
enum netconf_rc netconf_rpc(struct netconf *nc, const char *op, xmlDoc **reply, char *err,
			    size_t errlen);

/* Closes politely (<close-session/>, not waited for) unless the session was
 * cancelled or timed out, then closes the SSH session. NULL is fine. */
void netconf_close(struct netconf *nc);

/* Capabilities from the peer's hello. has_capability matches the URI up to
 * its parameters ("?module=..."); a NULL nc has none. */
int netconf_has_capability(const struct netconf *nc, const char *uri);
int netconf_has_candidate(const struct netconf *nc);
int netconf_has_confirmed_commit(const struct netconf *nc);   /* :1.0 or :1.1 */
int netconf_is_junos(const struct netconf *nc);                /* a Junos capability */
int netconf_base11(const struct netconf *nc);                  /* chunked framing in use */

/* The underlying SSH session (stage names, the status, fail()). */
struct ssh_session *netconf_ssh(struct netconf *nc);

/* ---- reply helpers (pure; also used by the operations and the tests) ---- */

/* Parses one message. NULL on failure with err saying why ("nested deeper
 * than 256 elements", "line 3: ...", "DOCTYPE not allowed"). */
xmlDoc *netconf_parse(const char *xml, size_t len, char *err, size_t errlen);

/* 1 if n is an element named name in namespace ns. ns NETCONF_NS also accepts
 * no namespace (some servers omit it); ns NULL accepts any namespace. */
int netconf_is(const xmlNode *n, const char *ns, const char *name);
/* First child element of n matching (ns, name), or NULL. */
xmlNode *netconf_child(xmlNode *n, const char *ns, const char *name);
/* The element after n in document order within top's subtree (n's children
 * first), or NULL: walks any depth without recursion. */
xmlNode *netconf_next(xmlNode *n, const xmlNode *top);
/* First element in top's subtree (top excluded) matching (ns, name). */
xmlNode *netconf_find(xmlNode *top, const char *ns, const char *name);
/* An element's text, whitespace runs collapsed to one space, trimmed. */
void netconf_text_line(const xmlNode *n, char *out, size_t outlen);

/* If reply (an <rpc-reply>) holds an <rpc-error> of severity error (warnings
 * are not failures): 1, with its error-tag and error-message; else 0. */
int netconf_rpc_error(xmlDoc *reply, char *tag, size_t taglen, char *msg, size_t msglen);

/* Parses a <hello>: 0 ok (*base11 set when the peer offers base:1.1), -1
 * malformed (why in err). caps (may be NULL) receives the capability URIs,
 * one per line, malloc'd. */
int netconf_parse_hello(const char *xml, size_t len, int *base11, char **caps, char *err,
			size_t errlen);

/* ---- framing (pure; exposed for the fuzz target and tests) ---- */

/* A receive buffer and the framing state of one direction. */
struct netconf_framer {
	char *rx;             /* bytes read, not yet consumed */
	size_t rx_len, rx_cap;
	size_t cpos;          /* chunked framing: parse position in rx */
	char *msg;            /* the message being assembled (NUL-terminated) */
	size_t msg_len, msg_cap;
};

/* Appends received bytes: 0 ok, -1 above NETCONF_REPLY_MAX or out of memory. */
int netconf_framer_add(struct netconf_framer *f, const char *p, size_t n);
/* Takes one message out of the buffer into f->msg: 1 one there, 0 need more
 * bytes, -1 bad framing (why in err). chunked: RFC 6242 4.2, else "]]>]]>". */
int netconf_framer_next(struct netconf_framer *f, int chunked, char *err, size_t errlen);
void netconf_framer_free(struct netconf_framer *f);

#endif
