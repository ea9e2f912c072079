/* notify.h: the one fan-out of core events (DESIGN principle 6).
 *
 * Every managed-status change and job-state change goes through here: a log
 * line, counters, and every registered sink (the SNMP agent sends traps). */
#ifndef RESYNCD_NOTIFY_H
#define RESYNCD_NOTIFY_H

#include "incident.h"
#include "model.h"

struct notify_sink {
	void (*status_changed)(void *ctx, const struct device *d, enum managed_status old_st,
			       enum managed_status new_st);
	/* state and summary are the job's as it changed: by the time the loop
	 * notifies, a job created and started in one pass is already
	 * inProgress, with another summary. */
	void (*job_changed)(void *ctx, const struct job *j, enum job_state state, const char *summary,
			    const struct device *d);
	/* E2/E5: an incident opened (opened true) or closed. */
	void (*incident_changed)(void *ctx, const struct incident *i, const struct device *d, bool opened);
	/* A device was added (J7) or is about to be removed. */
	void (*device_added)(void *ctx, const struct device *d);
	void (*device_removed)(void *ctx, const struct device *d);
	void *ctx;
};

int notify_add_sink(const struct notify_sink *sink);
void notify_clear_sinks(void);
void notify_status_changed(const struct device *d, enum managed_status old_st,
			   enum managed_status new_st);
void notify_job_changed(const struct job *j, enum job_state state, const char *summary,
			const struct device *first_device);
void notify_incident(const struct incident *i, const struct device *d, bool opened);
void notify_device_added(const struct device *d);
void notify_device_removed(const struct device *d);

#endif
