/* test_store_lock.c: a tool reading the store (--dump-state, --diff) while
 * the daemon writes must never hang either of them. Berkeley DB page locks
 * can form a cycle between the tool's nested cursors (jobs, then each job's
 * tasks) and the daemon's write transaction (a task row, then a job
 * record); without deadlock detection both wait for ever. This builds that
 * cycle on purpose, in two processes, and checks that the daemon's write
 * goes through and the tool still reads a whole, committed store. */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "model.h"
#include "store.h"

#define DEADLINE_SECS 60 /* generous: a hang is what this test detects */

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "test_store_lock: deadline passed: the store hung\n";
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(3);
}

static struct store *open_or_die(const char *dir, int tool)
{
	struct store *s = NULL;
	char err[256];
	if ((tool ? store_open_tool : store_open)(dir, &s, err, sizeof(err)) < 0) {
		fprintf(stderr, "store_open: %s\n", err);
		_exit(4);
	}
	return s;
}

/* The tool: waits for the go byte, loads the whole store, and exits 0 if it
 * saw job 1 with its two tasks and job 2 as committed (both tasks of job 2
 * or none of them: never half a transaction). */
static int tool_main(const char *dir, int go_fd)
{
	char c;
	if (read(go_fd, &c, 1) != 1)
		return 5;
	struct store *s = open_or_die(dir, 1);
	struct model m;
	model_init(&m);
	int have;
	int rc = store_load_retrying(s, &m, &have);
	if (rc < 0) {
		fprintf(stderr, "tool: store_load: %s\n", store_error(s));
		return 6;
	}
	struct job *j1 = model_job_by_id(&m, 1), *j2 = model_job_by_id(&m, 2);
	int ok = j1 && j1->ntasks == 2 && j2 && j2->ntasks == 2 && strcmp(j1->summary, "rewritten") == 0;
	if (!ok)
		fprintf(stderr, "tool: read job 1 %s (%u tasks, %s), job 2 %s\n", j1 ? "yes" : "no",
			j1 ? j1->ntasks : 0, j1 ? j1->summary : "-", j2 ? "yes" : "no");
	model_free(&m);
	store_close(s);
	return ok ? 0 : 7;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void test_store_tool_read_never_deadlocks_with_daemon_write(void **state)
{
	(void)state;
	char *dir = testutil_tmpdir();
	signal(SIGALRM, on_alarm);
	alarm(DEADLINE_SECS);

	struct store *s = open_or_die(dir, 0);
	struct model m;
	model_init(&m);
	uint32_t devs[] = { 1, 2 };
	assert_non_null(model_device_add(&m, 1, "r1", "192.0.2.1", 1));
	assert_non_null(model_device_add(&m, 2, "r2", "192.0.2.2", 1));
	struct job *j1 = model_job_new(&m, JOB_MANUAL_RESYNC, "alice", devs, 2, 1);
	struct job *j2 = model_job_new(&m, JOB_MANUAL_RESYNC, "bob", devs, 2, 2);
	assert_non_null(j1);
	assert_non_null(j2);
	assert_int_equal(j1->id, 1);
	assert_int_equal(j2->id, 2);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_put_job_tasks(s, j1), 0);
	assert_int_equal(store_commit(s), 0);

	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(DEADLINE_SECS);
		close(go[1]);
		_exit(tool_main(dir, go[0]));
	}
	close(go[0]);

	/* The daemon's transaction takes the tasks page first (job 2's rows)... */
	uint64_t waits = store_lock_waits(s);
	assert_int_equal(store_begin(s), 0);
	assert_int_equal(store_put_task(s, j2, 1), 0);
	/* ...the tool's jobs cursor takes the jobs page and then waits for the
	 * tasks page (its lock request is counted as a wait)... */
	assert_int_equal(write(go[1], "g", 1), 1);
	while (store_lock_waits(s) == waits)
		sleep_ms(5);
	/* ...and the daemon now needs the jobs page: the cycle. */
	snprintf(j1->summary, sizeof(j1->summary), "rewritten");
	assert_int_equal(store_put_job(s, j1), 0);
	assert_int_equal(store_put_job(s, j2), 0);
	assert_int_equal(store_put_task(s, j2, 2), 0);
	assert_int_equal(store_commit(s), 0);

	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	alarm(0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(go[1]);
	model_free(&m);
	store_close(s);
	testutil_rmrf(dir);
	free(dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_tool_read_never_deadlocks_with_daemon_write),
	};
	return testutil_run_tests(argc, argv, tests);
}
