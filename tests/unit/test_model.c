/* test_model.c: settings validation, device lookups and ordering. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "model.h"

static void test_settings_defaults_match_spec(void **state)
{
	(void)state;
	struct settings s;
	settings_defaults(&s);
	assert_true(s.auto_resync_enabled);
	assert_int_equal(s.auto_resync_wait_secs, 20);
	assert_int_equal(s.damper_interval_secs, 20);
	assert_int_equal(s.system_of_record, SOR_NETWORK);
	assert_int_equal(s.max_concurrent_resyncs, 8);
	assert_int_equal(s.resync_timeout_secs, 60);
	assert_int_equal(s.job_retention_days, 7);
	assert_int_equal(s.job_retention_count, 10000);
}

static void test_settings_ranges_refuse_and_change_nothing(void **state)
{
	(void)state;
	static const struct {
		enum setting_id id;
		int64_t value;
		enum setting_error want;
	} rows[] = {
		{ SET_AUTO_RESYNC_ENABLED, 2, SETERR_RANGE },
		{ SET_AUTO_RESYNC_WAIT_SECS, 0, SETERR_OK },
		{ SET_AUTO_RESYNC_WAIT_SECS, 86400, SETERR_OK },
		{ SET_AUTO_RESYNC_WAIT_SECS, 86401, SETERR_RANGE },
		{ SET_AUTO_RESYNC_WAIT_SECS, -1, SETERR_RANGE },
		{ SET_DAMPER_INTERVAL_SECS, 0, SETERR_RANGE },
		{ SET_DAMPER_INTERVAL_SECS, 1, SETERR_OK },
		{ SET_SYSTEM_OF_RECORD, 3, SETERR_RANGE },
		{ SET_MAX_CONCURRENT_RESYNCS, 1025, SETERR_RANGE },
		{ SET_RESYNC_TIMEOUT_SECS, 3600, SETERR_OK },
		{ SET_RESYNC_TIMEOUT_SECS, 0, SETERR_RANGE },
		{ SET_JOB_RETENTION_DAYS, 3651, SETERR_RANGE },
		{ SET_JOB_RETENTION_COUNT, 10000000, SETERR_OK },
		{ SET_JOB_RETENTION_COUNT, 10000001, SETERR_RANGE },
		{ SET_COUNT, 1, SETERR_UNKNOWN },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct settings s, before;
		settings_defaults(&s);
		before = s;
		const char *why = NULL;
		enum setting_error e = settings_set(&s, rows[i].id, rows[i].value, &why);
		assert_int_equal(e, rows[i].want);
		if (e != SETERR_OK) {
			assert_non_null(why);
			assert_memory_equal(&s, &before, sizeof(s));
		} else {
			assert_true(settings_get(&s, rows[i].id) == rows[i].value);
		}
	}
}

static void test_device_lookup_by_name_fqdn_and_address(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	assert_non_null(model_device_add(&m, 0, "r1", "192.0.2.1", 1));
	assert_non_null(model_device_add(&m, 0, "edge2.example.net", "192.0.2.2", 1));
	assert_null(model_device_add(&m, 0, "R1", "192.0.2.9", 1)); /* names are case-insensitive */
	assert_int_equal(model_device_match(&m, "R1", NULL)->index, 1);
	assert_int_equal(model_device_match(&m, "r1.lab.example.net", NULL)->index, 1);
	assert_int_equal(model_device_match(&m, "EDGE2", NULL)->index, 2);
	assert_int_equal(model_device_match(&m, "192.0.2.2", NULL)->index, 2);
	assert_int_equal(model_device_match(&m, "unknown", "192.0.2.1")->index, 1);
	assert_null(model_device_match(&m, "unknown", "198.51.100.1"));
	assert_null(model_device_match(&m, "10.1.1.1", NULL)); /* an IP is not a short name */
	assert_int_equal(model_device_remove(&m, 2), 0);
	assert_null(model_device_match(&m, "edge2", NULL));
	assert_non_null(model_device_add(&m, 0, "edge2.other.net", "", 1));
	assert_string_equal(model_device_match(&m, "EDGE2", NULL)->name, "edge2.other.net");
	model_free(&m);
}

static void test_device_next_walks_in_index_order(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	uint32_t idx[] = { 40, 3, 17, 1000 };
	for (size_t i = 0; i < 4; i++) {
		char name[8];
		snprintf(name, sizeof(name), "d%u", idx[i]);
		assert_non_null(model_device_add(&m, idx[i], name, "", 1));
	}
	uint32_t want[] = { 3, 17, 40, 1000 }, i = 0;
	for (struct device *d = model_device_next(&m, 0); d; d = model_device_next(&m, d->index))
		assert_int_equal(d->index, want[i++]);
	assert_int_equal(i, 4);
	assert_null(model_device_next(&m, 1000));
	assert_int_equal(model_device_add(&m, 0, "auto", "", 1)->index, 1001);
	assert_int_equal(model_device_remove(&m, 17), 0);
	assert_int_equal(model_device_next(&m, 3)->index, 40);
	assert_int_equal(model_device_remove(&m, 17), -1);
	model_free(&m);
}

/* The index's pages: devices in index order fill whole pages; adds in
 * scattered order split them and removals empty and free them, and every
 * lookup, GETNEXT and walk still sees exactly the live devices in order. */
static void test_device_index_pages_split_and_empty(void **state)
{
	(void)state;
	enum { N = 3000 };
	struct model m;
	model_init(&m);
	char name[24];
	for (uint32_t i = 1; i <= 1000; i++) {
		snprintf(name, sizeof(name), "seq%u", i);
		assert_non_null(model_device_add(&m, i, name, "", 1));
	}
	assert_int_equal(m.devices.npages, (1000 + DEVINDEX_PAGE - 1) / DEVINDEX_PAGE);
	/* Scattered indexes between and above them: 7919 is prime, so i * 7919
	 * mod 100003 visits the range out of order. */
	static bool live[100003];
	memset(live, 0, sizeof(live));
	for (uint32_t i = 1; i <= 1000; i++)
		live[i] = true;
	for (uint32_t i = 1; i <= N; i++) {
		uint32_t idx = (uint32_t)((i * 7919ull) % 100003);
		if (live[idx] || idx == 0)
			continue;
		snprintf(name, sizeof(name), "scat%u", idx);
		assert_non_null(model_device_add(&m, idx, name, "", 1));
		live[idx] = true;
	}
	for (uint32_t idx = 1; idx < 100003; idx += 2)
		if (live[idx]) {
			assert_int_equal(model_device_remove(&m, idx), 0);
			live[idx] = false;
		}
	for (uint32_t idx = 1; idx <= 600; idx++)
		if (live[idx]) {
			assert_int_equal(model_device_remove(&m, idx), 0);
			live[idx] = false;
		}
	uint32_t n = 0, prev = 0;
	struct device *d;
	MODEL_FOREACH_DEVICE(&m, it, d) {
		assert_true(d->index > prev);
		assert_true(live[d->index]);
		assert_ptr_equal(model_device_next(&m, prev), d);
		prev = d->index;
		n++;
	}
	assert_int_equal(n, m.ndevices);
	assert_null(model_device_next(&m, prev));
	for (uint32_t idx = 1; idx < 100003; idx++)
		assert_true((model_device_by_index(&m, idx) != NULL) == live[idx]);
	for (uint32_t p = 0; p < m.devices.npages; p++)
		assert_true(m.devices.page[p]->n > 0);
	model_free(&m);
}

/* The hashes under churn: 20,000 devices added, two in three removed, the
 * rest re-addressed; every lookup still finds exactly the live device (the
 * open-addressing table's deletion must keep later entries reachable). */
static void test_device_lookups_survive_add_remove_churn(void **state)
{
	(void)state;
	enum { N = 20000 };
	struct model m;
	model_init(&m);
	char name[40], addr[40];
	for (uint32_t i = 1; i <= N; i++) {
		snprintf(name, sizeof(name), "Dev%u.churn.example.net", i);
		snprintf(addr, sizeof(addr), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
		assert_non_null(model_device_add(&m, i, name, addr, 1));
	}
	for (uint32_t i = 1; i <= N; i++)
		if (i % 3)
			assert_int_equal(model_device_remove(&m, i), 0);
	for (uint32_t i = 3; i <= N; i += 3) {
		snprintf(addr, sizeof(addr), "2001:db8::%x", i);
		assert_int_equal(model_device_set_address(&m, model_device_by_index(&m, i), addr), 0);
	}
	assert_int_equal(m.ndevices, N / 3);
	for (uint32_t i = 1; i <= N; i++) {
		snprintf(name, sizeof(name), "dev%u.CHURN.example.net", i);
		struct device *d = model_device_by_name(&m, name);
		snprintf(name, sizeof(name), "DEV%u", i);
		struct device *s = model_device_match(&m, name, NULL);
		snprintf(addr, sizeof(addr), "2001:db8::%x", i);
		struct device *a = model_device_by_addr(&m, addr);
		snprintf(addr, sizeof(addr), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
		assert_null(model_device_by_addr(&m, addr));
		if (i % 3) {
			assert_null(d);
			assert_null(s);
			assert_null(a);
		} else {
			assert_non_null(d);
			assert_int_equal(d->index, i);
			assert_ptr_equal(s, d);
			assert_ptr_equal(a, d);
		}
	}
	model_free(&m);
}

/* Device strings: own copies bounded like the fixed buffers they replaced,
 * interned ones shared, and both empty (never NULL) on a new device. */
static void test_device_strings_sized_and_shared(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	struct device *a = model_device_add(&m, 0, "a", "192.0.2.1", 1);
	struct device *b = model_device_add(&m, 0, "b", "192.0.2.2", 1);
	assert_string_equal(a->credential, "");
	assert_string_equal(a->last_commit_comment, "");
	assert_string_equal(a->last_resync_reason, "");
	assert_int_equal(model_istr_set(&a->credential, "lab", RS_NAME_MAX), 0);
	assert_int_equal(model_istr_set(&b->credential, "lab", RS_NAME_MAX), 0);
	assert_ptr_equal(a->credential, b->credential);
	assert_int_equal(model_istr_set(&a->credential, "other", RS_NAME_MAX), 0);
	assert_string_equal(b->credential, "lab");
	char longer[RS_COMMENT_MAX + 20];
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(model_str_set(&a->last_commit_comment, longer, RS_COMMENT_MAX), 0);
	assert_int_equal(strlen(a->last_commit_comment), RS_COMMENT_MAX - 1);
	/* A field set from itself keeps its value. */
	assert_int_equal(model_str_set(&a->last_commit_comment, a->last_commit_comment, RS_COMMENT_MAX), 0);
	assert_int_equal(strlen(a->last_commit_comment), RS_COMMENT_MAX - 1);
	assert_int_equal(model_istr_set(&b->last_commit_user, b->credential, RS_USER_MAX), 0);
	assert_int_equal(model_istr_set(&b->credential, NULL, RS_NAME_MAX), 0);
	assert_string_equal(b->credential, "");
	assert_string_equal(b->last_commit_user, "lab");
	model_free(&m);
}

/* The name, its lower-case key and the address a device is added with are
 * in the device's own block: a shorter address later goes there too, a
 * longer one gets its own copy, and the lookups follow every change. */
static void test_device_block_strings_follow_changes(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	struct device *d = model_device_add(&m, 0, "Core1.Example.NET", "192.0.2.10", 1);
	struct device *bare = model_device_add(&m, 0, "bare", NULL, 1);
	assert_non_null(d);
	assert_non_null(bare);
	assert_string_equal(d->name, "Core1.Example.NET");
	assert_ptr_equal(model_device_by_name(&m, "core1.example.net"), d);
	assert_ptr_equal(model_device_match(&m, "CORE1", NULL), d);
	const char *in_block = d->address;
	const char *moves[] = { "192.0.2.1", "2001:db8::10:1", "192.0.2.3", "", "192.0.2.10" };
	const char *was = "192.0.2.10";
	for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++) {
		assert_int_equal(model_device_set_address(&m, d, moves[i]), 0);
		assert_string_equal(d->address, moves[i]);
		assert_null(model_device_by_addr(&m, was));
		if (*moves[i])
			assert_ptr_equal(model_device_by_addr(&m, moves[i]), d);
		if (*moves[i] && strlen(moves[i]) <= strlen("192.0.2.10"))
			assert_ptr_equal(d->address, in_block);
		was = moves[i];
	}
	assert_string_equal(bare->address, "");
	assert_int_equal(model_device_set_address(&m, bare, "198.51.100.7"), 0);
	assert_ptr_equal(model_device_by_addr(&m, "198.51.100.7"), bare);
	assert_int_equal(model_device_remove(&m, d->index), 0);
	assert_null(model_device_by_name(&m, "core1.example.net"));
	assert_null(model_device_by_addr(&m, "192.0.2.10"));
	model_free(&m);
}

/* J5: a stored job whose record counts tasks it does not carry (a damaged
 * record, found by fuzz_store) is refused, not restored from a NULL array. */
static void test_job_restore_refuses_counted_but_missing_tasks(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	struct job src;
	memset(&src, 0, sizeof(src));
	src.id = 7;
	src.type = JOB_MANUAL_RESYNC;
	src.state = JOB_SCHEDULED;
	src.ntasks = 3;
	src.tasks = NULL;
	assert_null(model_job_restore(&m, &src));
	assert_null(model_job_by_id(&m, 7));
	struct task t;
	memset(&t, 0, sizeof(t));
	t.device = 1;
	t.state = TASK_PENDING;
	src.ntasks = 1;
	src.tasks = &t;
	assert_non_null(model_job_restore(&m, &src));
	assert_non_null(model_job_by_id(&m, 7));
	model_free(&m);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settings_defaults_match_spec),
		cmocka_unit_test(test_settings_ranges_refuse_and_change_nothing),
		cmocka_unit_test(test_device_lookup_by_name_fqdn_and_address),
		cmocka_unit_test(test_device_next_walks_in_index_order),
		cmocka_unit_test(test_device_lookups_survive_add_remove_churn),
		cmocka_unit_test(test_device_index_pages_split_and_empty),
		cmocka_unit_test(test_device_strings_sized_and_shared),
		cmocka_unit_test(test_device_block_strings_follow_changes),
		cmocka_unit_test(test_job_restore_refuses_counted_but_missing_tasks),
	};
	return testutil_run_tests(argc, argv, tests);
}
