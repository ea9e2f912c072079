/* ingest.c: from a received syslog message to the model (SPEC R1, section 8).
 *
 * Ordinary events cost one parse and a counter. Commits and commit requests
 * are matched to a device, checked against a small ring of recent message
 * keys (a device sending twice, a RELP sender re-sending after a reconnect,
 * or the same message arriving both directly and through a relay must not
 * count as two commits), then handed to the loop. */
#include "ingest.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "netacl.h"
#include "loop.h"
#include "sched.h"
#include "syslog_parse.h"

/* Recent commit keys: commits are rare, a linear scan of 512 is nothing. */
#define INGEST_RING 512
#define INGEST_DUP_WINDOW RS_SECS(3600)

struct ingest_seen {
	uint64_t key;
	rs_time_t when;
};

static struct ingest_seen ingest_ring[INGEST_RING];
static size_t ingest_ring_next;

/* The receivers read the profile set under a read lock; a reload swaps it
 * under the write lock. Without profiles not even the lock is taken. */
static pthread_rwlock_t ingest_profiles_lock = PTHREAD_RWLOCK_INITIALIZER;
static const struct incident_profiles *ingest_profiles;
static atomic_bool ingest_have_profiles;

void ingest_set_profiles(const struct incident_profiles *ps)
{
	pthread_rwlock_wrlock(&ingest_profiles_lock);
	ingest_profiles = ps;
	atomic_store(&ingest_have_profiles, ps != NULL && ps->n > 0);
	pthread_rwlock_unlock(&ingest_profiles_lock);
}

static bool ingest_wanted(const char *tag)
{
	bool want;

	if (!atomic_load_explicit(&ingest_have_profiles, memory_order_relaxed))
		return false;
	pthread_rwlock_rdlock(&ingest_profiles_lock);
	want = incident_profiles_wants(ingest_profiles, tag);
	pthread_rwlock_unlock(&ingest_profiles_lock);
	return want;
}

/* Per receiving thread: one bucket per host name, at most INGEST_BUCKETS
 * (spoofed names cannot grow it without bound: it starts over when full). */
#define INGEST_BUCKETS 4096

struct ingest_bucket {
	char host[256];
	double tokens;
	rs_time_t last;
	UT_hash_handle hh;
};

static __thread struct ingest_bucket *ingest_buckets;
static __thread unsigned ingest_nbuckets;
static atomic_uint ingest_rate_cap = 100;

void ingest_set_rate_cap(uint32_t cap)
{
	atomic_store_explicit(&ingest_rate_cap, cap, memory_order_relaxed);
}

void ingest_forget_rates(void)
{
	struct ingest_bucket *b, *tmp;

	HASH_ITER(hh, ingest_buckets, b, tmp) {
		HASH_DEL(ingest_buckets, b);
		free(b);
	}
	ingest_nbuckets = 0;
}

static bool ingest_rate_ok(struct syslog_str host)
{
	uint32_t cap = atomic_load_explicit(&ingest_rate_cap, memory_order_relaxed);
	struct ingest_bucket *b;
	struct timespec ts;
	rs_time_t now;

	if (cap == 0 || host.n >= sizeof(b->host))
		return true;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (rs_time_t)ts.tv_sec * RS_USEC_PER_SEC + ts.tv_nsec / 1000;
	HASH_FIND(hh, ingest_buckets, host.p, host.n, b);
	if (b == NULL) {
		if (ingest_nbuckets >= INGEST_BUCKETS)
			ingest_forget_rates();
		b = calloc(1, sizeof(*b));
		if (b == NULL)
			return true;
		memcpy(b->host, host.p, host.n);
		b->tokens = cap;
		b->last = now;
		HASH_ADD(hh, ingest_buckets, host, host.n, b);
		ingest_nbuckets++;
	}
	return incident_bucket_take(&b->tokens, &b->last, cap, now);
}

void ingest_reset(void)
{
	memset(ingest_ring, 0, sizeof(ingest_ring));
	ingest_ring_next = 0;
}

static uint64_t ingest_fnv(uint64_t h, const char *p, size_t n, bool lower)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		h ^= lower ? (unsigned char)tolower(c) : c;
		h *= 1099511628211ULL;
	}
	h ^= 0xff; /* field separator */
	h *= 1099511628211ULL;
	return h;
}

/* Day of month and time of day, the part of a timestamp that survives a
 * relay rewriting "Mar  5 10:15:02" as "2024-03-05T10:15:02+01:00". */
static size_t ingest_norm_time(struct syslog_str ts, char out[9])
{
	const char *colon;
	size_t o = 0;

	if (ts.n < 8 || (colon = memchr(ts.p, ':', ts.n)) == NULL || colon - ts.p < 2 ||
	    (size_t)(ts.p + ts.n - colon) < 6)
		return 0;
	if (ts.n >= 10 && ts.p[4] == '-') {
		out[o++] = ts.p[8];
		out[o++] = ts.p[9];
	} else {
		const char *d = ts.p + 3;

		while (d < colon && *d == ' ')
			d++;
		out[o++] = (d + 1 < colon && d[1] != ' ') ? *d++ : '0';
		out[o++] = *d;
	}
	memcpy(out + o, colon - 2, 2);
	memcpy(out + o + 2, colon + 1, 2);
	memcpy(out + o + 4, colon + 4, 2);
	return o + 6;
}

static uint64_t ingest_key(const struct syslog_msg *m, const struct junos_event *ev)
{
	char t[9];
	size_t tn = ingest_norm_time(m->timestamp, t);
	uint64_t h = 14695981039346656037ULL;
	struct syslog_str text = ev->text;

	if (tn == 0)
		return 0; /* without a timestamp two real commits look alike */
	while (text.n && (text.p[text.n - 1] == ' ' || text.p[text.n - 1] == '\t'))
		text.n--;
	h = ingest_fnv(h, m->host.p, m->host.n, true);
	h = ingest_fnv(h, t, tn, false);
	h = ingest_fnv(h, m->app.p, m->app.n, false);
	h = ingest_fnv(h, m->procid.p, m->procid.n, false);
	h = ingest_fnv(h, ev->tag, strlen(ev->tag), false);
	h = ingest_fnv(h, text.p, text.n, false);
	return h ? h : 1;
}

void ingest_escape_ctl(char *s, size_t size)
{
	char out[1024];
	size_t o = 0;
	const unsigned char *p = (const unsigned char *)s;

	if (size == 0)
		return;
	if (size > sizeof(out))
		size = sizeof(out);
	for (; *p; p++) {
		char esc[8];
		int n;

		if (*p < 0x20 || *p == 0x7f)
			n = snprintf(esc, sizeof(esc), "\\x%02x", *p);
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			n = snprintf(esc, sizeof(esc), "\\u%04x", *++p);
		else {
			esc[0] = (char)*p;
			n = 1;
		}
		if (o + (size_t)n >= size)
			break;
		memcpy(out + o, esc, (size_t)n);
		o += (size_t)n;
	}
	memcpy(s, out, o);
	s[o] = '\0';
}

enum ingest_verdict ingest_prepare(const char *buf, size_t len, size_t max_size,
				   struct ingest_msg *im)
{
	struct syslog_msg m;
	struct junos_event ev;
	enum syslog_error e = syslog_parse(buf, len, max_size, &m);

	if (e == SYSLOG_E_OVERSIZE)
		return im->verdict = INGEST_OVERSIZE;
	if (e != SYSLOG_OK)
		return im->verdict = INGEST_MALFORMED;
	junos_recognise(&m, &ev);
	if (ev.kind == JUNOS_EVENT && !ingest_wanted(ev.tag))
		return im->verdict = INGEST_EVENT;
	syslog_str_copy(ev.host, im->host, sizeof(im->host));
	im->sender[0] = '\0';
	if (ev.kind == JUNOS_EVENT) {
		if (!ingest_rate_ok(ev.host))
			return im->verdict = INGEST_RATE_LIMITED;
		strlcpy(im->tag, ev.tag, sizeof(im->tag));
		strlcpy(im->ev.tag, ev.tag, sizeof(im->ev.tag));
		im->ev.severity = ev.severity;
		incident_event_detail(&m, &ev, im->ev.detail, sizeof(im->ev.detail));
		syslog_str_copy(ev.text, im->ev.text, sizeof(im->ev.text));
		return im->verdict = INGEST_INCIDENT_EVENT;
	}
	im->verdict = ev.kind == JUNOS_COMMIT ? INGEST_COMMIT : INGEST_COMMIT_REQUEST;
	strlcpy(im->tag, ev.tag, sizeof(im->tag));
	strlcpy(im->user, ev.user, sizeof(im->user));
	strlcpy(im->comment, ev.comment, sizeof(im->comment));
	ingest_escape_ctl(im->user, sizeof(im->user));
	ingest_escape_ctl(im->comment, sizeof(im->comment));
	im->relay = false;
	im->key = ingest_key(&m, &ev);
	return im->verdict;
}

void ingest_count(struct ingest_counters *c, enum ingest_verdict v)
{
	c->received++;
	switch (v) {
	case INGEST_MALFORMED: c->malformed++; break;
	case INGEST_OVERSIZE: c->dropped++; break;
	case INGEST_EVENT:
	case INGEST_INCIDENT_EVENT:
	case INGEST_RATE_LIMITED: c->other_events++; break;
	case INGEST_COMMIT:
	case INGEST_COMMIT_REQUEST:
		break; /* counted by ingest_apply once matched and not a duplicate */
	}
}

/* True if key was seen recently; remembers it otherwise. */
static bool ingest_seen(uint64_t key, rs_time_t now)
{
	if (key == 0)
		return false;
	for (size_t i = 0; i < INGEST_RING; i++)
		if (ingest_ring[i].key == key && now - ingest_ring[i].when < INGEST_DUP_WINDOW)
			return true;
	ingest_ring[ingest_ring_next].key = key;
	ingest_ring[ingest_ring_next].when = now;
	ingest_ring_next = (ingest_ring_next + 1) % INGEST_RING;
	return false;
}

/* Whether two textual addresses are the same address ("::ffff:192.0.2.1"
 * is 192.0.2.1 by then: ingest_format_addr wrote it so). */
static bool ingest_same_addr(const char *a, const char *b)
{
	unsigned char x[16], y[16];

	if (a == NULL || b == NULL || !*a || !*b)
		return false;
	if (inet_pton(AF_INET, a, x) == 1)
		return inet_pton(AF_INET, b, y) == 1 && memcmp(x, y, 4) == 0;
	if (inet_pton(AF_INET6, a, x) == 1)
		return inet_pton(AF_INET6, b, y) == 1 && memcmp(x, y, 16) == 0;
	return false;
}

int ingest_apply(struct loop *l, const struct ingest_msg *im)
{
	struct model *m = &l->model;
	struct device *d;
	const char *mgr = l->config ? l->config->manager_user : "";

	if (im->verdict != INGEST_COMMIT && im->verdict != INGEST_COMMIT_REQUEST &&
	    im->verdict != INGEST_INCIDENT_EVENT)
		return 0;
	d = model_device_match(m, im->host, im->sender[0] ? im->sender : NULL);
	if (im->verdict == INGEST_INCIDENT_EVENT) {
		/* Events of unmanaged hosts are only counted, as before profiles. */
		if (d != NULL)
			loop_incident_event(l, d, &im->ev);
		return 0;
	}
	if (d == NULL) {
		m->ingest.unknown_host++;
		log_debug("ingest: %s from %s%s%s: no managed device", im->tag,
			  im->host[0] ? im->host : "(no host)", im->sender[0] ? " at " : "", im->sender);
		return 0;
	}
	if (l->config && l->config->strict_senders && !im->relay && !ingest_same_addr(im->sender, d->address)) {
		/* listen.strict_senders: anyone can write "r1" into a message;
		 * only r1's own address or a trusted relay may say r1 committed. */
		static struct log_limit ll;

		m->ingest.not_from_device++;
		if (log_limit_pass(&ll, time(NULL), 60))
			log_warn("device %s: %s from %s ignored: neither the device's address nor in "
				 "listen.relays (strict_senders; %lu more not logged in the minute before)",
				 d->name, im->tag, im->sender[0] ? im->sender : "(unknown)", ll.quiet);
		return 0;
	}
	if (ingest_seen(im->key, loop_now(l))) {
		m->ingest.duplicates++;
		log_debug("device %s: duplicate %s ignored", d->name, im->tag);
		return 0;
	}
	if (im->verdict == INGEST_COMMIT_REQUEST) {
		m->ingest.other_events++;
		/* Kept for the next commit notification (sched_commit takes them). */
		model_istr_set(&d->pending_user, im->user, RS_USER_MAX);
		model_str_set(&d->pending_comment, im->comment, RS_COMMENT_MAX);
		log_debug("device %s: commit requested by %s%s%s", d->name,
			  im->user[0] ? im->user : "(unknown)", im->comment[0] ? ": " : "", im->comment);
		return loop_save_device(l, d);
	}
	m->ingest.commits++;
	const char *user = im->user[0] ? im->user : d->pending_user;
	struct commit_info ci = {
		.user = im->user[0] ? im->user : NULL,
		.comment = im->comment[0] ? im->comment : NULL,
		.by_manager = mgr && *mgr && strcmp(user, mgr) == 0,
		.rollback = strcmp(im->tag, "UI_COMMIT_NOT_CONFIRMED") == 0,
	};
	int rc = loop_commit(l, d, &ci);
	/* Logged once stored (loop_commit's transaction): the line says the
	 * commit is in, which commit_latency.py times. */
	log_info("device %s: %s%s%s", d->name, im->tag, *d->last_commit_user ? " by " : "", d->last_commit_user);
	return rc;
}

void ingest_format_addr(const struct sockaddr *sa, char *out, size_t outlen)
{
	if (outlen == 0)
		return;
	out[0] = '\0';
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)outlen);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		/* An IPv4 peer on a dual-stack socket: show it as IPv4. */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], out, (socklen_t)outlen);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, out, (socklen_t)outlen);
	}
}

int ingest_handle(struct loop *l, const char *buf, size_t len, size_t max_size,
		  const struct sockaddr *sa)
{
	struct ingest_msg im;
	enum ingest_verdict v = ingest_prepare(buf, len, max_size, &im);

	ingest_count(&l->model.ingest, v);
	if (v == INGEST_RATE_LIMITED)
		l->incidents.c.rate_limited++;
	if (v != INGEST_COMMIT && v != INGEST_COMMIT_REQUEST && v != INGEST_INCIDENT_EVENT)
		return 0;
	ingest_format_addr(sa, im.sender, sizeof(im.sender));
	im.relay = l->config && netacl_match(&l->config->relays, sa);
	return ingest_apply(l, &im);
}
