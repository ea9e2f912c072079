/* agent.c: starts net-snmp as an AgentX subagent (default) or as an embedded
 * master agent, and drives it from the loop's libevent base the way lldpd's
 * event.c does: snmp_select_info2() says which sockets and which timeout
 * net-snmp needs; each becomes a libevent event; on activity we call
 * snmp_read2() or snmp_timeout()+run_alarms(), then
 * netsnmp_check_outstanding_agent_requests(), then look again.
 *
 * AgentX: the session's life (connecting when the master starts late or
 * restarts, liveness, close) is agentx_conn.c's, done without waiting for
 * the master; traps wait in agent_trapq.c until they can be written. */
#include "mib.h"

#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/agent/agent_sysORTable.h>

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <string.h>
#include <sys/stat.h>

#include "agent.h"
#include "agentx_conn.h"
#include "agentx_direct.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "oids.h"

/* net-snmp's AgentX subagent session (agent/mibgroup/agentx/subagent.c);
 * NULL while not connected to a master. Not in an installed header. */
extern netsnmp_session *main_session;
/* agent/mibgroup/mibII/vacm_conf.c: rwcommunity & co, and the access check. */
void init_vacm_conf(void);

#define AGENT_APP "resyncd"

struct agent_fd {
	int fd;
	struct event *ev;
};

static struct {
	struct loop *l;
	bool running, master;
	char where[256];              /* the listening address, for the log */
	struct event *timer;
	struct agent_fd *fds;
	size_t nfds, capfds;
	netsnmp_large_fd_set set;     /* what snmp_select_info2 wants */
	netsnmp_large_fd_set watched; /* the sockets ag.fds watches (a copy of set) */
	int watched_maxfd;
	netsnmp_large_fd_set readset; /* the one socket handed to snmp_read2 */
	bool set_init;
	struct timeval timer_at;      /* when ag.timer fires; tv_sec 0: not armed */
	bool busy;                    /* inside net-snmp: refresh when it returns */
} ag;

static const oid resyncd_mib_oid[] = { RESYNCD_MIB_OID };

static void agent_read_cb(evutil_socket_t fd, short what, void *arg);
static void agent_timeout_cb(evutil_socket_t fd, short what, void *arg);

/* net-snmp log lines go to our log; its own newline is dropped. */
static int agent_log_cb(int major, int minor, void *serverarg, void *clientarg)
{
	(void)major;
	(void)minor;
	(void)clientarg;
	const struct snmp_log_message *m = serverarg;
	if (!m || !m->msg)
		return 0;
	/* agentx_conn.c reconnects, and says so. */
	if (!strncmp(m->msg, "AgentX master disconnected us", 29))
		return 0;
	size_t n = strlen(m->msg);
	while (n > 0 && (m->msg[n - 1] == '\n' || m->msg[n - 1] == '\r'))
		n--;
	if (n > 0)
		log_msg(m->priority > LOG_DEBUG ? LOG_DEBUG : m->priority, "snmp: %.*s", (int)n, m->msg);
	return 0;
}

/* After every net-snmp call: a session closed or opened. */
static void agent_check_connection(void)
{
	if (ag.master)
		return;
	/* Each (re)connection opens a new session: front it again. */
	agentx_direct_attach(main_session);
	agentx_conn_check();
}

/* Whether a queued trap can be sent now without waiting for anyone. */
static bool agent_trap_ready(void)
{
	return ag.master || agentx_conn_ready();
}

static int agent_fd_watch(int fd)
{
	for (size_t i = 0; i < ag.nfds; i++)
		if (ag.fds[i].fd == fd)
			return 0;
	if (ag.nfds == ag.capfds) {
		size_t cap = ag.capfds ? ag.capfds * 2 : 8;
		struct agent_fd *v = realloc(ag.fds, cap * sizeof(*v));
		if (!v)
			return -1;
		ag.fds = v;
		ag.capfds = cap;
	}
	struct event *ev = event_new(ag.l->base, fd, EV_READ | EV_PERSIST, agent_read_cb, NULL);
	if (!ev || event_add(ev, NULL) < 0) {
		if (ev)
			event_free(ev);
		return -1;
	}
	ag.fds[ag.nfds].fd = fd;
	ag.fds[ag.nfds++].ev = ev;
	return 0;
}

/* Makes ag.fds watch exactly the sockets in ag.set, below maxfd. */
static void agent_watch_set(int maxfd)
{
	/* Drop the events of sockets net-snmp closed. */
	for (size_t i = 0; i < ag.nfds;) {
		int fd = ag.fds[i].fd;
		if (fd < maxfd && NETSNMP_LARGE_FD_ISSET(fd, &ag.set)) {
			i++;
			continue;
		}
		event_free(ag.fds[i].ev);
		ag.fds[i] = ag.fds[--ag.nfds];
	}
	NETSNMP_LARGE_FD_ZERO(&ag.watched);
	for (int fd = 0; fd < maxfd; fd++) {
		if (!NETSNMP_LARGE_FD_ISSET(fd, &ag.set))
			continue;
		NETSNMP_LARGE_FD_SET(fd, &ag.watched);
		if (agent_fd_watch(fd) < 0)
			log_err("snmp: cannot watch socket %d", fd);
	}
	ag.watched_maxfd = maxfd;
}

/* Arms ag.timer to fire within tv unless it already fires by then:
 * net-snmp's next alarm is a fixed instant, and re-arming the timer after
 * every request would only cost time. Firing early is harmless
 * (agent_timeout_cb runs what is due and looks again). */
static void agent_arm_timer(int block, const struct timeval *tv)
{
	if (block) {
		if (ag.timer_at.tv_sec) {
			evtimer_del(ag.timer);
			ag.timer_at.tv_sec = 0;
		}
		return;
	}
	struct timeval now, at;
	event_base_gettimeofday_cached(ag.l->base, &now);
	evutil_timeradd(&now, tv, &at);
	if (ag.timer_at.tv_sec && !evutil_timercmp(&ag.timer_at, &at, >))
		return;
	if (evtimer_add(ag.timer, tv) == 0)
		ag.timer_at = at;
}

/* Makes the libevent events match what net-snmp wants now. Runs after every
 * request, so the common case (same sockets, same next alarm) costs one
 * snmp_select_info2 and one compare, and touches no event. */
void agent_poll_refresh(void)
{
	/* A trap sent from a handler must not rewrite the fd set snmp_read2 is
	 * still walking (it would read an idle pipe and block). */
	if (!ag.running || ag.busy)
		return;
	agent_check_connection();
	agent_trapq_drain(agent_trap_ready, send_v2trap);
	int maxfd = 0, block = 1;
	struct timeval tv = { 0, 0 };
	NETSNMP_LARGE_FD_ZERO(&ag.set);
	snmp_select_info2(&maxfd, &ag.set, &tv, &block);
	if (maxfd != ag.watched_maxfd ||
	    memcmp(ag.set.lfs_setptr, ag.watched.lfs_setptr, NETSNMP_FD_SET_BYTES(ag.set.lfs_setsize)) != 0)
		agent_watch_set(maxfd);
	agent_arm_timer(block, &tv);
}

static void agent_read_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	(void)arg;
	NETSNMP_LARGE_FD_ZERO(&ag.readset);
	NETSNMP_LARGE_FD_SET(fd, &ag.readset);
	ag.busy = true;
	if (agentx_direct_owns(fd)) {
		if (!agentx_direct_serve(&ag.readset)) {
			ag.busy = false;
			return; /* all answered: net-snmp's state is as it was */
		}
	} else {
		snmp_read2(&ag.readset);
	}
	netsnmp_check_outstanding_agent_requests();
	ag.busy = false;
	agent_poll_refresh();
}

static void agent_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	ag.timer_at.tv_sec = 0; /* it fired: no longer armed */
	ag.busy = true;
	snmp_timeout();
	run_alarms();
	netsnmp_check_outstanding_agent_requests();
	ag.busy = false;
	agent_poll_refresh();
}

int agent_register_mib(struct loop *l)
{
	mib_loop = l;
	if (mib_settings_register() < 0 || mib_status_register() < 0 || mib_devices_register() < 0 ||
	    mib_jobs_register() < 0 || mib_incidents_register() < 0 || mib_control_register() < 0) {
		log_err("snmp: cannot register the RESYNCD-MIB handlers");
		return -1;
	}
	return agent_notify_start();
}

/* net-snmp keeps its persistent state (engine boots, ...) under our state
 * directory, not in the system-wide /var/lib/snmp (which resyncd, running
 * as its own user, cannot write: "read_config_store open failure" at every
 * exit). Without a usable state directory it keeps none at all.
 *
 * Its configuration directory is a subdirectory nothing writes, so no
 * /etc/snmp/resyncd.conf applies: resyncd.conf configures the agent. Not the
 * persistent directory itself: net-snmp reads resyncd.conf from both, so it
 * read its own state file twice and logged "buffer too small to read octet
 * string (17 < 17)" for oldEngineID at every start. */
static void agent_persistent_dir(const struct config *cfg)
{
	static char dir[300], conf[310];
	char certs[320];
	snprintf(dir, sizeof(dir), "%s/snmp", cfg->state_dir);
	snprintf(conf, sizeof(conf), "%s/conf", dir);
	snprintf(certs, sizeof(certs), "%s/cert_indexes", dir);
	if (!cfg->state_dir[0] || (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
		if (cfg->state_dir[0])
			log_warn("snmp: cannot create %s: %s; SNMP engine state is not kept", dir,
				 strerror(errno));
		netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
		netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
		return;
	}
	/* net-snmp's (D)TLS certificate index lives here too; made in advance,
	 * or net-snmp logs "Created directory" at every first start. */
	mkdir(certs, 0700);
	netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_PERSISTENT_DIR, dir);
	netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_CONFIGURATION_DIR, conf);
}

/* net-snmp builds the SNMPv1 form of every notification it sends and fills
 * its agent-addr with get_myaddr() unless v1trapaddress is set: a socket and
 * five interface ioctls per trap, on the loop thread, between a commit's
 * fsync and its trap. The address is looked up once instead (a v1 trap
 * carries the address the host had at start). */
static void agent_fix_v1_trap_address(void)
{
	struct in_addr a;
	char txt[INET_ADDRSTRLEN];

	if (netsnmp_ds_get_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_TRAP_ADDR) != NULL)
		return;
	a.s_addr = get_myaddr();
	if (inet_ntop(AF_INET, &a, txt, sizeof(txt)) != NULL)
		netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_TRAP_ADDR, txt);
}

int agent_start(struct loop *l, const struct config *cfg)
{
	if (cfg->snmp_mode == SNMP_OFF || ag.running)
		return 0;
	memset(&ag, 0, sizeof(ag));
	ag.l = l;
	ag.master = cfg->snmp_mode == SNMP_MASTER;

	/* The agent needs no MIB files; skip loading (and warning about) them. */
	setenv("MIBS", "", 0);
	snmp_disable_log();
	snmp_enable_calllog();
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, agent_log_cb, NULL);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
	/* One log line per request would flood the log. */
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_DONT_LOG_TCPWRAPPERS_CONNECTS, 1);
	agent_persistent_dir(cfg);

	if (ag.master) {
		netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 0);
		netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_PORTS, cfg->snmp_listen);
		/* No AgentX master socket of our own. */
		netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_MASTER, 0);
		snprintf(ag.where, sizeof(ag.where), "%s", cfg->snmp_listen);
	} else {
		netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
		if (cfg->agentx_socket[0])
			netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET,
					      cfg->agentx_socket);
		netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_NO_CONNECTION_WARNINGS, 1);
	}
	if (init_agent(AGENT_APP) != 0) {
		log_err("snmp: cannot initialise the agent");
		return -1;
	}
	/* After init_agent, which registers net-snmp's own open at init_snmp. */
	if (!ag.master)
		agentx_conn_init(cfg->agentx_socket);
	if (ag.master) {
		/* rwcommunity and the VACM check that enforces it. */
		init_vacm_conf();
		char line[200];
		snprintf(line, sizeof(line), "rwcommunity %s", cfg->snmp_community);
		netsnmp_config_remember(line);
		for (size_t i = 0; i < cfg->ntrap_sinks; i++) {
			snprintf(line, sizeof(line), "trap2sink %s %s", cfg->trap_sinks[i], cfg->trap_community);
			netsnmp_config_remember(line);
			log_info("snmp: traps go to %s", cfg->trap_sinks[i]);
		}
	}
	agent_fix_v1_trap_address();
	if (agent_register_mib(l) < 0)
		return -1;
	init_snmp(AGENT_APP);
	/* init_master_agent also starts SMUX (RFC 1227) on tcp/199 when net-snmp
	 * is built with it, as Debian's is: resyncd serves no SMUX peers, and
	 * the port is snmpd's (or root's), so it would only log "bind failed". */
	if (ag.master) {
		char no_smux[] = "-smux";
		add_to_init_list(no_smux);
	}
	if (ag.master && init_master_agent() != 0) {
		log_err("snmp: cannot listen on %s", cfg->snmp_listen);
		snmp_shutdown(AGENT_APP);
		return -1;
	}
	register_sysORTable((oid *)resyncd_mib_oid, OID_LENGTH(resyncd_mib_oid), "RESYNCD-MIB: resyncd settings, devices, jobs, incidents");

	ag.timer = evtimer_new(l->base, agent_timeout_cb, NULL);
	if (!ag.timer) {
		log_err("snmp: cannot create the agent's events");
		snmp_shutdown(AGENT_APP);
		return -1;
	}
	netsnmp_large_fd_set_init(&ag.set, FD_SETSIZE);
	netsnmp_large_fd_set_init(&ag.watched, FD_SETSIZE);
	netsnmp_large_fd_set_init(&ag.readset, FD_SETSIZE);
	ag.set_init = true;
	ag.running = true;
	if (ag.master)
		log_info("snmp: embedded master agent listening on %s", ag.where);
	else if (agentx_conn_start(l->base) < 0) {
		log_err("snmp: cannot create the agent's events");
		agent_stop();
		return -1;
	}
	agent_poll_refresh();
	return 0;
}

void agent_stop(void)
{
	if (!ag.running)
		return;
	agent_notify_stop();
	if (!ag.master)
		agentx_conn_stop();
	agent_trapq_clear();
	for (size_t i = 0; i < ag.nfds; i++)
		event_free(ag.fds[i].ev);
	free(ag.fds);
	if (ag.timer)
		event_free(ag.timer);
	if (ag.set_init) {
		netsnmp_large_fd_set_cleanup(&ag.set);
		netsnmp_large_fd_set_cleanup(&ag.watched);
		netsnmp_large_fd_set_cleanup(&ag.readset);
	}
	snmp_shutdown(AGENT_APP);
	mib_loop = NULL;
	memset(&ag, 0, sizeof(ag));
}
