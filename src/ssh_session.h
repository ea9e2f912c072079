/* ssh_session.h: one SSH session to a device — TCP, handshake, host-key check
 * against known_hosts (trust on first use if allowed), authentication, and one
 * channel (the netconf subsystem, or an exec'd command for devices without
 * NETCONF).
 *
 * ssh_session.c is the only file that includes <libssh2.h>. Everything is
 * non-blocking and waits in poll() slices of at most 100 ms, so a session
 * stays inside the request's timeout and sees a cancel within a slice. A
 * session is used by one thread at a time (a worker). */
#ifndef RESYNCD_SSH_SESSION_H
#define RESYNCD_SSH_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "worker.h"

/* Why a session (or what runs over it) failed. The first failure recorded is
 * the one kept: later ones only echo it. */
struct session_status {
	enum conn_status conn;           /* CONN_DOWN before the SSH handshake, UP after */
	int cancelled;                   /* the request's cancel flag was seen */
	char reason[RS_REASON_MAX];      /* one line for operators; empty while all is well */
};

struct ssh_session;

/* Once per process, before worker threads start (also done lazily, once). */
int ssh_session_global_init(void);
/* At exit, after every session has ended: releases libssh2's global state. */
void ssh_session_global_cleanup(void);

/* Connects to req's device and authenticates. req (address, port, user, key,
 * password, known_hosts, trust-on-first-use, timeout, cancel flag) must outlive
 * the session; st is filled on any failure, now or later. The time limit
 * req->timeout_secs (60 if 0) counts from here. NULL on failure (st says why). */
struct ssh_session *ssh_session_open(struct fetch_request *req, struct session_status *st);

/* Opens the session's channel on a subsystem ("netconf") or an exec'd command.
 * 0 ok, -1 failed (status set). One channel per session. */
int ssh_session_subsystem(struct ssh_session *s, const char *name);
int ssh_session_exec(struct ssh_session *s, const char *command);

/* Writes all of p. 0 ok, -1 failed (status set). */
int ssh_session_write(struct ssh_session *s, const char *p, size_t n);

/* Reads what the channel has, waiting at most one slice: 0 ok (*got may be 0:
 * nothing yet), 1 end of stream (nothing more will come), -1 failed. stderr is
 * drained and dropped so a chatty device cannot stall stdout. */
int ssh_session_read(struct ssh_session *s, char *buf, size_t cap, size_t *got);

/* What the session waits for now ("NETCONF hello"...), named in a timeout reason. */
void ssh_session_stage(struct ssh_session *s, const char *stage);
const char *ssh_session_get_stage(const struct ssh_session *s);

/* -1 (status set) if the request was cancelled or its time is up. */
int ssh_session_check(struct ssh_session *s);

/* Records a failure (unless one is recorded already); always returns -1. */
int ssh_session_fail(struct ssh_session *s, enum conn_status conn, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The request the session was opened for (its name, for log lines). */
const struct fetch_request *ssh_session_request(const struct ssh_session *s);

/* The status the session records its failures in. */
const struct session_status *ssh_session_status(const struct ssh_session *s);

/* 1 after a cancel or timeout: a polite close would only wait. */
int ssh_session_stopped(const struct ssh_session *s);

/* Closes channel, session and socket and frees s (NULL is fine). After a
 * cancel or timeout there is no grace period. */
void ssh_session_close(struct ssh_session *s);

/* Records a failure in st directly (first one wins), for the layers above
 * before or without a session. */
void session_status_fail(struct session_status *st, enum conn_status conn, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
