/* ssh_netconf.c: one resync fetch — TCP, SSH (libssh2), host-key check, NETCONF.
 *
 * The only file that includes <libssh2.h>. Everything runs non-blocking on the
 * worker thread and waits in poll() slices of at most NC_SLICE_MS, so the whole
 * job stays inside req->timeout_secs and a cancel (req->cancel) is seen within
 * a slice. Replies are read by libxml2; only the framing (RFC 6242) is done by
 * hand, because it is below XML. */
#include "ssh_netconf.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libssh2.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "log.h"

#define NC_SLICE_MS 100              /* longest wait between cancel checks */
#define NC_CLOSE_GRACE_MS 1000       /* polite close after a normal end */
#define NC_REPLY_MAX (64u << 20)     /* refuse replies above 64 MiB */
#define NC_BASE10 "urn:ietf:params:netconf:base:1.0"
#define NC_BASE11 "urn:ietf:params:netconf:base:1.1"
#define NC_EOM "]]>]]>"

static const char nc_hello[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	"<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><capabilities>"
	"<capability>" NC_BASE10 "</capability>"
	"<capability>" NC_BASE11 "</capability>"
	"</capabilities></hello>";

/* One growable byte buffer. */
struct nc_buf {
	char *p;
	size_t len, cap;
};

struct nc {
	struct fetch_request *req;
	struct fetch_result *res;
	int sock;
	LIBSSH2_SESSION *s;
	LIBSSH2_CHANNEL *ch;
	int64_t deadline;                /* monotonic ms */
	const char *stage;               /* what we wait for, for the timeout reason */
	int base11;                      /* chunked framing after the hello */
	int eof;
	int stopped;                     /* cancelled or timed out: close without grace */
	struct nc_buf rx;                /* bytes read, not yet consumed */
	size_t cpos;                     /* chunked framing: parse position in rx */
	struct nc_buf msg;               /* chunked framing: message so far */
	unsigned msgid;
};

static pthread_once_t nc_once = PTHREAD_ONCE_INIT;
static int nc_init_rc;
static pthread_mutex_t nc_known_hosts_lock = PTHREAD_MUTEX_INITIALIZER;

static void nc_global_init_once(void)
{
	xmlInitParser();
	nc_init_rc = libssh2_init(0) == 0 ? 0 : -1;
}

int ssh_netconf_global_init(void)
{
	pthread_once(&nc_once, nc_global_init_once);
	return nc_init_rc;
}

void ssh_netconf_global_cleanup(void)
{
	libssh2_exit();
}

static int64_t nc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The first failure is the one an operator needs: later ones only echo it. */
static void nc_fail(struct nc *nc, enum conn_status conn, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void nc_fail(struct nc *nc, enum conn_status conn, const char *fmt, ...)
{
	va_list ap;

	if (nc->res->reason[0])
		return;
	va_start(ap, fmt);
	vsnprintf(nc->res->reason, sizeof(nc->res->reason), fmt, ap);
	va_end(ap);
	nc->res->conn = conn;
}

static const char *nc_ssh_error(struct nc *nc)
{
	char *msg = NULL;

	if (!nc->s || libssh2_session_last_error(nc->s, &msg, NULL, 0) == 0 || !msg)
		return "unknown error";
	return msg;
}

static enum conn_status nc_conn(const struct nc *nc)
{
	return nc->stage && strcmp(nc->stage, "connect") && strcmp(nc->stage, "SSH handshake")
		       ? CONN_UP : CONN_DOWN;
}

/* -1 (reason set) if the job was cancelled or its time is up. */
static int nc_check(struct nc *nc)
{
	if (atomic_load(&nc->req->cancel)) {
		nc->res->cancelled = 1;
		nc->stopped = 1;
		nc_fail(nc, nc_conn(nc), "cancelled during %s", nc->stage);
		return -1;
	}
	if (nc_now_ms() >= nc->deadline) {
		nc->stopped = 1;
		nc_fail(nc, nc_conn(nc), "timeout: no %s within %" PRIu32 " s", nc->stage,
			nc->req->timeout_secs);
		return -1;
	}
	return 0;
}

/* Waits for the socket (directions from libssh2 unless events given). */
static int nc_wait(struct nc *nc, short events)
{
	struct pollfd pfd;
	int64_t left;

	if (nc_check(nc) < 0)
		return -1;
	if (!events && nc->s) {
		int dir = libssh2_session_block_directions(nc->s);

		if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
			events |= POLLIN;
		if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
			events |= POLLOUT;
	}
	if (!events)
		events = POLLIN;
	left = nc->deadline - nc_now_ms();
	if (left > NC_SLICE_MS)
		left = NC_SLICE_MS;
	if (left < 0)
		left = 0;
	pfd.fd = nc->sock;
	pfd.events = events;
	pfd.revents = 0;
	if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
		nc_fail(nc, nc_conn(nc), "poll failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int nc_buf_add(struct nc_buf *b, const char *p, size_t n)
{
	if (n > NC_REPLY_MAX || b->len > NC_REPLY_MAX - n)
		return -1;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;
		char *q;

		while (cap < b->len + n + 1)
			cap *= 2;
		q = realloc(b->p, cap);
		if (!q)
			return -1;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* memmem() needs _GNU_SOURCE, which src/sched.h (shadowing <sched.h>) breaks. */
static const char *nc_find_eom(const char *p, size_t n)
{
	size_t i = 0;

	while (p && n >= 6 && i <= n - 6) {
		const char *q = memchr(p + i, ']', n - 5 - i); /* q + 6 <= p + n */

		if (!q)
			return NULL;
		if (memcmp(q, NC_EOM, 6) == 0)
			return q;
		i = (size_t)(q - p) + 1;
	}
	return NULL;
}

static void nc_buf_consume(struct nc_buf *b, size_t n)
{
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
	if (b->p)
		b->p[b->len] = '\0';
}

/* ------------------------------------------------------------------ TCP */

static const char *nc_connect_reason(int err)
{
	switch (err) {
	case ECONNREFUSED: return "connection refused";
	case ETIMEDOUT: return "connection timed out";
	case EHOSTUNREACH: return "host unreachable";
	case ENETUNREACH: return "network unreachable";
	default: return strerror(err);
	}
}

static int nc_connect(struct nc *nc)
{
	struct addrinfo hints, *ai = NULL, *a;
	char port[8];
	int rc, err = 0, one = 1;

	nc->stage = "connect";
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	/* Device addresses are IP literals (the configuration and the MIB's
	 * InetAddress hold nothing else): no DNS lookup can stall a worker
	 * beyond resyncTimeoutSecs. */
	hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
	snprintf(port, sizeof(port), "%u", nc->req->port ? nc->req->port : 830);
	rc = getaddrinfo(nc->req->address, port, &hints, &ai);
	if (rc != 0) {
		nc_fail(nc, CONN_DOWN, "bad device address %s: %s", nc->req->address, gai_strerror(rc));
		return -1;
	}
	for (a = ai; a; a = a->ai_next) {
		socklen_t elen = sizeof(err);

		nc->sock = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				  a->ai_protocol);
		if (nc->sock < 0) {
			err = errno;
			continue;
		}
		if (connect(nc->sock, a->ai_addr, a->ai_addrlen) == 0)
			break;
		err = errno;
		while (err == EINPROGRESS) {
			struct pollfd pfd = { .fd = nc->sock, .events = POLLOUT };

			if (nc_check(nc) < 0)
				goto fail;
			if (poll(&pfd, 1, NC_SLICE_MS) > 0) {
				if (getsockopt(nc->sock, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
					err = errno;
			}
		}
		if (err == 0)
			break;
		close(nc->sock);
		nc->sock = -1;
	}
	if (nc->sock < 0) {
		nc_fail(nc, CONN_DOWN, "%s", nc_connect_reason(err));
		goto fail;
	}
	/* NETCONF is request/response: don't let Nagle hold the RPC back. */
	setsockopt(nc->sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	freeaddrinfo(ai);
	return 0;
fail:
	freeaddrinfo(ai);
	return -1;
}

/* ------------------------------------------------------------------ SSH */

static int nc_known_key_type(int hostkey_type)
{
	switch (hostkey_type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA: return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
	case LIBSSH2_HOSTKEY_TYPE_DSS: return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
	case LIBSSH2_HOSTKEY_TYPE_ED25519: return LIBSSH2_KNOWNHOST_KEY_ED25519;
	default: return 0;
	}
}

enum nc_known { NC_KNOWN_MATCH, NC_KNOWN_MISMATCH, NC_KNOWN_OTHER_TYPE, NC_KNOWN_NOTFOUND, NC_KNOWN_ERROR };

/* Reads known_hosts afresh (a missing file knows no host); NULL if it cannot
 * be read or parsed: refuse rather than guess. */
static LIBSSH2_KNOWNHOSTS *nc_known_open(struct nc *nc)
{
	LIBSSH2_KNOWNHOSTS *kh = libssh2_knownhost_init(nc->s);
	if (kh && access(nc->req->known_hosts, F_OK) == 0 &&
	    libssh2_knownhost_readfile(kh, nc->req->known_hosts, LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0) {
		libssh2_knownhost_free(kh);
		return NULL;
	}
	return kh;
}

/* The host key algorithms to ask the device for: those whose keys known_hosts
 * holds for it, as OpenSSH does, so a device known by its RSA key is checked
 * against that key instead of being refused for offering ed25519 first.
 * Empty (libssh2's own order) when none is known: a first contact. */
static void nc_known_key_methods(struct nc *nc, char *out, size_t outlen)
{
	static const struct {
		int type;
		const char *methods;
	} kinds[] = {
		{ LIBSSH2_KNOWNHOST_KEY_ED25519, "ssh-ed25519" },
		{ LIBSSH2_KNOWNHOST_KEY_ECDSA_521, "ecdsa-sha2-nistp521" },
		{ LIBSSH2_KNOWNHOST_KEY_ECDSA_384, "ecdsa-sha2-nistp384" },
		{ LIBSSH2_KNOWNHOST_KEY_ECDSA_256, "ecdsa-sha2-nistp256" },
		{ LIBSSH2_KNOWNHOST_KEY_SSHRSA, "rsa-sha2-512,rsa-sha2-256,ssh-rsa" },
	};
	const char nokey[1] = { 0 };
	LIBSSH2_KNOWNHOSTS *kh = nc_known_open(nc);
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; kh && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct libssh2_knownhost *ent = NULL;
		/* No key matches one byte: MISMATCH means "an entry of this type". */
		int rc = libssh2_knownhost_checkp(kh, nc->req->address, nc->req->port, nokey, sizeof(nokey),
						  LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
							  kinds[i].type,
						  &ent);
		if (rc == LIBSSH2_KNOWNHOST_CHECK_MISMATCH)
			n += (size_t)snprintf(out + n, n < outlen ? outlen - n : 0, "%s%s", n ? "," : "",
					      kinds[i].methods);
	}
	if (n >= outlen)
		out[0] = '\0';
	if (kh)
		libssh2_knownhost_free(kh);
}

/* Checks the key against known_hosts, read afresh. */
static enum nc_known nc_known_check(struct nc *nc, const char *key, size_t klen, int ktype)
{
	LIBSSH2_KNOWNHOSTS *kh = nc_known_open(nc);
	int plain = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW;
	enum nc_known out = NC_KNOWN_ERROR;
	struct libssh2_knownhost *ent = NULL;
	int rc;

	if (!kh)
		return NC_KNOWN_ERROR;
	rc = libssh2_knownhost_checkp(kh, nc->req->address, nc->req->port, key, klen,
				      plain | ktype, &ent);
	if (rc == LIBSSH2_KNOWNHOST_CHECK_MATCH) {
		out = NC_KNOWN_MATCH;
	} else if (rc == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
		out = NC_KNOWN_MISMATCH;
	} else if (rc == LIBSSH2_KNOWNHOST_CHECK_NOTFOUND) {
		/* Known under another key type? Then this is not a first contact:
		 * accepting it would let an attacker downgrade past the check. */
		rc = libssh2_knownhost_checkp(kh, nc->req->address, nc->req->port, key, klen,
					      plain, &ent);
		out = rc == LIBSSH2_KNOWNHOST_CHECK_MISMATCH ? NC_KNOWN_OTHER_TYPE : NC_KNOWN_NOTFOUND;
	}
	libssh2_knownhost_free(kh);
	return out;
}

/* Trust on first use: append the key, under a lock, unless someone was first. */
static enum nc_known nc_known_add(struct nc *nc, const char *key, size_t klen, int ktype)
{
	LIBSSH2_KNOWNHOSTS *kh = NULL;
	struct libssh2_knownhost *ent = NULL;
	enum nc_known out;
	char host[RS_ADDR_MAX + 16], line[4096];
	size_t linelen = 0;
	int fd = -1;

	pthread_mutex_lock(&nc_known_hosts_lock);
	fd = open(nc->req->known_hosts, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		out = NC_KNOWN_ERROR;
		goto out;
	}
	out = nc_known_check(nc, key, klen, ktype);
	if (out != NC_KNOWN_NOTFOUND)
		goto out;
	out = NC_KNOWN_ERROR;
	kh = libssh2_knownhost_init(nc->s);
	if (!kh)
		goto out;
	if (nc->req->port && nc->req->port != 22)
		snprintf(host, sizeof(host), "[%s]:%u", nc->req->address, nc->req->port);
	else
		snprintf(host, sizeof(host), "%s", nc->req->address);
	if (libssh2_knownhost_addc(kh, host, NULL, key, klen, NULL, 0,
				   LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | ktype,
				   &ent) != 0 ||
	    libssh2_knownhost_writeline(kh, ent, line, sizeof(line) - 1, &linelen,
					LIBSSH2_KNOWNHOST_FILE_OPENSSH) != 0)
		goto out;
	if (linelen == 0 || line[linelen - 1] != '\n')
		line[linelen++] = '\n';
	if (write(fd, line, linelen) != (ssize_t)linelen)
		goto out;
	out = NC_KNOWN_MATCH;
out:
	if (kh)
		libssh2_knownhost_free(kh);
	if (fd >= 0)
		close(fd); /* releases the flock */
	pthread_mutex_unlock(&nc_known_hosts_lock);
	return out;
}

static int nc_hostkey(struct nc *nc)
{
	size_t klen = 0;
	int type = 0, ktype;
	const char *key = libssh2_session_hostkey(nc->s, &klen, &type);
	enum nc_known k;

	if (!key || !(ktype = nc_known_key_type(type))) {
		nc_fail(nc, CONN_UP, "host key of unsupported type");
		return -1;
	}
	k = nc_known_check(nc, key, klen, ktype);
	if (k == NC_KNOWN_NOTFOUND && nc->req->trust_on_first_use) {
		k = nc_known_add(nc, key, klen, ktype);
		if (k == NC_KNOWN_MATCH)
			log_warn("device %s: host key not known, trusted on first use and added to %s",
				 nc->req->name, nc->req->known_hosts);
	}
	switch (k) {
	case NC_KNOWN_MATCH:
		return 0;
	case NC_KNOWN_MISMATCH:
		nc_fail(nc, CONN_UP, "host key mismatch: key differs from %s (possible MITM)",
			nc->req->known_hosts);
		return -1;
	case NC_KNOWN_OTHER_TYPE:
		nc_fail(nc, CONN_UP, "host key mismatch: known with another key type in %s",
			nc->req->known_hosts);
		return -1;
	case NC_KNOWN_NOTFOUND:
		nc_fail(nc, CONN_UP, "unknown host key: not in %s (trust-on-first-use is off)",
			nc->req->known_hosts);
		return -1;
	default:
		nc_fail(nc, CONN_UP, "cannot read or update known_hosts %s", nc->req->known_hosts);
		return -1;
	}
}

static int nc_auth(struct nc *nc)
{
	const char *user = nc->req->user;
	unsigned ulen = (unsigned)strlen(user);
	char *methods;
	int rc, tried_key = 0, tried_pw = 0;

	nc->stage = "authentication";
	while (!(methods = libssh2_userauth_list(nc->s, user, ulen))) {
		if (libssh2_userauth_authenticated(nc->s))
			return 0;
		if (libssh2_session_last_errno(nc->s) != LIBSSH2_ERROR_EAGAIN) {
			nc_fail(nc, CONN_UP, "authentication failed: %s", nc_ssh_error(nc));
			return -1;
		}
		if (nc_wait(nc, 0) < 0)
			return -1;
	}
	if (nc->req->key_path[0] && strstr(methods, "publickey")) {
		if (access(nc->req->key_path, R_OK) != 0) {
			nc_fail(nc, CONN_UP, "cannot read private key %s: %s", nc->req->key_path,
				strerror(errno));
			return -1;
		}
		tried_key = 1;
		while ((rc = libssh2_userauth_publickey_fromfile_ex(nc->s, user, ulen, NULL,
								    nc->req->key_path, NULL)) ==
		       LIBSSH2_ERROR_EAGAIN)
			if (nc_wait(nc, 0) < 0)
				return -1;
		if (rc == 0)
			return 0;
	}
	if (nc->req->password[0] && strstr(methods, "password")) {
		tried_pw = 1;
		while ((rc = libssh2_userauth_password_ex(nc->s, user, ulen, nc->req->password,
							  (unsigned)strlen(nc->req->password), NULL)) ==
		       LIBSSH2_ERROR_EAGAIN)
			if (nc_wait(nc, 0) < 0)
				return -1;
		if (rc == 0)
			return 0;
	}
	if (!tried_key && !tried_pw)
		nc_fail(nc, CONN_UP, "authentication failed: device offers only %s", methods);
	else
		nc_fail(nc, CONN_UP, "authentication failed for user %s (%s%s%s)", user,
			tried_key ? "publickey" : "", tried_key && tried_pw ? ", " : "",
			tried_pw ? "password" : "");
	return -1;
}

static int nc_session(struct nc *nc)
{
	int rc;

	nc->stage = "SSH handshake";
	nc->s = libssh2_session_init_ex(NULL, NULL, NULL, NULL);
	if (!nc->s) {
		nc_fail(nc, CONN_DOWN, "out of memory");
		return -1;
	}
	libssh2_session_set_blocking(nc->s, 0);
	char methods[160];
	nc_known_key_methods(nc, methods, sizeof(methods));
	if (*methods && libssh2_session_method_pref(nc->s, LIBSSH2_METHOD_HOSTKEY, methods) != 0)
		methods[0] = '\0';
	while ((rc = libssh2_session_handshake(nc->s, nc->sock)) == LIBSSH2_ERROR_EAGAIN)
		if (nc_wait(nc, 0) < 0)
			return -1;
	if (rc != 0) {
		if (*methods)
			nc_fail(nc, CONN_DOWN, "SSH handshake failed: %s (host key types known in %s: %s)",
				nc_ssh_error(nc), nc->req->known_hosts, methods);
		else
			nc_fail(nc, CONN_DOWN, "SSH handshake failed: %s", nc_ssh_error(nc));
		return -1;
	}
	nc->stage = "host key check";
	if (nc_hostkey(nc) < 0 || nc_auth(nc) < 0)
		return -1;
	nc->stage = "NETCONF subsystem";
	while (!(nc->ch = libssh2_channel_open_session(nc->s))) {
		if (libssh2_session_last_errno(nc->s) != LIBSSH2_ERROR_EAGAIN) {
			nc_fail(nc, CONN_UP, "cannot open SSH channel: %s", nc_ssh_error(nc));
			return -1;
		}
		if (nc_wait(nc, 0) < 0)
			return -1;
	}
	while ((rc = libssh2_channel_subsystem(nc->ch, "netconf")) == LIBSSH2_ERROR_EAGAIN)
		if (nc_wait(nc, 0) < 0)
			return -1;
	if (rc != 0) {
		nc_fail(nc, CONN_UP, "device refused the netconf subsystem: %s", nc_ssh_error(nc));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ framing */

static int nc_write(struct nc *nc, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = libssh2_channel_write(nc->ch, p, n);

		if (w == LIBSSH2_ERROR_EAGAIN) {
			if (nc_wait(nc, 0) < 0)
				return -1;
			continue;
		}
		if (w < 0) {
			nc_fail(nc, CONN_UP, "SSH write failed: %s", nc_ssh_error(nc));
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int nc_send(struct nc *nc, const char *xml, int chunked)
{
	size_t n = strlen(xml);
	char hdr[32];

	if (!chunked)
		return nc_write(nc, xml, n) < 0 || nc_write(nc, NC_EOM, 6) < 0 ? -1 : 0;
	snprintf(hdr, sizeof(hdr), "\n#%zu\n", n);
	return nc_write(nc, hdr, strlen(hdr)) < 0 || nc_write(nc, xml, n) < 0 ||
			       nc_write(nc, "\n##\n", 4) < 0
		       ? -1 : 0;
}

/* Reads what is there (waiting a slice if nothing); sets nc->eof at the end. */
static int nc_fill(struct nc *nc)
{
	char tmp[32768];
	ssize_t r;

	if (nc_check(nc) < 0)
		return -1;
	/* Drain stderr so a chatty device can't fill the window and stall stdout. */
	while (libssh2_channel_read_stderr(nc->ch, tmp, sizeof(tmp)) > 0)
		;
	r = libssh2_channel_read(nc->ch, tmp, sizeof(tmp));
	if (r > 0) {
		if (nc_buf_add(&nc->rx, tmp, (size_t)r) < 0) {
			nc_fail(nc, CONN_UP, "malformed reply: larger than %u MiB", NC_REPLY_MAX >> 20);
			return -1;
		}
		return 0;
	}
	if (r == LIBSSH2_ERROR_EAGAIN)
		return libssh2_channel_eof(nc->ch) ? (nc->eof = 1, 0) : nc_wait(nc, 0);
	if (r == 0 || libssh2_channel_eof(nc->ch)) {
		nc->eof = 1;
		return 0;
	}
	nc_fail(nc, CONN_UP, "SSH read failed: %s", nc_ssh_error(nc));
	return -1;
}

/* Chunked framing (RFC 6242 4.2): 1 message complete in nc->msg, 0 need more, -1 bad. */
static int nc_parse_chunks(struct nc *nc)
{
	for (;;) {
		const char *p = nc->rx.p + nc->cpos;
		size_t avail = nc->rx.len - nc->cpos, i;
		uint64_t size = 0;

		if (avail < 4)
			return 0;
		if (p[0] != '\n' || p[1] != '#')
			return -1;
		if (p[2] == '#') {
			if (p[3] != '\n')
				return -1;
			nc->cpos += 4;
			return 1;
		}
		for (i = 2; i < avail && p[i] >= '0' && p[i] <= '9' && i < 13; i++)
			size = size * 10 + (uint64_t)(p[i] - '0');
		if (i == avail)
			return 0;
		if (i == 2 || p[i] != '\n' || p[2] == '0' || size > 4294967295u)
			return -1;
		i++;
		if (avail - i < size)
			return 0;
		if (nc_buf_add(&nc->msg, p + i, (size_t)size) < 0)
			return -1;
		nc->cpos += i + (size_t)size;
	}
}

/* Reads one message into nc->msg (NUL-terminated). */
static int nc_recv(struct nc *nc, int chunked)
{
	nc->msg.len = 0;
	nc->cpos = 0;
	for (;;) {
		if (!chunked) {
			const char *end = nc_find_eom(nc->rx.p, nc->rx.len);

			if (end) {
				size_t n = (size_t)(end - nc->rx.p);

				nc->msg.len = 0;
				if (nc_buf_add(&nc->msg, nc->rx.p, n) < 0)
					goto too_big;
				nc_buf_consume(&nc->rx, n + 6);
				return 0;
			}
		} else {
			int rc = nc_parse_chunks(nc);

			if (rc < 0) {
				nc_fail(nc, CONN_UP, "malformed reply: bad chunked framing");
				return -1;
			}
			if (rc > 0) {
				nc_buf_consume(&nc->rx, nc->cpos);
				nc->cpos = 0;
				return 0;
			}
		}
		if (nc->eof) {
			if (nc->rx.len == 0 && nc->msg.len == 0)
				nc_fail(nc, CONN_UP, "malformed reply: device closed the session "
					"without answering (%s)", nc->stage);
			else
				nc_fail(nc, CONN_UP, "malformed reply: truncated, session closed "
					"after %zu bytes", nc->rx.len + nc->msg.len);
			return -1;
		}
		if (nc_fill(nc) < 0)
			return -1;
	}
too_big:
	nc_fail(nc, CONN_UP, "malformed reply: larger than %u MiB", NC_REPLY_MAX >> 20);
	return -1;
}

/* ------------------------------------------------------------ XML */

static int nc_is(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, BAD_CAST name) == 0;
}

static xmlNode *nc_child(xmlNode *n, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (nc_is(c, name))
			return c;
	return NULL;
}

static xmlNode *nc_find(xmlNode *n, const char *name)
{
	for (; n; n = n->next) {
		xmlNode *f;

		if (nc_is(n, name))
			return n;
		if ((f = nc_find(n->children, name)))
			return f;
	}
	return NULL;
}

/* Copies an element's text, whitespace collapsed to single spaces, trimmed. */
static void nc_text_line(xmlNode *n, char *out, size_t outlen)
{
	xmlChar *t = n ? xmlNodeGetContent(n) : NULL;
	size_t o = 0;
	int space = 0;

	if (outlen == 0)
		return;
	for (const xmlChar *p = t; p && *p && o + 1 < outlen; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < outlen)
			out[o++] = ' ';
		space = 0;
		out[o++] = (char)*p;
	}
	out[o] = '\0';
	xmlFree(t);
}

static xmlDoc *nc_parse_xml(const char *xml, size_t len, char *err, size_t errlen)
{
	xmlParserCtxt *ctxt;
	xmlDoc *doc;

	if (len > (size_t)INT32_MAX) {
		snprintf(err, errlen, "too large");
		return NULL;
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* No network, no entity substitution, no DTD loading: the device is not trusted. */
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "reply.xml", NULL,
			       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
				       XML_PARSE_HUGE);
	if (!doc) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		char msg[96] = "not well-formed XML";

		if (e && e->message) {
			snprintf(msg, sizeof(msg), "%s", e->message);
			msg[strcspn(msg, "\n")] = '\0';
		}
		snprintf(err, errlen, "line %d: %s", e ? e->line : 0, msg);
	} else if (doc->intSubset || doc->extSubset) {
		/* NETCONF has no DTDs; one in a reply is an entity-expansion attempt. */
		snprintf(err, errlen, "DOCTYPE not allowed");
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
}

int ssh_netconf_parse_hello(const char *xml, size_t len, int *base11, char *err, size_t errlen)
{
	xmlDoc *doc = nc_parse_xml(xml, len, err, errlen);
	xmlNode *root, *caps;
	int base10 = 0, rc = -1;

	*base11 = 0;
	if (!doc)
		return -1;
	root = xmlDocGetRootElement(doc);
	if (!nc_is(root, "hello") || !(caps = nc_child(root, "capabilities"))) {
		snprintf(err, errlen, "not a NETCONF <hello>");
		goto out;
	}
	for (xmlNode *c = caps->children; c; c = c->next) {
		char cap[256];

		if (!nc_is(c, "capability"))
			continue;
		nc_text_line(c, cap, sizeof(cap));
		if (strcmp(cap, NC_BASE10) == 0)
			base10 = 1;
		else if (strcmp(cap, NC_BASE11) == 0)
			*base11 = 1;
	}
	if (!base10 && !*base11) {
		snprintf(err, errlen, "<hello> offers neither base:1.0 nor base:1.1");
		goto out;
	}
	rc = 0;
out:
	xmlFreeDoc(doc);
	return rc;
}

/* The first element (document order) carrying junos:commit-seconds. */
static xmlNode *nc_find_commit_attrs(xmlNode *n)
{
	for (; n; n = n->next) {
		xmlNode *f;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (xmlAttr *a = n->properties; a; a = a->next)
			if (a->ns && a->ns->href && strstr((const char *)a->ns->href, "juniper.net/junos") &&
			    xmlStrcmp(a->name, BAD_CAST "commit-seconds") == 0)
				return n;
		if ((f = nc_find_commit_attrs(n->children)))
			return f;
	}
	return NULL;
}

static xmlChar *nc_junos_attr(xmlNode *n, const char *name)
{
	for (xmlAttr *a = n->properties; a; a = a->next)
		if (a->ns && a->ns->href && strstr((const char *)a->ns->href, "juniper.net/junos") &&
		    xmlStrcmp(a->name, BAD_CAST name) == 0)
			return xmlNodeListGetString(n->doc, a->children, 1);
	return NULL;
}

enum nc_reply ssh_netconf_parse_config_reply(const char *xml, size_t len, char **text,
					     size_t *text_len, int64_t *commit_secs,
					     char *commit_user, size_t userlen, int *unsupported,
					     char *err, size_t errlen)
{
	char perr[160];
	xmlDoc *doc = nc_parse_xml(xml, len, perr, sizeof(perr));
	xmlNode *root, *n;
	enum nc_reply out = NC_REPLY_MALFORMED;
	xmlChar *content = NULL;

	*text = NULL;
	*text_len = 0;
	*commit_secs = 0;
	*unsupported = 0;
	if (userlen)
		commit_user[0] = '\0';
	if (!doc) {
		snprintf(err, errlen, "malformed reply: %s", perr);
		return NC_REPLY_MALFORMED;
	}
	root = xmlDocGetRootElement(doc);
	if (!nc_is(root, "rpc-reply")) {
		snprintf(err, errlen, "malformed reply: <%s> instead of <rpc-reply>",
			 root ? (const char *)root->name : "nothing");
		goto out;
	}
	/* An rpc-error of severity warning comes along with data: not a failure. */
	for (n = root->children; n; n = n->next) {
		char sev[32], tag[64], msg[RS_REASON_MAX];

		if (!nc_is(n, "rpc-error"))
			continue;
		nc_text_line(nc_child(n, "error-severity"), sev, sizeof(sev));
		if (strcmp(sev, "warning") == 0)
			continue;
		nc_text_line(nc_child(n, "error-tag"), tag, sizeof(tag));
		nc_text_line(nc_child(n, "error-message"), msg, sizeof(msg));
		*unsupported = strcmp(tag, "operation-not-supported") == 0 ||
			       strcmp(tag, "unknown-element") == 0 ||
			       strcmp(tag, "unknown-namespace") == 0;
		snprintf(err, errlen, "NETCONF rpc-error: %s", msg[0] ? msg : tag[0] ? tag : "(no message)");
		out = NC_REPLY_RPC_ERROR;
		goto out;
	}
	if ((n = nc_find_commit_attrs(root))) {
		xmlChar *secs = nc_junos_attr(n, "commit-seconds");
		xmlChar *user = nc_junos_attr(n, "commit-user");
		char *end = NULL;
		long long v = secs ? strtoll((const char *)secs, &end, 10) : 0;

		if (secs && end && *end == '\0' && v > 0)
			*commit_secs = v;
		if (user && userlen)
			snprintf(commit_user, userlen, "%s", (const char *)user);
		xmlFree(secs);
		xmlFree(user);
	}
	if ((n = nc_find(root->children, "configuration-text"))) {
		const char *t;

		content = xmlNodeGetContent(n);
		t = content ? (const char *)content : "";
		while (*t == '\n' || *t == '\r')
			t++; /* Junos starts the text on the line after the tag */
		*text_len = strlen(t);
		*text = strdup(t);
	} else if ((n = nc_child(root, "data"))) {
		xmlBuffer *b = xmlBufferCreate();

		/* Indented, one element per line: the archive diffs it by lines. */
		for (xmlNode *c = n->children; b && c; c = c->next) {
			if (c->type != XML_ELEMENT_NODE)
				continue;
			xmlNodeDump(b, doc, c, 0, 1);
			xmlBufferCCat(b, "\n");
		}
		if (b) {
			*text_len = (size_t)xmlBufferLength(b);
			*text = strndup((const char *)xmlBufferContent(b), *text_len);
			xmlBufferFree(b);
		}
	} else {
		snprintf(err, errlen, "malformed reply: no configuration in <rpc-reply>");
		goto out;
	}
	if (!*text) {
		snprintf(err, errlen, "out of memory");
		*text_len = 0;
		goto out;
	}
	out = NC_REPLY_OK;
out:
	xmlFree(content);
	xmlFreeDoc(doc);
	return out;
}

/* ------------------------------------------------------------ the fetch */

static int nc_rpc(struct nc *nc, const char *op, char **text, size_t *text_len, int *unsupported)
{
	char rpc[512], err[RS_REASON_MAX];
	int64_t secs = 0;
	enum nc_reply r;

	snprintf(rpc, sizeof(rpc),
		 "<rpc xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\" message-id=\"%u\">%s</rpc>",
		 ++nc->msgid, op);
	nc->stage = "configuration reply";
	if (nc_send(nc, rpc, nc->base11) < 0 || nc_recv(nc, nc->base11) < 0)
		return -1;
	r = ssh_netconf_parse_config_reply(nc->msg.p, nc->msg.len, text, text_len, &secs,
					   nc->res->commit_user, sizeof(nc->res->commit_user),
					   unsupported, err, sizeof(err));
	if (r != NC_REPLY_OK) {
		if (!*unsupported)
			nc_fail(nc, CONN_UP, "%s", err);
		return -1;
	}
	nc->res->commit_time = RS_SECS(secs);
	return 0;
}

static int nc_netconf(struct nc *nc)
{
	char err[RS_REASON_MAX];
	char *text = NULL;
	size_t len = 0;
	int unsupported = 0;

	nc->stage = "NETCONF hello";
	if (nc_send(nc, nc_hello, 0) < 0 || nc_recv(nc, 0) < 0)
		return -1;
	if (ssh_netconf_parse_hello(nc->msg.p, nc->msg.len, &nc->base11, err, sizeof(err)) < 0) {
		nc_fail(nc, CONN_UP, "malformed reply: hello: %s", err);
		return -1;
	}
	if (nc_rpc(nc, "<get-configuration format=\"text\"/>", &text, &len, &unsupported) < 0) {
		if (!unsupported)
			return -1;
		/* Not a Junos device (or one without the RPC): standard NETCONF. */
		log_debug("device %s: <get-configuration> not supported, using <get-config>",
			  nc->req->name);
		if (nc_rpc(nc, "<get-config><source><running/></source></get-config>", &text, &len,
			   &unsupported) < 0) {
			nc_fail(nc, CONN_UP, "NETCONF rpc-error: device supports neither "
				"<get-configuration> nor <get-config>");
			return -1;
		}
	}
	nc->res->config = text;
	nc->res->config_len = len;
	/* Polite end; the reply is not waited for: the configuration is in hand. */
	snprintf(err, sizeof(err), "<rpc xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\" "
		 "message-id=\"%u\"><close-session/></rpc>", ++nc->msgid);
	nc_send(nc, err, nc->base11);
	return 0;
}

/* Closes channel, session and socket. After a cancel or timeout there is no
 * grace period: the socket is shut first so libssh2 cannot wait on it. */
static void nc_close(struct nc *nc)
{
	int64_t end = nc_now_ms() + (nc->stopped ? 0 : NC_CLOSE_GRACE_MS);
	int guard = 0;

	if (nc->stopped && nc->sock >= 0)
		shutdown(nc->sock, SHUT_RDWR);
	while (nc->ch && libssh2_channel_free(nc->ch) == LIBSSH2_ERROR_EAGAIN && ++guard < 10000) {
		if (nc_now_ms() >= end)
			shutdown(nc->sock, SHUT_RDWR);
		else
			poll(&(struct pollfd){ .fd = nc->sock, .events = POLLIN }, 1, 20);
	}
	nc->ch = NULL;
	if (nc->s) {
		while (!nc->stopped && libssh2_session_disconnect(nc->s, "done") ==
					       LIBSSH2_ERROR_EAGAIN && ++guard < 10000) {
			if (nc_now_ms() >= end)
				break;
			poll(&(struct pollfd){ .fd = nc->sock, .events = POLLOUT }, 1, 20);
		}
		shutdown(nc->sock, SHUT_RDWR);
		while (libssh2_session_free(nc->s) == LIBSSH2_ERROR_EAGAIN && ++guard < 20000)
			;
		nc->s = NULL;
	}
	if (nc->sock >= 0)
		close(nc->sock);
	nc->sock = -1;
	free(nc->rx.p);
	free(nc->msg.p);
}

void ssh_netconf_fetch(struct fetch_request *req, struct fetch_result *res)
{
	struct nc nc;
	uint32_t secs = req->timeout_secs ? req->timeout_secs : 60;

	memset(&nc, 0, sizeof(nc));
	nc.req = req;
	nc.res = res;
	nc.sock = -1;
	nc.stage = "connect";
	nc.deadline = nc_now_ms() + (int64_t)secs * 1000;
	res->job = req->job;
	res->device = req->device;
	res->ok = 0;
	res->conn = CONN_UNKNOWN;
	res->reason[0] = '\0';
	res->config = NULL;
	res->config_len = 0;
	res->commit_time = 0;
	res->commit_user[0] = '\0';
	res->cancelled = 0;

	if (ssh_netconf_global_init() < 0) {
		nc_fail(&nc, CONN_UNKNOWN, "libssh2 initialisation failed");
		goto out;
	}
	if (nc_connect(&nc) < 0 || nc_session(&nc) < 0 || nc_netconf(&nc) < 0)
		goto out;
	res->ok = 1;
	res->conn = CONN_UP;
out:
	if (!res->ok) {
		free(res->config);
		res->config = NULL;
		res->config_len = 0;
		if (!res->reason[0])
			nc_fail(&nc, nc_conn(&nc), "failed during %s", nc.stage);
		log_debug("device %s: fetch failed: %s", req->name, res->reason);
	}
	nc_close(&nc);
}
