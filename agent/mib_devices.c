/* mib_devices.c: resyncdDeviceTable. GET and GETNEXT are one lookup in the
 * model's RB tree (model_device_next, through mib_u32_table_get/getnext): O(log n), no
 * scan and no copy. SETs add (createAndGo) and remove (destroy) rows, change
 * a row's address, port or credential name, and request a resync; they are
 * checked in the reserve phases and applied at commit through loop_*, so a
 * refused SET changes nothing. */
#include "mib.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "loop.h"
#include "oids.h"

static const oid dev_table_oid[] = { RESYNCD_DEVICE_TABLE_OID };
#define DEV_TABLE_OID_LEN OID_LENGTH(dev_table_oid)

/* ---- reading ------------------------------------------------------------ */

/* The InetAddressType and octets of a textual address. */
static int dev_addr_octets(const char *text, u_char *out, size_t *len)
{
	if (inet_pton(AF_INET, text, out) == 1) {
		*len = 4;
		return INET_IPV4;
	}
	if (inet_pton(AF_INET6, text, out) == 1) {
		*len = 16;
		return INET_IPV6;
	}
	*len = strlen(text);
	memcpy(out, text, *len);
	return INET_DNS;
}

static void dev_get_col(netsnmp_variable_list *vb, const void *row, unsigned col)
{
	const struct device *d = row;
	u_char buf[RS_ADDR_MAX];
	size_t len;
	switch (col) {
	case DEV_NAME: mib_set_str(vb, d->name); return;
	case DEV_ADDRESS_TYPE: mib_set_int(vb, dev_addr_octets(d->address, buf, &len)); return;
	case DEV_ADDRESS:
		dev_addr_octets(d->address, buf, &len);
		snmp_set_var_typed_value(vb, ASN_OCTET_STR, buf, len);
		return;
	case DEV_SSH_PORT: mib_set_uint(vb, ASN_UNSIGNED, d->ssh_port); return;
	case DEV_CREDENTIAL: mib_set_str(vb, d->credential); return;
	case DEV_MANAGED_STATUS: mib_set_int(vb, d->managed_status); return;
	case DEV_CONN_STATUS: mib_set_int(vb, d->conn_status); return;
	case DEV_LAST_COMMIT_TIME: mib_set_datetime(vb, d->last_commit_time); return;
	case DEV_LAST_COMMIT_USER: mib_set_str(vb, d->last_commit_user); return;
	case DEV_LAST_COMMIT_COMMENT: mib_set_str(vb, d->last_commit_comment); return;
	case DEV_COMMIT_COUNT: mib_set_u64(vb, d->commit_count); return;
	case DEV_LAST_RESYNC_TIME: mib_set_datetime(vb, d->last_resync_time); return;
	case DEV_LAST_RESYNC_RESULT: mib_set_int(vb, d->last_resync_result); return;
	case DEV_LAST_RESYNC_REASON: mib_set_str(vb, d->last_resync_reason); return;
	case DEV_CONFIG_VERSION: mib_set_uint(vb, ASN_UNSIGNED, d->config_version); return;
	case DEV_CURRENT_JOB:
		mib_set_uint(vb, ASN_UNSIGNED, d->running_job ? d->running_job : d->scheduled_auto_job);
		return;
	case DEV_ACTION: mib_set_int(vb, DEV_ACTION_NONE); return;
	case DEV_ROW_STATUS: mib_set_int(vb, RS_ACTIVE); return;
	case DEV_CONFIG_COMMIT_TIME: mib_set_datetime(vb, d->config_commit_time); return;
	case DEV_CONFIG_COMMIT_USER: mib_set_str(vb, d->config_commit_user); return;
	case DEV_INTENDED_VERSION: mib_set_uint(vb, ASN_UNSIGNED, d->intended_version); return;
	case DEV_INTENDED_TIME: mib_set_datetime(vb, d->intended_time); return;
	case DEV_SYSLOG_CONFIGURED: mib_set_int(vb, d->syslog_configured ? 1 : 2); return; /* TruthValue */
	default: return;
	}
}

static bool dev_has_col(unsigned col)
{
	return col >= DEV_FIRST_COL && col <= DEV_LAST_COL;
}

static const void *dev_next(struct model *m, uint32_t after, uint32_t *index)
{
	struct device *d = model_device_next(m, after);
	if (d)
		*index = d->index;
	return d;
}

const struct mib_u32_table mib_device_table = {
	dev_table_oid, DEV_TABLE_OID_LEN, DEV_FIRST_COL, DEV_LAST_COL, dev_next, dev_get_col, dev_has_col,
};

/* ---- writing ------------------------------------------------------------ */

/* What one PDU asks of one row. */
struct dev_row {
	uint32_t index;
	netsnmp_request_info *first, *name_r, *type_r, *addr_r, *rs_r, *action_r, *cred_r;
	char name[RS_NAME_MAX];
	char credential[RS_NAME_MAX];
	const u_char *addr;
	size_t addr_len;
	long addr_type, action, rs;
	unsigned long port;
	bool has_name, has_type, has_addr, has_port, has_cred, has_action, has_rs;
};

static bool dev_printable(const u_char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isprint(s[i]))
			return false;
	return true;
}

/* Per-varbind checks (type, length, value); fills the row's fields. */
static int dev_check_vb(const netsnmp_variable_list *vb, unsigned col, struct dev_row *row)
{
	switch (col) {
	case DEV_NAME:
	case DEV_CREDENTIAL: {
		if (vb->type != ASN_OCTET_STR)
			return SNMP_ERR_WRONGTYPE;
		if (vb->val_len >= RS_NAME_MAX || (col == DEV_NAME && vb->val_len == 0))
			return SNMP_ERR_WRONGLENGTH;
		if (!dev_printable(vb->val.string, vb->val_len) ||
		    (col == DEV_NAME && memchr(vb->val.string, ' ', vb->val_len)))
			return SNMP_ERR_WRONGVALUE;
		char *dst = col == DEV_NAME ? row->name : row->credential;
		memcpy(dst, vb->val.string, vb->val_len);
		dst[vb->val_len] = '\0';
		*(col == DEV_NAME ? &row->has_name : &row->has_cred) = true;
		return SNMP_ERR_NOERROR;
	}
	case DEV_ADDRESS_TYPE:
		if (vb->type != ASN_INTEGER)
			return SNMP_ERR_WRONGTYPE;
		row->addr_type = *vb->val.integer;
		if (row->addr_type != INET_IPV4 && row->addr_type != INET_IPV6 && row->addr_type != INET_DNS)
			return SNMP_ERR_WRONGVALUE;
		row->has_type = true;
		return SNMP_ERR_NOERROR;
	case DEV_ADDRESS:
		if (vb->type != ASN_OCTET_STR)
			return SNMP_ERR_WRONGTYPE;
		if (vb->val_len == 0 || vb->val_len >= RS_ADDR_MAX)
			return SNMP_ERR_WRONGLENGTH;
		row->addr = vb->val.string;
		row->addr_len = vb->val_len;
		row->has_addr = true;
		return SNMP_ERR_NOERROR;
	case DEV_SSH_PORT:
		if (vb->type != ASN_UNSIGNED)
			return SNMP_ERR_WRONGTYPE;
		row->port = *(const unsigned long *)vb->val.integer;
		if (row->port < 1 || row->port > 65535)
			return SNMP_ERR_WRONGVALUE;
		row->has_port = true;
		return SNMP_ERR_NOERROR;
	case DEV_ACTION:
		if (vb->type != ASN_INTEGER)
			return SNMP_ERR_WRONGTYPE;
		row->action = *vb->val.integer;
		if (row->action < DEV_ACTION_NONE || row->action > DEV_ACTION_CONFIGURE_SYSLOG)
			return SNMP_ERR_WRONGVALUE;
		row->has_action = true;
		return SNMP_ERR_NOERROR;
	case DEV_ROW_STATUS:
		if (vb->type != ASN_INTEGER)
			return SNMP_ERR_WRONGTYPE;
		row->rs = *vb->val.integer;
		/* Rows are always active: createAndWait and notInService are not
		 * supported, notReady can never be written (RFC 2579). */
		if (row->rs != RS_ACTIVE && row->rs != RS_CREATEANDGO && row->rs != RS_DESTROY)
			return SNMP_ERR_WRONGVALUE;
		row->has_rs = true;
		return SNMP_ERR_NOERROR;
	default:
		/* Read-only, or no such column: nothing can ever be written there. */
		return SNMP_ERR_NOTWRITABLE;
	}
}

/* The textual address a row's type and octets give; -1 if they disagree. */
static int dev_addr_text(const struct dev_row *row, long type, char *out, size_t outlen)
{
	char text[RS_ADDR_MAX];
	unsigned char bin[16];
	bool printable = dev_printable(row->addr, row->addr_len);
	if (printable) {
		memcpy(text, row->addr, row->addr_len);
		text[row->addr_len] = '\0';
	}
	if (type == INET_UNKNOWN)
		type = printable ? INET_DNS : row->addr_len == 4 ? INET_IPV4 : INET_IPV6;
	switch (type) {
	case INET_IPV4:
	case INET_IPV6: {
		int af = type == INET_IPV4 ? AF_INET : AF_INET6;
		size_t want = type == INET_IPV4 ? 4 : 16;
		/* The standard form is binary; the dotted text snmpset users type is accepted too. */
		if (printable && inet_pton(af, text, bin) == 1)
			;
		else if (row->addr_len == want)
			memcpy(bin, row->addr, want);
		else
			return -1;
		return inet_ntop(af, bin, out, (socklen_t)outlen) ? 0 : -1;
	}
	default:
		if (!printable || memchr(row->addr, ' ', row->addr_len))
			return -1;
		snprintf(out, outlen, "%s", text);
		return 0;
	}
}

static struct dev_row *dev_row_for(struct dev_row *rows, size_t *n, uint32_t index)
{
	for (size_t i = 0; i < *n; i++)
		if (rows[i].index == index)
			return &rows[i];
	struct dev_row *row = &rows[(*n)++];
	memset(row, 0, sizeof(*row));
	row->index = index;
	return row;
}

/* Checks every varbind and each row as a whole. On error sets it on the
 * offending request and returns -1. */
static int dev_plan(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests,
		    struct dev_row *rows, size_t *nrows)
{
	struct model *m = &mib_loop->model;
	*nrows = 0;
	for (netsnmp_request_info *r = requests; r; r = r->next) {
		netsnmp_variable_list *vb = r->requestvb;
		unsigned col;
		const oid *idx;
		size_t idxlen;
		if (!mib_table_instance(vb->name, vb->name_length, dev_table_oid, DEV_TABLE_OID_LEN, &col,
					&idx, &idxlen) ||
		    col < DEV_FIRST_COL || col > DEV_LAST_COL) {
			netsnmp_set_request_error(reqinfo, r, SNMP_ERR_NOTWRITABLE);
			return -1;
		}
		if (idxlen != 1 || idx[0] == 0 || idx[0] > UINT32_MAX) {
			netsnmp_set_request_error(reqinfo, r, SNMP_ERR_NOCREATION);
			return -1;
		}
		struct dev_row *row = dev_row_for(rows, nrows, (uint32_t)idx[0]);
		if (!row->first)
			row->first = r;
		int err = dev_check_vb(vb, col, row);
		if (err != SNMP_ERR_NOERROR) {
			netsnmp_set_request_error(reqinfo, r, err);
			return -1;
		}
		if (col == DEV_NAME)
			row->name_r = r;
		else if (col == DEV_ADDRESS_TYPE)
			row->type_r = r;
		else if (col == DEV_ADDRESS)
			row->addr_r = r;
		else if (col == DEV_ROW_STATUS)
			row->rs_r = r;
		else if (col == DEV_CREDENTIAL)
			row->cred_r = r;
		else if (col == DEV_ACTION)
			row->action_r = r;
	}
	for (size_t i = 0; i < *nrows; i++) {
		struct dev_row *row = &rows[i];
		struct device *d = model_device_by_index(m, row->index);
		bool others = row->has_name || row->has_type || row->has_addr || row->has_port ||
			      row->has_cred || row->has_action;
		netsnmp_request_info *bad = NULL;
		int err = SNMP_ERR_INCONSISTENTVALUE;
		if (d) {
			if (row->has_rs && (row->rs == RS_CREATEANDGO || (row->rs == RS_DESTROY && others)))
				bad = row->rs_r;
			else if (row->has_name && strcmp(row->name, d->name) != 0)
				bad = row->name_r; /* a name is set once, at creation */
			else if (row->has_type && !row->has_addr)
				bad = row->type_r;
			else if (d->from_config && (row->has_addr || row->has_type || row->has_port || row->has_cred))
				/* resyncd.conf owns it: a change here would revert at the next start */
				bad = row->has_addr ? row->addr_r : row->has_type ? row->type_r : row->first;
			else if (row->has_action && row->action == DEV_ACTION_DEPLOY &&
				 (!d->intended_version || m->settings.system_of_record != SOR_MANAGER))
				bad = row->action_r; /* S4: a deploy needs the manager's copy and mode */
			else if (row->has_action && row->action == DEV_ACTION_CONFIGURE_SYSLOG &&
				 (!mib_loop->config || !mib_loop->config->device_syslog_host[0]))
				bad = row->action_r; /* S6: resyncd does not know its own syslog address */
		} else if (!row->has_rs) {
			bad = row->first;
			err = SNMP_ERR_NOCREATION;
		} else if (row->rs == RS_ACTIVE || (row->rs == RS_DESTROY && others)) {
			bad = row->rs_r;
		} else if (row->has_action && row->action == DEV_ACTION_DEPLOY) {
			bad = row->action_r; /* a new row has no intended configuration */
		} else if (row->rs == RS_CREATEANDGO) {
			if (!row->has_name || !row->has_addr)
				bad = row->rs_r;
			else if (model_device_name_clash(m, row->name))
				bad = row->name_r; /* the same name, or r1 beside r1.lab: their syslog would mix */
		}
		/* A credential name must be a set of the configuration: otherwise
		 * the device's fetches would run with no (or another's) secrets. */
		if (!bad && row->has_cred && *row->credential && mib_loop->config &&
		    !config_credential(mib_loop->config, row->credential))
			bad = row->cred_r;
		if (!bad && row->has_addr) {
			char text[RS_ADDR_MAX];
			struct device *o;
			if (dev_addr_text(row, row->has_type ? row->addr_type : INET_UNKNOWN, text, sizeof(text)) < 0)
				bad = row->addr_r;
			else if ((o = model_device_by_addr(m, text)) && o != d)
				bad = row->addr_r; /* another device has it */
		}
		if (bad) {
			netsnmp_set_request_error(reqinfo, bad, err);
			return -1;
		}
	}
	return 0;
}

static int dev_apply(struct dev_row *row, const char *who)
{
	struct loop *l = mib_loop;
	struct device *d = model_device_by_index(&l->model, row->index);
	char addr[RS_ADDR_MAX] = "";
	if (row->has_addr)
		dev_addr_text(row, row->has_type ? row->addr_type : INET_UNKNOWN, addr, sizeof(addr));
	if (row->has_rs && row->rs == RS_DESTROY)
		return d ? loop_remove_device(l, row->index, who) : 0;
	if (!d) {
		d = loop_add_device(l, row->index, row->name, addr, row->has_port ? (uint16_t)row->port : 0,
				    row->has_cred ? row->credential : NULL, who);
		if (!d)
			return -1;
		/* S6: discovered over SNMP: configured as the file says for all. */
		d->configure_syslog = l->config && l->config->configure_device_syslog;
		if (d->configure_syslog && !(row->has_action && row->action == DEV_ACTION_CONFIGURE_SYSLOG))
			loop_configure_syslog_new(l);
	} else if (row->has_addr || row->has_port || row->has_cred) {
		char old_addr[RS_ADDR_MAX], old_cred[RS_NAME_MAX];
		uint16_t old_port = d->ssh_port;
		snprintf(old_addr, sizeof(old_addr), "%s", d->address);
		snprintf(old_cred, sizeof(old_cred), "%s", d->credential);
		if (row->has_addr && strcmp(addr, d->address) != 0 &&
		    model_device_set_address(&l->model, d, addr) < 0)
			return -1;
		if (row->has_port)
			d->ssh_port = (uint16_t)row->port;
		if (row->has_cred)
			model_istr_set(&d->credential, row->credential, RS_NAME_MAX);
		if (loop_save_device(l, d) < 0) {
			/* Not stored: back as it was (it would revert at the next start). */
			if (strcmp(old_addr, d->address) != 0)
				model_device_set_address(&l->model, d, old_addr);
			d->ssh_port = old_port;
			model_istr_set(&d->credential, old_cred, RS_NAME_MAX);
			return -1;
		}
		log_info("device %s: address %s, ssh port %u, credential '%s' set by %s", d->name, d->address,
			 d->ssh_port, d->credential, who);
	}
	return 0;
}

/* The rows of one PDU that ask for action: one job for all of them (J6). */
static int dev_action_job(struct dev_row *rows, size_t nrows, long action, const char *who)
{
	struct loop *l = mib_loop;
	uint32_t *devs = calloc(nrows ? nrows : 1, sizeof(*devs)), n = 0;
	int rc = 0;
	if (!devs)
		return -1;
	for (size_t i = 0; i < nrows; i++)
		if (rows[i].has_action && rows[i].action == action && !(rows[i].has_rs && rows[i].rs == RS_DESTROY))
			devs[n++] = rows[i].index;
	if (n > 0) {
		bool manager = l->model.settings.system_of_record == SOR_MANAGER;
		const char *what = action == DEV_ACTION_DEPLOY ? "deploy"
				   : action == DEV_ACTION_CONFIGURE_SYSLOG ? "syslog configuration"
				   : manager ? "accept" : "resync with network";
		struct device *d = model_device_by_index(&l->model, devs[0]);
		if (n == 1)
			log_info("device %s: %s requested by %s", d ? d->name : "?", what, who);
		else
			log_info("%u devices: %s requested by %s", n, what, who);
		struct job *j = action == DEV_ACTION_DEPLOY ? loop_deploy(l, devs, n, who)
				: action == DEV_ACTION_CONFIGURE_SYSLOG ? loop_configure_syslog(l, devs, n, who)
				: loop_manual_resync(l, devs, n, who);
		rc = j ? 0 : -1;
	}
	free(devs);
	return rc;
}

/* J7: the rows one PDU created get one initial resync, unless the same
 * PDU asked for a resync of them. */
static void dev_discovered(struct dev_row *rows, size_t nrows)
{
	uint32_t *devs = calloc(nrows ? nrows : 1, sizeof(*devs)), n = 0;
	if (!devs)
		return;
	for (size_t i = 0; i < nrows; i++)
		if (rows[i].has_rs && rows[i].rs == RS_CREATEANDGO &&
		    !(rows[i].has_action && rows[i].action != DEV_ACTION_NONE) &&
		    model_device_by_index(&mib_loop->model, rows[i].index))
			devs[n++] = rows[i].index;
	if (n)
		loop_discovered(mib_loop, devs, n);
	free(devs);
}

static void dev_set(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	size_t n = 0;
	for (netsnmp_request_info *r = requests; r; r = r->next)
		n++;
	struct dev_row *rows = calloc(n ? n : 1, sizeof(*rows));
	size_t nrows;
	if (!rows) {
		netsnmp_set_request_error(reqinfo, requests, SNMP_ERR_RESOURCEUNAVAILABLE);
		return;
	}
	if (dev_plan(reqinfo, requests, rows, &nrows) < 0) {
		if (reqinfo->mode == MODE_SET_COMMIT) /* the model changed since the check */
			netsnmp_set_request_error(reqinfo, requests, SNMP_ERR_COMMITFAILED);
		goto out;
	}
	if (mib_store_refuses(reqinfo, requests))
		goto out;
	if (reqinfo->mode == MODE_SET_COMMIT) {
		char who[RS_JOB_USER_MAX];
		mib_who(reqinfo, who, sizeof(who));
		for (size_t i = 0; i < nrows; i++)
			if (dev_apply(&rows[i], who) < 0) {
				log_err("snmp: device index %u: change by %s failed", rows[i].index, who);
				netsnmp_set_request_error(reqinfo, rows[i].first, SNMP_ERR_COMMITFAILED);
			}
		static const long actions[] = { DEV_ACTION_RESYNC, DEV_ACTION_DEPLOY, DEV_ACTION_CONFIGURE_SYSLOG };
		for (size_t k = 0; k < sizeof(actions) / sizeof(actions[0]); k++)
			if (dev_action_job(rows, nrows, actions[k], who) < 0) {
				log_err("snmp: device action %ld by %s failed", actions[k], who);
				netsnmp_set_request_error(reqinfo, requests, SNMP_ERR_COMMITFAILED);
			}
		dev_discovered(rows, nrows);
	}
out:
	free(rows);
}

int mib_devices_handler(MIB_HANDLER_ARGS)
{
	/* SETs are planned per row over the whole PDU (dev_set), not per request. */
	static const struct mib_request_ops reads = { .table = &mib_device_table };
	(void)handler;
	(void)reginfo;
	if (reqinfo->mode == MODE_SET_RESERVE1 || reqinfo->mode == MODE_SET_RESERVE2 ||
	    reqinfo->mode == MODE_SET_COMMIT) {
		dev_set(reqinfo, requests);
		return SNMP_ERR_NOERROR;
	}
	return mib_requests(reqinfo, requests, &reads);
}

int mib_devices_register(void)
{
	return mib_register("resyncdDeviceTable", mib_devices_handler, dev_table_oid, DEV_TABLE_OID_LEN,
			    HANDLER_CAN_RWRITE);
}
