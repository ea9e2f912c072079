/* test_intended.c: the manager's copy (SPEC S3, S4 accept) on a real
 * Berkeley DB store: files in intended_dir become intended versions, a
 * change moves the device per S3 with one notification, an unchanged file
 * makes nothing, an accept replaces the copy without the file counting as
 * changed, bad files are refused with the reason, and
 * `resyncd --diff DEVICE --intended` shows fetched against intended. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "archive.h"
#include "intended.h"
#include "loop.h"
#include "store.h"
#include "worker.h"

struct fx {
	char *dir, *state, *idir;
	struct store *s;
	struct loop l;
	size_t status_changes;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256], path[512];
	f->dir = testutil_tmpdir();
	snprintf(path, sizeof(path), "%s/state", f->dir);
	f->state = strdup(path);
	snprintf(path, sizeof(path), "%s/intended", f->dir);
	f->idir = strdup(path);
	assert_int_equal(mkdir(f->state, 0700), 0);
	assert_int_equal(mkdir(f->idir, 0700), 0);
	if (store_open(f->state, &f->s, err, sizeof(err)) < 0)
		fail_msg("store_open: %s", err);
	assert_int_equal(loop_init(&f->l, f->s, NULL, NULL), 0);
	f->l.model.settings.system_of_record = SOR_MANAGER;
	assert_non_null(loop_add_device(&f->l, 0, "r1", "192.0.2.1", 0, NULL, "test"));
	assert_non_null(loop_add_device(&f->l, 0, "r2", "192.0.2.2", 0, NULL, "test"));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	loop_free(&f->l);
	store_close(f->s);
	testutil_rmrf(f->dir);
	free(f->dir);
	free(f->state);
	free(f->idir);
	free(f);
	return 0;
}

static void write_file(struct fx *f, const char *name, const char *text)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/%s", f->idir, name);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static struct device *dev(struct fx *f, const char *name)
{
	return model_device_by_name(&f->l.model, name);
}

/* The device's fetched configuration, as a resync stores it. */
static void fetched(struct fx *f, const char *name, const char *text, enum job_type type)
{
	struct device *d = dev(f, name);
	struct job *j = model_job_new(&f->l.model, type, "op", &d->index, 1, loop_now(&f->l));
	struct fetch_result r = { .job = j->id, .device = d->index, .ok = 1 };
	r.config = strdup(text);
	r.config_len = strlen(text);
	assert_int_equal(intended_on_config_fetched(&f->l, d, &r), 0);
	free(r.config);
}

static void assert_intended(struct fx *f, const char *name, uint32_t version, const char *want)
{
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(dev(f, name)->intended_version, version);
	assert_int_equal(intended_get(f->s, dev(f, name), &text, &len), 0);
	assert_string_equal(text, want);
	free(text);
}

static void test_S3_new_file_is_an_intended_version_and_changes_the_status(void **state)
{
	struct fx *f = *state;
	model_device_set_status(&f->l.model, dev(f, "r1"), MS_IN_SYNC, 0);
	model_device_set_status(&f->l.model, dev(f, "r2"), MS_DEVICE_CHANGED, 0);
	write_file(f, "r1.conf", "system { host-name r1; }\n");
	write_file(f, "r2.xml", "<configuration><system><host-name>r2</host-name></system></configuration>\n");
	assert_int_equal(intended_sync(&f->l, f->idir), 2);
	assert_int_equal(dev(f, "r1")->intended_version, 1);
	assert_true(dev(f, "r1")->intended_time > 0);
	assert_int_equal(dev(f, "r1")->managed_status, MS_MANAGER_CHANGED);
	assert_int_equal(dev(f, "r2")->managed_status, MS_MANAGER_AND_DEVICE_CHANGED);

	/* Read again unchanged (a SIGHUP): nothing new. */
	assert_int_equal(intended_sync(&f->l, f->idir), 0);
	assert_int_equal(dev(f, "r1")->intended_version, 1);

	/* Changed: version 2; the text is in the archive under its own key. */
	write_file(f, "r1.conf", "system { host-name r1-new; }\n");
	assert_int_equal(intended_sync(&f->l, f->idir), 1);
	assert_intended(f, "r1", 2, "system { host-name r1-new; }\n");
	/* Nothing stored as a fetched version. */
	assert_int_equal(dev(f, "r1")->config_version, 0);
}

static void test_S3_file_equal_to_the_device_is_no_divergence(void **state)
{
	struct fx *f = *state;
	/* Fetched while the network was the system of record. */
	f->l.model.settings.system_of_record = SOR_NETWORK;
	fetched(f, "r1", "system { host-name r1; }\n", JOB_MANUAL_RESYNC);
	f->l.model.settings.system_of_record = SOR_MANAGER;
	assert_int_equal(dev(f, "r1")->intended_version, 0);
	model_device_set_status(&f->l.model, dev(f, "r1"), MS_IN_SYNC, 0);
	write_file(f, "r1.conf", "system { host-name r1; }\n");
	assert_int_equal(intended_sync(&f->l, f->idir), 1);
	assert_int_equal(dev(f, "r1")->managed_status, MS_IN_SYNC);
}

static void test_S4_accept_makes_the_fetched_configuration_the_managers_copy(void **state)
{
	struct fx *f = *state;
	write_file(f, "r1.conf", "system { host-name staged; }\n");
	assert_int_equal(intended_sync(&f->l, f->idir), 1);
	fetched(f, "r1", "system { host-name on-device; }\n", JOB_MANUAL_RESYNC);
	assert_intended(f, "r1", 2, "system { host-name on-device; }\n");
	/* The file did not change: a SIGHUP stages nothing again. */
	model_device_set_status(&f->l.model, dev(f, "r1"), MS_IN_SYNC, 0);
	assert_int_equal(intended_sync(&f->l, f->idir), 0);
	assert_int_equal(dev(f, "r1")->managed_status, MS_IN_SYNC);
	/* A deploy's check fetch is no accept. */
	fetched(f, "r1", "system { host-name other; }\n", JOB_DEPLOY);
	assert_int_equal(dev(f, "r1")->intended_version, 2);
	/* Nor is any fetch in network mode. */
	f->l.model.settings.system_of_record = SOR_NETWORK;
	fetched(f, "r1", "system { host-name network; }\n", JOB_MANUAL_RESYNC);
	assert_int_equal(dev(f, "r1")->intended_version, 2);
}

static void test_S3_bad_files_are_refused_with_the_reason(void **state)
{
	struct fx *f = *state;
	char *text, err[300];
	size_t len;
	write_file(f, "r1.xml", "<configuration><system></configuration>\n");
	assert_int_equal(intended_read_file(f->idir, "r1", &text, &len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "r1.xml is not well-formed XML"));
	write_file(f, "r2.conf", "a\n");
	write_file(f, "r2.xml", "<a/>\n");
	assert_int_equal(intended_read_file(f->idir, "r2", &text, &len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "both r2.conf and r2.xml exist"));
	assert_int_equal(intended_sync(&f->l, f->idir), 0);
	assert_int_equal(dev(f, "r1")->intended_version, 0);
	/* Names that are not plain file names are never looked up. */
	assert_int_equal(intended_read_file(f->idir, "../state/x", &text, &len, err, sizeof(err)), 0);
	assert_int_equal(intended_read_file(f->idir, "nosuch", &text, &len, err, sizeof(err)), 0);
}

static void test_S3_diff_intended_shows_fetched_against_intended(void **state)
{
	struct fx *f = *state;
	f->l.model.settings.system_of_record = SOR_NETWORK;
	fetched(f, "r1", "a\nb\nc\n", JOB_MANUAL_RESYNC);
	f->l.model.settings.system_of_record = SOR_MANAGER;
	write_file(f, "r1.conf", "a\nB\nc\n");
	assert_int_equal(intended_sync(&f->l, f->idir), 1);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	/* The daemon's store stays open: --diff joins it, as it does live. */
	int rc = archive_diff_main(f->state, "r1", true, true, 0, NULL, out);
	fclose(out);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(buf, "--- r1 version 1"));
	assert_non_null(strstr(buf, "+++ r1 intended version 1"));
	assert_non_null(strstr(buf, "-b\n+B\n"));
	free(buf);
	/* A device without a copy says so. */
	out = open_memstream(&buf, &len);
	assert_int_equal(archive_diff_main(f->state, "r2", true, true, 0, NULL, out), 1);
	fclose(out);
	free(buf);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_S3_new_file_is_an_intended_version_and_changes_the_status),
		T(test_S3_file_equal_to_the_device_is_no_divergence),
		T(test_S4_accept_makes_the_fetched_configuration_the_managers_copy),
		T(test_S3_bad_files_are_refused_with_the_reason),
		T(test_S3_diff_intended_shows_fetched_against_intended),
#undef T
	};
	return testutil_run_tests(argc, argv, tests);
}
