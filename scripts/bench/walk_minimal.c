/* walk_minimal.c: the comparator for scripts/bench/walk: a minimal net-snmp
 * agent (AgentX subagent or embedded master) serving a static table of the
 * same OID, shape (18 columns x N rows, uint32 index) and value types as
 * resyncdDeviceTable with net-snmp's tdata table helper, driven by net-snmp's
 * own select loop.
 *
 * Why tdata: its rows live in a sorted binary_array container, so the table
 * helper finds the row a GET/GETNEXT names by binary search (O(log n)), as
 * resyncd's agent does in its RB tree. (The older table_dataset helper scans
 * a linked list per request, O(n): too weak a peer at 100,000 rows.) The
 * handler is what mib2c's table_data template makes: extract the row and the
 * column, set the value.
 * Usage: walk_minimal agentx SOCKET NROWS | master LISTEN COMMUNITY NROWS */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/agent/table_tdata.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void init_vacm_conf(void);

static volatile sig_atomic_t stop;
static void on_term(int s) { (void)s; stop = 1; }

static const oid table_oid[] = { 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 7343, 1, 3 };

/* One row: the values of resyncdDeviceEntry's columns 2..19. */
struct entry {
	char name[32];
	size_t name_len;
	u_char addr[4];
	u_char never[8]; /* DateAndTime "never" */
};

static int table_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
			 netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	(void)handler;
	(void)reginfo;
	if (reqinfo->mode != MODE_GET)
		return SNMP_ERR_NOERROR; /* read-only; GETNEXT arrives here as GET of the next row */
	for (netsnmp_request_info *r = requests; r; r = r->next) {
		if (r->processed)
			continue;
		struct entry *e = netsnmp_tdata_extract_entry(r);
		netsnmp_table_request_info *ti = netsnmp_extract_table_info(r);
		netsnmp_variable_list *vb = r->requestvb;
		if (!e || !ti) {
			netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHINSTANCE);
			continue;
		}
		long one = 1;
		u_long port = 830, zero = 0;
		struct counter64 zero64 = { 0, 0 };
		switch (ti->colnum) {
		case 2: snmp_set_var_typed_value(vb, ASN_OCTET_STR, e->name, e->name_len); break;
		case 4: snmp_set_var_typed_value(vb, ASN_OCTET_STR, e->addr, sizeof(e->addr)); break;
		case 5: snmp_set_var_typed_value(vb, ASN_UNSIGNED, &port, sizeof(port)); break;
		case 6: snmp_set_var_typed_value(vb, ASN_OCTET_STR, "lab", 3); break;
		case 9:
		case 13: snmp_set_var_typed_value(vb, ASN_OCTET_STR, e->never, sizeof(e->never)); break;
		case 10:
		case 11:
		case 15: snmp_set_var_typed_value(vb, ASN_OCTET_STR, "", 0); break;
		case 12: snmp_set_var_typed_value(vb, ASN_COUNTER64, &zero64, sizeof(zero64)); break;
		case 16:
		case 17: snmp_set_var_typed_value(vb, ASN_UNSIGNED, &zero, sizeof(zero)); break;
		case 3:
		case 7:
		case 8:
		case 14:
		case 18:
		case 19: snmp_set_var_typed_value(vb, ASN_INTEGER, &one, sizeof(one)); break;
		default: netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHOBJECT); break;
		}
	}
	return SNMP_ERR_NOERROR;
}

static int register_table(unsigned long n)
{
	netsnmp_tdata *table = netsnmp_tdata_create_table("walkMinimalTable", 0);
	netsnmp_table_registration_info *info = SNMP_MALLOC_TYPEDEF(netsnmp_table_registration_info);
	struct entry *entries = calloc(n ? n : 1, sizeof(*entries));
	if (!table || !info || !entries)
		return -1;
	netsnmp_table_helper_add_indexes(info, ASN_UNSIGNED, 0);
	info->min_column = 2;
	info->max_column = 19;
	netsnmp_handler_registration *reg = netsnmp_create_handler_registration(
		"walkMinimalTable", table_handler, table_oid, OID_LENGTH(table_oid), HANDLER_CAN_RONLY);
	if (!reg || netsnmp_tdata_register(reg, table, info) != SNMPERR_SUCCESS)
		return -1;
	/* Rows come in index order: each insert is a binary search that lands
	 * at the end of the array. */
	for (unsigned long i = 1; i <= n; i++) {
		struct entry *e = &entries[i - 1];
		netsnmp_tdata_row *row = netsnmp_tdata_create_row();
		u_long idx = i;
		if (!row)
			return -1;
		e->name_len = (size_t)snprintf(e->name, sizeof(e->name), "r%lu.bench", i);
		e->addr[0] = 10;
		e->addr[1] = (u_char)(i >> 16);
		e->addr[2] = (u_char)(i >> 8);
		e->addr[3] = (u_char)i;
		row->data = e;
		netsnmp_tdata_row_add_index(row, ASN_UNSIGNED, &idx, sizeof(idx));
		if (netsnmp_tdata_add_row(table, row) != SNMPERR_SUCCESS)
			return -1;
	}
	return 0;
}

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
	if (register_table(n) < 0) {
		fprintf(stderr, "walk_minimal: cannot build the table\n");
		return 1;
	}
	init_snmp("walkmin");
	if (master) {
		char no_smux[] = "-smux"; /* as resyncd: no SMUX listener on tcp/199 */
		add_to_init_list(no_smux);
	}
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
