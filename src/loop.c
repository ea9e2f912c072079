/* loop.c: the event loop that owns the model. It runs the pure core, then
 * carries out the core's actions: persist in one transaction, notify after
 * the data is durable, hand fetches to workers. Other threads reach it only
 * through the inbox queue. */
#include "loop.h"

#include <event2/event.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "archive.h"
#include "config.h"
#include "ingest.h"
#include "intended.h"
#include "job_archive.h"
#include "log.h"
#include "notify.h"
#include "queue.h"
#include "store.h"

#define PURGE_INTERVAL_SECS 60
/* Recovery replays the log since the last checkpoint: at this interval a
 * restart after a crash reads at most half a minute of writes. */
#define CHECKPOINT_INTERVAL_SECS 30
#define INCIDENT_TICK_SECS 1
/* How long a stop waits for running fetches to end by themselves. Not
 * resyncTimeoutSecs (up to an hour): a device that accepts the connection
 * and never answers held every stop that long, past systemd's
 * TimeoutStopSec, which then SIGKILLed us. After the grace the workers are
 * cancelled (loop_free), which they notice within 0.1 s; their jobs end at
 * the next start as "interrupted by restart" (SPEC J5), as after a kill. */
#define STOP_GRACE_SECS 10

struct call {
	loop_fn fn;
	void *arg;
	int sync;
	int done;
	int result;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

rs_time_t loop_realtime(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (rs_time_t)ts.tv_sec * RS_USEC_PER_SEC + ts.tv_nsec / 1000;
}

rs_time_t loop_now(const struct loop *l)
{
	return l->clock();
}

static void arm_timer(struct loop *l)
{
	if (!l->timer)
		return;
	rs_time_t due = sched_next_due(&l->model);
	if (!due || l->stopping) {
		evtimer_del(l->timer);
		return;
	}
	rs_time_t delta = due - loop_now(l);
	if (delta < 0)
		delta = 0;
	struct timeval tv = { (time_t)(delta / RS_USEC_PER_SEC), (suseconds_t)(delta % RS_USEC_PER_SEC) };
	evtimer_add(l->timer, &tv);
}

/* Writes what the queued actions name; the whole of it is one transaction
 * (store_txn repeats it if a tool's reads deadlocked with it). */
static int persist_actions(struct store *s, void *ctx)
{
	struct loop *l = ctx;
	for (size_t i = 0; i < l->actions.n; i++) {
		const struct action *a = &l->actions.v[i];
		int rc = 0;
		switch (a->kind) {
		case ACT_SAVE_DEVICE: {
			struct device *d = model_device_by_index(&l->model, a->device);
			if (d)
				rc = store_put_device(s, d);
			break;
		}
		case ACT_SAVE_JOB: {
			struct job *j = model_job_by_id(&l->model, a->job);
			if (j)
				rc = store_put_job(s, j);
			break;
		}
		case ACT_SAVE_JOB_TASKS:
		case ACT_SAVE_TASK: {
			struct job *j = model_job_by_id(&l->model, a->job);
			if (j)
				rc = a->kind == ACT_SAVE_TASK ? store_put_task(s, j, a->seq) : store_put_job_tasks(s, j);
			break;
		}
		case ACT_DELETE_JOB:
			rc = store_del_job(s, a->job);
			break;
		case ACT_DELETE_DEVICE:
			rc = store_del_device(s, a->device);
			break;
		case ACT_SAVE_SETTINGS:
			rc = store_put_settings(s, &l->model.settings);
			break;
		case ACT_SAVE_INCIDENT: {
			const struct incident *inc = incident_by_id(&l->incidents, a->incident);
			if (inc)
				rc = store_put_incident(s, inc);
			break;
		}
		case ACT_DELETE_INCIDENT:
			rc = store_del_incident(s, a->incident);
			break;
		case ACT_SAVE_RETAINED: {
			const struct retained *r = retained_by_index(&l->model.retained, a->device);
			rc = r ? store_put_retained(s, r) : store_del_retained(s, a->device);
			break;
		}
		case ACT_FORGET_DEVICE:
			rc = store_del_retained(s, a->device);
			if (rc == 0)
				rc = archive_forget(s, a->device);
			break;
		default:
			break;
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int persist(struct loop *l)
{
	struct store *s = l->store;
	if (!s)
		return 0;
	if (store_txn(s, persist_actions, l) < 0)
		goto fail;
	l->store_dirty = true;
	return 0;
fail:
	/* Once per failure streak: a full disk must not fill the log too. */
	if (l->store_failures++ == 0)
		log_err("store: cannot persist: %s", store_error(s));
	return -1;
}

static struct fetch_request *fetch_request_for(struct loop *l, uint32_t job, const struct device *d)
{
	struct fetch_request *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->job = job;
	r->device = d->index;
	snprintf(r->name, sizeof(r->name), "%s", d->name);
	snprintf(r->address, sizeof(r->address), "%s", d->address);
	r->port = d->ssh_port;
	r->trust_on_first_use = d->trust_on_first_use;
	r->timeout_secs = l->model.settings.resync_timeout_secs;
	atomic_init(&r->cancel, 0);
	const struct job *j = model_job_by_id(&l->model, job);
	r->current_commit = j ? sched_current_commit(j, d) : 0;
	if (j && j->type == JOB_CONFIGURE_SYSLOG && l->config) {
		/* S6: a system syslog host entry for resyncd, merged: the commit
		 * messages (interactive-commands, INGESTION.md), structured data. */
		r->op = FETCH_OP_CONFIGURE_SYSLOG;
		char text[512];
		int n = snprintf(text, sizeof(text),
				 "system {\n    syslog {\n        host %s {\n            interactive-commands info;\n"
				 "            port %u;\n            structured-data;\n        }\n    }\n}\n",
				 l->config->device_syslog_host, l->config->device_syslog_port);
		r->intended = strdup(text);
		r->intended_len = r->intended ? (size_t)n : 0;
	}
	if (j && j->type == JOB_DEPLOY) {
		r->op = FETCH_OP_DEPLOY;
		r->confirm_timeout_secs = l->config ? l->config->deploy_confirm_timeout_secs : 120;
		/* A copy that cannot be read fails the deploy in the worker ("no intended configuration"). */
		if (l->store && intended_get(l->store, d, &r->intended, &r->intended_len) < 0)
			log_err("device %s: cannot read the intended configuration: %s", d->name,
				store_error(l->store));
	}
	if (l->config) {
		snprintf(r->known_hosts, sizeof(r->known_hosts), "%s", l->config->known_hosts);
		/* No name: the first set (documented default). A name that is no
		 * set (removed by a reload, say): no secrets at all, the job fails. */
		const struct credential *c = *d->credential ? config_credential(l->config, d->credential)
				       : l->config->ncreds ? &l->config->creds[0] : NULL;
		if (*d->credential && !c)
			snprintf(r->refuse, sizeof(r->refuse), "credential set %s is not defined in the configuration",
				 d->credential);
		if (c) {
			snprintf(r->user, sizeof(r->user), "%s", c->user);
			snprintf(r->key_path, sizeof(r->key_path), "%s", c->key_path);
			snprintf(r->password, sizeof(r->password), "%s", c->password);
		}
	}
	return r;
}

/* E4: the profile's commands for the incident's device, to a worker. */
static void start_capture(struct loop *l, const struct action *a, const struct device *d)
{
	const struct incident *i = incident_by_id(&l->incidents, a->incident);
	const struct incident_profile *p = i ? incident_profile_by_name(l->incidents.profiles, i->profile) : NULL;
	struct fetch_request *r = d && i ? fetch_request_for(l, a->job, d) : NULL;
	if (!r)
		return;
	r->incident = i->id;
	for (size_t k = 0; p && k < p->ncommands; k++)
		memcpy(r->commands[r->ncommands++], p->commands[k], sizeof(r->commands[0]));
	worker_submit(l->workers, r);
}

static void perform(struct loop *l)
{
	for (size_t i = 0; i < l->actions.n; i++) {
		const struct action *a = &l->actions.v[i];
		struct device *d = a->device ? model_device_by_index(&l->model, a->device) : NULL;
		switch (a->kind) {
		case ACT_STATUS_CHANGED:
			if (d)
				notify_status_changed(d, a->old_status, a->new_status);
			break;
		case ACT_JOB_CHANGED: {
			struct job *j = model_job_by_id(&l->model, a->job);
			if (j)
				notify_job_changed(j, a->job_state, a->job_summary, d);
			break;
		}
		case ACT_START_FETCH:
			if (l->workers && d) {
				struct fetch_request *r = fetch_request_for(l, a->job, d);
				if (r)
					worker_submit(l->workers, r);
			}
			break;
		case ACT_STOP_FETCH:
			if (l->workers)
				worker_cancel(l->workers, a->job, a->device);
			break;
		case ACT_INCIDENT_OPENED:
		case ACT_INCIDENT_CLOSED: {
			const struct incident *inc = incident_by_id(&l->incidents, a->incident);
			if (!inc)
				break;
			notify_incident(inc, d, a->kind == ACT_INCIDENT_OPENED);
			if (l->on_incident)
				l->on_incident(l, inc, d, a->kind == ACT_INCIDENT_OPENED);
			break;
		}
		case ACT_START_CAPTURE:
			if (l->workers)
				start_capture(l, a, d);
			break;
		case ACT_DEVICE_ADDED:
			if (d)
				notify_device_added(d);
			break;
		case ACT_DEVICE_REMOVED:
			if (d)
				notify_device_removed(d);
			break;
		default:
			break;
		}
	}
}

/* Writes what the pending actions save, once: a later loop_apply performs
 * them without writing again. */
static int loop_persist_actions(struct loop *l)
{
	if (l->actions.n == 0)
		return 0;
	if (l->persisted == l->actions.n)
		return l->persist_rc;
	l->persist_rc = persist(l);
	l->persisted = l->actions.n;
	if (l->persist_rc == 0 && l->store_failures) {
		log_info("store: writing again after %u failed attempts", l->store_failures);
		l->store_failures = 0;
	}
	return l->persist_rc;
}

static void actions_done(struct loop *l)
{
	actions_clear(&l->actions);
	l->persisted = 0;
}

int loop_apply(struct loop *l)
{
	if (l->batching)
		return 0;
	int rc = 0;
	if (l->actions.n) {
		rc = loop_persist_actions(l);
		/* Act even if persisting failed: the model is the truth while we run. */
		perform(l);
		actions_done(l);
	}
	arm_timer(l);
	return rc;
}

/* For an operator's change that must be durable or not happen: persists,
 * and only then performs; when persisting fails the actions are dropped
 * (the caller undoes its model change) and -1 returned. */
static int apply_durable(struct loop *l)
{
	if (l->batching || !l->actions.n)
		return loop_apply(l);
	if (loop_persist_actions(l) < 0) {
		actions_done(l);
		arm_timer(l);
		return -1;
	}
	return loop_apply(l);
}

int loop_store_writable(struct loop *l)
{
	if (!l->store)
		return 0;
	/* Rewriting the settings record as it is changes nothing but proves
	 * that a transaction reaches the disk now. */
	struct action a = { .kind = ACT_SAVE_SETTINGS };
	struct actions saved = l->actions;
	actions_init(&l->actions);
	actions_push(&l->actions, &a);
	int rc = persist(l);
	if (rc == 0 && l->store_failures) {
		log_info("store: writing again after %u failed attempts", l->store_failures);
		l->store_failures = 0;
	}
	actions_free(&l->actions);
	l->actions = saved;
	return rc;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct loop *l = arg;
	if (!l->stopping)
		sched_tick(&l->model, loop_now(l), &l->actions);
	loop_apply(l);
}

/* The incident core reads its settings from the model's. */
static struct incidents *incidents_of(struct loop *l)
{
	struct incidents *s = &l->incidents;
	s->rate_cap = l->model.settings.event_rate_cap;
	ingest_set_rate_cap(s->rate_cap);
	s->retention_days = l->model.settings.incident_retention_days;
	s->retention_count = l->model.settings.incident_retention_count;
	return s;
}

/* Removed devices whose kept history is older than
 * deviceHistoryRetentionDays (0: kept for ever) lose it: index and
 * configuration versions. */
static void purge_retained(struct loop *l, rs_time_t now)
{
	uint32_t days = l->model.settings.device_history_retention_days;
	struct retained_set *set = &l->model.retained;
	if (!days)
		return;
	for (struct retained *r = retained_first(set), *next; r; r = next) {
		next = retained_next(set, r);
		if (now - r->removed < RS_SECS((int64_t)days * 86400))
			continue;
		log_info("device %s: history of the removed device (index %u) expired", r->name, r->index);
		struct action a = { .kind = ACT_FORGET_DEVICE, .device = r->index };
		actions_push(&l->actions, &a);
		retained_remove(set, r);
	}
}

static void on_purge(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct loop *l = arg;
	purge_retained(l, loop_now(l));
	incident_purge(incidents_of(l), loop_now(l), &l->actions);
	loop_purge_jobs(l, false, "retention policy");
}

long loop_purge_jobs(struct loop *l, bool all, const char *who)
{
	struct job **jobs;
	size_t n = sched_purge_select(&l->model, loop_now(l), all, &jobs);
	char err[512];
	if (n && *l->job_archive && job_archive_append(l->job_archive, &l->model, jobs, n, err, sizeof(err)) < 0) {
		/* Nothing is purged that is not archived; the next pass tries again. */
		log_err("jobs: purge of %zu finished jobs by %s postponed: %s", n, who, err);
		free(jobs);
		return -1;
	}
	sched_purge_remove(&l->model, jobs, n, &l->actions);
	free(jobs);
	loop_apply(l);
	/* The periodic pass says nothing when it found nothing to do. */
	if (n || all)
		log_info("jobs: purged %zu finished jobs (%s)%s%s", n, who, n && *l->job_archive ? ", archived to " : "",
			 n && *l->job_archive ? l->job_archive : "");
	return (long)n;
}

void loop_checkpoint(struct loop *l)
{
	if (!l->store || !l->store_dirty)
		return;
	if (store_checkpoint(l->store) < 0)
		log_warn("store: %s", store_error(l->store));
	else
		l->store_dirty = false;
}

/* A storm of writes (100,000 new devices' initial fetches failing fast)
 * fills a 10 MB log file in seconds: a checkpoint once this much was
 * written keeps the log files, and what recovery replays, small between
 * the timer's checkpoints. */
#define CHECKPOINT_LOG_BYTES (8u << 20)

static void checkpoint_if_log_grew(struct loop *l)
{
	if (l->store && l->store_dirty && store_log_since_checkpoint(l->store) >= CHECKPOINT_LOG_BYTES)
		loop_checkpoint(l);
}

static void on_checkpoint(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	loop_checkpoint(arg);
}

static void on_incident_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct loop *l = arg;
	incident_tick(incidents_of(l), loop_now(l), &l->actions);
	loop_apply(l);
}

/* E4: a capture's output is kept with its incident (size-capped by the
 * worker), then the incident and its job are told. */
static void capture_result(struct loop *l, struct fetch_result *r, rs_time_t now)
{
	uint32_t len = r->config ? (uint32_t)r->config_len : 0;
	char summary[RS_SUMMARY_MAX];
	if (r->cancelled)
		snprintf(summary, sizeof(summary), "cancelled");
	else if (r->ok)
		snprintf(summary, sizeof(summary), "captured %u bytes for incident %u", len, r->incident);
	else
		snprintf(summary, sizeof(summary), "capture for incident %u failed: %s", r->incident,
			 *r->reason ? r->reason : "unknown error");
	if (len && l->store && store_put_capture(l->store, r->incident, r->config, len) < 0) {
		log_err("incident %u: cannot store the captured output: %s", r->incident, store_error(l->store));
		snprintf(summary, sizeof(summary), "the captured output could not be stored");
		r->ok = 0;
		len = 0;
	}
	log_info("incident %u: %s", r->incident, summary);
	incident_capture_done(&l->incidents, &l->model, r->incident, r->ok && !r->cancelled, len, summary, now,
			      &l->actions);
}

static void maybe_exit(struct loop *l)
{
	if (l->stopping && l->model.running_fetches == 0)
		event_base_loopexit(l->base, NULL);
}

static void on_results(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct loop *l = arg;
	queue_ack_fd(l->results);
	struct fetch_result *r;
	while ((r = queue_pop(l->results))) {
		rs_time_t now = loop_now(l);
		if (r->incident) {
			capture_result(l, r, now);
			fetch_result_free(r);
			continue;
		}
		struct device *d = model_device_by_index(&l->model, r->device);
		if (r->ok && r->current && !r->cancelled) {
			/* Not fetched: the stored version is the device's newest. */
			if (d)
				log_info("device %s: resync skipped: %s", d->name, r->reason);
			sched_fetch_current(&l->model, r->job, r->device, r->reason, now, &l->actions);
			fetch_result_free(r);
			continue;
		}
		if (r->ok && !r->cancelled && d && l->on_config_fetched &&
		    l->on_config_fetched(l, d, r) < 0) {
			r->ok = 0;
			r->conn = CONN_UP;
		}
		if (r->ok && !r->cancelled && d && r->config) {
			/* Saved with the device by the fetch's own SAVE_DEVICE (R4). */
			d->config_commit_time = r->commit_time;
			model_istr_set(&d->config_commit_user, r->commit_user, RS_USER_MAX);
		}
		if (d && r->rollback_pending) /* S4: its rollback is no device change */
			sched_expect_rollback(&l->model, d,
					      now + RS_SECS((l->config ? l->config->deploy_confirm_timeout_secs : 120) + 60),
					      &l->actions);
		const struct job *rj = model_job_by_id(&l->model, r->job);
		if (d && !r->cancelled)
			log_info("device %s: %s %s: %s", d->name,
				 rj && rj->type == JOB_DEPLOY ? "deploy"
				 : rj && rj->type == JOB_CONFIGURE_SYSLOG ? "syslog configuration" : "resync",
				 r->ok ? "succeeded" : "failed",
				 *r->reason ? r->reason : (r->ok ? "configuration fetched" : "unknown error"));
		sched_fetch_done(&l->model, r->job, r->device, r->ok, r->conn, r->reason, now, &l->actions);
		rj = model_job_by_id(&l->model, r->job);
		const struct task *rt = rj && d ? model_job_task(rj, d->index) : NULL;
		if (rt && rt->state == TASK_PENDING && rt->refetches) /* freshness (sched.h) */
			log_info("device %s: the fetched configuration was committed %" PRId64 " s before the "
				 "commit notification (device clock vs receive time): %s", d->name,
				 (int64_t)((d->last_commit_time - d->config_commit_time) / RS_USEC_PER_SEC),
				 d->last_resync_reason);
		fetch_result_free(r);
	}
	loop_apply(l);
	checkpoint_if_log_grew(l);
	maybe_exit(l);
}

/* How long a group commit waits for the callers that the recent groups had
 * and this one does not have yet. Callers released by one fsync come back
 * with their next commit within tens of microseconds, but the loop would
 * otherwise start the next transaction with whichever came first: with
 * several RELP engines the groups then alternate between one caller and the
 * rest (measured: 1.2-1.5 commits per fsync with 3-4 engines busy). PostgreSQL's
 * commit_delay and commit_siblings, for the same reason. One caller alone
 * never waits. The memory is two groups long, and only while callers keep
 * coming (the last group was released under LOOP_GATHER_STREAM_USECS ago):
 * when a sender stops, the next group waits once or twice, not for a second
 * (a memory of a second cost a lone sender left after the others 300 µs a
 * commit: 1.7k/s instead of 4-5k/s). */
#define LOOP_GATHER_USECS 300
#define LOOP_GATHER_STREAM_USECS 10000

static long usecs_between(const struct timespec *a, const struct timespec *b)
{
	return (long)(b->tv_sec - a->tv_sec) * 1000000L + (b->tv_nsec - a->tv_nsec) / 1000L;
}

static unsigned loop_gather_want(const struct loop *l, const struct timespec *now)
{
	if (usecs_between(&l->gather_released, now) >= LOOP_GATHER_STREAM_USECS)
		return 0;
	return l->gather_last[0] > l->gather_last[1] ? l->gather_last[0] : l->gather_last[1];
}

/* The next call for this group: what is queued, or (while fewer callers wait
 * than recent groups had) what comes before the gathering deadline. */
static struct call *loop_gather_next(struct loop *l, size_t nsync, struct timespec *deadline, unsigned *want)
{
	struct call *c = queue_pop(l->inbox);
	struct timespec now;

	if (c || nsync == 0)
		return c;
	if (*want == UINT_MAX) { /* the first time this group runs dry */
		clock_gettime(CLOCK_MONOTONIC, &now);
		*want = loop_gather_want(l, &now);
		*deadline = now;
		deadline->tv_nsec += LOOP_GATHER_USECS * 1000L;
		if (deadline->tv_nsec >= 1000000000L) {
			deadline->tv_sec++;
			deadline->tv_nsec -= 1000000000L;
		}
	}
	return nsync >= *want ? NULL : queue_pop_until(l->inbox, deadline);
}

/* Tells each waiting caller of a group its result, and frees the calls
 * nobody waits for. A waiting caller's call is on its stack: it must not
 * be touched once released. */
static void release_callers(struct call **done, size_t n, int rc)
{
	for (size_t i = 0; i < n; i++) {
		struct call *c = done[i];
		if (!c->sync) {
			free(c->arg);
			free(c);
			continue;
		}
		pthread_mutex_lock(&c->mu);
		if (rc < 0)
			c->result = -1; /* not durable: the sender must not be told it is */
		c->done = 1;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
	}
}

static void on_inbox(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct loop *l = arg;
	queue_ack_fd(l->inbox);
	/* Group commit: run every waiting call, persist once, answer, then act
	 * (log lines, traps, fetches): the callers' next commits come in while
	 * the notifications go out. */
	struct call *done[256];
	log_hold();
	for (;;) {
		size_t n = 0, nsync = 0;
		struct call *c;
		struct timespec deadline;
		unsigned want = UINT_MAX;
		l->batching = true;
		while (n < sizeof(done) / sizeof(done[0]) && (c = loop_gather_next(l, nsync, &deadline, &want))) {
			c->result = c->fn(l, c->arg);
			nsync += c->sync ? 1 : 0;
			done[n++] = c;
		}
		l->batching = false;
		if (n == 0)
			break;
		int rc = loop_persist_actions(l);
		release_callers(done, n, rc);
		if (nsync) {
			l->gather_last[1] = l->gather_last[0];
			l->gather_last[0] = (unsigned)nsync;
			clock_gettime(CLOCK_MONOTONIC, &l->gather_released);
		}
		loop_apply(l);
		log_release(); /* the group's lines, in one write */
		log_hold();
	}
	log_release();
}

void loop_call(struct loop *l, loop_fn fn, void *arg)
{
	struct call *c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->fn = fn;
	c->arg = arg;
	queue_push(l->inbox, c);
}

int loop_call_sync(struct loop *l, loop_fn fn, void *arg)
{
	struct call c = { .fn = fn, .arg = arg, .sync = 1 };
	pthread_mutex_init(&c.mu, NULL);
	pthread_cond_init(&c.cv, NULL);
	queue_push(l->inbox, &c);
	pthread_mutex_lock(&c.mu);
	while (!c.done)
		pthread_cond_wait(&c.cv, &c.mu);
	pthread_mutex_unlock(&c.mu);
	pthread_mutex_destroy(&c.mu);
	pthread_cond_destroy(&c.cv);
	return c.result;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct loop *l = arg;
	if (sig == SIGHUP) {
		log_info("SIGHUP: reloading the device list");
		if (l->on_reload)
			l->on_reload(l);
		return;
	}
	loop_stop(l);
}

void loop_stop(struct loop *l)
{
	if (!l->stopping) {
		log_info("stopping: %u fetches still running", l->model.running_fetches);
		l->stopping = true;
		incident_flush(&l->incidents, &l->actions);
		loop_apply(l);
		arm_timer(l);
		/* Running fetches may end by themselves for a while; see STOP_GRACE_SECS. */
		unsigned grace = l->model.settings.resync_timeout_secs;
		struct timeval tv = { (time_t)(grace < STOP_GRACE_SECS ? grace : STOP_GRACE_SECS), 0 };
		event_base_loopexit(l->base, &tv);
	}
	maybe_exit(l);
}

int loop_init(struct loop *l, struct store *store, const struct config *cfg, fetch_fn fetch)
{
	memset(l, 0, sizeof(*l));
	model_init(&l->model);
	actions_init(&l->actions);
	l->store = store;
	l->config = cfg;
	l->clock = loop_realtime;
	if (cfg)
		l->model.settings = cfg->settings;
	if (cfg && *cfg->state_dir)
		snprintf(l->job_archive, sizeof(l->job_archive), "%s/%s", cfg->state_dir, JOB_ARCHIVE_FILE);
	l->base = event_base_new();
	l->inbox = queue_new();
	l->results = queue_new();
	if (!l->base || !l->inbox || !l->results)
		return -1;
	l->timer = evtimer_new(l->base, on_timer, l);
	l->purge_ev = event_new(l->base, -1, EV_PERSIST, on_purge, l);
	incidents_init(&l->incidents);
	if (cfg)
		loop_set_profiles(l, cfg->profiles);
	l->incident_ev = event_new(l->base, -1, EV_PERSIST, on_incident_tick, l);
	l->checkpoint_ev = event_new(l->base, -1, EV_PERSIST, on_checkpoint, l);
	l->inbox_ev = event_new(l->base, queue_fd(l->inbox), EV_READ | EV_PERSIST, on_inbox, l);
	l->results_ev = event_new(l->base, queue_fd(l->results), EV_READ | EV_PERSIST, on_results, l);
	if (!l->timer || !l->purge_ev || !l->checkpoint_ev || !l->inbox_ev || !l->results_ev || !l->incident_ev)
		return -1;
	struct timeval itick = { INCIDENT_TICK_SECS, 0 };
	event_add(l->incident_ev, &itick);
	event_add(l->inbox_ev, NULL);
	event_add(l->results_ev, NULL);
	struct timeval purge = { PURGE_INTERVAL_SECS, 0 };
	event_add(l->purge_ev, &purge);
	struct timeval checkpoint = { CHECKPOINT_INTERVAL_SECS, 0 };
	event_add(l->checkpoint_ev, &checkpoint);
	if (fetch) {
		l->workers = worker_pool_new(l->model.settings.max_concurrent_resyncs, fetch, l->results);
		if (!l->workers)
			return -1;
	}
	return 0;
}

/* The configuration file's settings are the operator's defaults: each applies
 * at start and on reload unless snmpset changed it since, which then wins.
 * Returns how many settings changed (the caller persists them). */
static int loop_file_settings(struct loop *l, const struct config *cfg)
{
	struct settings *s = &l->model.settings;
	int changed = 0;
	for (int i = 0; cfg && i < SET_COUNT; i++) {
		enum setting_id id = (enum setting_id)i;
		int64_t old = settings_get(s, id), want = settings_get(&cfg->settings, id);
		if (!cfg->settings_given[id] || (s->set_by_operator & SETTING_BIT(id)) || old == want)
			continue;
		if (settings_set(s, id, want, NULL) != SETERR_OK)
			continue;
		log_info("setting %s changed from %lld to %lld by the configuration file", settings_name(id),
			 (long long)old, (long long)want);
		changed++;
	}
	return changed;
}

int loop_reload_settings(struct loop *l, const struct config *cfg)
{
	enum system_of_record sor = l->model.settings.system_of_record;
	int changed = loop_file_settings(l, cfg);
	incidents_of(l);
	if (changed == 0)
		return 0;
	sched_sor_changed(&l->model, sor, loop_now(l), &l->actions);
	struct action a = { .kind = ACT_SAVE_SETTINGS };
	actions_push(&l->actions, &a);
	if (l->workers)
		worker_pool_resize(l->workers, l->model.settings.max_concurrent_resyncs);
	sched_inventory_interval(&l->model, loop_now(l), &l->actions);
	sched_tick(&l->model, loop_now(l), &l->actions);
	return loop_apply(l);
}

/* Loads the store, settles what a stop interrupted (J5) and arms the timers. */
int loop_restore(struct loop *l)
{
	int have_settings = 0, rc = 0;
	if (l->store) {
		rc = store_load(l->store, &l->model, &have_settings);
		if (rc < -1)
			return rc; /* damaged: the caller refuses to run, nothing is written */
		if (rc < 0)
			log_err("store: %s", store_error(l->store));
		if (store_load_incidents(l->store, &l->incidents) < 0) {
			log_err("store: %s", store_error(l->store));
			rc = -1;
		}
	}
	enum system_of_record sor = l->model.settings.system_of_record;
	incident_restore_done(&l->incidents, &l->actions);
	if (!have_settings || loop_file_settings(l, l->config) > 0) {
		struct action a = { .kind = ACT_SAVE_SETTINGS };
		actions_push(&l->actions, &a);
	}
	if (l->workers)
		worker_pool_resize(l->workers, l->model.settings.max_concurrent_resyncs);
	l->model.devices_last_change = loop_now(l);
	sched_restore(&l->model, loop_now(l), &l->actions);
	if (have_settings) /* S5: the file switched the mode while resyncd was down */
		sched_sor_changed(&l->model, sor, loop_now(l), &l->actions);
	loop_apply(l);
	return rc;
}

int loop_run(struct loop *l)
{
	if (!l->sig_term) {
		l->sig_term = evsignal_new(l->base, SIGTERM, on_signal, l);
		l->sig_int = evsignal_new(l->base, SIGINT, on_signal, l);
		l->sig_hup = evsignal_new(l->base, SIGHUP, on_signal, l);
		evsignal_add(l->sig_term, NULL);
		evsignal_add(l->sig_int, NULL);
		evsignal_add(l->sig_hup, NULL);
	}
	arm_timer(l);
	return event_base_dispatch(l->base) < 0 ? -1 : 0;
}

void loop_free(struct loop *l)
{
	if (l->workers) {
		worker_pool_free(l->workers);
		l->workers = NULL;
	}
	struct fetch_result *r;
	while (l->results && (r = queue_pop(l->results)))
		fetch_result_free(r);
	if (l->incidents.profiles)
		ingest_set_profiles(NULL);
	ingest_forget_rates();
	incidents_free(&l->incidents);
	struct event **evs[] = { &l->timer,   &l->purge_ev,   &l->checkpoint_ev, &l->incident_ev,
				 &l->inbox_ev, &l->results_ev, &l->sig_term, &l->sig_int, &l->sig_hup };
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (*evs[i]) {
			event_free(*evs[i]);
			*evs[i] = NULL;
		}
	/* Calls that came after the loop stopped: only loop_call()s (a
	 * loop_call_sync caller still waits, and never returns). */
	struct call *c;
	while (l->inbox && (c = queue_pop(l->inbox)))
		if (!c->sync) {
			free(c->arg);
			free(c);
		}
	queue_free(l->inbox);
	queue_free(l->results);
	if (l->base)
		event_base_free(l->base);
	actions_free(&l->actions);
	model_free(&l->model);
	l->base = NULL;
	l->inbox = l->results = NULL;
}

/* ---- operations for the edges ------------------------------------------ */

int loop_commit(struct loop *l, struct device *d, const struct commit_info *ci)
{
	sched_commit(&l->model, d, ci, loop_now(l), &l->actions);
	return loop_apply(l);
}

int loop_set_setting(struct loop *l, enum setting_id id, int64_t value, const char *who, const char **why)
{
	struct settings *s = &l->model.settings;
	int64_t old = settings_get(s, id);
	uint32_t old_by_operator = s->set_by_operator;
	if (settings_set(s, id, value, why) != SETERR_OK)
		return -1;
	if (old == value && (old_by_operator & SETTING_BIT(id)))
		return 0;
	/* From now on this value wins over the configuration file's. */
	s->set_by_operator |= SETTING_BIT(id);
	struct action a = { .kind = ACT_SAVE_SETTINGS };
	actions_push(&l->actions, &a);
	if (loop_apply(l) < 0 && !l->batching) {
		settings_set(s, id, old, NULL);
		s->set_by_operator = old_by_operator;
		if (why)
			*why = "the setting could not be stored";
		return -1;
	}
	log_info("setting %s changed from %lld to %lld by %s", settings_name(id), (long long)old,
		 (long long)value, who ? who : "unknown");
	incidents_of(l); /* eventRateCap reaches the receivers now, not at the next tick */
	if (id == SET_MAX_CONCURRENT_RESYNCS && l->workers)
		worker_pool_resize(l->workers, (unsigned)value);
	if (id == SET_SYSTEM_OF_RECORD)
		sched_sor_changed(&l->model, (enum system_of_record)old, loop_now(l), &l->actions);
	if (id == SET_INVENTORY_RESYNC_INTERVAL_SECS)
		sched_inventory_interval(&l->model, loop_now(l), &l->actions);
	sched_tick(&l->model, loop_now(l), &l->actions); /* a larger limit may free slots */
	loop_apply(l);
	return 0;
}

struct device *loop_new_device(struct loop *l, uint32_t index, const char *name, const char *address,
			       uint16_t port, const char *credential)
{
	/* A device removed earlier whose history is kept: the same index and
	 * its versions again (an explicit other index is refused). */
	struct retained *r = retained_by_name(&l->model.retained, name);
	struct retained was;
	if (r) {
		if (index && index != r->index)
			return NULL;
		index = r->index;
		was = *r;
		retained_remove(&l->model.retained, r);
	}
	struct device *d = model_device_add(&l->model, index, name, address, loop_now(l));
	if (!d) {
		if (r)
			model_retain(&l->model, was.index, was.name, was.removed, was.config_version,
				     was.intended_version);
		return NULL;
	}
	if (r) {
		d->config_version = was.config_version;
		d->intended_version = was.intended_version;
		log_info("device %s: added again: index %u and its configuration history (newest version %u) restored",
			 d->name, d->index, was.config_version);
		struct action ra = { .kind = ACT_SAVE_RETAINED, .device = d->index };
		actions_push(&l->actions, &ra);
	}
	if (port)
		d->ssh_port = port;
	model_istr_set(&d->credential, credential, RS_NAME_MAX);
	l->model.devices_last_change = loop_now(l);
	struct action a = { .kind = ACT_SAVE_DEVICE, .device = d->index };
	actions_push(&l->actions, &a);
	/* deviceAdded once it is stored (perform runs after persist). */
	struct action added = { .kind = ACT_DEVICE_ADDED, .device = d->index };
	actions_push(&l->actions, &added);
	return d;
}

struct device *loop_add_device(struct loop *l, uint32_t index, const char *name, const char *address,
			       uint16_t port, const char *credential, const char *who)
{
	uint64_t next = l->model.next_device_index;
	struct retained *r = retained_by_name(&l->model.retained, name), was;
	if (r)
		was = *r;
	struct device *d = loop_new_device(l, index, name, address, port, credential);
	if (!d)
		return NULL;
	if (apply_durable(l) < 0) {
		/* Not stored: not added (it would vanish at the next start). */
		log_err("device %s: not added by %s: the store cannot be written", name, who ? who : "unknown");
		model_device_remove(&l->model, d->index);
		if (r)
			model_retain(&l->model, was.index, was.name, was.removed, was.config_version,
				     was.intended_version);
		l->model.next_device_index = next;
		return NULL;
	}
	log_info("device %s: added as index %u (%s) by %s", d->name, d->index, d->address, who ? who : "unknown");
	return d;
}

int loop_save_device(struct loop *l, struct device *d)
{
	struct action a = { .kind = ACT_SAVE_DEVICE, .device = d->index };
	actions_push(&l->actions, &a);
	return apply_durable(l);
}

int loop_remove_device(struct loop *l, uint32_t index, const char *who)
{
	struct device *d = model_device_by_index(&l->model, index);
	if (!d)
		return -1;
	log_info("device %s: removed (index %u) by %s", d->name, index, who ? who : "unknown");
	sched_device_removed(&l->model, index, loop_now(l), &l->actions);
	incident_device_removed(&l->incidents, index, loop_now(l), &l->actions);
	struct action removed = { .kind = ACT_DEVICE_REMOVED, .device = index };
	actions_push(&l->actions, &removed);
	/* Notify and persist the jobs while the device still exists. */
	loop_apply(l);
	/* Its index and configuration versions stay for the retention period:
	 * adding it again restores them (retained.h). */
	d = model_device_by_index(&l->model, index);
	if (d && !model_retain(&l->model, index, d->name, loop_now(l), d->config_version, d->intended_version))
		log_warn("device %s: its history cannot be kept (out of memory)", d->name);
	model_device_remove(&l->model, index);
	l->model.devices_last_change = loop_now(l);
	struct action a = { .kind = ACT_DELETE_DEVICE, .device = index };
	actions_push(&l->actions, &a);
	struct action ra = { .kind = ACT_SAVE_RETAINED, .device = index };
	actions_push(&l->actions, &ra);
	return loop_apply(l);
}

struct job *loop_manual_resync(struct loop *l, const uint32_t *devices, uint32_t n, const char *who)
{
	struct job *j = sched_manual_resync(&l->model, devices, n, who, loop_now(l), &l->actions);
	loop_apply(l);
	return j;
}

struct job *loop_deploy(struct loop *l, const uint32_t *devices, uint32_t n, const char *who)
{
	struct job *j = sched_deploy(&l->model, devices, n, who, loop_now(l), &l->actions);
	loop_apply(l);
	return j;
}

struct job *loop_configure_syslog(struct loop *l, const uint32_t *devices, uint32_t n, const char *who)
{
	struct job *j = sched_configure_syslog(&l->model, devices, n, who, loop_now(l), &l->actions);
	loop_apply(l);
	return j;
}

int loop_configure_syslog_new(struct loop *l)
{
	if (!l->config || !l->config->device_syslog_host[0])
		return 0;
	uint32_t *devs = calloc(l->model.ndevices ? l->model.ndevices : 1, sizeof(*devs)), n = 0;
	if (!devs)
		return -1;
	for (struct device *d = model_device_next(&l->model, 0); d; d = model_device_next(&l->model, d->index))
		/* A running fetch (a new device's initial resync, J7) only delays
		 * the configure job (R3). */
		if (d->configure_syslog && !d->syslog_configured)
			devs[n++] = d->index;
	if (n)
		log_info("%u devices: syslog host entry to be configured (configure_device_syslog)", n);
	struct job *j = n ? loop_configure_syslog(l, devs, n, "system") : NULL;
	free(devs);
	return n && !j ? -1 : (int)n;
}

struct job *loop_inventory_resync(struct loop *l, const char *who)
{
	struct job *j = sched_inventory_resync(&l->model, who, loop_now(l), &l->actions);
	loop_apply(l);
	checkpoint_if_log_grew(l); /* a row per device */
	return j;
}

int loop_cancel_job(struct loop *l, uint32_t job, const char *who)
{
	int rc = sched_cancel_job(&l->model, job, loop_now(l), &l->actions);
	if (rc == 0)
		log_info("job %u: cancelled by %s", job, who ? who : "unknown");
	loop_apply(l);
	return rc;
}

struct job *loop_discovered(struct loop *l, const uint32_t *devices, uint32_t n)
{
	struct job *j = sched_discovered(&l->model, devices, n, loop_now(l), &l->actions);
	/* A first start's inventoryResyncIntervalSecs had no devices to
	 * schedule its run over when the store was restored. */
	sched_inventory_interval(&l->model, loop_now(l), &l->actions);
	loop_apply(l);
	checkpoint_if_log_grew(l); /* a row per device */
	return j;
}

int loop_reschedule_job(struct loop *l, uint32_t job, rs_time_t start, const char *who, const char **why)
{
	struct job *j = model_job_by_id(&l->model, job);
	if (!j) {
		*why = "no such job";
		return -1;
	}
	if (sched_check_reschedule(&l->model, j, start, loop_now(l), why) < 0)
		return -1;
	log_info("job %u: rescheduled from %lld to %lld by %s", job, (long long)(j->scheduled_start / RS_USEC_PER_SEC),
		 (long long)(start / RS_USEC_PER_SEC), who ? who : "unknown");
	sched_reschedule_job(&l->model, job, start, loop_now(l), &l->actions);
	loop_apply(l);
	return 0;
}

int loop_set_recurrence(struct loop *l, uint32_t job, uint32_t secs, const char *who)
{
	int rc = sched_set_recurrence(&l->model, job, secs, &l->actions);
	if (rc == 0)
		log_info("job %u: recurrence set to %u s by %s", job, secs, who ? who : "unknown");
	loop_apply(l);
	return rc;
}

struct job *loop_retry_job(struct loop *l, uint32_t job, const char *who)
{
	struct job *j = sched_retry_job(&l->model, job, who, loop_now(l), &l->actions);
	loop_apply(l);
	return j;
}

/* ---- incidents (E1-E6) ---------------------------------------------------- */

void loop_set_profiles(struct loop *l, const struct incident_profiles *ps)
{
	/* The receivers stop using the old set before the caller frees it. */
	ingest_set_profiles(ps);
	l->incidents.profiles = ps;
}

enum incident_verdict loop_incident_event(struct loop *l, const struct device *d, const struct incident_event *ev)
{
	enum incident_verdict v = incident_event(incidents_of(l), &l->model, d, ev, loop_now(l), &l->actions, NULL);
	if (l->actions.n)
		loop_apply(l);
	return v;
}

int loop_close_incident(struct loop *l, uint32_t id, const char *who)
{
	int rc = incident_close(incidents_of(l), id, INC_BY_OPERATOR, loop_now(l), &l->actions);
	if (rc == 0)
		log_info("incident %u: closed by %s", id, who ? who : "unknown");
	loop_apply(l);
	return rc;
}
