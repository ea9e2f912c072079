/* recv_syslog.h: the syslog listeners (TCP and TLS on the loop, UDP on its own thread). */
#ifndef RESYNCD_RECV_SYSLOG_H
#define RESYNCD_RECV_SYSLOG_H

struct loop;
struct config;

/* Opens cfg->udp_listen and cfg->tcp_listen ("host:port", "[v6]:port"; empty
 * = off) on l's event base. TCP takes LF-framed and octet-counted (RFC 6587)
 * messages. Returns -1 (logged) if an address is bad or cannot be bound. */
int recv_syslog_start(struct loop *l, const struct config *cfg);
void recv_syslog_stop(void);

/* The bound ports (useful when the config said port 0), or 0. */
int recv_syslog_udp_port(void);
int recv_syslog_tcp_port(void);
int recv_syslog_tls_port(void);
/* The local port a socket is bound to, or 0. */
int recv_bound_port(int fd);

#endif
