/* config.c: reads resyncd.conf with libconfig and checks every value, so a
 * broken file is refused with its line and the reason. */
/* The device list's tables are looked up several times a device, mostly
 * for names and addresses they do not hold (duplicate checks): uthash's
 * Bloom filter answers those without walking a bucket's chain, whose every
 * step is a cache miss at 100,000 devices. 2^21 bits (256 KiB) a table: 5%
 * false positives at 100,000 entries. Only this file's tables use it. */
#define HASH_BLOOM 21
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ctype.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "incident.h"

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/resyncd");
	snprintf(c->known_hosts, sizeof(c->known_hosts), "/var/lib/resyncd/known_hosts");
	snprintf(c->manager_user, sizeof(c->manager_user), "resyncd");
	c->deploy_confirm_timeout_secs = 120;
	c->device_syslog_port = 514;
	snprintf(c->relp_listen, sizeof(c->relp_listen), "127.0.0.1:2514");
	snprintf(c->udp_listen, sizeof(c->udp_listen), "127.0.0.1:5514");
	c->max_message_size = 8192;
	c->max_connections = 1000;
	c->relp_threads = 8;
	c->idle_timeout_secs = 600;
	c->snmp_mode = SNMP_AGENTX;
	snprintf(c->snmp_listen, sizeof(c->snmp_listen), "udp:127.0.0.1:11161");
	snprintf(c->snmp_community, sizeof(c->snmp_community), "private");
	snprintf(c->trap_community, sizeof(c->trap_community), "public");
	settings_defaults(&c->settings);
}

void config_drop_devices(struct config *c)
{
	HASH_CLEAR(hh, c->by_name);
	free(c->devices);
	c->devices = NULL;
	c->ndevices = 0;
}

void config_free(struct config *c)
{
	config_drop_devices(c);
	if (c->profiles) {
		incident_profiles_free(c->profiles);
		free(c->profiles);
		c->profiles = NULL;
	}
	free(c->creds);
	c->creds = NULL;
	c->ncreds = 0;
}

struct ctx {
	const char *path;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 3, 4))) static int bad(struct ctx *x, const config_setting_t *s, const char *fmt, ...)
{
	char reason[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	snprintf(x->err, x->errlen, "%s:%d: %s", x->path, s ? config_setting_source_line(s) : 0, reason);
	return -1;
}

/* Copies an optional string member; refuses other types and overlong values. */
static int get_str(struct ctx *x, const config_setting_t *parent, const char *name, char *dst, size_t size)
{
	config_setting_t *s = config_setting_get_member(parent, name);
	if (!s)
		return 0;
	const char *v = config_setting_get_string(s);
	if (!v)
		return bad(x, s, "%s must be a string", name);
	if (strlen(v) >= size)
		return bad(x, s, "%s is too long", name);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* Refuses a name not in known[]: a misspelt key must not be ignored silently. */
static int only_known(struct ctx *x, const config_setting_t *group, const char *const *known, size_t n,
		      const char *where)
{
	for (int i = 0; group && i < config_setting_length(group); i++) {
		config_setting_t *e = config_setting_get_elem(group, (unsigned)i);
		const char *name = config_setting_name(e);
		if (!name)
			continue;
		size_t k = 0;
		while (k < n && strcmp(name, known[k]))
			k++;
		if (k == n)
			return bad(x, e, "unknown setting %s%s", where, name);
	}
	return 0;
}
#define ONLY_KNOWN(x, group, where, ...)                                                                  \
	only_known(x, group, (const char *const[]){ __VA_ARGS__ },                                         \
		   sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *), where)

/* An optional true/false member; refuses other types. */
static int get_bool(struct ctx *x, const config_setting_t *parent, const char *name, int *out)
{
	config_setting_t *s = config_setting_get_member(parent, name);
	if (!s)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return bad(x, s, "%s must be true or false", name);
	*out = config_setting_get_bool(s);
	return 0;
}

static int get_int(struct ctx *x, const config_setting_t *parent, const char *name, long long lo,
		   long long hi, long long *out)
{
	config_setting_t *s = config_setting_get_member(parent, name);
	if (!s)
		return 0;
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
		return bad(x, s, "%s must be a whole number", name);
	long long v = config_setting_get_int64(s);
	if (v < lo || v > hi) {
		char what[96];
		snprintf(what, sizeof(what), "%s must be within %lld..%lld", name, lo, hi);
		return bad(x, s, "%s", what);
	}
	*out = v;
	return 1;
}

static int check_hostport(struct ctx *x, const config_setting_t *parent, const char *name, const char *v)
{
	if (!*v)
		return 0;
	const char *colon = strrchr(v, ':');
	char *end;
	long port = colon ? strtol(colon + 1, &end, 10) : -1;
	if (!colon || colon == v || *end || port < 1 || port > 65535)
		return bad(x, config_setting_get_member(parent, name), "%s must be HOST:PORT (e.g. 127.0.0.1:2514)",
			   name);
	return 0;
}

/* An optional list of "ADDR[/BITS]" strings (listen.allowed_senders, relays). */
static int get_acl(struct ctx *x, const config_setting_t *parent, const char *name, struct netacl *acl)
{
	const config_setting_t *s = config_setting_get_member(parent, name);
	if (!s)
		return 0;
	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return bad(x, s, "%s must be a list of \"address\" or \"address/prefix\" strings", name);
	memset(acl, 0, sizeof(*acl));
	for (int i = 0; i < config_setting_length(s); i++) {
		const char *v = config_setting_get_string_elem(s, i);
		int r = v ? netacl_add(acl, v) : -1;

		if (r == -2)
			return bad(x, s, "%s: at most %d entries", name, NETACL_MAX);
		if (r < 0)
			return bad(x, s, "%s: element %d must be an IPv4 or IPv6 address, optionally /prefix "
				   "(e.g. \"192.0.2.0/24\")", name, i + 1);
	}
	return 0;
}

static int read_listen(struct ctx *x, const config_setting_t *root, struct config *c)
{
	const config_setting_t *l = config_setting_get_member(root, "listen");
	if (!l)
		return 0;
	long long v;
	int strict = c->strict_senders;
	if (ONLY_KNOWN(x, l, "in listen: ", "relp", "udp", "tcp", "max_message_size", "max_connections",
		       "idle_timeout_secs", "relp_threads", "allowed_senders", "relays", "strict_senders", "tls", "tls_cert", "tls_key",
		       "tls_ca") ||
	    get_str(x, l, "tls", c->tls_listen, sizeof(c->tls_listen)) ||
	    get_str(x, l, "tls_cert", c->tls_cert, sizeof(c->tls_cert)) ||
	    get_str(x, l, "tls_key", c->tls_key, sizeof(c->tls_key)) ||
	    get_str(x, l, "tls_ca", c->tls_ca, sizeof(c->tls_ca)) ||
	    check_hostport(x, l, "tls", c->tls_listen) ||
	    get_acl(x, l, "allowed_senders", &c->allowed_senders) || get_acl(x, l, "relays", &c->relays) ||
	    get_bool(x, l, "strict_senders", &strict) ||
	    get_str(x, l, "relp", c->relp_listen, sizeof(c->relp_listen)) ||
	    get_str(x, l, "udp", c->udp_listen, sizeof(c->udp_listen)) ||
	    get_str(x, l, "tcp", c->tcp_listen, sizeof(c->tcp_listen)) ||
	    check_hostport(x, l, "relp", c->relp_listen) || check_hostport(x, l, "udp", c->udp_listen) ||
	    check_hostport(x, l, "tcp", c->tcp_listen))
		return -1;
	c->strict_senders = strict;
	if (c->tls_listen[0] && (!c->tls_cert[0] || !c->tls_key[0]))
		return bad(x, config_setting_get_member(l, "tls"), "tls needs tls_cert and tls_key");
	int r = get_int(x, l, "max_message_size", 480, 1 << 20, &v);
	if (r < 0)
		return -1;
	if (r)
		c->max_message_size = (uint32_t)v;
	if ((r = get_int(x, l, "max_connections", 0, 1000000, &v)) < 0)
		return -1;
	if (r)
		c->max_connections = (uint32_t)v;
	if ((r = get_int(x, l, "idle_timeout_secs", 0, 86400 * 7, &v)) < 0)
		return -1;
	if (r)
		c->idle_timeout_secs = (uint32_t)v;
	if ((r = get_int(x, l, "relp_threads", 1, CONFIG_RELP_THREADS_MAX, &v)) < 0)
		return -1;
	if (r)
		c->relp_threads = (uint32_t)v;
	return 0;
}

/* Trap destinations of the embedded master. As a subagent, resyncd's traps go
 * to snmpd, whose own trap2sink lines send them on: a sink here would be
 * ignored, so it is refused rather than silently dropped. */
static int read_trap_sinks(struct ctx *x, const config_setting_t *snmp, struct config *c)
{
	const config_setting_t *s = config_setting_get_member(snmp, "trap_sinks");
	if (!s)
		return 0;
	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return bad(x, s, "trap_sinks must be a list of \"host[:port]\" strings");
	if (c->snmp_mode != SNMP_MASTER && config_setting_length(s) > 0)
		return bad(x, s, "trap_sinks needs mode = \"master\"; as an AgentX subagent, snmpd's trap2sink sends the traps");
	if (config_setting_length(s) > CONFIG_TRAP_SINKS_MAX)
		return bad(x, s, "trap_sinks: at most %d sinks", CONFIG_TRAP_SINKS_MAX);
	for (int i = 0; i < config_setting_length(s); i++) {
		const char *v = config_setting_get_string_elem(s, i);
		if (!v || !*v || strchr(v, ' '))
			return bad(x, s, "trap_sinks: element %d must be a \"host[:port]\" string", i + 1);
		if (strlen(v) >= sizeof(c->trap_sinks[0]))
			return bad(x, s, "trap_sinks: element %d is too long", i + 1);
		snprintf(c->trap_sinks[c->ntrap_sinks++], sizeof(c->trap_sinks[0]), "%s", v);
	}
	return 0;
}

static int read_snmp(struct ctx *x, const config_setting_t *root, struct config *c)
{
	const config_setting_t *s = config_setting_get_member(root, "snmp");
	if (!s)
		return 0;
	char mode[16] = "";
	if (ONLY_KNOWN(x, s, "in snmp: ", "mode", "agentx_socket", "listen", "community", "trap_sinks",
		       "trap_community") ||
	    get_str(x, s, "mode", mode, sizeof(mode)))
		return -1;
	if (!strcmp(mode, "agentx") || !*mode)
		c->snmp_mode = *mode ? SNMP_AGENTX : c->snmp_mode;
	else if (!strcmp(mode, "master"))
		c->snmp_mode = SNMP_MASTER;
	else if (!strcmp(mode, "off"))
		c->snmp_mode = SNMP_OFF;
	else
		return bad(x, config_setting_get_member(s, "mode"), "%s: mode must be agentx, master or off", mode);
	return get_str(x, s, "agentx_socket", c->agentx_socket, sizeof(c->agentx_socket)) ||
	       get_str(x, s, "listen", c->snmp_listen, sizeof(c->snmp_listen)) ||
	       get_str(x, s, "community", c->snmp_community, sizeof(c->snmp_community)) ||
	       get_str(x, s, "trap_community", c->trap_community, sizeof(c->trap_community)) ||
	       read_trap_sinks(x, s, c);
}

static int read_settings(struct ctx *x, const config_setting_t *root, struct config *c)
{
	const config_setting_t *s = config_setting_get_member(root, "settings");
	if (!s)
		return 0;
	if (!config_setting_is_group(s))
		return bad(x, s, "settings must be a group: settings = { name = value; ... }");
	for (int i = 0; i < config_setting_length(s); i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *name = config_setting_name(e);
		int id = -1;
		for (int k = 0; k < SET_COUNT; k++)
			if (!strcmp(name, settings_name((enum setting_id)k)))
				id = k;
		if (id < 0)
			return bad(x, e, "unknown setting %s", name);
		long long v;
		if (id == SET_SYSTEM_OF_RECORD) {
			const char *sv = config_setting_get_string(e);
			if (!sv || (strcmp(sv, "network") && strcmp(sv, "manager")))
				return bad(x, e, "%s must be \"network\" or \"manager\"", name);
			v = !strcmp(sv, "network") ? SOR_NETWORK : SOR_MANAGER;
		} else if (config_setting_type(e) == CONFIG_TYPE_BOOL) {
			v = config_setting_get_bool(e);
		} else if (config_setting_type(e) == CONFIG_TYPE_INT || config_setting_type(e) == CONFIG_TYPE_INT64) {
			v = config_setting_get_int64(e);
		} else {
			return bad(x, e, "%s must be a number or true/false", name);
		}
		const char *why = NULL;
		if (settings_set(&c->settings, (enum setting_id)id, v, &why) != SETERR_OK)
			return bad(x, e, "%s", why);
		c->settings_given[id] = true;
	}
	return 0;
}

static int read_credentials(struct ctx *x, const config_setting_t *root, struct config *c)
{
	const config_setting_t *l = config_setting_get_member(root, "credentials");
	if (!l)
		return 0;
	if (!config_setting_is_list(l))
		return bad(x, l, "%s must be a list ( { ... }, ... )", "credentials");
	int n = config_setting_length(l);
	c->creds = calloc((size_t)n + 1, sizeof(*c->creds));
	if (!c->creds)
		return bad(x, l, "%s", "out of memory");
	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
		struct credential *cr = &c->creds[c->ncreds];
		if (ONLY_KNOWN(x, e, "in a credential set: ", "name", "user", "key", "password") ||
		    get_str(x, e, "name", cr->name, sizeof(cr->name)) ||
		    get_str(x, e, "user", cr->user, sizeof(cr->user)) ||
		    get_str(x, e, "key", cr->key_path, sizeof(cr->key_path)) ||
		    get_str(x, e, "password", cr->password, sizeof(cr->password)))
			return -1;
		if (!*cr->name || !*cr->user)
			return bad(x, e, "%s needs a name and a user", "a credential set");
		if (config_credential(c, cr->name))
			return bad(x, e, "credential set %s is defined twice", cr->name);
		c->ncreds++;
	}
	return 0;
}

static int valid_address(const char *a)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, a, buf) == 1 || inet_pton(AF_INET6, a, buf) == 1;
}

/* What read_devices has seen: addresses and the short names of FQDN-named
 * devices, so two devices with one address, or r1 beside r1.lab (a syslog
 * host of either would match both), are refused as SNMP refuses them. The
 * entries come from one array (two per device), freed in one go: 100,000
 * devices must not leave the heap fragmented. */
struct seen {
	const char *key;                 /* an address, or a short name */
	size_t len;
	const struct config_device *dev;
	UT_hash_handle hh;
};
struct seen_sets {
	struct seen *addrs, *shorts;
	struct seen *pool;
	size_t used;
};

static struct seen *seen_find(struct seen *set, const char *key, size_t len)
{
	struct seen *f = NULL;
	HASH_FIND(hh, set, key, len, f);
	return f;
}

static void seen_put(struct seen_sets *s, struct seen **set, const char *key, size_t len,
		     const struct config_device *d)
{
	struct seen *n = &s->pool[s->used++];
	n->key = key;
	n->len = len;
	n->dev = d;
	HASH_ADD_KEYPTR(hh, *set, n->key, n->len, n);
}

/* Keeps the first device of each key. */
static void seen_add(struct seen_sets *s, struct seen **set, const char *key, size_t len,
		     const struct config_device *d)
{
	if (seen_find(*set, key, len))
		return;
	seen_put(s, set, key, len, d);
}

static void free_seen(struct seen_sets *s)
{
	HASH_CLEAR(hh, s->addrs);
	HASH_CLEAR(hh, s->shorts);
	free(s->pool);
	s->pool = NULL;
}

static const struct config_device *clash(const struct config *c, struct seen_sets *s, const struct config_device *d)
{
	const struct seen *f = seen_find(s->addrs, d->address, strlen(d->address));
	if (f)
		return f->dev;
	size_t n = model_short_name_len(d->key);
	if (n < strlen(d->key)) { /* an FQDN: a device named by its short name? */
		char shortname[RS_NAME_MAX];
		memcpy(shortname, d->key, n);
		shortname[n] = '\0';
		return config_device(c, shortname);
	}
	f = seen_find(s->shorts, d->key, strlen(d->key)); /* a short name: an FQDN device with it? */
	return f ? f->dev : NULL;
}

static void remember(struct seen_sets *s, const struct config_device *d)
{
	size_t n = model_short_name_len(d->key);
	seen_put(s, &s->addrs, d->address, strlen(d->address), d); /* clash() found none */
	if (n < strlen(d->key))
		seen_add(s, &s->shorts, d->key, n, d);
}

static int read_device_list(struct ctx *x, const config_setting_t *root, struct config *c,
			    struct seen_sets *seen)
{
	const config_setting_t *l = config_setting_get_member(root, "devices");
	if (!l)
		return 0; /* config_load refuses that */
	if (!config_setting_is_list(l))
		return bad(x, l, "%s must be a list ( { ... }, ... )", "devices");
	int n = config_setting_length(l);
	c->devices = calloc((size_t)n + 1, sizeof(*c->devices));
	seen->pool = calloc(2 * (size_t)n + 1, sizeof(*seen->pool));
	if (!c->devices || !seen->pool)
		return bad(x, l, "%s", "out of memory");
	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
		struct config_device *d = &c->devices[c->ndevices];
		long long port = 830;
		int tofu = 0, cfg_syslog = c->configure_device_syslog;
		if (ONLY_KNOWN(x, e, "in a device: ", "name", "address", "credential", "port",
			       "trust_on_first_use", "configure_device_syslog") ||
		    get_bool(x, e, "configure_device_syslog", &cfg_syslog) ||
		    get_str(x, e, "name", d->name, sizeof(d->name)) ||
		    get_str(x, e, "address", d->address, sizeof(d->address)) ||
		    get_str(x, e, "credential", d->credential, sizeof(d->credential)) ||
		    get_int(x, e, "port", 1, 65535, &port) < 0 || get_bool(x, e, "trust_on_first_use", &tofu))
			return -1;
		d->port = (uint16_t)port;
		d->trust_on_first_use = tofu;
		d->configure_syslog = cfg_syslog;
		if (!*d->name)
			return bad(x, e, "%s needs a name", "a device");
		if (!*d->address || !valid_address(d->address))
			return bad(x, e, "device %s needs an IPv4 or IPv6 address", d->name);
		if (*d->credential && !config_credential(c, d->credential))
			return bad(x, e, "unknown credential set for this device: %s", d->credential);
		if (config_device(c, d->name))
			return bad(x, e, "device %s is defined twice", d->name);
		for (size_t k = 0; d->name[k]; k++)
			d->key[k] = (char)tolower((unsigned char)d->name[k]);
		const struct config_device *o = clash(c, seen, d);
		if (o)
			return bad(x, e, strcmp(o->address, d->address) == 0 ? "device %s has the address of device %s"
									     : "device %s and device %s name the same host",
				   d->name, o->name);
		remember(seen, d);
		HASH_ADD_STR(c->by_name, key, d);
		c->ndevices++;
	}
	return 0;
}

static int read_devices(struct ctx *x, const config_setting_t *root, struct config *c)
{
	struct seen_sets seen = { NULL, NULL, NULL, 0 };
	int rc = read_device_list(x, root, c, &seen);
	free_seen(&seen);
	return rc;
}

/* deploy { confirm_timeout_secs }: how long a deploy's commit confirmed may
 * wait for its confirmation before the device rolls it back. */
static int read_deploy(struct ctx *x, const config_setting_t *root, struct config *c)
{
	const config_setting_t *g = config_setting_get_member(root, "deploy");
	long long v;
	int cfg_syslog = 0;
	/* S6 (top level, read before the devices, whose default it is) */
	if (get_bool(x, root, "configure_device_syslog", &cfg_syslog) ||
	    get_str(x, root, "device_syslog_host", c->device_syslog_host, sizeof(c->device_syslog_host)))
		return -1;
	c->configure_device_syslog = cfg_syslog;
	if (get_int(x, root, "device_syslog_port", 1, 65535, &v) < 0)
		return -1;
	if (config_setting_get_member(root, "device_syslog_port"))
		c->device_syslog_port = (uint16_t)v;
	if (c->configure_device_syslog && !c->device_syslog_host[0])
		return bad(x, config_setting_get_member(root, "configure_device_syslog"),
			   "configure_device_syslog needs device_syslog_host (the address devices send syslog to)");
	if (!g)
		return 0;
	if (!config_setting_is_group(g))
		return bad(x, g, "deploy must be a group { ... }");
	int rc = get_int(x, g, "confirm_timeout_secs", 5, 3600, &v);
	if (rc < 0)
		return -1;
	if (rc > 0)
		c->deploy_confirm_timeout_secs = (uint32_t)v;
	return ONLY_KNOWN(x, g, "deploy.", "confirm_timeout_secs");
}

/* A list of strings (event tags, commands) into fixed slots. */
static int get_str_list(struct ctx *x, const config_setting_t *parent, const char *name, char *slots,
			size_t slot_size, size_t max, size_t *n, bool tags)
{
	config_setting_t *s = config_setting_get_member(parent, name);
	*n = 0;
	if (!s)
		return 0;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		/* one value without brackets is a list of one */
	} else if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		return bad(x, s, "%s must be a list of strings [ \"...\", ... ]", name);
	}
	int len = config_setting_type(s) == CONFIG_TYPE_STRING ? 1 : config_setting_length(s);
	if (len > (int)max)
		return bad(x, s, "%s: at most %zu entries", name, max);
	for (int i = 0; i < len; i++) {
		const char *v = config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s)
									     : config_setting_get_string_elem(s, i);
		if (!v || !*v)
			return bad(x, s, "%s: element %d must be a non-empty string", name, i + 1);
		if (strlen(v) >= slot_size)
			return bad(x, s, "%s: element %d is too long (at most %zu characters)", name, i + 1,
				   slot_size - 1);
		for (const char *q = v; tags && *q; q++)
			if (!((*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || strchr("_*?[]!-", *q)))
				return bad(x, s, "%s: %s is not an event tag (upper-case letters, digits, _ and wildcards * ? [])",
					   name, v);
		memcpy(slots + (size_t)i * slot_size, v, strlen(v) + 1);
		(*n)++;
	}
	return 0;
}

static int read_profile(struct ctx *x, config_setting_t *e, struct incident_profile *p)
{
	long long quiet = 0, hook_timeout = p->hook_timeout_secs;
	config_setting_t *sev;
	if (ONLY_KNOWN(x, e, "in a profile: ", "name", "events", "clear", "severity", "devices", "auto_close_secs",
		       "capture", "hook", "hook_timeout_secs") ||
	    get_str(x, e, "name", p->name, sizeof(p->name)) ||
	    get_str_list(x, e, "events", &p->tags[0][0], sizeof(p->tags[0]), INC_TAGS_MAX, &p->ntags, true) ||
	    get_str_list(x, e, "clear", &p->clear_tags[0][0], sizeof(p->clear_tags[0]), INC_TAGS_MAX, &p->nclear,
			 true) ||
	    get_str(x, e, "devices", p->devices, sizeof(p->devices)) ||
	    get_int(x, e, "auto_close_secs", 0, 365LL * 86400, &quiet) < 0 ||
	    get_str_list(x, e, "capture", &p->commands[0][0], sizeof(p->commands[0]), INC_CMDS_MAX, &p->ncommands,
			 false) ||
	    get_str(x, e, "hook", p->hook, sizeof(p->hook)) ||
	    get_int(x, e, "hook_timeout_secs", 1, 3600, &hook_timeout) < 0)
		return -1;
	p->line = config_setting_source_line(e);
	p->auto_close_secs = (uint32_t)quiet;
	p->hook_timeout_secs = (uint32_t)hook_timeout;
	if (!*p->name)
		return bad(x, e, "%s needs a name", "a profile");
	if (p->ntags == 0)
		return bad(x, e, "profile %s needs events = [ \"TAG\", ... ]", p->name);
	if ((sev = config_setting_get_member(e, "severity")) != NULL) {
		const char *sv = config_setting_get_string(sev);
		int t = config_setting_type(sev);
		if (sv)
			p->min_severity = incident_severity_by_name(sv);
		else if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
			p->min_severity = (int)config_setting_get_int64(sev);
		else
			p->min_severity = -2;
		if (p->min_severity < 0 || p->min_severity > 7)
			return bad(x, sev, "severity must be 0..7 or emerg, alert, crit, err, warning, notice, info, debug");
	}
	if (*p->hook && p->hook[0] != '/')
		return bad(x, config_setting_get_member(e, "hook"), "hook must be an absolute path: %s", p->hook);
	return 0;
}

static int read_profiles(struct ctx *x, const config_setting_t *root, struct config *c)
{
	struct incident_profiles *ps = calloc(1, sizeof(*ps));
	if (!ps)
		return bad(x, NULL, "%s", "out of memory");
	c->profiles = ps;
	const config_setting_t *l = config_setting_get_member(root, "profiles");
	if (!l)
		return 0;
	if (!config_setting_is_list(l))
		return bad(x, l, "%s must be a list ( { ... }, ... )", "profiles");
	int n = config_setting_length(l);
	ps->v = calloc((size_t)n + 1, sizeof(*ps->v));
	if (!ps->v)
		return bad(x, l, "%s", "out of memory");
	for (int i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
		struct incident_profile *p = &ps->v[ps->n];
		incident_profile_defaults(p);
		if (read_profile(x, e, p) < 0)
			return -1;
		if (incident_profile_by_name(ps, p->name))
			return bad(x, e, "profile %s is defined twice", p->name);
		ps->n++;
	}
	if (incident_profiles_index(ps) < 0)
		return bad(x, l, "%s", "out of memory");
	return 0;
}

int config_load(const char *path, struct config *c, char *err, size_t errlen)
{
	config_t cf;
	config_init(&cf);
	struct ctx x = { path, err, errlen };
	int rc = -1;
	snprintf(c->path, sizeof(c->path), "%s", path);
	if (!config_read_file(&cf, path)) {
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s: cannot read the file", path);
		else
			snprintf(err, errlen, "%s:%d: %s", path, config_error_line(&cf), config_error_text(&cf));
		goto out;
	}
	const config_setting_t *root = config_root_setting(&cf);
	if (get_str(&x, root, "state_dir", c->state_dir, sizeof(c->state_dir)) ||
	    get_str(&x, root, "known_hosts", c->known_hosts, sizeof(c->known_hosts)) ||
	    get_str(&x, root, "manager_user", c->manager_user, sizeof(c->manager_user)) ||
	    get_str(&x, root, "intended_dir", c->intended_dir, sizeof(c->intended_dir)) ||
	    read_deploy(&x, root, c) || read_listen(&x, root, c) || read_snmp(&x, root, c) || read_settings(&x, root, c) ||
	    read_credentials(&x, root, c) || read_devices(&x, root, c) || read_profiles(&x, root, c))
		goto out;
	if (ONLY_KNOWN(&x, root, "", "state_dir", "known_hosts", "manager_user", "intended_dir", "deploy",
		       "configure_device_syslog", "device_syslog_host", "device_syslog_port",
		       "listen", "snmp", "settings", "credentials", "devices", "profiles"))
		goto out;
	/* Required: a file without it (emptied, half written, the wrong file)
	 * would make a reload remove every device. None is written so. */
	if (!config_setting_get_member(root, "devices")) {
		snprintf(err, errlen, "%s: no devices list (write devices = ( ); for none)", path);
		goto out;
	}
	rc = 0;
out:
	config_destroy(&cf);
	return rc;
}

const struct credential *config_credential(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->ncreds; i++)
		if (!strcmp(c->creds[i].name, name))
			return &c->creds[i];
	return NULL;
}

const struct config_device *config_device(const struct config *c, const char *name)
{
	char key[RS_NAME_MAX];
	size_t k = 0;
	for (; name[k] && k < sizeof(key) - 1; k++)
		key[k] = (char)tolower((unsigned char)name[k]);
	if (name[k])
		return NULL; /* longer than any name the file may hold */
	key[k] = '\0';
	struct config_device *d = NULL;
	HASH_FIND_STR(c->by_name, key, d);
	return d;
}

size_t config_check_files(const struct config *c, FILE *out)
{
	size_t n = 0;
	bool strict = false;

	for (size_t i = 0; i < c->ncreds; i++) {
		const struct credential *cr = &c->creds[i];

		if (cr->key_path[0] && access(cr->key_path, R_OK) < 0) {
			fprintf(out, "warning: credential set %s: key %s: %s\n", cr->name, cr->key_path,
				strerror(errno));
			n++;
		}
	}
	for (size_t i = 0; i < c->ndevices && !strict; i++)
		strict = !c->devices[i].trust_on_first_use;
	if (strict && access(c->known_hosts, R_OK) < 0) {
		fprintf(out, "warning: known_hosts %s: %s: every device without trust_on_first_use "
			"will fail its resync (host key unknown)\n", c->known_hosts, strerror(errno));
		n++;
	}
	return n;
}
