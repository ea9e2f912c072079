/* test_agentx_wire.c: the AgentX fast path, with net-snmp's own AgentX
 * encoder and parser as the reference.
 * - agentx_wire: a GetNext that net-snmp encodes reads back as the same
 *   search ranges; a Response that agentx_wire encodes is byte for byte the
 *   one net-snmp encodes, in both byte orders, for every value type the
 *   tables use; malformed input is refused.
 * - agentx_direct: a net-snmp AgentX session over a socketpair, fronted as
 *   resyncd fronts the real one. Table GETNEXTs are answered on the socket,
 *   also when they arrive in pieces; every other packet, and the end of the
 *   connection, reaches net-snmp's callback in order. */
#include "testutil.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agentx_direct.h"
#include "agentx_wire.h"
#include "loop.h"
#include "mib.h"
#include "oids.h"

/* net-snmp's AgentX codec (agent/mibgroup/agentx/protocol.h, not installed). */
int agentx_realloc_build(netsnmp_session *s, netsnmp_pdu *pdu, u_char **buf, size_t *buf_len, size_t *out_len);
int agentx_parse(netsnmp_session *s, netsnmp_pdu *pdu, u_char *data, size_t len);
int agentx_check_packet(u_char *packet, size_t len);

#define AGENTX_VERSION_1 193 /* net-snmp's session/PDU version for AgentX */
#define AGENTX_MSG_GET 5

static netsnmp_session codec_session = { .version = AGENTX_VERSION_1 };

/* net-snmp's encoding of pdu; caller frees. */
static u_char *build(netsnmp_pdu *pdu, size_t *len)
{
	size_t cap = 256;
	u_char *buf = malloc(cap);
	*len = 0;
	assert_int_equal(agentx_realloc_build(&codec_session, pdu, &buf, &cap, len), 0);
	return buf;
}

static netsnmp_pdu *pdu_new(int command, u_char flags)
{
	netsnmp_pdu *pdu = snmp_pdu_create(command);
	pdu->version = AGENTX_VERSION_1;
	pdu->flags = flags;
	pdu->sessid = 0x01020304;
	pdu->transid = 77;
	pdu->reqid = 0x0a0b0c0d;
	return pdu;
}

/* Adds the search range [start, end) (end_len 0: unbounded) to a GetNext. */
static void add_range(netsnmp_pdu *pdu, const oid *start, size_t slen, bool include, const oid *end,
		      size_t elen)
{
	netsnmp_variable_list *vb = snmp_add_null_var(pdu, start, slen);
	if (elen)
		snmp_set_var_typed_value(vb, ASN_OBJECT_ID, end, elen * sizeof(oid));
	vb->type = include ? ASN_PRIV_INCL_RANGE : ASN_PRIV_EXCL_RANGE;
}

static netsnmp_pdu *getnext_pdu(u_char flags, const oid *start, size_t slen)
{
	netsnmp_pdu *pdu = pdu_new(AGENTX_PDU_GETNEXT, flags);
	add_range(pdu, start, slen, false, NULL, 0);
	return pdu;
}

static void check_getnext_parse(u_char flags)
{
	static const oid a[] = { RESYNCD_DEVICE_TABLE_OID, 1, 2 };
	static const oid b[] = { 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 7343, 1, 4, 1, 1, 42 };
	static const oid c[] = { 2, 5, 4000000000u }; /* no internet prefix */
	netsnmp_pdu *pdu = pdu_new(AGENTX_PDU_GETNEXT, flags);
	add_range(pdu, a, OID_LENGTH(a), false, NULL, 0);
	add_range(pdu, b, OID_LENGTH(b), true, a, OID_LENGTH(a));
	add_range(pdu, c, OID_LENGTH(c), false, b, OID_LENGTH(b));
	static const oid zero_zero[] = { 0, 0 };
	add_range(pdu, a, OID_LENGTH(a), false, zero_zero, 2);
	size_t len;
	u_char *buf = build(pdu, &len);

	struct agentx_header h;
	assert_int_equal(agentx_wire_header(buf, &h), len);
	assert_int_equal(h.type, AGENTX_PDU_GETNEXT);
	assert_int_equal(h.sessid, 0x01020304);
	assert_int_equal(h.transid, 77);
	assert_int_equal(h.packetid, 0x0a0b0c0d);
	static struct agentx_range r[4];
	assert_int_equal(agentx_wire_getnext(&h, buf + AGENTX_HEADER_LEN, r, 4), 4);
	assert_int_equal(r[0].start.len, OID_LENGTH(a));
	assert_memory_equal(r[0].start.sub, a, sizeof(a));
	assert_false(r[0].start.include);
	assert_int_equal(r[0].end.len, 0);
	assert_memory_equal(r[1].start.sub, b, sizeof(b));
	assert_true(r[1].start.include);
	assert_int_equal(r[1].end.len, OID_LENGTH(a));
	assert_memory_equal(r[1].end.sub, a, sizeof(a));
	assert_int_equal(r[2].start.len, OID_LENGTH(c));
	assert_memory_equal(r[2].start.sub, c, sizeof(c));
	assert_memory_equal(r[2].end.sub, b, sizeof(b));
	assert_int_equal(r[3].end.len, 2);
	assert_true(agentx_wire_oid_is_null(&r[3].end));
	assert_true(agentx_wire_oid_is_null(&r[0].end));
	assert_false(agentx_wire_oid_is_null(&r[1].end));
	/* Fewer slots than ranges: refused, not truncated. */
	assert_int_equal(agentx_wire_getnext(&h, buf + AGENTX_HEADER_LEN, r, 3), -1);
	free(buf);
	snmp_free_pdu(pdu);
}

static void test_getnext_parse_both_byte_orders(void **state)
{
	(void)state;
	check_getnext_parse(AGENTX_FLAG_NETWORK_BYTE_ORDER);
	check_getnext_parse(0);
}

static void test_malformed_getnext_refused(void **state)
{
	(void)state;
	static const oid a[] = { RESYNCD_DEVICE_TABLE_OID, 1, 2, 7 };
	netsnmp_pdu *pdu = getnext_pdu(AGENTX_FLAG_NETWORK_BYTE_ORDER, a, OID_LENGTH(a));
	size_t len;
	u_char *buf = build(pdu, &len);
	struct agentx_header h;
	static struct agentx_range r[4];
	assert_int_equal(agentx_wire_header(buf, &h), len);

	/* Every truncation of the payload (a multiple of 4, as AgentX keeps
	 * them) is refused. */
	for (uint32_t cut = 4; cut < h.payload_len; cut += 4) {
		struct agentx_header t = h;
		t.payload_len = h.payload_len - cut;
		assert_int_equal(agentx_wire_getnext(&t, buf + AGENTX_HEADER_LEN, r, 4), -1);
	}
	/* More sub-ids than an OID may have. */
	u_char saved = buf[AGENTX_HEADER_LEN];
	buf[AGENTX_HEADER_LEN] = 200;
	assert_int_equal(agentx_wire_getnext(&h, buf + AGENTX_HEADER_LEN, r, 4), -1);
	buf[AGENTX_HEADER_LEN] = saved;
	/* A context: left to net-snmp. */
	struct agentx_header ctx = h;
	ctx.flags |= AGENTX_FLAG_NON_DEFAULT_CONTEXT;
	assert_int_equal(agentx_wire_getnext(&ctx, buf + AGENTX_HEADER_LEN, r, 4), -1);
	/* Not version 1; a payload length that is not a multiple of 4. */
	buf[0] = 2;
	assert_int_equal(agentx_wire_header(buf, &h), 0);
	buf[0] = 1;
	buf[19] ^= 1; /* low byte of the payload length, network order */
	assert_int_equal(agentx_wire_header(buf, &h), 0);
	free(buf);
	snmp_free_pdu(pdu);
}

/* Appends one varbind of every type the tables answer with to both the
 * net-snmp PDU and agentx_wire's Response; with_objid adds an OBJECT
 * IDENTIFIER value, which net-snmp encodes with the "include" byte set
 * where RFC 2741 section 5.1 has it 0 (agentx_wire), so the bytes differ. */
static void add_values(netsnmp_pdu *pdu, struct agentx_out *o, bool with_objid)
{
	static const oid base[] = { RESYNCD_DEVICE_TABLE_OID, 1 };
	static const oid objid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 5, 1 };
	long i = -5;
	u_long u = 4000000000ul;
	struct counter64 c64 = { .high = 0x11223344, .low = 0x55667788 };
	const char *strings[] = { "", "a", "ab", "abc", "abcd", "r1.lab.example.net" };
	u_char ip[4] = { 192, 0, 2, 1 };
	oid name[OID_LENGTH(base) + 2];
	memcpy(name, base, sizeof(base));
	name[OID_LENGTH(base) + 1] = 3;
	unsigned col = 2;
	struct {
		u_char type;
		const void *val;
		size_t len;
	} v[16];
	size_t n = 0;
	v[n++] = (typeof(v[0])){ ASN_INTEGER, &i, sizeof(i) };
	v[n++] = (typeof(v[0])){ ASN_GAUGE, &u, sizeof(u) };
	v[n++] = (typeof(v[0])){ ASN_COUNTER, &u, sizeof(u) };
	v[n++] = (typeof(v[0])){ ASN_TIMETICKS, &u, sizeof(u) };
	v[n++] = (typeof(v[0])){ ASN_COUNTER64, &c64, sizeof(c64) };
	v[n++] = (typeof(v[0])){ ASN_IPADDRESS, ip, sizeof(ip) };
	if (with_objid)
		v[n++] = (typeof(v[0])){ ASN_OBJECT_ID, objid, sizeof(objid) };
	for (size_t k = 0; k < sizeof(strings) / sizeof(strings[0]); k++)
		v[n++] = (typeof(v[0])){ ASN_OCTET_STR, strings[k], strlen(strings[k]) };
	for (size_t k = 0; k < n; k++) {
		name[OID_LENGTH(base)] = col++;
		netsnmp_variable_list *vb = snmp_pdu_add_variable(pdu, name, OID_LENGTH(name), v[k].type, v[k].val,
								 v[k].len);
		assert_non_null(vb);
		assert_true(agentx_wire_varbind(o, vb));
	}
}

/* A Response with every value type, encoded by agentx_wire: returns its
 * length in out, and net-snmp's encoding of the same PDU in *ref. */
static size_t encode_both(u_char flags, bool with_objid, uint8_t *out, size_t cap, netsnmp_pdu **pdu_out,
			  u_char **ref, size_t *ref_len)
{
	netsnmp_pdu *pdu = pdu_new(AGENTX_PDU_RESPONSE, flags);
	pdu->time = 123456;
	pdu->errstat = 0;
	pdu->errindex = 0;
	struct agentx_header req = { .type = AGENTX_PDU_GETNEXT, .flags = flags, .sessid = pdu->sessid,
				     .transid = pdu->transid, .packetid = (uint32_t)pdu->reqid };
	struct agentx_out o;
	agentx_wire_response_begin(&o, out, cap, &req, 123456);
	add_values(pdu, &o, with_objid);
	*ref = build(pdu, ref_len);
	*pdu_out = pdu;
	return agentx_wire_response_end(&o);
}

static void check_response(u_char flags)
{
	static uint8_t out[4096];
	netsnmp_pdu *pdu;
	u_char *ref;
	size_t ref_len, len = encode_both(flags, false, out, sizeof(out), &pdu, &ref, &ref_len);
	assert_int_equal(len, ref_len);
	assert_memory_equal(out, ref, len);
	free(ref);
	snmp_free_pdu(pdu);

	/* With an OID value too, net-snmp's parser reads back every value. */
	len = encode_both(flags, true, out, sizeof(out), &pdu, &ref, &ref_len);
	netsnmp_pdu *back = snmp_pdu_create(0);
	assert_int_equal(agentx_check_packet(out, len), (int)len);
	assert_int_equal(agentx_parse(&codec_session, back, out, len), 0);
	assert_int_equal(back->command, AGENTX_PDU_RESPONSE);
	assert_int_equal(back->reqid, pdu->reqid);
	assert_int_equal(back->time, 123456);
	netsnmp_variable_list *a = pdu->variables, *b = back->variables;
	for (; a && b; a = a->next_variable, b = b->next_variable) {
		assert_int_equal(snmp_oid_compare(a->name, a->name_length, b->name, b->name_length), 0);
		assert_int_equal(a->type, b->type);
		if (a->type == ASN_INTEGER || a->type == ASN_GAUGE || a->type == ASN_COUNTER ||
		    a->type == ASN_TIMETICKS) {
			assert_int_equal((uint32_t)*a->val.integer, (uint32_t)*b->val.integer);
		} else {
			assert_int_equal(a->val_len, b->val_len);
			assert_memory_equal(a->val.string, b->val.string, a->val_len);
		}
	}
	assert_null(a);
	assert_null(b);
	snmp_free_pdu(back);
	free(ref);
	snmp_free_pdu(pdu);
}

static void test_response_matches_net_snmp_both_byte_orders(void **state)
{
	(void)state;
	check_response(AGENTX_FLAG_NETWORK_BYTE_ORDER);
	check_response(0);
}

static void test_response_limits(void **state)
{
	(void)state;
	struct agentx_header req = { .type = AGENTX_PDU_GETNEXT };
	uint8_t small[40];
	struct agentx_out o;
	/* A buffer too small: the Response is refused, not cut. */
	agentx_wire_response_begin(&o, small, sizeof(small), &req, 0);
	static const oid name[] = { 1, 3, 6, 1, 4, 1, 8072, 1, 2, 3 };
	netsnmp_variable_list vb = { 0 };
	snmp_set_var_objid(&vb, name, OID_LENGTH(name));
	snmp_set_var_typed_value(&vb, ASN_OCTET_STR, "a long enough value", 19);
	agentx_wire_varbind(&o, &vb);
	assert_int_equal(agentx_wire_response_end(&o), 0);
	/* A sub-id over 32 bits or an unknown type: that varbind is refused
	 * and the Response stays as it was. */
	uint8_t big[512];
	agentx_wire_response_begin(&o, big, sizeof(big), &req, 0);
	size_t before = o.len;
	oid wide[] = { 1, 3, 6, 1, 4, 1, 0x100000000ul };
	netsnmp_variable_list w = { 0 };
	snmp_set_var_objid(&w, wide, OID_LENGTH(wide));
	snmp_set_var_typed_value(&w, ASN_NULL, NULL, 0);
	assert_false(agentx_wire_varbind(&o, &w));
	vb.type = ASN_BIT_STR;
	assert_false(agentx_wire_varbind(&o, &vb));
	assert_int_equal(o.len, before);
	assert_int_equal(agentx_wire_response_end(&o), before);
	snmp_free_var_internals(&vb);
	snmp_free_var_internals(&w);
}

/* ---- agentx_direct over a socketpair ---- */

static struct loop L;
static int peer = -1, sock = -1; /* the peer's end, and the session's */
static netsnmp_session *sess;
static struct {
	int ops[16], commands[16];
	size_t n;
} seen; /* what reached net-snmp's callback */

static int record_cb(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
	(void)s;
	(void)reqid;
	(void)magic;
	if (seen.n < 16) {
		seen.ops[seen.n] = op;
		seen.commands[seen.n++] = pdu ? pdu->command : -1;
	}
	return 1;
}

static int pair_recv(netsnmp_transport *t, void *buf, int size, void **opaque, int *olen)
{
	*opaque = NULL;
	*olen = 0;
	return (int)recv(t->sock, buf, (size_t)size, MSG_DONTWAIT);
}

static int pair_send(netsnmp_transport *t, const void *buf, int size, void **opaque, int *olen)
{
	(void)opaque;
	(void)olen;
	return (int)send(t->sock, buf, (size_t)size, MSG_NOSIGNAL);
}

static int pair_close(netsnmp_transport *t)
{
	int rc = t->sock >= 0 ? close(t->sock) : 0;
	t->sock = -1;
	return rc;
}

static int direct_setup(void **state)
{
	(void)state;
	static oid unix_domain[] = { 1, 3, 6, 1, 2, 1, 100, 1, 13 };
	assert_int_equal(loop_init(&L, NULL, NULL, NULL), 0);
	mib_loop = &L;
	assert_non_null(loop_add_device(&L, 1, "r1.lab", "192.0.2.1", 830, "lab", "test"));
	assert_non_null(loop_add_device(&L, 5, "r5.lab", "192.0.2.5", 22, "lab", "test"));
	int fds[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	peer = fds[1];
	sock = fds[0];
	netsnmp_transport *t = calloc(1, sizeof(*t));
	t->domain = unix_domain;
	t->domain_length = OID_LENGTH(unix_domain);
	t->sock = fds[0];
	t->flags = NETSNMP_TRANSPORT_FLAG_STREAM;
	t->f_recv = pair_recv;
	t->f_send = pair_send;
	t->f_close = pair_close;
	netsnmp_session in;
	snmp_sess_init(&in);
	in.version = AGENTX_VERSION_1;
	in.flags |= SNMP_FLAGS_STREAM_SOCKET;
	in.callback = record_cb;
	sess = snmp_add_full(&in, t, NULL, agentx_parse, NULL, NULL, agentx_realloc_build, agentx_check_packet,
			     NULL);
	assert_non_null(sess);
	agentx_direct_attach(sess);
	assert_true(agentx_direct_owns(fds[0]));
	memset(&seen, 0, sizeof(seen));
	return 0;
}

static int direct_teardown(void **state)
{
	(void)state;
	agentx_direct_attach(NULL);
	snmp_close(sess);
	close(peer);
	loop_free(&L);
	mib_loop = NULL;
	return 0;
}

/* The session's socket read as resyncd's loop reads it (direct: through
 * agentx_direct_serve, which returns whether net-snmp read) or as net-snmp
 * reads it on its own (snmp_read2; returns true). */
static bool read_sock(bool direct)
{
	netsnmp_large_fd_set set;
	netsnmp_large_fd_set_init(&set, FD_SETSIZE);
	NETSNMP_LARGE_FD_SET(sock, &set);
	bool r = direct ? agentx_direct_serve(&set) : (snmp_read2(&set), true);
	netsnmp_large_fd_set_cleanup(&set);
	return r;
}

/* What the fronted socket does with the bytes written so far. */
static bool serve(void)
{
	return read_sock(true);
}

static void send_pdu(netsnmp_pdu *pdu)
{
	size_t len;
	u_char *buf = build(pdu, &len);
	assert_int_equal(send(peer, buf, len, 0), (ssize_t)len);
	free(buf);
	snmp_free_pdu(pdu);
}

/* Reads one Response from the peer end; checks its one varbind. */
static void expect_answer(const oid *name, size_t len, const char *value)
{
	u_char buf[1024];
	ssize_t n = recv(peer, buf, sizeof(buf), MSG_DONTWAIT);
	assert_true(n > AGENTX_HEADER_LEN);
	netsnmp_pdu *pdu = snmp_pdu_create(0);
	assert_int_equal(agentx_parse(&codec_session, pdu, buf, (size_t)n), 0);
	assert_int_equal(pdu->command, AGENTX_PDU_RESPONSE);
	assert_int_equal(pdu->reqid, 0x0a0b0c0d);
	assert_non_null(pdu->variables);
	assert_null(pdu->variables->next_variable);
	assert_int_equal(snmp_oid_compare(pdu->variables->name, pdu->variables->name_length, name, len), 0);
	assert_int_equal(pdu->variables->type, ASN_OCTET_STR);
	assert_int_equal(pdu->variables->val_len, strlen(value));
	assert_memory_equal(pdu->variables->val.string, value, strlen(value));
	snmp_free_pdu(pdu);
}

static void expect_no_answer(void)
{
	u_char b;
	assert_int_equal(recv(peer, &b, 1, MSG_DONTWAIT), -1);
}

static const oid col2[] = { RESYNCD_DEVICE_TABLE_OID, 1, 2 };
static const oid col2row1[] = { RESYNCD_DEVICE_TABLE_OID, 1, 2, 1 };
static const oid col2row5[] = { RESYNCD_DEVICE_TABLE_OID, 1, 2, 5 };

/* A GET of r1's name, then a GETNEXT from the start of that column, in one
 * write. */
static void send_get_then_getnext(void)
{
	netsnmp_pdu *get = pdu_new(AGENTX_MSG_GET, AGENTX_FLAG_NETWORK_BYTE_ORDER);
	snmp_add_null_var(get, col2row1, OID_LENGTH(col2row1));
	netsnmp_pdu *next = getnext_pdu(AGENTX_FLAG_NETWORK_BYTE_ORDER, col2, OID_LENGTH(col2));
	size_t l1, l2;
	u_char *b1 = build(get, &l1), *b2 = build(next, &l2);
	u_char both[1024];
	assert_true(l1 + l2 <= sizeof(both));
	memcpy(both, b1, l1);
	memcpy(both + l1, b2, l2);
	assert_int_equal(send(peer, both, l1 + l2, 0), (ssize_t)(l1 + l2));
	free(b1);
	free(b2);
	snmp_free_pdu(get);
	snmp_free_pdu(next);
}

static void test_direct_answers_table_getnext(void **state)
{
	(void)state;
	send_pdu(getnext_pdu(AGENTX_FLAG_NETWORK_BYTE_ORDER, col2, OID_LENGTH(col2)));
	assert_false(serve()); /* net-snmp never read */
	expect_answer(col2row1, OID_LENGTH(col2row1), "r1.lab");
	send_pdu(getnext_pdu(0, col2row1, OID_LENGTH(col2row1)));
	assert_false(serve());
	expect_answer(col2row5, OID_LENGTH(col2row5), "r5.lab");
	assert_int_equal(seen.n, 0);
}

static void test_direct_packet_in_pieces(void **state)
{
	(void)state;
	size_t len;
	netsnmp_pdu *pdu = getnext_pdu(AGENTX_FLAG_NETWORK_BYTE_ORDER, col2, OID_LENGTH(col2));
	u_char *buf = build(pdu, &len);
	const size_t cuts[] = { 0, 7, AGENTX_HEADER_LEN + 4, len };
	for (size_t i = 0; i + 1 < sizeof(cuts) / sizeof(cuts[0]); i++) {
		assert_int_equal(send(peer, buf + cuts[i], cuts[i + 1] - cuts[i], 0), (ssize_t)(cuts[i + 1] - cuts[i]));
		assert_false(serve());
		if (cuts[i + 1] < len)
			expect_no_answer();
	}
	expect_answer(col2row1, OID_LENGTH(col2row1), "r1.lab");
	assert_int_equal(seen.n, 0);
	free(buf);
	snmp_free_pdu(pdu);
}

static void test_direct_passes_the_rest_to_net_snmp_in_order(void **state)
{
	(void)state;
	/* A GET, then a GETNEXT, in one write: net-snmp gets the GET, the
	 * GETNEXT is answered here. */
	send_get_then_getnext();
	assert_true(serve());
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.ops[0], NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE);
	assert_int_equal(seen.commands[0], AGENTX_MSG_GET);
	expect_answer(col2row1, OID_LENGTH(col2row1), "r1.lab");

	/* Not answerable here: past the table's last row, an including range,
	 * an answer beyond the range's end. Each reaches net-snmp. */
	static const oid last[] = { RESYNCD_DEVICE_TABLE_OID, 1, DEV_LAST_COL, 5 };
	send_pdu(getnext_pdu(AGENTX_FLAG_NETWORK_BYTE_ORDER, last, OID_LENGTH(last)));
	assert_true(serve());
	netsnmp_pdu *incl = pdu_new(AGENTX_PDU_GETNEXT, AGENTX_FLAG_NETWORK_BYTE_ORDER);
	add_range(incl, col2, OID_LENGTH(col2), true, NULL, 0);
	send_pdu(incl);
	assert_true(serve());
	netsnmp_pdu *bounded = pdu_new(AGENTX_PDU_GETNEXT, AGENTX_FLAG_NETWORK_BYTE_ORDER);
	add_range(bounded, col2, OID_LENGTH(col2), false, col2row1, OID_LENGTH(col2row1));
	send_pdu(bounded);
	assert_true(serve());
	assert_int_equal(seen.n, 4);
	for (size_t i = 1; i < 4; i++)
		assert_int_equal(seen.commands[i], AGENTX_PDU_GETNEXT);
	expect_no_answer();
}

/* net-snmp reading on its own (as while it waits for a ping's answer)
 * takes everything it reads: nothing is left in resyncd's buffer where its
 * select() cannot see it, and the packets after it are still answered. */
static void test_direct_net_snmp_own_read_takes_all(void **state)
{
	(void)state;
	send_get_then_getnext();
	read_sock(false); /* net-snmp's own read, not agentx_direct_serve */
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.commands[0], AGENTX_MSG_GET);
	assert_int_equal(seen.commands[1], AGENTX_PDU_GETNEXT);
	assert_false(serve()); /* nothing was held back */
	send_pdu(getnext_pdu(AGENTX_FLAG_NETWORK_BYTE_ORDER, col2row1, OID_LENGTH(col2row1)));
	assert_false(serve());
	expect_answer(col2row5, OID_LENGTH(col2row5), "r5.lab");
}

static void test_direct_end_of_connection_reaches_net_snmp(void **state)
{
	(void)state;
	close(peer);
	peer = -1;
	assert_true(serve());
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.ops[0], NETSNMP_CALLBACK_OP_DISCONNECT);
	assert_false(agentx_direct_owns(sock));
	assert_false(serve()); /* told once */
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_getnext_parse_both_byte_orders),
		cmocka_unit_test(test_malformed_getnext_refused),
		cmocka_unit_test(test_response_matches_net_snmp_both_byte_orders),
		cmocka_unit_test(test_response_limits),
		cmocka_unit_test_setup_teardown(test_direct_answers_table_getnext, direct_setup, direct_teardown),
		cmocka_unit_test_setup_teardown(test_direct_packet_in_pieces, direct_setup, direct_teardown),
		cmocka_unit_test_setup_teardown(test_direct_passes_the_rest_to_net_snmp_in_order, direct_setup,
						direct_teardown),
		cmocka_unit_test_setup_teardown(test_direct_net_snmp_own_read_takes_all, direct_setup,
						direct_teardown),
		cmocka_unit_test_setup_teardown(test_direct_end_of_connection_reaches_net_snmp, direct_setup,
						direct_teardown),
	};
	return testutil_run_tests(argc, argv, tests);
}
