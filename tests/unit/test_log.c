/* test_log.c: log lines on stderr, one write each, or held by a thread
 * (log_hold) and written together at the release, in order, none lost. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "log.h"

/* stderr goes to a temporary file while a test runs; what it holds. */
static int saved_stderr = -1;
static char path[] = "/tmp/resyncd-test-log.XXXXXX";

static int capture(void **state)
{
	(void)state;
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	log_init("resyncd", 0, 0);
	return 0;
}

static int restore(void **state)
{
	(void)state;
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	unlink(path);
	strcpy(path, "/tmp/resyncd-test-log.XXXXXX");
	return 0;
}

static char *written(void)
{
	static char buf[1 << 17];
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Each of the three is in out, in this order. */
static void assert_in_order(const char *out, const char *a, const char *b, const char *c)
{
	const char *pa = strstr(out, a), *pb = strstr(out, b), *pc = strstr(out, c);
	assert_non_null(pa);
	assert_non_null(pb);
	assert_non_null(pc);
	assert_true(pa < pb && pb < pc);
}

static void test_a_line_is_written_at_once(void **state)
{
	(void)state;
	log_info("device %s: managed status %s", "r1", "outOfSync");
	char *out = written();
	assert_non_null(strstr(out, " resyncd info: device r1: managed status outOfSync\n"));
	assert_int_equal(count_lines(out), 1);
}

static void test_held_lines_wait_for_the_release_in_order(void **state)
{
	(void)state;
	log_hold();
	log_info("first");
	log_warn("second");
	log_hold(); /* nested: the outer release writes */
	log_info("third");
	log_release();
	assert_string_equal(written(), "");
	log_release();
	char *out = written();
	assert_int_equal(count_lines(out), 3);
	assert_in_order(out, "info: first\n", "warning: second\n", "info: third\n");
	log_info("after");
	assert_int_equal(count_lines(written()), 4); /* not held any more */
}

static void test_more_than_the_buffer_is_written_early_and_whole(void **state)
{
	(void)state;
	char big[900];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_hold();
	for (int i = 0; i < 40; i++) /* about 37 KB: more than the held buffer */
		log_info("%03d %s", i, big);
	assert_true(count_lines(written()) > 0); /* a full buffer went out */
	log_release();
	char *out = written();
	assert_int_equal(count_lines(out), 40);
	char want[8];
	const char *at = out;
	for (int i = 0; i < 40; i++) {
		snprintf(want, sizeof(want), "%03d x", i);
		const char *p = strstr(at, want);
		assert_non_null(p);
		at = p + 1;
	}
}

static void test_a_line_longer_than_the_buffer_keeps_its_place(void **state)
{
	(void)state;
	size_t len = 20000;
	char *huge = malloc(len + 1);
	assert_non_null(huge);
	memset(huge, 'y', len);
	huge[len] = '\0';
	log_hold();
	log_info("before");
	log_info("%s", huge);
	log_info("after");
	log_release();
	free(huge);
	char *out = written();
	assert_int_equal(count_lines(out), 3);
	assert_in_order(out, "info: before\n", "yyyy", "info: after\n");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_line_is_written_at_once, capture, restore),
		cmocka_unit_test_setup_teardown(test_held_lines_wait_for_the_release_in_order, capture, restore),
		cmocka_unit_test_setup_teardown(test_more_than_the_buffer_is_written_early_and_whole, capture, restore),
		cmocka_unit_test_setup_teardown(test_a_line_longer_than_the_buffer_keeps_its_place, capture, restore),
	};
	return testutil_run_tests(argc, argv, tests);
}
