/* model.h: the core data model (devices, jobs, settings) and its lookups.
 *
 * Pure: no sockets, no SNMP types, no <db.h>. Owned by the loop thread; other
 * threads never touch it. Times are microseconds since the epoch (rs_time_t)
 * and are always passed in, so tests inject the clock. */
#ifndef RESYNCD_MODEL_H
#define RESYNCD_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/tree.h>
#include <uthash.h>

#include "retained.h"

#include "devhash.h"
#include "devindex.h"

typedef int64_t rs_time_t; /* microseconds since the epoch; 0 = never */
#define RS_USEC_PER_SEC 1000000LL
#define RS_SECS(s) ((rs_time_t)(s) * RS_USEC_PER_SEC)

/* Enum values are the MIB's enumeration numbers: agent/ maps them 1:1. */
enum managed_status {
	MS_UNKNOWN = 1,
	MS_IN_SYNC = 2,
	MS_OUT_OF_SYNC = 3,
	MS_SYNCHRONIZING = 4,
	MS_DEVICE_CHANGED = 5,
	MS_MANAGER_CHANGED = 6,
	MS_MANAGER_AND_DEVICE_CHANGED = 7,
};
#define MS_COUNT 7

enum conn_status { CONN_UNKNOWN = 1, CONN_UP = 2, CONN_DOWN = 3 };
enum resync_result { RESULT_NONE = 1, RESULT_SUCCESS = 2, RESULT_FAILURE = 3 };

enum job_type {
	JOB_AUTO_RESYNC = 1,
	JOB_MANUAL_RESYNC = 2,
	JOB_INVENTORY_RESYNC = 3,
	JOB_DEPLOY = 4,
	JOB_DATA_CAPTURE = 5,
	JOB_CONFIGURE_SYSLOG = 6,        /* S6: the device sends resyncd its commits */
};
#define JOB_TYPE_LAST JOB_CONFIGURE_SYSLOG

enum job_state {
	JOB_SCHEDULED = 1,
	JOB_IN_PROGRESS = 2,
	JOB_SUCCESS = 3,
	JOB_FAILURE = 4,
	JOB_CANCELLED = 5,
};

enum system_of_record { SOR_NETWORK = 1, SOR_MANAGER = 2 };

#define RS_NAME_MAX 64
#define RS_ADDR_MAX 64     /* textual IPv4/IPv6 address */
#define RS_USER_MAX 32
#define RS_COMMENT_MAX 128
#define RS_REASON_MAX 128
#define RS_SUMMARY_MAX 160
#define RS_JOB_USER_MAX 128 /* "snmp user NAME from udp:[addr]:port", not cut short */

struct settings {
	bool auto_resync_enabled;
	uint32_t auto_resync_wait_secs;  /* W */
	uint32_t damper_interval_secs;   /* I */
	enum system_of_record system_of_record;
	uint32_t max_concurrent_resyncs;
	uint32_t resync_timeout_secs;
	uint32_t job_retention_days;
	uint32_t job_retention_count;
	uint32_t config_versions_kept;   /* configuration archive depth per device */
	uint32_t incident_retention_days;  /* closed incidents kept (E5); 0 = no limit */
	uint32_t incident_retention_count;
	uint32_t event_rate_cap;         /* matching events per second per device (E6); 0 = no cap */
	uint32_t inventory_resync_interval_secs; /* recurring inventory resync; 0 = off */
	uint32_t device_history_retention_days; /* a removed device's index and versions; 0 = for ever */
	/* SETTING_BIT(id) per setting changed by snmpset: such a value wins over
	 * the configuration file's from then on (persisted with the settings). */
	uint32_t set_by_operator;
};

enum setting_id {
	SET_AUTO_RESYNC_ENABLED,
	SET_AUTO_RESYNC_WAIT_SECS,
	SET_DAMPER_INTERVAL_SECS,
	SET_SYSTEM_OF_RECORD,
	SET_MAX_CONCURRENT_RESYNCS,
	SET_RESYNC_TIMEOUT_SECS,
	SET_JOB_RETENTION_DAYS,
	SET_JOB_RETENTION_COUNT,
	SET_CONFIG_VERSIONS_KEPT,
	SET_INCIDENT_RETENTION_DAYS,
	SET_INCIDENT_RETENTION_COUNT,
	SET_EVENT_RATE_CAP,
	SET_INVENTORY_RESYNC_INTERVAL_SECS,
	SET_DEVICE_HISTORY_RETENTION_DAYS, /* MIB sub-id 11 (agent/mib_settings.c) */
	SET_COUNT
};

#define SETTING_BIT(id) (1u << (unsigned)(id))
#define SETTING_ALL_BITS (SETTING_BIT(SET_COUNT) - 1u)

/* Why a settings value is refused; maps to SNMP wrongValue/wrongType. */
enum setting_error { SETERR_OK = 0, SETERR_UNKNOWN, SETERR_RANGE };

/* Strings of a device are sized to their content (a device record is about a
 * third of what fixed buffers cost; 100,000 devices fit in well under 64 MB).
 * Each field always points at a NUL-terminated string, never NULL: readers use
 * it as a plain C string. The name (and its lower-case key when it has
 * capitals) and the address the device was added with live in the device's
 * own allocation, after the record (model.c, device_new): one block a device
 * instead of three. Other writers go through model_str_set() (the device's
 * own copy: comments) or model_istr_set() (interned and shared: credential
 * names, users, resync reasons, which repeat across devices). A new string
 * field is added to device_str_fields[] or device_istr_fields[] in model.c so
 * it is initialised and freed with the device. The RS_*_MAX limits still
 * bound their lengths.
 *
 * The fields are grouped by size, small ones first, and the enums are 8-bit
 * fields, so the record has no padding (208 bytes, 272 with a 4-byte enum
 * each, the fields in topic order and red-black tree links; the model finds
 * devices by index in a devindex instead): at 100,000 devices each byte is
 * 100 kB. */
struct device {
	uint32_t index;                  /* stable, > 0; the MIB row index */
	uint16_t ssh_port;
	bool trust_on_first_use;
	bool from_config;                /* defined in resyncd.conf (else added over SNMP) */
	enum managed_status managed_status : 8;
	enum conn_status conn_status : 8;
	enum resync_result last_resync_result : 8;
	/* The status a device had when its accept or deploy started: a failed
	 * one puts it back (S4). */
	enum managed_status status_before : 8;
	bool commit_during_fetch;        /* R4: a commit arrived after the running fetch started */
	bool configure_syslog;           /* S6: resyncd should configure its syslog host entry */
	uint8_t name_len : 7;            /* strlen(name), < RS_NAME_MAX (model.c) */
	uint8_t key_apart : 1;           /* the lower-case key follows the name (model.c) */
	uint8_t addr_room;               /* bytes for the address in the device's block (model.c) */
	uint32_t config_version;         /* newest stored configuration version */
	/* Scheduling state (persisted so J5 can restore it). */
	uint32_t scheduled_auto_job;     /* the not-yet-started auto job, or 0 */
	uint32_t running_job;            /* job whose fetch runs on this device, or 0 */
	/* The manager's copy (SPEC S3): the newest intended version, when it
	 * was staged (intended_time), and the SHA-256 of the intended file it
	 * was last read from (an accept replaces the copy without the file
	 * changing). */
	uint32_t intended_version;       /* 0 = none */

	const char *name;                /* in the device's block (model_device_add) */
	const char *address;             /* management address, textual (model_device_set_address) */
	const char *credential;          /* interned: name of a credential set in the config */
	const char *last_commit_user;    /* interned, < RS_USER_MAX */
	const char *last_commit_comment; /* own, < RS_COMMENT_MAX */
	const char *last_resync_reason;  /* interned, < RS_REASON_MAX */
	/* The fetched configuration's own commit, as the device reports it
	 * (junos:commit-seconds/-user or <get-commit-information/>); 0/NULL if
	 * it does not say: config_commit_time and this. */
	const char *config_commit_user;  /* interned, < RS_USER_MAX */
	/* Pending UI_COMMIT user/comment, attached to the next commit notification. */
	const char *pending_user;        /* interned */
	const char *pending_comment;     /* own */

	rs_time_t last_commit_time;
	uint64_t commit_count;
	rs_time_t last_resync_time;
	rs_time_t fetch_started;         /* when the running fetch started */
	rs_time_t last_fetch_ok_start;   /* start of the newest successful fetch */
	rs_time_t intended_time;
	/* A deploy that failed after its commit confirmed leaves the device to
	 * roll back by itself; that rollback's notification, until this time,
	 * is the manager's own doing, not a device change (S4). */
	rs_time_t rollback_expected_until;
	/* S6: when resyncd last configured the device's syslog host entry for
	 * itself (0 = never). */
	rs_time_t syslog_configured;
	rs_time_t config_commit_time;
	unsigned char intended_file_sha[32];
};

/* Sets a device string field to its own copy of value (NULL = empty),
 * truncated to max - 1 bytes like the fixed buffer it replaces. -1: out of
 * memory, the field is left as it was. */
int model_str_set(const char **field, const char *value, size_t max);
/* The same for an interned field: equal strings share one reference-counted
 * copy (loop thread only, like the model). */
int model_istr_set(const char **field, const char *value, size_t max);

/* One device's share of a job: a fetch task with its own due time (R3). */
enum task_state { TASK_PENDING = 1, TASK_RUNNING, TASK_OK, TASK_FAILED, TASK_SKIPPED, TASK_CANCELLED };

struct job;

#define TASK_STATE_COUNT TASK_CANCELLED

/* 32 bytes: an inventory or initial job over 100,000 devices holds 100,000
 * of them. What the scheduler needs (links, its job, a due time) is in a
 * sched_node instead: a pending task is due with its job's bulk
 * (scheduled_start), or has a node of its own (an R3 delay, a refetch). */
struct task {
	uint32_t device;                 /* device index */
	uint8_t state;                   /* enum task_state: change it with model_task_set_state */
	/* Fetches of this device made again because the configuration was
	 * committed before the commit notification (sched.c, freshness); not
	 * stored: a restart ends the job that held it (J5). */
	uint8_t refetches;
	rs_time_t start, end;            /* of this device's fetch; 0 = not (yet) */
	const char *reason;              /* interned one line (model_istr_set), or NULL */
};

/* A place in the scheduler (sched.c): the pending tasks of a job from
 * bulk_next on, all due at the same time (the job's bulk, one node in the
 * job), or one task with a due time of its own (an R3 delay: allocated). */
#define SCHED_BULK UINT32_MAX
struct sched_node {
	RB_ENTRY(sched_node) by_due;
	struct sched_node *next_ready;   /* FIFO of what waits for a worker slot */
	struct sched_node *next_own, **prev_own; /* the job's own-task nodes */
	struct job *job;
	uint32_t pos;                    /* task position, or SCHED_BULK */
	bool in_timer, queued;
	rs_time_t due;
};

struct job {
	uint32_t id;
	char name[RS_NAME_MAX];
	enum job_type type;
	enum job_state state;
	uint8_t percent;
	char summary[RS_SUMMARY_MAX];
	rs_time_t scheduled_start;
	rs_time_t actual_start;
	rs_time_t end_time;
	char user[RS_JOB_USER_MAX];
	uint32_t recurrence_secs;        /* 0 = none */
	uint32_t retry_of;               /* J2: the job this one retries, or 0 */
	uint32_t ntasks;
	struct task *tasks;              /* one per device, ntasks long, in request order */
	/* Positions of tasks sorted by device, for an O(log n) lookup by device;
	 * NULL when tasks is already in device order (inventory jobs). */
	uint32_t *by_device;
	/* Tasks per state, kept by model_task_set_state: progress and the end of
	 * a job are O(1) per task instead of a scan of every task. */
	uint32_t nstate[TASK_STATE_COUNT + 1];
	uint32_t first_failed;           /* position + 1 of the first failed task, or 0 */
	/* Tasks fetched again (freshness), and those of them whose configuration
	 * stayed older than the notification to the end; for the summary. */
	uint32_t nrefetched, nstale;
	uint32_t ncurrent;               /* tasks skipped as current (a recurring inventory resync) */
	/* The scheduler's share: tasks from bulk_next on that are pending come
	 * due together (bulk); the ones before it that are pending have a node
	 * of their own (in the own list). nqueued: nodes in the ready FIFO. */
	struct sched_node bulk;
	uint32_t bulk_next;
	struct sched_node *own;
	uint32_t nqueued;
	RB_ENTRY(job) by_id;
};

RB_HEAD(job_tree, job);
RB_HEAD(sched_tree, sched_node);

struct ingest_counters {
	uint64_t received, malformed, commits, other_events, unknown_host, dropped, duplicates;
	uint64_t refused;           /* from an address not in listen.allowed_senders */
	uint64_t not_from_device;   /* commits ignored by listen.strict_senders */
	uint64_t conns_closed;      /* stream connections closed at the cap or when idle */
	uint64_t accept_pauses;     /* accepting paused: out of file descriptors */
	uint64_t udp_buffer_drops;  /* datagrams the kernel dropped: the UDP socket's buffer was full */
};

struct job_counters {
	uint64_t created, succeeded, failed, cancelled, delayed, redundant;
	uint64_t purged;                 /* finished jobs removed (J4 or the purge action) */
	uint64_t current;                /* devices a recurring inventory resync found current, not fetched */
	uint64_t refetches;              /* refetches scheduled by the freshness check (sched.h) */
};

struct model {
	struct settings settings;
	struct devindex devices;         /* by index */
	struct devhash by_name;          /* on name_key */
	struct devhash by_addr;          /* on address: the first device of an address */
	struct devhash by_short;         /* on the short name of FQDN names: the first device of it */
	uint32_t ndevices;
	uint64_t next_device_index;      /* never handed out yet from here; > UINT32_MAX: none */
	struct retained_set retained;    /* removed devices whose index and history are kept */
	uint32_t status_count[MS_COUNT + 1];
	rs_time_t devices_last_change;   /* for the MIB: lets an NMS skip a walk */

	struct job_tree jobs;
	uint32_t njobs;
	uint32_t next_job_id;
	uint32_t inventory_job;          /* the scheduled recurring inventory resync (setting), or 0 */

	struct sched_tree timers;        /* sched nodes by due time */
	struct sched_node *ready_head, *ready_tail;
	uint32_t running_fetches;

	struct ingest_counters ingest;
	struct job_counters jobc;
};

int job_cmp(const struct job *a, const struct job *b);
int sched_node_cmp(const struct sched_node *a, const struct sched_node *b);
RB_PROTOTYPE(job_tree, job, by_id, job_cmp)
RB_PROTOTYPE(sched_tree, sched_node, by_due, sched_node_cmp)

void model_init(struct model *m);
void model_free(struct model *m);

void settings_defaults(struct settings *s);
/* Checks a value for a setting without changing anything. */
enum setting_error settings_validate(enum setting_id id, int64_t value, const char **why);
int64_t settings_get(const struct settings *s, enum setting_id id);
const char *settings_name(enum setting_id id);
/* Validates and stores; on error nothing changes. */
enum setting_error settings_set(struct settings *s, enum setting_id id, int64_t value, const char **why);

/* Devices. model_device_add takes index 0 to allocate a free one: the next
 * never handed out, or once those are used up (a row made at 4294967295)
 * the lowest that no device holds; none free: NULL (model_device_free_index
 * says 0). An index never wraps to 0 and never moves to another device. */
uint32_t model_device_free_index(struct model *m);
/* An index a device or a removed device's kept history holds. */
bool model_index_held(struct model *m, uint32_t index);
/* Keeps a removed device's index and versions (its record is gone from
 * the model); the index allocator never hands the index out meanwhile. */
struct retained *model_retain(struct model *m, uint32_t index, const char *name, rs_time_t removed,
			      uint32_t config_version, uint32_t intended_version);
struct device *model_device_add(struct model *m, uint32_t index, const char *name,
				const char *address, rs_time_t now);
int model_device_remove(struct model *m, uint32_t index);
struct device *model_device_by_index(struct model *m, uint32_t index);
struct device *model_device_next(struct model *m, uint32_t index); /* first with index > given */
/* Every device of m in index order, each step O(1); the body must not add
 * or remove devices. it names the walk's position. */
#define MODEL_FOREACH_DEVICE(m, it, d) \
	for (struct devindex_iter it = { 0, 0 }; ((d) = devindex_step(&(m)->devices, &it)) != NULL;)
struct device *model_device_by_name(struct model *m, const char *name);
struct device *model_device_by_addr(struct model *m, const char *address);
int model_device_set_address(struct model *m, struct device *d, const char *address);
/* The length of a host name's short name (up to its first dot), unless it
 * is an IPv4 literal (then all of it). */
size_t model_short_name_len(const char *host);
/* A device whose name is, or matches (short name vs FQDN either way), name:
 * a new device of that name would take the other's syslog. */
struct device *model_device_name_clash(struct model *m, const char *name);
/* Hostname match: exact name, or short name vs FQDN either way, case-insensitive. */
struct device *model_device_match(struct model *m, const char *host, const char *sender_addr);
void model_device_set_status(struct model *m, struct device *d, enum managed_status st, rs_time_t now);

/* Jobs. */
struct job *model_job_new(struct model *m, enum job_type type, const char *user,
			  const uint32_t *devices, uint32_t ndevices, rs_time_t due);
struct job *model_job_by_id(struct model *m, uint32_t id);
struct job *model_job_next(struct model *m, uint32_t id);
void model_job_free(struct model *m, struct job *j);
/* Restores a job read from the store; keeps its id and takes over the
 * reasons of src's tasks (src's are set to NULL). */
struct job *model_job_restore(struct model *m, const struct job *src);
/* The task of a device in a job, O(log n); NULL if the job does not act on it. */
struct task *model_job_task(const struct job *j, uint32_t device);
/* Finished tasks (ok, failed, skipped, cancelled). */
uint32_t model_job_done(const struct job *j);
/* Sets a task's state, keeping the job's per-state counts; a final state
 * also sets its end time. reason (may be NULL) replaces the task's. */
void model_task_set_state(struct job *j, struct task *t, enum task_state st, const char *reason,
			  rs_time_t now);
bool task_state_final(enum task_state s);
const char *task_state_name(enum task_state s);

const char *managed_status_name(enum managed_status s);
const char *job_state_name(enum job_state s);
const char *job_type_name(enum job_type t);
const char *conn_status_name(enum conn_status s);
bool job_state_final(enum job_state s);

#endif
