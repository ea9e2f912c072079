/* store.c: durable state in a Berkeley DB transactional environment; the only
 * file that includes <db.h>.
 *
 * Databases: meta (format number), devices and jobs (keyed by big-endian
 * index/id so cursors walk in order), settings (id/value pairs, so a newer
 * release can add settings), cfgmeta and cfgtext (keyed by device + version),
 * incidents and incout (an incident and its captured output, keyed by id),
 * removed (removed devices' kept index and versions, keyed by index).
 * Every record starts with its format byte. The first process to open the
 * store runs recovery; a tool that opens it while the daemon runs joins the
 * environment without recovery (see store_open). */
#include "store.h"

#include <arpa/inet.h>
#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define REC_FORMAT 1
/* Job records from format 2 on hold the job alone; its tasks are rows of
 * jobtasks.db keyed by (job id, position), so finishing one task of a job
 * over 100,000 devices rewrites that task and a short header, not all of
 * them. Format-1 job records (tasks inline) are still read, and rewritten
 * in the new form when loaded. */
#define JOB_REC_FORMAT 2
#define TASK_REC_FORMAT 1

struct store {
	DB_ENV *env;
	DB *meta, *devices, *jobs, *jobtasks, *settings, *cfgmeta, *cfgtext, *incidents, *incout;
	DB *removed;                     /* removed devices' kept index and versions (retained.h) */
	DB_TXN *txn;
	uint64_t bytes_written;          /* keys and values put since open */
	int upgrades;                    /* the daemon's: may rewrite old records (tools never do) */
	int lock_fd;
	int damaged;                     /* a database could not be read: refuse to run on it */
	int busy;                        /* the last error was a deadlock: repeat, nothing is wrong */
	char dir[4096];
	char err[512];
	char dberr[256];                 /* libdb's own last message (checksum error: page N ...) */
};

/* ---- record encoding ----------------------------------------------------- */

struct wbuf {
	uint8_t *p;
	size_t n, cap;
	int err;
};

static void w_bytes(struct wbuf *w, const void *src, size_t len)
{
	if (w->err)
		return;
	if (w->n + len > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		while (cap < w->n + len)
			cap *= 2;
		uint8_t *p = realloc(w->p, cap);
		if (!p) {
			w->err = 1;
			return;
		}
		w->p = p;
		w->cap = cap;
	}
	memcpy(w->p + w->n, src, len);
	w->n += len;
}

static void w_u8(struct wbuf *w, uint8_t v)
{
	w_bytes(w, &v, 1);
}

static void w_u16(struct wbuf *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	w_bytes(w, b, 2);
}

static void w_u32(struct wbuf *w, uint32_t v)
{
	uint32_t be = htonl(v);
	w_bytes(w, &be, 4);
}

static void w_u64(struct wbuf *w, uint64_t v)
{
	w_u32(w, (uint32_t)(v >> 32));
	w_u32(w, (uint32_t)v);
}

static void w_str(struct wbuf *w, const char *s)
{
	size_t len = strlen(s);
	if (len > 0xffff)
		len = 0xffff;
	w_u16(w, (uint16_t)len);
	w_bytes(w, s, len);
}

struct rbuf {
	const uint8_t *p, *end;
	int err;
};

static int r_need(struct rbuf *r, size_t n)
{
	if (r->err || (size_t)(r->end - r->p) < n) {
		r->err = 1;
		return 0;
	}
	return 1;
}

static uint8_t r_u8(struct rbuf *r)
{
	return r_need(r, 1) ? *r->p++ : 0;
}

static uint16_t r_u16(struct rbuf *r)
{
	if (!r_need(r, 2))
		return 0;
	uint16_t v = (uint16_t)(r->p[0] << 8 | r->p[1]);
	r->p += 2;
	return v;
}

static uint32_t r_u32(struct rbuf *r)
{
	if (!r_need(r, 4))
		return 0;
	uint32_t be;
	memcpy(&be, r->p, 4);
	r->p += 4;
	return ntohl(be);
}

static uint64_t r_u64(struct rbuf *r)
{
	uint64_t hi = r_u32(r);
	return hi << 32 | r_u32(r);
}

static void r_str(struct rbuf *r, char *dst, size_t size)
{
	uint16_t len = r_u16(r);
	if (!r_need(r, len)) {
		dst[0] = '\0';
		return;
	}
	size_t c = len < size - 1 ? len : size - 1;
	memcpy(dst, r->p, c);
	dst[c] = '\0';
	r->p += len;
}

static void encode_device(struct wbuf *w, const struct device *d)
{
	w_u8(w, REC_FORMAT);
	w_u32(w, d->index);
	w_str(w, d->name);
	w_str(w, d->address);
	w_u16(w, d->ssh_port);
	w_str(w, d->credential);
	w_u8(w, d->trust_on_first_use);
	w_u8(w, (uint8_t)d->managed_status);
	w_u8(w, (uint8_t)d->conn_status);
	w_u64(w, (uint64_t)d->last_commit_time);
	w_str(w, d->last_commit_user);
	w_str(w, d->last_commit_comment);
	w_u64(w, d->commit_count);
	w_u64(w, (uint64_t)d->last_resync_time);
	w_u8(w, (uint8_t)d->last_resync_result);
	w_str(w, d->last_resync_reason);
	w_u32(w, d->config_version);
	w_u32(w, d->scheduled_auto_job);
	w_u32(w, d->running_job);
	w_u64(w, (uint64_t)d->fetch_started);
	w_u8(w, d->commit_during_fetch);
	w_u64(w, (uint64_t)d->last_fetch_ok_start);
	w_str(w, d->pending_user);
	w_str(w, d->pending_comment);
	w_u8(w, d->from_config);
	/* The manager's copy (SPEC S3/S4); records written before end here. */
	w_u32(w, d->intended_version);
	w_u64(w, (uint64_t)d->intended_time);
	w_bytes(w, d->intended_file_sha, sizeof(d->intended_file_sha));
	w_u8(w, (uint8_t)d->status_before);
	w_u64(w, (uint64_t)d->rollback_expected_until);
	w_u64(w, (uint64_t)d->syslog_configured);
	/* The fetched configuration's own commit; records written before end here. */
	w_u64(w, (uint64_t)d->config_commit_time);
	w_str(w, d->config_commit_user);
}

static int valid_enum(unsigned v, unsigned max)
{
	return v >= 1 && v <= max;
}

/* A string into a device field, bounded like r_str. */
static void r_field(struct rbuf *r, const char **field, size_t max, int interned)
{
	char buf[RS_COMMENT_MAX > RS_REASON_MAX ? RS_COMMENT_MAX : RS_REASON_MAX];
	r_str(r, buf, max < sizeof(buf) ? max : sizeof(buf));
	if ((interned ? model_istr_set : model_str_set)(field, buf, max) < 0)
		r->err = 1;
}

/* Decodes a device record into a new row of m; a bad record adds nothing. */
static int load_device(struct rbuf *r, void *ctx)
{
	struct model *m = ctx;
	char name[RS_NAME_MAX], address[RS_ADDR_MAX];
	if (r_u8(r) != REC_FORMAT)
		return -1;
	uint32_t index = r_u32(r);
	r_str(r, name, sizeof(name));
	r_str(r, address, sizeof(address));
	/* Index 0 is no row (it asks model_device_add for a new index): a record
	 * that says 0 is refused, not given another device's index. */
	struct device *d = r->err || index == 0 ? NULL : model_device_add(m, index, name, address, 0);
	if (!d)
		return -1;
	d->ssh_port = r_u16(r);
	r_field(r, &d->credential, RS_NAME_MAX, 1);
	d->trust_on_first_use = r_u8(r);
	enum managed_status st = (enum managed_status)r_u8(r);
	d->conn_status = (enum conn_status)r_u8(r);
	d->last_commit_time = (rs_time_t)r_u64(r);
	r_field(r, &d->last_commit_user, RS_USER_MAX, 1);
	r_field(r, &d->last_commit_comment, RS_COMMENT_MAX, 0);
	d->commit_count = r_u64(r);
	d->last_resync_time = (rs_time_t)r_u64(r);
	d->last_resync_result = (enum resync_result)r_u8(r);
	r_field(r, &d->last_resync_reason, RS_REASON_MAX, 1);
	d->config_version = r_u32(r);
	d->scheduled_auto_job = r_u32(r);
	d->running_job = r_u32(r);
	d->fetch_started = (rs_time_t)r_u64(r);
	d->commit_during_fetch = r_u8(r);
	d->last_fetch_ok_start = (rs_time_t)r_u64(r);
	r_field(r, &d->pending_user, RS_USER_MAX, 1);
	r_field(r, &d->pending_comment, RS_COMMENT_MAX, 0);
	d->from_config = r_u8(r);
	if (!r->err && r->p < r->end) { /* written by a release with the manager's copy */
		d->intended_version = r_u32(r);
		d->intended_time = (rs_time_t)r_u64(r);
		if (r_need(r, sizeof(d->intended_file_sha))) {
			memcpy(d->intended_file_sha, r->p, sizeof(d->intended_file_sha));
			r->p += sizeof(d->intended_file_sha);
		}
		d->status_before = (enum managed_status)r_u8(r);
		d->rollback_expected_until = (rs_time_t)r_u64(r);
	}
	if (!r->err && r->p < r->end) /* S6 */
		d->syslog_configured = (rs_time_t)r_u64(r);
	if (!r->err && r->p < r->end) { /* written by a release with the device's commit */
		d->config_commit_time = (rs_time_t)r_u64(r);
		r_field(r, &d->config_commit_user, RS_USER_MAX, 1);
	}
	if (!valid_enum(d->status_before, MS_COUNT))
		d->status_before = st;
	if (r->err || !valid_enum(st, MS_COUNT) || !valid_enum(d->conn_status, CONN_DOWN) ||
	    !valid_enum(d->last_resync_result, RESULT_FAILURE)) {
		model_device_remove(m, index);
		return -1;
	}
	model_device_set_status(m, d, st, 0);
	return 0;
}

static void encode_job(struct wbuf *w, const struct job *j)
{
	w_u8(w, JOB_REC_FORMAT);
	w_u32(w, j->id);
	w_str(w, j->name);
	w_u8(w, (uint8_t)j->type);
	w_u8(w, (uint8_t)j->state);
	w_u8(w, j->percent);
	w_str(w, j->summary);
	w_u64(w, (uint64_t)j->scheduled_start);
	w_u64(w, (uint64_t)j->actual_start);
	w_u64(w, (uint64_t)j->end_time);
	w_str(w, j->user);
	w_u32(w, j->recurrence_secs);
	w_u32(w, j->ntasks);
	w_u32(w, j->retry_of);
}

/* A pending task is due with its job (J5 keeps the job's due time): the
 * row's due field says so; a finished one's is 0. */
static void encode_task(struct wbuf *w, const struct job *j, const struct task *t)
{
	w_u8(w, TASK_REC_FORMAT);
	w_u32(w, t->device);
	w_u8(w, (uint8_t)t->state);
	w_u64(w, t->state == TASK_PENDING ? (uint64_t)j->scheduled_start : 0);
	w_u64(w, (uint64_t)t->start);
	w_u64(w, (uint64_t)t->end);
	w_str(w, t->reason ? t->reason : "");
}

static int decode_task(struct rbuf *r, struct task *t)
{
	if (r_u8(r) != TASK_REC_FORMAT)
		return -1;
	t->device = r_u32(r);
	t->state = (enum task_state)r_u8(r);
	(void)r_u64(r); /* due: the job's */
	t->start = (rs_time_t)r_u64(r);
	t->end = (rs_time_t)r_u64(r);
	char reason[RS_REASON_MAX];
	r_str(r, reason, sizeof(reason));
	if (r->err || !valid_enum(t->state, TASK_STATE_COUNT))
		return -1;
	t->reason = NULL;
	if (*reason)
		model_istr_set(&t->reason, reason, RS_REASON_MAX);
	return 0;
}

/* Decodes a job record into *j. A format-1 record carries its tasks (a
 * malloc'd array is set); a format-2 one only says how many there are
 * (j->tasks stays NULL: they are in jobtasks.db). */
static int decode_job(struct rbuf *r, struct job *j, int *format)
{
	memset(j, 0, sizeof(*j));
	*format = r_u8(r);
	if (*format != REC_FORMAT && *format != JOB_REC_FORMAT)
		return -1;
	j->id = r_u32(r);
	r_str(r, j->name, sizeof(j->name));
	j->type = (enum job_type)r_u8(r);
	j->state = (enum job_state)r_u8(r);
	j->percent = r_u8(r);
	r_str(r, j->summary, sizeof(j->summary));
	j->scheduled_start = (rs_time_t)r_u64(r);
	j->actual_start = (rs_time_t)r_u64(r);
	j->end_time = (rs_time_t)r_u64(r);
	r_str(r, j->user, sizeof(j->user));
	j->recurrence_secs = r_u32(r);
	j->ntasks = r_u32(r);
	if (r->err || !valid_enum(j->type, JOB_TYPE_LAST) || !valid_enum(j->state, JOB_CANCELLED))
		return -1;
	if (*format == JOB_REC_FORMAT) {
		j->retry_of = r_u32(r);
		return r->err ? -1 : 0;
	}
	if ((size_t)(r->end - r->p) < (size_t)j->ntasks * 13)
		return -1;
	j->tasks = calloc(j->ntasks ? j->ntasks : 1, sizeof(*j->tasks));
	if (!j->tasks)
		return -1;
	for (uint32_t i = 0; i < j->ntasks; i++) {
		j->tasks[i].device = r_u32(r);
		j->tasks[i].state = (enum task_state)r_u8(r);
		(void)r_u64(r); /* due: the job's */
		if (!valid_enum(j->tasks[i].state, TASK_CANCELLED))
			r->err = 1;
	}
	if (r->err) {
		free(j->tasks);
		j->tasks = NULL;
		return -1;
	}
	return 0;
}

static void encode_meta(struct wbuf *w, const struct config_meta *c)
{
	w_u8(w, REC_FORMAT);
	w_u32(w, c->device);
	w_u32(w, c->version);
	w_u64(w, (uint64_t)c->fetched);
	w_u64(w, (uint64_t)c->commit_time);
	w_str(w, c->commit_user);
	w_u32(w, c->size);
	w_u32(w, c->lines_added);
	w_u32(w, c->lines_removed);
	w_bytes(w, c->sha256, sizeof(c->sha256));
}

static int decode_meta(struct rbuf *r, struct config_meta *c)
{
	memset(c, 0, sizeof(*c));
	if (r_u8(r) != REC_FORMAT)
		return -1;
	c->device = r_u32(r);
	c->version = r_u32(r);
	c->fetched = (rs_time_t)r_u64(r);
	c->commit_time = (rs_time_t)r_u64(r);
	r_str(r, c->commit_user, sizeof(c->commit_user));
	c->size = r_u32(r);
	c->lines_added = r_u32(r);
	c->lines_removed = r_u32(r);
	if (r_need(r, sizeof(c->sha256))) {
		memcpy(c->sha256, r->p, sizeof(c->sha256));
		r->p += sizeof(c->sha256);
	}
	return r->err ? -1 : 0;
}

/* ---- environment --------------------------------------------------------- */

static int is_lock_conflict(int rc)
{
	return rc == DB_LOCK_DEADLOCK || rc == DB_LOCK_NOTGRANTED;
}

static int fail(struct store *s, const char *what, int rc)
{
	s->busy = is_lock_conflict(rc);
	snprintf(s->err, sizeof(s->err), "%s: %s", what, db_strerror(rc));
	return -1;
}

/* What an operator does about a damaged database (docs/OPERATIONS.md). */
#define STORE_DAMAGED_HINT \
	"stop resyncd and restore the state directory from a backup, or salvage what is readable " \
	"with db_dump -r and db_load (docs/OPERATIONS.md, 'A damaged store')"

/* A database that cannot be read: the message names the file, libdb's
 * reason and what to do, and the store is marked damaged. */
static int damaged(struct store *s, const char *name, int rc)
{
	if (is_lock_conflict(rc))
		return fail(s, name, rc); /* another process's lock, not a bad page */
	s->damaged = 1;
	snprintf(s->err, sizeof(s->err), "%s/%s is damaged (%s%s%s): " STORE_DAMAGED_HINT, s->dir, name,
		 db_strerror(rc), *s->dberr ? ": " : "", s->dberr);
	return -1;
}

/* libdb's own messages go to resyncd's log, at most one a minute (a full
 * disk made it print "No space left on device" twice a second), and the
 * first of them (a checksum error names its page) is kept for the error
 * that follows. */
#define DB_LOG_INTERVAL_SECS 60

static void on_db_error(const DB_ENV *env, const char *prefix, const char *msg)
{
	(void)prefix;
	static time_t last;
	static unsigned long quiet;
	struct store *s = env->app_private;
	if (s && !*s->dberr) /* the first says why; a panic follows it */
		snprintf(s->dberr, sizeof(s->dberr), "%s", msg);
	time_t now = time(NULL);
	if (last && now - last < DB_LOG_INTERVAL_SECS) {
		quiet++;
		return;
	}
	if (quiet)
		log_warn("store: libdb: %s (and %lu more libdb messages in the last %d s)", msg, quiet,
			 DB_LOG_INTERVAL_SECS);
	else
		log_warn("store: libdb: %s", msg);
	last = now;
	quiet = 0;
}

/* Every database is opened with page checksums: a page that was overwritten
 * or torn is an error (DB_RUNRECOVERY) instead of a wild read inside libdb.
 * libdb ignores the flag for a file made without them (store_upgrade). A
 * store that has its databases (create = 0) must have them: a missing or
 * emptied file is refused rather than made again empty. */
static int open_db(struct store *s, DB **db, const char *name, int create)
{
	int rc = db_create(db, s->env, 0);
	if (rc)
		return fail(s, name, rc);
	(*db)->set_flags(*db, DB_CHKSUM);
	rc = (*db)->open(*db, NULL, name, NULL, DB_BTREE, (create ? DB_CREATE : 0) | DB_AUTO_COMMIT, 0600);
	if (rc == ENOENT)
		return damaged(s, name, rc);
	if (rc)
		return rc == DB_RUNRECOVERY || rc == EINVAL ? damaged(s, name, rc) : fail(s, name, rc);
	return 0;
}

/* The meta key that says every database has page checksums. */
#define META_CHKSUM "chksum"

static int meta_get(struct store *s, const char *k, uint32_t *v)
{
	DBT key = { .data = (void *)k, .size = (u_int32_t)strlen(k) };
	DBT val;
	memset(&val, 0, sizeof(val));
	int rc = s->meta->get(s->meta, NULL, &key, &val, 0);
	if (rc == DB_NOTFOUND)
		return 1;
	if (rc)
		return fail(s, "meta", rc);
	*v = 0;
	if (val.size == sizeof(*v))
		*v = ntohl(*(uint32_t *)val.data);
	return 0;
}

static int meta_put(struct store *s, const char *k, uint32_t v)
{
	uint32_t be = htonl(v);
	DBT key = { .data = (void *)k, .size = (u_int32_t)strlen(k) };
	DBT val = { .data = &be, .size = sizeof(be) };
	int rc = s->meta->put(s->meta, NULL, &key, &val, DB_AUTO_COMMIT);
	return rc ? fail(s, "meta", rc) : 0;
}

/* Rewrites one database of a store made before page checksums into a
 * checksummed copy, then swaps it in (remove + rename in one transaction, so
 * a crash leaves the old file or the new one, never neither). */
static int upgrade_db(struct store *s, const char *name)
{
	char tmp[64];
	snprintf(tmp, sizeof(tmp), "%s.upgrade", name);
	DB *old = NULL, *nw = NULL;
	DBC *c = NULL;
	DB_TXN *t = NULL;
	int rc = db_create(&old, s->env, 0);
	if (rc == 0)
		rc = old->open(old, NULL, name, NULL, DB_BTREE, DB_AUTO_COMMIT, 0600);
	if (rc == ENOENT) { /* not made yet: it will be, with checksums */
		old->close(old, 0);
		return 0;
	}
	u_int32_t flags = 0;
	if (rc == 0)
		rc = old->get_flags(old, &flags);
	if (rc == 0 && (flags & DB_CHKSUM)) {
		old->close(old, 0);
		return 0;
	}
	if (rc)
		goto out;
	s->env->dbremove(s->env, NULL, tmp, NULL, DB_AUTO_COMMIT); /* a leftover of a crash */
	if ((rc = db_create(&nw, s->env, 0)) || (rc = nw->set_flags(nw, DB_CHKSUM)) ||
	    (rc = nw->open(nw, NULL, tmp, NULL, DB_BTREE, DB_CREATE | DB_EXCL | DB_AUTO_COMMIT, 0600)) ||
	    (rc = s->env->txn_begin(s->env, NULL, &t, 0)) || (rc = old->cursor(old, NULL, &c, 0)))
		goto out;
	DBT key, val;
	memset(&key, 0, sizeof(key));
	memset(&val, 0, sizeof(val));
	while ((rc = c->get(c, &key, &val, DB_NEXT)) == 0)
		if ((rc = nw->put(nw, t, &key, &val, 0)))
			break;
	if (rc != DB_NOTFOUND)
		goto out;
	c->close(c);
	c = NULL;
	rc = t->commit(t, 0);
	t = NULL;
	if (rc)
		goto out;
	old->close(old, 0);
	nw->close(nw, 0);
	old = nw = NULL;
	if ((rc = s->env->txn_begin(s->env, NULL, &t, 0)) || (rc = s->env->dbremove(s->env, t, name, NULL, 0)) ||
	    (rc = s->env->dbrename(s->env, t, tmp, NULL, name, 0))) {
		if (t)
			t->abort(t);
		return fail(s, name, rc);
	}
	rc = t->commit(t, 0);
	return rc ? fail(s, name, rc) : 0;
out:
	if (c)
		c->close(c);
	if (t)
		t->abort(t);
	if (nw)
		nw->close(nw, 0);
	if (old)
		old->close(old, 0);
	return rc == DB_RUNRECOVERY ? damaged(s, name, rc) : fail(s, name, rc);
}

/* 1: a new store (no format yet), 0: an existing one we can read, -1: not. */
static int check_format(struct store *s)
{
	uint32_t stored = 0;
	int rc = meta_get(s, "format", &stored);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return meta_put(s, "format", STORE_FORMAT) < 0 || meta_put(s, META_CHKSUM, 1) < 0 ? -1 : 1;
	if (stored == 0 || stored > STORE_FORMAT) {
		snprintf(s->err, sizeof(s->err),
			 "store format %u is not readable by this resyncd (reads up to %u)", stored, STORE_FORMAT);
		return -1;
	}
	return 0;
}

/* A store from before page checksums gets them, database by database, once,
 * by the daemon (not by a tool, which may run as another user). */
static int store_upgrade(struct store *s)
{
	uint32_t done = 0;
	int rc = meta_get(s, META_CHKSUM, &done);
	if (rc < 0 || (rc == 0 && done))
		return rc < 0 ? -1 : 0;
	static const char *const names[] = { "devices.db", "jobs.db", "settings.db", "cfgmeta.db", "cfgtext.db",
					     "removed.db" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (upgrade_db(s, names[i]) < 0)
			return -1;
	return meta_put(s, META_CHKSUM, 1);
}

/* The meta key that says the store has its incident databases. A store
 * from before incidents gets them from the daemon (create); a tool opening
 * such a store sees no incidents (the handles stay NULL). Once made, they
 * must be there, like every other database. */
#define META_INCIDENTS "incidents"

/* Databases newer than the store (marked in meta once made): the daemon
 * makes them when missing; a tool (maybe another user) leaves them absent
 * (NULL: nothing in them to read). */
static int open_newer_dbs(struct store *s, const char *mark, int fresh, int daemon, DB **const dbs[],
			  const char *const names[], size_t n)
{
	uint32_t have = 0;
	int rc = meta_get(s, mark, &have);
	if (rc < 0)
		return -1;
	int create = fresh || (rc == 1 && daemon);
	if (rc == 1 && !create)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (open_db(s, dbs[i], names[i], create))
			return -1;
	return create ? meta_put(s, mark, 1) : 0;
}

static int open_incident_dbs(struct store *s, int fresh, int daemon)
{
	DB **const dbs[] = { &s->incidents, &s->incout };
	static const char *const names[] = { "incidents.db", "incout.db" };
	return open_newer_dbs(s, META_INCIDENTS, fresh, daemon, dbs, names, 2);
}

#define META_REMOVED "removed"

static int open_removed_db(struct store *s, int fresh, int daemon)
{
	DB **const dbs[] = { &s->removed };
	static const char *const names[] = { "removed.db" };
	return open_newer_dbs(s, META_REMOVED, fresh, daemon, dbs, names, 1);
}

/* jobtasks.db came after the other databases: a store made before it has
 * none (and no job record that needs one). The daemon creates it there and
 * notes so in meta; from then on a missing one is damage like any other. A
 * tool on such an old store does without it. */
#define META_JOBTASKS "jobtasks"

static int open_jobtasks(struct store *s, int fresh, int may_create)
{
	uint32_t made = 0;
	if (!fresh && meta_get(s, META_JOBTASKS, &made) < 0)
		return -1;
	if (!fresh && !made && !may_create)
		return 0;
	if (open_db(s, &s->jobtasks, "jobtasks.db", fresh || !made))
		return -1;
	return made ? 0 : meta_put(s, META_JOBTASKS, 1);
}

static int open_store(const char *dir, int upgrade, struct store **out, char *err, size_t errlen)
{
	struct store *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->lock_fd = -1;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(s->err, sizeof(s->err), "cannot create state directory %s: %s", dir, strerror(errno));
		goto fail;
	}
	/* The stored configurations hold the devices' secrets whole (a restore
	 * or a deploy needs them): the directory stays private to its owner. */
	struct stat dst;
	if (stat(dir, &dst) == 0 && (dst.st_mode & 077) && dst.st_uid == geteuid())
		(void)chmod(dir, 0700);
	char lockpath[4096];
	snprintf(lockpath, sizeof(lockpath), "%s/resyncd.lock", dir);
	s->lock_fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0) {
		snprintf(s->err, sizeof(s->err), "cannot open %s: %s", lockpath, strerror(errno));
		goto fail;
	}
	/* Every process holds the lock shared while it uses the store. Only one
	 * that gets it exclusively (nobody else is in) runs recovery, then
	 * shares it; the others join without recovery, which would otherwise
	 * corrupt a live environment. */
	int owner = flock(s->lock_fd, LOCK_EX | LOCK_NB) == 0;
	if (!owner && flock(s->lock_fd, LOCK_SH) < 0) {
		snprintf(s->err, sizeof(s->err), "cannot lock %s: %s", lockpath, strerror(errno));
		goto fail;
	}
	int rc = db_env_create(&s->env, 0);
	if (rc) {
		fail(s, "environment", rc);
		goto fail;
	}
	s->env->app_private = s;
	s->env->set_errcall(s->env, on_db_error);
	/* Log files are removed once checkpointed; the store stays small. */
	s->env->log_set_config(s->env, DB_LOG_AUTO_REMOVE, 1);
	/* A tool's cursors and the daemon's transaction can wait on each other;
	 * without a detector both would wait for ever. Run it on every
	 * conflict and fail the locker with the fewest write locks: a reader,
	 * which store_load_retrying() repeats, never the daemon's commit. */
	s->env->set_lk_detect(s->env, DB_LOCK_MINWRITE);
	u_int32_t flags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL;
	if (owner)
		flags |= DB_RECOVER;
	rc = s->env->open(s->env, dir, flags, 0600);
	if (rc) {
		fail(s, dir, rc);
		goto fail;
	}
	int fresh;
	if (open_db(s, &s->meta, "meta.db", 1) || (fresh = check_format(s)) < 0 ||
	    (owner && upgrade && !fresh && store_upgrade(s) < 0))
		goto fail;
	if (owner)
		flock(s->lock_fd, LOCK_SH); /* converts: others may join now */
	if (open_db(s, &s->devices, "devices.db", fresh) || open_db(s, &s->jobs, "jobs.db", fresh) ||
	    open_db(s, &s->settings, "settings.db", fresh) || open_db(s, &s->cfgmeta, "cfgmeta.db", fresh) ||
	    open_db(s, &s->cfgtext, "cfgtext.db", fresh) || open_incident_dbs(s, fresh, owner && upgrade) ||
	    open_jobtasks(s, fresh, owner && upgrade) ||
	    open_removed_db(s, fresh, owner && upgrade))
		goto fail;
	s->upgrades = owner && upgrade;
	*out = s;
	return 0;
fail:
	snprintf(err, errlen, "%s", s->err);
	store_close(s);
	return -1;
}

int store_open(const char *dir, struct store **out, char *err, size_t errlen)
{
	return open_store(dir, 1, out, err, errlen);
}

int store_open_tool(const char *dir, struct store **out, char *err, size_t errlen)
{
	return open_store(dir, 0, out, err, errlen);
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->txn)
		store_abort(s);
	DB **dbs[] = { &s->removed, &s->incout, &s->incidents, &s->cfgtext, &s->cfgmeta, &s->settings, &s->jobtasks, &s->jobs,
		       &s->devices, &s->meta };
	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++)
		if (*dbs[i])
			(*dbs[i])->close(*dbs[i], 0);
	if (s->env) {
		s->env->txn_checkpoint(s->env, 0, 0, 0);
		s->env->close(s->env, 0);
	}
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s);
}

const char *store_error(const struct store *s)
{
	return s->err;
}

int store_checkpoint(struct store *s)
{
	int rc = s->env->txn_checkpoint(s->env, 0, 0, 0);
	if (rc)
		return fail(s, "checkpoint", rc);
	/* DB_LOG_AUTO_REMOVE acts when a log file fills; this also removes the
	 * current run's old files right after the checkpoint that freed them. */
	rc = s->env->log_archive(s->env, NULL, DB_ARCH_REMOVE);
	return rc ? fail(s, "log removal", rc) : 0;
}

uint64_t store_log_since_checkpoint(struct store *s)
{
	DB_LOG_STAT *st = NULL;
	if (s->env->log_stat(s->env, &st, 0) != 0 || !st)
		return 0;
	uint64_t n = (uint64_t)st->st_wc_mbytes * 1024 * 1024 + st->st_wc_bytes;
	free(st);
	return n;
}

int store_begin(struct store *s)
{
	if (s->txn)
		return 0;
	int rc = s->env->txn_begin(s->env, NULL, &s->txn, 0);
	return rc ? fail(s, "begin", rc) : 0;
}

int store_commit(struct store *s)
{
	if (!s->txn)
		return 0;
	int rc = s->txn->commit(s->txn, 0);
	s->txn = NULL;
	return rc ? fail(s, "commit", rc) : 0;
}

void store_abort(struct store *s)
{
	if (s->txn)
		s->txn->abort(s->txn);
	s->txn = NULL;
}

/* How often a deadlock victim repeats, and the pause before the next try
 * (doubling from 1 ms): the other side holds its locks for one commit. */
#define STORE_BUSY_TRIES 12

static void busy_pause(int attempt)
{
	struct timespec ts = { 0, (1000000L << (attempt < 8 ? attempt : 8)) };
	nanosleep(&ts, NULL);
}

int store_busy(const struct store *s)
{
	return s->busy;
}

int store_txn(struct store *s, int (*body)(struct store *s, void *ctx), void *ctx)
{
	for (int attempt = 0;; attempt++) {
		s->busy = 0;
		if (store_begin(s) == 0 && body(s, ctx) == 0 && store_commit(s) == 0)
			return 0;
		store_abort(s);
		if (!s->busy || attempt + 1 == STORE_BUSY_TRIES)
			return -1;
		busy_pause(attempt);
	}
}

uint64_t store_lock_waits(struct store *s)
{
	DB_LOCK_STAT *st = NULL;
	if (s->env->lock_stat(s->env, &st, 0) || !st)
		return 0;
	uint64_t n = st->st_lock_wait;
	free(st);
	return n;
}

/* Writes in the open transaction, or in one of its own. */
static int put(struct store *s, DB *db, const void *k, size_t klen, const void *v, size_t vlen)
{
	DBT key, val;
	memset(&key, 0, sizeof(key));
	memset(&val, 0, sizeof(val));
	key.data = (void *)k;
	key.size = (u_int32_t)klen;
	val.data = (void *)v;
	val.size = (u_int32_t)vlen;
	int rc = db->put(db, s->txn, &key, &val, s->txn ? 0 : DB_AUTO_COMMIT);
	if (rc)
		return fail(s, "put", rc);
	s->bytes_written += klen + vlen;
	return 0;
}

static int del(struct store *s, DB *db, const void *k, size_t klen)
{
	DBT key;
	memset(&key, 0, sizeof(key));
	key.data = (void *)k;
	key.size = (u_int32_t)klen;
	int rc = db->del(db, s->txn, &key, s->txn ? 0 : DB_AUTO_COMMIT);
	return rc && rc != DB_NOTFOUND ? fail(s, "delete", rc) : 0;
}

static int put_encoded(struct store *s, DB *db, uint32_t id, struct wbuf *w)
{
	uint32_t key = htonl(id);
	int rc = w->err ? -1 : put(s, db, &key, sizeof(key), w->p, w->n);
	free(w->p);
	return rc;
}

int store_put_device(struct store *s, const struct device *d)
{
	struct wbuf w = { 0 };
	encode_device(&w, d);
	return put_encoded(s, s->devices, d->index, &w);
}

int store_del_device(struct store *s, uint32_t index)
{
	uint32_t key = htonl(index);
	return del(s, s->devices, &key, sizeof(key));
}

/* Keys of two big-endian numbers, (job, position) or (device, version), so
 * a cursor walks one job's tasks or one device's versions in order. */
static void pair_key(uint8_t key[8], uint32_t first, uint32_t second)
{
	uint32_t a = htonl(first), b = htonl(second);
	memcpy(key, &a, 4);
	memcpy(key + 4, &b, 4);
}

/* A cursor on db and a key DBT over k (a pair_key), for DB_SET_RANGE walks. */
static int range_cursor(struct store *s, DB *db, uint8_t k[8], DBC **c, DBT *key, DBT *val)
{
	int rc = db->cursor(db, s->txn, c, 0);
	if (rc)
		return fail(s, "cursor", rc);
	memset(key, 0, sizeof(*key));
	memset(val, 0, sizeof(*val));
	key->data = k;
	key->size = key->ulen = 8;
	key->flags = DB_DBT_USERMEM;
	return 0;
}

int store_put_job(struct store *s, const struct job *j)
{
	struct wbuf w = { 0 };
	encode_job(&w, j);
	return put_encoded(s, s->jobs, j->id, &w);
}

int store_put_task(struct store *s, const struct job *j, uint32_t seq)
{
	if (seq < 1 || seq > j->ntasks)
		return 0;
	if (!s->jobtasks) {
		snprintf(s->err, sizeof(s->err), "jobtasks.db: not open (a tool on a store from before it)");
		return -1;
	}
	uint8_t key[8];
	pair_key(key, j->id, seq);
	struct wbuf w = { 0 };
	encode_task(&w, j, &j->tasks[seq - 1]);
	int rc = w.err ? -1 : put(s, s->jobtasks, key, sizeof(key), w.p, w.n);
	free(w.p);
	return rc;
}

int store_put_job_tasks(struct store *s, const struct job *j)
{
	int rc = store_put_job(s, j);
	for (uint32_t i = 1; rc == 0 && i <= j->ntasks; i++)
		rc = store_put_task(s, j, i);
	return rc;
}

/* Deletes every task row of a job: a cursor walk over its key range. */
static int del_tasks(struct store *s, uint32_t id)
{
	DBC *c;
	DBT key, val;
	uint8_t k[8];
	pair_key(k, id, 0);
	if (!s->jobtasks)
		return 0; /* an old store opened by a tool: no task rows anywhere */
	int rc = range_cursor(s, s->jobtasks, k, &c, &key, &val);
	if (rc)
		return rc;
	val.flags = DB_DBT_PARTIAL; /* keys only */
	uint32_t be = htonl(id);
	for (rc = c->get(c, &key, &val, DB_SET_RANGE); rc == 0 && memcmp(k, &be, 4) == 0;
	     rc = c->get(c, &key, &val, DB_NEXT))
		if ((rc = c->del(c, 0)) != 0)
			break;
	c->close(c);
	return rc && rc != DB_NOTFOUND ? fail(s, "delete", rc) : 0;
}

int store_del_job(struct store *s, uint32_t id)
{
	uint32_t key = htonl(id);
	int rc = del(s, s->jobs, &key, sizeof(key));
	return rc ? rc : del_tasks(s, id);
}

uint64_t store_bytes_written(const struct store *s)
{
	return s ? s->bytes_written : 0;
}

/* A pseudo setting id in the settings record: which settings snmpset changed.
 * A release that does not know it skips it like any unknown setting. */
#define SETTINGS_OPERATOR_ID 0xffffffffu

int store_put_settings(struct store *s, const struct settings *st)
{
	struct wbuf w = { 0 };
	w_u8(&w, REC_FORMAT);
	w_u32(&w, SET_COUNT + 1);
	for (int i = 0; i < SET_COUNT; i++) {
		w_u32(&w, (uint32_t)i);
		w_u64(&w, (uint64_t)settings_get(st, (enum setting_id)i));
	}
	w_u32(&w, SETTINGS_OPERATOR_ID);
	w_u64(&w, st->set_by_operator);
	int rc = w.err ? -1 : put(s, s->settings, "settings", 8, w.p, w.n);
	free(w.p);
	return rc;
}

/* Calls fn for every record of db, in key order. */
static int each(struct store *s, DB *db, int (*fn)(struct rbuf *r, void *ctx), void *ctx)
{
	DBC *c;
	int rc = db->cursor(db, NULL, &c, 0);
	if (rc)
		return fail(s, "cursor", rc);
	DBT key, val;
	memset(&key, 0, sizeof(key));
	memset(&val, 0, sizeof(val));
	int ret = 0;
	while ((rc = c->get(c, &key, &val, DB_NEXT)) == 0) {
		struct rbuf r = { val.data, (const uint8_t *)val.data + val.size, 0 };
		if (fn(&r, ctx) < 0)
			ret = -1;
	}
	c->close(c);
	if (rc != DB_NOTFOUND) {
		const char *name = NULL, *dbname = NULL;
		db->get_dbname(db, &name, &dbname);
		return damaged(s, name ? name : "a database", rc) - 1;
	}
	return ret;
}

/* Reads the task rows of a format-2 job record: ntasks of them, in order. */
static int load_tasks(struct store *s, struct job *j)
{
	j->tasks = calloc(j->ntasks ? j->ntasks : 1, sizeof(*j->tasks));
	if (!j->tasks)
		return -1;
	if (j->ntasks == 0)
		return 0;
	DBC *c;
	DBT key, val;
	uint8_t k[8];
	pair_key(k, j->id, 1);
	if (!s->jobtasks || range_cursor(s, s->jobtasks, k, &c, &key, &val) < 0)
		return -1;
	uint32_t seq = 0;
	int rc;
	for (rc = c->get(c, &key, &val, DB_SET_RANGE); rc == 0 && seq < j->ntasks;
	     rc = c->get(c, &key, &val, DB_NEXT)) {
		uint32_t kid, kseq;
		memcpy(&kid, k, 4);
		memcpy(&kseq, k + 4, 4);
		if (ntohl(kid) != j->id || ntohl(kseq) != seq + 1)
			break;
		struct rbuf r = { val.data, (const uint8_t *)val.data + val.size, 0 };
		if (decode_task(&r, &j->tasks[seq]) < 0)
			break;
		seq++;
	}
	c->close(c);
	if (is_lock_conflict(rc))
		return fail(s, "jobtasks.db", rc); /* store_load_retrying() repeats */
	return seq == j->ntasks ? 0 : -1;
}

struct load_ctx {
	struct store *s;
	struct model *m;
	uint32_t *old_jobs;              /* format-1 records to rewrite */
	size_t nold, capold;
};

static void free_tasks(struct job *j)
{
	for (uint32_t i = 0; j->tasks && i < j->ntasks; i++)
		model_istr_set(&j->tasks[i].reason, NULL, 0);
	free(j->tasks);
	j->tasks = NULL;
}

static int load_job(struct rbuf *r, void *arg)
{
	struct load_ctx *ctx = arg;
	struct job tmp;
	int format;
	if (decode_job(r, &tmp, &format) < 0)
		return -1;
	if (format == JOB_REC_FORMAT && load_tasks(ctx->s, &tmp) < 0) {
		free_tasks(&tmp);
		return -1;
	}
	struct job *j = model_job_restore(ctx->m, &tmp);
	free_tasks(&tmp);
	if (!j)
		return -1;
	if (format == REC_FORMAT) {
		if (ctx->nold == ctx->capold) {
			size_t cap = ctx->capold ? ctx->capold * 2 : 64;
			uint32_t *v = realloc(ctx->old_jobs, cap * sizeof(*v));
			if (!v)
				return 0; /* stays in the old form until it is saved whole */
			ctx->old_jobs = v;
			ctx->capold = cap;
		}
		ctx->old_jobs[ctx->nold++] = j->id;
	}
	return 0;
}

/* Rewrites format-1 job records (tasks inline) as a header and task rows,
 * in one transaction: a later header-only write must find its tasks. */
static int upgrade_jobs(struct store *s, struct model *m, const uint32_t *ids, size_t n)
{
	if (n == 0)
		return 0;
	if (store_begin(s) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct job *j = model_job_by_id(m, ids[i]);
		if (j && store_put_job_tasks(s, j) < 0) {
			store_abort(s);
			return -1;
		}
	}
	return store_commit(s);
}

static int load_retained(struct rbuf *r, void *ctx);

/* The settings record into st; 1 if it was read whole. */
static int decode_settings(struct rbuf *r, struct settings *st)
{
	if (r_u8(r) != REC_FORMAT)
		return 0;
	uint32_t n = r_u32(r);
	/* A record from before the operator mask: every stored value wins, as
	 * it did then. */
	uint32_t by_operator = SETTING_ALL_BITS;
	for (uint32_t i = 0; i < n && !r->err; i++) {
		uint32_t id = r_u32(r);
		int64_t v = (int64_t)r_u64(r);
		/* Unknown or out-of-range values keep the default. */
		if (r->err)
			break;
		if (id == SETTINGS_OPERATOR_ID)
			by_operator = (uint32_t)v & SETTING_ALL_BITS;
		else
			settings_set(st, (enum setting_id)id, v, NULL);
	}
	st->set_by_operator = by_operator;
	return !r->err;
}

int store_load(struct store *s, struct model *m, int *have_settings)
{
	*have_settings = 0;
	DBT key = { .data = "settings", .size = 8 };
	DBT val;
	memset(&val, 0, sizeof(val));
	int rc = s->settings->get(s->settings, NULL, &key, &val, 0);
	if (rc == 0) {
		struct rbuf r = { val.data, (const uint8_t *)val.data + val.size, 0 };
		*have_settings = decode_settings(&r, &m->settings);
	} else if (rc != DB_NOTFOUND) {
		return damaged(s, "settings.db", rc) - 1;
	}
	int ret = 0, rc2;
	if ((rc2 = each(s, s->devices, load_device, m)) < -1)
		return -2;
	if (rc2 < 0) {
		snprintf(s->err, sizeof(s->err), "some device records could not be read");
		ret = -1;
	}
	if ((rc2 = s->removed ? each(s, s->removed, load_retained, m) : 0) < -1)
		return -2;
	if (rc2 < 0) {
		snprintf(s->err, sizeof(s->err), "some removed-device records could not be read");
		ret = -1;
	}
	struct load_ctx ctx = { .s = s, .m = m };
	if ((rc2 = each(s, s->jobs, load_job, &ctx)) < -1) {
		free(ctx.old_jobs);
		return -2;
	}
	if (rc2 < 0) {
		snprintf(s->err, sizeof(s->err), "some job records could not be read");
		ret = -1;
	}
	if (s->upgrades && upgrade_jobs(s, m, ctx.old_jobs, ctx.nold) < 0)
		ret = -1;
	free(ctx.old_jobs);
	return ret;
}

int store_load_retrying(struct store *s, struct model *m, int *have_settings)
{
	for (int attempt = 0;; attempt++) {
		s->busy = 0;
		int rc = store_load(s, m, have_settings);
		if (rc == 0 || !s->busy || attempt + 1 == STORE_BUSY_TRIES)
			return rc;
		model_free(m);
		model_init(m);
		busy_pause(attempt);
	}
}

/* ---- removed devices' kept history ------------------------------------- */

int store_put_retained(struct store *s, const struct retained *r)
{
	if (!s->removed) {
		snprintf(s->err, sizeof(s->err), "removed.db is not open (a tool's store)");
		return -1;
	}
	struct wbuf w = { 0 };
	w_u8(&w, REC_FORMAT);
	w_u32(&w, r->index);
	w_str(&w, r->name);
	w_u64(&w, (uint64_t)r->removed);
	w_u32(&w, r->config_version);
	w_u32(&w, r->intended_version);
	return put_encoded(s, s->removed, r->index, &w);
}

int store_del_retained(struct store *s, uint32_t index)
{
	if (!s->removed)
		return 0;
	uint32_t key = htonl(index);
	return del(s, s->removed, &key, sizeof(key));
}

static int load_retained(struct rbuf *r, void *ctx)
{
	struct model *m = ctx;
	char name[RS_NAME_MAX];
	if (r_u8(r) != REC_FORMAT)
		return -1;
	uint32_t index = r_u32(r);
	r_str(r, name, sizeof(name));
	rs_time_t removed = (rs_time_t)r_u64(r);
	uint32_t cv = r_u32(r), iv = r_u32(r);
	if (r->err || index == 0 || !*name || model_device_by_index(m, index))
		return -1;
	return model_retain(m, index, name, removed, cv, iv) ? 0 : -1;
}

/* ---- configuration archive ----------------------------------------------- */


int store_config_put(struct store *s, const struct config_meta *meta, const char *text, size_t len)
{
	uint8_t key[8];
	pair_key(key, meta->device, meta->version);
	struct wbuf w = { 0 };
	encode_meta(&w, meta);
	int own = !s->txn;
	if (own && store_begin(s) < 0) {
		free(w.p);
		return -1;
	}
	int rc = w.err ? -1 : put(s, s->cfgmeta, key, sizeof(key), w.p, w.n);
	if (rc == 0)
		rc = put(s, s->cfgtext, key, sizeof(key), text, len);
	free(w.p);
	if (own) {
		if (rc == 0)
			return store_commit(s);
		store_abort(s);
	}
	return rc;
}

int store_config_get(struct store *s, uint32_t device, uint32_t version, struct config_meta *meta,
		     char **text, size_t *len)
{
	uint8_t k[8];
	pair_key(k, device, version);
	DBT key, val;
	memset(&key, 0, sizeof(key));
	memset(&val, 0, sizeof(val));
	key.data = k;
	key.size = sizeof(k);
	int rc = s->cfgmeta->get(s->cfgmeta, s->txn, &key, &val, 0);
	if (rc == DB_NOTFOUND)
		return 1;
	if (rc)
		return fail(s, "config", rc);
	struct rbuf r = { val.data, (const uint8_t *)val.data + val.size, 0 };
	if (meta && decode_meta(&r, meta) < 0) {
		snprintf(s->err, sizeof(s->err), "configuration record %u/%u unreadable", device, version);
		return -1;
	}
	if (!text)
		return 0;
	memset(&val, 0, sizeof(val));
	val.flags = DB_DBT_MALLOC;
	rc = s->cfgtext->get(s->cfgtext, s->txn, &key, &val, 0);
	if (rc)
		return rc == DB_NOTFOUND ? 1 : fail(s, "config", rc);
	char *t = realloc(val.data, val.size + 1);
	if (!t) {
		free(val.data);
		return -1;
	}
	t[val.size] = '\0';
	*text = t;
	if (len)
		*len = val.size;
	return 0;
}

int store_config_list(struct store *s, uint32_t device, struct config_meta **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	DBC *c;
	DBT key, val;
	uint8_t k[8];
	pair_key(k, device, 0);
	int rc = range_cursor(s, s->cfgmeta, k, &c, &key, &val);
	if (rc)
		return rc;
	size_t cap = 0;
	int ret = 0;
	for (rc = c->get(c, &key, &val, DB_SET_RANGE); rc == 0; rc = c->get(c, &key, &val, DB_NEXT)) {
		struct config_meta m;
		struct rbuf r = { val.data, (const uint8_t *)val.data + val.size, 0 };
		if (decode_meta(&r, &m) < 0 || m.device != device)
			break;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct config_meta *v = realloc(*out, cap * sizeof(*v));
			if (!v) {
				ret = -1;
				break;
			}
			*out = v;
		}
		(*out)[(*n)++] = m;
	}
	if (rc && rc != DB_NOTFOUND)
		ret = fail(s, "cursor", rc);
	c->close(c);
	return ret;
}

int store_config_del(struct store *s, uint32_t device, uint32_t version)
{
	uint8_t key[8];
	pair_key(key, device, version);
	int rc = del(s, s->cfgmeta, key, sizeof(key));
	return rc ? rc : del(s, s->cfgtext, key, sizeof(key));
}

/* ---- incidents -------------------------------------------------------------- */

static void encode_incident(struct wbuf *w, const struct incident *i)
{
	w_u8(w, REC_FORMAT);
	w_u32(w, i->id);
	w_u32(w, i->device);
	w_str(w, i->profile);
	w_str(w, i->tag);
	w_str(w, i->detail);
	w_u8(w, (uint8_t)(i->severity + 1));
	w_u64(w, (uint64_t)i->first_seen);
	w_u64(w, (uint64_t)i->last_seen);
	w_u64(w, (uint64_t)i->closed_at);
	w_u64(w, i->count);
	w_u8(w, (uint8_t)i->state);
	w_u8(w, (uint8_t)i->closed_by);
	w_str(w, i->text);
	w_u32(w, i->capture_job);
	w_u8(w, (uint8_t)i->capture);
	w_u32(w, i->capture_len);
}

static int decode_incident(struct rbuf *r, struct incident *i)
{
	memset(i, 0, sizeof(*i));
	if (r_u8(r) != REC_FORMAT)
		return -1;
	i->id = r_u32(r);
	i->device = r_u32(r);
	r_str(r, i->profile, sizeof(i->profile));
	r_str(r, i->tag, sizeof(i->tag));
	r_str(r, i->detail, sizeof(i->detail));
	i->severity = (int)r_u8(r) - 1;
	i->first_seen = (rs_time_t)r_u64(r);
	i->last_seen = (rs_time_t)r_u64(r);
	i->closed_at = (rs_time_t)r_u64(r);
	i->count = r_u64(r);
	i->state = (enum incident_state)r_u8(r);
	i->closed_by = (enum incident_closed_by)r_u8(r);
	r_str(r, i->text, sizeof(i->text));
	i->capture_job = r_u32(r);
	i->capture = (enum capture_state)r_u8(r);
	i->capture_len = r_u32(r);
	if (r->err || !valid_enum(i->state, INC_CLOSED) || !valid_enum(i->closed_by, INC_BY_QUIET_PERIOD) ||
	    !valid_enum(i->capture, CAPTURE_FAILED) || i->severity > 7)
		return -1;
	return 0;
}

/* Incident records of a store a tool opened before the daemon added them. */
static int no_incidents(struct store *s)
{
	snprintf(s->err, sizeof(s->err), "this store has no incident databases yet (the daemon adds them)");
	return -1;
}

int store_put_incident(struct store *s, const struct incident *i)
{
	if (!s->incidents)
		return no_incidents(s);
	struct wbuf w = { 0 };
	encode_incident(&w, i);
	return put_encoded(s, s->incidents, i->id, &w);
}

int store_del_incident(struct store *s, uint32_t id)
{
	if (!s->incidents)
		return no_incidents(s);
	uint32_t key = htonl(id);
	if (del(s, s->incout, &key, sizeof(key)) < 0)
		return -1;
	return del(s, s->incidents, &key, sizeof(key));
}

static int load_incident(struct rbuf *r, void *ctx)
{
	struct incident tmp;
	if (decode_incident(r, &tmp) < 0)
		return -1;
	return incident_restore(ctx, &tmp) ? 0 : -1;
}

int store_load_incidents(struct store *s, struct incidents *inc)
{
	if (!s->incidents)
		return 0;
	if (each(s, s->incidents, load_incident, inc) < 0) {
		snprintf(s->err, sizeof(s->err), "some incident records could not be read");
		return -1;
	}
	return 0;
}

int store_get_incident(struct store *s, uint32_t id, struct incident *inc)
{
	uint32_t key = htonl(id);
	DBT k = { .data = &key, .size = sizeof(key) }, v;
	memset(&v, 0, sizeof(v));
	if (!s->incidents)
		return 1;
	int rc = s->incidents->get(s->incidents, NULL, &k, &v, 0);
	if (rc == DB_NOTFOUND)
		return 1;
	if (rc)
		return fail(s, "incidents", rc);
	struct rbuf r = { v.data, (const uint8_t *)v.data + v.size, 0 };
	if (decode_incident(&r, inc) < 0) {
		snprintf(s->err, sizeof(s->err), "incident %u: unreadable record", id);
		return -1;
	}
	return 0;
}

int store_put_capture(struct store *s, uint32_t id, const char *text, size_t len)
{
	if (!s->incout)
		return no_incidents(s);
	uint32_t key = htonl(id);
	struct wbuf w = { 0 };
	w_u8(&w, REC_FORMAT);
	w_bytes(&w, text, len);
	int rc = w.err ? -1 : put(s, s->incout, &key, sizeof(key), w.p, w.n);
	free(w.p);
	return rc;
}

int store_get_capture(struct store *s, uint32_t id, char **text, size_t *len)
{
	uint32_t key = htonl(id);
	DBT k = { .data = &key, .size = sizeof(key) }, v;
	memset(&v, 0, sizeof(v));
	*text = NULL;
	*len = 0;
	if (!s->incout)
		return 1;
	int rc = s->incout->get(s->incout, NULL, &k, &v, 0);
	if (rc == DB_NOTFOUND)
		return 1;
	if (rc)
		return fail(s, "incout", rc);
	if (v.size < 1 || ((const uint8_t *)v.data)[0] != REC_FORMAT) {
		snprintf(s->err, sizeof(s->err), "incident %u: unreadable captured output", id);
		return -1;
	}
	*text = malloc(v.size);
	if (!*text)
		return fail(s, "incout", ENOMEM);
	*len = v.size - 1;
	memcpy(*text, (const char *)v.data + 1, *len);
	(*text)[*len] = '\0';
	return 0;
}
