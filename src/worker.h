/* worker.h: the resync thread pool.
 *
 * The loop hands fetch requests in; workers run the fetch function (SSH and
 * NETCONF) and hand results back through a queue the loop drains. Workers never
 * touch the model or the store. */
#ifndef RESYNCD_WORKER_H
#define RESYNCD_WORKER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "incident.h"
#include "model.h"

struct queue;

/* What a worker does with a device (the job's type decides). */
enum fetch_op {
	FETCH_OP_FETCH = 0,              /* read the running configuration (resync, accept) */
	FETCH_OP_DEPLOY,                 /* push intended, commit confirmed, check (SPEC S4) */
	FETCH_OP_CONFIGURE_SYSLOG,       /* merge `intended` (a syslog host entry) and commit (S6) */
};

struct fetch_request {
	uint32_t job;
	enum fetch_op op;
	uint32_t device;
	char name[RS_NAME_MAX];
	char address[RS_ADDR_MAX];
	uint16_t port;
	char user[RS_USER_MAX];
	char key_path[256];              /* private key file, or empty */
	char password[128];              /* or empty */
	char known_hosts[256];
	int trust_on_first_use;
	uint32_t timeout_secs;
	/* A data capture (E4) when incident is set: the commands run in order,
	 * their output comes back in the result's config/config_len. */
	uint32_t incident;
	char commands[INC_CMDS_MAX][INC_CMD_MAX];
	size_t ncommands;
	atomic_int cancel;               /* set by worker_cancel(); polled by the fetch */
	/* FETCH_OP_DEPLOY: the manager's copy (malloc'd, freed with the request)
	 * and the commit confirmed timeout. */
	char *intended;
	size_t intended_len;
	uint32_t confirm_timeout_secs;
	/* Not empty: the fetch is not tried and fails with this reason (the
	 * device names no credential set that exists: it gets no other's). */
	char refuse[RS_REASON_MAX];
	/* Not 0: the stored version's commit time (a recurring inventory
	 * resync): a device whose newest commit is that one is not fetched. */
	rs_time_t current_commit;
};

struct fetch_result {
	uint32_t job;
	uint32_t device;
	uint32_t incident;               /* a data capture's result (E4) */
	int ok;
	enum conn_status conn;
	char reason[RS_REASON_MAX];      /* one line, for operators */
	char *config;                    /* malloc'd text on success */
	size_t config_len;
	rs_time_t commit_time;           /* from junos:commit-seconds, or 0 */
	char commit_user[RS_USER_MAX];
	int cancelled;
	int rollback_pending;            /* deploy: committed unconfirmed; the device rolls back by itself */
	int current;                     /* ok, not fetched: its newest commit is the stored version's */
};

typedef void (*fetch_fn)(struct fetch_request *req, struct fetch_result *res);

struct worker_pool;

/* Results are pushed to `results` as struct fetch_result *, owned by the reader. */
struct worker_pool *worker_pool_new(unsigned nthreads, fetch_fn fn, struct queue *results);
/* Grows or shrinks the pool without a restart. */
void worker_pool_resize(struct worker_pool *p, unsigned nthreads);
/* Takes ownership of req. */
void worker_submit(struct worker_pool *p, struct fetch_request *req);
/* Asks the fetch for job/device to stop; its result still comes back. */
void worker_cancel(struct worker_pool *p, uint32_t job, uint32_t device);
/* Waits for running fetches to end (they are bounded by their timeout). */
void worker_pool_free(struct worker_pool *p);
void fetch_result_free(struct fetch_result *r);
void fetch_request_free(struct fetch_request *r);

#endif
