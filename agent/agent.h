/* agent.h: the SNMP face of resyncd: an AgentX subagent of a running snmpd
 * (the default) or an embedded master agent, driven from the loop's libevent
 * base. Everything net-snmp happens on the loop thread. */
#ifndef RESYNCD_AGENT_H
#define RESYNCD_AGENT_H

struct loop;
struct config;

/* Starts the agent in cfg->snmp_mode (nothing for SNMP_OFF) and registers
 * the MIB handlers and the trap sink. In AgentX mode a master that is not
 * running yet is not an error: the agent connects when it appears and
 * reconnects after it restarts. Returns -1 only if the agent cannot run
 * (e.g. the embedded master cannot listen). */
int agent_start(struct loop *l, const struct config *cfg);
void agent_stop(void);

/* The MIB handlers and the trap sink without any transport: for tests and
 * benchmarks that drive the handlers in-process. */
int agent_register_mib(struct loop *l);

/* agent_notify.c: the notify sink sending traps. */
/* agent.c: re-reads which sockets and timeout net-snmp needs (after a trap). */
void agent_poll_refresh(void);

int agent_notify_start(void);
void agent_notify_stop(void);

#endif
