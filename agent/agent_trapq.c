/* agent_trapq.c: the traps waiting to go out, in order, at most
 * AGENT_TRAPQ_CAP of them.
 *
 * A trap is written to the AgentX socket only when that cannot wait (the
 * master answers its pings and the socket has room, agentx_conn_ready);
 * until then it waits here: while snmpd is stopped, restarting, or not
 * there yet. When the queue is full the oldest trap goes (a later trap of
 * the same row tells the newer state) and resyncdTrapsDropped counts it.
 * The embedded master sends to its UDP sinks at once. */
#include "mib.h"

#include "agent.h"
#include "log.h"

static struct {
	netsnmp_variable_list *v[AGENT_TRAPQ_CAP];
	size_t head, n;
	uint64_t dropped;
	bool said_full; /* logged for this streak (until the queue empties) */
} tq;

static void trapq_drop_oldest(void)
{
	snmp_free_varbind(tq.v[tq.head]);
	tq.head = (tq.head + 1) % AGENT_TRAPQ_CAP;
	tq.n--;
	tq.dropped++;
}

void agent_trapq_push(netsnmp_variable_list *vars)
{
	if (!vars)
		return;
	if (tq.n == AGENT_TRAPQ_CAP) {
		if (!tq.said_full)
			log_warn("snmp: %d traps wait for the AgentX master; dropping the oldest "
				 "(resyncdTrapsDropped counts them)", AGENT_TRAPQ_CAP);
		tq.said_full = true;
		trapq_drop_oldest();
	}
	tq.v[(tq.head + tq.n) % AGENT_TRAPQ_CAP] = vars;
	tq.n++;
	agent_poll_refresh(); /* sends it now if it can */
}

void agent_trapq_drain(bool (*ready)(void), void (*send)(netsnmp_variable_list *vars))
{
	while (tq.n > 0 && ready()) {
		netsnmp_variable_list *vars = tq.v[tq.head];
		tq.head = (tq.head + 1) % AGENT_TRAPQ_CAP;
		tq.n--;
		send(vars);
		snmp_free_varbind(vars);
	}
	if (tq.n == 0)
		tq.said_full = false;
}

size_t agent_trapq_length(void)
{
	return tq.n;
}

uint64_t agent_trapq_dropped(void)
{
	return tq.dropped;
}

void agent_trapq_clear(void)
{
	if (tq.n > 0)
		log_warn("snmp: traps not sent, the AgentX master did not take them before the stop: %zu", tq.n);
	while (tq.n > 0)
		trapq_drop_oldest();
	tq.said_full = false;
}
