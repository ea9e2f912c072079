/* test_sched.c: the damping scheduler and status machine against SPEC rules
 * R1-R7, S1-S3 and J1-J5, with an injected clock (no test sleeps). */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "fsm.h"
#include "sched.h"

#define W 20
#define I 20
#define T0 RS_SECS(1700000000)

struct fx {
	struct model m;
	struct actions out;
};

static struct fx *fx_new(uint32_t ndevices)
{
	struct fx *f = calloc(1, sizeof(*f));
	model_init(&f->m);
	actions_init(&f->out);
	for (uint32_t i = 1; i <= ndevices; i++) {
		char name[16];
		snprintf(name, sizeof(name), "r%u", i);
		char addr[32];
		snprintf(addr, sizeof(addr), "192.0.2.%u", i % 250 + 1);
		model_device_add(&f->m, 0, name, addr, T0);
	}
	return f;
}

static int setup1(void **state)
{
	*state = fx_new(3);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	actions_free(&f->out);
	model_free(&f->m);
	free(f);
	return 0;
}

static struct device *dev(struct fx *f, uint32_t i)
{
	return model_device_by_index(&f->m, i);
}

static void commit(struct fx *f, uint32_t d, rs_time_t t)
{
	struct commit_info ci = { .user = "alice", .comment = "change" };
	sched_commit(&f->m, dev(f, d), &ci, t, &f->out);
}

/* A commit of device d at t; returns the id of the auto job it has scheduled. */
static uint32_t commit_auto(struct fx *f, uint32_t d, rs_time_t t)
{
	commit(f, d, t);
	return dev(f, d)->scheduled_auto_job;
}

static void tick(struct fx *f, rs_time_t t)
{
	sched_tick(&f->m, t, &f->out);
}

static void done(struct fx *f, uint32_t job, uint32_t d, bool ok, rs_time_t t)
{
	sched_fetch_done(&f->m, job, d, ok, ok ? CONN_UP : CONN_DOWN, ok ? "" : "connection refused", t, &f->out);
}

/* Counts START_FETCH actions for a device since the last clear. */
static size_t starts_for(struct fx *f, uint32_t d)
{
	size_t n = 0;
	for (size_t i = 0; i < f->out.n; i++)
		n += f->out.v[i].kind == ACT_START_FETCH && f->out.v[i].device == d;
	return n;
}

static uint32_t njobs_of(struct fx *f, enum job_type type)
{
	uint32_t n = 0;
	struct job *j;
	RB_FOREACH(j, job_tree, &f->m.jobs)
		n += j->type == type;
	return n;
}

/* ---- R1 ------------------------------------------------------------------ */

static void test_R1_commit_marks_out_of_sync_from_every_status(void **state)
{
	struct fx *f = *state;
	static const enum managed_status from[] = { MS_UNKNOWN, MS_IN_SYNC, MS_OUT_OF_SYNC, MS_SYNCHRONIZING };
	for (size_t i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
		model_device_set_status(&f->m, dev(f, 1), from[i], T0);
		commit(f, 1, T0 + RS_SECS(i));
		assert_int_equal(dev(f, 1)->managed_status, MS_OUT_OF_SYNC);
	}
	assert_int_equal(dev(f, 1)->commit_count, 4);
	assert_string_equal(dev(f, 1)->last_commit_user, "alice");
}

static void test_R1_status_change_emits_one_notification(void **state)
{
	struct fx *f = *state;
	commit(f, 1, T0);
	assert_int_equal(actions_count(&f->out, ACT_STATUS_CHANGED), 1);
	assert_int_equal(f->out.v[0].old_status, MS_UNKNOWN);
	assert_int_equal(f->out.v[0].new_status, MS_OUT_OF_SYNC);
	actions_clear(&f->out);
	commit(f, 1, T0 + 1); /* already outOfSync: no change, no notification */
	assert_int_equal(actions_count(&f->out, ACT_STATUS_CHANGED), 0);
	assert_int_equal(f->m.status_count[MS_OUT_OF_SYNC], 1);
	assert_int_equal(f->m.status_count[MS_UNKNOWN], 2);
}

static void test_R1_commit_while_synchronizing(void **state)
{
	struct fx *f = *state;
	commit(f, 1, T0);
	tick(f, T0 + RS_SECS(W));
	assert_int_equal(dev(f, 1)->managed_status, MS_SYNCHRONIZING);
	commit(f, 1, T0 + RS_SECS(W + 1));
	assert_int_equal(dev(f, 1)->managed_status, MS_OUT_OF_SYNC);
}

/* ---- R2 ------------------------------------------------------------------ */

static void test_R2_commit_schedules_job_due_after_W(void **state)
{
	struct fx *f = *state;
	commit(f, 1, T0);
	struct job *j = model_job_by_id(&f->m, dev(f, 1)->scheduled_auto_job);
	assert_non_null(j);
	assert_int_equal(j->type, JOB_AUTO_RESYNC);
	assert_int_equal(j->state, JOB_SCHEDULED);
	assert_true(j->scheduled_start == T0 + RS_SECS(W));
	assert_string_equal(j->user, "system");
	tick(f, T0 + RS_SECS(W) - 1);
	assert_int_equal(starts_for(f, 1), 0);
	tick(f, T0 + RS_SECS(W));
	assert_int_equal(starts_for(f, 1), 1);
	assert_int_equal(j->state, JOB_IN_PROGRESS);
}

static void test_R2_many_commits_in_window_give_one_job(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < 5; i++)
		commit(f, 1, T0 + RS_SECS(i * 3));
	assert_int_equal(njobs_of(f, JOB_AUTO_RESYNC), 1);
	struct job *j = model_job_by_id(&f->m, dev(f, 1)->scheduled_auto_job);
	assert_true(j->scheduled_start == T0 + RS_SECS(W)); /* the due time does not move */
	tick(f, T0 + RS_SECS(W));
	assert_int_equal(starts_for(f, 1), 1);
	done(f, j->id, 1, true, T0 + RS_SECS(W + 2));
	assert_int_equal(dev(f, 1)->managed_status, MS_IN_SYNC);
	assert_int_equal(njobs_of(f, JOB_AUTO_RESYNC), 1);
	assert_int_equal(dev(f, 1)->commit_count, 5);
}

static void test_R2_W_zero_starts_at_once(void **state)
{
	struct fx *f = *state;
	f->m.settings.auto_resync_wait_secs = 0;
	commit(f, 1, T0);
	assert_int_equal(starts_for(f, 1), 1);
	assert_int_equal(dev(f, 1)->managed_status, MS_SYNCHRONIZING);
}

/* A job scheduled and started in one pass reports each change with the
 * summary it had then: the "scheduled" notification does not carry the
 * "fetching" summary the job has by the time the loop sends it. */
static void test_R2_job_changes_carry_their_own_summary(void **state)
{
	struct fx *f = *state;
	f->m.settings.auto_resync_wait_secs = 0;
	commit(f, 1, T0);
	const struct action *changes[4];
	size_t n = 0;
	for (size_t i = 0; i < f->out.n && n < 4; i++)
		if (f->out.v[i].kind == ACT_JOB_CHANGED)
			changes[n++] = &f->out.v[i];
	assert_int_equal(n, 2);
	assert_int_equal(changes[0]->job_state, JOB_SCHEDULED);
	assert_non_null(strstr(changes[0]->job_summary, "scheduled"));
	assert_int_equal(changes[1]->job_state, JOB_IN_PROGRESS);
	assert_non_null(strstr(changes[1]->job_summary, "fetching"));
	const struct job *j = model_job_by_id(&f->m, changes[0]->job);
	assert_string_equal(j->summary, changes[1]->job_summary);
}

/* The scheduled-job notification says what a GET of the job says then
 * (issue 12 item 9: the trap said "scheduled", the GET "scheduled after
 * commit by alice"): one summary, one truth. */
static void test_R2_scheduled_notification_carries_the_jobs_summary(void **state)
{
	struct fx *f = *state;
	commit(f, 1, T0);
	const struct action *a = NULL;
	for (size_t i = 0; i < f->out.n && !a; i++)
		if (f->out.v[i].kind == ACT_JOB_CHANGED)
			a = &f->out.v[i];
	assert_non_null(a);
	assert_int_equal(a->job_state, JOB_SCHEDULED);
	assert_string_equal(a->job_summary, "scheduled after commit by alice");
	assert_string_equal(model_job_by_id(&f->m, a->job)->summary, a->job_summary);
}

static void test_R2_commits_on_two_devices_are_independent(void **state)
{
	struct fx *f = *state;
	commit(f, 1, T0);
	commit(f, 2, T0 + RS_SECS(5));
	assert_int_equal(njobs_of(f, JOB_AUTO_RESYNC), 2);
	tick(f, T0 + RS_SECS(W));
	assert_int_equal(starts_for(f, 1), 1);
	assert_int_equal(starts_for(f, 2), 0);
	tick(f, T0 + RS_SECS(W + 5));
	assert_int_equal(starts_for(f, 2), 1);
}

/* ---- R3 ------------------------------------------------------------------ */

static void test_R3_due_while_running_is_delayed_by_I_again_and_again(void **state)
{
	struct fx *f = *state;
	commit(f, 1, T0);
	tick(f, T0 + RS_SECS(W)); /* job A starts */
	uint32_t a = dev(f, 1)->running_job;
	uint32_t b = commit_auto(f, 1, T0 + RS_SECS(W + 1)); /* job B scheduled, due W+1+W */
	assert_int_not_equal(a, b);
	rs_time_t due = T0 + RS_SECS(2 * W + 1);
	actions_clear(&f->out);
	for (int k = 0; k < 3; k++) {
		tick(f, due + RS_SECS(k * I));
		assert_int_equal(starts_for(f, 1), 0); /* never two on one device */
		assert_true(sched_next_due(&f->m) == due + RS_SECS((k + 1) * I));
		assert_int_equal(model_job_by_id(&f->m, b)->state, JOB_SCHEDULED);
	}
	assert_int_equal(f->m.jobc.delayed, 3);
	done(f, a, 1, true, due + RS_SECS(3 * I) - 1);
	tick(f, due + RS_SECS(3 * I));
	assert_int_equal(starts_for(f, 1), 1);
	assert_int_equal(dev(f, 1)->running_job, b);
}

static void test_R3_manual_resync_while_auto_runs_waits(void **state)
{
	struct fx *f = *state;
	commit(f, 1, T0);
	tick(f, T0 + RS_SECS(W));
	uint32_t a = dev(f, 1)->running_job;
	actions_clear(&f->out);
	uint32_t d1 = 1;
	struct job *m = sched_manual_resync(&f->m, &d1, 1, "bob", T0 + RS_SECS(W + 1), &f->out);
	assert_non_null(m);
	assert_int_equal(starts_for(f, 1), 0);
	assert_int_equal(m->state, JOB_SCHEDULED);
	done(f, a, 1, true, T0 + RS_SECS(W + 2));
	tick(f, T0 + RS_SECS(W + 1 + I));
	assert_int_equal(starts_for(f, 1), 1);
	assert_int_equal(m->state, JOB_IN_PROGRESS);
}

/* ---- R4 ------------------------------------------------------------------ */

static void test_R4_start_synchronizing_then_in_sync(void **state)
{
	struct fx *f = *state;
	uint32_t j = commit_auto(f, 1, T0);
	tick(f, T0 + RS_SECS(W));
	assert_int_equal(dev(f, 1)->managed_status, MS_SYNCHRONIZING);
	done(f, j, 1, true, T0 + RS_SECS(W + 3));
	assert_int_equal(dev(f, 1)->managed_status, MS_IN_SYNC);
	assert_int_equal(model_job_by_id(&f->m, j)->state, JOB_SUCCESS);
	assert_int_equal(model_job_by_id(&f->m, j)->percent, 100);
	assert_int_equal(dev(f, 1)->last_resync_result, RESULT_SUCCESS);
	assert_int_equal(dev(f, 1)->conn_status, CONN_UP);
}

static void test_R4_commit_during_fetch_stays_out_of_sync_and_schedules_next(void **state)
{
	struct fx *f = *state;
	uint32_t a = commit_auto(f, 1, T0);
	tick(f, T0 + RS_SECS(W));
	uint32_t b = commit_auto(f, 1, T0 + RS_SECS(W + 1));
	assert_int_not_equal(b, 0);
	done(f, a, 1, true, T0 + RS_SECS(W + 2));
	assert_int_equal(dev(f, 1)->managed_status, MS_OUT_OF_SYNC);
	assert_int_equal(model_job_by_id(&f->m, a)->state, JOB_SUCCESS);
	actions_clear(&f->out);
	tick(f, T0 + RS_SECS(2 * W + 1));
	assert_int_equal(starts_for(f, 1), 1);
	done(f, b, 1, true, T0 + RS_SECS(2 * W + 3));
	assert_int_equal(dev(f, 1)->managed_status, MS_IN_SYNC);
}

static void test_R4_failure_sets_out_of_sync_with_reason(void **state)
{
	struct fx *f = *state;
	uint32_t j = commit_auto(f, 1, T0);
	tick(f, T0 + RS_SECS(W));
	done(f, j, 1, false, T0 + RS_SECS(W + 1));
	struct device *d = dev(f, 1);
	assert_int_equal(d->managed_status, MS_OUT_OF_SYNC);
	assert_int_equal(d->conn_status, CONN_DOWN);
	assert_int_equal(d->last_resync_result, RESULT_FAILURE);
	assert_string_equal(d->last_resync_reason, "connection refused");
	struct job *job = model_job_by_id(&f->m, j);
	assert_int_equal(job->state, JOB_FAILURE);
	assert_non_null(strstr(job->summary, "connection refused"));
}

/* ---- R5 ------------------------------------------------------------------ */

static void test_R5_disabled_marks_out_of_sync_and_schedules_nothing(void **state)
{
	struct fx *f = *state;
	f->m.settings.auto_resync_enabled = false;
	commit(f, 1, T0);
	assert_int_equal(dev(f, 1)->managed_status, MS_OUT_OF_SYNC);
	assert_int_equal(f->m.njobs, 0);
	assert_true(sched_next_due(&f->m) == 0);
}

static void test_R5_manual_resync_runs_when_disabled(void **state)
{
	struct fx *f = *state;
	f->m.settings.auto_resync_enabled = false;
	commit(f, 1, T0);
	uint32_t devs[] = { 1, 2 };
	struct job *j = sched_manual_resync(&f->m, devs, 2, "bob", T0 + RS_SECS(1), &f->out);
	assert_non_null(j);
	assert_int_equal(j->type, JOB_MANUAL_RESYNC);
	assert_string_equal(j->user, "bob");
	assert_int_equal(starts_for(f, 1), 1);
	assert_int_equal(starts_for(f, 2), 1);
	done(f, j->id, 1, true, T0 + RS_SECS(2));
	assert_int_equal(j->state, JOB_IN_PROGRESS);
	assert_int_equal(j->percent, 50);
	done(f, j->id, 2, true, T0 + RS_SECS(3));
	assert_int_equal(j->state, JOB_SUCCESS);
	assert_int_equal(dev(f, 1)->managed_status, MS_IN_SYNC);
}

static void test_R5_manual_resync_while_auto_scheduled(void **state)
{
	struct fx *f = *state;
	uint32_t a = commit_auto(f, 1, T0);
	uint32_t d1 = 1;
	struct job *m = sched_manual_resync(&f->m, &d1, 1, "bob", T0 + RS_SECS(1), &f->out);
	assert_int_equal(starts_for(f, 1), 1);
	done(f, m->id, 1, true, T0 + RS_SECS(2));
	assert_int_equal(dev(f, 1)->managed_status, MS_IN_SYNC);
	/* The auto job, now redundant (R7 logic), does not fetch again. */
	actions_clear(&f->out);
	tick(f, T0 + RS_SECS(W));
	assert_int_equal(starts_for(f, 1), 0);
	assert_int_equal(model_job_by_id(&f->m, a)->state, JOB_SUCCESS);
}

/* ---- R6 ------------------------------------------------------------------ */

static void test_R6_new_W_applies_to_jobs_scheduled_after(void **state)
{
	struct fx *f = *state;
	commit(f, 1, T0);
	assert_int_equal(settings_set(&f->m.settings, SET_AUTO_RESYNC_WAIT_SECS, 120, NULL), SETERR_OK);
	commit(f, 2, T0);
	assert_true(model_job_by_id(&f->m, dev(f, 1)->scheduled_auto_job)->scheduled_start == T0 + RS_SECS(W));
	assert_true(model_job_by_id(&f->m, dev(f, 2)->scheduled_auto_job)->scheduled_start == T0 + RS_SECS(120));
}

static void test_R6_disable_inside_window_keeps_scheduled_job(void **state)
{
	struct fx *f = *state;
	commit(f, 1, T0);
	f->m.settings.auto_resync_enabled = false;
	tick(f, T0 + RS_SECS(W));
	assert_int_equal(starts_for(f, 1), 1);
	/* Turning it on again schedules nothing by itself. */
	struct fx *g = fx_new(1);
	g->m.settings.auto_resync_enabled = false;
	sched_commit(&g->m, model_device_by_index(&g->m, 1), NULL, T0, &g->out);
	g->m.settings.auto_resync_enabled = true;
	sched_tick(&g->m, T0 + RS_SECS(3600), &g->out);
	assert_int_equal(g->m.njobs, 0);
	teardown((void **)&g);
}

/* ---- R7 ------------------------------------------------------------------ */

static void test_R7_auto_job_made_redundant_by_inventory_resync(void **state)
{
	struct fx *f = *state;
	uint32_t a = commit_auto(f, 2, T0);
	struct job *inv = sched_inventory_resync(&f->m, "bob", T0 + RS_SECS(5), &f->out);
	assert_int_equal(inv->type, JOB_INVENTORY_RESYNC);
	assert_int_equal(inv->ntasks, 3);
	for (uint32_t d = 1; d <= 3; d++)
		done(f, inv->id, d, true, T0 + RS_SECS(6));
	assert_int_equal(inv->state, JOB_SUCCESS);
	actions_clear(&f->out);
	tick(f, T0 + RS_SECS(W));
	assert_int_equal(starts_for(f, 2), 0); /* not run twice */
	assert_int_equal(model_job_by_id(&f->m, a)->state, JOB_SUCCESS);
	assert_int_equal(f->m.jobc.redundant, 1);
	assert_int_equal(dev(f, 2)->scheduled_auto_job, 0);
}

static void test_R7_auto_job_still_runs_after_commit_following_inventory(void **state)
{
	struct fx *f = *state;
	struct job *inv = sched_inventory_resync(&f->m, "bob", T0, &f->out);
	for (uint32_t d = 1; d <= 3; d++)
		done(f, inv->id, d, true, T0 + RS_SECS(1));
	commit(f, 2, T0 + RS_SECS(2)); /* a change after the inventory fetched it */
	actions_clear(&f->out);
	tick(f, T0 + RS_SECS(2 + W));
	assert_int_equal(starts_for(f, 2), 1);
}

/* ---- concurrency --------------------------------------------------------- */

static void test_R3_max_concurrent_resyncs_is_respected(void **state)
{
	(void)state;
	struct fx *f = fx_new(5);
	f->m.settings.max_concurrent_resyncs = 2;
	for (uint32_t d = 1; d <= 5; d++)
		commit(f, d, T0);
	tick(f, T0 + RS_SECS(W));
	assert_int_equal(actions_count(&f->out, ACT_START_FETCH), 2);
	assert_int_equal(f->m.running_fetches, 2);
	actions_clear(&f->out);
	done(f, dev(f, 1)->running_job, 1, true, T0 + RS_SECS(W + 1));
	assert_int_equal(actions_count(&f->out, ACT_START_FETCH), 1);
	assert_int_equal(f->m.running_fetches, 2);
	teardown((void **)&f);
}

/* ---- S1-S3 --------------------------------------------------------------- */

static void test_S1_S2_manager_mode_commit_changes_status_without_resync(void **state)
{
	struct fx *f = *state;
	f->m.settings.system_of_record = SOR_MANAGER;
	model_device_set_status(&f->m, dev(f, 1), MS_IN_SYNC, T0);
	commit(f, 1, T0);
	assert_int_equal(dev(f, 1)->managed_status, MS_DEVICE_CHANGED);
	assert_int_equal(f->m.njobs, 0);
	model_device_set_status(&f->m, dev(f, 2), MS_MANAGER_CHANGED, T0);
	commit(f, 2, T0);
	assert_int_equal(dev(f, 2)->managed_status, MS_MANAGER_AND_DEVICE_CHANGED);
	struct commit_info own = { .user = "resyncd", .by_manager = true };
	model_device_set_status(&f->m, dev(f, 3), MS_IN_SYNC, T0);
	sched_commit(&f->m, dev(f, 3), &own, T0, &f->out);
	assert_int_equal(dev(f, 3)->managed_status, MS_IN_SYNC);
}

static void test_S3_manager_change_transitions(void **state)
{
	(void)state;
	static const struct {
		enum managed_status from, to;
	} rows[] = {
		{ MS_IN_SYNC, MS_MANAGER_CHANGED },
		{ MS_DEVICE_CHANGED, MS_MANAGER_AND_DEVICE_CHANGED },
		{ MS_MANAGER_CHANGED, MS_MANAGER_CHANGED },
		{ MS_OUT_OF_SYNC, MS_OUT_OF_SYNC },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(fsm_on_manager_change(rows[i].from), rows[i].to);
}


static struct job *only_job_of(struct fx *f, enum job_type type)
{
	struct job *j, *found = NULL;
	RB_FOREACH(j, job_tree, &f->m.jobs)
		if (j->type == type)
			found = j;
	return found;
}

/* A restart as after store_load: fresh timers and counters. */
static void restart(struct fx *f, rs_time_t t)
{
	actions_clear(&f->out); /* sched_restore starts from fresh timers and counters */
	sched_restore(&f->m, t, &f->out);
}

static void manager_mode_in_sync(struct fx *f)
{
	f->m.settings.system_of_record = SOR_MANAGER;
	for (uint32_t i = 1; i <= 3; i++) {
		model_device_set_status(&f->m, dev(f, i), MS_IN_SYNC, T0);
		dev(f, i)->intended_version = 1;
	}
}

static void test_S1_auto_job_scheduled_before_the_switch_is_not_run(void **state)
{
	struct fx *f = *state;
	uint32_t job = commit_auto(f, 1, T0);
	f->m.settings.system_of_record = SOR_MANAGER;
	sched_sor_changed(&f->m, SOR_NETWORK, T0 + 1, &f->out);
	actions_clear(&f->out);
	tick(f, T0 + RS_SECS(W));
	assert_int_equal(starts_for(f, 1), 0);
	assert_int_equal(model_job_by_id(&f->m, job)->state, JOB_SUCCESS);
	assert_int_equal(dev(f, 1)->scheduled_auto_job, 0);
	assert_int_equal(dev(f, 1)->managed_status, MS_DEVICE_CHANGED);
}

/* An accept (a manual resync in manager mode) of device d by "op" at t. */
static struct job *accept_one(struct fx *f, uint32_t d, rs_time_t t)
{
	return sched_manual_resync(&f->m, &d, 1, "op", t, &f->out);
}

static void test_S4_accept_ends_in_sync(void **state)
{
	struct fx *f = *state;
	manager_mode_in_sync(f);
	commit(f, 1, T0);
	assert_int_equal(dev(f, 1)->managed_status, MS_DEVICE_CHANGED);
	struct job *j = accept_one(f, 1, T0 + 1);
	assert_int_equal(dev(f, 1)->managed_status, MS_SYNCHRONIZING);
	done(f, j->id, 1, true, T0 + 2);
	assert_int_equal(dev(f, 1)->managed_status, MS_IN_SYNC);
	assert_int_equal(j->state, JOB_SUCCESS);
}

static void test_S4_commit_during_accept_ends_device_changed(void **state)
{
	struct fx *f = *state;
	manager_mode_in_sync(f);
	commit(f, 1, T0);
	struct job *j = accept_one(f, 1, T0 + 1);
	commit(f, 1, T0 + 2);
	assert_int_equal(dev(f, 1)->managed_status, MS_SYNCHRONIZING);
	done(f, j->id, 1, true, T0 + 3);
	/* The copy predates that commit: still changed on the device, and S1
	 * schedules nothing. */
	assert_int_equal(dev(f, 1)->managed_status, MS_DEVICE_CHANGED);
	assert_int_equal(njobs_of(f, JOB_AUTO_RESYNC), 0);
}

static void test_S4_failed_accept_keeps_the_divergence(void **state)
{
	struct fx *f = *state;
	manager_mode_in_sync(f);
	model_device_set_status(&f->m, dev(f, 1), MS_MANAGER_AND_DEVICE_CHANGED, T0);
	struct job *j = accept_one(f, 1, T0 + 1);
	done(f, j->id, 1, false, T0 + 2);
	assert_int_equal(dev(f, 1)->managed_status, MS_MANAGER_AND_DEVICE_CHANGED);
	assert_int_equal(j->state, JOB_FAILURE);
}

static void test_S4_deploy_is_one_job_and_ends_in_sync(void **state)
{
	struct fx *f = *state;
	manager_mode_in_sync(f);
	sched_manager_changed(&f->m, dev(f, 1), T0, &f->out);
	sched_manager_changed(&f->m, dev(f, 2), T0, &f->out);
	uint32_t devs[] = { 1, 2 };
	actions_clear(&f->out);
	struct job *j = sched_deploy(&f->m, devs, 2, "op", T0 + 1, &f->out);
	assert_non_null(j);
	assert_int_equal(j->type, JOB_DEPLOY);
	assert_int_equal(j->ntasks, 2);
	assert_int_equal(actions_count(&f->out, ACT_START_FETCH), 2);
	/* A deploy fetches nothing first: the status stays until it ends. */
	assert_int_equal(dev(f, 1)->managed_status, MS_MANAGER_CHANGED);
	/* Its own commit notification is no device change. */
	struct commit_info own = { .user = "resyncd", .by_manager = true };
	sched_commit(&f->m, dev(f, 1), &own, T0 + 2, &f->out);
	assert_int_equal(dev(f, 1)->managed_status, MS_MANAGER_CHANGED);
	done(f, j->id, 1, true, T0 + 3);
	done(f, j->id, 2, false, T0 + 3);
	assert_int_equal(dev(f, 1)->managed_status, MS_IN_SYNC);
	/* S4: a failed deploy leaves the device's status as it was. */
	assert_int_equal(dev(f, 2)->managed_status, MS_MANAGER_CHANGED);
	assert_int_equal(j->state, JOB_FAILURE);
}

static void test_S6_configure_syslog_job_keeps_the_status_and_records_success(void **state)
{
	struct fx *f = *state;
	model_device_set_status(&f->m, dev(f, 1), MS_IN_SYNC, T0);
	uint32_t devs[] = { 1, 2 };
	struct job *j = sched_configure_syslog(&f->m, devs, 2, "system", T0, &f->out);
	assert_non_null(j);
	assert_int_equal(j->type, JOB_CONFIGURE_SYSLOG);
	assert_int_equal(dev(f, 1)->managed_status, MS_IN_SYNC); /* fetches nothing */
	done(f, j->id, 1, true, T0 + 1);
	done(f, j->id, 2, false, T0 + 1);
	assert_true(dev(f, 1)->syslog_configured == T0 + 1);
	assert_true(dev(f, 2)->syslog_configured == 0);
	assert_int_equal(dev(f, 1)->managed_status, MS_IN_SYNC);
	assert_int_equal(dev(f, 2)->managed_status, MS_UNKNOWN);
	assert_int_equal(j->state, JOB_FAILURE);
}

static void test_S4_cancelled_deploy_keeps_the_status(void **state)
{
	struct fx *f = *state;
	manager_mode_in_sync(f);
	sched_manager_changed(&f->m, dev(f, 1), T0, &f->out);
	uint32_t d = 1;
	struct job *j = sched_deploy(&f->m, &d, 1, "op", T0, &f->out);
	assert_int_equal(sched_cancel_job(&f->m, j->id, T0 + 1, &f->out), 0);
	assert_int_equal(dev(f, 1)->managed_status, MS_MANAGER_CHANGED);
}

static void test_S4_deploy_needs_an_intended_configuration(void **state)
{
	struct fx *f = *state;
	manager_mode_in_sync(f);
	dev(f, 2)->intended_version = 0;
	uint32_t devs[] = { 1, 2 };
	assert_null(sched_deploy(&f->m, devs, 2, "op", T0, &f->out));
	assert_int_equal(f->m.njobs, 0);
}

static void test_S4_rollback_of_a_failed_deploy_is_no_device_change(void **state)
{
	struct fx *f = *state;
	manager_mode_in_sync(f);
	sched_manager_changed(&f->m, dev(f, 1), T0, &f->out);
	uint32_t d = 1;
	struct job *j = sched_deploy(&f->m, &d, 1, "op", T0, &f->out);
	sched_expect_rollback(&f->m, dev(f, 1), T0 + RS_SECS(120), &f->out);
	done(f, j->id, 1, false, T0 + 1);
	struct commit_info rb = { .rollback = true };
	sched_commit(&f->m, dev(f, 1), &rb, T0 + RS_SECS(60), &f->out);
	assert_int_equal(dev(f, 1)->managed_status, MS_MANAGER_CHANGED);
	/* Only that one: a later rollback is the device's own. */
	sched_commit(&f->m, dev(f, 1), &rb, T0 + RS_SECS(70), &f->out);
	assert_int_equal(dev(f, 1)->managed_status, MS_MANAGER_AND_DEVICE_CHANGED);
}

static void test_S5_manager_to_network_resyncs_diverged_devices(void **state)
{
	struct fx *f = *state;
	manager_mode_in_sync(f);
	model_device_set_status(&f->m, dev(f, 1), MS_DEVICE_CHANGED, T0);
	model_device_set_status(&f->m, dev(f, 2), MS_MANAGER_AND_DEVICE_CHANGED, T0);
	f->m.settings.system_of_record = SOR_NETWORK;
	actions_clear(&f->out);
	sched_sor_changed(&f->m, SOR_MANAGER, T0, &f->out);
	assert_int_equal(dev(f, 1)->managed_status, MS_OUT_OF_SYNC);
	assert_int_equal(dev(f, 2)->managed_status, MS_OUT_OF_SYNC);
	assert_int_equal(dev(f, 3)->managed_status, MS_IN_SYNC);
	assert_int_equal(actions_count(&f->out, ACT_STATUS_CHANGED), 2);
	assert_int_equal(njobs_of(f, JOB_AUTO_RESYNC), 2);
	actions_clear(&f->out);
	tick(f, T0 + RS_SECS(W));
	assert_int_equal(starts_for(f, 1), 1);
	assert_int_equal(starts_for(f, 2), 1);
}

static void test_S5_network_to_manager_out_of_sync_becomes_device_changed(void **state)
{
	struct fx *f = *state;
	commit(f, 1, T0);
	model_device_set_status(&f->m, dev(f, 2), MS_IN_SYNC, T0);
	f->m.settings.system_of_record = SOR_MANAGER;
	sched_sor_changed(&f->m, SOR_NETWORK, T0 + 1, &f->out);
	assert_int_equal(dev(f, 1)->managed_status, MS_DEVICE_CHANGED);
	assert_int_equal(dev(f, 2)->managed_status, MS_IN_SYNC);
}

static void test_S5_J5_manager_mode_reruns_accept_and_deploy_as_they_were(void **state)
{
	struct fx *f = *state;
	manager_mode_in_sync(f);
	commit(f, 1, T0);
	sched_manager_changed(&f->m, dev(f, 2), T0, &f->out);
	uint32_t d1 = 1, d2 = 2;
	struct job *accept = sched_manual_resync(&f->m, &d1, 1, "op", T0, &f->out);
	struct job *deploy = sched_deploy(&f->m, &d2, 1, "op", T0, &f->out);
	uint32_t accept_id = accept->id, deploy_id = deploy->id;
	restart(f, T0 + RS_SECS(5));
	assert_int_equal(model_job_by_id(&f->m, accept_id)->state, JOB_FAILURE);
	assert_int_equal(model_job_by_id(&f->m, deploy_id)->state, JOB_FAILURE);
	/* Back to the divergence each had, and no automatic resync (S1). */
	assert_int_equal(dev(f, 1)->managed_status, MS_DEVICE_CHANGED);
	assert_int_equal(dev(f, 2)->managed_status, MS_MANAGER_CHANGED);
	assert_int_equal(njobs_of(f, JOB_AUTO_RESYNC), 0);
	struct job *again_accept = only_job_of(f, JOB_MANUAL_RESYNC);
	struct job *again_deploy = only_job_of(f, JOB_DEPLOY);
	assert_true(again_accept->id > deploy_id && again_deploy->id > deploy_id);
	assert_string_equal(again_accept->user, "op");
	actions_clear(&f->out);
	tick(f, T0 + RS_SECS(5));
	assert_int_equal(starts_for(f, 1), 1);
	assert_int_equal(starts_for(f, 2), 1);
	assert_int_equal(dev(f, 1)->managed_status, MS_SYNCHRONIZING);
	assert_int_equal(dev(f, 2)->managed_status, MS_MANAGER_CHANGED);
}

/* ---- J1-J5 --------------------------------------------------------------- */

static void test_J1_cancel_scheduled_job(void **state)
{
	struct fx *f = *state;
	uint32_t j = commit_auto(f, 1, T0);
	assert_int_equal(sched_cancel_job(&f->m, j, T0 + RS_SECS(1), &f->out), 0);
	assert_int_equal(model_job_by_id(&f->m, j)->state, JOB_CANCELLED);
	assert_int_equal(dev(f, 1)->scheduled_auto_job, 0);
	actions_clear(&f->out);
	tick(f, T0 + RS_SECS(W));
	assert_int_equal(starts_for(f, 1), 0);
	assert_int_equal(sched_cancel_job(&f->m, j, T0 + RS_SECS(W), &f->out), -1); /* final already */
	/* The next commit schedules afresh. */
	commit(f, 1, T0 + RS_SECS(W + 1));
	assert_int_not_equal(dev(f, 1)->scheduled_auto_job, 0);
}

static void test_J1_cancel_in_progress_stops_session_leaves_out_of_sync(void **state)
{
	struct fx *f = *state;
	uint32_t j = commit_auto(f, 1, T0);
	tick(f, T0 + RS_SECS(W));
	actions_clear(&f->out);
	assert_int_equal(sched_cancel_job(&f->m, j, T0 + RS_SECS(W + 1), &f->out), 0);
	assert_int_equal(actions_count(&f->out, ACT_STOP_FETCH), 1);
	assert_int_equal(dev(f, 1)->managed_status, MS_OUT_OF_SYNC);
	assert_int_equal(model_job_by_id(&f->m, j)->state, JOB_CANCELLED);
	/* The worker reports back late: the device frees, nothing else changes. */
	done(f, j, 1, true, T0 + RS_SECS(W + 2));
	assert_int_equal(dev(f, 1)->managed_status, MS_OUT_OF_SYNC);
	assert_int_equal(dev(f, 1)->running_job, 0);
	assert_int_equal(f->m.running_fetches, 0);
}

static void test_J2_retry_makes_job_for_failed_devices_only(void **state)
{
	struct fx *f = *state;
	uint32_t devs[] = { 1, 2, 3 };
	struct job *j = sched_manual_resync(&f->m, devs, 3, "bob", T0, &f->out);
	done(f, j->id, 1, true, T0 + 1);
	done(f, j->id, 2, false, T0 + 2);
	done(f, j->id, 3, false, T0 + 3);
	assert_int_equal(j->state, JOB_FAILURE);
	assert_non_null(strstr(j->summary, "2 of 3"));
	struct job *r = sched_retry_job(&f->m, j->id, "carol", T0 + 4, &f->out);
	assert_non_null(r);
	assert_int_equal(r->ntasks, 2);
	assert_int_equal(r->tasks[0].device, 2);
	assert_int_equal(r->tasks[1].device, 3);
	assert_null(sched_retry_job(&f->m, r->id, "carol", T0 + 5, &f->out)); /* not finished */
}

static void test_J3_recurring_job_schedules_next_run(void **state)
{
	struct fx *f = *state;
	uint32_t d1 = 1;
	struct job *j = sched_manual_resync(&f->m, &d1, 1, "bob", T0, &f->out);
	j->recurrence_secs = 3600;
	done(f, j->id, 1, true, T0 + RS_SECS(2));
	struct job *next = model_job_next(&f->m, j->id);
	assert_non_null(next);
	assert_int_equal(next->state, JOB_SCHEDULED);
	assert_int_equal(next->recurrence_secs, 3600);
	assert_true(next->scheduled_start == T0 + RS_SECS(3602));
}

static void test_J4_purge_by_count_and_age_keeps_unfinished(void **state)
{
	struct fx *f = *state;
	f->m.settings.job_retention_count = 2;
	f->m.settings.job_retention_days = 1;
	uint32_t d1 = 1;
	for (int i = 0; i < 4; i++) {
		struct job *j = sched_manual_resync(&f->m, &d1, 1, "bob", T0 + RS_SECS(i), &f->out);
		done(f, j->id, 1, true, T0 + RS_SECS(i) + 1);
	}
	commit(f, 2, T0 + RS_SECS(10)); /* scheduled: never purged */
	sched_purge_jobs(&f->m, T0 + RS_SECS(11), &f->out);
	assert_int_equal(f->m.njobs, 3);
	assert_null(model_job_by_id(&f->m, 1));
	assert_null(model_job_by_id(&f->m, 2));
	assert_int_equal(actions_count(&f->out, ACT_DELETE_JOB), 2);
	sched_purge_jobs(&f->m, T0 + RS_SECS(2 * 86400), &f->out);
	assert_int_equal(f->m.njobs, 1);
	assert_int_equal(model_job_next(&f->m, 0)->state, JOB_SCHEDULED);
}

static void test_J5_restore_fails_interrupted_and_keeps_due_times(void **state)
{
	struct fx *f = *state;
	commit(f, 1, T0);
	tick(f, T0 + RS_SECS(W)); /* in progress */
	uint32_t running = dev(f, 1)->running_job;
	uint32_t sched = commit_auto(f, 2, T0 + RS_SECS(W)); /* scheduled, due 2W */
	/* Simulate a restart: fresh timers and counters, as after store_load. */
	actions_clear(&f->out); /* sched_restore starts from fresh timers and counters */
	sched_restore(&f->m, T0 + RS_SECS(W + 5), &f->out);
	struct job *r = model_job_by_id(&f->m, running);
	assert_int_equal(r->state, JOB_FAILURE);
	assert_string_equal(r->summary, "interrupted by restart");
	assert_int_equal(dev(f, 1)->managed_status, MS_OUT_OF_SYNC);
	assert_string_equal(dev(f, 1)->last_resync_reason, "interrupted by restart");
	/* Resynced again, at once. */
	uint32_t again = dev(f, 1)->scheduled_auto_job;
	assert_int_not_equal(again, 0);
	assert_true(model_job_by_id(&f->m, again)->scheduled_start == T0 + RS_SECS(W + 5));
	assert_true(model_job_by_id(&f->m, sched)->scheduled_start == T0 + RS_SECS(2 * W));
	actions_clear(&f->out);
	tick(f, T0 + RS_SECS(W + 5));
	assert_int_equal(starts_for(f, 1), 1);
	assert_int_equal(starts_for(f, 2), 0);
	tick(f, T0 + RS_SECS(2 * W));
	assert_int_equal(starts_for(f, 2), 1);
}

/* ---- job management (J1-J7) ---------------------------------------------- */

/* One request naming three devices is one job; its percent moves as each
 * device finishes, and each device's row says when and how it ended. */
static void test_J6_one_request_for_several_devices_is_one_job(void **state)
{
	struct fx *f = *state;
	uint32_t devs[] = { 3, 1, 2 }; /* not in index order */
	struct job *j = sched_manual_resync(&f->m, devs, 3, "bob", T0, &f->out);
	assert_non_null(j);
	assert_int_equal(f->m.njobs, 1);
	assert_int_equal(j->type, JOB_MANUAL_RESYNC);
	assert_int_equal(j->ntasks, 3);
	assert_true(j->tasks[0].start == T0);
	done(f, j->id, 1, true, T0 + 10);
	assert_int_equal(j->percent, 33);
	assert_ptr_equal(model_job_task(j, 1), &j->tasks[1]);
	assert_int_equal(j->tasks[1].state, TASK_OK);
	assert_true(j->tasks[1].end == T0 + 10);
	assert_string_equal(j->tasks[1].reason, "configuration fetched");
	done(f, j->id, 3, false, T0 + 20);
	assert_int_equal(j->percent, 66);
	assert_string_equal(j->tasks[0].reason, "connection refused");
	assert_int_equal(j->state, JOB_IN_PROGRESS);
	done(f, j->id, 2, true, T0 + 30);
	assert_int_equal(j->percent, 100);
	assert_int_equal(j->state, JOB_FAILURE);
	assert_non_null(strstr(j->summary, "1 of 3 devices failed; first r3"));
}

static void test_J2_retry_names_the_job_it_retries(void **state)
{
	struct fx *f = *state;
	uint32_t devs[] = { 1, 2, 3 };
	struct job *j = sched_manual_resync(&f->m, devs, 3, "bob", T0, &f->out);
	done(f, j->id, 1, false, T0 + 1);
	done(f, j->id, 2, true, T0 + 2);
	done(f, j->id, 3, false, T0 + 3);
	struct job *r = sched_retry_job(&f->m, j->id, "carol", T0 + 4, &f->out);
	assert_non_null(r);
	assert_int_equal(r->retry_of, j->id);
	assert_int_equal(r->ntasks, 2);
	assert_int_equal(r->tasks[0].device, 1);
	assert_int_equal(r->tasks[1].device, 3);
	assert_string_equal(r->user, "carol");
	assert_int_equal(j->retry_of, 0);
}

static void test_J1_cancelled_job_keeps_its_percent(void **state)
{
	struct fx *f = *state;
	f->m.settings.max_concurrent_resyncs = 1;
	uint32_t devs[] = { 1, 2, 3 };
	struct job *j = sched_manual_resync(&f->m, devs, 3, "bob", T0, &f->out);
	done(f, j->id, 1, true, T0 + 1);
	assert_int_equal(j->percent, 33);
	assert_int_equal(sched_cancel_job(&f->m, j->id, T0 + 2, &f->out), 0);
	assert_int_equal(j->state, JOB_CANCELLED);
	assert_int_equal(j->percent, 33);
	assert_int_equal(j->tasks[2].state, TASK_CANCELLED);
	assert_string_equal(j->tasks[2].reason, "job cancelled");
}

static void test_J3_reschedule_moves_every_device_and_refuses_the_past(void **state)
{
	struct fx *f = *state;
	uint32_t devs[] = { 1, 2 };
	struct job *j = sched_manual_resync(&f->m, devs, 2, "bob", T0, &f->out);
	/* running: too late */
	assert_int_equal(sched_reschedule_job(&f->m, j->id, T0 + RS_SECS(60), T0, &f->out), -1);
	commit(f, 3, T0);
	struct job *a = model_job_by_id(&f->m, dev(f, 3)->scheduled_auto_job);
	const char *why;
	assert_int_equal(sched_check_reschedule(&f->m, a, T0 - RS_SECS(3600), T0, &why), -1);
	assert_int_equal(sched_reschedule_job(&f->m, a->id, T0 + RS_SECS(600), T0, &f->out), 0);
	assert_true(a->scheduled_start == T0 + RS_SECS(600));
	actions_clear(&f->out);
	tick(f, T0 + RS_SECS(W));
	assert_int_equal(starts_for(f, 3), 0); /* no longer due after W */
	tick(f, T0 + RS_SECS(600));
	assert_int_equal(starts_for(f, 3), 1);
	assert_int_equal(sched_set_recurrence(&f->m, a->id, 60, &f->out), -1); /* not scheduled any more */
}

static void test_J3_recurrence_written_while_scheduled_applies_at_its_end(void **state)
{
	struct fx *f = *state;
	uint32_t id = commit_auto(f, 1, T0);
	assert_int_equal(sched_set_recurrence(&f->m, id, 300, &f->out), 0);
	tick(f, T0 + RS_SECS(W));
	done(f, id, 1, true, T0 + RS_SECS(W + 1));
	struct job *next = model_job_next(&f->m, id);
	assert_non_null(next);
	assert_int_equal(next->recurrence_secs, 300);
	assert_true(next->scheduled_start == T0 + RS_SECS(W + 1 + 300));
}

/* inventoryResyncIntervalSecs: a recurring inventory job by "system"; its
 * next run covers a device added meanwhile; 0 cancels the scheduled run. */
static void test_J3_inventory_interval_runs_a_recurring_inventory_resync(void **state)
{
	struct fx *f = *state;
	f->m.settings.inventory_resync_interval_secs = 3600;
	sched_inventory_interval(&f->m, T0, &f->out);
	struct job *j = model_job_by_id(&f->m, f->m.inventory_job);
	assert_non_null(j);
	assert_int_equal(j->type, JOB_INVENTORY_RESYNC);
	assert_string_equal(j->user, "system");
	assert_true(j->scheduled_start == T0 + RS_SECS(3600));
	sched_inventory_interval(&f->m, T0 + 5, &f->out); /* unchanged: nothing new */
	assert_int_equal(f->m.njobs, 1);
	tick(f, T0 + RS_SECS(3600));
	assert_int_equal(j->state, JOB_IN_PROGRESS);
	model_device_add(&f->m, 0, "r4", "192.0.2.99", T0);
	for (uint32_t d = 1; d <= 3; d++)
		done(f, j->id, d, true, T0 + RS_SECS(3601));
	assert_int_equal(j->state, JOB_SUCCESS);
	struct job *next = model_job_by_id(&f->m, f->m.inventory_job);
	assert_non_null(next);
	assert_int_not_equal(next->id, j->id);
	assert_int_equal(next->ntasks, 4);
	assert_true(next->scheduled_start == T0 + RS_SECS(3601 + 3600));
	f->m.settings.inventory_resync_interval_secs = 0;
	sched_inventory_interval(&f->m, T0 + RS_SECS(3700), &f->out);
	assert_int_equal(next->state, JOB_CANCELLED);
	assert_int_equal(f->m.inventory_job, 0);
}

/* inventoryResyncIntervalSecs (issue 14 item 4): the recurring inventory
 * resync asks a device for its newest commit only where the stored version
 * can be current: the device was inSync, a version is stored and the device
 * reported its commit time. A resync the operator starts fetches anyway. */
static void test_J3_recurring_inventory_asks_only_where_the_version_can_be_current(void **state)
{
	struct fx *f = *state;
	for (uint32_t i = 1; i <= 3; i++) {
		model_device_set_status(&f->m, dev(f, i), MS_IN_SYNC, T0);
		dev(f, i)->config_version = 1;
		dev(f, i)->config_commit_time = RS_SECS(1700000000 + i);
	}
	model_device_set_status(&f->m, dev(f, 2), MS_OUT_OF_SYNC, T0); /* a commit was notified */
	dev(f, 3)->config_commit_time = 0;                             /* the device did not say */
	f->m.settings.inventory_resync_interval_secs = 3600;
	sched_inventory_interval(&f->m, T0, &f->out);
	struct job *j = model_job_by_id(&f->m, f->m.inventory_job);
	tick(f, T0 + RS_SECS(3600));
	assert_true(sched_current_commit(j, dev(f, 1)) == RS_SECS(1700000001));
	assert_true(sched_current_commit(j, dev(f, 2)) == 0);
	assert_true(sched_current_commit(j, dev(f, 3)) == 0);
	struct job *all = sched_inventory_resync(&f->m, "bob", T0 + RS_SECS(3600), &f->out);
	assert_true(sched_current_commit(all, dev(f, 1)) == 0); /* an operator's: no recurrence */
	dev(f, 1)->config_version = 0;
	assert_true(sched_current_commit(j, dev(f, 1)) == 0);
	dev(f, 1)->config_version = 1;

	/* r1 is current: its task ends skipped and counted, r1 is inSync. */
	sched_fetch_current(&f->m, j->id, 1, "configuration current: last commit ..., not fetched",
			    T0 + RS_SECS(3601), &f->out);
	assert_int_equal(model_job_task(j, 1)->state, TASK_SKIPPED);
	assert_int_equal(dev(f, 1)->managed_status, MS_IN_SYNC);
	assert_int_equal(dev(f, 1)->last_resync_result, RESULT_SUCCESS);
	assert_true(dev(f, 1)->last_fetch_ok_start == dev(f, 1)->fetch_started);
	assert_int_equal(f->m.jobc.current, 1);
	done(f, j->id, 2, true, T0 + RS_SECS(3602));
	done(f, j->id, 3, true, T0 + RS_SECS(3603));
	assert_int_equal(j->state, JOB_SUCCESS);
	assert_string_equal(j->summary, "2 of 3 devices fetched; 1 current, not fetched");
	assert_int_equal(f->m.jobc.current, 1);
}

/* J7: devices added together get one initial resync at once, unknown ->
 * synchronizing -> inSync. A commit during it schedules its own auto job,
 * which is redundant if the initial fetch started after the commit (R7). */
static void test_J7_added_devices_get_one_initial_resync(void **state)
{
	struct fx *f = *state;
	f->m.settings.max_concurrent_resyncs = 2;
	uint32_t devs[] = { 1, 2, 3 };
	struct job *j = sched_discovered(&f->m, devs, 3, T0, &f->out);
	assert_non_null(j);
	assert_int_equal(f->m.njobs, 1);
	assert_int_equal(j->type, JOB_AUTO_RESYNC);
	assert_string_equal(j->user, "system");
	assert_string_equal(j->name, "initial resync (3 devices)");
	assert_int_equal(dev(f, 1)->managed_status, MS_SYNCHRONIZING);
	assert_int_equal(dev(f, 3)->managed_status, MS_UNKNOWN); /* waits for a slot */
	uint32_t a = commit_auto(f, 3, T0 + 1);
	assert_int_not_equal(a, 0);
	done(f, j->id, 1, true, T0 + 2); /* r3's fetch starts now, after its commit */
	assert_int_equal(dev(f, 1)->managed_status, MS_IN_SYNC);
	done(f, j->id, 2, true, T0 + 3);
	done(f, j->id, 3, true, T0 + 4);
	assert_int_equal(j->state, JOB_SUCCESS);
	assert_int_equal(dev(f, 3)->managed_status, MS_IN_SYNC);
	actions_clear(&f->out);
	tick(f, T0 + 1 + RS_SECS(W));
	assert_int_equal(starts_for(f, 3), 0); /* R7: already fetched after the commit */
	assert_int_equal(model_job_by_id(&f->m, a)->state, JOB_SUCCESS);
	/* Devices that are no longer unknown get none. */
	assert_null(sched_discovered(&f->m, devs, 3, T0 + RS_SECS(100), &f->out));
}

/* R7 at scale: one inventory job over 100,000 devices runs to its end in
 * O(n log n): progress is kept as counts and a task found by device in
 * O(log n). With a scan of every task per finished task this test would
 * take 10^10 steps and hit ctest's timeout. */
static void test_R7_inventory_job_over_100000_devices(void **state)
{
	(void)state;
	struct fx *f = fx_new(100000);
	f->m.settings.max_concurrent_resyncs = 8;
	struct job *j = sched_inventory_resync(&f->m, "bob", T0, &f->out);
	assert_non_null(j);
	rs_time_t t = T0;
	uint32_t *started = malloc(100000 * sizeof(*started)), n = 0, fetches = 0;
	while (j->state == JOB_IN_PROGRESS) {
		/* the fetches the last pass started all fail */
		n = 0;
		for (size_t i = 0; i < f->out.n; i++)
			if (f->out.v[i].kind == ACT_START_FETCH)
				started[n++] = f->out.v[i].device;
		assert_true(n > 0);
		actions_clear(&f->out);
		t += 1000;
		for (uint32_t i = 0; i < n; i++)
			done(f, j->id, started[i], false, t);
		fetches += n;
	}
	free(started);
	assert_int_equal(fetches, 100000);
	assert_int_equal(j->state, JOB_FAILURE);
	assert_int_equal(j->nstate[TASK_FAILED], 100000);
	assert_int_equal(j->percent, 100);
	teardown((void **)&f);
}

/* What the scheduler holds: nodes in the timer tree and in the ready FIFO. */
static size_t sched_nodes(struct fx *f)
{
	size_t n = 0;
	struct sched_node *x;
	RB_FOREACH(x, sched_tree, &f->m.timers)
		n++;
	for (x = f->m.ready_head; x; x = x->next_ready)
		n++;
	return n;
}

/* J7 at 100,000 devices: the initial job's tasks are due together, so the
 * scheduler holds one node for them (its bulk), not one per task, and a
 * task is 32 bytes: the 100,000-device start stays within the scale test's
 * RSS. The fetches still go maxConcurrentResyncs at a time, in order. */
static void test_J7_initial_job_of_100000_devices_is_one_scheduler_node(void **state)
{
	(void)state;
	struct fx *f = fx_new(100000);
	f->m.settings.max_concurrent_resyncs = 8;
	uint32_t *devs = malloc(100000 * sizeof(*devs));
	for (uint32_t i = 0; i < 100000; i++)
		devs[i] = i + 1;
	struct job *j = sched_discovered(&f->m, devs, 100000, T0, &f->out);
	free(devs);
	assert_non_null(j);
	assert_int_equal(j->ntasks, 100000);
	assert_true(sizeof(struct task) <= 32);
	assert_int_equal(sched_nodes(f), 1);
	assert_int_equal(actions_count(&f->out, ACT_START_FETCH), 8);
	for (uint32_t d = 1; d <= 8; d++)
		assert_int_equal(starts_for(f, d), 1);
	actions_clear(&f->out);
	done(f, j->id, 3, true, T0 + 1);
	assert_int_equal(actions_count(&f->out, ACT_START_FETCH), 1);
	assert_int_equal(starts_for(f, 9), 1); /* the next in order */
	assert_int_equal(f->m.running_fetches, 8);
	assert_int_equal(sched_nodes(f), 1);
	teardown((void **)&f);
}

/* R3 (J1) inside one job's bulk: a device another resync is busy with is
 * delayed by I on its own, the others go on; it starts once the other one
 * ended, never two fetches on one device. */
static void test_R3_busy_device_in_a_bulk_is_delayed_alone(void **state)
{
	struct fx *f = *state;
	uint32_t two = 2;
	struct job *man = sched_manual_resync(&f->m, &two, 1, "bob", T0, &f->out);
	assert_int_equal(starts_for(f, 2), 1);
	actions_clear(&f->out);
	struct job *inv = sched_inventory_resync(&f->m, "bob", T0 + 1, &f->out);
	assert_int_equal(starts_for(f, 1), 1);
	assert_int_equal(starts_for(f, 2), 0);
	assert_int_equal(starts_for(f, 3), 1);
	assert_int_equal(f->m.jobc.delayed, 1);
	assert_int_equal(model_job_task(inv, 2)->state, TASK_PENDING);
	actions_clear(&f->out);
	tick(f, T0 + 1 + RS_SECS(I)); /* still busy: delayed again */
	assert_int_equal(starts_for(f, 2), 0);
	assert_int_equal(f->m.jobc.delayed, 2);
	done(f, man->id, 2, true, T0 + RS_SECS(30));
	assert_int_equal(starts_for(f, 2), 0); /* not before its re-check */
	tick(f, T0 + 1 + RS_SECS(2 * I));
	assert_int_equal(starts_for(f, 2), 1);
	assert_int_equal(model_job_task(inv, 2)->state, TASK_RUNNING);
}

/* maxConcurrentResyncs with a bulk: a job made later waits behind the rest
 * of an earlier job that came due first (the ready FIFO keeps its order). */
static void test_R3_bulk_keeps_its_place_in_the_ready_fifo(void **state)
{
	struct fx *f = *state;
	f->m.settings.max_concurrent_resyncs = 1;
	struct job *inv = sched_inventory_resync(&f->m, "bob", T0, &f->out);
	uint32_t three = 3;
	struct job *man = sched_manual_resync(&f->m, &three, 1, "bob", T0 + 1, &f->out);
	assert_int_equal(starts_for(f, 1), 1);
	actions_clear(&f->out);
	done(f, inv->id, 1, true, T0 + 2);
	assert_int_equal(starts_for(f, 2), 1);
	assert_int_equal(starts_for(f, 3), 0);
	actions_clear(&f->out);
	done(f, inv->id, 2, true, T0 + 3);
	assert_int_equal(starts_for(f, 3), 1);
	assert_int_equal(model_job_task(inv, 3)->state, TASK_RUNNING);
	assert_int_equal(man->state, JOB_SCHEDULED);
	actions_clear(&f->out);
	done(f, inv->id, 3, true, T0 + 4);
	assert_int_equal(inv->state, JOB_SUCCESS);
	assert_int_equal(starts_for(f, 3), 1);
	assert_int_equal(man->state, JOB_IN_PROGRESS);
}

/* J5 for a job over many devices (an inventory or new devices' resync):
 * it ends failure "interrupted by restart"; the devices it never started on
 * get one job of its kind again, not one auto job each, and keep their
 * status; one whose fetch it interrupted is outOfSync with an auto job of
 * its own (which the restart back-off watches). */
static void test_J5_interrupted_job_over_many_devices_is_run_again_as_one(void **state)
{
	struct fx *f = *state;
	f->m.settings.max_concurrent_resyncs = 1;
	uint32_t devs[] = { 1, 2, 3 };
	struct job *j = sched_discovered(&f->m, devs, 3, T0, &f->out);
	done(f, j->id, 1, true, T0 + 1); /* r2 runs now, r3 waits */
	assert_int_equal(dev(f, 2)->managed_status, MS_SYNCHRONIZING);
	uint32_t before = f->m.njobs;
	restart(f, T0 + 2);
	assert_int_equal(j->state, JOB_FAILURE);
	uint32_t own = dev(f, 2)->scheduled_auto_job;
	char want[RS_SUMMARY_MAX];
	snprintf(want, sizeof(want), "interrupted by restart: 1 of 3 devices done, 0 failed, 1 stopped during "
		 "their fetch, 1 not started (again in job %u)", own + 1);
	assert_string_equal(j->summary, want);
	/* The notification says what the stored row says. */
	const struct action *last = NULL;
	for (size_t i = 0; i < f->out.n; i++)
		if (f->out.v[i].kind == ACT_JOB_CHANGED && f->out.v[i].job == j->id)
			last = &f->out.v[i];
	assert_non_null(last);
	assert_string_equal(last->job_summary, want);
	assert_int_equal(f->m.njobs, before + 2);
	assert_int_not_equal(own, 0);
	assert_int_equal(model_job_by_id(&f->m, own)->ntasks, 1);
	struct job *again = model_job_by_id(&f->m, own + 1);
	assert_non_null(again);
	assert_int_equal(again->type, JOB_AUTO_RESYNC);
	assert_int_equal(again->ntasks, 1);
	assert_int_equal(again->tasks[0].device, 3);
	assert_int_equal(dev(f, 2)->managed_status, MS_OUT_OF_SYNC);
	assert_int_equal(dev(f, 3)->managed_status, MS_UNKNOWN);
	assert_int_equal(actions_count(&f->out, ACT_SAVE_TASK), 1); /* r2's; the rest with the job */
	tick(f, T0 + 2);
	done(f, own, 2, true, T0 + 3);
	done(f, again->id, 3, true, T0 + 4);
	assert_int_equal(again->state, JOB_SUCCESS);
	assert_int_equal(dev(f, 2)->managed_status, MS_IN_SYNC);
	assert_int_equal(dev(f, 3)->managed_status, MS_IN_SYNC);
}

/* The J5 back-off counts restarts that interrupted a fetch of the device:
 * a task of a job over many devices that never started on it is no sign
 * that the device kills the daemon. */
static void test_J5_backoff_ignores_tasks_that_never_started(void **state)
{
	struct fx *f = *state;
	f->m.settings.max_concurrent_resyncs = 1;
	uint32_t devs[] = { 1, 2, 3 };
	struct job *j = sched_discovered(&f->m, devs, 3, T0, &f->out); /* r1 runs */
	uint32_t a = commit_auto(f, 3, T0 + 1);
	restart(f, T0 + 2); /* j: r1 interrupted, r3's task never started */
	struct job *again = model_job_by_id(&f->m, dev(f, 1)->scheduled_auto_job + 1);
	assert_non_null(again);
	assert_int_equal(again->ntasks, 2); /* r2, r3; r1 has an auto job */
	assert_int_equal(sched_reschedule_job(&f->m, again->id, T0 + RS_SECS(1000), T0 + 2, &f->out), 0);
	uint32_t r1 = dev(f, 1)->scheduled_auto_job;
	tick(f, T0 + 2);
	done(f, r1, 1, true, T0 + 3);
	tick(f, T0 + 1 + RS_SECS(W)); /* r3's own auto job runs; the daemon dies */
	assert_int_equal(model_job_by_id(&f->m, a)->state, JOB_IN_PROGRESS);
	assert_int_equal(j->state, JOB_FAILURE);
	restart(f, T0 + RS_SECS(W + 5));
	uint32_t next = dev(f, 3)->scheduled_auto_job;
	assert_int_not_equal(next, 0);
	/* One restart interrupted a fetch of r3: again at once, no back-off. */
	assert_true(model_job_by_id(&f->m, next)->scheduled_start == T0 + RS_SECS(W + 5));
}

/* The summary notified (and so logged) for a job change. */
static const char *notified_summary(struct fx *f, uint32_t job)
{
	for (size_t i = 0; i < f->out.n; i++)
		if (f->out.v[i].kind == ACT_JOB_CHANGED && f->out.v[i].job == job)
			return f->out.v[i].job_summary;
	return "";
}

/* A device whose fetch kills the daemon would be resynced at once on every
 * start (J5) and kill it again: from the second restart in a row that
 * interrupts its job, the resync waits (doubling), and the notification says so. */
static void test_J5_second_interrupted_restart_backs_off(void **state)
{
	struct fx *f = *state;
	rs_time_t now = T0 + RS_SECS(W);

	commit(f, 1, T0);
	tick(f, now); /* in progress; the daemon dies */
	restart(f, now + RS_SECS(5));
	uint32_t again = dev(f, 1)->scheduled_auto_job;
	assert_true(model_job_by_id(&f->m, again)->scheduled_start == now + RS_SECS(5)); /* at once */
	tick(f, now + RS_SECS(5)); /* it runs; the daemon dies again */
	assert_int_equal(model_job_by_id(&f->m, again)->state, JOB_IN_PROGRESS);
	restart(f, now + RS_SECS(10));
	uint32_t later = dev(f, 1)->scheduled_auto_job;
	assert_int_not_equal(later, 0);
	assert_true(model_job_by_id(&f->m, later)->scheduled_start ==
		    now + RS_SECS(10) + RS_SECS(SCHED_RESTART_BACKOFF_SECS));
	assert_non_null(strstr(notified_summary(f, later), "2 restarts in a row: back-off 300 s"));
	actions_clear(&f->out);
	tick(f, now + RS_SECS(11));
	assert_int_equal(starts_for(f, 1), 0);
	tick(f, now + RS_SECS(10) + RS_SECS(SCHED_RESTART_BACKOFF_SECS));
	assert_int_equal(starts_for(f, 1), 1); /* third one: doubled */
	restart(f, now + RS_SECS(1000));
	assert_true(model_job_by_id(&f->m, dev(f, 1)->scheduled_auto_job)->scheduled_start ==
		    now + RS_SECS(1000) + RS_SECS(2 * SCHED_RESTART_BACKOFF_SECS));
	/* A fetch that ends normally breaks the streak. */
	actions_clear(&f->out);
	tick(f, now + RS_SECS(1000) + RS_SECS(2 * SCHED_RESTART_BACKOFF_SECS));
	assert_int_equal(starts_for(f, 1), 1);
	done(f, dev(f, 1)->running_job, 1, true, now + RS_SECS(2000));
	commit(f, 1, now + RS_SECS(2001));
	tick(f, now + RS_SECS(2001 + W));
	restart(f, now + RS_SECS(2100));
	assert_true(model_job_by_id(&f->m, dev(f, 1)->scheduled_auto_job)->scheduled_start ==
		    now + RS_SECS(2100));
}

/* ---- scale --------------------------------------------------------------- */

static void test_R2_hundred_thousand_devices_one_job_each(void **state)
{
	(void)state;
	struct fx *f = fx_new(100000);
	f->m.settings.max_concurrent_resyncs = 1024;
	for (uint32_t d = 1; d <= 100000; d++) {
		commit(f, d, T0 + d);
		commit(f, d, T0 + d + 1);
	}
	assert_int_equal(f->m.njobs, 100000);
	assert_int_equal(f->m.status_count[MS_OUT_OF_SYNC], 100000);
	actions_clear(&f->out);
	tick(f, T0 + RS_SECS(W) + 100001);
	assert_int_equal(actions_count(&f->out, ACT_START_FETCH), 1024);
	teardown((void **)&f);
}

/* ---- freshness: the fetched configuration vs the commit notification ---- */

/* A fetch whose configuration the device says it committed at commit_secs
 * (relative to T0, in seconds; NO_COMMIT_TIME: the device does not say). */
#define NO_COMMIT_TIME INT64_MIN
static void done_config(struct fx *f, uint32_t job, uint32_t d, int64_t commit_secs, rs_time_t t)
{
	dev(f, d)->config_commit_time = commit_secs == NO_COMMIT_TIME ? 0 : T0 + RS_SECS(commit_secs);
	done(f, job, d, true, t);
}

/* The device committed an hour ago before the commit notified at T0. */
#define OLD (-3600)

static void test_R4_config_older_than_notification_is_fetched_again_after_I(void **state)
{
	struct fx *f = *state;
	uint32_t j = commit_auto(f, 1, T0);
	tick(f, T0 + RS_SECS(W));
	actions_clear(&f->out);
	done_config(f, j, 1, OLD, T0 + RS_SECS(W + 1));
	struct job *job = model_job_by_id(&f->m, j);
	/* Kept out of sync, the job still runs, the fetch comes again after I. */
	assert_int_equal(dev(f, 1)->managed_status, MS_OUT_OF_SYNC);
	assert_int_equal(job->state, JOB_IN_PROGRESS);
	assert_int_equal(dev(f, 1)->running_job, j);
	assert_true(sched_next_due(&f->m) == T0 + RS_SECS(W + 1 + I));
	assert_string_equal(job->summary, "r1: " SCHED_REFETCH_WHY ": refetch 1 of 3 in 20 s");
	assert_int_equal(f->m.jobc.refetches, 1); /* resyncdResyncRefetches: counted when scheduled */
	assert_int_equal(actions_count(&f->out, ACT_JOB_CHANGED), 0); /* still inProgress: no trap */
	tick(f, T0 + RS_SECS(W + I));
	assert_int_equal(starts_for(f, 1), 0);
	tick(f, T0 + RS_SECS(W + 1 + I));
	assert_int_equal(starts_for(f, 1), 1);
	assert_int_equal(dev(f, 1)->managed_status, MS_SYNCHRONIZING);
	/* This time the configuration holds the notified commit. */
	done_config(f, j, 1, 0, T0 + RS_SECS(W + 2 + I));
	assert_int_equal(dev(f, 1)->managed_status, MS_IN_SYNC);
	assert_int_equal(job->state, JOB_SUCCESS);
	assert_string_equal(job->summary, "r1: configuration fetched; refetched 1 time: " SCHED_REFETCH_WHY);
	assert_string_equal(dev(f, 1)->last_resync_reason,
			    "configuration fetched; refetched 1 time: " SCHED_REFETCH_WHY);
	assert_int_equal(f->m.jobc.refetches, 1); /* the fresh fetch is not a refetch */
	assert_int_equal(dev(f, 1)->running_job, 0);
	assert_int_equal(f->m.running_fetches, 0);
}

static void test_R4_refetches_are_bounded_then_the_configuration_is_accepted(void **state)
{
	struct fx *f = *state;
	uint32_t j = commit_auto(f, 1, T0);
	rs_time_t t = T0 + RS_SECS(W);
	tick(f, t);
	actions_clear(&f->out);
	for (int k = 0; k < SCHED_REFETCH_MAX; k++) {
		done_config(f, j, 1, OLD, t + 1);
		assert_int_equal(dev(f, 1)->managed_status, MS_OUT_OF_SYNC);
		assert_int_equal(f->m.jobc.refetches, k + 1); /* each refetch counts */
		t += 1 + RS_SECS(I);
		tick(f, t);
	}
	assert_int_equal(starts_for(f, 1), SCHED_REFETCH_MAX);
	done_config(f, j, 1, OLD, t + 1); /* still older: accepted, and said so */
	struct job *job = model_job_by_id(&f->m, j);
	assert_int_equal(job->state, JOB_SUCCESS);
	assert_int_equal(dev(f, 1)->managed_status, MS_IN_SYNC);
	assert_string_equal(job->summary, "r1: configuration fetched; refetched 3 times: " SCHED_STALE_WHY);
	assert_int_equal(f->m.jobc.refetches, SCHED_REFETCH_MAX); /* accepted, not refetched: not counted */
	tick(f, t + RS_SECS(10 * I));
	assert_int_equal(starts_for(f, 1), SCHED_REFETCH_MAX); /* no fourth refetch */
	assert_int_equal(sched_next_due(&f->m), 0);
	/* The accepted fetch covers the notification: a later manual resync
	 * that gets the same configuration is not refetched. */
	uint32_t d1 = 1;
	struct job *m = sched_manual_resync(&f->m, &d1, 1, "bob", t + RS_SECS(100), &f->out);
	done_config(f, m->id, 1, OLD, t + RS_SECS(101));
	assert_int_equal(m->state, JOB_SUCCESS);
	assert_string_equal(m->summary, "r1: configuration fetched");
	assert_int_equal(f->m.jobc.refetches, SCHED_REFETCH_MAX);
}

static void test_R4_device_without_commit_time_is_not_refetched(void **state)
{
	struct fx *f = *state;
	uint32_t j = commit_auto(f, 1, T0);
	tick(f, T0 + RS_SECS(W));
	done_config(f, j, 1, NO_COMMIT_TIME, T0 + RS_SECS(W + 1));
	assert_int_equal(dev(f, 1)->managed_status, MS_IN_SYNC);
	assert_int_equal(model_job_by_id(&f->m, j)->state, JOB_SUCCESS);
	assert_string_equal(model_job_by_id(&f->m, j)->summary, "r1: configuration fetched");
	assert_int_equal(sched_next_due(&f->m), 0);
	assert_int_equal(f->m.jobc.refetches, 0);
}

/* The device's clock and ours differ a little, and the message takes a
 * while to arrive: SCHED_COMMIT_SKEW_SECS of it is not "older". */
static void test_R4_clock_skew_within_the_tolerance_is_not_older(void **state)
{
	struct fx *f = *state;
	struct device *d = dev(f, 1);
	commit(f, 1, T0);
	tick(f, T0 + RS_SECS(W));
	d->config_commit_time = T0 - RS_SECS(SCHED_COMMIT_SKEW_SECS);
	assert_false(sched_config_older_than_commit(d));
	d->config_commit_time = T0 - RS_SECS(SCHED_COMMIT_SKEW_SECS) - 1;
	assert_true(sched_config_older_than_commit(d));
	d->config_commit_time = T0 + RS_SECS(5); /* device clock ahead */
	assert_false(sched_config_older_than_commit(d));
	d->config_commit_time = 0;
	assert_false(sched_config_older_than_commit(d));
}

/* A commit during the fetch is R4's: the next auto job covers it; no refetch. */
static void test_R4_commit_during_fetch_with_an_older_configuration_is_not_refetched(void **state)
{
	struct fx *f = *state;
	uint32_t a = commit_auto(f, 1, T0);
	tick(f, T0 + RS_SECS(W));
	uint32_t b = commit_auto(f, 1, T0 + RS_SECS(W + 1));
	done_config(f, a, 1, OLD, T0 + RS_SECS(W + 2));
	assert_int_equal(model_job_by_id(&f->m, a)->state, JOB_SUCCESS);
	assert_string_equal(model_job_by_id(&f->m, a)->summary, "r1: configuration fetched");
	assert_int_equal(f->m.jobc.refetches, 0);
	assert_int_equal(dev(f, 1)->managed_status, MS_OUT_OF_SYNC);
	assert_true(sched_next_due(&f->m) == model_job_by_id(&f->m, b)->scheduled_start);
}

/* While a refetch waits, the device is its job's: a manual resync waits
 * (R3, never two jobs on one device) and a new commit's auto job (R2) is
 * made redundant by the refetch that started after it (R7). */
static void test_R3_refetch_keeps_the_device_and_other_jobs_wait(void **state)
{
	struct fx *f = *state;
	uint32_t a = commit_auto(f, 1, T0);
	tick(f, T0 + RS_SECS(W));
	done_config(f, a, 1, OLD, T0 + RS_SECS(W + 1)); /* refetch due W+1+I */
	actions_clear(&f->out);
	uint32_t d1 = 1;
	struct job *m = sched_manual_resync(&f->m, &d1, 1, "bob", T0 + RS_SECS(W + 2), &f->out);
	assert_int_equal(starts_for(f, 1), 0);
	assert_int_equal(m->state, JOB_SCHEDULED);
	commit(f, 1, T0 + RS_SECS(W + 3)); /* R2: an auto job due W+3+W */
	uint32_t b = dev(f, 1)->scheduled_auto_job;
	assert_int_not_equal(b, 0);
	tick(f, T0 + RS_SECS(W + 1 + I)); /* the refetch starts; the manual one is delayed again */
	assert_int_equal(starts_for(f, 1), 1);
	assert_int_equal(dev(f, 1)->running_job, a);
	assert_int_equal(m->state, JOB_SCHEDULED);
	done_config(f, a, 1, W + 3, T0 + RS_SECS(W + 2 + I)); /* holds the second commit too */
	assert_int_equal(dev(f, 1)->managed_status, MS_IN_SYNC);
	tick(f, T0 + RS_SECS(2 * W + 3)); /* the manual resync (due W+2+I) starts, b waits for it */
	assert_int_equal(starts_for(f, 1), 2);
	assert_int_equal(m->state, JOB_IN_PROGRESS);
	done_config(f, m->id, 1, W + 3, T0 + RS_SECS(2 * W + 4));
	tick(f, T0 + RS_SECS(2 * W + 3 + I));
	assert_int_equal(model_job_by_id(&f->m, b)->state, JOB_SUCCESS);
	assert_string_equal(model_job_by_id(&f->m, b)->summary, "r1: already synchronized by a later fetch");
	assert_int_equal(starts_for(f, 1), 2);
}

static void test_J1_cancel_while_a_refetch_waits_frees_the_device(void **state)
{
	struct fx *f = *state;
	uint32_t j = commit_auto(f, 1, T0);
	tick(f, T0 + RS_SECS(W));
	done_config(f, j, 1, OLD, T0 + RS_SECS(W + 1));
	actions_clear(&f->out);
	assert_int_equal(sched_cancel_job(&f->m, j, T0 + RS_SECS(W + 2), &f->out), 0);
	assert_int_equal(actions_count(&f->out, ACT_STOP_FETCH), 0); /* no session to stop */
	assert_int_equal(model_job_by_id(&f->m, j)->state, JOB_CANCELLED);
	assert_int_equal(dev(f, 1)->running_job, 0);
	assert_int_equal(dev(f, 1)->managed_status, MS_OUT_OF_SYNC);
	assert_int_equal(f->m.jobc.refetches, 1); /* counted when scheduled, though it never ran */
	uint32_t d1 = 1;
	sched_manual_resync(&f->m, &d1, 1, "bob", T0 + RS_SECS(W + 3), &f->out);
	assert_int_equal(starts_for(f, 1), 1);
}

/* Several devices: each refetches on its own; the summary counts them. */
static void test_J6_inventory_job_counts_its_refetched_devices(void **state)
{
	struct fx *f = *state;
	commit(f, 1, T0);
	commit(f, 2, T0);
	struct job *inv = sched_inventory_resync(&f->m, "bob", T0 + RS_SECS(1), &f->out);
	done_config(f, inv->id, 1, OLD, T0 + RS_SECS(2));
	done_config(f, inv->id, 2, 0, T0 + RS_SECS(2));
	done_config(f, inv->id, 3, OLD, T0 + RS_SECS(2)); /* no notification for r3 */
	assert_int_equal(inv->state, JOB_IN_PROGRESS);
	assert_int_equal(dev(f, 1)->managed_status, MS_OUT_OF_SYNC);
	assert_int_equal(dev(f, 3)->managed_status, MS_IN_SYNC);
	tick(f, T0 + RS_SECS(2 + I));
	done_config(f, inv->id, 1, 1, T0 + RS_SECS(3 + I));
	assert_int_equal(inv->state, JOB_SUCCESS);
	assert_string_equal(inv->summary, "3 of 3 devices fetched; 1 refetched: " SCHED_REFETCH_WHY);
	assert_int_equal(f->m.jobc.refetches, 1); /* r1's; r2 was fresh, r3 not notified */
}

/* J5: a refetch waiting at a restart ends with its job; the device is resynced. */
static void test_J5_restart_while_a_refetch_waits_resyncs_the_device(void **state)
{
	struct fx *f = *state;
	uint32_t j = commit_auto(f, 1, T0);
	tick(f, T0 + RS_SECS(W));
	done_config(f, j, 1, OLD, T0 + RS_SECS(W + 1));
	sched_restore(&f->m, T0 + RS_SECS(W + 5), &f->out); /* from fresh timers and counters */
	assert_int_equal(model_job_by_id(&f->m, j)->state, JOB_FAILURE);
	assert_int_equal(dev(f, 1)->running_job, 0);
	assert_int_not_equal(dev(f, 1)->scheduled_auto_job, 0);
	actions_clear(&f->out);
	tick(f, T0 + RS_SECS(W + 5));
	assert_int_equal(starts_for(f, 1), 1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup1, teardown)
		T(test_R1_commit_marks_out_of_sync_from_every_status),
		T(test_R1_status_change_emits_one_notification),
		T(test_R1_commit_while_synchronizing),
		T(test_R2_commit_schedules_job_due_after_W),
		T(test_R2_many_commits_in_window_give_one_job),
		T(test_R2_W_zero_starts_at_once),
		T(test_R2_job_changes_carry_their_own_summary),
		T(test_R2_scheduled_notification_carries_the_jobs_summary),
		T(test_R2_commits_on_two_devices_are_independent),
		T(test_R3_due_while_running_is_delayed_by_I_again_and_again),
		T(test_R3_manual_resync_while_auto_runs_waits),
		T(test_R4_start_synchronizing_then_in_sync),
		T(test_R4_commit_during_fetch_stays_out_of_sync_and_schedules_next),
		T(test_R4_failure_sets_out_of_sync_with_reason),
		T(test_R5_disabled_marks_out_of_sync_and_schedules_nothing),
		T(test_R5_manual_resync_runs_when_disabled),
		T(test_R5_manual_resync_while_auto_scheduled),
		T(test_R6_new_W_applies_to_jobs_scheduled_after),
		T(test_R6_disable_inside_window_keeps_scheduled_job),
		T(test_R7_auto_job_made_redundant_by_inventory_resync),
		T(test_R7_auto_job_still_runs_after_commit_following_inventory),
		T(test_R3_max_concurrent_resyncs_is_respected),
		T(test_S1_S2_manager_mode_commit_changes_status_without_resync),
		T(test_S3_manager_change_transitions),
		T(test_S1_auto_job_scheduled_before_the_switch_is_not_run),
		T(test_S4_accept_ends_in_sync),
		T(test_S4_commit_during_accept_ends_device_changed),
		T(test_S4_failed_accept_keeps_the_divergence),
		T(test_S4_deploy_is_one_job_and_ends_in_sync),
		T(test_S4_deploy_needs_an_intended_configuration),
		T(test_S4_cancelled_deploy_keeps_the_status),
		T(test_S6_configure_syslog_job_keeps_the_status_and_records_success),
		T(test_S4_rollback_of_a_failed_deploy_is_no_device_change),
		T(test_S5_manager_to_network_resyncs_diverged_devices),
		T(test_S5_network_to_manager_out_of_sync_becomes_device_changed),
		T(test_S5_J5_manager_mode_reruns_accept_and_deploy_as_they_were),
		T(test_J1_cancel_scheduled_job),
		T(test_J1_cancel_in_progress_stops_session_leaves_out_of_sync),
		T(test_J2_retry_makes_job_for_failed_devices_only),
		T(test_J3_recurring_job_schedules_next_run),
		T(test_J4_purge_by_count_and_age_keeps_unfinished),
		T(test_J5_restore_fails_interrupted_and_keeps_due_times),
		T(test_J5_second_interrupted_restart_backs_off),
		T(test_R2_hundred_thousand_devices_one_job_each),
		T(test_J6_one_request_for_several_devices_is_one_job),
		T(test_J2_retry_names_the_job_it_retries),
		T(test_J1_cancelled_job_keeps_its_percent),
		T(test_J3_reschedule_moves_every_device_and_refuses_the_past),
		T(test_J3_recurrence_written_while_scheduled_applies_at_its_end),
		T(test_J3_inventory_interval_runs_a_recurring_inventory_resync),
		T(test_J3_recurring_inventory_asks_only_where_the_version_can_be_current),
		T(test_J7_added_devices_get_one_initial_resync),
		T(test_R7_inventory_job_over_100000_devices),
		T(test_R4_config_older_than_notification_is_fetched_again_after_I),
		T(test_R4_refetches_are_bounded_then_the_configuration_is_accepted),
		T(test_R4_device_without_commit_time_is_not_refetched),
		T(test_R4_clock_skew_within_the_tolerance_is_not_older),
		T(test_R4_commit_during_fetch_with_an_older_configuration_is_not_refetched),
		T(test_R3_refetch_keeps_the_device_and_other_jobs_wait),
		T(test_J1_cancel_while_a_refetch_waits_frees_the_device),
		T(test_J6_inventory_job_counts_its_refetched_devices),
		T(test_J5_restart_while_a_refetch_waits_resyncs_the_device),
		T(test_J7_initial_job_of_100000_devices_is_one_scheduler_node),
		T(test_R3_busy_device_in_a_bulk_is_delayed_alone),
		T(test_R3_bulk_keeps_its_place_in_the_ready_fifo),
		T(test_J5_interrupted_job_over_many_devices_is_run_again_as_one),
		T(test_J5_backoff_ignores_tasks_that_never_started),
#undef T
	};
	return testutil_run_tests(argc, argv, tests);
}
