/* netacl.h: address/prefix lists ("192.0.2.0/24", "2001:db8::/32",
 * "192.0.2.7"), as rsyslog's AllowedSender: who may send syslog (pure). */
#ifndef RESYNCD_NETACL_H
#define RESYNCD_NETACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define NETACL_MAX 64

struct netacl_entry {
	int family;          /* AF_INET or AF_INET6 */
	uint8_t addr[16];    /* network byte order, host bits cleared */
	unsigned prefix;     /* bits */
};

struct netacl {
	struct netacl_entry e[NETACL_MAX];
	size_t n;            /* 0: the list is empty */
};

/* Adds "ADDR" or "ADDR/BITS"; -1 if it is no address or the prefix is out of
 * range (then nothing is added), -2 if the list is full. */
int netacl_add(struct netacl *acl, const char *spec);
/* Whether sa is in the list. An IPv4-mapped IPv6 address (::ffff:a.b.c.d,
 * as a dual-stack socket reports IPv4 peers) is matched as IPv4. */
bool netacl_match(const struct netacl *acl, const struct sockaddr *sa);
/* The same for an address in text form (librelp hands over the peer's IP so). */
bool netacl_match_str(const struct netacl *acl, const char *ip);

#endif
