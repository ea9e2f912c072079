/* queue.c: a thread-safe FIFO that wakes the loop through an eventfd and
 * worker threads through a condition variable. */
#include "queue.h"

#include <pthread.h>
#include <time.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct qnode {
	void *item;
	struct qnode *next;
};

struct queue {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct qnode *head, *tail;
	int efd;
	bool closed;
};

struct queue *queue_new(void)
{
	struct queue *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0) {
		free(q);
		return NULL;
	}
	pthread_condattr_t ca;

	pthread_mutex_init(&q->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* queue_pop_until's deadline */
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	return q;
}

void queue_free(struct queue *q)
{
	if (!q)
		return;
	struct qnode *n = q->head;
	while (n) {
		struct qnode *next = n->next;
		free(n);
		n = next;
	}
	close(q->efd);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q);
}

int queue_fd(const struct queue *q)
{
	return q->efd;
}

void queue_push(struct queue *q, void *item)
{
	struct qnode *n = malloc(sizeof(*n));
	if (!n)
		abort();
	n->item = item;
	n->next = NULL;
	pthread_mutex_lock(&q->mu);
	bool was_empty = q->head == NULL;
	if (q->tail)
		q->tail->next = n;
	else
		q->head = n;
	q->tail = n;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	if (was_empty) {
		uint64_t one = 1;
		/* EAGAIN only when the counter is saturated: the loop is awake anyway. */
		(void)!write(q->efd, &one, sizeof(one));
	}
}

static void *pop_locked(struct queue *q)
{
	struct qnode *n = q->head;
	if (!n)
		return NULL;
	q->head = n->next;
	if (!q->head)
		q->tail = NULL;
	void *item = n->item;
	free(n);
	return item;
}

void *queue_pop(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	void *item = pop_locked(q);
	pthread_mutex_unlock(&q->mu);
	return item;
}

void *queue_pop_wait(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	while (!q->head && !q->closed)
		pthread_cond_wait(&q->cv, &q->mu);
	void *item = pop_locked(q);
	pthread_mutex_unlock(&q->mu);
	return item;
}

void *queue_pop_until(struct queue *q, const struct timespec *deadline)
{
	pthread_mutex_lock(&q->mu);
	while (!q->head && !q->closed && pthread_cond_timedwait(&q->cv, &q->mu, deadline) == 0)
		;
	void *item = pop_locked(q);
	pthread_mutex_unlock(&q->mu);
	return item;
}

void queue_close(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closed = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

void queue_ack_fd(struct queue *q)
{
	uint64_t v;
	(void)!read(q->efd, &v, sizeof(v));
}
