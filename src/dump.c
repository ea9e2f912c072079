/* dump.c: prints the store's devices and jobs as tab-separated lines, for
 * operators and tests. Safe while the daemon runs (joins its environment). */
#include "dump.h"

#include "model.h"
#include "store.h"

int dump_state(const char *state_dir, FILE *out)
{
	struct store *s;
	char err[1024];
	if (store_open_tool(state_dir, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "resyncd: %s\n", err);
		return -1;
	}
	struct model m;
	model_init(&m);
	int have_settings;
	int rc = store_load_retrying(s, &m, &have_settings);
	if (rc < 0)
		fprintf(stderr, "resyncd: %s\n", store_error(s));
	fprintf(out, "#device\tindex\tname\taddress\tmanagedStatus\tconnStatus\tcommitCount\tlastCommitUser"
		     "\tlastResyncResult\tlastResyncReason\tconfigVersion\tscheduledAutoJob"
		     "\tconfigCommitTime\tconfigCommitUser\tintendedVersion\tintendedTime\tsyslogConfigured\n");
	struct device *d;
	MODEL_FOREACH_DEVICE(&m, it, d)
		fprintf(out, "device\t%u\t%s\t%s\t%s\t%s\t%llu\t%s\t%d\t%s\t%u\t%u\t%lld\t%s\t%u\t%lld\t%lld\n",
			d->index,
			d->name, d->address, managed_status_name(d->managed_status),
			conn_status_name(d->conn_status), (unsigned long long)d->commit_count,
			d->last_commit_user, d->last_resync_result, d->last_resync_reason, d->config_version,
			d->scheduled_auto_job, (long long)(d->config_commit_time / RS_USEC_PER_SEC),
			d->config_commit_user, d->intended_version, (long long)(d->intended_time / RS_USEC_PER_SEC),
			(long long)(d->syslog_configured / RS_USEC_PER_SEC));
	fprintf(out, "#removed\tindex\tname\tremovedAt\tconfigVersion\n");
	for (struct retained *r = retained_first(&m.retained); r; r = retained_next(&m.retained, r))
		fprintf(out, "removed\t%u\t%s\t%lld\t%u\n", r->index, r->name, (long long)(r->removed / RS_USEC_PER_SEC),
			r->config_version);
	fprintf(out, "#job\tid\ttype\tstate\tpercent\tdevices\tscheduledStart\tuser\tsummary\n");
	struct job *j;
	RB_FOREACH(j, job_tree, &m.jobs)
		fprintf(out, "job\t%u\t%s\t%s\t%u\t%u\t%lld\t%s\t%s\n", j->id, job_type_name(j->type),
			job_state_name(j->state), j->percent, j->ntasks, (long long)(j->scheduled_start / RS_USEC_PER_SEC),
			j->user, j->summary);
	for (int i = 0; i < SET_COUNT; i++)
		fprintf(out, "setting\t%s\t%lld\n", settings_name((enum setting_id)i),
			(long long)settings_get(&m.settings, (enum setting_id)i));
	model_free(&m);
	store_close(s);
	return rc;
}
