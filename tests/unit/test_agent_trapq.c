/* test_agent_trapq.c: the queue traps wait in while the AgentX master cannot
 * take them (SPEC section 6: every change emits its notification; issue 11:
 * a stopped snmpd must not hold the loop, traps that cannot go out are
 * queued, bounded, or counted as dropped). */
#include "testutil.h"

#include "agent.h"
#include "mib.h"

static bool ready_now;
static long sent[AGENT_TRAPQ_CAP + 16];
static size_t nsent;

static bool ready(void)
{
	return ready_now;
}

static void record(netsnmp_variable_list *vars)
{
	sent[nsent++] = *vars->val.integer;
}

static netsnmp_variable_list *trap_numbered(long k)
{
	static const oid name[] = { 1, 3, 6, 1, 4, 1, 8072, 9999, 1, 0 };
	netsnmp_variable_list *vars = NULL;
	snmp_varlist_add_variable(&vars, name, OID_LENGTH(name), ASN_INTEGER, &k, sizeof(k));
	return vars;
}

static void test_traps_wait_in_order_until_the_master_takes_them(void **state)
{
	(void)state;
	ready_now = false;
	nsent = 0;
	for (long k = 0; k < 10; k++)
		agent_trapq_push(trap_numbered(k));
	agent_trapq_drain(ready, record);
	assert_int_equal(nsent, 0);
	assert_int_equal(agent_trapq_length(), 10);
	ready_now = true;
	agent_trapq_drain(ready, record);
	assert_int_equal(nsent, 10);
	for (long k = 0; k < 10; k++)
		assert_int_equal(sent[k], k);
	assert_int_equal(agent_trapq_length(), 0);
	assert_int_equal(agent_trapq_dropped(), 0);
}

static void test_a_full_queue_drops_the_oldest_and_counts_them(void **state)
{
	(void)state;
	ready_now = false;
	nsent = 0;
	uint64_t before = agent_trapq_dropped();
	for (long k = 0; k < AGENT_TRAPQ_CAP + 5; k++)
		agent_trapq_push(trap_numbered(k));
	assert_int_equal(agent_trapq_length(), AGENT_TRAPQ_CAP);
	assert_int_equal(agent_trapq_dropped() - before, 5);
	ready_now = true;
	agent_trapq_drain(ready, record);
	assert_int_equal(nsent, AGENT_TRAPQ_CAP);
	assert_int_equal(sent[0], 5);
	assert_int_equal(sent[AGENT_TRAPQ_CAP - 1], AGENT_TRAPQ_CAP + 4);
}

static void test_traps_left_at_stop_count_as_dropped(void **state)
{
	(void)state;
	ready_now = false;
	uint64_t before = agent_trapq_dropped();
	for (long k = 0; k < 3; k++)
		agent_trapq_push(trap_numbered(k));
	agent_trapq_clear();
	assert_int_equal(agent_trapq_length(), 0);
	assert_int_equal(agent_trapq_dropped() - before, 3);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_traps_wait_in_order_until_the_master_takes_them),
		cmocka_unit_test(test_a_full_queue_drops_the_oldest_and_counts_them),
		cmocka_unit_test(test_traps_left_at_stop_count_as_dropped),
	};
	return testutil_run_tests(argc, argv, tests);
}
