/* agentx_wire.h: the few AgentX (RFC 2741) PDUs resyncd reads and writes
 * itself, on the fast path of agentx_direct.c: the header, the search ranges
 * of a GetNext, and a Response. Every other PDU is net-snmp's to parse and
 * build. Pure functions over byte buffers, so they are unit-tested against
 * net-snmp's own encoder and parser. */
#ifndef RESYNCD_AGENT_AGENTX_WIRE_H
#define RESYNCD_AGENT_AGENTX_WIRE_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AGENTX_HEADER_LEN 20
#define AGENTX_PDU_GETNEXT 6
#define AGENTX_PDU_PING 13
#define AGENTX_PDU_RESPONSE 18
#define AGENTX_FLAG_NON_DEFAULT_CONTEXT 0x08
#define AGENTX_FLAG_NETWORK_BYTE_ORDER 0x10

struct agentx_header {
	uint8_t type, flags;
	uint32_t sessid, transid, packetid, payload_len;
};

/* An OID as AgentX carries it: the sub-ids (prefix expanded) and the
 * "include" flag of a search range's start. len 0 is the null OID. */
struct agentx_oid {
	oid sub[MAX_OID_LEN];
	size_t len;
	bool include;
};

struct agentx_range {
	struct agentx_oid start, end;
};

/* Reads the header at p (AGENTX_HEADER_LEN bytes). Returns the length of
 * the whole packet, or 0 if p is not an AgentX version 1 header with a
 * payload length that is a multiple of 4. */
size_t agentx_wire_header(const uint8_t *p, struct agentx_header *h);

/* Reads the search ranges of a GetNext payload (h->payload_len bytes at
 * payload) into r[0..max). Returns how many, or -1 if the payload has a
 * context, is malformed, holds more than max ranges or an OID longer than
 * MAX_OID_LEN. */
int agentx_wire_getnext(const struct agentx_header *h, const uint8_t *payload, struct agentx_range *r,
			int max);

/* Whether a search range's end is unbounded: the null OID, or 0.0, which
 * net-snmp's master and parser use for it. */
bool agentx_wire_oid_is_null(const struct agentx_oid *o);

/* A Response under construction in a caller's buffer. */
struct agentx_out {
	uint8_t *buf;
	size_t cap, len;
	bool net_order, overflow;
};

/* Starts the Response to req (same session, transaction and packet ids and
 * byte order) with sysUpTime uptime, no error. */
void agentx_wire_response_begin(struct agentx_out *o, uint8_t *buf, size_t cap,
				const struct agentx_header *req, uint32_t uptime);

/* Appends vb (name, type, value). False, and nothing appended, for a type
 * this encoder does not know or a sub-id over 32 bits. */
bool agentx_wire_varbind(struct agentx_out *o, const netsnmp_variable_list *vb);

/* Sets the payload length. Returns the packet's length, or 0 if it did not
 * fit the buffer. */
size_t agentx_wire_response_end(struct agentx_out *o);

/* A Ping for session 0 (which no master has open) into buf: the probe of
 * agentx_conn.c, which any answer tells that the master reads its socket.
 * Returns AGENTX_HEADER_LEN. */
size_t agentx_wire_ping(uint8_t buf[AGENTX_HEADER_LEN], uint32_t packetid);

#endif
