/* recv_syslog.c: UDP and TCP syslog listeners in the main loop.
 *
 * UDP: one non-blocking socket read in batches with recvmmsg(), so a burst
 * costs one wake-up per batch. TCP: libevent's evconnlistener and
 * bufferevents; each frame is LF-terminated or octet-counted ("LEN SP MSG",
 * RFC 6587), told apart by its first byte as rsyslog does. A frame longer
 * than max_message_size is skipped and counted as dropped. */
#define _GNU_SOURCE
#include "recv_syslog.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "ingest.h"
#include "log.h"
#include "loop.h"
#include "syslog_parse.h"

#define RS_UDP_BATCH 32
#define RS_UDP_ROUNDS 8      /* batches per wake-up before yielding to the loop */

struct rs_tcp_conn {
	struct bufferevent *bev;
	struct sockaddr_storage peer;
	size_t skip;          /* bytes of an oversize octet-counted frame still to drop */
	int discarding;       /* dropping an oversize LF frame up to its LF */
	LIST_ENTRY(rs_tcp_conn) link;
};

static struct {
	struct loop *loop;
	size_t max;
	evutil_socket_t udp_fd;
	struct event *udp_ev;
	char *udp_buf;                     /* RS_UDP_BATCH * (max + 1) */
	struct evconnlistener *tcp;
	LIST_HEAD(, rs_tcp_conn) conns;
	int udp_port, tcp_port;
} rs = { .udp_fd = -1 };

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

static int rs_bound_port(evutil_socket_t fd)
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

static void rs_udp_read(evutil_socket_t fd, short what, void *arg)
{
	struct mmsghdr msgs[RS_UDP_BATCH];
	struct iovec iov[RS_UDP_BATCH];
	struct sockaddr_storage peers[RS_UDP_BATCH];
	struct loop *l = arg;

	(void)what;
	for (int round = 0; round < RS_UDP_ROUNDS; round++) {
		int n;

		memset(msgs, 0, sizeof(msgs));
		for (int i = 0; i < RS_UDP_BATCH; i++) {
			/* One byte more than allowed, so truncation shows as oversize. */
			iov[i].iov_base = rs.udp_buf + (size_t)i * (rs.max + 1);
			iov[i].iov_len = rs.max + 1;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &peers[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(peers[i]);
		}
		n = recvmmsg(fd, msgs, RS_UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_warn("syslog: udp receive: %s", strerror(errno));
			return;
		}
		for (int i = 0; i < n; i++) {
			size_t len = msgs[i].msg_len;

			if ((msgs[i].msg_hdr.msg_flags & MSG_TRUNC) || len > rs.max) {
				l->model.ingest.received++;
				l->model.ingest.dropped++;
				continue;
			}
			ingest_handle(l, iov[i].iov_base, len, rs.max,
				      (const struct sockaddr *)&peers[i]);
		}
		if (n < RS_UDP_BATCH)
			return;
	}
}

static int rs_udp_start(struct loop *l, const char *spec)
{
	struct sockaddr_storage ss;
	int sslen, rcvbuf = 8 << 20;

	if (rs_parse_addr(spec, &ss, &sslen) < 0)
		return -1;
	rs.udp_fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (rs.udp_fd < 0)
		goto fail;
	evutil_make_listen_socket_reuseable(rs.udp_fd);
	/* A burst of syslog must not overflow the kernel queue while the loop
	 * persists a commit; the kernel caps this at rmem_max. */
	(void)setsockopt(rs.udp_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(rs.udp_fd, (struct sockaddr *)&ss, (socklen_t)sslen) < 0)
		goto fail;
	rs.udp_buf = malloc((size_t)RS_UDP_BATCH * (rs.max + 1));
	rs.udp_ev = event_new(l->base, rs.udp_fd, EV_READ | EV_PERSIST, rs_udp_read, l);
	if (rs.udp_buf == NULL || rs.udp_ev == NULL || event_add(rs.udp_ev, NULL) < 0)
		goto fail;
	rs.udp_port = rs_bound_port(rs.udp_fd);
	log_info("syslog: listening on udp %s", spec);
	return 0;
fail:
	log_err("syslog: udp %s: %s", spec, strerror(errno));
	return -1;
}

static void rs_conn_free(struct rs_tcp_conn *c)
{
	LIST_REMOVE(c, link);
	bufferevent_free(c->bev);
	free(c);
}

/* Octet-counting header "LEN SP": >0 header length and *len; 0 need more
 * bytes; -1 not octet counting. */
static int rs_octet_header(struct evbuffer *in, size_t have, size_t *len)
{
	unsigned char hdr[11];
	size_t n = have < sizeof(hdr) ? have : sizeof(hdr);
	size_t v = 0;

	if (evbuffer_copyout(in, hdr, n) < (ev_ssize_t)n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (hdr[i] == ' ' && i > 0) {
			*len = v;
			return (int)i + 1;
		}
		if (hdr[i] < '0' || hdr[i] > '9')
			return -1;
		v = v * 10 + (hdr[i] - '0');
	}
	return n < sizeof(hdr) ? 0 : -1;
}

static void rs_tcp_read(struct bufferevent *bev, void *arg)
{
	struct rs_tcp_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct loop *l = rs.loop;

	for (;;) {
		size_t have = evbuffer_get_length(in), flen;
		unsigned char first;
		int hl;

		if (have == 0)
			return;
		if (c->skip) {
			size_t k = c->skip < have ? c->skip : have;

			evbuffer_drain(in, k);
			c->skip -= k;
			continue;
		}
		if (c->discarding) {
			struct evbuffer_ptr p = evbuffer_search(in, "\n", 1, NULL);

			if (p.pos < 0) {
				evbuffer_drain(in, have);
				return;
			}
			evbuffer_drain(in, (size_t)p.pos + 1);
			c->discarding = 0;
			continue;
		}
		evbuffer_copyout(in, &first, 1);
		if (first >= '1' && first <= '9' && (hl = rs_octet_header(in, have, &flen)) != -1) {
			if (hl == 0)
				return; /* header not complete yet */
			if (flen > rs.max) {
				l->model.ingest.received++;
				l->model.ingest.dropped++;
				evbuffer_drain(in, (size_t)hl);
				c->skip = flen;
				continue;
			}
			if (have < (size_t)hl + flen)
				return;
			const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)(hl + flen));
			ingest_handle(l, p + hl, flen, rs.max, (const struct sockaddr *)&c->peer);
			evbuffer_drain(in, (size_t)hl + flen);
			continue;
		}
		struct evbuffer_ptr eol = evbuffer_search(in, "\n", 1, NULL);

		if (eol.pos < 0) {
			if (have > rs.max + 1) {
				l->model.ingest.received++;
				l->model.ingest.dropped++;
				evbuffer_drain(in, have);
				c->discarding = 1;
			}
			return;
		}
		flen = (size_t)eol.pos;
		if (flen > rs.max + 1) {
			l->model.ingest.received++;
			l->model.ingest.dropped++;
		} else if (flen > 0) {
			const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)flen);

			ingest_handle(l, p, flen, rs.max, (const struct sockaddr *)&c->peer);
		}
		evbuffer_drain(in, flen + 1);
	}
}

static void rs_tcp_event(struct bufferevent *bev, short what, void *arg)
{
	struct rs_tcp_conn *c = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		/* A last frame without LF at EOF is still a message. */
		struct evbuffer *in = bufferevent_get_input(c->bev);
		size_t have = evbuffer_get_length(in);

		if ((what & BEV_EVENT_EOF) && have > 0 && !c->skip && !c->discarding && have <= rs.max)
			ingest_handle(rs.loop, (const char *)evbuffer_pullup(in, -1), have, rs.max,
				      (const struct sockaddr *)&c->peer);
		rs_conn_free(c);
	}
}

static void rs_tcp_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
			  int salen, void *arg)
{
	struct loop *l = arg;
	struct rs_tcp_conn *c = calloc(1, sizeof(*c));

	(void)lis;
	if (c == NULL) {
		evutil_closesocket(fd);
		return;
	}
	if (salen > 0 && (size_t)salen <= sizeof(c->peer))
		memcpy(&c->peer, sa, (size_t)salen);
	c->bev = bufferevent_socket_new(l->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	LIST_INSERT_HEAD(&rs.conns, c, link);
	bufferevent_setcb(c->bev, rs_tcp_read, NULL, rs_tcp_event, c);
	bufferevent_enable(c->bev, EV_READ);
}

static void rs_tcp_error(struct evconnlistener *lis, void *arg)
{
	(void)lis;
	(void)arg;
	log_warn("syslog: tcp accept: %s", evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

static int rs_tcp_start(struct loop *l, const char *spec)
{
	struct sockaddr_storage ss;
	int sslen;

	if (rs_parse_addr(spec, &ss, &sslen) < 0)
		return -1;
	rs.tcp = evconnlistener_new_bind(l->base, rs_tcp_accept, l,
					 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
					 128, (struct sockaddr *)&ss, sslen);
	if (rs.tcp == NULL) {
		log_err("syslog: tcp %s: %s", spec, strerror(errno));
		return -1;
	}
	evconnlistener_set_error_cb(rs.tcp, rs_tcp_error);
	rs.tcp_port = rs_bound_port(evconnlistener_get_fd(rs.tcp));
	log_info("syslog: listening on tcp %s", spec);
	return 0;
}

int recv_syslog_start(struct loop *l, const struct config *cfg)
{
	rs.loop = l;
	rs.max = cfg->max_message_size ? cfg->max_message_size : SYSLOG_DEFAULT_MAX_SIZE;
	LIST_INIT(&rs.conns);
	if (cfg->udp_listen[0] && rs_udp_start(l, cfg->udp_listen) < 0)
		goto fail;
	if (cfg->tcp_listen[0] && rs_tcp_start(l, cfg->tcp_listen) < 0)
		goto fail;
	return 0;
fail:
	recv_syslog_stop();
	return -1;
}

void recv_syslog_stop(void)
{
	if (rs.loop) {
		const struct ingest_counters *c = &rs.loop->model.ingest;

		/* The totals of every receiver (RELP's are folded in by now). */
		log_info("ingest: received %llu, malformed %llu, commits %llu, other events %llu, "
			 "unknown host %llu, dropped %llu, duplicates %llu",
			 (unsigned long long)c->received, (unsigned long long)c->malformed,
			 (unsigned long long)c->commits, (unsigned long long)c->other_events,
			 (unsigned long long)c->unknown_host, (unsigned long long)c->dropped,
			 (unsigned long long)c->duplicates);
	}
	if (rs.udp_ev) {
		event_free(rs.udp_ev);
		rs.udp_ev = NULL;
	}
	if (rs.udp_fd >= 0) {
		close(rs.udp_fd);
		rs.udp_fd = -1;
	}
	free(rs.udp_buf);
	rs.udp_buf = NULL;
	if (rs.tcp) {
		evconnlistener_free(rs.tcp);
		rs.tcp = NULL;
	}
	while (rs.loop && !LIST_EMPTY(&rs.conns))
		rs_conn_free(LIST_FIRST(&rs.conns));
	rs.udp_port = rs.tcp_port = 0;
}

int recv_syslog_udp_port(void) { return rs.udp_port; }
int recv_syslog_tcp_port(void) { return rs.tcp_port; }
