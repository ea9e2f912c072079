/* sched.c: the damping scheduler (SPEC R1-R7, J1-J5), pure.
 *
 * A job is one task per device. Pending tasks sit in a red-black tree ordered
 * by due time, so the next due task is O(log n) away with 100,000 devices.
 * Tasks that came due while every worker slot was busy wait in a FIFO. */
#include "sched.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsm.h"

static void push(struct actions *out, enum action_kind kind, uint32_t job, uint32_t device)
{
	struct action a = { .kind = kind, .job = job, .device = device };
	actions_push(out, &a);
}

static void set_status(struct model *m, struct device *d, enum managed_status st, rs_time_t now,
		       struct actions *out)
{
	if (d->managed_status == st)
		return;
	struct action a = { .kind = ACT_STATUS_CHANGED, .device = d->index,
			    .old_status = d->managed_status, .new_status = st };
	model_device_set_status(m, d, st, now);
	actions_push(out, &a);
}

static void job_changed(struct job *j, struct actions *out)
{
	struct action a = { .kind = ACT_JOB_CHANGED, .job = j->id, .job_state = j->state,
			    .device = j->ntasks ? j->tasks[0].device : 0 };
	snprintf(a.job_summary, sizeof(a.job_summary), "%s", j->summary);
	actions_push(out, &a);
	push(out, ACT_SAVE_JOB, j->id, 0);
}

static void timer_add(struct model *m, struct sched_node *n)
{
	n->in_timer = true;
	RB_INSERT(sched_tree, &m->timers, n);
}

static void timer_del(struct model *m, struct sched_node *n)
{
	if (n->in_timer)
		RB_REMOVE(sched_tree, &m->timers, n);
	n->in_timer = false;
}

static uint32_t task_pos(const struct job *j, const struct task *t)
{
	return (uint32_t)(t - j->tasks);
}

/* A task's state (and its counts in the job) changes; only that task's row
 * is written, so a job over n devices writes O(n) bytes in all. */
static void task_saved(struct job *j, struct task *t, struct actions *out)
{
	struct action a = { .kind = ACT_SAVE_TASK, .job = j->id, .seq = task_pos(j, t) + 1 };
	actions_push(out, &a);
}

static void task_set(struct job *j, struct task *t, enum task_state st, const char *reason, rs_time_t now,
		     struct actions *out)
{
	model_task_set_state(j, t, st, reason, now);
	task_saved(j, t, out);
}

/* A node of its own for a task taken out of its job's bulk (R3 delay). */
static struct sched_node *own_new(struct job *j, struct task *t)
{
	struct sched_node *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->job = j;
	n->pos = task_pos(j, t);
	n->next_own = j->own;
	if (j->own)
		j->own->prev_own = &n->next_own;
	n->prev_own = &j->own;
	j->own = n;
	return n;
}

static void own_free(struct sched_node *n)
{
	*n->prev_own = n->next_own;
	if (n->next_own)
		n->next_own->prev_own = n->prev_own;
	free(n);
}

static struct sched_node *own_find(const struct job *j, uint32_t pos)
{
	struct sched_node *n = j->own;
	while (n && n->pos != pos)
		n = n->next_own;
	return n;
}

static void ready_push(struct model *m, struct sched_node *n)
{
	n->queued = true;
	n->job->nqueued++;
	n->next_ready = NULL;
	if (m->ready_tail)
		m->ready_tail->next_ready = n;
	else
		m->ready_head = n;
	m->ready_tail = n;
}

static void ready_pop(struct model *m)
{
	struct sched_node *n = m->ready_head;
	m->ready_head = n->next_ready;
	if (!m->ready_head)
		m->ready_tail = NULL;
	n->queued = false;
	n->job->nqueued--;
	n->next_ready = NULL;
}

static const char *device_name(struct model *m, uint32_t index)
{
	struct device *d = model_device_by_index(m, index);
	return d ? d->name : "(removed)";
}

static void job_name(struct model *m, struct job *j)
{
	if (j->ntasks == 1)
		snprintf(j->name, sizeof(j->name), "%s %s", job_type_name(j->type),
			 device_name(m, j->tasks[0].device));
	else
		snprintf(j->name, sizeof(j->name), "%s (%u devices)", job_type_name(j->type), j->ntasks);
}

/* summary (NULL: "scheduled") is set before the job's first notification:
 * the trap says what a GET of the job says. */
static struct job *new_job(struct model *m, enum job_type type, const char *user,
			   const uint32_t *devices, uint32_t n, rs_time_t due, const char *summary,
			   struct actions *out)
{
	struct job *j = model_job_new(m, type, user, devices, n, due);
	if (!j)
		return NULL;
	job_name(m, j);
	snprintf(j->summary, sizeof(j->summary), "%s", summary ? summary : "scheduled");
	timer_add(m, &j->bulk); /* every task due at once: one node, not n */
	job_changed(j, out);
	push(out, ACT_SAVE_JOB_TASKS, j->id, 0);
	return j;
}

static void find_inventory_job(struct model *m);

static bool task_final(const struct task *t)
{
	return task_state_final(t->state);
}

/* Every device of the inventory, in index order; *n set. NULL if none. */
static uint32_t *inventory_devices(struct model *m, uint32_t *n)
{
	*n = 0;
	if (m->ndevices == 0)
		return NULL;
	uint32_t *devs = calloc(m->ndevices, sizeof(*devs));
	if (!devs)
		return NULL;
	struct device *d;
	MODEL_FOREACH_DEVICE(m, it, d)
		devs[(*n)++] = d->index;
	return devs;
}

/* J3: the next run of a recurring job. An inventory resync runs over the
 * inventory as it is then, so devices added since are included. */
static struct job *job_recur(struct model *m, struct job *j, uint32_t secs, rs_time_t now, struct actions *out)
{
	uint32_t n = 0, *devs;
	if (j->type == JOB_INVENTORY_RESYNC) {
		devs = inventory_devices(m, &n);
	} else {
		devs = malloc((j->ntasks ? j->ntasks : 1) * sizeof(*devs));
		for (uint32_t i = 0; devs && i < j->ntasks; i++)
			devs[n++] = j->tasks[i].device;
	}
	char why[RS_SUMMARY_MAX];
	snprintf(why, sizeof(why), "scheduled: next run of job %u", j->id);
	struct job *next = devs && n ? new_job(m, j->type, j->user, devs, n, now + RS_SECS(secs), why, out) : NULL;
	free(devs);
	if (!next)
		return NULL;
	next->recurrence_secs = secs;
	push(out, ACT_SAVE_JOB, next->id, 0);
	return next;
}

/* "; refetched N times: why" for a task's reason and its job's summary. */
static void refetch_note(char *buf, size_t len, unsigned refetches, bool stale)
{
	snprintf(buf, len, "; refetched %u time%s: %s", refetches, refetches == 1 ? "" : "s",
		 stale ? SCHED_STALE_WHY : SCHED_REFETCH_WHY);
}

/* A recurring inventory resync says how many devices it found current. */
static void job_summary_current(struct job *j)
{
	size_t len = strlen(j->summary);
	if (j->ncurrent && len < sizeof(j->summary))
		snprintf(j->summary + len, sizeof(j->summary) - len, "; %u current, not fetched", j->ncurrent);
}

/* Ends a job whose tasks are all final with the state they give it and,
 * unless the caller gives one (why), the summary they give it; notifies,
 * saves it and schedules its next run (J3). */
static void job_finish_why(struct model *m, struct job *j, const char *why, rs_time_t now,
			   struct actions *out)
{
	uint32_t ok = j->nstate[TASK_OK], failed = j->nstate[TASK_FAILED];
	uint32_t skipped = j->nstate[TASK_SKIPPED], cancelled = j->nstate[TASK_CANCELLED];
	const struct task *first_fail = j->first_failed ? &j->tasks[j->first_failed - 1] : NULL;
	j->end_time = now;
	timer_del(m, &j->bulk); /* nothing of it is pending any more */
	bool setting_inventory = m->inventory_job == j->id;
	if (setting_inventory)
		m->inventory_job = 0;
	if (j->state == JOB_CANCELLED) {
		/* The summary says who cancelled it; the percent stays where it was. */
	} else if (failed) {
		j->percent = 100;
		j->state = JOB_FAILURE;
		m->jobc.failed++;
		const struct device *d = model_device_by_index(m, first_fail->device);
		if (j->ntasks == 1)
			snprintf(j->summary, sizeof(j->summary), "%s: %s", d ? d->name : "(removed)",
				 d ? d->last_resync_reason : "failed");
		else
			snprintf(j->summary, sizeof(j->summary), "%u of %u devices failed; first %s: %s", failed,
				 j->ntasks, d ? d->name : "(removed)", d ? d->last_resync_reason : "failed");
		job_summary_current(j);
	} else if (cancelled == j->ntasks) {
		j->state = JOB_CANCELLED;
		m->jobc.cancelled++;
	} else {
		j->percent = 100;
		j->state = JOB_SUCCESS;
		m->jobc.succeeded++;
		/* A redundant (skipped) task wrote its own summary. */
		const char *what = j->type == JOB_DEPLOY ? "deployed"
				   : j->type == JOB_CONFIGURE_SYSLOG ? "configured for syslog" : "fetched";
		char note[RS_SUMMARY_MAX] = "";
		if (j->nrefetched && j->ntasks > 1 && j->nstale)
			snprintf(note, sizeof(note), "; %u refetched, %u of them stayed older than their commit "
				 "notification", j->nrefetched, j->nstale);
		else if (j->nrefetched && j->ntasks > 1)
			snprintf(note, sizeof(note), "; %u refetched: %s", j->nrefetched, SCHED_REFETCH_WHY);
		else if (j->nrefetched)
			refetch_note(note, sizeof(note), j->tasks[0].refetches, j->nstale != 0);
		if (j->ntasks > 1)
			snprintf(j->summary, sizeof(j->summary), "%u of %u devices %s%s", ok, j->ntasks, what, note);
		else if (j->ncurrent)
			snprintf(j->summary, sizeof(j->summary), "%s: configuration current, not fetched",
				 device_name(m, j->tasks[0].device));
		else if (!skipped)
			snprintf(j->summary, sizeof(j->summary), "%s: configuration %s%s",
				 device_name(m, j->tasks[0].device), what, note);
		if (j->ntasks > 1)
			job_summary_current(j);
	}
	if (why)
		snprintf(j->summary, sizeof(j->summary), "%s", why);
	job_changed(j, out);

	if (j->state == JOB_CANCELLED)
		return; /* cancelling a recurring job ends its recurrence */
	if (setting_inventory) {
		/* The setting's interval as it is now, which may have changed
		 * while this run was in progress. */
		uint32_t secs = m->settings.inventory_resync_interval_secs;
		struct job *next = secs ? job_recur(m, j, secs, now, out) : NULL;
		m->inventory_job = next ? next->id : 0;
	} else if (j->recurrence_secs) {
		job_recur(m, j, j->recurrence_secs, now, out);
	}
}

static void job_finish(struct model *m, struct job *j, rs_time_t now, struct actions *out)
{
	job_finish_why(m, j, NULL, now, out);
}

/* O(1): the job keeps its tasks' counts by state. */
static void job_progress(struct model *m, struct job *j, rs_time_t now, struct actions *out)
{
	uint32_t done = model_job_done(j);
	if (done == j->ntasks) {
		job_finish(m, j, now, out);
		return;
	}
	j->percent = (uint8_t)(done * 100 / j->ntasks);
	push(out, ACT_SAVE_JOB, j->id, 0);
}

static void clear_scheduled_auto(struct device *d, const struct job *j)
{
	if (d && d->scheduled_auto_job == j->id)
		d->scheduled_auto_job = 0;
}

static void task_start(struct model *m, struct job *j, struct task *t, struct device *d, rs_time_t now,
		       struct actions *out)
{
	clear_scheduled_auto(d, j);
	t->start = now;
	task_set(j, t, TASK_RUNNING, NULL, now, out);
	d->running_job = j->id;
	d->fetch_started = now;
	d->commit_during_fetch = false;
	d->status_before = d->managed_status;
	m->running_fetches++;
	if (j->state == JOB_SCHEDULED) {
		j->state = JOB_IN_PROGRESS;
		j->actual_start = now;
		snprintf(j->summary, sizeof(j->summary), "%s",
			 j->type == JOB_DEPLOY ? "deploying configuration"
			 : j->type == JOB_CONFIGURE_SYSLOG ? "configuring syslog" : "fetching configuration");
		job_changed(j, out);
	}
	/* A deploy does not fetch: the device keeps its status until it ends
	 * (S4); nor does configuring its syslog (S6). */
	if (j->type != JOB_DEPLOY && j->type != JOB_CONFIGURE_SYSLOG)
		set_status(m, d, fsm_on_fetch_start(d->managed_status), now, out);
	push(out, ACT_SAVE_DEVICE, 0, d->index);
	push(out, ACT_START_FETCH, j->id, d->index);
}

/* R7: an auto job is redundant when another job fetched the device after its
 * last commit and nothing changed since. */
static bool auto_task_redundant(const struct device *d)
{
	return d->managed_status == MS_IN_SYNC && d->last_fetch_ok_start > d->last_commit_time;
}

static bool slot_free(const struct model *m)
{
	return m->running_fetches < m->settings.max_concurrent_resyncs;
}

/* A pending task came due (or a slot freed for it). n is its own node, or
 * NULL for a task of its job's bulk. false: no worker slot is free and the
 * bulk task was left where it is (an own node waits in the ready FIFO). */
static bool task_due(struct model *m, struct job *j, struct task *t, struct sched_node *n, rs_time_t now,
		     struct actions *out)
{
	struct device *d = model_device_by_index(m, t->device);
	const char *skip = NULL;
	if (!d) {
		task_set(j, t, TASK_SKIPPED, "device removed", now, out);
		job_progress(m, j, now, out);
		goto consumed;
	}
	/* A refetch (freshness) held the device for its job until now: from
	 * here on it is a due task like any other. */
	if (d->running_job == j->id)
		d->running_job = 0;
	if (j->type == JOB_AUTO_RESYNC && m->settings.system_of_record == SOR_MANAGER)
		skip = "not run: the manager is the system of record"; /* S1: scheduled before the switch */
	else if (j->type == JOB_AUTO_RESYNC && auto_task_redundant(d))
		skip = "already synchronized by a later fetch";
	if (skip) {
		clear_scheduled_auto(d, j);
		task_set(j, t, TASK_SKIPPED, skip, now, out);
		if (*skip == 'a')
			m->jobc.redundant++;
		snprintf(j->summary, sizeof(j->summary), "%s: %s", d->name,
			 *skip == 'a' ? skip : "not run, the manager is the system of record");
		push(out, ACT_SAVE_DEVICE, 0, d->index);
		job_progress(m, j, now, out);
		goto consumed;
	}
	if (d->running_job) {
		/* R3: another resync runs on this device: try again after I. */
		if (!n && !(n = own_new(j, t))) {
			task_set(j, t, TASK_FAILED, "out of memory", now, out);
			job_progress(m, j, now, out);
			return true;
		}
		n->due = now + RS_SECS(m->settings.damper_interval_secs);
		timer_add(m, n);
		m->jobc.delayed++;
		if (j->state == JOB_SCHEDULED)
			snprintf(j->summary, sizeof(j->summary), "delayed: another resync of %s is in progress",
				 d->name);
		push(out, ACT_SAVE_JOB, j->id, 0);
		return true;
	}
	if (!slot_free(m)) {
		if (!n)
			return false;
		ready_push(m, n);
		return true;
	}
	task_start(m, j, t, d, now, out);
consumed:
	if (n)
		own_free(n);
	return true;
}

/* The job's bulk: its pending tasks in order, each taken as a worker slot
 * frees (or skipped, or delayed by R3). false: tasks are left, no slot. */
static bool bulk_run(struct model *m, struct job *j, rs_time_t now, struct actions *out)
{
	while (j->bulk_next < j->ntasks) {
		struct task *t = &j->tasks[j->bulk_next];
		if (t->state == TASK_PENDING && !task_due(m, j, t, NULL, now, out))
			return false;
		j->bulk_next++;
	}
	return true;
}

/* A node came due or reached the head of the ready FIFO (already taken off
 * either). */
static void node_due(struct model *m, struct sched_node *n, rs_time_t now, struct actions *out)
{
	if (n->pos == SCHED_BULK) {
		if (!bulk_run(m, n->job, now, out))
			ready_push(m, n);
		return;
	}
	struct task *t = &n->job->tasks[n->pos];
	if (t->state == TASK_PENDING)
		task_due(m, n->job, t, n, now, out);
	else
		own_free(n); /* cancelled while it waited */
}

static void drain_ready(struct model *m, rs_time_t now, struct actions *out)
{
	while (slot_free(m) && m->ready_head) {
		struct sched_node *n = m->ready_head;
		if (n->pos == SCHED_BULK) {
			/* It stays first until its last task is taken. */
			if (!bulk_run(m, n->job, now, out))
				return;
			ready_pop(m);
			continue;
		}
		ready_pop(m);
		node_due(m, n, now, out);
	}
}

void sched_tick(struct model *m, rs_time_t now, struct actions *out)
{
	drain_ready(m, now, out);
	struct sched_node *n;
	while ((n = RB_MIN(sched_tree, &m->timers)) && n->due <= now) {
		timer_del(m, n);
		node_due(m, n, now, out);
	}
}

rs_time_t sched_next_due(const struct model *m)
{
	if (m->ready_head && slot_free(m))
		return 1; /* as soon as possible */
	struct sched_node *n = RB_MIN(sched_tree, (struct sched_tree *)&m->timers);
	return n ? n->due : 0;
}

/* Schedules an auto job for d due at `due` unless one is scheduled (R2). */
static void schedule_auto(struct model *m, struct device *d, rs_time_t due, const char *why,
			  struct actions *out)
{
	if (d->scheduled_auto_job)
		return;
	struct job *j = new_job(m, JOB_AUTO_RESYNC, "system", &d->index, 1, due, why, out);
	if (j)
		d->scheduled_auto_job = j->id;
}

void sched_commit(struct model *m, struct device *d, const struct commit_info *ci, rs_time_t now,
		  struct actions *out)
{
	const char *user = ci && ci->user && *ci->user ? ci->user : d->pending_user;
	const char *comment = ci && ci->comment && *ci->comment ? ci->comment : d->pending_comment;
	/* user and comment may be the pending fields: copied before those clear. */
	model_istr_set(&d->last_commit_user, user, RS_USER_MAX);
	model_str_set(&d->last_commit_comment, comment, RS_COMMENT_MAX);
	model_istr_set(&d->pending_user, NULL, RS_USER_MAX);
	model_str_set(&d->pending_comment, NULL, RS_COMMENT_MAX);
	d->last_commit_time = now;
	d->commit_count++;

	bool by_manager = ci && ci->by_manager;
	if (ci && ci->rollback && d->rollback_expected_until && now <= d->rollback_expected_until) {
		/* The device undid a deploy's unconfirmed commit: back to what it
		 * had, as the failed deploy said (S4). */
		by_manager = true;
		d->rollback_expected_until = 0;
	}
	if (d->running_job && !by_manager)
		d->commit_during_fetch = true; /* R4 */
	set_status(m, d, fsm_on_commit(m->settings.system_of_record, d->managed_status, by_manager), now, out);
	push(out, ACT_SAVE_DEVICE, 0, d->index);

	if (m->settings.system_of_record == SOR_MANAGER) /* S1 */
		return;
	if (!m->settings.auto_resync_enabled)          /* R5 */
		return;
	char why[RS_SUMMARY_MAX];
	snprintf(why, sizeof(why), "scheduled after commit by %s",
		 *d->last_commit_user ? d->last_commit_user : "unknown user");
	/* R2: a scheduled one covers it */
	schedule_auto(m, d, now + RS_SECS(m->settings.auto_resync_wait_secs), why, out);
	/* W = 0: due now. */
	sched_tick(m, now, out);
}

void sched_manager_changed(struct model *m, struct device *d, rs_time_t now, struct actions *out)
{
	set_status(m, d, fsm_on_manager_change(d->managed_status), now, out);
	push(out, ACT_SAVE_DEVICE, 0, d->index);
}

/* An operator's job of type over the listed devices (deploy, configure
 * syslog, manual resync), started at once as far as slots allow. NULL, and
 * nothing made, for an empty list or one naming a device that does not
 * exist, or for a deploy one without an intended configuration. */
static struct job *operator_job(struct model *m, enum job_type type, const uint32_t *devices, uint32_t n,
				const char *user, rs_time_t now, struct actions *out)
{
	if (n == 0)
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		const struct device *d = model_device_by_index(m, devices[i]);
		if (!d || (type == JOB_DEPLOY && !d->intended_version))
			return NULL;
	}
	struct job *j = new_job(m, type, user, devices, n, now, NULL, out);
	sched_tick(m, now, out);
	return j;
}

struct job *sched_deploy(struct model *m, const uint32_t *devices, uint32_t n, const char *user,
			 rs_time_t now, struct actions *out)
{
	return operator_job(m, JOB_DEPLOY, devices, n, user, now, out);
}

struct job *sched_configure_syslog(struct model *m, const uint32_t *devices, uint32_t n, const char *user,
				   rs_time_t now, struct actions *out)
{
	return operator_job(m, JOB_CONFIGURE_SYSLOG, devices, n, user, now, out);
}

void sched_expect_rollback(struct model *m, struct device *d, rs_time_t until, struct actions *out)
{
	(void)m;
	d->rollback_expected_until = until;
	push(out, ACT_SAVE_DEVICE, 0, d->index);
}

void sched_sor_changed(struct model *m, enum system_of_record from, rs_time_t now, struct actions *out)
{
	enum system_of_record to = m->settings.system_of_record;
	if (from == to)
		return;
	struct device *d;
	MODEL_FOREACH_DEVICE(m, it, d) {
		enum managed_status st = fsm_on_sor_change(to, d->managed_status);
		/* A running fetch ends from the status it started at, seen in the new mode. */
		d->status_before = fsm_on_sor_change(to, d->status_before);
		if (st == d->managed_status)
			continue;
		set_status(m, d, st, now, out);
		push(out, ACT_SAVE_DEVICE, 0, d->index);
		if (to == SOR_NETWORK && m->settings.auto_resync_enabled) /* S5: R2 applies again */
			schedule_auto(m, d, now + RS_SECS(m->settings.auto_resync_wait_secs),
				      "scheduled after the switch to network as system of record", out);
	}
	sched_tick(m, now, out);
}

static bool resync_job(const struct job *j)
{
	return j->type == JOB_AUTO_RESYNC || j->type == JOB_MANUAL_RESYNC || j->type == JOB_INVENTORY_RESYNC;
}

bool sched_config_older_than_commit(const struct device *d)
{
	if (!d->config_commit_time || !d->last_commit_time)
		return false; /* the device does not say, or never notified a commit */
	/* The notification this fetch answers: none that a successful fetch
	 * already covers, none that came after it started (R4 keeps those). */
	if (d->last_commit_time <= d->last_fetch_ok_start || d->last_commit_time > d->fetch_started)
		return false;
	return d->config_commit_time + RS_SECS(SCHED_COMMIT_SKEW_SECS) < d->last_commit_time;
}

/* Freshness: the fetched configuration is older than the commit the device
 * notified. The device stays out of sync, as after a commit during the fetch
 * (R4), and its task runs again after I. The job keeps the device meanwhile
 * (running_job, released when the task comes due), so another job's task
 * for it is delayed by R3 instead of fetching in between; a commit that
 * arrives meanwhile schedules its auto job as R2 says, which the refetch
 * then makes redundant (R7). The successful fetch start is not recorded. */
static bool refetch_later(struct model *m, struct device *d, struct job *j, struct task *t,
			  enum conn_status conn, rs_time_t now, struct actions *out)
{
	uint32_t secs = m->settings.damper_interval_secs;
	char why[RS_REASON_MAX];
	struct sched_node *n = own_new(j, t); /* its due time is its own */

	if (!n)
		return false; /* out of memory: accepted as it is */
	if (t->refetches++ == 0)
		j->nrefetched++;
	m->jobc.refetches++;
	snprintf(why, sizeof(why), "%s: refetch %u of %u in %u s", SCHED_REFETCH_WHY, t->refetches,
		 SCHED_REFETCH_MAX, secs);
	d->conn_status = conn;
	d->last_resync_time = now;
	d->last_resync_result = RESULT_SUCCESS;
	model_istr_set(&d->last_resync_reason, why, RS_REASON_MAX);
	task_set(j, t, TASK_PENDING, why, now, out);
	n->due = now + RS_SECS(secs);
	timer_add(m, n);
	d->running_job = j->id;
	set_status(m, d, fsm_on_fetch_end(m->settings.system_of_record, d->status_before, true, true), now, out);
	d->commit_during_fetch = false;
	if (j->ntasks == 1)
		snprintf(j->summary, sizeof(j->summary), "%s: %s", d->name, why);
	push(out, ACT_SAVE_JOB, j->id, 0);
	push(out, ACT_SAVE_DEVICE, 0, d->index);
	return true;
}

enum fetch_outcome { FETCH_FAILED, FETCH_FETCHED, FETCH_CURRENT };

rs_time_t sched_current_commit(const struct job *j, const struct device *d)
{
	if (j->type != JOB_INVENTORY_RESYNC || !j->recurrence_secs)
		return 0;
	if (d->status_before != MS_IN_SYNC || !d->config_version)
		return 0;
	return d->config_commit_time;
}

static void fetch_end(struct model *m, uint32_t job_id, uint32_t device, enum fetch_outcome how,
		      enum conn_status conn, const char *reason, rs_time_t now, struct actions *out)
{
	bool ok = how != FETCH_FAILED;
	struct device *d = model_device_by_index(m, device);
	struct job *j = model_job_by_id(m, job_id);
	struct task *t = j ? model_job_task(j, device) : NULL;

	/* The slot and the device are free once the worker is back, cancelled or not. */
	if (m->running_fetches)
		m->running_fetches--;
	if (d && d->running_job == job_id)
		d->running_job = 0;

	bool older = d && t && t->state == TASK_RUNNING && how == FETCH_FETCHED && resync_job(j) && !d->commit_during_fetch &&
		     sched_config_older_than_commit(d);
	if (older && t->refetches < SCHED_REFETCH_MAX && refetch_later(m, d, j, t, conn, now, out)) {
		/* fetched again after I */
	} else if (d && t && t->state == TASK_RUNNING) {
		const char *why = reason && *reason ? reason : (ok ? "configuration fetched" : "failed");
		char with_note[RS_REASON_MAX];
		if (ok && t->refetches) {
			/* Accepted: fresh now, or older still after the last refetch. */
			char note[RS_REASON_MAX];
			j->nstale += older;
			refetch_note(note, sizeof(note), t->refetches, older);
			snprintf(with_note, sizeof(with_note), "%s%s", why, note);
			why = with_note;
		}
		d->conn_status = conn;
		d->last_resync_time = now;
		d->last_resync_result = ok ? RESULT_SUCCESS : RESULT_FAILURE;
		model_istr_set(&d->last_resync_reason, why, RS_REASON_MAX);
		if (ok)
			d->last_fetch_ok_start = d->fetch_started;
		if (how == FETCH_CURRENT) {
			j->ncurrent++;
			m->jobc.current++;
		}
		task_set(j, t, how == FETCH_CURRENT ? TASK_SKIPPED : ok ? TASK_OK : TASK_FAILED,
			 d->last_resync_reason, now, out);
		if (j->type == JOB_CONFIGURE_SYSLOG && ok)
			d->syslog_configured = now;
		enum managed_status st =
			j->type == JOB_CONFIGURE_SYSLOG ? d->managed_status
			: j->type == JOB_DEPLOY
				? fsm_on_deploy_end(d->managed_status, ok, d->commit_during_fetch)
				: fsm_on_fetch_end(m->settings.system_of_record, d->status_before, ok,
						   d->commit_during_fetch);
		set_status(m, d, st, now, out);
		d->commit_during_fetch = false;
		push(out, ACT_SAVE_DEVICE, 0, d->index);
		job_progress(m, j, now, out);
	} else if (d) {
		push(out, ACT_SAVE_DEVICE, 0, d->index);
	}
	drain_ready(m, now, out);
}

void sched_fetch_done(struct model *m, uint32_t job_id, uint32_t device, bool ok, enum conn_status conn,
		      const char *reason, rs_time_t now, struct actions *out)
{
	fetch_end(m, job_id, device, ok ? FETCH_FETCHED : FETCH_FAILED, conn, reason, now, out);
}

void sched_fetch_current(struct model *m, uint32_t job_id, uint32_t device, const char *reason,
			 rs_time_t now, struct actions *out)
{
	fetch_end(m, job_id, device, FETCH_CURRENT, CONN_UP, reason, now, out);
}

struct job *sched_manual_resync(struct model *m, const uint32_t *devices, uint32_t n, const char *user,
				rs_time_t now, struct actions *out)
{
	return operator_job(m, JOB_MANUAL_RESYNC, devices, n, user, now, out);
}

struct job *sched_inventory_resync(struct model *m, const char *user, rs_time_t now, struct actions *out)
{
	uint32_t n;
	uint32_t *devs = inventory_devices(m, &n);
	if (!devs)
		return NULL;
	struct job *j = new_job(m, JOB_INVENTORY_RESYNC, user, devs, n, now, NULL, out);
	free(devs);
	sched_tick(m, now, out);
	return j;
}

/* Stops one task: pending ones leave the timer, running ones get their
 * session closed (J1); the device stays busy until the worker is back. */
static void task_cancel(struct model *m, struct job *j, struct task *t, const char *reason, rs_time_t now,
			struct actions *out)
{
	struct device *d = model_device_by_index(m, t->device);
	clear_scheduled_auto(d, j);
	if (t->state == TASK_PENDING) {
		/* One of the bulk is passed over by it; one with a node of its own
		 * leaves the timer (one in the ready FIFO is freed when it is
		 * reached: the job is not purged before). */
		struct sched_node *n = task_pos(j, t) < j->bulk_next ? own_find(j, task_pos(j, t)) : NULL;
		if (n && n->in_timer) {
			timer_del(m, n);
			own_free(n);
		}
		if (d && d->running_job == j->id)
			d->running_job = 0; /* a refetch's hold (freshness) */
	} else if (t->state == TASK_RUNNING) {
		push(out, ACT_STOP_FETCH, j->id, t->device);
		/* A data capture changes nothing on the device or in its status;
		 * a cancelled deploy leaves it as it was (S4: the device rolls back
		 * an unconfirmed commit by itself). */
		if (d && j->type != JOB_DATA_CAPTURE && j->type != JOB_DEPLOY &&
		    j->type != JOB_CONFIGURE_SYSLOG) {
			set_status(m, d, MS_OUT_OF_SYNC, now, out);
			d->last_resync_time = now;
			d->last_resync_result = RESULT_FAILURE;
			model_istr_set(&d->last_resync_reason, "cancelled", RS_REASON_MAX);
		}
	} else {
		return;
	}
	task_set(j, t, TASK_CANCELLED, reason, now, out);
	if (d)
		push(out, ACT_SAVE_DEVICE, 0, d->index);
}

int sched_cancel_job(struct model *m, uint32_t job_id, rs_time_t now, struct actions *out)
{
	struct job *j = model_job_by_id(m, job_id);
	if (!j || job_state_final(j->state))
		return -1;
	for (uint32_t i = 0; i < j->ntasks; i++)
		task_cancel(m, j, &j->tasks[i], "job cancelled", now, out);
	j->state = JOB_CANCELLED;
	m->jobc.cancelled++;
	snprintf(j->summary, sizeof(j->summary), "cancelled");
	job_finish(m, j, now, out);
	return 0;
}

struct job *sched_retry_job(struct model *m, uint32_t job_id, const char *user, rs_time_t now,
			    struct actions *out)
{
	struct job *j = model_job_by_id(m, job_id);
	/* A capture belongs to its incident's moment: it is not re-run later. */
	if (!j || j->state != JOB_FAILURE || j->type == JOB_DATA_CAPTURE)
		return NULL;
	uint32_t *devs = malloc(j->ntasks * sizeof(*devs)), n = 0;
	if (!devs)
		return NULL;
	for (uint32_t i = 0; i < j->ntasks; i++)
		if (j->tasks[i].state == TASK_FAILED && model_device_by_index(m, j->tasks[i].device))
			devs[n++] = j->tasks[i].device;
	char why[RS_SUMMARY_MAX];
	snprintf(why, sizeof(why), "retry of job %u", job_id);
	struct job *r = n ? new_job(m, JOB_MANUAL_RESYNC, user, devs, n, now, why, out) : NULL;
	free(devs);
	if (r) {
		r->retry_of = job_id;
		sched_tick(m, now, out);
	}
	return r;
}

size_t sched_purge_select(struct model *m, rs_time_t now, bool all, struct job ***jobs)
{
	const struct settings *s = &m->settings;
	rs_time_t cutoff = s->job_retention_days ? now - RS_SECS((int64_t)s->job_retention_days * 86400) : 0;
	uint32_t finished = 0;
	size_t n = 0;
	struct job *j;
	*jobs = NULL;
	RB_FOREACH(j, job_tree, &m->jobs)
		finished += job_state_final(j->state);
	if (!finished || !(*jobs = malloc(finished * sizeof(**jobs))))
		return 0;
	/* Oldest first: ids increase with creation. */
	RB_FOREACH(j, job_tree, &m->jobs) {
		if (!job_state_final(j->state))
			continue; /* J4: scheduled and running jobs are never purged */
		if (j->nqueued)
			continue; /* a cancelled task still in the ready FIFO points into it */
		bool too_old = cutoff && j->end_time < cutoff;
		bool too_many = s->job_retention_count && finished > s->job_retention_count;
		if (!all && !too_old && !too_many)
			continue;
		(*jobs)[n++] = j;
		finished--;
	}
	return n;
}

void sched_purge_remove(struct model *m, struct job **jobs, size_t n, struct actions *out)
{
	for (size_t i = 0; i < n; i++) {
		push(out, ACT_DELETE_JOB, jobs[i]->id, 0);
		model_job_free(m, jobs[i]);
		m->jobc.purged++;
	}
}

size_t sched_purge_jobs(struct model *m, rs_time_t now, struct actions *out)
{
	struct job **jobs;
	size_t n = sched_purge_select(m, now, false, &jobs);
	sched_purge_remove(m, jobs, n, out);
	free(jobs);
	return n;
}

/* How many restarts in a row interrupted device's jobs, counting the one j
 * ends now: j itself, then every earlier job (newest first) whose task on the
 * device was failed by a restart, up to the first one that ended otherwise. */
static unsigned restart_streak(struct model *m, const struct job *j, uint32_t device)
{
	unsigned n = 1;
	struct job *p;

	RB_FOREACH_REVERSE(p, job_tree, &m->jobs) {
		struct task *t;

		if (p->id >= j->id || !job_state_final(p->state) || !(t = model_job_task(p, device)))
			continue;
		if (t->state == TASK_FAILED && !t->start)
			continue; /* it never started on the device (a job over many): no sign */
		if (t->state != TASK_FAILED || strncmp(p->summary, SCHED_INTERRUPTED, strlen(SCHED_INTERRUPTED)) != 0)
			break;
		n++;
	}
	return n;
}

/* Defence in depth against a device that crashes the daemon (J5 would resync
 * it at once on every start): from the second interrupted job in a row on, the
 * resync waits SCHED_RESTART_BACKOFF_SECS, doubled per further one, at most an hour. */
static rs_time_t restart_backoff(unsigned streak)
{
	rs_time_t secs = SCHED_RESTART_BACKOFF_SECS;

	if (streak < 2)
		return 0;
	for (unsigned i = 2; i < streak && secs < 3600; i++)
		secs *= 2;
	return RS_SECS(secs < 3600 ? secs : 3600);
}

void sched_restore(struct model *m, rs_time_t now, struct actions *out)
{
	m->running_fetches = 0;
	/* Nothing is scheduled before this (after store_load: none of it was
	 * saved; a test's simulated restart: dropped). */
	struct job *j, *jn;
	m->ready_head = m->ready_tail = NULL;
	RB_INIT(&m->timers);
	RB_FOREACH(j, job_tree, &m->jobs) {
		j->bulk.in_timer = j->bulk.queued = false;
		j->nqueued = j->bulk_next = 0;
		while (j->own)
			own_free(j->own);
	}
	struct device *d;
	MODEL_FOREACH_DEVICE(m, it, d) {
		d->running_job = 0;
		d->commit_during_fetch = false;
		struct job *sj = d->scheduled_auto_job ? model_job_by_id(m, d->scheduled_auto_job) : NULL;
		if (!sj || sj->state != JOB_SCHEDULED)
			d->scheduled_auto_job = 0;
	}
	RB_FOREACH_SAFE(j, job_tree, &m->jobs, jn) {
		if (j->state == JOB_SCHEDULED) {
			/* J5: it keeps its due time. Its pending tasks are its bulk
			 * again: one an R3 delay had set later comes due with the
			 * others, as no fetch runs on its device now. */
			j->bulk.due = j->scheduled_start;
			timer_add(m, &j->bulk);
			continue;
		}
		if (j->state != JOB_IN_PROGRESS)
			continue;
		if (j->type == JOB_DATA_CAPTURE) {
			/* A capture is not a resync: it fails, the device is left alone. */
			for (uint32_t i = 0; i < j->ntasks; i++)
				if (!task_final(&j->tasks[i]))
					model_task_set_state(j, &j->tasks[i], TASK_FAILED, NULL, now);
			job_finish_why(m, j, SCHED_INTERRUPTED, now, out);
			continue;
		}
		/* J5: interrupted. Its unfinished devices are resynced again. In
		 * network mode a device it was fetching gets an auto job (with the
		 * back-off), and those it had not started yet one job of its kind
		 * (an inventory's or new devices' resync: one job, not one per
		 * device). In manager mode all get one job of its kind (accept,
		 * deploy), never an automatic one (S5). */
		bool manager = m->settings.system_of_record == SOR_MANAGER;
		bool together = manager || j->ntasks > 1;
		uint32_t *again_devs = together ? calloc(j->ntasks, sizeof(*again_devs)) : NULL, nagain = 0;
		uint32_t first_ran = 0; /* the back-off looks at devices it was fetching */
		uint32_t ndone = j->nstate[TASK_OK] + j->nstate[TASK_SKIPPED], nfailed = j->nstate[TASK_FAILED];
		uint32_t nstopped = 0, nwaiting = 0;
		for (uint32_t i = 0; i < j->ntasks; i++) {
			struct task *t = &j->tasks[i];
			if (task_final(t))
				continue;
			bool ran = t->state == TASK_RUNNING;
			if (ran)
				nstopped++;
			else
				nwaiting++;
			/* Rows of the pending ones are written with the job's below. */
			if (together && !ran)
				model_task_set_state(j, t, TASK_FAILED, "interrupted by restart", now);
			else
				task_set(j, t, TASK_FAILED, "interrupted by restart", now, out);
			d = model_device_by_index(m, t->device);
			if (!d)
				continue;
			if (together && !ran) {
				/* Never started: its status and last resync stay. */
				if (again_devs)
					again_devs[nagain++] = d->index;
				continue;
			}
			if (!first_ran)
				first_ran = d->index;
			d->last_resync_result = RESULT_FAILURE;
			d->last_resync_time = now;
			model_istr_set(&d->last_resync_reason, "interrupted by restart", RS_REASON_MAX);
			push(out, ACT_SAVE_DEVICE, 0, d->index);
			if (manager) {
				if (d->managed_status == MS_SYNCHRONIZING)
					set_status(m, d, fsm_on_fetch_end(SOR_MANAGER, d->status_before, false, false),
						   now, out);
				if (again_devs)
					again_devs[nagain++] = d->index;
				continue;
			}
			set_status(m, d, MS_OUT_OF_SYNC, now, out);
			unsigned streak = restart_streak(m, j, d->index);
			rs_time_t wait = restart_backoff(streak);
			char why[RS_SUMMARY_MAX];
			if (wait)
				snprintf(why, sizeof(why), "resync after job %u was interrupted by restart; "
					 "%u restarts in a row: back-off %" PRId64 " s", j->id, streak,
					 (int64_t)(wait / RS_USEC_PER_SEC));
			else
				snprintf(why, sizeof(why), "resync after job %u was interrupted by restart", j->id);
			schedule_auto(m, d, now + wait, why, out);
		}
		if (together)
			push(out, ACT_SAVE_JOB_TASKS, j->id, 0);
		struct job *again = NULL;
		if (nagain && !(manager && j->type == JOB_AUTO_RESYNC)) {
			/* In network mode it has only devices it never started on. */
			unsigned streak = manager && first_ran ? restart_streak(m, j, first_ran) : 0;
			rs_time_t wait = restart_backoff(streak);
			char again_why[RS_SUMMARY_MAX];
			if (wait)
				snprintf(again_why, sizeof(again_why), "re-run of job %u, interrupted by restart; "
					 "%u restarts in a row: back-off %" PRId64 " s", j->id, streak,
					 (int64_t)(wait / RS_USEC_PER_SEC));
			else
				snprintf(again_why, sizeof(again_why), "re-run of job %u, interrupted by restart", j->id);
			again = new_job(m, j->type, j->user, again_devs, nagain, now + wait, again_why, out);
		}
		free(again_devs);
		/* Its tasks all end failed (J5), but most of a large job's had
		 * not started: the summary says which were which, not "N of N
		 * devices failed". It starts with SCHED_INTERRUPTED (restart_streak). */
		char why[RS_SUMMARY_MAX];
		char again_note[32] = "";
		if (again)
			snprintf(again_note, sizeof(again_note), " (again in job %u)", again->id);
		if (j->ntasks == 1)
			snprintf(why, sizeof(why), SCHED_INTERRUPTED);
		else
			snprintf(why, sizeof(why), SCHED_INTERRUPTED ": %u of %u devices done, %u failed, %u stopped "
				 "during their fetch, %u not started%s", ndone, j->ntasks, nfailed, nstopped, nwaiting,
				 again_note);
		job_finish_why(m, j, why, now, out);
	}
	find_inventory_job(m);
	sched_inventory_interval(m, now, out);
	/* A device left synchronizing without a job (should not happen) is stale. */
	MODEL_FOREACH_DEVICE(m, it, d)
		if (d->managed_status == MS_SYNCHRONIZING)
			set_status(m, d, fsm_on_fetch_end(m->settings.system_of_record, d->status_before, false, false),
				   now, out);
}

void sched_device_removed(struct model *m, uint32_t device, rs_time_t now, struct actions *out)
{
	struct job *j, *jn;
	RB_FOREACH_SAFE(j, job_tree, &m->jobs, jn) {
		if (job_state_final(j->state))
			continue;
		struct task *t = model_job_task(j, device);
		if (!t || task_final(t))
			continue;
		task_cancel(m, j, t, "device removed", now, out);
		if (j->ntasks == 1)
			snprintf(j->summary, sizeof(j->summary), "device %u removed", device);
		job_progress(m, j, now, out);
	}
}

/* ---- operator changes of a scheduled job (J3) ---------------------------- */

int sched_check_reschedule(const struct model *m, const struct job *j, rs_time_t start, rs_time_t now,
			   const char **why)
{
	(void)m;
	if (j->state != JOB_SCHEDULED) {
		*why = "only a scheduled job can be rescheduled";
		return -1;
	}
	/* One minute of slack: the manager's clock and ours differ a little. */
	if (start < now - RS_SECS(60)) {
		*why = "the new start is in the past";
		return -1;
	}
	return 0;
}

int sched_reschedule_job(struct model *m, uint32_t job_id, rs_time_t start, rs_time_t now,
			 struct actions *out)
{
	struct job *j = model_job_by_id(m, job_id);
	const char *why;
	if (!j || sched_check_reschedule(m, j, start, now, &why) < 0)
		return -1;
	j->scheduled_start = start;
	/* Every pending task moves, except those already waiting for a slot. */
	if (!j->bulk.queued) {
		timer_del(m, &j->bulk);
		j->bulk.due = start;
		timer_add(m, &j->bulk);
	}
	for (struct sched_node *n = j->own; n; n = n->next_own) {
		if (!n->in_timer)
			continue;
		timer_del(m, n);
		n->due = start;
		timer_add(m, n);
	}
	push(out, ACT_SAVE_JOB_TASKS, j->id, 0);
	sched_tick(m, now, out); /* a start of "now" starts it */
	return 0;
}

int sched_set_recurrence(struct model *m, uint32_t job_id, uint32_t secs, struct actions *out)
{
	struct job *j = model_job_by_id(m, job_id);
	if (!j || j->state != JOB_SCHEDULED)
		return -1;
	j->recurrence_secs = secs;
	push(out, ACT_SAVE_JOB, j->id, 0);
	return 0;
}

/* ---- the recurring inventory resync (inventoryResyncIntervalSecs) -------- */

void sched_inventory_interval(struct model *m, rs_time_t now, struct actions *out)
{
	uint32_t secs = m->settings.inventory_resync_interval_secs;
	struct job *j = m->inventory_job ? model_job_by_id(m, m->inventory_job) : NULL;
	if (j && j->state != JOB_SCHEDULED)
		j = NULL; /* running: its end schedules the next run */
	if (j && j->recurrence_secs == secs)
		return;
	if (j) {
		/* The interval changed or went to 0: this run goes, a new one comes. */
		sched_cancel_job(m, j->id, now, out);
		snprintf(j->summary, sizeof(j->summary), "cancelled: inventoryResyncIntervalSecs changed");
		m->inventory_job = 0;
	}
	if (!secs || m->inventory_job)
		return;
	uint32_t n;
	uint32_t *devs = inventory_devices(m, &n);
	if (!devs)
		return;
	char why[RS_SUMMARY_MAX];
	snprintf(why, sizeof(why), "scheduled: resync of the inventory every %u s", secs);
	j = new_job(m, JOB_INVENTORY_RESYNC, "system", devs, n, now + RS_SECS(secs), why, out);
	free(devs);
	if (!j)
		return;
	j->recurrence_secs = secs;
	m->inventory_job = j->id;
}

/* After a restart: which scheduled job is the recurring inventory resync. */
static void find_inventory_job(struct model *m)
{
	struct job *j;
	m->inventory_job = 0;
	RB_FOREACH(j, job_tree, &m->jobs)
		if (j->type == JOB_INVENTORY_RESYNC && !job_state_final(j->state) && j->recurrence_secs &&
		    strcmp(j->user, "system") == 0)
			m->inventory_job = j->id;
}

/* ---- discovery (J7) ------------------------------------------------------ */

struct job *sched_discovered(struct model *m, const uint32_t *devices, uint32_t n, rs_time_t now,
			     struct actions *out)
{
	/* S1: with the manager as system of record nothing resyncs by itself;
	 * the operator accepts (resyncdDeviceAction) or deploys. */
	if (m->settings.system_of_record == SOR_MANAGER)
		return NULL;
	uint32_t *devs = malloc((n ? n : 1) * sizeof(*devs)), k = 0;
	if (!devs)
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		struct device *d = model_device_by_index(m, devices[i]);
		if (d && d->managed_status == MS_UNKNOWN && !d->running_job)
			devs[k++] = d->index;
	}
	/* One job for what one request (the file, a SIGHUP, one SET) added: at
	 * 100,000 devices one job of 100,000 tasks, not 100,000 jobs. It is not
	 * a device's scheduled auto job: a commit during it schedules its own
	 * (R2), which R7 makes redundant if the initial fetch started later. */
	struct job *j = k ? new_job(m, JOB_AUTO_RESYNC, "system", devs, k, now,
				    k == 1 ? "scheduled: initial resync of a new device"
					   : "scheduled: initial resync of new devices",
				    out)
			  : NULL;
	free(devs);
	if (!j)
		return NULL;
	if (k == 1)
		snprintf(j->name, sizeof(j->name), "initial resync %s", device_name(m, j->tasks[0].device));
	else
		snprintf(j->name, sizeof(j->name), "initial resync (%u devices)", k);
	sched_tick(m, now, out);
	return j;
}
