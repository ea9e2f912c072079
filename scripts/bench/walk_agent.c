/* walk_agent.c: resyncd's own agent for scripts/bench/walk: builds a model of
 * N devices in memory (struct loop, store NULL) and serves it with the real
 * agent/ code, as AgentX subagent or embedded master, from the libevent loop.
 * Usage: walk_agent agentx SOCKET NROWS | master LISTEN COMMUNITY NROWS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "config.h"
#include "log.h"
#include "loop.h"

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s agentx SOCKET NROWS | master LISTEN COMMUNITY NROWS\n", argv[0]);
		return 2;
	}
	static struct config cfg;
	static struct loop l;
	int master = !strcmp(argv[1], "master");
	unsigned long n = strtoul(argv[master ? 4 : 3], NULL, 10);
	config_defaults(&cfg);
	cfg.state_dir[0] = '\0';
	cfg.snmp_mode = master ? SNMP_MASTER : SNMP_AGENTX;
	if (master) {
		snprintf(cfg.snmp_listen, sizeof(cfg.snmp_listen), "%s", argv[2]);
		snprintf(cfg.snmp_community, sizeof(cfg.snmp_community), "%s", argv[3]);
	} else {
		snprintf(cfg.agentx_socket, sizeof(cfg.agentx_socket), "%s", argv[2]);
	}
	log_init("walk_agent", 0, 0);
	if (loop_init(&l, NULL, &cfg, NULL) < 0)
		return 1;
	for (unsigned long i = 1; i <= n; i++) {
		char name[32], addr[32];
		snprintf(name, sizeof(name), "r%lu.bench", i);
		snprintf(addr, sizeof(addr), "10.%lu.%lu.%lu", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		struct device *d = model_device_add(&l.model, (uint32_t)i, name, addr, 0);
		if (!d)
			return 1;
		d->ssh_port = 830;
		model_istr_set(&d->credential, "lab", RS_NAME_MAX);
	}
	if (agent_start(&l, &cfg) < 0)
		return 1;
	fprintf(stderr, "walk_agent: ready (%lu rows)\n", n);
	loop_run(&l);
	agent_stop();
	loop_free(&l);
	return 0;
}
