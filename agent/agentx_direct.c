/* agentx_direct.c: answers the AgentX master's GETNEXT requests for the
 * device and job tables as they come off the socket, before net-snmp sees
 * them.
 *
 * Why: snmpd forwards a bulk walk to its subagent one GETNEXT per value, so
 * the subagent's cost per request is its share of every walk. net-snmp's
 * subagent spends about 30,000 instructions and three loop trips on one:
 * it parses the PDU, clones it onto an internal callback transport, runs
 * the agent's request machinery on the next trip, clones the response and
 * sends it on a third. Here a GETNEXT whose every search range starts inside
 * one of these tables, excludes its start, and has its answer inside that
 * table and inside the range is decoded, answered from the model
 * (mib_u32_table_getnext, the code the registered handlers run) and encoded
 * in place (agentx_wire.c): about 2,000 instructions, no allocation.
 *
 * Everything else goes to net-snmp unchanged: SETs, GETs, other subtrees,
 * the end of a table (the next subtree is net-snmp's to find), "include"
 * ranges, a non-default context, the master's own responses, and the end
 * of the connection.
 *
 * How the two share one stream socket: every byte is read into rx_buf, and
 * net-snmp's transport receive (direct_recv) is served from there. A packet
 * is either answered here whole, or handed to net-snmp from its first byte;
 * rx tracks the packet boundaries of what net-snmp was given, so the fast
 * path only ever starts at a boundary. */
#include "mib.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include "agentx_direct.h"
#include "agentx_wire.h"
#include "loop.h"

#define RX_CAP 65536    /* a GETNEXT is ~100 bytes; bigger packets pass through */
#define MAX_RANGES 16   /* search ranges in one GETNEXT answered here */
#define TX_CAP 16384

static const struct mib_u32_table *const tables[] = { &mib_device_table, &mib_job_table, &mib_incident_table };
static const oid unix_domain[] = { 1, 3, 6, 1, 2, 1, 100, 1, 13 }; /* transportDomainLocal */

static uint8_t rx_buf[RX_CAP];
static struct {
	netsnmp_session *s; /* the session fronted; NULL: none */
	netsnmp_session *declined; /* a session left to net-snmp (not a Unix socket) */
	int sock;
	size_t off, len;    /* rx_buf[off..len): received, not yet consumed */
	bool eof;           /* the connection ended (recv gave 0 or an error) */
	bool closed;        /* ... and net-snmp was told so */
	/* Framing of what net-snmp was handed: the header bytes of a packet it
	 * has part of, and the payload bytes still owed to it. */
	uint8_t hdr[AGENTX_HEADER_LEN];
	size_t hdr_have, body_left;
	bool lost;          /* a header that is not AgentX: framing unknown */
} rx;

/* The table whose OID prefixes name, or NULL. */
static const struct mib_u32_table *direct_table(const oid *name, size_t len)
{
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		const struct mib_u32_table *t = tables[i];
		if (len >= t->oid_len && memcmp(name, t->oid, t->oid_len * sizeof(oid)) == 0)
			return t;
	}
	return NULL;
}

/* The next value after range r's start, into out. False if net-snmp has to
 * answer: not one of these tables, an including range, past the table's end
 * or past the range's end. */
static bool direct_next(const struct agentx_range *r, struct agentx_out *out)
{
	const struct mib_u32_table *t = direct_table(r->start.sub, r->start.len);
	if (!t || r->start.include)
		return false;
	netsnmp_variable_list vb = { 0 };
	if (snmp_set_var_objid(&vb, r->start.sub, r->start.len) != 0)
		return false;
	netsnmp_request_info req = { .requestvb = &vb };
	mib_u32_table_getnext(&req, &mib_loop->model, t);
	bool ok = vb.type != ASN_NULL &&
		  (agentx_wire_oid_is_null(&r->end) || snmp_oid_compare(vb.name, vb.name_length, r->end.sub, r->end.len) < 0) &&
		  agentx_wire_varbind(out, &vb);
	snmp_free_var_internals(&vb);
	return ok;
}

/* Sends all of p. The socket may be non-blocking: a full send buffer is
 * waited out (a second at most; the master reads as it goes). */
static bool send_all(int sock, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = send(sock, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { .fd = sock, .events = POLLOUT };
			if (poll(&pfd, 1, 1000) == 1)
				continue;
		}
		if (k <= 0)
			return false;
		p += k;
		n -= (size_t)k;
	}
	return true;
}

/* Answers the packet pkt (len bytes, whole) if it is a GETNEXT this file
 * answers. False: net-snmp's. */
static bool direct_answer(const uint8_t *pkt, size_t len)
{
	static struct agentx_range ranges[MAX_RANGES];
	static uint8_t tx[TX_CAP];
	struct agentx_header h;
	if (!mib_loop || agentx_wire_header(pkt, &h) != len || h.type != AGENTX_PDU_GETNEXT)
		return false;
	int n = agentx_wire_getnext(&h, pkt + AGENTX_HEADER_LEN, ranges, MAX_RANGES);
	if (n <= 0)
		return false;
	struct agentx_out out;
	agentx_wire_response_begin(&out, tx, sizeof(tx), &h, (uint32_t)netsnmp_get_agent_uptime());
	for (int i = 0; i < n; i++)
		if (!direct_next(&ranges[i], &out))
			return false;
	size_t txlen = agentx_wire_response_end(&out);
	if (!txlen)
		return false;
	/* A failed send means the master went away; net-snmp learns it from
	 * its next read of the socket. */
	if (!send_all(rx.sock, tx, txlen))
		rx.eof = true;
	return true;
}

/* Notes that net-snmp was handed p[0..n): moves the framing along. */
static void handed(const uint8_t *p, size_t n)
{
	while (n > 0 && !rx.lost) {
		if (rx.body_left > 0) {
			size_t k = n < rx.body_left ? n : rx.body_left;
			rx.body_left -= k;
			p += k;
			n -= k;
			continue;
		}
		size_t k = AGENTX_HEADER_LEN - rx.hdr_have;
		k = n < k ? n : k;
		memcpy(rx.hdr + rx.hdr_have, p, k);
		rx.hdr_have += k;
		p += k;
		n -= k;
		if (rx.hdr_have == AGENTX_HEADER_LEN) {
			struct agentx_header h;
			size_t plen = agentx_wire_header(rx.hdr, &h);
			rx.lost = plen == 0;
			rx.body_left = plen ? plen - AGENTX_HEADER_LEN : 0;
			rx.hdr_have = 0;
		}
	}
}

static bool at_boundary(void)
{
	return !rx.lost && rx.hdr_have == 0 && rx.body_left == 0;
}

/* One non-blocking recv into p. The end of the connection (0, or an
 * error other than "nothing yet") sets rx.eof. */
static ssize_t recv_some(void *p, size_t n)
{
	ssize_t k;
	do
		k = recv(rx.sock, p, n, MSG_DONTWAIT);
	while (k < 0 && errno == EINTR);
	if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
		rx.eof = true;
	return k;
}

/* Reads what the socket has into rx_buf. */
static void fill(void)
{
	if (rx.off > 0) {
		memmove(rx_buf, rx_buf + rx.off, rx.len - rx.off);
		rx.len -= rx.off;
		rx.off = 0;
	}
	if (rx.eof || rx.len == RX_CAP)
		return;
	ssize_t n = recv_some(rx_buf + rx.len, RX_CAP - rx.len);
	if (n > 0)
		rx.len += (size_t)n;
}

/* The number of bytes net-snmp may take from rx_buf now: what is there,
 * but not past the end of the packet it is reading, so that the next
 * packet can still be answered here. */
static size_t handable(size_t size)
{
	size_t n = rx.len - rx.off;
	if (n > size)
		n = size;
	if (rx.lost)
		return n;
	size_t to_end = rx.body_left;
	struct agentx_header h;
	if (at_boundary() && rx.len - rx.off >= AGENTX_HEADER_LEN)
		to_end = agentx_wire_header(rx_buf + rx.off, &h);
	return to_end && n > to_end ? to_end : n;
}

/* net-snmp's transport receive for the fronted session: the bytes in
 * rx_buf first; with none there, the socket itself, straight into
 * net-snmp's buffer. The latter is how net-snmp reads on its own (waiting
 * for the answer to a ping or a registration): bytes read on its behalf
 * must all be its, or a packet left in rx_buf would sit unseen by the
 * select() it waits in. 0 tells net-snmp the connection ended. */
static int direct_recv(netsnmp_transport *t, void *buf, int size, void **opaque, int *olength)
{
	(void)t;
	*opaque = NULL;
	*olength = 0;
	if (rx.off == rx.len && !rx.eof) {
		ssize_t n = recv_some(buf, size > 0 ? (size_t)size : 0);
		if (n > 0) {
			handed(buf, (size_t)n);
			return (int)n;
		}
		if (!rx.eof)
			return -1; /* nothing yet, as net-snmp's own receive says */
	}
	size_t n = handable(size > 0 ? (size_t)size : 0);
	if (n == 0) {
		rx.closed = true; /* net-snmp closes the session now */
		return 0;
	}
	memcpy(buf, rx_buf + rx.off, n);
	handed(rx_buf + rx.off, n);
	rx.off += n;
	return (int)n;
}

bool agentx_direct_owns(int fd)
{
	return rx.s && !rx.closed && fd == rx.sock;
}

/* Reads the socket and answers the GETNEXTs it can. True when net-snmp
 * must read now: a packet that is its own, or the end of the connection. */
static bool direct_read(void)
{
	if (!rx.s || rx.closed)
		return false;
	fill();
	while (at_boundary()) {
		size_t avail = rx.len - rx.off;
		struct agentx_header h;
		size_t plen = avail >= AGENTX_HEADER_LEN ? agentx_wire_header(rx_buf + rx.off, &h) : 0;
		if (avail < AGENTX_HEADER_LEN || (plen && plen <= RX_CAP && avail < plen))
			return rx.eof; /* the rest is still to come */
		if (!plen || plen > RX_CAP || !direct_answer(rx_buf + rx.off, plen))
			return true;   /* net-snmp's: not AgentX, too big to hold, or not ours */
		rx.off += plen;
	}
	return true; /* net-snmp has a packet partway */
}

bool agentx_direct_serve(netsnmp_large_fd_set *readset)
{
	bool net_snmp_read = false;
	/* direct_read is true only with bytes or the end for net-snmp to take,
	 * so every snmp_read2 makes progress. */
	while (direct_read()) {
		snmp_read2(readset);
		net_snmp_read = true;
	}
	return net_snmp_read;
}

void agentx_direct_attach(netsnmp_session *s)
{
	if (s && s == rx.declined)
		return;
	netsnmp_transport *t = s ? snmp_sess_transport(snmp_sess_pointer(s)) : NULL;
	/* A new session may reuse a closed one's address: the transport's
	 * receive tells whether this one is fronted already. */
	if (s == rx.s && (!s || (t && t->f_recv == direct_recv)))
		return;
	rx = (typeof(rx)){ .sock = -1, .declined = s };
	if (!s)
		return;
	if (!t || !t->f_recv || !t->domain ||
	    netsnmp_oid_equals(t->domain, t->domain_length, unix_domain, OID_LENGTH(unix_domain)) != 0)
		return; /* only the Unix-socket session (AgentX over TCP stays net-snmp's) */
	t->f_recv = direct_recv;
	rx.declined = NULL;
	rx.s = s;
	rx.sock = t->sock;
}
