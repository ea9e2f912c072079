/* test_retained.c: removing devices loses no history. A removed device
 * keeps its index and configuration versions for
 * deviceHistoryRetentionDays: the index goes to no other device, re-adding
 * the same name (as a reload of a restored file does) brings back both,
 * across a restart; once the retention is over both are gone. Real loop and
 * store, injected clock. */
#include "testutil.h"

#include <string.h>

#include <event2/event.h>

#include "archive.h"
#include "config.h"
#include "inventory.h"
#include "loop.h"
#include "store.h"

static rs_time_t now_us = RS_SECS(1700000000);
static rs_time_t fake_clock(void)
{
	return now_us;
}

static struct store *open_store(const char *dir)
{
	struct store *s = NULL;
	char err[1024];
	if (store_open(dir, &s, err, sizeof(err)) < 0)
		fail_msg("store_open: %s", err);
	return s;
}

static void start(struct loop *l, struct store **s, const char *dir)
{
	*s = open_store(dir);
	assert_int_equal(loop_init(l, *s, NULL, NULL), 0);
	l->clock = fake_clock;
	assert_int_equal(loop_restore(l), 0);
}

static void stop(struct loop *l, struct store *s)
{
	loop_free(l);
	store_close(s);
}

/* Two stored versions of a device, as two fetches leave them. */
static void two_versions(struct loop *l, struct device *d)
{
	uint32_t v;
	assert_int_equal(store_begin(l->store), 0);
	assert_int_equal(archive_store(l->store, d->index, "a\n", 2, now_us, 0, "", 0, &v, NULL), 1);
	assert_int_equal(archive_store(l->store, d->index, "a\nb\n", 4, now_us, 0, "", 0, &v, NULL), 1);
	assert_int_equal(store_commit(l->store), 0);
	d->config_version = v;
	assert_int_equal(loop_save_device(l, d), 0);
}

static size_t versions(struct store *s, uint32_t index)
{
	struct config_meta *list = NULL;
	size_t n = 0;
	assert_int_equal(store_config_list(s, index, &list, &n), 0);
	free(list);
	return n;
}

static void test_removed_device_keeps_index_and_versions_until_retention_ends(void **state)
{
	(void)state;
	char *dir = testutil_tmpdir();
	struct loop l;
	struct store *s;
	start(&l, &s, dir);
	struct device *d = loop_add_device(&l, 0, "r1.lab", "192.0.2.1", 0, "", "test");
	assert_non_null(d);
	uint32_t index = d->index;
	two_versions(&l, d);
	assert_non_null(loop_add_device(&l, 0, "r2.lab", "192.0.2.2", 0, "", "test"));

	/* Removed (a reload of a file without it): index and versions kept, the
	 * index handed to no newcomer. */
	assert_int_equal(loop_remove_device(&l, index, "configuration reload"), 0);
	assert_null(model_device_by_name(&l.model, "r1.lab"));
	struct device *n = loop_add_device(&l, 0, "r3.lab", "192.0.2.3", 0, "", "test");
	assert_true(n->index != index);
	assert_null(loop_add_device(&l, index, "other.lab", "192.0.2.9", 0, "", "snmp"));
	assert_int_equal(versions(s, index), 2);

	/* Across a restart too. */
	stop(&l, s);
	start(&l, &s, dir);
	assert_non_null(retained_by_index(&l.model.retained, index));
	/* Added again (the file restored): the same index, the same history. */
	d = loop_add_device(&l, 0, "R1.LAB", "192.0.2.1", 0, "", "configuration");
	assert_non_null(d);
	assert_int_equal(d->index, index);
	assert_int_equal(d->config_version, 2);
	assert_null(retained_by_index(&l.model.retained, index));
	stop(&l, s);
	start(&l, &s, dir);
	assert_int_equal(model_device_by_name(&l.model, "r1.lab")->index, index);
	assert_null(retained_by_index(&l.model.retained, index));

	/* Removed again, and the retention (1 day) runs out: gone for good. */
	const char *why;
	assert_int_equal(loop_set_setting(&l, SET_DEVICE_HISTORY_RETENTION_DAYS, 1, "test", &why), 0);
	assert_int_equal(loop_remove_device(&l, index, "snmp"), 0);
	now_us += RS_SECS(86400 + 60);
	event_active(l.purge_ev, EV_TIMEOUT, 0);
	event_base_loop(l.base, EVLOOP_NONBLOCK);
	assert_null(retained_by_index(&l.model.retained, index));
	assert_int_equal(versions(s, index), 0);
	stop(&l, s);
	start(&l, &s, dir);
	assert_null(retained_by_index(&l.model.retained, index));
	stop(&l, s);
	testutil_rmrf(dir);
	free(dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_removed_device_keeps_index_and_versions_until_retention_ends),
	};
	return testutil_run_tests(argc, argv, tests);
}
