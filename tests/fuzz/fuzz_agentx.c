/* fuzz_agentx.c: libFuzzer target over agentx_wire, the AgentX decoder that
 * reads what arrives on the subagent's socket before net-snmp does: no
 * crash, no read outside the packet, every OID within MAX_OID_LEN, and a
 * Response built from what was decoded reads back with its own length. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agentx_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RANGES 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct agentx_range r[MAX_RANGES];
	static uint8_t out[8192];
	struct agentx_header h, back;
	if (size < AGENTX_HEADER_LEN)
		return 0;
	/* A private copy of exactly the packet: ASan catches any overread. */
	uint8_t *b = malloc(size);
	if (!b)
		return 0;
	memcpy(b, data, size);
	size_t plen = agentx_wire_header(b, &h);
	if (plen == 0 || plen > size)
		goto done;
	int n = agentx_wire_getnext(&h, b + AGENTX_HEADER_LEN, r, MAX_RANGES);
	if (n < -1 || n > MAX_RANGES)
		abort();
	struct agentx_out o;
	agentx_wire_response_begin(&o, out, sizeof(out), &h, 42);
	for (int i = 0; i < n; i++) {
		if (r[i].start.len > MAX_OID_LEN || r[i].end.len > MAX_OID_LEN)
			abort();
		netsnmp_variable_list vb = { 0 };
		vb.name = r[i].start.sub;
		vb.name_length = r[i].start.len;
		vb.type = ASN_OBJECT_ID;
		vb.val.objid = r[i].end.sub;
		vb.val_len = r[i].end.len * sizeof(oid);
		agentx_wire_varbind(&o, &vb);
	}
	size_t len = agentx_wire_response_end(&o);
	if (len && (agentx_wire_header(out, &back) != len || back.type != AGENTX_PDU_RESPONSE ||
		    back.packetid != h.packetid || back.sessid != h.sessid))
		abort();
done:
	free(b);
	return 0;
}
