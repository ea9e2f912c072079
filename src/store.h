/* store.h: durable state in a Berkeley DB transactional environment.
 *
 * store.c is the only file that includes <db.h>. Records carry a format number
 * so a later release can read an older store. Writes happen inside
 * store_begin()/store_commit(); a commit is on disk when it returns. */
#ifndef RESYNCD_STORE_H
#define RESYNCD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "incident.h"
#include "model.h"

#define STORE_FORMAT 1

struct store;

struct config_meta {
	uint32_t device;
	uint32_t version;
	rs_time_t fetched;               /* when resyncd stored it */
	rs_time_t commit_time;           /* device's own commit time, or 0 */
	char commit_user[RS_USER_MAX];
	uint32_t size;
	uint32_t lines_added, lines_removed;
	unsigned char sha256[32];
};

/* Opens (creating if needed) and runs recovery. On error fills err; a
 * damaged database (checksum error, missing or emptied file) is an error
 * naming the file and what to do. The first opener gives a store made
 * before page checksums its checksums (a one-time rewrite). */
int store_open(const char *dir, struct store **out, char *err, size_t errlen);
/* The same for --dump-state and --diff: never rewrites a database. */
int store_open_tool(const char *dir, struct store **out, char *err, size_t errlen);
void store_close(struct store *s);
const char *store_error(const struct store *s); /* last error text */

/* Writes the cached pages out and removes the log files that recovery no
 * longer needs: what recovery replays after a crash is what came since. */
int store_checkpoint(struct store *s);
/* Bytes of log written since the last checkpoint (0 if it cannot say). */
uint64_t store_log_since_checkpoint(struct store *s);

int store_begin(struct store *s);
int store_commit(struct store *s);
void store_abort(struct store *s);
/* Runs body inside one transaction and commits it. Readers (a tool joining
 * the live environment) and the daemon's writes can form a lock cycle;
 * Berkeley DB's detector then fails one of them with a deadlock, and this
 * aborts and runs body again, a bounded number of times. body must be safe
 * to repeat (it only writes what the model already holds). */
int store_txn(struct store *s, int (*body)(struct store *s, void *ctx), void *ctx);
/* The last error was a lock conflict (deadlock victim), not a fault: the
 * operation may simply be repeated. */
int store_busy(const struct store *s);
/* Lock requests in this environment that had to wait (diagnostics, tests). */
uint64_t store_lock_waits(struct store *s);

int store_put_device(struct store *s, const struct device *d);
int store_del_device(struct store *s, uint32_t index);
/* A job's record without its tasks; one task (seq from 1); both. */
int store_put_job(struct store *s, const struct job *j);
int store_put_task(struct store *s, const struct job *j, uint32_t seq);
int store_put_job_tasks(struct store *s, const struct job *j);
int store_del_job(struct store *s, uint32_t id);   /* the job and its task rows */
/* Bytes of keys and values written since the store was opened (benchmarks,
 * resyncdStoreBytesWritten). */
uint64_t store_bytes_written(const struct store *s);
int store_put_settings(struct store *s, const struct settings *st);
/* A removed device's kept index and versions (retained.h). */
int store_put_retained(struct store *s, const struct retained *r);
int store_del_retained(struct store *s, uint32_t index);

/* Loads settings (if stored: *have_settings 1 then), devices and jobs into m.
 * -1: some records could not be decoded (skipped, store_error says which);
 * -2: a database is damaged (store_error names it): do not run on it. */
int store_load(struct store *s, struct model *m, int *have_settings);
/* store_load for a tool reading a live store: chosen as a deadlock victim
 * (a reader holds no write locks, so the detector picks it), it empties m
 * and reads again. */
int store_load_retrying(struct store *s, struct model *m, int *have_settings);

/* Configuration archive: text and meta keyed by (device, version). */
int store_config_put(struct store *s, const struct config_meta *meta, const char *text, size_t len);
/* 0 found, 1 not found, -1 error. *text is malloc'd (NUL-terminated). */
int store_config_get(struct store *s, uint32_t device, uint32_t version,
		     struct config_meta *meta, char **text, size_t *len);
/* Lists versions of a device, oldest first; *out malloc'd. */
int store_config_list(struct store *s, uint32_t device, struct config_meta **out, size_t *n);
int store_config_del(struct store *s, uint32_t device, uint32_t version);

/* Incidents (E2): their records, and the captured output of each (E4). */
int store_put_incident(struct store *s, const struct incident *i);
/* Deletes the incident and its captured output. */
int store_del_incident(struct store *s, uint32_t id);
int store_load_incidents(struct store *s, struct incidents *inc);
/* 0 found, 1 not found, -1 error; *inc filled. */
int store_get_incident(struct store *s, uint32_t id, struct incident *inc);
int store_put_capture(struct store *s, uint32_t id, const char *text, size_t len);
/* 0 found, 1 none, -1 error. *text is malloc'd (NUL-terminated). */
int store_get_capture(struct store *s, uint32_t id, char **text, size_t *len);

#endif
