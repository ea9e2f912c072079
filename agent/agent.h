/* agent.h: the SNMP face of resyncd: an AgentX subagent of a running snmpd
 * (the default) or an embedded master agent, driven from the loop's libevent
 * base. Everything net-snmp happens on the loop thread. */
#ifndef RESYNCD_AGENT_H
#define RESYNCD_AGENT_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* agent_trapq.c: traps waiting until they can be written without waiting. */
#define AGENT_TRAPQ_CAP 1000
/* Queues a trap's varbinds (taken over) and sends what can go now. */
void agent_trapq_push(netsnmp_variable_list *vars);
/* Hands queued traps to send (send_v2trap), oldest first, while ready()
 * says one can go; the queue frees them. */
void agent_trapq_drain(bool (*ready)(void), void (*send)(netsnmp_variable_list *vars));
size_t agent_trapq_length(void);
uint64_t agent_trapq_dropped(void); /* resyncdTrapsDropped */
/* At stop: what is left is dropped (and logged). */
void agent_trapq_clear(void);

#endif
