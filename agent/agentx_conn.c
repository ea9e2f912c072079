/* agentx_conn.c: the AgentX session's life (connect, liveness, reconnect,
 * close) without the loop ever waiting for the master.
 *
 * Why: net-snmp's subagent does each of these with a synchronous request
 * (agentx_synch_response: a 1 s timeout, 5 retries): its ping alarm, the
 * Close and re-Open after an unanswered ping, the re-registrations, and
 * every reconnect attempt to a master whose socket still accepts
 * connections. A stopped snmpd (SIGSTOP, a debugger, a stalled disk) made
 * each of them wait 6 s inside net-snmp, back to back, and the loop with
 * them: UDP commits waited 16 s, RELP acknowledgements 6 s.
 *
 * So net-snmp's own connection management is off (its open at start-up
 * and its ping and reconnect alarms: agentxPingInterval 0), and this file
 * does it from libevent:
 * - connect: a probe first, on a non-blocking socket of our own: an AgentX
 *   Ping for session 0. Any Response (snmpd answers notOpen) says that the
 *   master reads its socket now; only then does net-snmp open the session
 *   and register the MIB, synchronously, with a master that just answered.
 *   A master that does not answer within AGENTX_PROBE_SECS is tried again
 *   at the next tick.
 * - liveness: an asynchronous Ping on the open session every
 *   AGENTX_TICK_SECS, answered within as long or the master counts as not
 *   answering (logged once): traps then wait in agent_trapq.c until it
 *   answers again. The session is kept: a stopped master that resumes
 *   carries on where it stopped; one that dies closes its socket, and
 *   net-snmp reads the end of it.
 * - an error answer to the ping (the master no longer knows the session):
 *   the socket is shut down, so net-snmp reads the end and cleans up the
 *   way it does for a master that went away, and the probing starts again.
 * - stop: without the Close exchange if the master is not answering.
 *
 * The one synchronous stretch left is the open after a probe was answered:
 * a master that stops in that millisecond can still hold the loop for
 * net-snmp's timeout. AgentX over other transports than a Unix socket or
 * IPv4 TCP is opened without a probe. */
#include "mib.h"

#include <net-snmp/agent/agent_sysORTable.h>
#include <net-snmp/agent/sysORTable.h>
#include <net-snmp/library/snmpIPv4BaseDomain.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "agentx_conn.h"
#include "agentx_wire.h"
#include "log.h"

/* net-snmp's subagent (agent/mibgroup/agentx/subagent.c, client.c): not in
 * an installed header. */
extern netsnmp_session *main_session;
int subagent_open_master_session(void);
int subagent_startup(int major, int minor, void *serverarg, void *clientarg);
void agentx_unregister_callbacks(netsnmp_session *ss);
int agentx_add_agentcaps(netsnmp_session *ss, const oid *agent_id, size_t agent_id_len, const char *descr);

#define AGENTX_ERR_NOT_OPEN 257

/* What the log last said, so that each change is logged once. */
enum conn_said { SAID_NOTHING, SAID_UNREACHABLE, SAID_CONNECTED, SAID_WENT_AWAY };

static struct {
	struct event_base *base;
	char spec[256];           /* the socket in net-snmp's syntax */
	const char *where;        /* ... for the log */
	struct event *tick;
	int probe_fd;
	struct event *probe_ev;
	bool probe_sent;          /* the probe's Ping is written; waiting for the answer */
	netsnmp_session *session; /* the session open now, as this file last saw it */
	netsnmp_session *pinged;  /* a ping is outstanding on this session */
	bool answering;
	bool said_not_answering;
	enum conn_said said;
} cx = { .probe_fd = -1 };

static int sock_of(netsnmp_session *s)
{
	netsnmp_transport *t = s ? snmp_sess_transport(snmp_sess_pointer(s)) : NULL;
	return t ? t->sock : -1;
}

/* Whether a write to s cannot block: a Unix stream socket says POLLOUT only
 * while at most a quarter of its send buffer is taken, far more than a
 * Notify or a Ping needs. */
static bool sock_writable(netsnmp_session *s)
{
	struct pollfd p = { .fd = sock_of(s), .events = POLLOUT };
	return p.fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLOUT);
}

static void probe_end(void)
{
	if (cx.probe_ev)
		event_free(cx.probe_ev);
	cx.probe_ev = NULL;
	if (cx.probe_fd >= 0)
		close(cx.probe_fd);
	cx.probe_fd = -1;
	cx.probe_sent = false;
}

/* No session this time: the master is not there, or does not answer.
 * Logged once until the next connection ("went away" says it after one). */
static void probe_failed(const char *why)
{
	probe_end();
	if (cx.said == SAID_NOTHING || cx.said == SAID_CONNECTED) {
		log_warn("snmp: AgentX master %s %s; retrying every %d s", cx.where, why, AGENTX_TICK_SECS);
		cx.said = SAID_UNREACHABLE;
	}
}

static void add_caps(const struct sysORTable *t, void *arg)
{
	agentx_add_agentcaps(arg, t->OR_oid, t->OR_oidlen, t->OR_descr);
}

/* net-snmp opens the session and registers the MIB, what its
 * agentx_reopen_session does; the master has just answered the probe. */
static void conn_open(const char *why_not)
{
	if (main_session || subagent_open_master_session() != 0) {
		probe_failed(why_not);
		return;
	}
	register_mib_reattach();
	netsnmp_sysORTable_foreach(add_caps, main_session);
	/* No retransmissions: a stream needs none, and to a stopped master they
	 * only pile up copies of each Notify. The timeout is the ping's. */
	main_session->retries = 0;
	main_session->timeout = AGENTX_TICK_SECS * 1000000L;
	cx.session = main_session;
	cx.pinged = NULL;
	cx.answering = true;
	cx.said_not_answering = false;
	cx.said = SAID_CONNECTED;
	log_info("snmp: connected to AgentX master %s", cx.where);
}

static void probe_event(evutil_socket_t fd, short what, void *arg)
{
	(void)arg;
	struct timeval tv = { AGENTX_PROBE_SECS, 0 };
	if (what & EV_TIMEOUT) {
		probe_failed("is not answering");
		return;
	}
	if (!cx.probe_sent) {
		/* Connected, or failed: the send says which. */
		uint8_t ping[AGENTX_HEADER_LEN];
		size_t n = agentx_wire_ping(ping, 1);
		if (send(fd, ping, n, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)n) {
			probe_failed("is not reachable");
			return;
		}
		cx.probe_sent = true;
		event_free(cx.probe_ev);
		cx.probe_ev = event_new(cx.base, fd, EV_READ, probe_event, NULL);
		if (!cx.probe_ev || event_add(cx.probe_ev, &tv) < 0)
			probe_failed("cannot be watched");
		return;
	}
	uint8_t buf[AGENTX_HEADER_LEN];
	struct agentx_header h;
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == (ssize_t)sizeof(buf) && agentx_wire_header(buf, &h) && h.type == AGENTX_PDU_RESPONSE) {
		probe_end();
		conn_open("refused the session");
		agent_poll_refresh();
		return;
	}
	probe_failed(n == 0 ? "closed the connection" : "is not answering");
}

/* A socket connecting to the master, -1 if it is not there now, or -2 for a
 * transport the probe does not speak. */
static int probe_connect(void)
{
	const char *s = cx.spec;
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof(ss));
	if (!strncmp(s, "unix:", 5))
		s += 5;
	if (*s == '/') {
		struct sockaddr_un *un = (struct sockaddr_un *)&ss;
		if (strlen(s) >= sizeof(un->sun_path))
			return -2;
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, s, strlen(s) + 1);
		len = sizeof(*un);
	} else {
		if (!strncmp(s, "tcp:", 4))
			s += 4;
		else if (strchr(s, ':') && strncmp(s, "localhost:", 10) && !(*s >= '0' && *s <= '9'))
			return -2; /* udp:, tcp6:, ...: net-snmp's to open */
		if (!netsnmp_sockaddr_in2((struct sockaddr_in *)&ss, s, "localhost:705"))
			return -2;
		len = sizeof(struct sockaddr_in);
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* Non-blocking: the full listen queue of a stopped master says EAGAIN
	 * instead of holding the loop. */
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

static void probe_start(void)
{
	int fd = probe_connect();
	if (fd == -2) {
		conn_open("is not reachable");
		return;
	}
	if (fd < 0) {
		probe_failed("is not reachable");
		return;
	}
	cx.probe_fd = fd;
	cx.probe_ev = event_new(cx.base, fd, EV_WRITE, probe_event, NULL);
	struct timeval tv = { AGENTX_PROBE_SECS, 0 };
	if (!cx.probe_ev || event_add(cx.probe_ev, &tv) < 0)
		probe_failed("cannot be watched");
}

static void set_answering(bool yes)
{
	if (yes == cx.answering)
		return;
	cx.answering = yes;
	if (!yes && !cx.said_not_answering) {
		log_warn("snmp: AgentX master %s is not answering; traps wait for it (%zu queued)", cx.where,
			 agent_trapq_length());
		cx.said_not_answering = true;
	} else if (yes && cx.said_not_answering) {
		log_info("snmp: AgentX master %s is answering again", cx.where);
		cx.said_not_answering = false;
	}
}

/* Ends session s the way a master that went away ends it: net-snmp reads
 * the end of the socket and cleans up. */
static void conn_drop(netsnmp_session *s)
{
	int fd = sock_of(s);
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
}

static int ping_answered(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
	(void)reqid;
	(void)magic;
	if (s != cx.pinged)
		return 1;
	cx.pinged = NULL;
	if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu && pdu->errstat == AGENTX_ERR_NOT_OPEN) {
		log_warn("snmp: AgentX master %s no longer knows resyncd's session; reconnecting", cx.where);
		conn_drop(s);
	} else if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE) {
		set_answering(true);
	} else if (op == NETSNMP_CALLBACK_OP_TIMED_OUT) {
		set_answering(false);
	}
	return 1;
}

static void conn_ping(void)
{
	if (cx.pinged)
		return; /* its answer or its timeout comes first */
	if (!sock_writable(main_session)) {
		set_answering(false); /* the master does not even read */
		return;
	}
	netsnmp_pdu *pdu = snmp_pdu_create(AGENTX_PDU_PING);
	if (!pdu)
		return;
	pdu->time = 0;
	pdu->sessid = main_session->sessid;
	if (snmp_async_send(main_session, pdu, ping_answered, NULL))
		cx.pinged = main_session;
	else
		snmp_free_pdu(pdu);
}

static void conn_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	agentx_conn_check();
	if (main_session)
		conn_ping();
	else if (cx.probe_fd < 0)
		probe_start();
	agent_poll_refresh();
}

void agentx_conn_check(void)
{
	if (main_session == cx.session)
		return;
	if (!main_session && cx.said == SAID_CONNECTED) {
		log_warn("snmp: AgentX master %s went away; retrying every %d s", cx.where, AGENTX_TICK_SECS);
		cx.said = SAID_WENT_AWAY;
	}
	cx.session = main_session;
	cx.pinged = NULL;
	cx.answering = main_session != NULL;
	cx.said_not_answering = false;
}

bool agentx_conn_ready(void)
{
	agentx_conn_check();
	return main_session && cx.answering && sock_writable(main_session);
}

void agentx_conn_init(const char *spec)
{
	snprintf(cx.spec, sizeof(cx.spec), "%s", spec && *spec ? spec : "/var/agentx/master");
	cx.where = cx.spec;
	/* net-snmp opens nothing at init_snmp and sets no ping alarm. */
	snmp_unregister_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_POST_READ_CONFIG, subagent_startup, NULL, 1);
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, 0);
}

int agentx_conn_start(struct event_base *base)
{
	/* init_snmp may have read agentxPingInterval from a file. */
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, 0);
	cx.base = base;
	cx.said = SAID_NOTHING;
	cx.tick = event_new(base, -1, EV_PERSIST, conn_tick, NULL);
	struct timeval tv = { AGENTX_TICK_SECS, 0 };
	if (!cx.tick || event_add(cx.tick, &tv) < 0)
		return -1;
	probe_start(); /* the first attempt now, not a tick from now */
	return 0;
}

void agentx_conn_stop(void)
{
	probe_end();
	if (cx.tick)
		event_free(cx.tick);
	cx.tick = NULL;
	agentx_conn_check();
	if (main_session && !cx.answering) {
		/* net-snmp's shutdown would send a Close and wait for its answer. */
		netsnmp_session *s = main_session;
		agentx_unregister_callbacks(s);
		remove_trap_session(s);
		main_session = NULL;
		snmp_close(s);
	}
	cx.session = NULL;
	cx.pinged = NULL;
}
