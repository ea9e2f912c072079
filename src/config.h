/* config.h: resyncd.conf, read with libconfig.
 *
 * Credentials live only here (never in SNMP or the store). Settings given here
 * are initial values: a value changed by snmpset and persisted wins. */
#ifndef RESYNCD_CONFIG_H
#define RESYNCD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "netacl.h"

struct incident_profiles;

struct credential {
	char name[RS_NAME_MAX];
	char user[RS_USER_MAX];
	char key_path[256];
	char password[128];
};

/* A device of the file: read, checked, handed to inventory_sync(), then
 * dropped (config_drop_devices) so the model holds the only copy. */
struct config_device {
	char name[RS_NAME_MAX];
	char address[RS_ADDR_MAX];
	uint16_t port;
	char credential[RS_NAME_MAX];
	bool trust_on_first_use;
	bool configure_syslog;           /* configure_device_syslog, the file's default unless set here */
	char key[RS_NAME_MAX];           /* lower-case name */
	UT_hash_handle hh;               /* config.by_name */
};

#define CONFIG_TRAP_SINKS_MAX 8
#define CONFIG_RELP_THREADS_MAX 16

enum snmp_mode { SNMP_OFF = 0, SNMP_AGENTX = 1, SNMP_MASTER = 2 };

struct config {
	char path[256];
	char state_dir[256];
	char known_hosts[256];
	char manager_user[RS_USER_MAX];  /* resyncd's own SSH user: its commits are not device changes */
	char intended_dir[256];          /* the manager's copies: <device>.conf / <device>.xml; empty = none */
	uint32_t deploy_confirm_timeout_secs; /* commit confirmed's timeout during a deploy */
	bool configure_device_syslog;    /* S6: configure devices to send resyncd their commits */
	char device_syslog_host[RS_ADDR_MAX]; /* the address devices send syslog to */
	uint16_t device_syslog_port;
	char relp_listen[128];           /* "host:port", empty = off */
	char udp_listen[128];
	char tcp_listen[128];
	char tls_listen[128];            /* RFC 5425 syslog over TLS, "" = off */
	char tls_cert[256];              /* server certificate chain (PEM) */
	char tls_key[256];               /* its private key (PEM) */
	char tls_ca[256];                /* "" or CA (PEM): then clients need a certificate it signed */
	uint32_t max_message_size;
	uint32_t max_connections;        /* per stream listener (TCP, RELP); 0 = no cap */
	uint32_t relp_threads;           /* RELP engines, each its own thread, sharing one listener */
	uint32_t idle_timeout_secs;      /* TCP: a connection silent this long is closed; RELP: keepalive
					  * probes after it; 0 = never */
	struct netacl allowed_senders;   /* empty: anyone may send */
	struct netacl relays;            /* trusted to name the device (strict mode) */
	bool strict_senders;             /* a commit counts only from the device's address or a relay */
	enum snmp_mode snmp_mode;
	char agentx_socket[256];         /* empty = net-snmp's default */
	char snmp_listen[128];           /* embedded master's address, e.g. udp:127.0.0.1:11161 */
	char snmp_community[64];         /* embedded master: read-write community */
	char trap_sinks[CONFIG_TRAP_SINKS_MAX][128]; /* embedded master: "host[:port]" to send traps to */
	size_t ntrap_sinks;
	char trap_community[64];         /* community of those traps */
	struct credential *creds;
	size_t ncreds;
	struct config_device *devices;
	size_t ndevices;
	struct config_device *by_name;   /* uthash on key: lookups stay O(1) at 100,000 devices */
	struct incident_profiles *profiles; /* event profiles (E1); NULL or empty: none */
	struct settings settings;        /* defaults overlaid with the file's values */
	bool settings_given[SET_COUNT];
};

void config_defaults(struct config *c);
/* Reads and checks path. On error returns -1 and err says "file:line: reason". */
int config_load(const char *path, struct config *c, char *err, size_t errlen);
void config_free(struct config *c);
/* Frees the device list once the model has it; config_device() then finds nothing. */
void config_drop_devices(struct config *c);
/* What --check-config warns about beyond the syntax: files the file names
 * that resyncd cannot read (a credential's key, known_hosts while some
 * device does not trust on first use). One line per problem to out; returns
 * how many. */
size_t config_check_files(const struct config *c, FILE *out);
const struct credential *config_credential(const struct config *c, const char *name);
const struct config_device *config_device(const struct config *c, const char *name);

#endif
