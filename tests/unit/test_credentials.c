/* test_credentials.c: credentials go only where they belong. A device whose
 * credential name is no set of the configuration fails its job with that
 * reason and its fetch never gets another set's secrets; a device without a
 * name gets the first set (the documented default), one with a good name
 * its own. Real loop and worker pool, the fetch itself stubbed. */
#include "testutil.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "config.h"
#include "loop.h"

static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static char seen_user[8][RS_USER_MAX];
static char seen_dev[8][RS_NAME_MAX];
static int nseen;

static void stub_fetch(struct fetch_request *req, struct fetch_result *res)
{
	pthread_mutex_lock(&seen_mu);
	if (nseen < 8) {
		snprintf(seen_user[nseen], sizeof(seen_user[nseen]), "%s", req->user);
		snprintf(seen_dev[nseen], sizeof(seen_dev[nseen]), "%s", req->name);
		nseen++;
	}
	pthread_mutex_unlock(&seen_mu);
	res->ok = 1;
	res->conn = CONN_UP;
}

static const char *user_seen_by(const char *dev)
{
	for (int i = 0; i < nseen; i++)
		if (strcmp(seen_dev[i], dev) == 0)
			return seen_user[i];
	return NULL;
}

static void test_device_without_valid_credential_set_fails_and_gets_no_secrets(void **state)
{
	(void)state;
	struct config cfg;
	config_defaults(&cfg);
	struct credential creds[2] = { { .name = "first", .user = "alice", .password = "alice-secret" },
				       { .name = "second", .user = "bob", .password = "bob-secret" } };
	cfg.creds = creds;
	cfg.ncreds = 2;
	struct loop l;
	assert_int_equal(loop_init(&l, NULL, &cfg, stub_fetch), 0);
	assert_non_null(loop_add_device(&l, 1, "gone", "192.0.2.1", 22, "removed-set", "test"));
	assert_non_null(loop_add_device(&l, 2, "own", "192.0.2.2", 22, "second", "test"));
	assert_non_null(loop_add_device(&l, 3, "default", "192.0.2.3", 22, "", "test"));
	uint32_t devs[] = { 1, 2, 3 };
	struct job *j = loop_manual_resync(&l, devs, 3, "test");
	assert_non_null(j);
	uint32_t id = j->id;
	time_t end = time(NULL) + 30;
	while (!job_state_final(model_job_by_id(&l.model, id)->state) && time(NULL) < end)
		event_base_loop(l.base, EVLOOP_ONCE);
	struct device *gone = model_device_by_index(&l.model, 1);
	assert_int_equal(gone->last_resync_result, RESULT_FAILURE);
	assert_string_equal(gone->last_resync_reason, "credential set removed-set is not defined in the configuration");
	assert_int_equal(model_device_by_index(&l.model, 2)->last_resync_result, RESULT_SUCCESS);
	pthread_mutex_lock(&seen_mu);
	assert_null(user_seen_by("gone")); /* never tried, so no secrets handed out */
	assert_string_equal(user_seen_by("own"), "bob");
	assert_string_equal(user_seen_by("default"), "alice");
	pthread_mutex_unlock(&seen_mu);
	loop_free(&l);
	cfg.creds = NULL;
	cfg.ncreds = 0;
	config_free(&cfg);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_device_without_valid_credential_set_fails_and_gets_no_secrets),
	};
	return testutil_run_tests(argc, argv, tests);
}
