/* recv_udp.c: the UDP syslog listener, on a thread of its own.
 *
 * The loop used to read the socket itself, and the loop also stores commits:
 * during a burst of distinct commits every fsync stopped the reading, and at
 * a blast the kernel dropped what did not fit in the receive buffer (91% of
 * the benchmark's distinct-commit stream). Now a thread reads the socket in
 * batches with recvmmsg() and parses each message where it arrives, as the
 * RELP threads do: an ordinary event costs its parse and a counter; a commit,
 * a commit request or an event a profile wants is copied and handed to the
 * loop with loop_call() (nothing to acknowledge over UDP, so it does not
 * wait), where the inbox batches whatever arrived meanwhile into one
 * transaction. Counters are kept per batch and added to atomics that a timer
 * on the loop folds into the model.
 *
 * The messages for the loop are handed over once per wake-up, as one batch
 * (one loop_call, one wake-up of the loop), not one by one: a stream whose
 * commits are 2% of it otherwise woke the loop for most of them, and the
 * wake-ups cost more CPU than reading on the loop had (measured). */
#define _GNU_SOURCE
#include "recv_udp.h"

#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sock_diag.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ingest.h"
#include "log.h"
#include "loop.h"
#include "netacl.h"
#include "recv_syslog.h"

#define RU_BATCH 64
#define RU_ROUNDS 16          /* recvmmsg batches per wake-up before the hand-off */
/* Under a steady stream the thread woke for every few datagrams (35 on
 * average in the benchmark's blast, 8,500 wake-ups per 300,000 messages):
 * the wake-ups, not the parsing, were the largest cost (perf: 21% in the
 * scheduler). After a wake-up that found at least RU_PACE_MIN datagrams the
 * thread pauses before it looks again, so the next read finds a fuller queue
 * — interrupt coalescing, as NICs do. A pause delays only the rest of a
 * burst: a lone commit is read as soon as it arrives, and a wake-up that read
 * the RU_ROUNDS * RU_BATCH maximum does not pause.
 *
 * The pause must not cost datagrams: with the kernel's default rmem_max a
 * receive buffer of 416 KiB filled during a fixed 0.3 ms at a blast, and
 * loss rose from 0-7% to 15-44%. So the pause adapts to what the queue held
 * when it ended (SO_MEMINFO): over a quarter of the buffer halves it, under
 * an eighth doubles it, between RU_PACE_MIN_NS and RU_PACE_MAX_NS. And a
 * sleeping thread can lose its CPU to others for longer than it asked: once
 * the kernel has dropped a datagram on this socket, for whatever reason,
 * there is no pausing for RU_PACE_OFF_SECS — CPU is cheaper than a lost
 * commit. */
#define RU_PACE_MIN 16
#define RU_PACE_MIN_NS 20000L
#define RU_PACE_MAX_NS 300000L
#define RU_PACE_OFF_SECS 10

struct ru_pace {
	long ns;                 /* the next pause */
	uint32_t drops;          /* the socket's drop count when last read */
	time_t off_until;        /* CLOCK_MONOTONIC seconds: no pause before */
};

/* What the thread counted; the loop folds the difference into the model. */
struct ru_counts {
	uint64_t received, malformed, dropped, events, refused, limited;
};

/* The messages of one wake-up that go to the loop. */
struct ru_batch {
	size_t n, cap;
	struct ingest_msg m[];
};

static struct {
	struct loop *loop;
	const struct config *cfg;
	size_t max;
	size_t slot;                   /* one datagram's buffer: ru_slot_size(max) */
	int fd, stop_fd, port;
	char *buf;                     /* RU_BATCH * slot */
	pthread_t thread;
	bool running;
	struct event *fold_ev;
	/* Written by the thread once per wake-up, read by the fold. */
	_Atomic uint64_t received, malformed, dropped, events, refused, limited;
	struct ru_counts folded;
	uint32_t kernel_drops;         /* the socket's drop count at the last fold (it wraps) */
	struct log_limit refused_log;  /* the thread's only */
} ru = { .fd = -1, .stop_fd = -1 };

/* A datagram's buffer holds one byte more than allowed, so truncation shows
 * as oversize, rounded up to an odd number of cache lines. With the default
 * 8192 the buffers were 8193 bytes apart, nearly a multiple of 4 KiB: the
 * starts of all 64 fell into the same few cache sets, so a batch was parsed
 * from further away than the cache the kernel had just copied it into. An
 * odd number of lines apart, they fall into 64 different sets. */
static size_t ru_slot_size(size_t max)
{
	size_t lines = (max + 1 + 63) / 64;

	return (lines | 1) * 64;
}

static int ru_apply(struct loop *l, void *arg)
{
	struct ru_batch *b = arg;
	int rc = 0;

	for (size_t i = 0; i < b->n; i++)
		if (ingest_apply(l, &b->m[i]) < 0)
			rc = -1;
	return rc;
}

/* A slot for one more message in *bp (grown as needed), or NULL. */
static struct ingest_msg *ru_batch_slot(struct ru_batch **bp)
{
	struct ru_batch *b = *bp;

	if (b == NULL || b->n == b->cap) {
		size_t cap = b ? 2 * b->cap : 16;
		struct ru_batch *nb = realloc(b, sizeof(*b) + cap * sizeof(b->m[0]));

		if (nb == NULL)
			return NULL;
		if (b == NULL)
			nb->n = 0;
		nb->cap = cap;
		*bp = b = nb;
	}
	return &b->m[b->n++];
}

/* One datagram, on the thread. */
static void ru_message(const char *buf, size_t len, bool truncated, const struct sockaddr *sa,
		       struct ru_counts *n, struct ru_batch **out)
{
	struct ingest_msg im, *copy;
	enum ingest_verdict v;

	if (ru.cfg->allowed_senders.n && !netacl_match(&ru.cfg->allowed_senders, sa)) {
		char a[RS_ADDR_MAX];

		n->refused++;
		if (log_limit_pass(&ru.refused_log, time(NULL), 60)) {
			ingest_format_addr(sa, a, sizeof(a));
			log_warn("syslog: %s is not in listen.allowed_senders: ignored (%lu more not logged "
				 "in the minute before)", a, ru.refused_log.quiet);
		}
		return;
	}
	n->received++;
	if (truncated || len > ru.max) {
		n->dropped++;
		return;
	}
	v = ingest_prepare(buf, len, ru.max, &im);
	switch (v) {
	case INGEST_MALFORMED:
		n->malformed++;
		return;
	case INGEST_OVERSIZE:
		n->dropped++;
		return;
	case INGEST_EVENT:
		n->events++;
		return;
	case INGEST_RATE_LIMITED:
		n->events++;
		n->limited++;
		return;
	case INGEST_INCIDENT_EVENT:
		n->events++;
		break;
	case INGEST_COMMIT:
	case INGEST_COMMIT_REQUEST:
		break; /* counted by ingest_apply once matched and not a duplicate */
	}
	ingest_format_addr(sa, im.sender, sizeof(im.sender));
	im.relay = netacl_match(&ru.cfg->relays, sa);
	copy = ru_batch_slot(out);
	if (copy != NULL) /* else like a datagram the kernel dropped */
		*copy = im;
}

/* Reads what is waiting, RU_ROUNDS batches at most; what goes to the loop
 * is added to *out. Returns how many datagrams it read. */
static size_t ru_drain(struct ru_counts *n, struct ru_batch **out)
{
	struct mmsghdr msgs[RU_BATCH];
	struct iovec iov[RU_BATCH];
	struct sockaddr_storage peers[RU_BATCH];
	size_t total = 0;

	for (int round = 0; round < RU_ROUNDS; round++) {
		int got;

		memset(msgs, 0, sizeof(msgs));
		for (int i = 0; i < RU_BATCH; i++) {
			iov[i].iov_base = ru.buf + (size_t)i * ru.slot;
			iov[i].iov_len = ru.max + 1;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &peers[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(peers[i]);
		}
		got = recvmmsg(ru.fd, msgs, RU_BATCH, MSG_DONTWAIT, NULL);
		if (got < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("syslog: udp receive: %s", strerror(errno));
			break;
		}
		total += (size_t)got;
		for (int i = 0; i < got; i++)
			ru_message(iov[i].iov_base, msgs[i].msg_len, (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0,
				   (const struct sockaddr *)&peers[i], n, out);
		if (got < RU_BATCH)
			break;
	}
	return total;
}

static void ru_publish(const struct ru_counts *n)
{
#define RU_ADD(f) if (n->f) atomic_fetch_add_explicit(&ru.f, n->f, memory_order_relaxed)
	RU_ADD(received);
	RU_ADD(malformed);
	RU_ADD(dropped);
	RU_ADD(events);
	RU_ADD(refused);
	RU_ADD(limited);
#undef RU_ADD
}

/* Whether the socket's queue, read now, allows a pause; adapts the pause. */
static bool ru_pace_adapt(struct ru_pace *pc)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mi);
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (getsockopt(ru.fd, SOL_SOCKET, SO_MEMINFO, mi, &len) < 0 || len < sizeof(mi) || !mi[SK_MEMINFO_RCVBUF])
		return false;
	if (mi[SK_MEMINFO_DROPS] != pc->drops) {
		pc->drops = mi[SK_MEMINFO_DROPS];
		pc->off_until = now.tv_sec + RU_PACE_OFF_SECS;
		pc->ns = RU_PACE_MIN_NS;
	}
	if (mi[SK_MEMINFO_RMEM_ALLOC] > mi[SK_MEMINFO_RCVBUF] / 4)
		pc->ns = pc->ns / 2 > RU_PACE_MIN_NS ? pc->ns / 2 : RU_PACE_MIN_NS;
	else if (mi[SK_MEMINFO_RMEM_ALLOC] < mi[SK_MEMINFO_RCVBUF] / 8)
		pc->ns = pc->ns * 2 < RU_PACE_MAX_NS ? pc->ns * 2 : RU_PACE_MAX_NS;
	return now.tv_sec >= pc->off_until;
}

/* After a drain of got datagrams: pause, if the stream and the queue allow,
 * and adapt the next pause to how full the queue got meanwhile. */
static void ru_pace(struct ru_pace *pc, size_t got)
{
	if (got < RU_PACE_MIN || got >= (size_t)RU_ROUNDS * RU_BATCH || !ru_pace_adapt(pc))
		return;
	struct timespec t = { 0, pc->ns };
	nanosleep(&t, NULL); /* a stop waits for it: 0.3 ms at most */
	(void)ru_pace_adapt(pc);
}

static void *ru_thread(void *arg)
{
	struct pollfd p[2] = { { .fd = ru.fd, .events = POLLIN }, { .fd = ru.stop_fd, .events = POLLIN } };
	struct ru_pace pace = { .ns = RU_PACE_MAX_NS };

	(void)arg;
	pthread_setname_np(pthread_self(), "udp-recv");
	for (;;) {
		struct ru_counts n = { 0 };
		struct ru_batch *b = NULL;
		size_t got;

		if (poll(p, 2, -1) < 0 && errno != EINTR) {
			log_err("syslog: udp: poll: %s", strerror(errno));
			break;
		}
		if (p[1].revents)
			break;
		got = ru_drain(&n, &b);
		ru_publish(&n);
		if (b != NULL)
			loop_call(ru.loop, ru_apply, b);
		ru_pace(&pace, got);
	}
	ingest_forget_rates();
	return NULL;
}

/* Loop thread: adds what the thread counted since the last fold. */
static void ru_fold(void)
{
	struct ingest_counters *c = &ru.loop->model.ingest;
	uint64_t v;

#define RU_FOLD(field, total)                                                   \
	v = atomic_load_explicit(&ru.field, memory_order_relaxed);              \
	c->total += v - ru.folded.field;                                        \
	ru.folded.field = v
	RU_FOLD(received, received);
	RU_FOLD(malformed, malformed);
	RU_FOLD(dropped, dropped);
	RU_FOLD(events, other_events);
	RU_FOLD(refused, refused);
#undef RU_FOLD
	v = atomic_load_explicit(&ru.limited, memory_order_relaxed);
	ru.loop->incidents.c.rate_limited += v - ru.folded.limited;
	ru.folded.limited = v;
	/* What the kernel dropped before the thread could read it: UDP's only
	 * trace of a full buffer (sk_drops, 32 bits: the difference wraps). */
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mi);
	if (ru.fd >= 0 && getsockopt(ru.fd, SOL_SOCKET, SO_MEMINFO, mi, &len) == 0 && len >= sizeof(mi)) {
		c->udp_buffer_drops += (uint32_t)(mi[SK_MEMINFO_DROPS] - ru.kernel_drops);
		ru.kernel_drops = mi[SK_MEMINFO_DROPS];
	}
}

static void ru_fold_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	ru_fold();
}

int recv_udp_start(struct loop *l, const struct config *cfg)
{
	struct sockaddr_storage ss;
	int sslen = (int)sizeof(ss), rcvbuf = 8 << 20, err;
	struct timeval tv = { 0, 250000 };
	sigset_t all, old;

	if (cfg->udp_listen[0] == '\0')
		return 0;
	memset(&ss, 0, sizeof(ss));
	if (evutil_parse_sockaddr_port(cfg->udp_listen, (struct sockaddr *)&ss, &sslen) < 0) {
		log_err("syslog: bad listen address '%s' (want host:port)", cfg->udp_listen);
		return -1;
	}
	memset(&ru.folded, 0, sizeof(ru.folded));
	ru.kernel_drops = 0;
	ru.loop = l;
	ru.cfg = cfg;
	ru.max = cfg->max_message_size ? cfg->max_message_size : SYSLOG_DEFAULT_MAX_SIZE;
	ru.fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ru.fd < 0)
		goto fail;
	evutil_make_listen_socket_reuseable(ru.fd);
	/* A burst must not overflow the kernel queue while the thread parses
	 * or waits for the queue; the kernel caps this at rmem_max. */
	(void)setsockopt(ru.fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(ru.fd, (struct sockaddr *)&ss, (socklen_t)sslen) < 0)
		goto fail;
	ru.slot = ru_slot_size(ru.max);
	ru.buf = malloc((size_t)RU_BATCH * ru.slot);
	ru.stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ru.fold_ev = event_new(l->base, -1, EV_PERSIST, ru_fold_cb, NULL);
	if (ru.buf == NULL || ru.stop_fd < 0 || ru.fold_ev == NULL || event_add(ru.fold_ev, &tv) < 0)
		goto fail;
	/* The loop's signals stay with the loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&ru.thread, NULL, ru_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		errno = err;
		goto fail;
	}
	ru.running = true;
	ru.port = recv_bound_port(ru.fd);
	log_info("syslog: listening on udp %s", cfg->udp_listen);
	return 0;
fail:
	log_err("syslog: udp %s: %s", cfg->udp_listen, strerror(errno));
	recv_udp_stop();
	return -1;
}

void recv_udp_stop(void)
{
	if (ru.running) {
		uint64_t one = 1;

		(void)!write(ru.stop_fd, &one, sizeof(one));
		pthread_join(ru.thread, NULL);
		ru.running = false;
	}
	if (ru.loop)
		ru_fold();
	if (ru.fold_ev) {
		event_free(ru.fold_ev);
		ru.fold_ev = NULL;
	}
	if (ru.fd >= 0)
		close(ru.fd);
	if (ru.stop_fd >= 0)
		close(ru.stop_fd);
	ru.fd = ru.stop_fd = -1;
	free(ru.buf);
	ru.buf = NULL;
	ru.port = 0;
	ru.loop = NULL;
}

int recv_udp_port(void)
{
	return ru.port;
}
