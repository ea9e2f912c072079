/* agentx_direct.h: GETNEXTs of the device and job tables answered as they
 * come off the AgentX subagent's socket (see agentx_direct.c). */
#ifndef RESYNCD_AGENT_AGENTX_DIRECT_H
#define RESYNCD_AGENT_AGENTX_DIRECT_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <stdbool.h>

/* Fronts session s (net-snmp's AgentX subagent session, or NULL when there
 * is none): its socket's bytes are read here first. A no-op for the session
 * already fronted; a session on another transport than a Unix socket is
 * left to net-snmp. */
void agentx_direct_attach(netsnmp_session *s);

/* Whether fd is the fronted session's socket. */
bool agentx_direct_owns(int fd);

/* Reads the fronted socket and answers the GETNEXTs it can. True when
 * net-snmp must read now (snmp_read2 on the socket): a packet that is its
 * own, or the end of the connection. */
bool agentx_direct_read(void);

#endif
