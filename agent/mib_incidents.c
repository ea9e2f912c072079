/* mib_incidents.c: resyncdIncidentTable (SPEC E2-E5). A lookup is one step
 * in the incident RB tree: O(log n) per GET or GETNEXT. The only writable
 * column is resyncdIncidentAction: close(2) closes an open incident
 * (loop_close_incident), checked in the reserve phases, applied at commit. */
#include "mib.h"

#include "log.h"
#include "loop.h"
#include "oids.h"

static const oid incident_table_oid[] = { RESYNCD_INCIDENT_TABLE_OID };
#define INCIDENT_TABLE_OID_LEN OID_LENGTH(incident_table_oid)

static void incident_get_col(netsnmp_variable_list *vb, const void *row, unsigned col)
{
	const struct incident *i = row;
	const struct device *d;
	switch (col) {
	case INC_COL_DEVICE: mib_set_uint(vb, ASN_UNSIGNED, i->device); return;
	case INC_COL_DEVICE_NAME:
		d = model_device_by_index(&mib_loop->model, i->device);
		mib_set_str(vb, d ? d->name : "");
		return;
	case INC_COL_PROFILE: mib_set_str(vb, i->profile); return;
	case INC_COL_EVENT_TAG: mib_set_str(vb, i->tag); return;
	case INC_COL_DETAIL: mib_set_str(vb, i->detail); return;
	case INC_COL_SEVERITY: mib_set_int(vb, i->severity); return;
	case INC_COL_FIRST_SEEN: mib_set_datetime(vb, i->first_seen); return;
	case INC_COL_LAST_SEEN: mib_set_datetime(vb, i->last_seen); return;
	case INC_COL_COUNT:
		mib_set_uint(vb, ASN_UNSIGNED, i->count > UINT32_MAX ? UINT32_MAX : (unsigned long)i->count);
		return;
	case INC_COL_STATE: mib_set_int(vb, i->state); return;
	case INC_COL_CLOSED_BY: mib_set_int(vb, i->closed_by); return;
	case INC_COL_CLOSED_TIME: mib_set_datetime(vb, i->closed_at); return;
	case INC_COL_LAST_MESSAGE: mib_set_str(vb, i->text); return;
	case INC_COL_CAPTURE_JOB: mib_set_uint(vb, ASN_UNSIGNED, i->capture_job); return;
	case INC_COL_CAPTURE_STATE: mib_set_int(vb, i->capture); return;
	case INC_COL_CAPTURE_SIZE: mib_set_uint(vb, ASN_UNSIGNED, i->capture_len); return;
	case INC_COL_ACTION: mib_set_int(vb, INC_ACTION_NONE); return;
	default: return;
	}
}

static struct incident *incident_lookup(const oid *idx, size_t idxlen)
{
	if (idxlen != 1 || idx[0] == 0 || idx[0] > UINT32_MAX)
		return NULL;
	return incident_by_id(&mib_loop->incidents, (uint32_t)idx[0]);
}

static const void *incident_row_next(struct model *m, uint32_t after, uint32_t *index)
{
	(void)m; /* incidents live beside the model, in the loop */
	struct incident *i = incident_next(&mib_loop->incidents, after);
	if (i)
		*index = i->id;
	return i;
}

const struct mib_u32_table mib_incident_table = {
	incident_table_oid, INCIDENT_TABLE_OID_LEN, INC_COL_FIRST, INC_COL_LAST, incident_row_next,
	incident_get_col, NULL,
};

/* Checks one SET varbind; on success *i and *action say what to do at commit. */
static int incident_check(const netsnmp_variable_list *vb, struct incident **i, long *action)
{
	unsigned col;
	const oid *idx;
	size_t idxlen;
	if (!mib_table_instance(vb->name, vb->name_length, incident_table_oid, INCIDENT_TABLE_OID_LEN, &col, &idx,
				&idxlen) || col != INC_COL_ACTION)
		return SNMP_ERR_NOTWRITABLE;
	*i = incident_lookup(idx, idxlen);
	if (!*i)
		return SNMP_ERR_NOCREATION; /* incidents are opened by events, never by SET */
	if (vb->type != ASN_INTEGER)
		return SNMP_ERR_WRONGTYPE;
	*action = *vb->val.integer;
	switch (*action) {
	case INC_ACTION_NONE:
		return SNMP_ERR_NOERROR;
	case INC_ACTION_CLOSE:
		return (*i)->state == INC_OPEN ? SNMP_ERR_NOERROR : SNMP_ERR_INCONSISTENTVALUE;
	default:
		return SNMP_ERR_WRONGVALUE;
	}
}

static void incident_set(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *r)
{
	struct incident *i = NULL;
	long action = INC_ACTION_NONE;
	int err = incident_check(r->requestvb, &i, &action);
	if (err != SNMP_ERR_NOERROR) {
		netsnmp_set_request_error(reqinfo, r, reqinfo->mode == MODE_SET_COMMIT ? SNMP_ERR_COMMITFAILED : err);
		return;
	}
	if (reqinfo->mode != MODE_SET_COMMIT || action == INC_ACTION_NONE)
		return;
	char who[160];
	mib_who(reqinfo, who, sizeof(who));
	if (loop_close_incident(mib_loop, i->id, who) < 0)
		netsnmp_set_request_error(reqinfo, r, SNMP_ERR_COMMITFAILED);
}

int mib_incidents_handler(MIB_HANDLER_ARGS)
{
	static const struct mib_request_ops ops = { .table = &mib_incident_table, .set = incident_set };
	(void)handler;
	(void)reginfo;
	return mib_requests(reqinfo, requests, &ops);
}

int mib_incidents_register(void)
{
	return mib_register("resyncdIncidentTable", mib_incidents_handler, incident_table_oid,
			    INCIDENT_TABLE_OID_LEN, HANDLER_CAN_RWRITE);
}
