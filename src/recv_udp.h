/* recv_udp.h: the UDP syslog listener, on a thread of its own. */
#ifndef RESYNCD_RECV_UDP_H
#define RESYNCD_RECV_UDP_H

struct loop;
struct config;

/* Binds cfg->udp_listen (empty = off) and starts the thread. Returns -1
 * (logged) if the address is bad or cannot be bound. */
int recv_udp_start(struct loop *l, const struct config *cfg);
/* Stops the thread and folds its last counts into the model (loop thread). */
void recv_udp_stop(void);
int recv_udp_port(void);  /* the bound port, or 0 */

#endif
