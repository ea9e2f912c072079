/* agentx_direct.h: GETNEXTs of the device and job tables answered where the
 * AgentX subagent session receives them (see agentx_direct.c). */
#ifndef RESYNCD_AGENT_AGENTX_DIRECT_H
#define RESYNCD_AGENT_AGENTX_DIRECT_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

/* Puts the direct path in front of the session's net-snmp callback; a
 * no-op for NULL or a session it already fronts. */
void agentx_direct_attach(netsnmp_session *s);

#endif
