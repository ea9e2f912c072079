/* recv_relp.h: the RELP listener (librelp) on its own thread. */
#ifndef RESYNCD_RECV_RELP_H
#define RESYNCD_RECV_RELP_H

struct loop;
struct config;

/* Listens on cfg->relp_listen ("host:port", "[v6]:port", or ":port"; empty =
 * off). A commit notification is acknowledged only once it is durable
 * (loop_call_sync). librelp acknowledges whatever the callback returns, so
 * one that could not be made durable is held: the write is retried every
 * second and the acknowledgement waits for it (the sender keeps the message
 * and, if it gives up waiting, sends it again). Call on the loop thread
 * before loop_run(). */
int recv_relp_start(struct loop *l, const struct config *cfg);
/* Stops the thread and folds the last counts into the model; loop thread. */
void recv_relp_stop(void);

#endif
