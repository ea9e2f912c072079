/* test_archive.c: configuration archive (versions by SHA-256, unchanged = no
 * version, line counts, newest N kept) on a real Berkeley DB store, the line
 * diff against known answers, and `resyncd --diff` output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "archive_diff.h"
#include "store.h"
#include "testutil.h"

/* ------------------------------------------------------------ diff */

struct count_case {
	const char *a, *b;
	uint32_t added, removed;
};

static const struct count_case count_cases[] = {
	{ "", "", 0, 0 },
	{ "", "a\nb\n", 2, 0 },
	{ "a\nb\n", "", 0, 2 },
	{ "a\nb\nc\n", "a\nb\nc\n", 0, 0 },
	{ "a\nb\nc\n", "a\nx\nc\n", 1, 1 },
	{ "a\nb\nc\nd\n", "b\nc\nd\ne\n", 1, 1 },          /* shift: not 4/4 */
	{ "a\nb\nc\na\nb\nb\na\n", "c\nb\na\nb\na\nc\n", 3, 4 }, /* Myers' paper: D = 5 */
	{ "a\nb", "a\nb\n", 1, 1 },                         /* newline at end added */
	{ "x\ny\n", "y\nx\n", 1, 1 },
};

static void test_diff_counts(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(count_cases) / sizeof(count_cases[0]); i++) {
		const struct count_case *c = &count_cases[i];
		uint32_t add = 99, rem = 99;

		print_message("case %zu\n", i);
		assert_int_equal(archive_diff_count(c->a, strlen(c->a), c->b, strlen(c->b), &add, &rem), 0);
		/* Myers' example has D = 5 but several minimal splits of it. */
		if (i == 6)
			assert_int_equal(add + rem, 5);
		else {
			assert_int_equal(add, c->added);
			assert_int_equal(rem, c->removed);
		}
	}
}

static char *diff_to_string(const char *a, const char *b, unsigned ctx, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	*rc = archive_diff_unified(a, strlen(a), b, strlen(b), "old", "new", ctx, false, f);
	fclose(f);
	return buf;
}

static void test_diff_unified_format(void **state)
{
	const char *a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n";
	const char *b = "1\n2\n3\nfour\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n";
	int rc;
	char *out = diff_to_string(a, b, 3, &rc);

	(void)state;
	assert_int_equal(rc, 1);
	/* Two hunks: the gap (5..11 unchanged, 7 lines) exceeds 2 * context. */
	assert_string_equal(out, "--- old\n+++ new\n"
				 "@@ -1,7 +1,7 @@\n 1\n 2\n 3\n-4\n+four\n 5\n 6\n 7\n"
				 "@@ -13,3 +13,4 @@\n 13\n 14\n 15\n+16\n");
	free(out);

	out = diff_to_string(a, a, 3, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "");
	free(out);

	out = diff_to_string("", "x\n", 3, &rc);
	assert_int_equal(rc, 1);
	assert_string_equal(out, "--- old\n+++ new\n@@ -0,0 +1 @@\n+x\n");
	free(out);

	out = diff_to_string("a\nb", "a\nb\n", 3, &rc);
	assert_string_equal(out, "--- old\n+++ new\n@@ -1,2 +1,2 @@\n a\n-b\n"
				 "\\ No newline at end of file\n+b\n");
	free(out);
}

/* ------------------------------------------------------------ archive */

struct fixture {
	char *dir;
	struct store *s;
};

static int store_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	if (!f || !(f->dir = testutil_tmpdir()) || store_open(f->dir, &f->s, err, sizeof(err)) < 0)
		return -1;
	*state = f;
	return 0;
}

static int store_teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->s);
	testutil_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static int put(struct store *s, uint32_t dev, const char *text, rs_time_t now, uint32_t keep,
	       uint32_t *v, struct config_meta *m)
{
	int rc;

	assert_int_equal(store_begin(s), 0);
	rc = archive_store(s, dev, text, strlen(text), now, RS_SECS(1700000000), "alice", keep, v, m);
	assert_int_equal(store_commit(s), 0);
	return rc;
}

static void test_archive_versions(void **state)
{
	struct fixture *f = *state;
	struct config_meta m, *list;
	uint32_t v = 0;
	size_t n;
	char *text;
	size_t len;

	assert_int_equal(put(f->s, 7, "a\nb\nc\n", RS_SECS(100), 0, &v, &m), 1);
	assert_int_equal(v, 1);
	assert_int_equal(m.lines_added, 3);
	assert_int_equal(m.lines_removed, 0);
	assert_int_equal(m.size, 6);

	/* Unchanged: no new version, the newest is reported. */
	assert_int_equal(put(f->s, 7, "a\nb\nc\n", RS_SECS(200), 0, &v, &m), 0);
	assert_int_equal(v, 1);

	assert_int_equal(put(f->s, 7, "a\nB\nc\nd\n", RS_SECS(300), 0, &v, &m), 1);
	assert_int_equal(v, 2);
	assert_int_equal(m.lines_added, 2);
	assert_int_equal(m.lines_removed, 1);

	assert_int_equal(store_config_list(f->s, 7, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(list[1].fetched, RS_SECS(300));
	assert_int_equal(list[1].commit_time, RS_SECS(1700000000));
	assert_string_equal(list[1].commit_user, "alice");
	free(list);
	assert_int_equal(store_config_get(f->s, 7, 2, &m, &text, &len), 0);
	assert_string_equal(text, "a\nB\nc\nd\n");
	free(text);

	/* Other devices are separate. */
	assert_int_equal(put(f->s, 8, "a\nb\nc\n", RS_SECS(100), 0, &v, &m), 1);
	assert_int_equal(v, 1);
}

static void test_archive_keeps_newest_n(void **state)
{
	struct fixture *f = *state;
	struct config_meta *list;
	uint32_t v;
	size_t n;
	char text[32];

	for (int i = 1; i <= 6; i++) {
		snprintf(text, sizeof(text), "rev %d\n", i);
		assert_int_equal(put(f->s, 9, text, RS_SECS(i), 3, &v, NULL), 1);
		assert_int_equal(v, (uint32_t)i);
	}
	assert_int_equal(store_config_list(f->s, 9, &list, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].version, 4);
	assert_int_equal(list[2].version, 6);
	free(list);
	assert_int_equal(archive_forget(f->s, 9), 0);
	assert_int_equal(store_config_list(f->s, 9, &list, &n), 0);
	assert_int_equal(n, 0);
	free(list);
}

static bool show_secrets = true; /* --show-secrets for run_diff */

static char *run_diff(const char *dir, const char *dev, int argc, char **argv, int *status)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	*status = archive_diff_main(dir, dev, false, show_secrets, argc, argv, f);
	fclose(f);
	return buf;
}

static void test_diff_command(void **state)
{
	struct fixture *f = *state;
	struct model m;
	uint32_t v;
	int status;
	char *out;
	char *v1[] = { "1" }, *v13[] = { "1", "3" }, *bad[] = { "x" }, *none[] = { "9" };

	model_init(&m);
	struct device *d = model_device_add(&m, 11, "r11", "127.0.0.12", 0);
	assert_non_null(d);
	assert_int_equal(store_put_device(f->s, d), 0);
	model_free(&m);
	put(f->s, 11, "system {\n    host-name r11;\n}\n", RS_SECS(1000), 0, &v, NULL);
	put(f->s, 11, "system {\n    host-name r11;\n    location lab;\n}\n", RS_SECS(2000), 0, &v, NULL);
	put(f->s, 11, "system {\n    host-name r11b;\n    location lab;\n}\n", RS_SECS(3000), 0, &v, NULL);

	/* Default: the last two versions. */
	out = run_diff(f->dir, "r11", 0, NULL, &status);
	assert_int_equal(status, 0);
	assert_non_null(strstr(out, "--- r11 version 2\t"));
	assert_non_null(strstr(out, "+++ r11 version 3\t"));
	assert_non_null(strstr(out, "-    host-name r11;\n+    host-name r11b;\n"));
	assert_null(strstr(out, "+    location lab;"));
	free(out);

	/* One version: against the newest; two: between them. By address too. */
	out = run_diff(f->dir, "127.0.0.12", 1, v1, &status);
	assert_int_equal(status, 0);
	assert_non_null(strstr(out, "--- r11 version 1\t"));
	assert_non_null(strstr(out, "+++ r11 version 3\t"));
	assert_non_null(strstr(out, "+    location lab;\n"));
	free(out);
	out = run_diff(f->dir, "r11", 2, v13, &status);
	assert_int_equal(status, 0);
	assert_non_null(strstr(out, "+    location lab;\n"));
	free(out);

	out = run_diff(f->dir, "r11", 1, bad, &status);
	assert_int_equal(status, 2);
	free(out);
	out = run_diff(f->dir, "r11", 1, none, &status);
	assert_int_equal(status, 1);
	free(out);
	out = run_diff(f->dir, "nosuch", 0, NULL, &status);
	assert_int_equal(status, 1);
	free(out);
}

/* Issue 12 item 6: --diff hides secrets unless --show-secrets; a changed
 * secret still shows as a changed line; the stored copy stays whole. */
static void test_diff_hides_secrets_unless_asked(void **state)
{
	struct fixture *f = *state;
	struct model m;
	uint32_t v;
	int status;
	const char *v1 = "system {\n    root-authentication {\n        encrypted-password \"$6$abc$def\";\n    }\n}\n"
			 "snmp {\n    community public {\n        authorization read-only;\n    }\n}\n";
	const char *v2 = "system {\n    root-authentication {\n        encrypted-password \"$6$xyz$uvw\";\n    }\n}\n"
			 "snmp {\n    community s3cret {\n        authorization read-only;\n    }\n}\n";

	model_init(&m);
	struct device *d = model_device_add(&m, 12, "r12", "127.0.0.13", 0);
	assert_non_null(d);
	assert_int_equal(store_put_device(f->s, d), 0);
	model_free(&m);
	put(f->s, 12, v1, RS_SECS(1000), 0, &v, NULL);
	put(f->s, 12, v2, RS_SECS(2000), 0, &v, NULL);
	show_secrets = false;
	char *out = run_diff(f->dir, "r12", 0, NULL, &status);
	show_secrets = true;
	assert_int_equal(status, 0);
	assert_null(strstr(out, "$6$"));
	assert_null(strstr(out, "public"));
	assert_null(strstr(out, "s3cret"));
	assert_non_null(strstr(out, "-        encrypted-password <secret hidden>;"));
	assert_non_null(strstr(out, "+        encrypted-password <secret hidden>;"));
	assert_non_null(strstr(out, "+    community <secret hidden> {"));
	free(out);
	out = run_diff(f->dir, "r12", 0, NULL, &status);
	assert_non_null(strstr(out, "+    community s3cret {"));
	assert_non_null(strstr(out, "$6$xyz$uvw"));
	free(out);
	/* The store keeps the whole text. */
	struct config_meta meta;
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(store_config_get(f->s, 12, v, &meta, &text, &len), 0);
	assert_int_equal(len, strlen(v2));
	assert_memory_equal(text, v2, len);
	free(text);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_counts),
		cmocka_unit_test(test_diff_unified_format),
		cmocka_unit_test_setup_teardown(test_archive_versions, store_setup, store_teardown),
		cmocka_unit_test_setup_teardown(test_archive_keeps_newest_n, store_setup, store_teardown),
		cmocka_unit_test_setup_teardown(test_diff_hides_secrets_unless_asked, store_setup, store_teardown),
		cmocka_unit_test_setup_teardown(test_diff_command, store_setup, store_teardown),
	};

	return testutil_run_tests(argc, argv, tests);
}
