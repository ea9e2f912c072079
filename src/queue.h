/* queue.h: a thread-safe FIFO with an eventfd that wakes the loop.
 *
 * The pattern of redis' bio.c: producers push under a mutex; the loop is woken
 * through an eventfd; worker threads block on a condition variable. */
#ifndef RESYNCD_QUEUE_H
#define RESYNCD_QUEUE_H

#include <stdbool.h>

struct queue;

struct queue *queue_new(void);
void queue_free(struct queue *q);      /* items still queued are not freed */
int queue_fd(const struct queue *q);   /* readable while items may be waiting */
void queue_push(struct queue *q, void *item);
void *queue_pop(struct queue *q);      /* NULL if empty; never blocks */
/* Blocks until an item arrives or queue_close() is called (then NULL). */
void *queue_pop_wait(struct queue *q);
/* Like queue_pop_wait, but gives up at deadline (CLOCK_MONOTONIC): NULL. */
struct timespec;
void *queue_pop_until(struct queue *q, const struct timespec *deadline);
void queue_close(struct queue *q);     /* wakes every waiter; pushes still work */
void queue_ack_fd(struct queue *q);    /* the loop read the wake-up */

#endif
