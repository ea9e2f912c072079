/* agentx_conn.h: the AgentX session's life, driven from libevent so that the
 * loop never waits for the master (see agentx_conn.c). */
#ifndef RESYNCD_AGENT_AGENTX_CONN_H
#define RESYNCD_AGENT_AGENTX_CONN_H

#include <stdbool.h>

struct event_base;

#define AGENTX_TICK_SECS 2  /* ping and reconnect interval; a ping's deadline */
#define AGENTX_PROBE_SECS 1 /* a reconnect probe's deadline */

/* After init_agent, before init_snmp: turns net-snmp's own open and ping
 * alarms off. spec: the master's socket ("" for net-snmp's default). */
void agentx_conn_init(const char *spec);

/* After init_snmp: the first connection attempt now, then the tick. */
int agentx_conn_start(struct event_base *base);

/* Closes the session (without the Close exchange if the master does not
 * answer) and stops the tick. */
void agentx_conn_stop(void);

/* Notes a session that net-snmp closed (the master went away): logged once.
 * Called after every net-snmp call. */
void agentx_conn_check(void);

/* Whether a trap can be written now without waiting: a session, a master
 * that answers its pings, room in the socket. */
bool agentx_conn_ready(void);

#endif
