/* recv_syslog.c: the syslog listeners: TCP and TLS in the main loop, and UDP
 * on a thread of its own (recv_udp.c).
 *
 * TCP: libevent's evconnlistener and
 * bufferevents; each frame is LF-terminated or octet-counted ("LEN SP MSG",
 * RFC 6587, tcp_frame.c). A frame longer than max_message_size is skipped
 * and counted as dropped.
 *
 * TLS (RFC 5425, listen.tls): the same framing over libevent's OpenSSL
 * bufferevents; with listen.tls_ca a client must present a certificate that
 * CA signed, or the handshake fails and nothing it sends is read.
 *
 * Limits, so that senders cannot exhaust resyncd: listen.allowed_senders
 * (UDP datagrams and TCP connections from elsewhere are ignored),
 * listen.max_connections (at the cap the connection silent longest is
 * closed for the new one), listen.idle_timeout_secs, and a pause in
 * accepting when the process is out of descriptors. */
#define _GNU_SOURCE
#include "recv_syslog.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ingest.h"
#include "log.h"
#include "loop.h"
#include "netacl.h"
#include "recv_udp.h"
#include "syslog_parse.h"
#include "tcp_frame.h"
#include "tls_ctx.h"

/* A stream listener: plain TCP, or TLS (RFC 5425) when ssl is set. */
struct rs_listener {
	const char *name;                  /* "tcp", "tls" */
	struct evconnlistener *lis;
	struct event *resume_ev;           /* accepting again after running out of descriptors */
	SSL_CTX *ssl;
	int port;
};

struct rs_tcp_conn {
	struct bufferevent *bev;
	struct sockaddr_storage peer;
	struct tcp_frame_state fr;
	TAILQ_ENTRY(rs_tcp_conn) link;  /* least recently active first */
};

static struct {
	struct loop *loop;
	size_t max;
	struct rs_listener tcp, tls;        /* the TLS one shares the connections, cap and timeout */
	TAILQ_HEAD(, rs_tcp_conn) conns;
	size_t nconns, max_conns;          /* max_conns 0: no cap */
	struct timeval idle;               /* 0: no idle timeout */
	const struct netacl *allowed;      /* NULL or empty: anyone */
	bool paused;                       /* in a streak of accept failures */
	time_t last_fail;                  /* the streak's latest failure */
	unsigned long streak_pauses;
	struct log_limit cap_log, refused_log;
	struct log_limit tls_log;
} rs;

static int rs_parse_addr(const char *spec, struct sockaddr_storage *ss, int *sslen)
{
	*sslen = (int)sizeof(*ss);
	memset(ss, 0, sizeof(*ss));
	if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)ss, sslen) < 0) {
		log_err("syslog: bad listen address '%s' (want host:port)", spec);
		return -1;
	}
	return 0;
}

int recv_bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

/* listen.allowed_senders: anything from elsewhere is counted and ignored. */
static bool rs_allowed(const struct sockaddr *sa)
{
	char a[RS_ADDR_MAX];

	if (rs.allowed == NULL || rs.allowed->n == 0 || netacl_match(rs.allowed, sa))
		return true;
	rs.loop->model.ingest.refused++;
	if (log_limit_pass(&rs.refused_log, time(NULL), 60)) {
		ingest_format_addr(sa, a, sizeof(a));
		log_warn("syslog: %s is not in listen.allowed_senders: ignored (%lu more not logged "
			 "in the minute before)", a, rs.refused_log.quiet);
	}
	return false;
}

static void rs_conn_free(struct rs_tcp_conn *c)
{
	TAILQ_REMOVE(&rs.conns, c, link);
	rs.nconns--;
	bufferevent_free(c->bev);
	free(c);
}

/* Closes the connection that has been silent longest, to make room. */
static void rs_close_idlest(const char *why)
{
	struct rs_tcp_conn *c = TAILQ_FIRST(&rs.conns);
	char a[RS_ADDR_MAX];

	if (c == NULL)
		return;
	rs.loop->model.ingest.conns_closed++;
	if (log_limit_pass(&rs.cap_log, time(NULL), 60)) {
		ingest_format_addr((const struct sockaddr *)&c->peer, a, sizeof(a));
		log_warn("syslog: tcp: %s: closing the connection silent longest (from %s; "
			 "%lu more not logged in the minute before)", why, a, rs.cap_log.quiet);
	}
	rs_conn_free(c);
}

static void rs_tcp_read(struct bufferevent *bev, void *arg)
{
	struct rs_tcp_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct loop *l = rs.loop;

	/* Active: to the end of the eviction order. */
	TAILQ_REMOVE(&rs.conns, c, link);
	TAILQ_INSERT_TAIL(&rs.conns, c, link);
	for (;;) {
		size_t have = evbuffer_get_length(in), win = TCP_FRAME_WINDOW(rs.max), used, mlen = 0;
		const char *p, *msg = NULL;

		if (have == 0)
			return;
		if (win > have)
			win = have;
		p = (const char *)evbuffer_pullup(in, (ev_ssize_t)win);
		switch (tcp_frame_next(&c->fr, p, win, rs.max, &used, &msg, &mlen)) {
		case TCP_FRAME_NEED_MORE:
			return;
		case TCP_FRAME_MSG:
			ingest_handle(l, msg, mlen, rs.max, (const struct sockaddr *)&c->peer);
			break;
		case TCP_FRAME_DROPPED:
			l->model.ingest.received++;
			l->model.ingest.dropped++;
			break;
		case TCP_FRAME_SKIPPED:
			break;
		}
		evbuffer_drain(in, used);
	}
}

static void rs_tcp_event(struct bufferevent *bev, short what, void *arg)
{
	struct rs_tcp_conn *c = arg;

	(void)bev;
	if (what & BEV_EVENT_TIMEOUT) {
		/* listen.idle_timeout_secs: a silent connection holds a
		 * descriptor for nothing. */
		rs.loop->model.ingest.conns_closed++;
		rs_conn_free(c);
		return;
	}
	if ((what & BEV_EVENT_ERROR) && bufferevent_openssl_get_ssl(c->bev) != NULL &&
	    bufferevent_get_openssl_error(c->bev) != 0) {
		/* A client without an acceptable certificate, or not speaking
		 * TLS: say who, at most once a minute. */
		unsigned long e = bufferevent_get_openssl_error(c->bev);
		char a[RS_ADDR_MAX], why[256];

		if (log_limit_pass(&rs.tls_log, time(NULL), 60)) {
			ingest_format_addr((const struct sockaddr *)&c->peer, a, sizeof(a));
			ERR_error_string_n(e, why, sizeof(why));
			log_warn("syslog: tls: %s: %s (%lu more not logged in the minute before)", a, why,
				 rs.tls_log.quiet);
		}
		while (bufferevent_get_openssl_error(c->bev) != 0)
			;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		/* A last frame without LF at EOF is still a message. */
		struct evbuffer *in = bufferevent_get_input(c->bev);
		size_t have = evbuffer_get_length(in);

		if ((what & BEV_EVENT_EOF) && tcp_frame_eof(&c->fr, have, rs.max))
			ingest_handle(rs.loop, (const char *)evbuffer_pullup(in, -1), have, rs.max,
				      (const struct sockaddr *)&c->peer);
		rs_conn_free(c);
	}
}

static void rs_tcp_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
			  int salen, void *arg)
{
	struct rs_listener *ls = arg;
	struct loop *l = rs.loop;
	struct rs_tcp_conn *c;

	(void)lis;
	/* The streak ends with an accept 10 s after its last failure (at the
	 * limit, accepts and failures alternate). */
	if (rs.paused && time(NULL) - rs.last_fail >= 10) {
		rs.paused = false;
		log_info("syslog: %s: accepting connections again after %lu pauses", ls->name, rs.streak_pauses);
	}
	if (!rs_allowed(sa)) {
		evutil_closesocket(fd);
		return;
	}
	if (rs.max_conns && rs.nconns >= rs.max_conns)
		rs_close_idlest("listen.max_connections reached");
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		evutil_closesocket(fd);
		return;
	}
	if (salen > 0 && (size_t)salen <= sizeof(c->peer))
		memcpy(&c->peer, sa, (size_t)salen);
	if (ls->ssl) {
		SSL *ssl = SSL_new(ls->ssl);

		c->bev = ssl ? bufferevent_openssl_socket_new(l->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
							      BEV_OPT_CLOSE_ON_FREE)
			     : NULL;
		if (c->bev == NULL && ssl)
			SSL_free(ssl);
	} else {
		c->bev = bufferevent_socket_new(l->base, fd, BEV_OPT_CLOSE_ON_FREE);
	}
	if (c->bev == NULL) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&rs.conns, c, link);
	rs.nconns++;
	bufferevent_setcb(c->bev, rs_tcp_read, NULL, rs_tcp_event, c);
	if (rs.idle.tv_sec)
		bufferevent_set_timeouts(c->bev, &rs.idle, NULL);
	bufferevent_enable(c->bev, EV_READ);
}

static void rs_tcp_resume(evutil_socket_t fd, short what, void *arg)
{
	struct rs_listener *ls = arg;

	(void)fd;
	(void)what;
	if (ls->lis)
		evconnlistener_enable(ls->lis);
}

/* accept() failed for a reason libevent does not retry by itself. Out of
 * descriptors (EMFILE, ENFILE) or memory, the pending connection stays
 * queued and the listening socket stays readable: accepting again at once
 * would spin (and log) without end. So stop accepting for a moment, close
 * the connection silent longest to free a descriptor, and log once per
 * streak. */
static void rs_tcp_error(struct evconnlistener *lis, void *arg)
{
	int e = EVUTIL_SOCKET_ERROR();
	struct timeval pause = { 0, 250 * 1000 };
	struct rs_listener *ls = arg;

	if (!rs.paused) {
		log_warn("syslog: %s accept: %s: pausing accepts (raise LimitNOFILE or lower "
			 "listen.max_connections; logged once until accepting works again)",
			 ls->name, evutil_socket_error_to_string(e));
		rs.streak_pauses = 0;
	}
	rs.paused = true;
	rs.last_fail = time(NULL);
	rs.streak_pauses++;
	rs.loop->model.ingest.accept_pauses++;
	evconnlistener_disable(lis);
	if (e == EMFILE || e == ENFILE)
		rs_close_idlest("out of file descriptors");
	event_add(ls->resume_ev, &pause);
}

static int rs_stream_start(struct loop *l, struct rs_listener *ls, const char *spec)
{
	struct sockaddr_storage ss;
	int sslen;

	if (rs_parse_addr(spec, &ss, &sslen) < 0)
		return -1;
	ls->lis = evconnlistener_new_bind(l->base, rs_tcp_accept, ls,
					  LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
					  128, (struct sockaddr *)&ss, sslen);
	if (ls->lis == NULL) {
		log_err("syslog: %s %s: %s", ls->name, spec, strerror(errno));
		return -1;
	}
	evconnlistener_set_error_cb(ls->lis, rs_tcp_error);
	ls->resume_ev = evtimer_new(l->base, rs_tcp_resume, ls);
	if (ls->resume_ev == NULL) {
		log_err("syslog: %s %s: out of memory", ls->name, spec);
		return -1;
	}
	ls->port = recv_bound_port(evconnlistener_get_fd(ls->lis));
	log_info("syslog: listening on %s %s", ls->name, spec);
	return 0;
}

static int rs_tls_start(struct loop *l, const struct config *cfg)
{
	char err[512];

	rs.tls.ssl = tls_ctx_new(cfg->tls_cert, cfg->tls_key, cfg->tls_ca, err, sizeof(err));
	if (rs.tls.ssl == NULL) {
		log_err("syslog: tls %s: %s", cfg->tls_listen, err);
		return -1;
	}
	if (cfg->tls_ca[0])
		log_info("syslog: tls: clients need a certificate signed by %s", cfg->tls_ca);
	return rs_stream_start(l, &rs.tls, cfg->tls_listen);
}

static void rs_stream_stop(struct rs_listener *ls)
{
	if (ls->lis)
		evconnlistener_free(ls->lis);
	if (ls->resume_ev)
		event_free(ls->resume_ev);
	ls->lis = NULL;
	ls->resume_ev = NULL;
	ls->port = 0;
}

int recv_syslog_start(struct loop *l, const struct config *cfg)
{
	rs.loop = l;
	rs.max = cfg->max_message_size ? cfg->max_message_size : SYSLOG_DEFAULT_MAX_SIZE;
	TAILQ_INIT(&rs.conns);
	rs.nconns = 0;
	rs.max_conns = cfg->max_connections;
	rs.idle.tv_sec = cfg->idle_timeout_secs;
	rs.idle.tv_usec = 0;
	rs.allowed = &cfg->allowed_senders;
	rs.paused = false;
	if (recv_udp_start(l, cfg) < 0)
		goto fail;
	rs.tcp.name = "tcp";
	rs.tls.name = "tls";
	if (cfg->tcp_listen[0] && rs_stream_start(l, &rs.tcp, cfg->tcp_listen) < 0)
		goto fail;
	if (cfg->tls_listen[0] && rs_tls_start(l, cfg) < 0)
		goto fail;
	return 0;
fail:
	recv_syslog_stop();
	return -1;
}

void recv_syslog_stop(void)
{
	recv_udp_stop(); /* its last counts folded before the totals */
	if (rs.loop) {
		const struct ingest_counters *c = &rs.loop->model.ingest;

		/* The totals of every receiver (RELP's are folded in by now). */
		log_info("ingest: received %llu, malformed %llu, commits %llu, other events %llu, "
			 "unknown host %llu, dropped %llu, duplicates %llu, refused senders %llu, "
			 "not from the device %llu, connections closed %llu, accept pauses %llu, "
			 "udp buffer drops %llu",
			 (unsigned long long)c->received, (unsigned long long)c->malformed,
			 (unsigned long long)c->commits, (unsigned long long)c->other_events,
			 (unsigned long long)c->unknown_host, (unsigned long long)c->dropped,
			 (unsigned long long)c->duplicates, (unsigned long long)c->refused,
			 (unsigned long long)c->not_from_device, (unsigned long long)c->conns_closed,
			 (unsigned long long)c->accept_pauses, (unsigned long long)c->udp_buffer_drops);
	}
	rs_stream_stop(&rs.tcp);
	rs_stream_stop(&rs.tls);
	while (rs.loop && !TAILQ_EMPTY(&rs.conns))
		rs_conn_free(TAILQ_FIRST(&rs.conns));
	/* After the connections: each holds a reference to the context. */
	SSL_CTX_free(rs.tls.ssl);
	rs.tls.ssl = NULL;
}

int recv_syslog_udp_port(void) { return recv_udp_port(); }
int recv_syslog_tcp_port(void) { return rs.tcp.port; }
int recv_syslog_tls_port(void) { return rs.tls.port; }
