/* ssh_session.c: TCP, SSH (libssh2), host-key check, authentication, one channel.
 *
 * The only file that includes <libssh2.h>. Everything runs non-blocking on the
 * calling (worker) thread and waits in poll() slices of at most SS_SLICE_MS, so
 * the whole session stays inside req->timeout_secs and a cancel (req->cancel)
 * is seen within a slice. What runs over the channel (NETCONF) is netconf.c's. */
#include "ssh_session.h"

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

#include "log.h"

#define SS_SLICE_MS 100              /* longest wait between cancel checks */
#define SS_CLOSE_GRACE_MS 1000       /* polite close after a normal end */

struct ssh_session {
	struct fetch_request *req;
	struct session_status *st;
	int sock;
	LIBSSH2_SESSION *s;
	LIBSSH2_CHANNEL *ch;
	int64_t deadline;                /* monotonic ms */
	const char *stage;               /* what we wait for, for the timeout reason */
	int stopped;                     /* cancelled or timed out: close without grace */
};

static pthread_once_t ss_once = PTHREAD_ONCE_INIT;
static int ss_init_rc;
static pthread_mutex_t ss_known_hosts_lock = PTHREAD_MUTEX_INITIALIZER;

static void ss_global_init_once(void)
{
	ss_init_rc = libssh2_init(0) == 0 ? 0 : -1;
}

int ssh_session_global_init(void)
{
	pthread_once(&ss_once, ss_global_init_once);
	return ss_init_rc;
}

void ssh_session_global_cleanup(void)
{
	libssh2_exit();
}

static int64_t ss_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void ss_vfail(struct session_status *st, enum conn_status conn, const char *fmt,
		     va_list ap) __attribute__((format(printf, 3, 0)));
static void ss_vfail(struct session_status *st, enum conn_status conn, const char *fmt, va_list ap)
{
	/* The first failure is the one an operator needs: later ones only echo it. */
	if (st->reason[0])
		return;
	vsnprintf(st->reason, sizeof(st->reason), fmt, ap);
	st->conn = conn;
}

void session_status_fail(struct session_status *st, enum conn_status conn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ss_vfail(st, conn, fmt, ap);
	va_end(ap);
}

int ssh_session_fail(struct ssh_session *ss, enum conn_status conn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ss_vfail(ss->st, conn, fmt, ap);
	va_end(ap);
	return -1;
}

#define ss_fail ssh_session_fail

static const char *ss_ssh_error(struct ssh_session *ss)
{
	char *msg = NULL;

	if (!ss->s || libssh2_session_last_error(ss->s, &msg, NULL, 0) == 0 || !msg)
		return "unknown error";
	return msg;
}

static enum conn_status ss_conn(const struct ssh_session *ss)
{
	return ss->stage && strcmp(ss->stage, "connect") && strcmp(ss->stage, "SSH handshake")
		       ? CONN_UP : CONN_DOWN;
}

/* -1 (reason set) if the job was cancelled or its time is up. */
int ssh_session_check(struct ssh_session *ss)
{
	if (atomic_load(&ss->req->cancel)) {
		ss->st->cancelled = 1;
		ss->stopped = 1;
		ss_fail(ss, ss_conn(ss), "cancelled during %s", ss->stage);
		return -1;
	}
	if (ss_now_ms() >= ss->deadline) {
		ss->stopped = 1;
		ss_fail(ss, ss_conn(ss), "timeout: no %s within %" PRIu32 " s", ss->stage,
			ss->req->timeout_secs);
		return -1;
	}
	return 0;
}

/* Waits for the socket (directions from libssh2 unless events given). */
static int ss_wait(struct ssh_session *ss, short events)
{
	struct pollfd pfd;
	int64_t left;

	if (ssh_session_check(ss) < 0)
		return -1;
	if (!events && ss->s) {
		int dir = libssh2_session_block_directions(ss->s);

		if (dir & LIBSSH2_SESSION_BLOCK_INBOUND)
			events |= POLLIN;
		if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND)
			events |= POLLOUT;
	}
	if (!events)
		events = POLLIN;
	left = ss->deadline - ss_now_ms();
	if (left > SS_SLICE_MS)
		left = SS_SLICE_MS;
	if (left < 0)
		left = 0;
	pfd.fd = ss->sock;
	pfd.events = events;
	pfd.revents = 0;
	if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
		ss_fail(ss, ss_conn(ss), "poll failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ TCP */

static const char *ss_connect_reason(int err)
{
	switch (err) {
	case ECONNREFUSED: return "connection refused";
	case ETIMEDOUT: return "connection timed out";
	case EHOSTUNREACH: return "host unreachable";
	case ENETUNREACH: return "network unreachable";
	default: return strerror(err);
	}
}

static int ss_connect(struct ssh_session *ss)
{
	struct addrinfo hints, *ai = NULL, *a;
	char port[8];
	int rc, err = 0, one = 1;

	ss->stage = "connect";
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	/* Device addresses are IP literals (the configuration and the MIB's
	 * InetAddress hold nothing else): no DNS lookup can stall a worker
	 * beyond resyncTimeoutSecs. */
	hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
	snprintf(port, sizeof(port), "%u", ss->req->port ? ss->req->port : 830);
	rc = getaddrinfo(ss->req->address, port, &hints, &ai);
	if (rc != 0) {
		ss_fail(ss, CONN_DOWN, "bad device address %s: %s", ss->req->address, gai_strerror(rc));
		return -1;
	}
	for (a = ai; a; a = a->ai_next) {
		socklen_t elen = sizeof(err);

		ss->sock = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				  a->ai_protocol);
		if (ss->sock < 0) {
			err = errno;
			continue;
		}
		if (connect(ss->sock, a->ai_addr, a->ai_addrlen) == 0)
			break;
		err = errno;
		while (err == EINPROGRESS) {
			struct pollfd pfd = { .fd = ss->sock, .events = POLLOUT };

			if (ssh_session_check(ss) < 0)
				goto fail;
			if (poll(&pfd, 1, SS_SLICE_MS) > 0) {
				if (getsockopt(ss->sock, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
					err = errno;
			}
		}
		if (err == 0)
			break;
		close(ss->sock);
		ss->sock = -1;
	}
	if (ss->sock < 0) {
		ss_fail(ss, CONN_DOWN, "%s", ss_connect_reason(err));
		goto fail;
	}
	/* NETCONF is request/response: don't let Nagle hold the RPC back. */
	setsockopt(ss->sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	freeaddrinfo(ai);
	return 0;
fail:
	freeaddrinfo(ai);
	return -1;
}

/* ------------------------------------------------------------------ SSH */

static int ss_known_key_type(int hostkey_type)
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

enum ss_known { SS_KNOWN_MATCH, SS_KNOWN_MISMATCH, SS_KNOWN_OTHER_TYPE, SS_KNOWN_NOTFOUND, SS_KNOWN_ERROR };

/* Reads known_hosts afresh (a missing file knows no host); NULL if it cannot
 * be read or parsed: refuse rather than guess. */
static LIBSSH2_KNOWNHOSTS *ss_known_open(struct ssh_session *ss)
{
	LIBSSH2_KNOWNHOSTS *kh = libssh2_knownhost_init(ss->s);
	if (kh && access(ss->req->known_hosts, F_OK) == 0 &&
	    libssh2_knownhost_readfile(kh, ss->req->known_hosts, LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0) {
		libssh2_knownhost_free(kh);
		return NULL;
	}
	return kh;
}

/* 1 if libssh2 (as built, with its crypto backend) can verify host keys of
 * method name. libssh2 1.10's method_pref does an overlapping memcpy when
 * the list names a method it lacks, so only supported names may go in. */
static int ss_hostkey_supported(struct ssh_session *ss, const char *name)
{
	const char **algs = NULL;
	int n = libssh2_session_supported_algs(ss->s, LIBSSH2_METHOD_HOSTKEY, &algs), found = 0;

	for (int i = 0; i < n && !found; i++)
		found = strcmp(algs[i], name) == 0;
	if (n > 0 && algs)
		libssh2_free(ss->s, (void *)algs);
	return found;
}

/* The host key algorithms to ask the device for: those whose keys known_hosts
 * holds for it, as OpenSSH does, so a device known by its RSA key is checked
 * against that key instead of being refused for offering ed25519 first.
 * Empty (libssh2's own order) when none is known: a first contact. */
static void ss_known_key_methods(struct ssh_session *ss, char *out, size_t outlen)
{
	static const struct {
		int type;
		const char *methods[3];
	} kinds[] = {
		{ LIBSSH2_KNOWNHOST_KEY_ED25519, { "ssh-ed25519" } },
		{ LIBSSH2_KNOWNHOST_KEY_ECDSA_521, { "ecdsa-sha2-nistp521" } },
		{ LIBSSH2_KNOWNHOST_KEY_ECDSA_384, { "ecdsa-sha2-nistp384" } },
		{ LIBSSH2_KNOWNHOST_KEY_ECDSA_256, { "ecdsa-sha2-nistp256" } },
		{ LIBSSH2_KNOWNHOST_KEY_SSHRSA, { "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa" } },
	};
	const char nokey[1] = { 0 };
	LIBSSH2_KNOWNHOSTS *kh = ss_known_open(ss);
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; kh && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct libssh2_knownhost *ent = NULL;
		/* No key matches one byte: MISMATCH means "an entry of this type". */
		int rc = libssh2_knownhost_checkp(kh, ss->req->address, ss->req->port, nokey, sizeof(nokey),
						  LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
							  kinds[i].type,
						  &ent);
		if (rc != LIBSSH2_KNOWNHOST_CHECK_MISMATCH)
			continue;
		for (size_t m = 0; m < 3 && kinds[i].methods[m]; m++)
			if (ss_hostkey_supported(ss, kinds[i].methods[m]))
				n += (size_t)snprintf(out + n, n < outlen ? outlen - n : 0, "%s%s",
						      n ? "," : "", kinds[i].methods[m]);
	}
	if (n >= outlen)
		out[0] = '\0';
	if (kh)
		libssh2_knownhost_free(kh);
}

/* Checks the key against known_hosts, read afresh. */
static enum ss_known ss_known_check(struct ssh_session *ss, const char *key, size_t klen, int ktype)
{
	LIBSSH2_KNOWNHOSTS *kh = ss_known_open(ss);
	int plain = LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW;
	enum ss_known out = SS_KNOWN_ERROR;
	struct libssh2_knownhost *ent = NULL;
	int rc;

	if (!kh)
		return SS_KNOWN_ERROR;
	rc = libssh2_knownhost_checkp(kh, ss->req->address, ss->req->port, key, klen,
				      plain | ktype, &ent);
	if (rc == LIBSSH2_KNOWNHOST_CHECK_MATCH) {
		out = SS_KNOWN_MATCH;
	} else if (rc == LIBSSH2_KNOWNHOST_CHECK_MISMATCH) {
		out = SS_KNOWN_MISMATCH;
	} else if (rc == LIBSSH2_KNOWNHOST_CHECK_NOTFOUND) {
		/* Known under another key type? Then this is not a first contact:
		 * accepting it would let an attacker downgrade past the check. */
		rc = libssh2_knownhost_checkp(kh, ss->req->address, ss->req->port, key, klen,
					      plain, &ent);
		out = rc == LIBSSH2_KNOWNHOST_CHECK_MISMATCH ? SS_KNOWN_OTHER_TYPE : SS_KNOWN_NOTFOUND;
	}
	libssh2_knownhost_free(kh);
	return out;
}

/* Trust on first use: append the key, under a lock, unless someone was first. */
static enum ss_known ss_known_add(struct ssh_session *ss, const char *key, size_t klen, int ktype)
{
	LIBSSH2_KNOWNHOSTS *kh = NULL;
	struct libssh2_knownhost *ent = NULL;
	enum ss_known out;
	char host[RS_ADDR_MAX + 16], line[4096];
	size_t linelen = 0;
	int fd = -1;

	pthread_mutex_lock(&ss_known_hosts_lock);
	fd = open(ss->req->known_hosts, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		out = SS_KNOWN_ERROR;
		goto out;
	}
	out = ss_known_check(ss, key, klen, ktype);
	if (out != SS_KNOWN_NOTFOUND)
		goto out;
	out = SS_KNOWN_ERROR;
	kh = libssh2_knownhost_init(ss->s);
	if (!kh)
		goto out;
	if (ss->req->port && ss->req->port != 22)
		snprintf(host, sizeof(host), "[%s]:%u", ss->req->address, ss->req->port);
	else
		snprintf(host, sizeof(host), "%s", ss->req->address);
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
	out = SS_KNOWN_MATCH;
out:
	if (kh)
		libssh2_knownhost_free(kh);
	if (fd >= 0)
		close(fd); /* releases the flock */
	pthread_mutex_unlock(&ss_known_hosts_lock);
	return out;
}

static int ss_hostkey(struct ssh_session *ss)
{
	size_t klen = 0;
	int type = 0, ktype;
	const char *key = libssh2_session_hostkey(ss->s, &klen, &type);
	enum ss_known k;

	if (!key || !(ktype = ss_known_key_type(type))) {
		ss_fail(ss, CONN_UP, "host key of unsupported type");
		return -1;
	}
	k = ss_known_check(ss, key, klen, ktype);
	if (k == SS_KNOWN_NOTFOUND && ss->req->trust_on_first_use) {
		k = ss_known_add(ss, key, klen, ktype);
		if (k == SS_KNOWN_MATCH)
			log_warn("device %s: host key not known, trusted on first use and added to %s",
				 ss->req->name, ss->req->known_hosts);
	}
	switch (k) {
	case SS_KNOWN_MATCH:
		return 0;
	case SS_KNOWN_MISMATCH:
		ss_fail(ss, CONN_UP, "host key mismatch: key differs from %s (possible MITM)",
			ss->req->known_hosts);
		return -1;
	case SS_KNOWN_OTHER_TYPE:
		ss_fail(ss, CONN_UP, "host key mismatch: known with another key type in %s",
			ss->req->known_hosts);
		return -1;
	case SS_KNOWN_NOTFOUND:
		ss_fail(ss, CONN_UP, "unknown host key: not in %s (trust-on-first-use is off)",
			ss->req->known_hosts);
		return -1;
	default:
		ss_fail(ss, CONN_UP, "cannot read or update known_hosts %s", ss->req->known_hosts);
		return -1;
	}
}

static int ss_auth(struct ssh_session *ss)
{
	const char *user = ss->req->user;
	unsigned ulen = (unsigned)strlen(user);
	char *methods;
	int rc, tried_key = 0, tried_pw = 0;

	ss->stage = "authentication";
	while (!(methods = libssh2_userauth_list(ss->s, user, ulen))) {
		if (libssh2_userauth_authenticated(ss->s))
			return 0;
		if (libssh2_session_last_errno(ss->s) != LIBSSH2_ERROR_EAGAIN) {
			ss_fail(ss, CONN_UP, "authentication failed: %s", ss_ssh_error(ss));
			return -1;
		}
		if (ss_wait(ss, 0) < 0)
			return -1;
	}
	if (ss->req->key_path[0] && strstr(methods, "publickey")) {
		if (access(ss->req->key_path, R_OK) != 0) {
			ss_fail(ss, CONN_UP, "cannot read private key %s: %s", ss->req->key_path,
				strerror(errno));
			return -1;
		}
		tried_key = 1;
		while ((rc = libssh2_userauth_publickey_fromfile_ex(ss->s, user, ulen, NULL,
								    ss->req->key_path, NULL)) ==
		       LIBSSH2_ERROR_EAGAIN)
			if (ss_wait(ss, 0) < 0)
				return -1;
		if (rc == 0)
			return 0;
	}
	if (ss->req->password[0] && strstr(methods, "password")) {
		tried_pw = 1;
		while ((rc = libssh2_userauth_password_ex(ss->s, user, ulen, ss->req->password,
							  (unsigned)strlen(ss->req->password), NULL)) ==
		       LIBSSH2_ERROR_EAGAIN)
			if (ss_wait(ss, 0) < 0)
				return -1;
		if (rc == 0)
			return 0;
	}
	if (!tried_key && !tried_pw)
		ss_fail(ss, CONN_UP, "authentication failed: device offers only %s", methods);
	else
		ss_fail(ss, CONN_UP, "authentication failed for user %s (%s%s%s)", user,
			tried_key ? "publickey" : "", tried_key && tried_pw ? ", " : "",
			tried_pw ? "password" : "");
	return -1;
}

static int ss_handshake(struct ssh_session *ss)
{
	int rc;

	ss->stage = "SSH handshake";
	ss->s = libssh2_session_init_ex(NULL, NULL, NULL, NULL);
	if (!ss->s) {
		ss_fail(ss, CONN_DOWN, "out of memory");
		return -1;
	}
	libssh2_session_set_blocking(ss->s, 0);
	char methods[160];
	ss_known_key_methods(ss, methods, sizeof(methods));
	if (*methods && libssh2_session_method_pref(ss->s, LIBSSH2_METHOD_HOSTKEY, methods) != 0)
		methods[0] = '\0';
	while ((rc = libssh2_session_handshake(ss->s, ss->sock)) == LIBSSH2_ERROR_EAGAIN)
		if (ss_wait(ss, 0) < 0)
			return -1;
	if (rc != 0) {
		if (*methods)
			ss_fail(ss, CONN_DOWN, "SSH handshake failed: %s (host key types known in %s: %s)",
				ss_ssh_error(ss), ss->req->known_hosts, methods);
		else
			ss_fail(ss, CONN_DOWN, "SSH handshake failed: %s", ss_ssh_error(ss));
		return -1;
	}
	ss->stage = "host key check";
	if (ss_hostkey(ss) < 0 || ss_auth(ss) < 0)
		return -1;
	return 0;
}

/* Opens the one channel; 0 ok. */
static int ss_channel(struct ssh_session *ss)
{
	if (ss->ch)
		return ss_fail(ss, CONN_UP, "internal error: second channel on one session");
	while (!(ss->ch = libssh2_channel_open_session(ss->s))) {
		if (libssh2_session_last_errno(ss->s) != LIBSSH2_ERROR_EAGAIN)
			return ss_fail(ss, CONN_UP, "cannot open SSH channel: %s", ss_ssh_error(ss));
		if (ss_wait(ss, 0) < 0)
			return -1;
	}
	return 0;
}

/* Opens the channel and starts a subsystem (exec 0) or a command (exec 1). */
static int ss_start(struct ssh_session *ss, int exec, const char *what)
{
	int rc;

	ss->stage = "SSH channel";
	if (ss_channel(ss) < 0)
		return -1;
	while ((rc = exec ? libssh2_channel_exec(ss->ch, what)
			  : libssh2_channel_subsystem(ss->ch, what)) == LIBSSH2_ERROR_EAGAIN)
		if (ss_wait(ss, 0) < 0)
			return -1;
	if (rc == 0)
		return 0;
	if (exec)
		return ss_fail(ss, CONN_UP, "device refused to run a command: %s", ss_ssh_error(ss));
	return ss_fail(ss, CONN_UP, "device refused the %s subsystem: %s", what, ss_ssh_error(ss));
}

int ssh_session_subsystem(struct ssh_session *ss, const char *name)
{
	return ss_start(ss, 0, name);
}

int ssh_session_exec(struct ssh_session *ss, const char *command)
{
	return ss_start(ss, 1, command);
}

/* ------------------------------------------------------------ channel I/O */


int ssh_session_write(struct ssh_session *ss, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = libssh2_channel_write(ss->ch, p, n);

		if (w == LIBSSH2_ERROR_EAGAIN) {
			if (ss_wait(ss, 0) < 0)
				return -1;
			continue;
		}
		if (w < 0) {
			ss_fail(ss, CONN_UP, "SSH write failed: %s", ss_ssh_error(ss));
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}


int ssh_session_read(struct ssh_session *ss, char *buf, size_t cap, size_t *got)
{
	char junk[4096];
	ssize_t r;

	*got = 0;
	if (ssh_session_check(ss) < 0)
		return -1;
	/* Drain stderr so a chatty device can't fill the window and stall stdout. */
	while (libssh2_channel_read_stderr(ss->ch, junk, sizeof(junk)) > 0)
		;
	r = libssh2_channel_read(ss->ch, buf, cap);
	if (r > 0) {
		*got = (size_t)r;
		return 0;
	}
	if (r == LIBSSH2_ERROR_EAGAIN)
		return libssh2_channel_eof(ss->ch) ? 1 : ss_wait(ss, 0);
	if (r == 0 || libssh2_channel_eof(ss->ch))
		return 1;
	return ss_fail(ss, CONN_UP, "SSH read failed: %s", ss_ssh_error(ss));
}

void ssh_session_stage(struct ssh_session *ss, const char *stage)
{
	ss->stage = stage;
}

const char *ssh_session_get_stage(const struct ssh_session *ss)
{
	return ss->stage;
}

const struct fetch_request *ssh_session_request(const struct ssh_session *ss)
{
	return ss->req;
}

const struct session_status *ssh_session_status(const struct ssh_session *ss)
{
	return ss->st;
}

int ssh_session_stopped(const struct ssh_session *ss)
{
	return ss->stopped;
}

void ssh_session_close(struct ssh_session *ss)
{
	if (!ss)
		return;
	int64_t end = ss_now_ms() + (ss->stopped ? 0 : SS_CLOSE_GRACE_MS);
	int guard = 0;

	if (ss->stopped && ss->sock >= 0)
		shutdown(ss->sock, SHUT_RDWR);
	while (ss->ch && libssh2_channel_free(ss->ch) == LIBSSH2_ERROR_EAGAIN && ++guard < 10000) {
		if (ss_now_ms() >= end)
			shutdown(ss->sock, SHUT_RDWR);
		else
			poll(&(struct pollfd){ .fd = ss->sock, .events = POLLIN }, 1, 20);
	}
	ss->ch = NULL;
	if (ss->s) {
		while (!ss->stopped && libssh2_session_disconnect(ss->s, "done") ==
					       LIBSSH2_ERROR_EAGAIN && ++guard < 10000) {
			if (ss_now_ms() >= end)
				break;
			poll(&(struct pollfd){ .fd = ss->sock, .events = POLLOUT }, 1, 20);
		}
		shutdown(ss->sock, SHUT_RDWR);
		while (libssh2_session_free(ss->s) == LIBSSH2_ERROR_EAGAIN && ++guard < 20000)
			;
		ss->s = NULL;
	}
	if (ss->sock >= 0)
		close(ss->sock);
	free(ss);
}
struct ssh_session *ssh_session_open(struct fetch_request *req, struct session_status *st)
{
	uint32_t secs = req->timeout_secs ? req->timeout_secs : 60;
	struct ssh_session *ss;

	if (ssh_session_global_init() < 0) {
		session_status_fail(st, CONN_UNKNOWN, "libssh2 initialisation failed");
		return NULL;
	}
	ss = calloc(1, sizeof(*ss));
	if (!ss) {
		session_status_fail(st, CONN_UNKNOWN, "out of memory");
		return NULL;
	}
	ss->req = req;
	ss->st = st;
	ss->sock = -1;
	ss->stage = "connect";
	ss->deadline = ss_now_ms() + (int64_t)secs * 1000;
	if (ss_connect(ss) < 0 || ss_handshake(ss) < 0) {
		ssh_session_close(ss);
		return NULL;
	}
	return ss;
}
