/* agent_notify.c: the notify sink that turns core events into SNMP
 * notifications (deviceManagedStatusChange, jobStateChange, incidentOpened,
 * incidentClosed). Runs on the loop
 * thread, like every net-snmp call; the traps go out through the queue of
 * agent_trapq.c, never waiting for snmpd. snmpTrapOID.0 goes first (send_v2trap
 * prepends sysUpTime.0), and every object carries its row index. */
#include "mib.h"

#include "agent.h"
#include "log.h"
#include "loop.h"
#include "notify.h"
#include "oids.h"

static bool notify_on;

static const oid snmptrap_oid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };
static const oid trap_status_oid[] = { RESYNCD_NOTIF_DEVICE_STATUS_OID };
static const oid trap_job_oid[] = { RESYNCD_NOTIF_JOB_STATE_OID };
static const oid trap_added_oid[] = { RESYNCD_NOTIF_DEVICE_ADDED_OID };
static const oid trap_removed_oid[] = { RESYNCD_NOTIF_DEVICE_REMOVED_OID };
static const oid dev_entry_oid[] = { RESYNCD_DEVICE_TABLE_OID, 1 };
static const oid job_entry_oid[] = { RESYNCD_JOB_TABLE_OID, 1 };
static const oid notif_obj_oid[] = { RESYNCD_NOTIF_OBJECTS_OID };
static const oid trap_inc_opened_oid[] = { RESYNCD_NOTIF_INCIDENT_OPENED_OID };
static const oid trap_inc_closed_oid[] = { RESYNCD_NOTIF_INCIDENT_CLOSED_OID };
static const oid inc_entry_oid[] = { RESYNCD_INCIDENT_TABLE_OID, 1 };

/* Appends prefix.col.index with a value of the given type. */
static void notify_add(netsnmp_variable_list **vars, const oid *prefix, size_t plen, oid col, uint32_t index,
		       u_char type, const void *val, size_t len)
{
	oid name[MAX_OID_LEN];
	memcpy(name, prefix, plen * sizeof(oid));
	name[plen] = col;
	name[plen + 1] = index;
	snmp_varlist_add_variable(vars, name, plen + 2, type, val, len);
}

static void notify_time(u_char buf[11], size_t *len)
{
	*len = mib_datetime(mib_loop ? loop_now(mib_loop) : 0, buf);
}

static void agent_notify_status(void *ctx, const struct device *d, enum managed_status old_st,
				  enum managed_status new_st)
{
	(void)ctx;
	if (!notify_on || !d)
		return;
	netsnmp_variable_list *vars = NULL;
	long old_v = old_st, new_v = new_st;
	u_char when[11];
	size_t wlen;
	notify_time(when, &wlen);
	snmp_varlist_add_variable(&vars, snmptrap_oid, OID_LENGTH(snmptrap_oid), ASN_OBJECT_ID,
				  trap_status_oid, sizeof(trap_status_oid));
	notify_add(&vars, dev_entry_oid, OID_LENGTH(dev_entry_oid), DEV_NAME, d->index, ASN_OCTET_STR, d->name,
		   strlen(d->name));
	notify_add(&vars, notif_obj_oid, OID_LENGTH(notif_obj_oid), NOTIFOBJ_PREVIOUS_STATUS, d->index,
		   ASN_INTEGER, &old_v, sizeof(old_v));
	notify_add(&vars, dev_entry_oid, OID_LENGTH(dev_entry_oid), DEV_MANAGED_STATUS, d->index, ASN_INTEGER,
		   &new_v, sizeof(new_v));
	notify_add(&vars, dev_entry_oid, OID_LENGTH(dev_entry_oid), DEV_LAST_COMMIT_USER, d->index,
		   ASN_OCTET_STR, d->last_commit_user, strlen(d->last_commit_user));
	notify_add(&vars, notif_obj_oid, OID_LENGTH(notif_obj_oid), NOTIFOBJ_TIME, d->index, ASN_OCTET_STR,
		   when, wlen);
	agent_trapq_push(vars);
}

static void agent_notify_job(void *ctx, const struct job *j, enum job_state job_state, const char *summary,
			     const struct device *d)
{
	(void)ctx;
	(void)d;
	if (!notify_on || !j)
		return;
	netsnmp_variable_list *vars = NULL;
	long type = j->type, state = job_state;
	u_long count = j->ntasks, first = j->ntasks ? j->tasks[0].device : 0;
	snmp_varlist_add_variable(&vars, snmptrap_oid, OID_LENGTH(snmptrap_oid), ASN_OBJECT_ID, trap_job_oid,
				  sizeof(trap_job_oid));
	notify_add(&vars, job_entry_oid, OID_LENGTH(job_entry_oid), JOB_TYPE, j->id, ASN_INTEGER, &type,
		   sizeof(type));
	notify_add(&vars, job_entry_oid, OID_LENGTH(job_entry_oid), JOB_STATE, j->id, ASN_INTEGER, &state,
		   sizeof(state));
	notify_add(&vars, job_entry_oid, OID_LENGTH(job_entry_oid), JOB_SUMMARY, j->id, ASN_OCTET_STR,
		   summary, strlen(summary));
	notify_add(&vars, job_entry_oid, OID_LENGTH(job_entry_oid), JOB_DEVICE_COUNT, j->id, ASN_UNSIGNED,
		   &count, sizeof(count));
	notify_add(&vars, job_entry_oid, OID_LENGTH(job_entry_oid), JOB_FIRST_DEVICE, j->id, ASN_UNSIGNED,
		   &first, sizeof(first));
	agent_trapq_push(vars);
}

/* incidentOpened / incidentClosed: the incident row's objects, each with
 * the incident id as index. */
static void agent_notify_incident(void *ctx, const struct incident *i, const struct device *d, bool opened)
{
	(void)ctx;
	if (!notify_on || !i)
		return;
	netsnmp_variable_list *vars = NULL;
	const oid *trap = opened ? trap_inc_opened_oid : trap_inc_closed_oid;
	const char *name = d ? d->name : "";
	u_long device = i->device;
	long state = i->state, closed_by = i->closed_by;
	/* Unsigned32, not Counter64: the trap must convert to SNMPv1 for v1 sinks. */
	u_long count = i->count > UINT32_MAX ? UINT32_MAX : (u_long)i->count;
	size_t plen = OID_LENGTH(inc_entry_oid);
	snmp_varlist_add_variable(&vars, snmptrap_oid, OID_LENGTH(snmptrap_oid), ASN_OBJECT_ID, trap,
				  sizeof(trap_inc_opened_oid));
	notify_add(&vars, inc_entry_oid, plen, INC_COL_DEVICE, i->id, ASN_UNSIGNED, &device, sizeof(device));
	notify_add(&vars, inc_entry_oid, plen, INC_COL_DEVICE_NAME, i->id, ASN_OCTET_STR, name, strlen(name));
	notify_add(&vars, inc_entry_oid, plen, INC_COL_EVENT_TAG, i->id, ASN_OCTET_STR, i->tag, strlen(i->tag));
	notify_add(&vars, inc_entry_oid, plen, INC_COL_DETAIL, i->id, ASN_OCTET_STR, i->detail, strlen(i->detail));
	notify_add(&vars, inc_entry_oid, plen, INC_COL_COUNT, i->id, ASN_UNSIGNED, &count, sizeof(count));
	notify_add(&vars, inc_entry_oid, plen, INC_COL_STATE, i->id, ASN_INTEGER, &state, sizeof(state));
	if (!opened)
		notify_add(&vars, inc_entry_oid, plen, INC_COL_CLOSED_BY, i->id, ASN_INTEGER, &closed_by,
			   sizeof(closed_by));
	agent_trapq_push(vars);
}

/* deviceAdded / deviceRemoved: the name, with the device's index as instance. */
static void agent_notify_device(const struct device *d, const oid *trap, size_t trap_len)
{
	if (!notify_on || !d)
		return;
	netsnmp_variable_list *vars = NULL;
	snmp_varlist_add_variable(&vars, snmptrap_oid, OID_LENGTH(snmptrap_oid), ASN_OBJECT_ID, trap,
				  trap_len * sizeof(oid));
	notify_add(&vars, dev_entry_oid, OID_LENGTH(dev_entry_oid), DEV_NAME, d->index, ASN_OCTET_STR, d->name,
		   strlen(d->name));
	agent_trapq_push(vars);
}

static void agent_notify_added(void *ctx, const struct device *d)
{
	(void)ctx;
	agent_notify_device(d, trap_added_oid, OID_LENGTH(trap_added_oid));
}

static void agent_notify_removed(void *ctx, const struct device *d)
{
	(void)ctx;
	agent_notify_device(d, trap_removed_oid, OID_LENGTH(trap_removed_oid));
}

int agent_notify_start(void)
{
	static bool added;
	notify_on = true;
	if (added)
		return 0;
	/* notify.h has no way to remove one sink: stopping only mutes it. */
	struct notify_sink sink = { .status_changed = agent_notify_status,
				    .job_changed = agent_notify_job,
				    .incident_changed = agent_notify_incident,
				    .device_added = agent_notify_added,
				    .device_removed = agent_notify_removed,
				    .ctx = NULL };
	if (notify_add_sink(&sink) < 0)
		return -1;
	added = true;
	return 0;
}

void agent_notify_stop(void)
{
	notify_on = false;
}
