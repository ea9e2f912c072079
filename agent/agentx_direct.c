/* agentx_direct.c: answers the AgentX master's GETNEXT requests for the
 * device and job tables straight from the AgentX session's receive
 * callback.
 *
 * Why: net-snmp's subagent (agentx/subagent.c) does not answer a request
 * where it reads it. It clones the PDU, queues the clone on an internal
 * callback transport and returns; the next trip through the event loop
 * runs the agent's full request machinery on it; the response is cloned
 * again, queued again, and sent on a third trip. snmpd sends one GETNEXT per
 * value of a bulk walk, so that is three wake-ups and about 30,000
 * instructions per value, most of resyncd's share of a walk through snmpd.
 * Here a GETNEXT whose every varbind starts inside one of these tables and
 * whose answer lies inside that table (and inside the master's search
 * range) is answered in place: one lookup in the model per varbind
 * (mib_u32_table_getnext, the same code the registered handlers run), one
 * response PDU, sent at once.
 *
 * Everything else goes to net-snmp's own callback unchanged: SETs, GETs,
 * other subtrees, the end of a table (the next subtree is net-snmp's to
 * find), an "include" search range, a non-default context, and the
 * connection events (disconnect, timeouts).
 *
 * On a Unix-socket session the receive skips the getsockname() net-snmp
 * 5.9 makes before every recv() to record the local address as the
 * packet's "sender": one system call per value, and no one reads that
 * address on a subagent (net-snmp 5.7 did not make it either). */
#include "mib.h"

#include <errno.h>
#include <sys/socket.h>

#include "agentx_direct.h"
#include "loop.h"

/* RFC 2741 protocol numbers (net-snmp does not install its AgentX header). */
#define AGENTX_PDU_GETNEXT 6
#define AGENTX_PDU_RESPONSE 18
#define AGENTX_FLAG_NON_DEFAULT_CONTEXT 0x08
#define AGENTX_FLAG_NETWORK_BYTE_ORDER 0x10

static netsnmp_callback net_snmp_callback; /* net-snmp's own, for everything else */
static const struct mib_u32_table *const tables[] = { &mib_device_table, &mib_job_table };

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

/* Whether the master bounded this varbind's search range: an end OID other
 * than the null OID 0.0. */
static bool direct_has_end(const netsnmp_variable_list *vb)
{
	size_t n = vb->val_len / sizeof(oid);
	return n > 0 && !(n == 2 && vb->val.objid[0] == 0 && vb->val.objid[1] == 0);
}

/* The response to pdu, or NULL if net-snmp has to answer it. */
static netsnmp_pdu *direct_response(const netsnmp_session *s, const netsnmp_pdu *pdu)
{
	if (!mib_loop || (pdu->flags & AGENTX_FLAG_NON_DEFAULT_CONTEXT) || pdu->community_len || !pdu->variables)
		return NULL;
	netsnmp_pdu *resp = snmp_pdu_create(AGENTX_PDU_RESPONSE);
	if (!resp)
		return NULL;
	resp->version = s->version;
	resp->reqid = pdu->reqid;
	resp->msgid = pdu->msgid;
	resp->transid = pdu->transid;
	resp->sessid = pdu->sessid;
	resp->flags = pdu->flags & AGENTX_FLAG_NETWORK_BYTE_ORDER;
	resp->time = netsnmp_get_agent_uptime();
	resp->errstat = SNMP_ERR_NOERROR; /* snmp_pdu_create leaves "default" (-1) */
	resp->errindex = 0;
	for (const netsnmp_variable_list *q = pdu->variables; q; q = q->next_variable) {
		const struct mib_u32_table *t = direct_table(q->name, q->name_length);
		if (q->type != ASN_PRIV_EXCL_RANGE || !t)
			goto net_snmp;
		netsnmp_variable_list *vb = snmp_add_null_var(resp, q->name, q->name_length);
		if (!vb)
			goto net_snmp;
		netsnmp_request_info r = { .requestvb = vb };
		mib_u32_table_getnext(&r, &mib_loop->model, t);
		if (vb->type == ASN_NULL) /* past the table's last row */
			goto net_snmp;
		if (direct_has_end(q) &&
		    snmp_oid_compare(vb->name, vb->name_length, q->val.objid, q->val_len / sizeof(oid)) >= 0)
			goto net_snmp;
	}
	return resp;
net_snmp:
	snmp_free_pdu(resp);
	return NULL;
}

static const oid unix_domain[] = { 1, 3, 6, 1, 2, 1, 100, 1, 13 }; /* transportDomainLocal */

static int direct_recv(netsnmp_transport *t, void *buf, int size, void **opaque, int *olength)
{
	*opaque = NULL;
	*olength = 0;
	ssize_t n;
	do
		n = recv(t->sock, buf, (size_t)size, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return (int)n;
}

static int direct_callback(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
	if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu && pdu->command == AGENTX_PDU_GETNEXT) {
		netsnmp_pdu *resp = direct_response(s, pdu);
		if (resp) {
			/* As net-snmp's handler does: the master is alive, no ping due. */
			if (s->securityModel != SNMP_DEFAULT_SECMODEL)
				snmp_alarm_reset((unsigned)s->securityModel);
			if (!snmp_send(s, resp))
				snmp_free_pdu(resp);
			return 1;
		}
	}
	return net_snmp_callback(op, s, reqid, pdu, magic);
}

void agentx_direct_attach(netsnmp_session *s)
{
	if (!s || s->callback == direct_callback || !s->callback)
		return;
	net_snmp_callback = s->callback;
	s->callback = direct_callback;
	netsnmp_transport *t = snmp_sess_transport(snmp_sess_pointer(s));
	if (t && t->f_recv && t->domain &&
	    netsnmp_oid_equals(t->domain, t->domain_length, unix_domain, OID_LENGTH(unix_domain)) == 0)
		t->f_recv = direct_recv;
}
