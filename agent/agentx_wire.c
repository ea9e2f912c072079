/* agentx_wire.c: the AgentX header, GetNext and Response encodings (RFC 2741
 * sections 5 and 6) for agentx_direct.c's fast path. A packet says its byte
 * order in its header; a Response uses the order of its request. */
#include "agentx_wire.h"

#include <string.h>

#define AGENTX_VERSION 1
#define INTERNET_PREFIX_LEN 4 /* 1.3.6.1, implied by an OID's prefix byte */

static const oid internet[INTERNET_PREFIX_LEN] = { 1, 3, 6, 1 };

static uint32_t get32(const uint8_t *p, bool net_order)
{
	if (net_order)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

size_t agentx_wire_header(const uint8_t *p, struct agentx_header *h)
{
	if (p[0] != AGENTX_VERSION)
		return 0;
	h->type = p[1];
	h->flags = p[2];
	bool net_order = h->flags & AGENTX_FLAG_NETWORK_BYTE_ORDER;
	h->sessid = get32(p + 4, net_order);
	h->transid = get32(p + 8, net_order);
	h->packetid = get32(p + 12, net_order);
	h->payload_len = get32(p + 16, net_order);
	if (h->payload_len % 4)
		return 0;
	return AGENTX_HEADER_LEN + (size_t)h->payload_len;
}

/* Reads one OID at *p (n bytes left); advances *p. False if malformed. */
static bool get_oid(const uint8_t **p, size_t *n, bool net_order, struct agentx_oid *o)
{
	if (*n < 4)
		return false;
	const uint8_t *q = *p;
	size_t nsub = q[0], prefix = q[1];
	size_t len = nsub + (prefix ? INTERNET_PREFIX_LEN + 1 : 0);
	if (len > MAX_OID_LEN || *n < 4 + 4 * nsub)
		return false;
	o->include = q[2] != 0;
	o->len = 0;
	if (prefix) {
		memcpy(o->sub, internet, sizeof(internet));
		o->sub[INTERNET_PREFIX_LEN] = prefix;
		o->len = INTERNET_PREFIX_LEN + 1;
	}
	for (size_t i = 0; i < nsub; i++)
		o->sub[o->len++] = get32(q + 4 + 4 * i, net_order);
	*p += 4 + 4 * nsub;
	*n -= 4 + 4 * nsub;
	return true;
}

int agentx_wire_getnext(const struct agentx_header *h, const uint8_t *payload, struct agentx_range *r,
			int max)
{
	if (h->flags & AGENTX_FLAG_NON_DEFAULT_CONTEXT)
		return -1;
	bool net_order = h->flags & AGENTX_FLAG_NETWORK_BYTE_ORDER;
	size_t n = h->payload_len;
	int count = 0;
	while (n > 0) {
		if (count == max || !get_oid(&payload, &n, net_order, &r[count].start) ||
		    !get_oid(&payload, &n, net_order, &r[count].end))
			return -1;
		count++;
	}
	return count;
}

bool agentx_wire_oid_is_null(const struct agentx_oid *o)
{
	return o->len == 0 || (o->len == 2 && o->sub[0] == 0 && o->sub[1] == 0);
}

static void put(struct agentx_out *o, const void *p, size_t n)
{
	if (o->overflow || o->cap - o->len < n) {
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static void put32(struct agentx_out *o, uint32_t v)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++)
		b[o->net_order ? 3 - i : i] = (uint8_t)(v >> (8 * i));
	put(o, b, 4);
}

static void put16(struct agentx_out *o, uint16_t v)
{
	uint8_t b[2];
	b[o->net_order ? 1 : 0] = (uint8_t)v;
	b[o->net_order ? 0 : 1] = (uint8_t)(v >> 8);
	put(o, b, 2);
}

static void put_u8x4(struct agentx_out *o, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	const uint8_t v[4] = { a, b, c, d };
	put(o, v, 4);
}

void agentx_wire_response_begin(struct agentx_out *o, uint8_t *buf, size_t cap,
				const struct agentx_header *req, uint32_t uptime)
{
	*o = (struct agentx_out){ .buf = buf, .cap = cap, .net_order = req->flags & AGENTX_FLAG_NETWORK_BYTE_ORDER };
	put_u8x4(o, AGENTX_VERSION, AGENTX_PDU_RESPONSE, req->flags & AGENTX_FLAG_NETWORK_BYTE_ORDER, 0);
	put32(o, req->sessid);
	put32(o, req->transid);
	put32(o, req->packetid);
	put32(o, 0); /* payload length: agentx_wire_response_end */
	put32(o, uptime);
	put16(o, 0); /* res.error: noAgentXError */
	put16(o, 0); /* res.index */
}

/* An OID, with 1.3.6.1.x (x in 1..255) compressed to the prefix byte.
 * False, and nothing written, if it cannot be encoded: more than 255
 * sub-ids after the prefix, or a sub-id over 32 bits. */
static bool put_oid(struct agentx_out *o, const oid *name, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (name[i] > UINT32_MAX)
			return false;
	uint8_t prefix = 0;
	if (len > INTERNET_PREFIX_LEN && memcmp(name, internet, sizeof(internet)) == 0 &&
	    name[INTERNET_PREFIX_LEN] >= 1 && name[INTERNET_PREFIX_LEN] <= 255) {
		prefix = (uint8_t)name[INTERNET_PREFIX_LEN];
		name += INTERNET_PREFIX_LEN + 1;
		len -= INTERNET_PREFIX_LEN + 1;
	}
	if (len > 255)
		return false;
	put_u8x4(o, (uint8_t)len, prefix, 0, 0);
	for (size_t i = 0; i < len; i++)
		put32(o, (uint32_t)name[i]);
	return true;
}

static void put_octets(struct agentx_out *o, const uint8_t *p, size_t n)
{
	static const uint8_t pad[3];
	put32(o, (uint32_t)n);
	put(o, p, n);
	put(o, pad, (4 - n % 4) % 4);
}

bool agentx_wire_varbind(struct agentx_out *o, const netsnmp_variable_list *vb)
{
	size_t mark = o->len;
	put16(o, vb->type);
	put16(o, 0);
	if (!put_oid(o, vb->name, vb->name_length))
		goto unknown;
	switch (vb->type) {
	case ASN_INTEGER:
	case ASN_COUNTER:
	case ASN_GAUGE:
	case ASN_TIMETICKS:
		put32(o, (uint32_t)*vb->val.integer);
		break;
	case ASN_COUNTER64: {
		const struct counter64 *c = vb->val.counter64;
		put32(o, o->net_order ? (uint32_t)c->high : (uint32_t)c->low);
		put32(o, o->net_order ? (uint32_t)c->low : (uint32_t)c->high);
		break;
	}
	case ASN_OCTET_STR:
	case ASN_IPADDRESS:
	case ASN_OPAQUE:
		put_octets(o, vb->val.string, vb->val_len);
		break;
	case ASN_OBJECT_ID:
		if (!put_oid(o, vb->val.objid, vb->val_len / sizeof(oid)))
			goto unknown;
		break;
	case ASN_NULL:
		break;
	default:
		goto unknown;
	}
	return true;
unknown:
	o->len = mark;
	return false;
}

size_t agentx_wire_ping(uint8_t buf[AGENTX_HEADER_LEN], uint32_t packetid)
{
	struct agentx_out o = { .buf = buf, .cap = AGENTX_HEADER_LEN, .net_order = true };
	put_u8x4(&o, AGENTX_VERSION, AGENTX_PDU_PING, AGENTX_FLAG_NETWORK_BYTE_ORDER, 0);
	put32(&o, 0); /* session 0: none open */
	put32(&o, 0);
	put32(&o, packetid);
	put32(&o, 0); /* no payload */
	return o.overflow ? 0 : o.len;
}

size_t agentx_wire_response_end(struct agentx_out *o)
{
	if (o->overflow)
		return 0;
	size_t len = o->len;
	o->len = 16;
	put32(o, (uint32_t)(len - AGENTX_HEADER_LEN));
	o->len = len;
	return len;
}
