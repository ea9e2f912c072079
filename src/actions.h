/* actions.h: what the pure core asks its caller to do.
 *
 * The core (fsm, sched) never performs I/O: it appends actions here and the
 * loop carries them out (persist, hand a fetch to a worker, notify). */
#ifndef RESYNCD_ACTIONS_H
#define RESYNCD_ACTIONS_H

#include "model.h"

enum action_kind {
	ACT_START_FETCH,    /* job, device: hand the fetch to a worker */
	ACT_STOP_FETCH,     /* job, device: close that worker's session (J1) */
	ACT_STATUS_CHANGED, /* device, old_status, new_status */
	ACT_JOB_CHANGED,    /* job, job_state */
	ACT_SAVE_DEVICE,    /* device: persist its record */
	ACT_SAVE_JOB,       /* job: persist its record (not its tasks) */
	ACT_SAVE_JOB_TASKS, /* job: persist its record and every task (a new job) */
	ACT_SAVE_TASK,      /* job, seq: persist one task of the job */
	ACT_DELETE_JOB,     /* job: purged (J4) */
	ACT_SAVE_SETTINGS,
	ACT_DELETE_DEVICE,  /* device: removed */
	ACT_SAVE_INCIDENT,  /* incident: persist its record */
	ACT_DELETE_INCIDENT,/* incident: purged (retention) */
	ACT_INCIDENT_OPENED,/* incident, device: E2 */
	ACT_INCIDENT_CLOSED,/* incident, device: E5 */
	ACT_START_CAPTURE,  /* incident, job, device: run the profile's commands (E4) */
	ACT_DEVICE_ADDED,   /* device: notify (deviceAdded) once it is stored */
	ACT_DEVICE_REMOVED, /* device: notify (deviceRemoved) while it still exists */
	ACT_SAVE_RETAINED,  /* device: store its kept history as the model has it (or none) */
	ACT_FORGET_DEVICE,  /* device: its kept history expired: the record and its versions go */
};

struct action {
	enum action_kind kind;
	uint32_t device;
	uint32_t job;
	uint32_t incident;
	uint32_t seq;       /* ACT_SAVE_TASK: the task's position in the job, from 1 */
	enum managed_status old_status, new_status;
	enum job_state job_state;
	/* ACT_JOB_CHANGED: the job's summary when it changed state; a job
	 * scheduled and started in one pass has moved on by the time the loop
	 * notifies. */
	char job_summary[RS_SUMMARY_MAX];
};

struct actions {
	struct action *v;
	size_t n, cap;
};

void actions_init(struct actions *a);
void actions_clear(struct actions *a);
void actions_free(struct actions *a);
void actions_push(struct actions *a, const struct action *act);
/* Counts the actions of one kind (handy in tests and logs). */
size_t actions_count(const struct actions *a, enum action_kind kind);

#endif
