/* walk_minimal.c: the comparator for scripts/bench/walk: a minimal net-snmp
 * agent (AgentX subagent or embedded master) serving a static table of the
 * same OID, shape and size as resyncdDeviceTable with net-snmp's own table
 * helper (table_dataset), driven by net-snmp's own select loop.
 * Usage: walk_minimal agentx SOCKET NROWS | master LISTEN COMMUNITY NROWS */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void init_vacm_conf(void);

static volatile sig_atomic_t stop;
static void on_term(int s) { (void)s; stop = 1; }

static const oid table_oid[] = { 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 7343, 1, 3 };

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s agentx SOCKET NROWS | master LISTEN COMMUNITY NROWS\n", argv[0]);
		return 2;
	}
	int master = !strcmp(argv[1], "master");
	unsigned long n = strtoul(argv[master ? 4 : 3], NULL, 10);
	setenv("MIBS", "", 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, !master);
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_DONT_LOG_TCPWRAPPERS_CONNECTS, 1);
	if (master) {
		netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_PORTS, argv[2]);
		netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_MASTER, 0);
	} else {
		netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, argv[2]);
	}
	init_agent("walkmin");
	if (master) {
		char line[128];
		init_vacm_conf();
		snprintf(line, sizeof(line), "rwcommunity %s", argv[3]);
		netsnmp_config_remember(line);
	}

	netsnmp_table_data_set *set = netsnmp_create_table_data_set("walkMinimalTable");
	netsnmp_table_dataset_add_index(set, ASN_UNSIGNED);
	/* Columns 2..19 with resyncdDeviceEntry's types. */
	static const u_char types[20] = { 0, 0, ASN_OCTET_STR, ASN_INTEGER, ASN_OCTET_STR, ASN_UNSIGNED,
		ASN_OCTET_STR, ASN_INTEGER, ASN_INTEGER, ASN_OCTET_STR, ASN_OCTET_STR, ASN_OCTET_STR,
		ASN_COUNTER64, ASN_OCTET_STR, ASN_INTEGER, ASN_OCTET_STR, ASN_UNSIGNED, ASN_UNSIGNED,
		ASN_INTEGER, ASN_INTEGER };
	for (unsigned c = 2; c <= 19; c++)
		netsnmp_table_set_add_default_row(set, c, types[c], 0, NULL, 0);
	/* Rows are appended in index order, so build the list directly at its tail
	 * (netsnmp_table_dataset_add_row would scan the list for each row). */
	netsnmp_table_row *prev = NULL;
	for (unsigned long i = 1; i <= n; i++) {
		netsnmp_table_row *row = netsnmp_create_table_data_row();
		u_long idx = i;
		char name[32], addr[4] = { 10, (char)(i >> 16), (char)(i >> 8), (char)i };
		u_char dt[8] = { 0 };
		long one = 1, port = 830;
		struct counter64 zero = { 0, 0 };
		snprintf(name, sizeof(name), "r%lu.bench", i);
		netsnmp_table_row_add_index(row, ASN_UNSIGNED, &idx, sizeof(idx));
		netsnmp_set_row_column(row, 2, ASN_OCTET_STR, name, strlen(name));
		netsnmp_set_row_column(row, 3, ASN_INTEGER, &one, sizeof(one));
		netsnmp_set_row_column(row, 4, ASN_OCTET_STR, addr, 4);
		netsnmp_set_row_column(row, 5, ASN_UNSIGNED, &port, sizeof(port));
		netsnmp_set_row_column(row, 6, ASN_OCTET_STR, "lab", 3);
		netsnmp_set_row_column(row, 7, ASN_INTEGER, &one, sizeof(one));
		netsnmp_set_row_column(row, 8, ASN_INTEGER, &one, sizeof(one));
		netsnmp_set_row_column(row, 9, ASN_OCTET_STR, dt, 8);
		netsnmp_set_row_column(row, 10, ASN_OCTET_STR, "", 0);
		netsnmp_set_row_column(row, 11, ASN_OCTET_STR, "", 0);
		netsnmp_set_row_column(row, 12, ASN_COUNTER64, &zero, sizeof(zero));
		netsnmp_set_row_column(row, 13, ASN_OCTET_STR, dt, 8);
		netsnmp_set_row_column(row, 14, ASN_INTEGER, &one, sizeof(one));
		netsnmp_set_row_column(row, 15, ASN_OCTET_STR, "", 0);
		netsnmp_set_row_column(row, 16, ASN_UNSIGNED, &zero.low, sizeof(long));
		netsnmp_set_row_column(row, 17, ASN_UNSIGNED, &zero.low, sizeof(long));
		netsnmp_set_row_column(row, 18, ASN_INTEGER, &one, sizeof(one));
		netsnmp_set_row_column(row, 19, ASN_INTEGER, &one, sizeof(one));
		if (!prev) {
			netsnmp_table_data_add_row(set->table, row);
		} else {
			/* Same effect as netsnmp_table_data_add_row at the tail. */
			netsnmp_table_data_generate_index_oid(row);
			prev->next = row;
			row->prev = prev;
			set->table->last_row = row;
		}
		prev = row;
	}
	netsnmp_register_table_data_set(
		netsnmp_create_handler_registration("walkMinimalTable", NULL, table_oid, OID_LENGTH(table_oid),
						    HANDLER_CAN_RONLY),
		set, NULL);
	init_snmp("walkmin");
	if (master && init_master_agent() != 0)
		return 1;
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	fprintf(stderr, "walk_minimal: ready (%lu rows)\n", n);
	while (!stop)
		agent_check_and_process(1);
	snmp_shutdown("walkmin");
	return 0;
}
