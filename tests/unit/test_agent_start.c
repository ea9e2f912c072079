/* test_agent_start.c: agent_start as an AgentX subagent with no master
 * running, or with a master that accepts connections but never answers (a
 * stopped snmpd). Neither is an error (the master may come later), and
 * neither may hold the caller: net-snmp's own open at init_snmp waited 6 s
 * for a stopped master's answer, and its ping alarm (agentxPingInterval,
 * which init_agent sets to 15 s) as long again every time. Both are off;
 * agentx_conn.c connects and pings without waiting. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "config.h"
#include "loop.h"
#include "mib.h"

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Starts and stops the agent on socket path; returns how long agent_start took. */
static double start_on(const char *path)
{
	struct config c;
	config_defaults(&c);
	c.snmp_mode = SNMP_AGENTX;
	c.state_dir[0] = '\0';
	snprintf(c.agentx_socket, sizeof(c.agentx_socket), "%s", path);
	struct loop l;
	assert_int_equal(loop_init(&l, NULL, NULL, NULL), 0);
	double t0 = now_s();
	assert_int_equal(agent_start(&l, &c), 0);
	double took = now_s() - t0;
	/* net-snmp's synchronous ping and reconnect alarms are off. */
	assert_int_equal(netsnmp_ds_get_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL), 0);
	agent_stop();
	loop_free(&l);
	return took;
}

static void test_agentx_without_master_starts(void **state)
{
	(void)state;
	char *dir = testutil_tmpdir();
	char path[300];
	snprintf(path, sizeof(path), "%s/no-master.sock", dir);
	assert_true(start_on(path) < 1.0);
	testutil_rmrf(dir);
	free(dir);
}

static void test_agentx_master_that_never_answers_does_not_hold_start(void **state)
{
	(void)state;
	char *dir = testutil_tmpdir();
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	snprintf(un.sun_path, sizeof(un.sun_path), "%s/stopped.sock", dir);
	/* Listens, never accepts nor reads: the kernel completes connections. */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&un, sizeof(un)), 0);
	assert_int_equal(listen(fd, 16), 0);
	double took = start_on(un.sun_path);
	assert_true(took < 1.0);
	close(fd);
	testutil_rmrf(dir);
	free(dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agentx_without_master_starts),
		cmocka_unit_test(test_agentx_master_that_never_answers_does_not_hold_start),
	};
	return testutil_run_tests(argc, argv, tests);
}
