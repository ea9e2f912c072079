/* test_ingest.c: from a message to the model, on a real loop with no store:
 * R1 through ingest, UI_COMMIT's user kept for the next commit (section 8),
 * FQDN/short-name and sender-address matching, unknown hosts and duplicate
 * copies counted and changing nothing, S2's manager user, counters. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "testutil.h"

#include "config.h"
#include "ingest.h"
#include "loop.h"

static rs_time_t fake_now = RS_SECS(1700000000);
static rs_time_t fake_clock(void) { return fake_now; }

struct fixture {
	struct loop l;
	struct config cfg;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	config_defaults(&f->cfg);
	snprintf(f->cfg.manager_user, sizeof(f->cfg.manager_user), "resync");
	if (loop_init(&f->l, NULL, &f->cfg, NULL) < 0)
		return -1;
	f->l.clock = fake_clock;
	f->l.model.settings.auto_resync_enabled = false;
	loop_add_device(&f->l, 0, "r1", "192.0.2.1", 22, "", "test");
	loop_add_device(&f->l, 0, "r2.lab.example.net", "192.0.2.2", 22, "", "test");
	loop_add_device(&f->l, 0, "r3", "192.0.2.3", 22, "", "test");
	ingest_reset();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	loop_free(&f->l);
	free(f);
	return 0;
}

static void feed(struct fixture *f, const char *line, const char *from)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	inet_pton(AF_INET, from ? from : "198.51.100.1", &sa.sin_addr);
	assert_int_equal(ingest_handle(&f->l, line, strlen(line), 0, (struct sockaddr *)&sa), 0);
}

static enum managed_status status(struct fixture *f, const char *name)
{
	struct device *d = model_device_by_name(&f->l.model, name);

	assert_non_null(d);
	return d->managed_status;
}

static void test_R1_commit_marks_out_of_sync_with_requesting_user(void **state)
{
	struct fixture *f = *state;
	struct device *d = model_device_by_name(&f->l.model, "r1");

	feed(f, "<189>Mar  5 10:15:02 r1 mgd[4321]: UI_COMMIT: User 'alice' requested 'commit' operation (comment: mtu 9000)", NULL);
	/* UI_COMMIT alone is not a trigger. */
	assert_int_not_equal(status(f, "r1"), MS_OUT_OF_SYNC);
	assert_string_equal(d->pending_user, "alice");
	feed(f, "<189>Mar  5 10:15:04 R1 mgd[4321]: UI_COMMIT_COMPLETED: commit complete", NULL);
	assert_int_equal(status(f, "r1"), MS_OUT_OF_SYNC);
	assert_string_equal(d->last_commit_user, "alice");
	assert_string_equal(d->last_commit_comment, "mtu 9000");
	assert_int_equal(d->commit_count, 1);
	assert_int_equal(f->l.model.ingest.commits, 1);
	assert_int_equal(f->l.model.ingest.received, 2);
}

static void test_duplicate_copy_is_not_a_second_commit(void **state)
{
	struct fixture *f = *state;
	const char *line = "<189>Mar  5 10:15:04 r1 mgd[4321]: UI_COMMIT_COMPLETED: commit complete";

	feed(f, line, NULL);
	feed(f, line, NULL);
	/* The same message as a relay rewrites it. */
	feed(f, "<189>2024-03-05T10:15:04+01:00 r1 mgd[4321]: UI_COMMIT_COMPLETED: commit complete", NULL);
	assert_int_equal(model_device_by_name(&f->l.model, "r1")->commit_count, 1);
	assert_int_equal(f->l.model.ingest.duplicates, 2);
	/* A later commit is a new one. */
	feed(f, "<189>Mar  5 10:20:04 r1 mgd[4400]: UI_COMMIT_COMPLETED: commit complete", NULL);
	assert_int_equal(model_device_by_name(&f->l.model, "r1")->commit_count, 2);
}

static void test_matching_short_name_fqdn_and_sender(void **state)
{
	struct fixture *f = *state;

	feed(f, "<189>1 2024-03-05T10:16:00Z r2 mgd 7 UI_COMMIT_COMPLETED [junos@2636.1.1.1.2.18] commit complete", NULL);
	assert_int_equal(status(f, "r2.lab.example.net"), MS_OUT_OF_SYNC);
	feed(f, "<189>Mar  5 10:17:01 mgd[9]: UI_COMMIT_NOT_CONFIRMED: Commit was not confirmed; automatic rollback complete", "192.0.2.3");
	assert_int_equal(status(f, "r3"), MS_OUT_OF_SYNC);
}

static void test_unknown_host_changes_nothing(void **state)
{
	struct fixture *f = *state;

	feed(f, "<189>Mar  5 10:17:01 nobody mgd[9]: UI_COMMIT_COMPLETED: commit complete", NULL);
	feed(f, "<189>Mar  5 10:17:01 nobody mgd[9]: UI_COMMIT: User 'x' requested 'commit' operation", NULL);
	assert_int_equal(f->l.model.ingest.unknown_host, 2);
	assert_int_equal(f->l.model.ingest.commits, 0);
	assert_int_not_equal(status(f, "r1"), MS_OUT_OF_SYNC);
	assert_int_not_equal(status(f, "r3"), MS_OUT_OF_SYNC);
}

static void test_counters_per_outcome(void **state)
{
	struct fixture *f = *state;
	char big[9000];

	feed(f, "<28>Mar  5 10:15:02 r1 mib2d[1409]: SNMP_TRAP_LINK_DOWN: ifIndex 522", NULL);
	feed(f, "<999>garbage", NULL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "<13>Mar  5 10:15:02 r1 x: ", 26);
	feed(f, big, NULL);
	assert_int_equal(f->l.model.ingest.received, 3);
	assert_int_equal(f->l.model.ingest.other_events, 1);
	assert_int_equal(f->l.model.ingest.malformed, 1);
	assert_int_equal(f->l.model.ingest.dropped, 1);
}

static void test_S2_manager_own_commit_is_not_a_device_change(void **state)
{
	struct fixture *f = *state;

	f->l.model.settings.system_of_record = SOR_MANAGER;
	model_device_set_status(&f->l.model, model_device_by_name(&f->l.model, "r1"), MS_IN_SYNC, fake_now);
	feed(f, "<189>Mar  5 11:00:00 r1 mgd[1]: UI_COMMIT: User 'resync' requested 'commit' operation (comment: deploy)", NULL);
	feed(f, "<189>Mar  5 11:00:02 r1 mgd[1]: UI_COMMIT_COMPLETED: commit complete", NULL);
	assert_int_equal(status(f, "r1"), MS_IN_SYNC);
	feed(f, "<189>Mar  5 11:05:00 r1 mgd[2]: UI_COMMIT: User 'bob' requested 'commit' operation", NULL);
	feed(f, "<189>Mar  5 11:05:02 r1 mgd[2]: UI_COMMIT_COMPLETED: commit complete", NULL);
	assert_int_equal(status(f, "r1"), MS_DEVICE_CHANGED);
}

/* Issue 11 item 10: a commit user or comment from the network reaches the
 * store and SNMP without control characters (terminal escapes, line breaks). */
static void test_section8_control_characters_in_user_and_comment_are_escaped(void **state)
{
	struct fixture *f = *state;
	struct device *d = model_device_by_name(&f->l.model, "r1");

	feed(f, "<189>Mar  5 10:15:02 r1 mgd[4321]: UI_COMMIT: User 'al\x1b[2Jice' requested 'commit' "
		"operation (comment: line1\rline2\x7f \xc2\x85" "end \xc3\xa9t\xc3\xa9)", NULL);
	feed(f, "<189>Mar  5 10:15:04 r1 mgd[4321]: UI_COMMIT_COMPLETED: commit complete", NULL);
	assert_int_equal(status(f, "r1"), MS_OUT_OF_SYNC);
	assert_string_equal(d->last_commit_user, "al\\x1b[2Jice");
	/* C1 NEL (U+0085) escaped, other UTF-8 kept. */
	assert_string_equal(d->last_commit_comment, "line1\\x0dline2\\x7f \\u0085end \xc3\xa9t\xc3\xa9");
}

static void test_escape_ctl_cuts_an_escape_whole(void **state)
{
	char s[8] = "ab\x01" "cd";

	(void)state;
	ingest_escape_ctl(s, sizeof(s));
	assert_string_equal(s, "ab\\x01c");
	snprintf(s, sizeof(s), "abcd\x01");
	ingest_escape_ctl(s, sizeof(s));
	assert_string_equal(s, "abcd");
}

/* listen.strict_senders: a commit counts only from the device's own address
 * or from a relay in listen.relays; anyone else naming r1 is counted. */
static void test_strict_senders_commit_only_from_device_or_relay(void **state)
{
	struct fixture *f = *state;

	f->cfg.strict_senders = true;
	assert_int_equal(netacl_add(&f->cfg.relays, "198.51.100.8/31"), 0);
	feed(f, "<189>Mar  5 10:15:04 r1 mgd[4321]: UI_COMMIT_COMPLETED: commit complete", "203.0.113.5");
	assert_int_not_equal(status(f, "r1"), MS_OUT_OF_SYNC);
	assert_int_equal(f->l.model.ingest.not_from_device, 1);
	/* The device itself (matched by name, sent from its address). */
	feed(f, "<189>Mar  5 10:16:04 r1 mgd[4321]: UI_COMMIT_COMPLETED: commit complete", "192.0.2.1");
	assert_int_equal(status(f, "r1"), MS_OUT_OF_SYNC);
	/* Another device's address does not vouch for r3. */
	feed(f, "<189>Mar  5 10:17:04 r3 mgd[4321]: UI_COMMIT_COMPLETED: commit complete", "192.0.2.1");
	assert_int_not_equal(status(f, "r3"), MS_OUT_OF_SYNC);
	/* A relay does. */
	feed(f, "<189>Mar  5 10:18:04 r3 mgd[4321]: UI_COMMIT_COMPLETED: commit complete", "198.51.100.9");
	assert_int_equal(status(f, "r3"), MS_OUT_OF_SYNC);
	assert_int_equal(f->l.model.ingest.not_from_device, 2);
	assert_int_equal(f->l.model.ingest.commits, 2);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_R1_commit_marks_out_of_sync_with_requesting_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_copy_is_not_a_second_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_matching_short_name_fqdn_and_sender, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_host_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters_per_outcome, setup, teardown),
		cmocka_unit_test_setup_teardown(test_S2_manager_own_commit_is_not_a_device_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_section8_control_characters_in_user_and_comment_are_escaped, setup,
						teardown),
		cmocka_unit_test(test_escape_ctl_cuts_an_escape_whole),
		cmocka_unit_test_setup_teardown(test_strict_senders_commit_only_from_device_or_relay, setup, teardown),
	};
	return testutil_run_tests(argc, argv, tests);
}
