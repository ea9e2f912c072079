/* test_agent_start.c: agent_start as an AgentX subagent with no master
 * running. Not an error (the master may start later), and the reconnect
 * attempts come every 2 s as the log and docs/MIB.md say: net-snmp's
 * init_agent sets its own default of 15 s, so resyncd's interval must be
 * set after it (it was not, and a late snmpd waited up to 15 s). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>

#include "agent.h"
#include "config.h"
#include "loop.h"
#include "mib.h"

static void test_agentx_without_master_retries_every_2s(void **state)
{
	(void)state;
	char *dir = testutil_tmpdir();
	struct config c;
	config_defaults(&c);
	c.snmp_mode = SNMP_AGENTX;
	c.state_dir[0] = '\0';
	snprintf(c.agentx_socket, sizeof(c.agentx_socket), "%s/no-master.sock", dir);
	struct loop l;
	assert_int_equal(loop_init(&l, NULL, NULL, NULL), 0);
	assert_int_equal(agent_start(&l, &c), 0);
	assert_int_equal(netsnmp_ds_get_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL), 2);
	agent_stop();
	loop_free(&l);
	testutil_rmrf(dir);
	free(dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agentx_without_master_retries_every_2s),
	};
	return testutil_run_tests(argc, argv, tests);
}
