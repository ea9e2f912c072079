/* mib_jobs.c: resyncdJobTable and resyncdJobDeviceTable. Lookups are one
 * step in the model's job RB tree (model_job_next; model_job_by_id for SETs): O(log n)
 * per GET or GETNEXT. Writable: resyncdJobAction, cancel (loop_cancel_job)
 * or retry (loop_retry_job), and, while a job is scheduled, its
 * resyncdJobScheduledStart and resyncdJobRecurrenceSecs (J3); checked in the
 * reserve phases and applied at commit. */
#include "mib.h"

#include "log.h"
#include "loop.h"
#include "oids.h"

static const oid job_table_oid[] = { RESYNCD_JOB_TABLE_OID };
#define JOB_TABLE_OID_LEN OID_LENGTH(job_table_oid)
static const oid jobdev_table_oid[] = { RESYNCD_JOBDEV_TABLE_OID };
#define JOBDEV_TABLE_OID_LEN OID_LENGTH(jobdev_table_oid)

static void job_get_col(netsnmp_variable_list *vb, const void *row, unsigned col)
{
	const struct job *j = row;
	switch (col) {
	case JOB_NAME: mib_set_str(vb, j->name); return;
	case JOB_TYPE: mib_set_int(vb, j->type); return;
	case JOB_STATE: mib_set_int(vb, j->state); return;
	case JOB_PERCENT: mib_set_uint(vb, ASN_UNSIGNED, j->percent); return;
	case JOB_SUMMARY: mib_set_str(vb, j->summary); return;
	case JOB_SCHEDULED_START: mib_set_datetime(vb, j->scheduled_start); return;
	case JOB_ACTUAL_START: mib_set_datetime(vb, j->actual_start); return;
	case JOB_END_TIME: mib_set_datetime(vb, j->end_time); return;
	case JOB_USER: mib_set_str(vb, j->user); return;
	case JOB_RECURRENCE: mib_set_uint(vb, ASN_UNSIGNED, j->recurrence_secs); return;
	case JOB_DEVICE_COUNT: mib_set_uint(vb, ASN_UNSIGNED, j->ntasks); return;
	case JOB_FIRST_DEVICE: mib_set_uint(vb, ASN_UNSIGNED, j->ntasks ? j->tasks[0].device : 0); return;
	case JOB_ACTION: mib_set_int(vb, JOB_ACTION_NONE); return;
	case JOB_RETRY_OF: mib_set_uint(vb, ASN_UNSIGNED, j->retry_of); return;
	default: return;
	}
}

static struct job *job_lookup(const oid *idx, size_t idxlen)
{
	if (idxlen != 1 || idx[0] == 0 || idx[0] > UINT32_MAX)
		return NULL;
	return model_job_by_id(&mib_loop->model, (uint32_t)idx[0]);
}

static const void *job_next(struct model *m, uint32_t after, uint32_t *index)
{
	struct job *j = model_job_next(m, after);
	if (j)
		*index = j->id;
	return j;
}

const struct mib_u32_table mib_job_table = {
	job_table_oid, JOB_TABLE_OID_LEN, JOB_FIRST_COL, JOB_LAST_COL, job_next, job_get_col, NULL,
};

/* The longest recurrence: a year. */
#define JOB_RECURRENCE_MAX (366u * 86400u)

/* What one SET varbind of the job table asks. */
struct job_set {
	struct job *j;
	unsigned col;
	long action;
	uint32_t recurrence;
	rs_time_t start;
};

/* Checks a write of the scheduled start or the recurrence. */
static int job_check_schedule(const netsnmp_variable_list *vb, struct job_set *w)
{
	const char *why;
	if (w->col == JOB_RECURRENCE) {
		if (vb->type != ASN_UNSIGNED)
			return SNMP_ERR_WRONGTYPE;
		unsigned long v = *(const unsigned long *)vb->val.integer & 0xffffffffUL;
		if (v > JOB_RECURRENCE_MAX)
			return SNMP_ERR_WRONGVALUE;
		w->recurrence = (uint32_t)v;
		return w->j->state == JOB_SCHEDULED ? SNMP_ERR_NOERROR : SNMP_ERR_INCONSISTENTVALUE;
	}
	if (vb->type != ASN_OCTET_STR)
		return SNMP_ERR_WRONGTYPE;
	if (vb->val_len != 8 && vb->val_len != 11)
		return SNMP_ERR_WRONGLENGTH;
	if (mib_parse_datetime(vb->val.string, vb->val_len, &w->start) < 0)
		return SNMP_ERR_WRONGVALUE;
	if (w->j->state != JOB_SCHEDULED)
		return SNMP_ERR_INCONSISTENTVALUE;
	if (sched_check_reschedule(&mib_loop->model, w->j, w->start, loop_now(mib_loop), &why) < 0)
		return SNMP_ERR_WRONGVALUE; /* in the past */
	return SNMP_ERR_NOERROR;
}

/* Checks one SET varbind of the job table; on success *w says what to do at
 * commit. */
static int job_check(const netsnmp_variable_list *vb, struct job_set *w)
{
	const oid *idx;
	size_t idxlen;
	if (!mib_table_instance(vb->name, vb->name_length, job_table_oid, JOB_TABLE_OID_LEN, &w->col, &idx,
				&idxlen) ||
	    (w->col != JOB_ACTION && w->col != JOB_RECURRENCE && w->col != JOB_SCHEDULED_START))
		return SNMP_ERR_NOTWRITABLE;
	w->j = job_lookup(idx, idxlen);
	if (!w->j)
		return SNMP_ERR_NOCREATION; /* jobs are created by resyncd, never by SET */
	if (w->col != JOB_ACTION)
		return job_check_schedule(vb, w);
	struct job **j = &w->j;
	long *action = &w->action;
	if (vb->type != ASN_INTEGER)
		return SNMP_ERR_WRONGTYPE;
	*action = *vb->val.integer;
	switch (*action) {
	case JOB_ACTION_NONE:
		return SNMP_ERR_NOERROR;
	case JOB_ACTION_CANCEL:
		return job_state_final((*j)->state) ? SNMP_ERR_INCONSISTENTVALUE : SNMP_ERR_NOERROR;
	case JOB_ACTION_RETRY:
		return (*j)->state == JOB_FAILURE ? SNMP_ERR_NOERROR : SNMP_ERR_INCONSISTENTVALUE;
	default:
		return SNMP_ERR_WRONGVALUE;
	}
}

static void job_set(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *r)
{
	struct job_set w = { .action = JOB_ACTION_NONE };
	int err = job_check(r->requestvb, &w);
	if (err != SNMP_ERR_NOERROR) {
		netsnmp_set_request_error(reqinfo, r, reqinfo->mode == MODE_SET_COMMIT ? SNMP_ERR_COMMITFAILED : err);
		return;
	}
	if ((w.col == JOB_ACTION && w.action == JOB_ACTION_NONE) || mib_store_refuses(reqinfo, r) ||
	    reqinfo->mode != MODE_SET_COMMIT)
		return;
	char who[RS_JOB_USER_MAX];
	uint32_t id = w.j->id;
	long action = w.action;
	const char *why = NULL;
	mib_who(reqinfo, who, sizeof(who));
	if (w.col == JOB_RECURRENCE) {
		if (loop_set_recurrence(mib_loop, id, w.recurrence, who) < 0)
			netsnmp_set_request_error(reqinfo, r, SNMP_ERR_COMMITFAILED);
	} else if (w.col == JOB_SCHEDULED_START) {
		if (loop_reschedule_job(mib_loop, id, w.start, who, &why) < 0) {
			log_err("job %u: reschedule by %s refused: %s", id, who, why ? why : "unknown");
			netsnmp_set_request_error(reqinfo, r, SNMP_ERR_COMMITFAILED);
		}
	} else if (action == JOB_ACTION_CANCEL) {
		if (loop_cancel_job(mib_loop, id, who) < 0)
			netsnmp_set_request_error(reqinfo, r, SNMP_ERR_COMMITFAILED);
	} else {
		struct job *n = loop_retry_job(mib_loop, id, who);
		if (!n)
			netsnmp_set_request_error(reqinfo, r, SNMP_ERR_COMMITFAILED);
		else
			log_info("job %u: retried as job %u by %s", id, n->id, who);
	}
}

int mib_jobs_handler(MIB_HANDLER_ARGS)
{
	static const struct mib_request_ops ops = { .table = &mib_job_table, .set = job_set };
	(void)handler;
	(void)reginfo;
	return mib_requests(reqinfo, requests, &ops);
}

/* ---- resyncdJobDeviceTable: INDEX { resyncdJobId, resyncdJobDeviceSeq } ---- */

static void jobdev_get_col(netsnmp_variable_list *vb, const struct task *t, unsigned col)
{
	switch (col) {
	case JOBDEV_DEVICE: mib_set_uint(vb, ASN_UNSIGNED, t->device); return;
	case JOBDEV_STATE: mib_set_int(vb, t->state); return;
	case JOBDEV_START: mib_set_datetime(vb, t->start); return;
	case JOBDEV_END: mib_set_datetime(vb, t->end); return;
	case JOBDEV_REASON: mib_set_str(vb, t->reason ? t->reason : ""); return;
	default: return;
	}
}

static void jobdev_get(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *r)
{
	netsnmp_variable_list *vb = r->requestvb;
	unsigned col;
	const oid *idx;
	size_t idxlen;
	if (!mib_table_instance(vb->name, vb->name_length, jobdev_table_oid, JOBDEV_TABLE_OID_LEN, &col, &idx,
				&idxlen) || col < JOBDEV_FIRST_COL || col > JOBDEV_LAST_COL) {
		netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHOBJECT);
		return;
	}
	struct job *j = idxlen == 2 ? job_lookup(idx, 1) : NULL;
	if (!j || idx[1] < 1 || idx[1] > j->ntasks) {
		netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHINSTANCE);
		return;
	}
	jobdev_get_col(vb, &j->tasks[idx[1] - 1], col);
}

/* The first (job, seq) row after the given index prefix, in one column. */
static struct job *jobdev_after(const oid *idx, size_t idxlen, uint32_t *seq)
{
	struct model *m = &mib_loop->model;
	struct job *j;
	uint32_t id = 0;
	*seq = 1;
	if (idxlen >= 1) {
		if (idx[0] > UINT32_MAX)
			return NULL;
		id = (uint32_t)idx[0];
		j = id ? model_job_by_id(m, id) : NULL;
		/* (id) alone precedes (id, 1); (id, s...) is followed by (id, s+1).
		 * Compared before adding 1: a sub-id of 2^64-1 must not wrap to 0. */
		if (j && (idxlen == 1 ? j->ntasks >= 1 : idx[1] < j->ntasks)) {
			*seq = idxlen == 1 ? 1 : (uint32_t)idx[1] + 1;
			return j;
		}
	}
	for (j = model_job_next(m, id); j && j->ntasks == 0; j = model_job_next(m, j->id))
		;
	return j;
}

static void jobdev_getnext(netsnmp_request_info *r)
{
	netsnmp_variable_list *vb = r->requestvb;
	unsigned col;
	const oid *idx;
	size_t idxlen;
	if (!mib_table_next_pos(vb->name, vb->name_length, jobdev_table_oid, JOBDEV_TABLE_OID_LEN,
				JOBDEV_FIRST_COL, JOBDEV_LAST_COL, &col, &idx, &idxlen)) {
		mib_no_next(r);
		return;
	}
	for (; col <= JOBDEV_LAST_COL && mib_loop->model.njobs > 0; col++, idxlen = 0) {
		uint32_t seq;
		struct job *j = jobdev_after(idx, idxlen, &seq);
		if (j) {
			const oid sub[] = { 1, col, j->id, seq };
			if (mib_set_name(vb, jobdev_table_oid, JOBDEV_TABLE_OID_LEN, sub, 4))
				jobdev_get_col(vb, &j->tasks[seq - 1], col);
			return;
		}
	}
	mib_no_next(r);
}

int mib_jobdevs_handler(MIB_HANDLER_ARGS)
{
	static const struct mib_request_ops ops = { .get = jobdev_get, .getnext = jobdev_getnext }; /* read-only */
	(void)handler;
	(void)reginfo;
	return mib_requests(reqinfo, requests, &ops);
}

int mib_jobs_register(void)
{
	if (mib_register("resyncdJobTable", mib_jobs_handler, job_table_oid, JOB_TABLE_OID_LEN,
			 HANDLER_CAN_RWRITE) < 0)
		return -1;
	return mib_register("resyncdJobDeviceTable", mib_jobdevs_handler, jobdev_table_oid,
			    JOBDEV_TABLE_OID_LEN, HANDLER_CAN_RWRITE);
}
