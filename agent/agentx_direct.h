/* agentx_direct.h: GETNEXTs of the device and job tables answered as they
 * come off the AgentX subagent's socket (see agentx_direct.c). */
#ifndef RESYNCD_AGENT_AGENTX_DIRECT_H
#define RESYNCD_AGENT_AGENTX_DIRECT_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/large_fd_set.h>

#include <stdbool.h>

/* Fronts session s (net-snmp's AgentX subagent session, or NULL when there
 * is none): its socket's bytes are read here first. A no-op for the session
 * already fronted; a session on another transport than a Unix socket is
 * left to net-snmp. */
void agentx_direct_attach(netsnmp_session *s);

/* Whether fd is the fronted session's socket. */
bool agentx_direct_owns(int fd);

/* Serves the fronted socket, which is readable: answers the GETNEXTs it
 * can and lets net-snmp read the rest (snmp_read2 on readset, which holds
 * that socket). Returns whether net-snmp read anything. */
bool agentx_direct_serve(netsnmp_large_fd_set *readset);

#endif
