/* mib_status.c: the resyncdStatus scalars (read-only): device counts by
 * managed status, the device table's last change, ingestion and job
 * counters, the traps that could not go out. They let an NMS see what changed without walking a table. */
#include "mib.h"

#include "agent.h"
#include "loop.h"
#include "oids.h"
#include "store.h"

static const oid status_oid[] = { RESYNCD_STATUS_OID };
#define STATUS_OID_LEN OID_LENGTH(status_oid)

static void status_get_one(netsnmp_variable_list *vb, unsigned sub)
{
	const struct model *m = &mib_loop->model;
	const struct ingest_counters *in = &m->ingest;
	const struct job_counters *jc = &m->jobc;
	switch (sub) {
	case ST_DEVICE_COUNT:
		mib_set_uint(vb, ASN_GAUGE, m->ndevices);
		return;
	case ST_DEVICES_LAST_CHANGE:
		mib_set_datetime(vb, m->devices_last_change);
		return;
	case ST_JOB_COUNT:
		mib_set_uint(vb, ASN_GAUGE, m->njobs);
		return;
	case ST_MSGS_RECEIVED: mib_set_u64(vb, in->received); return;
	case ST_MSGS_MALFORMED: mib_set_u64(vb, in->malformed); return;
	case ST_COMMITS: mib_set_u64(vb, in->commits); return;
	case ST_OTHER_EVENTS: mib_set_u64(vb, in->other_events); return;
	case ST_UNKNOWN_HOST: mib_set_u64(vb, in->unknown_host); return;
	case ST_DROPPED: mib_set_u64(vb, in->dropped); return;
	case ST_DUPLICATES: mib_set_u64(vb, in->duplicates); return;
	case ST_JOBS_CREATED: mib_set_u64(vb, jc->created); return;
	case ST_JOBS_SUCCEEDED: mib_set_u64(vb, jc->succeeded); return;
	case ST_JOBS_FAILED: mib_set_u64(vb, jc->failed); return;
	case ST_JOBS_CANCELLED: mib_set_u64(vb, jc->cancelled); return;
	case ST_JOBS_DELAYED: mib_set_u64(vb, jc->delayed); return;
	case ST_JOBS_REDUNDANT: mib_set_u64(vb, jc->redundant); return;
	case ST_INCIDENTS_OPEN: mib_set_uint(vb, ASN_GAUGE, mib_loop->incidents.nopen); return;
	case ST_INCIDENTS_OPENED: mib_set_u64(vb, mib_loop->incidents.c.opened); return;
	case ST_EVENTS_RATE_LIMITED: mib_set_u64(vb, mib_loop->incidents.c.rate_limited); return;
	case ST_SENDERS_REFUSED: mib_set_u64(vb, in->refused); return;
	case ST_COMMITS_NOT_FROM_DEVICE: mib_set_u64(vb, in->not_from_device); return;
	case ST_CONNECTIONS_CLOSED: mib_set_u64(vb, in->conns_closed); return;
	case ST_ACCEPT_PAUSES: mib_set_u64(vb, in->accept_pauses); return;
	case ST_TRAPS_DROPPED: mib_set_u64(vb, agent_trapq_dropped()); return;
	case ST_TRAPS_QUEUED: mib_set_uint(vb, ASN_GAUGE, agent_trapq_length()); return;
	case ST_STORE_BYTES_WRITTEN: mib_set_u64(vb, store_bytes_written(mib_loop->store)); return;
	case ST_JOBS_PURGED: mib_set_u64(vb, jc->purged); return;
	case ST_INVENTORY_CURRENT: mib_set_u64(vb, jc->current); return;
	case ST_RESYNC_REFETCHES: mib_set_u64(vb, jc->refetches); return;
	case ST_UDP_BUFFER_DROPS: mib_set_u64(vb, in->udp_buffer_drops); return;
	default:
		/* resyncdDevicesUnknown .. resyncdDevicesManagerAndDeviceChanged */
		mib_set_uint(vb, ASN_GAUGE, m->status_count[sub - ST_BY_MS_BASE]);
		return;
	}
}

/* Sub-ids between the counters that exist are allocated to others. */
static bool status_exists(unsigned sub)
{
	return sub <= ST_TRAPS_QUEUED || sub >= ST_STORE_BYTES_WRITTEN;
}

static const struct mib_scalar_group status_group = { status_oid, STATUS_OID_LEN, 1, ST_LAST, status_get_one,
						      status_exists };

int mib_status_handler(MIB_HANDLER_ARGS)
{
	(void)handler;
	(void)reginfo;
	for (netsnmp_request_info *r = requests; r; r = r->next) {
		netsnmp_variable_list *vb = r->requestvb;
		unsigned sub;
		bool exact;
		if (r->processed)
			continue;
		if (mib_scalar_group_read(reqinfo, r, &status_group))
			continue;
		switch (reqinfo->mode) {
		case MODE_SET_RESERVE1:
			/* Existing objects are read-only; anything else can never exist. */
			if (mib_scalar_instance(vb->name, vb->name_length, status_oid, STATUS_OID_LEN, 1, ST_LAST,
						&sub, &exact) && exact && status_exists(sub))
				netsnmp_set_request_error(reqinfo, r, SNMP_ERR_NOTWRITABLE);
			else
				netsnmp_set_request_error(reqinfo, r, SNMP_ERR_NOCREATION);
			break;
		default:
			break;
		}
	}
	return SNMP_ERR_NOERROR;
}

int mib_status_register(void)
{
	/* RWRITE so that a SET gets notWritable from us, not a generic error. */
	return mib_register("resyncdStatus", mib_status_handler, status_oid, STATUS_OID_LEN, HANDLER_CAN_RWRITE);
}
