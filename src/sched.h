/* sched.h: the damping scheduler (SPEC R1-R7, J1-J5), pure.
 *
 * Events and the current time go in; actions come out. The caller (the loop,
 * or a unit test with an injected clock) performs the actions and calls
 * sched_tick() at sched_next_due(). */
#ifndef RESYNCD_SCHED_H
#define RESYNCD_SCHED_H

#include "actions.h"
#include "model.h"

struct commit_info {
	const char *user;     /* may be NULL */
	const char *comment;  /* may be NULL */
	bool by_manager;      /* made by resyncd's own deploy (S2, S4) */
	bool rollback;        /* an unconfirmed commit was rolled back (UI_COMMIT_NOT_CONFIRMED) */
};

/* R1/R2/S1/S2: a commit notification for device d at time now. */
void sched_commit(struct model *m, struct device *d, const struct commit_info *ci,
		  rs_time_t now, struct actions *out);

/* Runs every task whose due time has come: R3 delays, R7 redundancy, the
 * concurrency limit; starts fetches. */
void sched_tick(struct model *m, rs_time_t now, struct actions *out);

/* Earliest time sched_tick has work, or 0 if none. */
rs_time_t sched_next_due(const struct model *m);

/* A worker finished (or abandoned after cancel) the fetch of job/device. R4.
 * For a successful resync d->config_commit_time is the fetched
 * configuration's own commit time (the loop sets it first; 0 = the device
 * did not say), which the freshness check below reads. */
void sched_fetch_done(struct model *m, uint32_t job_id, uint32_t device, bool ok,
		      enum conn_status conn, const char *reason, rs_time_t now,
		      struct actions *out);

/* Freshness: a resync whose configuration the device says was committed
 * before the commit notification the job answers (the fetch raced a slow
 * commit) keeps the device out of sync and fetches again after
 * damperIntervalSecs, in the same job and holding the device (no other job
 * runs on it meanwhile, R3), at most SCHED_REFETCH_MAX times; then the
 * configuration is accepted and the summary says it stayed older.
 *
 * The notification's time is when resyncd received it (last_commit_time,
 * our clock: an RFC 3164 timestamp has neither year nor zone, and it is the
 * time R2 and R4 already use); the configuration's is the device's clock.
 * SCHED_COMMIT_SKEW_SECS absorbs the difference between the two clocks and
 * the delivery delay: only a configuration committed more than that before
 * the notification counts as older. A device that reports no commit time is
 * never refetched. */
#define SCHED_REFETCH_MAX 3
#define SCHED_COMMIT_SKEW_SECS 60
#define SCHED_REFETCH_WHY "fetched configuration committed before the notification"
#define SCHED_STALE_WHY "the device's configuration stayed older than its commit notification"
/* Whether the configuration d's running fetch got (d->config_commit_time)
 * is older than the notification it answers: one that came after the last
 * successful fetch started and before this one did (a later one is R4's). */
bool sched_config_older_than_commit(const struct device *d);

/* A recurring inventory resync's fetch found the device's newest commit to
 * be the stored version's: not fetched, the task ends skipped (counted),
 * the device is inSync as after a fetch (reason says so). */
void sched_fetch_current(struct model *m, uint32_t job_id, uint32_t device, const char *reason,
			 rs_time_t now, struct actions *out);

/* For the fetch of d in job j (started): the stored version's commit time
 * to ask the device about, or 0 to fetch without asking. Only a recurring
 * inventory resync asks (the safety net for lost commit messages), and
 * only for a device that was inSync with a stored version whose commit
 * time the device reported; an operator's resync fetches regardless. */
rs_time_t sched_current_commit(const struct job *j, const struct device *d);

/* R5: manual resync of devices (one job); runs regardless of autoResyncEnabled. */
struct job *sched_manual_resync(struct model *m, const uint32_t *devices, uint32_t n,
				const char *user, rs_time_t now, struct actions *out);
/* R7: resync of the whole inventory. */
struct job *sched_inventory_resync(struct model *m, const char *user, rs_time_t now,
				   struct actions *out);

/* J1: cancel a scheduled or in-progress job. -1 if it is already final. */
int sched_cancel_job(struct model *m, uint32_t job_id, rs_time_t now, struct actions *out);
/* J2: a new job for the failed devices of a finished job; NULL if none failed. */
struct job *sched_retry_job(struct model *m, uint32_t job_id, const char *user,
			    rs_time_t now, struct actions *out);
/* J4: the finished jobs to purge, oldest first: by age and count, or every
 * finished one when all is set (the purge action). *jobs is malloc'd; the
 * jobs stay in the model until sched_purge_remove, so the caller can archive
 * them first. */
size_t sched_purge_select(struct model *m, rs_time_t now, bool all, struct job ***jobs);
void sched_purge_remove(struct model *m, struct job **jobs, size_t n, struct actions *out);
/* Both at once, without an archive (tests); returns how many were purged. */
size_t sched_purge_jobs(struct model *m, rs_time_t now, struct actions *out);

/* J5: after loading devices and jobs from the store, settle what a stop
 * interrupted and re-arm the timers of scheduled jobs. A device whose jobs
 * were interrupted by two or more restarts in a row is resynced after a
 * back-off (SCHED_RESTART_BACKOFF_SECS, doubling, at most an hour) instead of
 * at once, and its job's summary says so. */
#define SCHED_INTERRUPTED "interrupted by restart"
#define SCHED_RESTART_BACKOFF_SECS 300
void sched_restore(struct model *m, rs_time_t now, struct actions *out);

/* Removing a device cancels its jobs' tasks first. */
void sched_device_removed(struct model *m, uint32_t device, rs_time_t now, struct actions *out);

/* J3: a scheduled job's start and recurrence, changed by an operator. The
 * check says why not (only scheduled jobs; a start not in the past). */
int sched_check_reschedule(const struct model *m, const struct job *j, rs_time_t start, rs_time_t now,
			   const char **why);
int sched_reschedule_job(struct model *m, uint32_t job_id, rs_time_t start, rs_time_t now,
			 struct actions *out);
int sched_set_recurrence(struct model *m, uint32_t job_id, uint32_t secs, struct actions *out);

/* inventoryResyncIntervalSecs: keeps one scheduled recurring inventory
 * resync (user "system") in line with the setting; 0 cancels it. Call after
 * the setting changed (sched_restore calls it too). */
void sched_inventory_interval(struct model *m, rs_time_t now, struct actions *out);

/* J7: an initial resync of devices just added (discovered): one autoResync
 * job (user "system") over those still unknown, due at once. NULL if none. */
struct job *sched_discovered(struct model *m, const uint32_t *devices, uint32_t n, rs_time_t now,
			     struct actions *out);

/* S3: the manager's copy of the configuration changed (staged). */
void sched_manager_changed(struct model *m, struct device *d, rs_time_t now, struct actions *out);

/* S4: one deploy job over devices, each of which must have an intended
 * configuration (NULL otherwise, nothing changes). */
struct job *sched_deploy(struct model *m, const uint32_t *devices, uint32_t n, const char *user,
			 rs_time_t now, struct actions *out);
/* S6: one job that configures the devices' syslog host entry for resyncd. */
struct job *sched_configure_syslog(struct model *m, const uint32_t *devices, uint32_t n, const char *user,
				   rs_time_t now, struct actions *out);
/* S4: a deploy of d failed after its commit confirmed reached the device, so
 * the device rolls it back by itself by `until`: that rollback's commit
 * notification is the manager's own, not a device change. */
void sched_expect_rollback(struct model *m, struct device *d, rs_time_t until, struct actions *out);

/* S5: systemOfRecord changed from `from` to the model's current value. */
void sched_sor_changed(struct model *m, enum system_of_record from, rs_time_t now, struct actions *out);

#endif
