/* loop.h: the event loop (libevent) that owns the model, the store and the
 * timers (DESIGN principle 1). Every model change goes through a loop_*
 * function on the loop thread; those call the pure core, then carry out its
 * actions: persist in one transaction, notify, hand fetches to workers.
 *
 * Other threads reach the loop only with loop_call() / loop_call_sync(). */
#ifndef RESYNCD_LOOP_H
#define RESYNCD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "actions.h"
#include "incident.h"
#include "model.h"
#include "sched.h"
#include "worker.h"

struct event_base;
struct store;
struct config;

struct loop {
	struct event_base *base;
	struct model model;
	struct store *store;             /* NULL: in-memory only (tests, --classify) */
	struct actions actions;
	struct worker_pool *workers;
	struct queue *inbox;             /* loop_call() messages */
	struct queue *results;           /* worker results */
	struct event *timer, *inbox_ev, *results_ev, *purge_ev, *checkpoint_ev;
	bool store_dirty;                /* written since the last checkpoint */
	struct incidents incidents;      /* E1-E6; profiles from the configuration */
	struct event *incident_ev;       /* every second: quiet periods, batched repeat counts */
	struct event *sig_term, *sig_int, *sig_hup;
	const struct config *config;     /* credentials, known_hosts */
	char job_archive[300];           /* where purged jobs go (J4); empty: nowhere */
	rs_time_t (*clock)(void);        /* injectable */
	bool stopping;
	bool batching;                   /* inbox group commit: apply once at the end */
	/* Group commit gathering: the waiting callers of the last two
	 * transactions that had any (on_inbox waits briefly for that many), and
	 * when the last one released them (CLOCK_MONOTONIC). */
	unsigned gather_last[2];
	struct timespec gather_released;
	size_t persisted;                /* actions already written (loop_persist_actions) */
	int persist_rc;                  /* ... and how that went */
	unsigned store_failures;
	void (*on_reload)(struct loop *l);   /* SIGHUP: set by main */
	/* A fetched configuration, before the job is told: archive it (sets
	 * d->config_version). Returning -1 fails the resync with r->reason. */
	int (*on_config_fetched)(struct loop *l, struct device *d, struct fetch_result *r);
	/* An incident opened or closed: runs the profile's hook (main sets it). */
	void (*on_incident)(struct loop *l, const struct incident *i, const struct device *d, bool opened);
};

rs_time_t loop_realtime(void);

/* Creates the loop; store may be NULL. Workers start when fetch is given. */
int loop_init(struct loop *l, struct store *store, const struct config *cfg, fetch_fn fetch);
void loop_free(struct loop *l);
/* Loads the store, settles what a stop interrupted (J5), arms the timers. */
int loop_restore(struct loop *l);
/* Checkpoints the store if it was written since the last one (also on a
 * timer, so the log stays short and recovery after a crash fast). */
void loop_checkpoint(struct loop *l);
int loop_run(struct loop *l);        /* until SIGTERM/SIGINT or loop_stop() */
void loop_stop(struct loop *l);
rs_time_t loop_now(const struct loop *l);

/* Performs l->actions (persist in one transaction, notify, start/stop fetches),
 * re-arms the timer, and clears them. Returns -1 if persisting failed. */
int loop_apply(struct loop *l);

/* Calls from other threads: fn runs on the loop thread. loop_call_sync waits
 * until fn ran and its actions were applied (durable) and returns fn's value.
 * loop_call does not wait; its arg is a malloc'd block the loop frees after
 * fn ran (or in loop_free, if the loop stopped first). */
typedef int (*loop_fn)(struct loop *l, void *arg);
void loop_call(struct loop *l, loop_fn fn, void *arg);
int loop_call_sync(struct loop *l, loop_fn fn, void *arg);

/* Operations for the edges (receivers, agent); loop thread only. Each applies
 * its actions before returning; -1 with *why set when refused. */
int loop_commit(struct loop *l, struct device *d, const struct commit_info *ci);
/* SIGHUP: the file's settings that snmpset has not changed take its values. */
int loop_reload_settings(struct loop *l, const struct config *cfg);
int loop_set_setting(struct loop *l, enum setting_id id, int64_t value, const char *who,
		     const char **why);
/* NULL if refused, or if it could not be stored (then nothing changed). */
struct device *loop_add_device(struct loop *l, uint32_t index, const char *name,
			       const char *address, uint16_t port, const char *credential,
			       const char *who);
/* loop_add_device without its log line and without applying: the caller
 * adds many (inventory_sync) and applies them in few transactions. */
struct device *loop_new_device(struct loop *l, uint32_t index, const char *name,
			       const char *address, uint16_t port, const char *credential);
int loop_remove_device(struct loop *l, uint32_t index, const char *who);
int loop_save_device(struct loop *l, struct device *d);
/* 0 if a transaction reaches the disk now (nothing changes), else -1: an
 * operator's change is refused up front rather than made in memory only. */
int loop_store_writable(struct loop *l);
struct job *loop_manual_resync(struct loop *l, const uint32_t *devices, uint32_t n, const char *who);
struct job *loop_inventory_resync(struct loop *l, const char *who);
/* S6: one job configuring the devices' syslog host entry for resyncd. */
struct job *loop_configure_syslog(struct loop *l, const uint32_t *devices, uint32_t n, const char *who);
/* S6 at discovery: a job for every device that should be configured
 * (configure_device_syslog) and never was. Returns how many, -1 on error. */
int loop_configure_syslog_new(struct loop *l);
/* S4: one deploy job over devices that each have an intended configuration. */
struct job *loop_deploy(struct loop *l, const uint32_t *devices, uint32_t n, const char *who);
int loop_cancel_job(struct loop *l, uint32_t job, const char *who);
/* J7: an initial resync of the devices just added, one job over them. */
struct job *loop_discovered(struct loop *l, const uint32_t *devices, uint32_t n);
/* J3: a scheduled job's start and recurrence. -1 with *why when refused. */
int loop_reschedule_job(struct loop *l, uint32_t job, rs_time_t start, const char *who, const char **why);
int loop_set_recurrence(struct loop *l, uint32_t job, uint32_t secs, const char *who);
/* J4: archives, then purges finished jobs: by the retention policy, or
 * every finished one (all: the purge action). Returns how many were purged,
 * -1 if the archive could not be written (then nothing is purged). */
long loop_purge_jobs(struct loop *l, bool all, const char *who);
struct job *loop_retry_job(struct loop *l, uint32_t job, const char *who);

/* Incidents (E1-E6). loop_set_profiles publishes a new profile set to the
 * receivers (ingest_set_profiles) and the core; the caller frees the old one
 * after it returns. */
void loop_set_profiles(struct loop *l, const struct incident_profiles *ps);
enum incident_verdict loop_incident_event(struct loop *l, const struct device *d,
					  const struct incident_event *ev);
int loop_close_incident(struct loop *l, uint32_t id, const char *who);

#endif
