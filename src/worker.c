/* worker.c: the resync thread pool. Threads take fetch requests from a queue,
 * run the fetch function and push results for the loop; they never touch the
 * model or the store. The pool resizes without a restart. */
#define _GNU_SOURCE /* pthread_setname_np */
#include "worker.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queue.h"

struct inflight {
	struct fetch_request *req;
	struct inflight *next;
};

struct worker_pool {
	fetch_fn fn;
	struct queue *requests;
	struct queue *results;
	pthread_mutex_t mu;
	pthread_cond_t all_exited;
	unsigned threads;        /* running threads */
	unsigned target;         /* wanted threads */
	struct inflight *inflight; /* queued or running, for cancel */
};

static char exit_token; /* pushed to make one thread leave */

static void inflight_remove(struct worker_pool *p, struct fetch_request *req)
{
	pthread_mutex_lock(&p->mu);
	for (struct inflight **pp = &p->inflight; *pp; pp = &(*pp)->next) {
		if ((*pp)->req == req) {
			struct inflight *f = *pp;
			*pp = f->next;
			free(f);
			break;
		}
	}
	pthread_mutex_unlock(&p->mu);
}

static void *worker_main(void *arg)
{
	struct worker_pool *p = arg;
	pthread_setname_np(pthread_self(), "fetch-worker"); /* top -H, perf */
	for (;;) {
		void *item = queue_pop_wait(p->requests);
		if (!item || item == &exit_token)
			break;
		struct fetch_request *req = item;
		struct fetch_result *res = calloc(1, sizeof(*res));
		if (!res)
			abort();
		res->job = req->job;
		res->device = req->device;
		res->conn = CONN_UNKNOWN;
		if (atomic_load(&req->cancel))
			res->cancelled = 1;
		else if (*req->refuse)
			snprintf(res->reason, sizeof(res->reason), "%s", req->refuse);
		else
			p->fn(req, res);
		if (atomic_load(&req->cancel)) {
			res->cancelled = 1;
			res->ok = 0;
			snprintf(res->reason, sizeof(res->reason), "cancelled");
		}
		inflight_remove(p, req);
		/* Credentials do not outlive the fetch. */
		memset(req->password, 0, sizeof(req->password));
		fetch_request_free(req);
		queue_push(p->results, res);
	}
	pthread_mutex_lock(&p->mu);
	p->threads--;
	pthread_cond_broadcast(&p->all_exited);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static int spawn(struct worker_pool *p)
{
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&t, &attr, worker_main, p);
	pthread_attr_destroy(&attr);
	if (rc != 0)
		return -1;
	p->threads++;
	return 0;
}

struct worker_pool *worker_pool_new(unsigned nthreads, fetch_fn fn, struct queue *results)
{
	struct worker_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->fn = fn;
	p->results = results;
	p->requests = queue_new();
	if (!p->requests) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->all_exited, NULL);
	worker_pool_resize(p, nthreads);
	return p;
}

void worker_pool_resize(struct worker_pool *p, unsigned nthreads)
{
	if (nthreads == 0)
		nthreads = 1;
	pthread_mutex_lock(&p->mu);
	unsigned old = p->target;
	p->target = nthreads;
	while (p->threads < p->target)
		if (spawn(p) < 0) {
			log_err("worker pool: cannot start a thread (%u running)", p->threads);
			break;
		}
	pthread_mutex_unlock(&p->mu);
	/* Shrinking: idle threads leave as they pick up exit tokens; running
	 * fetches finish first. */
	for (unsigned i = nthreads; i < old; i++)
		queue_push(p->requests, &exit_token);
}

void worker_submit(struct worker_pool *p, struct fetch_request *req)
{
	struct inflight *f = malloc(sizeof(*f));
	if (!f)
		abort();
	f->req = req;
	pthread_mutex_lock(&p->mu);
	f->next = p->inflight;
	p->inflight = f;
	pthread_mutex_unlock(&p->mu);
	queue_push(p->requests, req);
}

void worker_cancel(struct worker_pool *p, uint32_t job, uint32_t device)
{
	pthread_mutex_lock(&p->mu);
	for (struct inflight *f = p->inflight; f; f = f->next)
		if (f->req->job == job && f->req->device == device)
			atomic_store(&f->req->cancel, 1);
	pthread_mutex_unlock(&p->mu);
}

void worker_pool_free(struct worker_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	for (struct inflight *f = p->inflight; f; f = f->next)
		atomic_store(&f->req->cancel, 1);
	pthread_mutex_unlock(&p->mu);
	queue_close(p->requests);
	pthread_mutex_lock(&p->mu);
	while (p->threads > 0)
		pthread_cond_wait(&p->all_exited, &p->mu);
	pthread_mutex_unlock(&p->mu);
	/* Requests no thread picked up. */
	void *item;
	while ((item = queue_pop(p->requests)))
		if (item != &exit_token)
			fetch_request_free(item);
	while (p->inflight) {
		struct inflight *f = p->inflight;
		p->inflight = f->next;
		free(f);
	}
	queue_free(p->requests);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->all_exited);
	free(p);
}

void fetch_request_free(struct fetch_request *r)
{
	if (!r)
		return;
	free(r->intended);
	free(r);
}

void fetch_result_free(struct fetch_result *r)
{
	if (!r)
		return;
	free(r->config);
	free(r);
}
