/* test_store.c: the Berkeley DB store: round trips, the format number,
 * crash safety under SIGKILL, and J5 restart through the real loop. */
#include "testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "loop.h"
#include "store.h"

static struct store *open_or_fail(const char *dir)
{
	struct store *s = NULL;
	char err[256];
	if (store_open(dir, &s, err, sizeof(err)) < 0)
		fail_msg("store_open: %s", err);
	return s;
}

/* Writes one record into db of the store in dir as another release would,
 * with db_load (db-util); 0 on success. */
static int db_load_record(const char *dir, const char *db, const char *key_hex, const char *val_hex)
{
	char cmd[1400];
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && printf 'VERSION=3\\nformat=bytevalue\\ntype=btree\\nHEADER=END\\n %s\\n %s\\nDATA=END\\n'"
		 " | db_load -h . %s 2>/dev/null", dir, key_hex, val_hex, db);
	return system(cmd);
}

/* A new store in a fresh temporary directory (*dir) and an empty model. */
static struct store *new_store(char **dir, struct model *m)
{
	*dir = testutil_tmpdir();
	struct store *s = open_or_fail(*dir);
	model_init(m);
	return s;
}

/* Opens the store in dir and loads it into m (initialised here): the load
 * must succeed. */
static struct store *open_and_load(const char *dir, struct model *m, int *have)
{
	struct store *s = open_or_fail(dir);
	model_init(m);
	assert_int_equal(store_load(s, m, have), 0);
	return s;
}

/* Closes m and s, reopens dir and loads it into m afresh. */
static struct store *reopen_and_load(const char *dir, struct store *s, struct model *m, int *have)
{
	model_free(m);
	store_close(s);
	return open_and_load(dir, m, have);
}

/* A loop over the store in dir (opened here) and cfg. */
static struct store *open_loop(const char *dir, struct loop *l, const struct config *cfg)
{
	struct store *s = open_or_fail(dir);
	assert_int_equal(loop_init(l, s, cfg, NULL), 0);
	return s;
}

static rs_time_t fake_now;
static rs_time_t fake_clock(void)
{
	return fake_now;
}

/* A loop over a new store in a fresh temporary directory (*dir), restored
 * (nothing to restore); on the fake clock set to now unless now is 0. */
static struct store *new_loop(char **dir, struct loop *l, rs_time_t now)
{
	*dir = testutil_tmpdir();
	struct store *s = open_loop(*dir, l, NULL);
	if (now) {
		l->clock = fake_clock;
		fake_now = now;
	}
	loop_restore(l);
	return s;
}

/* The end of a test: m (if any) and s closed, dir removed and freed. */
static void close_and_remove(char *dir, struct store *s, struct model *m)
{
	if (m)
		model_free(m);
	store_close(s);
	testutil_rmrf(dir);
	free(dir);
}

static void test_store_round_trip_devices_jobs_settings(void **state)
{
	(void)state;
	char *dir;
	struct model m;
	struct store *s = new_store(&dir, &m);
	struct device *d = model_device_add(&m, 7, "r7.lab", "2001:db8::7", 1);
	d->managed_status = MS_OUT_OF_SYNC;
	model_istr_set(&d->last_commit_user, "alice", RS_USER_MAX);
	model_str_set(&d->last_commit_comment, "bgp: new peer", RS_COMMENT_MAX);
	d->commit_count = 42;
	d->from_config = true;
	d->intended_version = 3;
	d->intended_time = 777;
	memset(d->intended_file_sha, 0xab, sizeof(d->intended_file_sha));
	d->status_before = MS_MANAGER_CHANGED;
	d->rollback_expected_until = 888;
	uint32_t devs[] = { 7 };
	struct job *j = model_job_new(&m, JOB_MANUAL_RESYNC, "bob", devs, 1, 12345);
	snprintf(j->summary, sizeof(j->summary), "scheduled");
	m.settings.auto_resync_wait_secs = 99;
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_put_device(s, d), 0);
	assert_int_equal(store_put_job_tasks(s, j), 0);
	assert_int_equal(store_put_settings(s, &m.settings), 0);
	assert_int_equal(store_commit(s), 0);
	int have;
	s = reopen_and_load(dir, s, &m, &have);
	assert_true(have);
	assert_int_equal(m.settings.auto_resync_wait_secs, 99);
	d = model_device_by_name(&m, "R7.LAB");
	assert_non_null(d);
	assert_int_equal(d->index, 7);
	assert_string_equal(d->address, "2001:db8::7");
	assert_int_equal(d->managed_status, MS_OUT_OF_SYNC);
	assert_int_equal(m.status_count[MS_OUT_OF_SYNC], 1);
	assert_string_equal(d->last_commit_comment, "bgp: new peer");
	assert_int_equal(d->commit_count, 42);
	assert_true(d->from_config);
	assert_int_equal(d->intended_version, 3);
	assert_true(d->intended_time == 777);
	assert_int_equal(d->intended_file_sha[31], 0xab);
	assert_int_equal(d->status_before, MS_MANAGER_CHANGED);
	assert_true(d->rollback_expected_until == 888);
	j = model_job_by_id(&m, 1);
	assert_non_null(j);
	assert_string_equal(j->user, "bob");
	assert_int_equal(j->ntasks, 1);
	assert_int_equal(j->tasks[0].device, 7);
	assert_true(j->scheduled_start == 12345);
	assert_int_equal(j->tasks[0].state, TASK_PENDING);
	assert_int_equal(m.next_job_id, 2);
	close_and_remove(dir, s, &m);
}

static void test_store_aborted_transaction_leaves_nothing(void **state)
{
	(void)state;
	char *dir;
	struct model m;
	struct store *s = new_store(&dir, &m);
	struct device *d = model_device_add(&m, 1, "r1", "192.0.2.1", 1);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_put_device(s, d), 0);
	store_abort(s);
	model_free(&m);
	model_init(&m);
	int have;
	assert_int_equal(store_load(s, &m, &have), 0);
	assert_int_equal(m.ndevices, 0);
	close_and_remove(dir, s, &m);
}

static void test_store_config_versions(void **state)
{
	(void)state;
	char *dir = testutil_tmpdir();
	struct store *s = open_or_fail(dir);
	for (uint32_t v = 1; v <= 3; v++) {
		struct config_meta meta = { .device = 5, .version = v, .fetched = v, .size = 6 };
		snprintf(meta.commit_user, sizeof(meta.commit_user), "u%u", v);
		char text[16];
		snprintf(text, sizeof(text), "conf %u", v);
		assert_int_equal(store_config_put(s, &meta, text, strlen(text)), 0);
	}
	struct config_meta other = { .device = 6, .version = 1 };
	assert_int_equal(store_config_put(s, &other, "x", 1), 0);
	struct config_meta *list;
	size_t n;
	assert_int_equal(store_config_list(s, 5, &list, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(list[2].version, 3);
	assert_string_equal(list[1].commit_user, "u2");
	free(list);
	char *text;
	size_t len;
	struct config_meta meta;
	assert_int_equal(store_config_get(s, 5, 2, &meta, &text, &len), 0);
	assert_string_equal(text, "conf 2");
	free(text);
	assert_int_equal(store_config_del(s, 5, 2), 0);
	assert_int_equal(store_config_get(s, 5, 2, &meta, &text, &len), 1);
	close_and_remove(dir, s, NULL);
}

static void test_store_refuses_newer_format(void **state)
{
	(void)state;
	char *dir = testutil_tmpdir();
	struct store *s = open_or_fail(dir);
	store_close(s);
	/* Rewrite the format record as a future release would. */
	if (db_load_record(dir, "meta.db", "666f726d6174", "00000063") != 0)
		skip(); /* db_load missing: install-deps brings db-util */
	char err[256];
	assert_int_equal(store_open(dir, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "store format 99"));
	testutil_rmrf(dir);
	free(dir);
}

/* Issue 12 item 6: the stored configurations hold secrets whole, so the
 * state directory is made, or tightened to, 0700. */
static void test_store_state_directory_is_private(void **state)
{
	(void)state;
	char *dir = testutil_tmpdir();
	struct stat st;
	assert_int_equal(chmod(dir, 0755), 0);
	struct store *s = open_or_fail(dir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	close_and_remove(dir, s, NULL);
}

/* A store with n devices (enough for several pages), closed. */
static char *store_with_devices(int n)
{
	char *dir;
	struct model m;
	struct store *s = new_store(&dir, &m);
	assert_int_equal(store_begin(s), 0);
	for (int i = 1; i <= n; i++) {
		char name[32], addr[32];
		snprintf(name, sizeof(name), "r%d.lab", i);
		snprintf(addr, sizeof(addr), "10.0.%d.%d", i / 250, i % 250 + 1);
		struct device *d = model_device_add(&m, (uint32_t)i, name, addr, 1);
		model_istr_set(&d->last_resync_reason, "a reason long enough to fill pages", RS_REASON_MAX);
		assert_int_equal(store_put_device(s, d), 0);
	}
	assert_int_equal(store_commit(s), 0);
	model_free(&m);
	store_close(s);
	return dir;
}

/* Overwrites pages 1 and 2 (of 4 KiB, libdb's page size here) of a file. */
static void overwrite_pages(const char *dir, const char *file)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	int fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	unsigned char junk[8192];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)(i * 131 + 7);
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 4096), (ssize_t)sizeof(junk));
	close(fd);
}

/* Opens and loads dir in a child (an unchecked store crashes inside libdb);
 * returns the child's exit status: 0 loaded, 3 refused with a message
 * naming file and a backup, else a crash or a silent success. */
static int open_load_in_child(const char *dir, const char *file, int want_devices)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *s = NULL;
		char err[1024] = "";
		struct model m;
		model_init(&m);
		int have, rc = store_open(dir, &s, err, sizeof(err)) < 0 ? -2 : 0;
		if (rc == 0) {
			rc = store_load(s, &m, &have); /* -1 (records skipped) is not a refusal */
			snprintf(err, sizeof(err), "%s", store_error(s));
		}
		if (rc == 0)
			_exit(m.ndevices == (uint32_t)want_devices ? 0 : 4);
		fprintf(stderr, "refused: %s\n", err);
		_exit(rc != -2 || !strstr(err, file) || !strstr(err, "damaged") || !strstr(err, "backup") ? 5 : 3);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void test_store_overwritten_page_is_refused_naming_the_file(void **state)
{
	(void)state;
	char *dir = store_with_devices(300);
	assert_int_equal(open_load_in_child(dir, "devices.db", 300), 0);
	overwrite_pages(dir, "devices.db");
	assert_int_equal(open_load_in_child(dir, "devices.db", 300), 3);
	testutil_rmrf(dir);
	free(dir);
}

static void test_store_truncated_or_missing_devices_db_is_refused(void **state)
{
	(void)state;
	char *dir = store_with_devices(300);
	char path[512];
	snprintf(path, sizeof(path), "%s/devices.db", dir);
	assert_int_equal(truncate(path, 8192), 0); /* half a file */
	assert_int_equal(open_load_in_child(dir, "devices.db", 300), 3);
	assert_int_equal(truncate(path, 0), 0);    /* emptied */
	assert_int_equal(open_load_in_child(dir, "devices.db", 300), 3);
	assert_int_equal(unlink(path), 0);         /* gone */
	assert_int_equal(open_load_in_child(dir, "devices.db", 300), 3);
	testutil_rmrf(dir);
	free(dir);
}

/* A store as format-1 releases made it (no page checksums: db_dump and
 * db_load rewrite each database so) is read as it is, given checksums by
 * the daemon's open, and a page overwritten after that is then refused. */
static void test_store_upgrade_gives_an_old_store_page_checksums(void **state)
{
	(void)state;
	char *dir = store_with_devices(300);
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && for f in devices jobs settings cfgmeta cfgtext; do"
		 " db_dump -h . $f.db > $f.dump && rm $f.db && db_load -h . $f.db < $f.dump || exit 1; done &&"
		 " rm meta.db && printf 'VERSION=3\nformat=bytevalue\ntype=btree\nHEADER=END\n 666f726d6174\n 00000001\nDATA=END\n'"
		 " | db_load -h . meta.db && rm -f __db.* 2>/dev/null", dir);
	if (system(cmd) != 0)
		skip(); /* db_dump/db_load missing: install-deps brings db-util */
	/* A tool reads the old store without changing it. */
	struct store *s = NULL;
	char err[1024];
	assert_int_equal(store_open_tool(dir, &s, err, sizeof(err)), 0);
	store_close(s);
	/* The daemon's open upgrades; every record is still there. */
	assert_int_equal(open_load_in_child(dir, "devices.db", 300), 0);
	overwrite_pages(dir, "devices.db");
	assert_int_equal(open_load_in_child(dir, "devices.db", 300), 3);
	testutil_rmrf(dir);
	free(dir);
}

/* A row made at 4294967295 (createAndGo) and devices added after it: no
 * index 0, no refusal while an index is free, and after a restart every
 * device has the index it had (the daemon and --dump-state agree). */
static void test_device_index_never_wraps_or_moves(void **state)
{
	(void)state;
	char *dir;
	struct model m;
	struct store *s = new_store(&dir, &m);
	assert_non_null(model_device_add(&m, 1, "r1", "10.0.0.1", 1));
	assert_non_null(model_device_add(&m, 3, "r3", "10.0.0.3", 1));
	assert_non_null(model_device_add(&m, UINT32_MAX, "top", "10.0.0.9", 1));
	struct device *a = model_device_add(&m, 0, "a", "10.0.1.1", 1);
	struct device *b = model_device_add(&m, 0, "b", "10.0.1.2", 1);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->index, 2); /* the holes, lowest first */
	assert_int_equal(b->index, 4);
	assert_int_equal(store_begin(s), 0);
	struct device *d;
	MODEL_FOREACH_DEVICE(&m, it, d)
		assert_int_equal(store_put_device(s, d), 0);
	assert_int_equal(store_commit(s), 0);
	int have;
	s = reopen_and_load(dir, s, &m, &have);
	static const struct { const char *name; uint32_t index; } want[] = {
		{ "r1", 1 }, { "a", 2 }, { "r3", 3 }, { "b", 4 }, { "top", UINT32_MAX },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(model_device_by_name(&m, want[i].name)->index, want[i].index);
	assert_null(model_device_by_index(&m, 0));
	assert_int_equal(model_device_add(&m, 0, "c", "10.0.1.3", 1)->index, 5);
	close_and_remove(dir, s, &m);
}

/* A child writes one device per transaction and reports each commit on a
 * pipe; the parent kills it with SIGKILL mid-stream, reopens the store, and
 * finds every reported record whole and no record half-written. */
static void test_store_survives_sigkill_mid_stream(void **state)
{
	(void)state;
	for (int round = 0; round < 3; round++) {
		char *dir = testutil_tmpdir();
		int fds[2];
		assert_int_equal(pipe(fds), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			struct store *s = NULL;
			char err[256];
			if (store_open(dir, &s, err, sizeof(err)) < 0)
				_exit(2);
			struct model m;
			model_init(&m);
			for (uint32_t i = 1;; i++) {
				char name[32];
				snprintf(name, sizeof(name), "dev%u", i);
				struct device *d = model_device_add(&m, i, name, "192.0.2.1", 1);
				d->commit_count = i;
				/* A long comment makes records span pages. */
				char comment[RS_COMMENT_MAX];
				memset(comment, 'a' + (char)(i % 26), RS_COMMENT_MAX - 1);
				comment[RS_COMMENT_MAX - 1] = '\0';
				model_str_set(&d->last_commit_comment, comment, sizeof(comment));
				if (store_begin(s) || store_put_device(s, d) || store_commit(s))
					_exit(3);
				if (write(fds[1], &i, sizeof(i)) != sizeof(i))
					_exit(4);
			}
		}
		close(fds[1]);
		uint32_t last = 0, v;
		/* Let it commit a while, then kill it wherever it is. */
		while (last < 200u + (uint32_t)round * 150u && read(fds[0], &v, sizeof(v)) == sizeof(v))
			last = v;
		kill(pid, SIGKILL);
		while (read(fds[0], &v, sizeof(v)) == sizeof(v))
			last = v; /* commits reported before the kill landed */
		close(fds[0]);
		int status;
		waitpid(pid, &status, 0);
		assert_true(WIFSIGNALED(status));

		struct model m;
		int have;
		struct store *s = open_and_load(dir, &m, &have); /* runs recovery; every record decodes */
		assert_true(m.ndevices >= last);
		assert_true(m.ndevices <= last + 1); /* at most the one in flight */
		for (uint32_t i = 1; i <= m.ndevices; i++) {
			struct device *d = model_device_by_index(&m, i);
			assert_non_null(d);
			assert_int_equal(d->commit_count, i);
			assert_int_equal(strlen(d->last_commit_comment), RS_COMMENT_MAX - 1);
			assert_int_equal(d->last_commit_comment[0], 'a' + (char)(i % 26));
		}
		close_and_remove(dir, s, &m);
	}
}

/* A second opener (--dump-state while the daemon runs) joins without
 * recovery and sees what the first one committed. */
static void test_store_second_opener_joins_live_environment(void **state)
{
	(void)state;
	char *dir;
	struct model m;
	struct store *a = new_store(&dir, &m);
	struct device *d = model_device_add(&m, 3, "r3", "192.0.2.3", 1);
	struct store *b = open_or_fail(dir);
	assert_int_equal(store_put_device(a, d), 0);
	struct model seen;
	model_init(&seen);
	int have;
	assert_int_equal(store_load(b, &seen, &have), 0);
	assert_non_null(model_device_by_name(&seen, "r3"));
	store_close(b);
	/* a still works after b left */
	d->commit_count = 9;
	assert_int_equal(store_put_device(a, d), 0);
	model_free(&seen);
	close_and_remove(dir, a, &m);
}

/* J5 through the real loop and store: a scheduled job keeps its due time,
 * an in-progress one ends as failure and its device is resynced again. */
static void test_J5_restart_restores_devices_settings_and_jobs(void **state)
{
	(void)state;
	char *dir;
	struct loop l;
	struct store *s = new_loop(&dir, &l, RS_SECS(1700000000));
	struct device *r1 = loop_add_device(&l, 0, "r1", "192.0.2.1", 830, "", "test");
	struct device *r2 = loop_add_device(&l, 0, "r2", "192.0.2.2", 830, "", "test");
	assert_int_equal(loop_set_setting(&l, SET_AUTO_RESYNC_WAIT_SECS, 30, "test", NULL), 0);
	assert_int_equal(loop_commit(&l, r1, NULL), 0);
	fake_now += RS_SECS(30);
	sched_tick(&l.model, fake_now, &l.actions); /* r1's job starts */
	loop_apply(&l);
	uint32_t running = r1->running_job;
	assert_int_not_equal(running, 0);
	assert_int_equal(loop_commit(&l, r2, NULL), 0);
	uint32_t scheduled = r2->scheduled_auto_job;
	rs_time_t due = fake_now + RS_SECS(30);
	/* "Crash": drop the loop without any orderly shutdown of jobs. */
	loop_free(&l);
	store_close(s);

	s = open_loop(dir, &l, NULL);
	l.clock = fake_clock;
	fake_now += RS_SECS(5);
	assert_int_equal(loop_restore(&l), 0);
	assert_int_equal(l.model.ndevices, 2);
	assert_int_equal(l.model.settings.auto_resync_wait_secs, 30);
	struct job *rj = model_job_by_id(&l.model, running);
	assert_int_equal(rj->state, JOB_FAILURE);
	assert_string_equal(rj->summary, "interrupted by restart");
	r1 = model_device_by_name(&l.model, "r1");
	assert_int_not_equal(r1->managed_status, MS_SYNCHRONIZING);
	/* resynced again: a new job, due at once */
	struct job *again = model_job_by_id(&l.model, r1->scheduled_auto_job);
	assert_non_null(again);
	assert_true(again->scheduled_start == fake_now);
	assert_true(sched_next_due(&l.model) == fake_now);
	struct job *sj = model_job_by_id(&l.model, scheduled);
	assert_int_equal(sj->state, JOB_SCHEDULED);
	assert_true(sj->scheduled_start == due);
	sched_tick(&l.model, fake_now, &l.actions);
	loop_apply(&l);
	assert_int_equal(r1->running_job, again->id);
	assert_true(sched_next_due(&l.model) == due);
	loop_free(&l);
	store_close(s);

	/* The settled state was persisted too. */
	struct model m;
	int have;
	s = open_and_load(dir, &m, &have);
	assert_int_equal(model_job_by_id(&m, running)->state, JOB_FAILURE);
	close_and_remove(dir, s, &m);
}

static int count_logs(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "ls %s | grep -c '^log\\.'", dir);
	FILE *p = popen(cmd, "r");
	int n = -1;
	if (p && fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p)
		pclose(p);
	return n;
}

/* Issue 16 item 6: a checkpoint while running removes the log files recovery
 * no longer needs (before, the log grew until shutdown and a restart after a
 * crash replayed all of it); nothing written is lost; without new writes the
 * loop's checkpoint does nothing. */
static void test_store_checkpoint_trims_the_log(void **state)
{
	(void)state;
	char *dir;
	struct loop l;
	struct store *s = new_loop(&dir, &l, 0);
	char name[32], comment[RS_COMMENT_MAX];
	memset(comment, 'c', sizeof(comment) - 1);
	comment[sizeof(comment) - 1] = '\0';
	uint32_t n = 0;
	/* Batches of 1000 devices until the log spans more than two files. */
	while (count_logs(dir) < 3) {
		l.batching = true;
		for (int i = 0; i < 1000; i++) {
			snprintf(name, sizeof(name), "d%u", ++n);
			struct device *d = loop_new_device(&l, 0, name, "192.0.2.1", 830, "lab");
			assert_non_null(d);
			model_str_set(&d->last_commit_comment, comment, sizeof(comment));
		}
		l.batching = false;
		assert_int_equal(loop_apply(&l), 0);
		assert_true(n < 200000);
	}
	assert_true(l.store_dirty);
	loop_checkpoint(&l);
	assert_false(l.store_dirty);
	assert_int_equal(count_logs(dir), 1);
	loop_checkpoint(&l); /* nothing new: nothing to do */
	assert_int_equal(count_logs(dir), 1);
	loop_free(&l);
	store_close(s);

	struct model m;
	int have;
	s = open_and_load(dir, &m, &have);
	assert_int_equal(m.ndevices, n);
	assert_string_equal(model_device_by_index(&m, n)->last_commit_comment, comment);
	close_and_remove(dir, s, &m);
}

/* The file's settings are defaults: an edited file applies at the next start
 * and on reload, except for a setting snmpset changed, which keeps winning. */
static void test_file_settings_apply_unless_changed_by_snmpset(void **state)
{
	(void)state;
	char *dir = testutil_tmpdir();
	struct config cfg;
	config_defaults(&cfg);
	cfg.settings.auto_resync_wait_secs = 100;
	cfg.settings.damper_interval_secs = 7;
	cfg.settings_given[SET_AUTO_RESYNC_WAIT_SECS] = true;
	cfg.settings_given[SET_DAMPER_INTERVAL_SECS] = true;

	struct loop l;
	struct store *s = open_loop(dir, &l, &cfg);
	assert_int_equal(loop_restore(&l), 0);
	assert_int_equal(l.model.settings.auto_resync_wait_secs, 100);
	assert_int_equal(loop_set_setting(&l, SET_DAMPER_INTERVAL_SECS, 9, "snmp", NULL), 0);
	loop_free(&l);
	store_close(s);

	/* The operator edits the file and restarts. */
	cfg.settings.auto_resync_wait_secs = 200;
	cfg.settings.damper_interval_secs = 8;
	s = open_loop(dir, &l, &cfg);
	assert_int_equal(loop_restore(&l), 0);
	assert_int_equal(l.model.settings.auto_resync_wait_secs, 200);
	assert_int_equal(l.model.settings.damper_interval_secs, 9);

	/* ... and again, then reloads with SIGHUP. */
	cfg.settings.auto_resync_wait_secs = 300;
	assert_int_equal(loop_reload_settings(&l, &cfg), 0);
	assert_int_equal(l.model.settings.auto_resync_wait_secs, 300);
	assert_int_equal(l.model.settings.damper_interval_secs, 9);
	loop_free(&l);
	store_close(s);

	/* What the reload applied was stored. */
	struct config none;
	config_defaults(&none);
	s = open_loop(dir, &l, &none);
	assert_int_equal(loop_restore(&l), 0);
	assert_int_equal(l.model.settings.auto_resync_wait_secs, 300);
	assert_int_equal(l.model.settings.damper_interval_secs, 9);
	loop_free(&l);
	config_free(&cfg);
	config_free(&none);
	close_and_remove(dir, s, NULL);
}

/* A store written before task rows existed: the job record holds its tasks
 * inline (format 1). It is still read, and rewritten as a header and task
 * rows, so a later header-only write keeps its tasks. */
static void test_J5_old_job_records_still_read(void **state)
{
	(void)state;
	char *dir = testutil_tmpdir();
	struct store *s = open_or_fail(dir);
	store_close(s);
	/* job 5, "j", manualResync, failure, 100 %, user bob, two tasks not in
	 * device order: device 7 failed, device 3 ok. */
	const char *rec = "01" "00000005" "00016a" "02" "04" "64" "0000"
			  "0000000000000001" "0000000000000002" "0000000000000003"
			  "0003626f62" "00000000" "00000002"
			  "00000007" "04" "0000000000000009"
			  "00000003" "03" "0000000000000009";
	if (db_load_record(dir, "jobs.db", "00000005", rec) != 0)
		skip(); /* db_load missing: install-deps brings db-util */
	struct model m;
	int have;
	s = open_and_load(dir, &m, &have);
	struct job *j = model_job_by_id(&m, 5);
	assert_non_null(j);
	assert_int_equal(j->ntasks, 2);
	assert_int_equal(j->state, JOB_FAILURE);
	assert_string_equal(j->user, "bob");
	assert_ptr_equal(model_job_task(j, 3), &j->tasks[1]);
	assert_int_equal(model_job_task(j, 7)->state, TASK_FAILED);
	assert_int_equal(j->nstate[TASK_OK], 1);
	/* The loop saves only the header when a job changes. */
	snprintf(j->summary, sizeof(j->summary), "changed");
	assert_int_equal(store_put_job(s, j), 0);

	s = reopen_and_load(dir, s, &m, &have);
	j = model_job_by_id(&m, 5);
	assert_non_null(j);
	assert_string_equal(j->summary, "changed");
	assert_int_equal(j->ntasks, 2);
	assert_int_equal(j->tasks[0].device, 7);
	assert_int_equal(j->tasks[1].state, TASK_OK);
	close_and_remove(dir, s, &m);
}

/* Bytes written to the store by one inventory job over n devices whose
 * fetches all fail, task by task as workers would report them. */
static uint64_t inventory_job_bytes(uint32_t n)
{
	char *dir;
	struct loop l;
	struct store *s = new_loop(&dir, &l, RS_SECS(1700000000));
	for (uint32_t i = 1; i <= n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "r%u", i);
		assert_non_null(model_device_add(&l.model, 0, name, "", fake_now));
	}
	uint64_t before = store_bytes_written(s);
	struct job *j = loop_inventory_resync(&l, "test");
	assert_non_null(j);
	uint32_t id = j->id;
	while ((j = model_job_by_id(&l.model, id)) && !job_state_final(j->state)) {
		fake_now += 1000;
		/* every task that started fails at once, one result per batch */
		for (uint32_t i = 0; i < j->ntasks; i++)
			if (j->tasks[i].state == TASK_RUNNING) {
				sched_fetch_done(&l.model, id, j->tasks[i].device, false, CONN_DOWN,
						 "connection refused", fake_now, &l.actions);
				loop_apply(&l);
			}
		sched_tick(&l.model, fake_now, &l.actions);
		loop_apply(&l);
	}
	assert_non_null(j);
	assert_int_equal(j->state, JOB_FAILURE);
	uint64_t bytes = store_bytes_written(s) - before;
	loop_free(&l);
	close_and_remove(dir, s, NULL);
	return bytes;
}

/* An inventory job writes O(n) bytes: each finished task rewrites its own
 * row and the job's short header, never every task of the job. Four times
 * the devices is about four times the bytes (quadratic would be sixteen). */
static void test_R7_inventory_job_writes_linear_bytes(void **state)
{
	(void)state;
	uint64_t small = inventory_job_bytes(500), large = inventory_job_bytes(2000);
	print_message("inventory job: %llu bytes for 500 devices, %llu for 2000\n", (unsigned long long)small,
		      (unsigned long long)large);
	assert_true(large < small * 5);
	assert_true(large / 2000 < 2000); /* well under 2 kB per device */
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_J5_old_job_records_still_read),
		cmocka_unit_test(test_R7_inventory_job_writes_linear_bytes),
		cmocka_unit_test(test_store_round_trip_devices_jobs_settings),
		cmocka_unit_test(test_store_aborted_transaction_leaves_nothing),
		cmocka_unit_test(test_store_config_versions),
		cmocka_unit_test(test_store_refuses_newer_format),
		cmocka_unit_test(test_store_state_directory_is_private),
		cmocka_unit_test(test_store_survives_sigkill_mid_stream),
		cmocka_unit_test(test_device_index_never_wraps_or_moves),
		cmocka_unit_test(test_store_overwritten_page_is_refused_naming_the_file),
		cmocka_unit_test(test_store_truncated_or_missing_devices_db_is_refused),
		cmocka_unit_test(test_store_upgrade_gives_an_old_store_page_checksums),
		cmocka_unit_test(test_store_second_opener_joins_live_environment),
		cmocka_unit_test(test_J5_restart_restores_devices_settings_and_jobs),
		cmocka_unit_test(test_file_settings_apply_unless_changed_by_snmpset),
		cmocka_unit_test(test_store_checkpoint_trims_the_log),
	};
	return testutil_run_tests(argc, argv, tests);
}
