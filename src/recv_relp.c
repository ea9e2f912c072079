/* recv_relp.c: the RELP listener, librelp engines on threads of their own (DESIGN principle 5).
 *
 * relpEngineRun() blocks, so an engine runs on a thread of its own, as
 * rsyslog's imrelp does; it is stopped with relpEngineSetStop() plus a signal
 * that interrupts its wait. Each message is parsed on its engine's thread.
 * Commits and commit requests cross to the loop with loop_call_sync(), which
 * returns once the change is in the store: only then is the message
 * acknowledged. Ordinary messages only bump counters here; a timer on the loop
 * folds them into the model, so they cost a parse and no hand-off.
 *
 * Several engines (listen.relp_threads). librelp acknowledges a frame when its
 * callback returns and runs all sessions of an engine on one thread, so one
 * engine has at most one commit waiting for the store, whatever the number of
 * sessions: the loop's group commit would see one commit per fsync. With N
 * engines, up to N sessions wait at once and share one transaction and one
 * fsync. The engines must share the configured port, and librelp 1.11 can
 * neither take a socket nor set SO_REUSEPORT, and it binds its listeners when
 * the listener is finalised but puts them into its epoll set only in
 * relpEngineRun(). So every engine first listens on an ephemeral port of the
 * configured address; resyncd then makes one SO_REUSEPORT socket per engine
 * and family on the configured port and puts it in the place of the engine's
 * ephemeral listener (dup3 on its descriptor) before the engines run. The
 * kernel's own choice in the group is a hash of addresses and ports: with
 * 8 engines, 4 sessions are all apart in 41% of cases only (8*7*6*5/8^4),
 * and two on one engine halve their commits (measured: 5.3k durable
 * commits/s then, 9.1k/s when all 4 were apart). So
 * resyncd steers (rr_steer): a classic BPF program on the group sends a new
 * connection to an engine chosen at random among those idle for the last
 * RR_IDLE_MS, and the program is replaced whenever one of those engines gets
 * a connection (seen by the accept watcher, rr_watch_thread: librelp tells
 * nothing of accepts) or a message. (One shared socket does not work: every idle
 * engine wakes for a connection, the losers' accept() says EAGAIN and librelp
 * sleeps 20 ms, so the winner takes every connection of a burst.) Before the group is made, a
 * bind without SO_REUSEPORT checks that nothing else uses the port: another
 * process must not join the group unnoticed.
 *
 * An oversize frame must not abort the session (librelp's default): the
 * sender would re-send it for ever and every later message would wait behind
 * it. librelp truncates it instead (RELP_OVERSIZE_TRUNCATE) to its frame
 * limit, which is above max_message_size, so the callback sees it as oversize,
 * counts it as dropped and returns: librelp acknowledges it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* dup3 */
#endif
#include "recv_relp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <event2/event.h>
#include <librelp.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ingest.h"
#include "log.h"
#include "netacl.h"
#include "loop.h"
#include "syslog_parse.h"

#define RR_WAKE_SIGNAL SIGUSR2
#define RR_KEEPALIVE_INTVL_SECS 10 /* keepalive probes of a silent session, this far apart, */
#define RR_KEEPALIVE_PROBES 3      /* ... this many unanswered: the session is closed */

#define RR_IDLE_MS 1000      /* an engine without a message this long takes new connections */

/* The listening stream sockets of this process that are not in `not`
 * (at most RR_LSTN_MAX): librelp makes one per address family it binds. */
#define RR_LSTN_MAX 8
struct rr_lstn {
	int fd[RR_LSTN_MAX], family[RR_LSTN_MAX];
	size_t n;
};

static bool rr_lstn_has(const struct rr_lstn *ls, int fd)
{
	for (size_t i = 0; ls && i < ls->n; i++)
		if (ls->fd[i] == fd)
			return true;
	return false;
}

struct rr_engine {
	relpEngine_t *engine;
	pthread_t thread;
	bool running;             /* the thread was started and not joined */
	atomic_bool exited;       /* set by the thread when relpEngineRun returned */
	struct rr_lstn group;     /* its members of the SO_REUSEPORT groups, one per family */
	_Atomic int64_t last_ms;  /* steering: its last message (CLOCK_MONOTONIC_COARSE ms) */
	/* ... and rr.busy_clock then: orders engines busy in the same
	 * millisecond (the coarse clock ticks every few ms), a connection
	 * always after every message before it. */
	atomic_uint_fast64_t busy_seq;
};

static struct {
	struct loop *loop;
	struct rr_engine e[CONFIG_RELP_THREADS_MAX];
	size_t n;                 /* engines made */
	atomic_bool stopping;     /* recv_relp_stop() was called */
	atomic_bool holding;      /* a commit that could not be stored is held unacknowledged */
	size_t max;
	struct event *fold_ev;
	/* Written by the RELP thread, read by the loop's fold timer. */
	atomic_uint_fast64_t received, malformed, dropped, events, refused, limited;
	uint64_t folded_received, folded_malformed, folded_dropped, folded_events, folded_refused, folded_limited;
	const struct config *cfg;  /* listen settings: fixed from start to stop */
	pthread_mutex_t refused_mu; /* the engines share refused_log */
	struct log_limit refused_log;
	pthread_mutex_t steer_mu;   /* one thread re-steers at a time (rr_steer) */
	atomic_bool steer_again;    /* ... and does it again when another one came meanwhile */
	/* The engines new connections go to (bit i: engine i), as rr_steer
	 * chose them last; 0 when steering is off (one engine, or it failed). */
	atomic_uint_fast64_t steer_set;
	atomic_uint_fast64_t steers; /* programs attached, for the stop's log line */
	atomic_uint_fast64_t busy_clock; /* the last busy_seq given */
} rr = { .refused_mu = PTHREAD_MUTEX_INITIALIZER, .steer_mu = PTHREAD_MUTEX_INITIALIZER };

static int64_t rr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Attaches to each family's group a program that returns the group index
 * (= engine number: the members joined in engine order) of a random engine
 * of set. An index the group lacks makes the kernel fall back to its hash. */
static int rr_steer_attach(uint64_t set)
{
	struct sock_filter code[2 + 2 * CONFIG_RELP_THREADS_MAX + 1];
	unsigned n = 0, members = 0, k = 0;

	for (unsigned i = 0; i < rr.n; i++)
		members += (set >> i) & 1;
	code[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_RANDOM);
	code[n++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, members);
	for (unsigned i = 0; i < rr.n; i++) {
		if (!((set >> i) & 1))
			continue;
		if (++k < members) /* A == k-1: engine i; else on to the next test */
			code[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k - 1, 0, 1);
		code[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, i);
	}
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = code };
	for (size_t f = 0; f < rr.e[0].group.n; f++)
		if (setsockopt(rr.e[0].group.fd[f], SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) < 0)
			return -1;
	atomic_fetch_add_explicit(&rr.steers, 1, memory_order_relaxed);
	log_debug("relp: new connections go to engines 0x%llx (bit i: relp-i)", (unsigned long long)set);
	return 0;
}

/* Chooses the engines idle for RR_IDLE_MS (if none is, the one busy least
 * recently: senders that reconnect at once, or a second group of them
 * within the second, would otherwise be spread at random over all engines
 * and two share one: measured 2.9-3.4k durable commits/s for 4 sessions,
 * against 11-14k/s apart) as the ones new connections go to, if that changed. Engine threads and the accept
 * watcher call it at once: one chooses at a time, and a caller that finds it
 * busy leaves a mark instead of waiting, which makes the chooser choose again
 * once done, so no caller's news is lost. */
static void rr_steer(int64_t now)
{
	atomic_store(&rr.steer_again, true);
	for (;;) {
		uint64_t set = 0;

		if (pthread_mutex_trylock(&rr.steer_mu) != 0)
			return; /* the holder sees the mark after its unlock */
		atomic_store(&rr.steer_again, false);
		uint_fast64_t oldest = UINT_FAST64_MAX;
		uint64_t least_busy = 0;
		for (size_t i = 0; i < rr.n; i++) {
			uint_fast64_t seq = atomic_load_explicit(&rr.e[i].busy_seq, memory_order_relaxed);
			if (now - atomic_load_explicit(&rr.e[i].last_ms, memory_order_relaxed) >= RR_IDLE_MS)
				set |= UINT64_C(1) << i;
			if (seq < oldest) {
				oldest = seq;
				least_busy = 0;
			}
			if (seq == oldest)
				least_busy |= UINT64_C(1) << i;
		}
		if (set == 0) /* none idle: the one busy least recently, not any */
			set = least_busy;
		if (set != atomic_load(&rr.steer_set)) {
			if (rr_steer_attach(set) < 0) {
				log_warn("relp: cannot steer connections to idle engines (%s): the kernel's hash "
					 "spreads them", strerror(errno));
				set = 0; /* no engine is in the set: no more tries */
			}
			atomic_store(&rr.steer_set, set);
		}
		pthread_mutex_unlock(&rr.steer_mu);
		if (!atomic_load(&rr.steer_again))
			return;
		now = rr_now_ms();
	}
}

/* An engine got a message (its thread calls) or a connection (the accept
 * watcher calls): it is busy now. If new connections were sent to it, they
 * go elsewhere from now on. */
static void rr_engine_busy(struct rr_engine *e, bool connection)
{
	int64_t now;

	if (e == NULL || rr.n < 2)
		return;
	now = rr_now_ms();
	if (connection || atomic_load_explicit(&e->last_ms, memory_order_relaxed) != now) {
		atomic_store_explicit(&e->last_ms, now, memory_order_relaxed);
		atomic_store_explicit(&e->busy_seq, atomic_fetch_add(&rr.busy_clock, 1) + 1, memory_order_relaxed);
	}
	if ((atomic_load_explicit(&rr.steer_set, memory_order_relaxed) >> (e - rr.e)) & 1)
		rr_steer(now);
}

/* The accept watcher. librelp tells nothing of accepts, and relays that
 * connect at once (a restart of theirs, a benchmark's senders) would all be
 * steered before any of them sent a message, so at random again: 4 sessions
 * then shared an engine in 4 runs of 8 (5.3k durable commits/s against
 * 12-13k/s when apart). The kernel does tell: a listening socket with
 * O_ASYNC and F_SETSIG queues a real-time signal naming the socket each time
 * a connection reaches its accept queue, however fast the engine accepts it
 * (an epoll set of our own would not do: it re-polls the socket when read,
 * and finds the queue already empty whenever the engine won the race). This
 * thread takes those signals and marks the engine busy, so the next
 * connection goes elsewhere. F_OWNER_TID sends them to this thread only. */
#define RR_ACCEPT_SIGNAL (SIGRTMIN + 1)

static struct {
	pthread_t thread;
	bool running;
	atomic_bool stop;
	sem_t ready;
	int err;        /* the thread's set-up: 0 or an errno */
} rw;

static int rr_watch_async(pid_t tid, bool on)
{
	struct f_owner_ex owner = { .type = F_OWNER_TID, .pid = tid };

	for (size_t i = 0; i < rr.n; i++)
		for (size_t f = 0; f < rr.e[i].group.n; f++) {
			int fd = rr.e[i].group.fd[f], fl = fcntl(fd, F_GETFL);

			if (fl < 0 || (on && (fcntl(fd, F_SETOWN_EX, &owner) < 0 ||
					      fcntl(fd, F_SETSIG, RR_ACCEPT_SIGNAL) < 0)) ||
			    fcntl(fd, F_SETFL, on ? fl | O_ASYNC : fl & ~O_ASYNC) < 0)
				return -1;
		}
	return 0;
}

static struct rr_engine *rr_engine_of_fd(int fd)
{
	for (size_t i = 0; i < rr.n; i++)
		if (rr_lstn_has(&rr.e[i].group, fd))
			return &rr.e[i];
	return NULL;
}

static void *rr_watch_thread(void *arg)
{
	sigset_t set;
	siginfo_t si;

	(void)arg;
	pthread_setname_np(pthread_self(), "relp-accept");
	sigemptyset(&set);
	sigaddset(&set, RR_ACCEPT_SIGNAL);
	sigaddset(&set, SIGIO); /* the kernel's fallback when the signal queue is full */
	rw.err = rr_watch_async(gettid(), true) < 0 ? errno : 0;
	if (rw.err)
		rr_watch_async(0, false); /* no socket may signal a thread id that outlives us */
	sem_post(&rw.ready);
	while (rw.err == 0 && !atomic_load(&rw.stop)) {
		if (sigwaitinfo(&set, &si) < 0)
			continue;
		if (si.si_signo == RR_ACCEPT_SIGNAL && si.si_code == POLL_IN)
			rr_engine_busy(rr_engine_of_fd(si.si_fd), true);
		/* SIGIO (overflow) names no socket: the next message steers. */
	}
	return NULL;
}

static void rr_watch_start(void)
{
	sigset_t all, old;
	int err;

	atomic_store(&rw.stop, false);
	sem_init(&rw.ready, 0, 0);
	/* Blocked in the watcher, these reach its sigwaitinfo all the same;
	 * ignored, a stray one (a thread id reused after the watcher ended)
	 * cannot end the process, as their default actions would. */
	signal(RR_ACCEPT_SIGNAL, SIG_IGN);
	signal(SIGIO, SIG_IGN);
	sigfillset(&all); /* every signal stays with the loop; ours wait in sigwaitinfo */
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&rw.thread, NULL, rr_watch_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err == 0) {
		rw.running = true;
		while (sem_wait(&rw.ready) < 0)
			;
		err = rw.err;
	} else {
		sem_destroy(&rw.ready);
	}
	if (err != 0)
		log_warn("relp: cannot watch for new connections (%s): relays that connect at once "
			 "may share an engine", strerror(err));
}

/* Before the engines close their listeners. */
static void rr_watch_stop(void)
{
	if (!rw.running)
		return;
	rr_watch_async(0, false);
	atomic_store(&rw.stop, true);
	pthread_kill(rw.thread, RR_ACCEPT_SIGNAL);
	pthread_join(rw.thread, NULL);
	sem_destroy(&rw.ready);
	rw.running = false;
}

static int rr_apply(struct loop *l, void *arg)
{
	return ingest_apply(l, arg);
}

/* Loop thread: writes again what a commit changed (its device, and the job
 * scheduled for it) after the first write failed. The model already has the
 * change: applying the message again would count it twice. */
static int rr_resave(struct loop *l, void *arg)
{
	const struct ingest_msg *im = arg;
	struct device *d = model_device_match(&l->model, im->host, NULL);

	if (d == NULL)
		return 0;
	if (d->scheduled_auto_job) {
		struct action a = { .kind = ACT_SAVE_JOB_TASKS, .job = d->scheduled_auto_job };

		actions_push(&l->actions, &a);
	}
	return loop_save_device(l, d);
}

/* librelp answers "200 OK" once this callback returns, whatever it returns
 * (its scsyslog.c ignores the callback's result), so a commit that is not
 * stored must not return: the write is retried every second. On stop the
 * thread is left blocked and the process exits without acknowledging. */
static void rr_hold_until_stored(struct ingest_msg *im)
{
	atomic_store(&rr.holding, true);
	while (!atomic_load(&rr.stopping)) {
		struct timespec ts = { 1, 0 };

		nanosleep(&ts, NULL);
		if (!atomic_load(&rr.stopping) && loop_call_sync(rr.loop, rr_resave, im) == 0) {
			log_info("relp: %s from %s stored; acknowledged", im->tag, im->host);
			atomic_store(&rr.holding, false);
			return;
		}
	}
	for (;;)
		pause();
}

static relpRetVal rr_on_syslog(void *usr, unsigned char *host, unsigned char *ip,
			       unsigned char *msg, size_t len)
{
	struct ingest_msg im;
	enum ingest_verdict v;

	(void)host;
	rr_engine_busy(usr, false);
	/* librelp 1.11 cannot refuse a session by address (its permitted peers
	 * are for TLS), so a relay not in listen.allowed_senders gets its
	 * messages acknowledged and ignored. */
	if (rr.cfg->allowed_senders.n && !netacl_match_str(&rr.cfg->allowed_senders, (const char *)ip)) {
		atomic_fetch_add_explicit(&rr.refused, 1, memory_order_relaxed);
		pthread_mutex_lock(&rr.refused_mu);
		if (log_limit_pass(&rr.refused_log, time(NULL), 60))
			log_warn("relp: %s is not in listen.allowed_senders: ignored (%lu more not "
				 "logged in the minute before)", ip ? (const char *)ip : "?",
				 rr.refused_log.quiet);
		pthread_mutex_unlock(&rr.refused_mu);
		return RELP_RET_OK;
	}
	v = ingest_prepare((const char *)msg, len, rr.max, &im);
	atomic_fetch_add_explicit(&rr.received, 1, memory_order_relaxed);
	switch (v) {
	case INGEST_MALFORMED:
		atomic_fetch_add_explicit(&rr.malformed, 1, memory_order_relaxed);
		return RELP_RET_OK;
	case INGEST_OVERSIZE:
		atomic_fetch_add_explicit(&rr.dropped, 1, memory_order_relaxed);
		return RELP_RET_OK;
	case INGEST_EVENT:
		atomic_fetch_add_explicit(&rr.events, 1, memory_order_relaxed);
		return RELP_RET_OK;
	case INGEST_RATE_LIMITED:
		atomic_fetch_add_explicit(&rr.events, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&rr.limited, 1, memory_order_relaxed);
		return RELP_RET_OK;
	case INGEST_INCIDENT_EVENT: {
		/* Not a commit: no need to wait for the loop before the ack. */
		struct ingest_msg *copy = malloc(sizeof(*copy));

		atomic_fetch_add_explicit(&rr.events, 1, memory_order_relaxed);
		if (copy == NULL)
			return RELP_RET_OK;
		*copy = im;
		loop_call(rr.loop, rr_apply, copy);
		return RELP_RET_OK;
	}
	case INGEST_COMMIT:
	case INGEST_COMMIT_REQUEST:
		break;
	}
	/* The RELP peer is a relay, not the device: match by the message's
	 * host name only (im.sender stays empty). */
	im.relay = netacl_match_str(&rr.cfg->relays, (const char *)ip);
	if (loop_call_sync(rr.loop, rr_apply, &im) < 0) {
		log_warn("relp: %s from %s not stored; not acknowledged until it is", im.tag, im.host);
		rr_hold_until_stored(&im);
	}
	return RELP_RET_OK;
}

/* Loop thread: adds what the RELP thread counted since the last fold. */
static void rr_fold(void)
{
	struct ingest_counters *c;
	uint64_t v;

	if (rr.loop == NULL)
		return;
	c = &rr.loop->model.ingest;
#define RR_FOLD(field, total)                                                   \
	v = atomic_load_explicit(&rr.field, memory_order_relaxed);              \
	c->total += v - rr.folded_##field;                                      \
	rr.folded_##field = v
	RR_FOLD(received, received);
	RR_FOLD(malformed, malformed);
	RR_FOLD(dropped, dropped);
	RR_FOLD(events, other_events);
	RR_FOLD(refused, refused);
#undef RR_FOLD
	/* E6: events over their host's cap, dropped on this thread. */
	v = atomic_load_explicit(&rr.limited, memory_order_relaxed);
	rr.loop->incidents.c.rate_limited += v - rr.folded_limited;
	rr.folded_limited = v;
}

static void rr_fold_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	rr_fold();
}

static void rr_wake(int sig)
{
	(void)sig; /* only interrupts the engine's wait */
}

static void *rr_thread(void *arg)
{
	struct rr_engine *e = arg;
	char name[16];
	sigset_t set;

	snprintf(name, sizeof(name), "relp-%zu", (size_t)(e - rr.e)); /* top -H, perf */
	pthread_setname_np(pthread_self(), name);

	sigemptyset(&set);
	sigaddset(&set, RR_WAKE_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	relpEngineRun(e->engine);
	ingest_forget_rates();
	atomic_store(&e->exited, true);
	return NULL;
}

static void rr_dbg(char *fmt, ...)
{
	(void)fmt; /* librelp calls its debug hook unconditionally in places */
}

static void rr_on_err(void *usr, char *obj, char *msg, relpRetVal code)
{
	(void)usr;
	log_warn("relp: %s: %s (%d)", obj ? obj : "", msg ? msg : "", (int)code);
}

/* librelp reports every oversize frame it truncates (RELP_OVERSIZE_TRUNCATE)
 * here: one line per minute at most, so a sender of large messages cannot
 * fill the log; rr_on_syslog counts each such message as dropped. */
static void rr_on_generic_err(char *obj, char *msg, relpRetVal code)
{
	static struct log_limit oversize;

	if (code == RELP_RET_DATA_TOO_LONG) {
		if (log_limit_pass(&oversize, time(NULL), 60))
			log_warn("relp: oversize message dropped (acknowledged, counted as dropped; "
				 "%lu more not logged in the minute before): %s", oversize.quiet,
				 msg ? msg : "");
		return;
	}
	log_warn("relp: %s: %s (%d)", obj ? obj : "", msg ? msg : "", (int)code);
}

/* "host:port", "[v6]:port", ":port" or "port" into host (may be empty) and port. */
static int rr_split(const char *spec, char *host, size_t hl, char *port, size_t pl)
{
	const char *colon = strrchr(spec, ':');
	const char *h = spec;
	size_t n;

	if (colon == NULL) {
		host[0] = '\0';
		return snprintf(port, pl, "%s", spec) < (int)pl && *port ? 0 : -1;
	}
	n = (size_t)(colon - spec);
	if (n >= 2 && spec[0] == '[' && spec[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (n >= hl || snprintf(port, pl, "%s", colon + 1) >= (int)pl || *port == '\0')
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	return 0;
}

static void rr_listening(struct rr_lstn *out, const struct rr_lstn *not)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	out->n = 0;
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL && out->n < RR_LSTN_MAX) {
		int fd = atoi(de->d_name), on = 0, type = 0, family = 0;
		socklen_t len = sizeof(int);

		if (de->d_name[0] == '.' || fd == dirfd(d) || rr_lstn_has(not, fd) ||
		    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) < 0 || !on ||
		    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &(socklen_t){ sizeof(int) }) < 0 ||
		    type != SOCK_STREAM ||
		    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &(socklen_t){ sizeof(int) }) < 0)
			continue;
		out->fd[out->n] = fd;
		out->family[out->n++] = family;
	}
	closedir(d);
}

/* Makes an engine listening on host:port (its listening sockets in *made);
 * the caller starts its thread. */
static relpRetVal rr_engine_new(struct rr_engine *e, const char *host, const char *port, struct rr_lstn *made)
{
	relpSrv_t *srv = NULL;
	struct rr_lstn before;
	relpRetVal r;

	rr_listening(&before, NULL);
	if ((r = relpEngineConstruct(&e->engine)) != RELP_RET_OK)
		return r;
	relpEngineSetDbgprint(e->engine, rr_dbg);
	relpEngineSetEnableCmd(e->engine, (unsigned char *)"syslog", eRelpCmdState_Required);
	relpEngineSetDnsLookupMode(e->engine, 0);
	relpEngineSetOnErr(e->engine, rr_on_err);
	relpEngineSetOnGenericErr(e->engine, rr_on_generic_err);
	if ((r = relpEngineSetSyslogRcv2(e->engine, rr_on_syslog)) != RELP_RET_OK ||
	    (r = relpEngineListnerConstruct(e->engine, &srv)) != RELP_RET_OK ||
	    (r = relpSrvSetUsrPtr(srv, e)) != RELP_RET_OK ||
	    (r = relpSrvSetLstnPort(srv, (unsigned char *)port)) != RELP_RET_OK ||
	    (host[0] && (r = relpSrvSetLstnAddr(srv, (unsigned char *)host)) != RELP_RET_OK) ||
	    (r = relpSrvSetMaxDataSize(srv, rr.max + 64)) != RELP_RET_OK ||
	    (r = relpSrvSetOversizeMode(srv, RELP_OVERSIZE_TRUNCATE)) != RELP_RET_OK)
		goto fail;
	/* librelp 1.11 has no idle timeout, no connection cap and no hook to
	 * close a session: a relay host that vanished without closing would
	 * keep its session for ever. TCP keepalive is what it offers: a
	 * session silent for idle_timeout_secs is probed, and closed when the
	 * host does not answer (a live relay's silent session stays). */
	if (rr.cfg->idle_timeout_secs)
		relpSrvSetKeepAlive(srv, 1, RR_KEEPALIVE_INTVL_SECS, RR_KEEPALIVE_PROBES, (int)rr.cfg->idle_timeout_secs);
	if ((r = relpEngineListnerConstructFinalize(e->engine, srv)) != RELP_RET_OK)
		goto fail;
	rr_listening(made, &before);
	return RELP_RET_OK;
fail:
	relpEngineDestruct(&e->engine);
	e->engine = NULL;
	return r;
}

/* A listening socket of the SO_REUSEPORT group at addr (the family and
 * address of an engine's ephemeral listener) and port. */
static int rr_group_socket(const struct sockaddr_storage *addr, socklen_t len, in_port_t port)
{
	struct sockaddr_storage a = *addr;
	int fd, on = 1;

	if (a.ss_family == AF_INET)
		((struct sockaddr_in *)&a)->sin_port = port;
	else if (a.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a)->sin6_port = port;
	else
		return -1;
	fd = socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0 ||
	    (a.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0) ||
	    bind(fd, (struct sockaddr *)&a, len) < 0 || listen(fd, SOMAXCONN) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Nothing else may listen on the port: a probe bound without SO_REUSEPORT
 * fails if anyone (another resyncd with the same group) is bound there. */
static int rr_port_free(const struct sockaddr_storage *addr, socklen_t len, in_port_t port)
{
	struct sockaddr_storage a = *addr;
	int fd, on = 1, rc;

	if (a.ss_family == AF_INET)
		((struct sockaddr_in *)&a)->sin_port = port;
	else
		((struct sockaddr_in6 *)&a)->sin6_port = port;
	fd = socket(a.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (a.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	rc = bind(fd, (struct sockaddr *)&a, len);
	close(fd);
	return rc;
}

/* Replaces each ephemeral listener of an engine (see the top of the file)
 * with a member of the SO_REUSEPORT group on the configured port. */
static int rr_join_group(const struct rr_lstn *mine, in_port_t port, bool probe)
{
	if (mine->n == 0) {
		errno = ENOTSOCK;
		return -1;
	}
	for (size_t i = 0; i < mine->n; i++) {
		struct sockaddr_storage a;
		socklen_t len = sizeof(a);
		int fd;

		if (getsockname(mine->fd[i], (struct sockaddr *)&a, &len) < 0 ||
		    (probe && rr_port_free(&a, len, port) < 0) || (fd = rr_group_socket(&a, len, port)) < 0)
			return -1;
		if (dup3(fd, mine->fd[i], O_CLOEXEC) < 0) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		close(fd);
	}
	return 0;
}

static int rr_engine_start(struct rr_engine *e)
{
	/* The thread gets every signal blocked but the wake-up one: the
	 * loop's own signals stay with the loop. */
	sigset_t all, old;
	int err;

	atomic_store(&e->exited, false);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&e->thread, NULL, rr_thread, e);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		errno = err;
		return -1;
	}
	e->running = true;
	return 0;
}

int recv_relp_start(struct loop *l, const struct config *cfg)
{
	char host[128], port[16];
	struct sigaction sa;
	struct timeval tv = { 0, 250000 };
	size_t want;
	in_port_t nport;
	relpRetVal r;

	if (cfg->relp_listen[0] == '\0')
		return 0;
	if (rr_split(cfg->relp_listen, host, sizeof(host), port, sizeof(port)) < 0) {
		log_err("relp: bad listen address '%s' (want host:port)", cfg->relp_listen);
		return -1;
	}
	rr.loop = l;
	rr.cfg = cfg;
	rr.n = 0;
	atomic_store(&rr.stopping, false);
	atomic_store(&rr.holding, false);
	rr.max = cfg->max_message_size ? cfg->max_message_size : SYSLOG_DEFAULT_MAX_SIZE;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = rr_wake; /* no SA_RESTART: the engine's wait returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(RR_WAKE_SIGNAL, &sa, NULL);

	want = cfg->relp_threads ? cfg->relp_threads : 1;
	if (want > CONFIG_RELP_THREADS_MAX)
		want = CONFIG_RELP_THREADS_MAX;
	nport = htons((in_port_t)atoi(port));
	for (size_t i = 0; i < want; i++) {
		struct rr_lstn mine;

		if ((r = rr_engine_new(&rr.e[i], host, want == 1 ? port : "0", &mine)) != RELP_RET_OK) {
			log_err("relp: cannot listen on %s: librelp error %d", cfg->relp_listen, (int)r);
			goto fail_engines;
		}
		rr.n++;
		if (want > 1 && rr_join_group(&mine, nport, i == 0) < 0) {
			log_err("relp: cannot listen on %s: %s", cfg->relp_listen, strerror(errno));
			goto fail_engines;
		}
		rr.e[i].group = mine;
		atomic_store(&rr.e[i].last_ms, INT64_MIN / 2); /* idle */
		atomic_store(&rr.e[i].busy_seq, 0);
	}
	atomic_store(&rr.steer_set, 0);
	atomic_store(&rr.steers, 0);
	atomic_store(&rr.busy_clock, 0);
	if (rr.n > 1) {
		rr_steer(rr_now_ms()); /* every engine, at random: none is busy yet */
		if (atomic_load(&rr.steer_set))
			rr_watch_start();
	}
	rr.fold_ev = event_new(l->base, -1, EV_PERSIST, rr_fold_cb, NULL);
	if (rr.fold_ev == NULL || event_add(rr.fold_ev, &tv) < 0)
		goto fail;
	for (size_t i = 0; i < rr.n; i++)
		if (rr_engine_start(&rr.e[i]) < 0)
			goto fail;
	log_info("relp: listening on %s (%zu engine%s)", cfg->relp_listen, rr.n, rr.n == 1 ? "" : "s");
	return 0;
fail:
	log_err("relp: cannot start: %s", strerror(errno));
fail_engines:
	recv_relp_stop();
	return -1;
}

/* Wakes the engines' waits until their threads have left them (a thread
 * holding an unstored commit never will: no point waiting for it). */
static void rr_stop_threads(void)
{
	for (size_t i = 0; i < rr.n; i++)
		if (rr.e[i].engine)
			relpEngineSetStop(rr.e[i].engine);
	for (int k = 0; k < 200 && !atomic_load(&rr.holding); k++) {
		bool all = true;
		struct timespec ts = { 0, 25 * 1000 * 1000 };

		for (size_t i = 0; i < rr.n; i++)
			if (rr.e[i].running && !atomic_load(&rr.e[i].exited)) {
				pthread_kill(rr.e[i].thread, RR_WAKE_SIGNAL);
				all = false;
			}
		if (all)
			break;
		nanosleep(&ts, NULL);
	}
	for (size_t i = 0; i < rr.n; i++)
		if (rr.e[i].running && atomic_load(&rr.e[i].exited)) {
			pthread_join(rr.e[i].thread, NULL);
			rr.e[i].running = false;
		}
}

void recv_relp_stop(void)
{
	atomic_store(&rr.stopping, true);
	rr_watch_stop();
	rr_stop_threads();
	for (size_t i = 0; i < rr.n; i++)
		if (rr.e[i].running) {
			log_warn(atomic_load(&rr.holding)
					 ? "relp: a commit could not be stored; leaving it unacknowledged"
					 : "relp: thread did not stop; leaving it");
			return;
		}
	for (size_t i = 0; i < rr.n; i++)
		if (rr.e[i].engine)
			relpEngineDestruct(&rr.e[i].engine);
	if (rr.n)
		log_info("relp: received %llu messages (connections steered to idle engines: %llu changes)",
			 (unsigned long long)atomic_load(&rr.received), (unsigned long long)atomic_load(&rr.steers));
	rr.n = 0;
	rr_fold();
	if (rr.fold_ev) {
		event_free(rr.fold_ev);
		rr.fold_ev = NULL;
	}
}
