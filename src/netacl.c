/* netacl.c: address/prefix lists for listen.allowed_senders (pure). */
#include "netacl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int netacl_add(struct netacl *acl, const char *spec)
{
	struct netacl_entry en = { 0 };
	char buf[64];
	const char *slash = strchr(spec, '/');
	size_t alen = slash ? (size_t)(slash - spec) : strlen(spec);
	unsigned maxbits;

	if (alen == 0 || alen >= sizeof(buf))
		return -1;
	memcpy(buf, spec, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, en.addr) == 1) {
		en.family = AF_INET;
		maxbits = 32;
	} else if (inet_pton(AF_INET6, buf, en.addr) == 1) {
		en.family = AF_INET6;
		maxbits = 128;
	} else {
		return -1;
	}
	en.prefix = maxbits;
	if (slash) {
		char *end;
		long bits = strtol(slash + 1, &end, 10);

		if (slash[1] < '0' || slash[1] > '9' || *end || bits < 0 || bits > (long)maxbits)
			return -1;
		en.prefix = (unsigned)bits;
	}
	for (unsigned i = en.prefix; i < maxbits; i++)
		en.addr[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	if (acl->n >= NETACL_MAX)
		return -2;
	acl->e[acl->n++] = en;
	return 0;
}

static bool netacl_in(const struct netacl_entry *en, int family, const uint8_t *a)
{
	unsigned full = en->prefix / 8, rest = en->prefix % 8;

	if (en->family != family || memcmp(en->addr, a, full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ en->addr[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

static bool netacl_match_raw(const struct netacl *acl, int family, const uint8_t *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (family == AF_INET6 && memcmp(a, mapped, sizeof(mapped)) == 0) {
		family = AF_INET;
		a += 12;
	}
	for (size_t i = 0; i < acl->n; i++)
		if (netacl_in(&acl->e[i], family, a))
			return true;
	return false;
}

bool netacl_match(const struct netacl *acl, const struct sockaddr *sa)
{
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET)
		return netacl_match_raw(acl, AF_INET,
					(const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr);
	if (sa->sa_family == AF_INET6)
		return netacl_match_raw(acl, AF_INET6,
					(const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

bool netacl_match_str(const struct netacl *acl, const char *ip)
{
	uint8_t a[16];

	if (ip == NULL)
		return false;
	if (inet_pton(AF_INET, ip, a) == 1)
		return netacl_match_raw(acl, AF_INET, a);
	if (inet_pton(AF_INET6, ip, a) == 1)
		return netacl_match_raw(acl, AF_INET6, a);
	return false;
}
