/* mib_util.c: OID arithmetic, value setters, DateAndTime and SET helpers
 * shared by the agent's MIB handler files. */
#include "mib.h"

#include <string.h>
#include <time.h>

#include "loop.h"

struct loop *mib_loop;

int mib_register(const char *name, Netsnmp_Node_Handler *fn, const oid *root, size_t len, int modes)
{
	netsnmp_handler_registration *reg = netsnmp_create_handler_registration(name, fn, root, len, modes);
	if (!reg)
		return -1;
	/* netsnmp_register_handler frees reg on failure. */
	return netsnmp_register_handler(reg) == MIB_REGISTERED_OK ? 0 : -1;
}

bool mib_table_next_pos(const oid *name, size_t len, const oid *table, size_t tlen, unsigned mincol,
			unsigned maxcol, unsigned *col, const oid **idx, size_t *idxlen)
{
	*col = mincol;
	*idx = NULL;
	*idxlen = 0;
	if (len < tlen || memcmp(name, table, tlen * sizeof(oid)) != 0)
		/* Not inside: before the table (start at its beginning) or after it. */
		return snmp_oid_compare(name, len, table, tlen) < 0;
	const oid *rel = name + tlen;
	size_t rlen = len - tlen;
	if (rlen == 0 || rel[0] < 1)
		return true;
	if (rel[0] > 1)
		return false;
	if (rlen == 1 || rel[1] < mincol)
		return true;
	if (rel[1] > maxcol)
		return false;
	*col = (unsigned)rel[1];
	*idx = rel + 2;
	*idxlen = rlen - 2;
	return true;
}

bool mib_table_instance(const oid *name, size_t len, const oid *table, size_t tlen, unsigned *col,
			const oid **idx, size_t *idxlen)
{
	if (len < tlen + 2 || memcmp(name, table, tlen * sizeof(oid)) != 0 || name[tlen] != 1)
		return false;
	if (name[tlen + 1] > 0xffff)
		return false;
	*col = (unsigned)name[tlen + 1];
	*idx = name + tlen + 2;
	*idxlen = len - tlen - 2;
	return true;
}

bool mib_scalar_instance(const oid *name, size_t len, const oid *group, size_t glen, unsigned first,
			 unsigned last, unsigned *sub, bool *exact)
{
	*exact = false;
	if (len < glen + 1 || memcmp(name, group, glen * sizeof(oid)) != 0)
		return false;
	if (name[glen] < first || name[glen] > last)
		return false;
	*sub = (unsigned)name[glen];
	*exact = len == glen + 2 && name[glen + 1] == 0;
	return true;
}

bool mib_scalar_next(const oid *name, size_t len, const oid *group, size_t glen, unsigned first,
		     unsigned last, unsigned *sub)
{
	if (len < glen || memcmp(name, group, glen * sizeof(oid)) != 0) {
		*sub = first;
		return snmp_oid_compare(name, len, group, glen) < 0;
	}
	if (len == glen || name[glen] < first) {
		*sub = first;
		return true;
	}
	if (name[glen] > last)
		return false;
	/* x.N (no instance) comes before x.N.0; x.N.0 and anything after it
	 * move on to the next scalar. */
	*sub = (unsigned)name[glen] + (len > glen + 1 ? 1 : 0);
	return *sub <= last;
}

bool mib_set_name(netsnmp_variable_list *vb, const oid *prefix, size_t plen, const oid *subs, size_t nsub)
{
	oid buf[MAX_OID_LEN];
	if (plen + nsub > MAX_OID_LEN) {
		mib_no_next_vb(vb);
		return false;
	}
	memcpy(buf, prefix, plen * sizeof(oid));
	memcpy(buf + plen, subs, nsub * sizeof(oid));
	/* An answer at or before the question would have the agent ask again
	 * from the same place, forever: refuse it and move on instead. */
	if (snmp_oid_compare(buf, plen + nsub, vb->name, vb->name_length) <= 0) {
		mib_no_next_vb(vb);
		return false;
	}
	if (snmp_set_var_objid(vb, buf, plen + nsub) != 0) {
		mib_no_next_vb(vb);
		return false;
	}
	return true;
}

void mib_set_int(netsnmp_variable_list *vb, long v)
{
	snmp_set_var_typed_value(vb, ASN_INTEGER, &v, sizeof(v));
}

void mib_set_uint(netsnmp_variable_list *vb, u_char type, unsigned long v)
{
	snmp_set_var_typed_value(vb, type, &v, sizeof(v));
}

void mib_set_u64(netsnmp_variable_list *vb, uint64_t v)
{
	struct counter64 c = { .high = (u_long)(v >> 32), .low = (u_long)(v & 0xffffffffu) };
	snmp_set_var_typed_value(vb, ASN_COUNTER64, &c, sizeof(c));
}

void mib_set_str(netsnmp_variable_list *vb, const char *s)
{
	snmp_set_var_typed_value(vb, ASN_OCTET_STR, s, strlen(s));
}

size_t mib_datetime(rs_time_t t, u_char out[11])
{
	if (t <= 0) {
		memset(out, 0, 8);
		return 8;
	}
	time_t secs = (time_t)(t / RS_USEC_PER_SEC);
	struct tm tm;
	gmtime_r(&secs, &tm);
	int year = tm.tm_year + 1900;
	out[0] = (u_char)(year >> 8);
	out[1] = (u_char)(year & 0xff);
	out[2] = (u_char)(tm.tm_mon + 1);
	out[3] = (u_char)tm.tm_mday;
	out[4] = (u_char)tm.tm_hour;
	out[5] = (u_char)tm.tm_min;
	out[6] = (u_char)(tm.tm_sec > 59 ? 59 : tm.tm_sec); /* no leap second in the TC */
	out[7] = (u_char)((t % RS_USEC_PER_SEC) / 100000);
	out[8] = '+';
	out[9] = 0;
	out[10] = 0;
	return 11;
}

int mib_parse_datetime(const u_char *v, size_t len, rs_time_t *t)
{
	if (len != 8 && len != 11)
		return -1;
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (v[0] << 8 | v[1]) - 1900;
	tm.tm_mon = v[2] - 1;
	tm.tm_mday = v[3];
	tm.tm_hour = v[4];
	tm.tm_min = v[5];
	tm.tm_sec = v[6];
	if (tm.tm_year < 70 || v[2] < 1 || v[2] > 12 || v[3] < 1 || v[3] > 31 || v[4] > 23 || v[5] > 59 ||
	    v[6] > 60 || v[7] > 9)
		return -1;
	time_t secs = timegm(&tm);
	if (secs == (time_t)-1)
		return -1;
	if (len == 11) {
		/* The offset says how far local time is ahead of UTC. */
		if ((v[8] != '+' && v[8] != '-') || v[9] > 13 || v[10] > 59)
			return -1;
		long off = (long)v[9] * 3600 + (long)v[10] * 60;
		secs += v[8] == '+' ? -off : off;
	}
	*t = (rs_time_t)secs * RS_USEC_PER_SEC + (rs_time_t)v[7] * 100000;
	return 0;
}

void mib_set_datetime(netsnmp_variable_list *vb, rs_time_t t)
{
	u_char buf[11];
	size_t n = mib_datetime(t, buf);
	snmp_set_var_typed_value(vb, ASN_OCTET_STR, buf, n);
}

void mib_who(netsnmp_agent_request_info *reqinfo, char *buf, size_t len)
{
	netsnmp_agent_session *asp = reqinfo ? reqinfo->asp : NULL;
	netsnmp_pdu *pdu = asp ? asp->pdu : NULL;
	if (!pdu) {
		snprintf(buf, len, "snmp");
		return;
	}
	/* AgentX (RFC 2741) passes on the context of the manager's request,
	 * never who sent it or from where: that is all a subagent can say. */
	if ((pdu->version & 0xc0) == 0xc0) {
		const char *ctx = pdu->contextName && pdu->contextNameLen ? pdu->contextName : (const char *)pdu->community;
		size_t clen = pdu->contextName && pdu->contextNameLen ? pdu->contextNameLen : pdu->community_len;
		if (ctx && clen)
			snprintf(buf, len, "snmp via AgentX master, context %.*s", (int)clen, ctx);
		else
			snprintf(buf, len, "snmp via AgentX master, default context");
		return;
	}
	char peer[128] = "";
	netsnmp_transport *t = asp->session ? snmp_sess_transport(snmp_sess_pointer(asp->session)) : NULL;
	if (t && pdu->transport_data) {
		char *s = netsnmp_transport_peer_string(t, pdu->transport_data, pdu->transport_data_length);
		if (s) {
			snprintf(peer, sizeof(peer), " from %s", s);
			free(s);
		}
	}
	if (pdu->securityName && pdu->securityNameLen)
		snprintf(buf, len, "snmp %s user %.*s%s", pdu->version == SNMP_VERSION_3 ? "v3" : "v2c",
			 (int)pdu->securityNameLen, pdu->securityName, peer);
	else
		/* The community is a password: it is not written where readers
		 * of the job table would see it. */
		snprintf(buf, len, "snmp %s community%s", pdu->version == SNMP_VERSION_1 ? "v1" : "v2c", peer);
}

void mib_no_next_vb(netsnmp_variable_list *vb)
{
	/* ASN_NULL with the question's OID sends the agent on to the next
	 * registered subtree (netsnmp_reassign_requests uses subtree->next);
	 * ASN_PRIV_RETRY would hand the same OID to this handler again,
	 * forever (100% CPU in handle_getnext_loop). */
	snmp_set_var_typed_value(vb, ASN_NULL, NULL, 0);
}

void mib_no_next(netsnmp_request_info *r)
{
	mib_no_next_vb(r->requestvb);
}

void mib_u32_table_getnext(netsnmp_request_info *r, struct model *m, const struct mib_u32_table *t)
{
	netsnmp_variable_list *vb = r->requestvb;
	unsigned col;
	const oid *idx;
	size_t idxlen;
	if (!mib_table_next_pos(vb->name, vb->name_length, t->oid, t->oid_len, t->first_col, t->last_col,
				&col, &idx, &idxlen)) {
		mib_no_next(r);
		return;
	}
	uint32_t after = 0;
	if (idxlen > 0) {
		if (idx[0] > UINT32_MAX)
			col++; /* past every row of this column */
		else
			after = (uint32_t)idx[0];
	}
	for (; col <= t->last_col; col++, after = 0) {
		if (t->has_col && !t->has_col(col))
			continue;
		uint32_t index;
		const void *row = t->next(m, after, &index);
		if (row) {
			const oid sub[] = { 1, col, index };
			if (mib_set_name(vb, t->oid, t->oid_len, sub, 3))
				t->get_col(vb, row, col);
			return;
		}
		if (after == 0)
			break; /* the table is empty */
	}
	mib_no_next(r);
}

void mib_u32_table_get(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *r, struct model *m,
		       const struct mib_u32_table *t)
{
	netsnmp_variable_list *vb = r->requestvb;
	unsigned col;
	const oid *idx;
	size_t idxlen;
	if (!mib_table_instance(vb->name, vb->name_length, t->oid, t->oid_len, &col, &idx, &idxlen) ||
	    col < t->first_col || col > t->last_col || (t->has_col && !t->has_col(col))) {
		netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHOBJECT);
		return;
	}
	/* The row at idx is the first one after idx - 1, if it has that index:
	 * next() is the one lookup a table gives. */
	uint32_t index = 0;
	const void *row = idxlen == 1 && idx[0] != 0 && idx[0] <= UINT32_MAX
				  ? t->next(m, (uint32_t)idx[0] - 1, &index)
				  : NULL;
	if (!row || index != idx[0])
		netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHINSTANCE);
	else
		t->get_col(vb, row, col);
}

int mib_requests(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests,
		 const struct mib_request_ops *ops)
{
	for (netsnmp_request_info *r = requests; r; r = r->next) {
		if (r->processed)
			continue;
		switch (reqinfo->mode) {
		case MODE_GET:
			if (ops->table)
				mib_u32_table_get(reqinfo, r, &mib_loop->model, ops->table);
			else
				ops->get(reqinfo, r);
			break;
		case MODE_GETNEXT:
			if (ops->table)
				mib_u32_table_getnext(r, &mib_loop->model, ops->table);
			else
				ops->getnext(r);
			break;
		case MODE_SET_RESERVE1:
		case MODE_SET_RESERVE2:
		case MODE_SET_COMMIT:
			if (ops->set)
				ops->set(reqinfo, r);
			else if (reqinfo->mode == MODE_SET_RESERVE1)
				/* A read-only table: nothing in it can ever be written. */
				netsnmp_set_request_error(reqinfo, r, SNMP_ERR_NOTWRITABLE);
			break;
		default: /* ACTION, UNDO, FREE: nothing changes before COMMIT */
			break;
		}
	}
	return SNMP_ERR_NOERROR;
}

bool mib_store_refuses(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	if (reqinfo->mode != MODE_SET_RESERVE2 || loop_store_writable(mib_loop) == 0)
		return false;
	netsnmp_set_request_error(reqinfo, requests, SNMP_ERR_RESOURCEUNAVAILABLE);
	return true;
}

bool mib_is_check_phase(int mode)
{
	return mode == MODE_SET_RESERVE1 || mode == MODE_SET_RESERVE2;
}

bool mib_scalar_group_read(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *r,
			   const struct mib_scalar_group *g)
{
	netsnmp_variable_list *vb = r->requestvb;
	unsigned sub;
	bool exact;

	if (reqinfo->mode == MODE_GET) {
		if (!mib_scalar_instance(vb->name, vb->name_length, g->oid, g->oid_len, g->first, g->last, &sub,
					 &exact))
			netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHOBJECT);
		else if (g->exists && !g->exists(sub))
			netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHOBJECT);
		else if (!exact)
			netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHINSTANCE);
		else
			g->get_one(vb, sub);
		return true;
	}
	if (reqinfo->mode == MODE_GETNEXT) {
		bool more = mib_scalar_next(vb->name, vb->name_length, g->oid, g->oid_len, g->first, g->last, &sub);
		while (more && g->exists && !g->exists(sub))
			more = ++sub <= g->last;
		if (!more) {
			mib_no_next(r);
			return true;
		}
		const oid inst[] = { sub, 0 };
		if (mib_set_name(vb, g->oid, g->oid_len, inst, 2))
			g->get_one(vb, sub);
		return true;
	}
	return false;
}
