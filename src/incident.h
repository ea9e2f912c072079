/* incident.h: event profiles, incidents, dampening, rate cap and auto-close
 * (SPEC E1-E6), pure like sched.c.
 *
 * Events and the current time go in, actions come out (persist, notify,
 * start a data capture). No sockets, no store, no SNMP: the unit tests drive
 * it with an injected clock. The loop owns one struct incidents; the
 * receiving threads only read an immutable profile set (incident_profiles_
 * wants) to decide whether an event is worth handing to the loop at all. */
#ifndef RESYNCD_INCIDENT_H
#define RESYNCD_INCIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/tree.h>
#include <uthash.h>

#include "actions.h"
#include "junos.h"
#include "model.h"

#define INC_TAGS_MAX 16
#define INC_CMDS_MAX 8
#define INC_CMD_MAX 256
#define INC_DETAIL_MAX 64
#define INC_TEXT_MAX 256
#define INC_HOOK_MAX 256
#define INC_CAPTURE_MAX (64 * 1024) /* captured output kept per incident */

/* E1: which events to act on, and how. */
struct incident_profile {
	char name[RS_NAME_MAX];
	char tags[INC_TAGS_MAX][JUNOS_TAG_MAX];       /* exact tags or fnmatch patterns */
	size_t ntags;
	char clear_tags[INC_TAGS_MAX][JUNOS_TAG_MAX]; /* close the incident of the same detail */
	size_t nclear;
	int min_severity;              /* syslog severity 0..7: act on this or more severe; -1 = any */
	char devices[RS_NAME_MAX];     /* fnmatch pattern on the device name; empty = all */
	uint32_t auto_close_secs;      /* close after this long without a repeat; 0 = never */
	char commands[INC_CMDS_MAX][INC_CMD_MAX]; /* data capture (E4) */
	size_t ncommands;
	char hook[INC_HOOK_MAX];       /* program run on open and close; empty = none */
	uint32_t hook_timeout_secs;    /* the hook is killed after this long */
	int line;                      /* where it is in resyncd.conf, for messages */
};

/* A tag wanted by some profile (exact tags only: patterns are scanned). */
struct incident_tag {
	char tag[JUNOS_TAG_MAX];
	UT_hash_handle hh;
};

/* An immutable set of profiles: built once (config), then only read, from
 * any thread, until it is replaced as a whole (SIGHUP). */
struct incident_profiles {
	struct incident_profile *v;
	size_t n;
	struct incident_tag *exact;    /* uthash of every exact tag and clearing tag */
	bool any_pattern;              /* some tag has a wildcard: fnmatch the rest */
};

enum incident_state { INC_OPEN = 1, INC_CLOSED = 2 };
enum incident_closed_by {
	INC_BY_NONE = 1,               /* still open */
	INC_BY_OPERATOR = 2,
	INC_BY_CLEARING_EVENT = 3,
	INC_BY_QUIET_PERIOD = 4,
};
enum capture_state {
	CAPTURE_NONE = 1,              /* the profile names no commands */
	CAPTURE_RUNNING = 2,
	CAPTURE_DONE = 3,
	CAPTURE_FAILED = 4,
};

struct incident {
	uint32_t id;
	uint32_t device;
	char profile[RS_NAME_MAX];
	char tag[JUNOS_TAG_MAX];
	char detail[INC_DETAIL_MAX];   /* interface, FRU slot: two links down are two incidents */
	int severity;                  /* of the opening event, 0..7, -1 unknown */
	rs_time_t first_seen, last_seen, closed_at;
	uint64_t count;
	enum incident_state state;
	enum incident_closed_by closed_by;
	char text[INC_TEXT_MAX];       /* last message text */
	uint32_t capture_job;          /* the dataCapture job, or 0 */
	enum capture_state capture;
	uint32_t capture_len;          /* bytes of captured output kept in the store */
	bool dirty;                    /* count/last seen changed, not yet saved */
	RB_ENTRY(incident) by_id;
	UT_hash_handle hh_open;        /* open incidents by key */
	char key[RS_NAME_MAX + JUNOS_TAG_MAX + INC_DETAIL_MAX + 16];
};

RB_HEAD(incident_tree, incident);
int incident_cmp(const struct incident *a, const struct incident *b);
RB_PROTOTYPE(incident_tree, incident, by_id, incident_cmp)

/* E6: one device's budget of matching events (token bucket). */
struct incident_rate {
	uint32_t device;
	double tokens;
	rs_time_t last;
	uint64_t limited;
	UT_hash_handle hh;
};

struct incident_counters {
	uint64_t opened, closed, rate_limited;
};

struct incidents {
	struct incident_tree all;
	struct incident *open;         /* uthash on key */
	uint32_t n, nopen, next_id;
	struct incident_rate *rates;
	struct incident_counters c;
	const struct incident_profiles *profiles; /* not owned */
	uint32_t rate_cap;             /* matching events per second per device; 0 = no cap */
	uint32_t retention_days, retention_count;
};

/* A device event that some profile may want, copied out of the message. */
struct incident_event {
	char tag[JUNOS_TAG_MAX];
	char detail[INC_DETAIL_MAX];
	int severity;
	char text[INC_TEXT_MAX];
};

enum incident_verdict {
	INCV_IGNORED = 1,              /* no profile wants it: only counted */
	INCV_RATE_LIMITED,             /* over the device's cap (E6) */
	INCV_OPENED,                   /* E2 */
	INCV_ABSORBED,                 /* E3: an open incident's count went up */
	INCV_CLOSED,                   /* E5: a clearing event closed one (or more) */
	INCV_CLEAR_NOTHING,            /* a clearing event with nothing open to close */
};

/* ---- profiles ---- */
void incident_profile_defaults(struct incident_profile *p);
/* Syslog severity by name ("warning", "err", "crit"...) or -1. */
int incident_severity_by_name(const char *name);
/* Builds the fast lookup of a set whose v/n are filled. 0 or -1 (memory). */
int incident_profiles_index(struct incident_profiles *ps);
void incident_profiles_free(struct incident_profiles *ps);
/* Cheap pre-check on any thread: could a profile act on this tag? */
bool incident_profiles_wants(const struct incident_profiles *ps, const char *tag);
/* Fills detail with the distinguishing part of a Junos event: the interface
 * (interface-name, ifName, "interface X"), the FRU (fru-name/fru-slot,
 * "FPC 1", "PEM 0"), or empty. Pure. */
void incident_event_detail(const struct syslog_msg *m, const struct junos_event *ev, char *out,
			   size_t outlen);

/* E6's token bucket: one second's worth of cap, refilled at cap per second.
 * Takes one token and returns true, or returns false (over the cap). */
bool incident_bucket_take(double *tokens, rs_time_t *last, uint32_t cap, rs_time_t now);

/* ---- incidents ---- */
void incidents_init(struct incidents *s);
void incidents_free(struct incidents *s);
struct incident *incident_by_id(struct incidents *s, uint32_t id);
struct incident *incident_next(struct incidents *s, uint32_t after); /* first with id > after */

/* E1-E3, E5 (clearing), E6: one event from device d at now. On INCV_OPENED
 * *opened (may be NULL) is the new incident; a profile with commands makes
 * a dataCapture job in m (ACT_START_CAPTURE). */
enum incident_verdict incident_event(struct incidents *s, struct model *m, const struct device *d,
				     const struct incident_event *ev, rs_time_t now, struct actions *out,
				     struct incident **opened);
/* E5: operator close. -1 if there is no such open incident. */
int incident_close(struct incidents *s, uint32_t id, enum incident_closed_by by, rs_time_t now,
		   struct actions *out);
/* E5 quiet period, and saving new incidents and the counts of absorbed
 * repeats (written in batches, not one transaction per event). */
void incident_tick(struct incidents *s, rs_time_t now, struct actions *out);
/* Saves what incident_tick would save, closing nothing (at stop). */
void incident_flush(struct incidents *s, struct actions *out);
/* Retention by age (of closing) and count; open incidents are never purged. */
void incident_purge(struct incidents *s, rs_time_t now, struct actions *out);
/* The data capture of an incident ended: its state, and its job's end. */
void incident_capture_done(struct incidents *s, struct model *m, uint32_t id, bool ok, uint32_t len,
			   const char *summary, rs_time_t now, struct actions *out);
/* Restores an incident read from the store (keeps its id). */
struct incident *incident_restore(struct incidents *s, const struct incident *src);
/* A capture that a stop interrupted ends failed (sched_restore ends its job). */
void incident_restore_done(struct incidents *s, struct actions *out);
/* A device removed: its open incidents close (by the operator). */
void incident_device_removed(struct incidents *s, uint32_t device, rs_time_t now, struct actions *out);
const struct incident_profile *incident_profile_by_name(const struct incident_profiles *ps,
							 const char *name);

const char *incident_state_name(enum incident_state st);
const char *incident_closed_by_name(enum incident_closed_by by);
const char *capture_state_name(enum capture_state st);

#endif
