/* test_agent_handlers.c: the RESYNCD-MIB handlers called directly with
 * hand-built requests over a model in memory (struct loop, store NULL):
 * GET, GETNEXT in OID order across whole tables, and SET through the
 * reserve/commit phases with the SNMP error each bad SET must get. */
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "agent.h"
#include "config.h"
#include "loop.h"
#include "mib.h"
#include "notify.h"
#include "oids.h"
#include "store.h"

static struct loop L;

static const oid settings_oid[] = { RESYNCD_SETTINGS_OID };
static const oid status_oid[] = { RESYNCD_STATUS_OID };
static const oid dev_oid[] = { RESYNCD_DEVICE_TABLE_OID };
static const oid job_oid[] = { RESYNCD_JOB_TABLE_OID };
static const oid jobdev_oid[] = { RESYNCD_JOBDEV_TABLE_OID };
static const oid mib_oid[] = { RESYNCD_MIB_OID };
static const oid control_oid[] = { RESYNCD_CONTROL_OID };
/* Status sub-ids that exist: 33 is allocated to another counter, not there yet. */
#define ST_PRESENT (ST_LAST - (ST_STORE_BYTES_WRITTEN - ST_TRAPS_QUEUED - 1))

typedef int (*handler_fn)(MIB_HANDLER_ARGS);

/* One request of one varbind, as the agent hands it to a handler. */
struct req {
	netsnmp_agent_request_info info;
	netsnmp_request_info r;
	netsnmp_variable_list *vb;
};

static void req_init(struct req *q, int mode, const oid *name, size_t len)
{
	memset(q, 0, sizeof(*q));
	q->vb = calloc(1, sizeof(*q->vb));
	snmp_set_var_objid(q->vb, name, len);
	q->vb->type = ASN_NULL;
	q->info.mode = mode;
	q->r.requestvb = q->vb;
	q->r.agent_req_info = &q->info;
}

static void req_free(struct req *q)
{
	snmp_free_var(q->vb);
}

static int setup(void **state)
{
	(void)state;
	notify_clear_sinks();
	assert_int_equal(loop_init(&L, NULL, NULL, NULL), 0);
	mib_loop = &L;
	assert_non_null(loop_add_device(&L, 1, "r1.lab", "192.0.2.1", 830, "lab", "test"));
	struct device *d5 = loop_add_device(&L, 5, "r5.lab", "2001:db8::5", 22, "lab", "test");
	assert_non_null(d5);
	/* As a fetch of a Junos device leaves it: its own commit's time and user. */
	d5->config_commit_time = RS_SECS(1700000000);
	model_istr_set(&d5->config_commit_user, "carol", RS_USER_MAX);
	assert_non_null(loop_add_device(&L, 9, "r9.lab", "r9.example.net", 22, "", "test"));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	loop_free(&L);
	mib_loop = NULL;
	return 0;
}

/* GETNEXT from `start` until the handler has nothing more; checks that every
 * answer is strictly after the question and lies under `root`. */
static size_t walk(handler_fn fn, const oid *start, size_t slen, const oid *root, size_t rlen, oid last[MAX_OID_LEN],
		   size_t *lastlen)
{
	oid cur[MAX_OID_LEN];
	size_t len = slen, n = 0;
	memcpy(cur, start, slen * sizeof(oid));
	for (;;) {
		struct req q;
		req_init(&q, MODE_GETNEXT, cur, len);
		fn(NULL, NULL, &q.info, &q.r);
		if (q.vb->type == ASN_NULL) {
			req_free(&q);
			break;
		}
		assert_true(snmp_oid_compare(q.vb->name, q.vb->name_length, cur, len) > 0);
		assert_true(q.vb->name_length > rlen && memcmp(q.vb->name, root, rlen * sizeof(oid)) == 0);
		memcpy(cur, q.vb->name, q.vb->name_length * sizeof(oid));
		len = q.vb->name_length;
		req_free(&q);
		n++;
	}
	memcpy(last, cur, len * sizeof(oid));
	*lastlen = len;
	return n;
}

/* The device table's columns (its numbers have gaps). */
static size_t dev_cols(void)
{
	size_t n = 0;
	for (unsigned c = DEV_FIRST_COL; c <= DEV_LAST_COL; c++)
		n += !mib_device_table.has_col || mib_device_table.has_col(c);
	return n;
}

static void test_device_table_getnext_in_oid_order(void **state)
{
	(void)state;
	oid last[MAX_OID_LEN];
	size_t lastlen;
	/* From before the table (the MIB root) through every column of 3 rows. */
	size_t n = walk(mib_devices_handler, mib_oid, OID_LENGTH(mib_oid), dev_oid, OID_LENGTH(dev_oid), last, &lastlen);
	assert_int_equal(n, 3 * dev_cols());
	assert_int_equal(last[lastlen - 2], DEV_LAST_COL);
	assert_int_equal(last[lastlen - 1], 9);

	/* The first answer is name.1; after name.1 comes name.5; after name.9, address type of row 1. */
	struct req q;
	oid name1[] = { RESYNCD_DEVICE_TABLE_OID, 1, DEV_NAME, 1 };
	req_init(&q, MODE_GETNEXT, name1, OID_LENGTH(name1));
	mib_devices_handler(NULL, NULL, &q.info, &q.r);
	assert_int_equal(q.vb->name[q.vb->name_length - 1], 5);
	assert_memory_equal(q.vb->val.string, "r5.lab", 6);
	req_free(&q);
	oid name9x[] = { RESYNCD_DEVICE_TABLE_OID, 1, DEV_NAME, 9, 4 };
	req_init(&q, MODE_GETNEXT, name9x, OID_LENGTH(name9x));
	mib_devices_handler(NULL, NULL, &q.info, &q.r);
	assert_int_equal(q.vb->name[q.vb->name_length - 2], DEV_ADDRESS_TYPE);
	assert_int_equal(q.vb->name[q.vb->name_length - 1], 1);
	assert_int_equal(*q.vb->val.integer, INET_IPV4);
	req_free(&q);
}

static void test_device_table_get(void **state)
{
	(void)state;
	static const struct {
		oid col, index;
		u_char type;
		long ival;
		const char *sval;
		size_t slen;
	} cases[] = {
		{ DEV_NAME, 5, ASN_OCTET_STR, 0, "r5.lab", 6 },
		{ DEV_ADDRESS_TYPE, 5, ASN_INTEGER, INET_IPV6, NULL, 0 },
		{ DEV_ADDRESS, 1, ASN_OCTET_STR, 0, "\xc0\x00\x02\x01", 4 },
		{ DEV_ADDRESS_TYPE, 9, ASN_INTEGER, INET_DNS, NULL, 0 },
		{ DEV_ADDRESS, 9, ASN_OCTET_STR, 0, "r9.example.net", 14 },
		{ DEV_SSH_PORT, 1, ASN_GAUGE, 830, NULL, 0 },
		{ DEV_MANAGED_STATUS, 1, ASN_INTEGER, MS_UNKNOWN, NULL, 0 },
		{ DEV_LAST_COMMIT_TIME, 1, ASN_OCTET_STR, 0, "\0\0\0\0\0\0\0\0", 8 },
		{ DEV_COMMIT_COUNT, 1, ASN_COUNTER64, 0, NULL, 0 },
		{ DEV_ROW_STATUS, 9, ASN_INTEGER, RS_ACTIVE, NULL, 0 },
		{ DEV_ACTION, 9, ASN_INTEGER, DEV_ACTION_NONE, NULL, 0 },
		/* 2023-11-14 22:13:20 UTC, as DateAndTime */
		{ DEV_CONFIG_COMMIT_TIME, 5, ASN_OCTET_STR, 0, "\x07\xe7\x0b\x0e\x16\x0d\x14\x00+\0\0", 11 },
		{ DEV_CONFIG_COMMIT_USER, 5, ASN_OCTET_STR, 0, "carol", 5 },
		{ DEV_CONFIG_COMMIT_TIME, 1, ASN_OCTET_STR, 0, "\0\0\0\0\0\0\0\0", 8 },
		{ DEV_CONFIG_COMMIT_USER, 1, ASN_OCTET_STR, 0, "", 0 },
		/* Errors: no row 4; the not-accessible index column; past the last column. */
		{ DEV_NAME, 4, SNMP_NOSUCHINSTANCE, 0, NULL, 0 },
		{ DEV_INDEX, 1, SNMP_NOSUCHOBJECT, 0, NULL, 0 },
		{ DEV_LAST_COL + 1, 1, SNMP_NOSUCHOBJECT, 0, NULL, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		oid name[] = { RESYNCD_DEVICE_TABLE_OID, 1, cases[i].col, cases[i].index };
		struct req q;
		req_init(&q, MODE_GET, name, OID_LENGTH(name));
		mib_devices_handler(NULL, NULL, &q.info, &q.r);
		assert_int_equal(q.vb->type, cases[i].type);
		if (cases[i].sval) {
			assert_int_equal(q.vb->val_len, cases[i].slen);
			assert_memory_equal(q.vb->val.string, cases[i].sval, cases[i].slen);
		} else if (cases[i].type == ASN_INTEGER || cases[i].type == ASN_GAUGE) {
			assert_int_equal(*q.vb->val.integer, cases[i].ival);
		}
		req_free(&q);
	}
}

static void test_scalar_groups_getnext(void **state)
{
	(void)state;
	oid last[MAX_OID_LEN];
	size_t lastlen;
	assert_int_equal(walk(mib_settings_handler, mib_oid, OID_LENGTH(mib_oid), settings_oid, OID_LENGTH(settings_oid),
			      last, &lastlen), SETTINGS_COUNT);
	assert_int_equal(walk(mib_status_handler, mib_oid, OID_LENGTH(mib_oid), status_oid, OID_LENGTH(status_oid), last,
			      &lastlen), ST_PRESENT);
	assert_int_equal(last[lastlen - 2], ST_LAST);
	assert_int_equal(walk(mib_control_handler, mib_oid, OID_LENGTH(mib_oid), control_oid, OID_LENGTH(control_oid),
			      last, &lastlen), CTL_LAST);
	/* resyncdDevicesUnknown counts the three new devices. */
	oid unknown[] = { RESYNCD_STATUS_OID, ST_BY_MS_BASE + MS_UNKNOWN, 0 };
	struct req q;
	req_init(&q, MODE_GET, unknown, OID_LENGTH(unknown));
	mib_status_handler(NULL, NULL, &q.info, &q.r);
	assert_int_equal(q.vb->type, ASN_GAUGE);
	assert_int_equal(*q.vb->val.integer, 3);
	req_free(&q);
	/* resyncdResyncRefetches serves the model's count of refetches. */
	L.model.jobc.refetches = ((uint64_t)1 << 32) + 4;
	oid refetches[] = { RESYNCD_STATUS_OID, ST_RESYNC_REFETCHES, 0 };
	req_init(&q, MODE_GET, refetches, OID_LENGTH(refetches));
	mib_status_handler(NULL, NULL, &q.info, &q.r);
	assert_int_equal(q.vb->type, ASN_COUNTER64);
	assert_int_equal(q.vb->val.counter64->high, 1);
	assert_int_equal(q.vb->val.counter64->low, 4);
	req_free(&q);
}

/* Runs a one-varbind SET through the phases the agent uses; returns the
 * first error, like the agent does. */
static int set1(handler_fn fn, const oid *name, size_t len, u_char type, const void *val, size_t vlen)
{
	static const int phases[] = { MODE_SET_RESERVE1, MODE_SET_RESERVE2, MODE_SET_ACTION, MODE_SET_COMMIT };
	for (size_t i = 0; i < 4; i++) {
		struct req q;
		req_init(&q, phases[i], name, len);
		snmp_set_var_typed_value(q.vb, type, val, vlen);
		fn(NULL, NULL, &q.info, &q.r);
		int err = q.r.status;
		req_free(&q);
		if (err != SNMP_ERR_NOERROR)
			return err;
	}
	return SNMP_ERR_NOERROR;
}

static void test_settings_set(void **state)
{
	(void)state;
	static const struct {
		oid sub, inst;
		u_char type;
		long v;
		int err;
		enum setting_id id;
		int64_t after;
	} cases[] = {
		{ 2, 0, ASN_UNSIGNED, 45, SNMP_ERR_NOERROR, SET_AUTO_RESYNC_WAIT_SECS, 45 },
		{ 2, 0, ASN_UNSIGNED, 86401, SNMP_ERR_WRONGVALUE, SET_AUTO_RESYNC_WAIT_SECS, 45 },
		{ 2, 0, ASN_INTEGER, 5, SNMP_ERR_WRONGTYPE, SET_AUTO_RESYNC_WAIT_SECS, 45 },
		{ 2, 1, ASN_UNSIGNED, 5, SNMP_ERR_NOCREATION, SET_AUTO_RESYNC_WAIT_SECS, 45 },
		{ 1, 0, ASN_INTEGER, 2, SNMP_ERR_NOERROR, SET_AUTO_RESYNC_ENABLED, 0 },
		{ 1, 0, ASN_INTEGER, 0, SNMP_ERR_WRONGVALUE, SET_AUTO_RESYNC_ENABLED, 0 },
		{ 3, 0, ASN_UNSIGNED, 0, SNMP_ERR_WRONGVALUE, SET_DAMPER_INTERVAL_SECS, 20 },
		{ 4, 0, ASN_INTEGER, 2, SNMP_ERR_NOERROR, SET_SYSTEM_OF_RECORD, SOR_MANAGER },
		{ 4, 0, ASN_INTEGER, 3, SNMP_ERR_WRONGVALUE, SET_SYSTEM_OF_RECORD, SOR_MANAGER },
		{ 5, 0, ASN_UNSIGNED, 1025, SNMP_ERR_WRONGVALUE, SET_MAX_CONCURRENT_RESYNCS, 8 },
		{ 9, 0, ASN_UNSIGNED, 7, SNMP_ERR_NOERROR, SET_CONFIG_VERSIONS_KEPT, 7 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		oid name[] = { RESYNCD_SETTINGS_OID, cases[i].sub, cases[i].inst };
		long v = cases[i].v;
		assert_int_equal(set1(mib_settings_handler, name, OID_LENGTH(name), cases[i].type, &v, sizeof(v)),
				 cases[i].err);
		assert_int_equal(settings_get(&L.model.settings, cases[i].id), cases[i].after);
	}
	/* Status objects are read-only. */
	oid count[] = { RESYNCD_STATUS_OID, ST_DEVICE_COUNT, 0 };
	unsigned long five = 5;
	assert_int_equal(set1(mib_status_handler, count, OID_LENGTH(count), ASN_UNSIGNED, &five, sizeof(five)),
			 SNMP_ERR_NOTWRITABLE);
}

/* A createAndGo PDU of several varbinds for one row. */
static int create_row(oid index, const char *name, const char *addr, bool with_rs, long rs)
{
	static const int phases[] = { MODE_SET_RESERVE1, MODE_SET_RESERVE2, MODE_SET_ACTION, MODE_SET_COMMIT };
	int err = SNMP_ERR_NOERROR;
	for (size_t p = 0; p < 4 && err == SNMP_ERR_NOERROR; p++) {
		oid n_name[] = { RESYNCD_DEVICE_TABLE_OID, 1, DEV_NAME, index };
		oid n_addr[] = { RESYNCD_DEVICE_TABLE_OID, 1, DEV_ADDRESS, index };
		oid n_rs[] = { RESYNCD_DEVICE_TABLE_OID, 1, DEV_ROW_STATUS, index };
		struct req a, b, c;
		req_init(&a, phases[p], n_name, OID_LENGTH(n_name));
		req_init(&b, phases[p], n_addr, OID_LENGTH(n_addr));
		req_init(&c, phases[p], n_rs, OID_LENGTH(n_rs));
		snmp_set_var_typed_value(a.vb, ASN_OCTET_STR, name, strlen(name));
		snmp_set_var_typed_value(b.vb, ASN_OCTET_STR, addr, strlen(addr));
		snmp_set_var_typed_value(c.vb, ASN_INTEGER, &rs, sizeof(rs));
		a.r.next = &b.r;
		if (with_rs)
			b.r.next = &c.r;
		b.r.agent_req_info = c.r.agent_req_info = &a.info;
		mib_devices_handler(NULL, NULL, &a.info, &a.r);
		err = a.r.status ? a.r.status : b.r.status ? b.r.status : c.r.status;
		req_free(&a);
		req_free(&b);
		req_free(&c);
	}
	return err;
}

static void test_device_rowstatus(void **state)
{
	(void)state;
	/* Without a RowStatus a new row cannot be made. */
	assert_int_equal(create_row(7, "r7.lab", "10.0.0.7", false, 0), SNMP_ERR_NOCREATION);
	assert_null(model_device_by_index(&L.model, 7));
	/* createAndWait is not supported; createAndGo of an existing row is inconsistent. */
	assert_int_equal(create_row(7, "r7.lab", "10.0.0.7", true, RS_CREATEANDWAIT), SNMP_ERR_WRONGVALUE);
	assert_int_equal(create_row(1, "r1.lab", "10.0.0.1", true, RS_CREATEANDGO), SNMP_ERR_INCONSISTENTVALUE);
	/* A name or address already in use is inconsistent; nothing is created. */
	assert_int_equal(create_row(7, "R5.lab", "10.0.0.7", true, RS_CREATEANDGO), SNMP_ERR_INCONSISTENTVALUE);
	assert_int_equal(create_row(7, "r7.lab", "192.0.2.1", true, RS_CREATEANDGO), SNMP_ERR_INCONSISTENTVALUE);
	assert_int_equal(L.model.ndevices, 3);
	/* A good createAndGo adds the row; destroy removes it. */
	assert_int_equal(create_row(7, "r7.lab", "10.0.0.7", true, RS_CREATEANDGO), SNMP_ERR_NOERROR);
	struct device *d = model_device_by_index(&L.model, 7);
	assert_non_null(d);
	assert_string_equal(d->address, "10.0.0.7");
	oid rs7[] = { RESYNCD_DEVICE_TABLE_OID, 1, DEV_ROW_STATUS, 7 };
	long destroy = RS_DESTROY;
	assert_int_equal(set1(mib_devices_handler, rs7, OID_LENGTH(rs7), ASN_INTEGER, &destroy, sizeof(destroy)),
			 SNMP_ERR_NOERROR);
	assert_null(model_device_by_index(&L.model, 7));
	/* Read-only columns are notWritable. */
	oid st1[] = { RESYNCD_DEVICE_TABLE_OID, 1, DEV_MANAGED_STATUS, 1 };
	long two = 2;
	assert_int_equal(set1(mib_devices_handler, st1, OID_LENGTH(st1), ASN_INTEGER, &two, sizeof(two)),
			 SNMP_ERR_NOTWRITABLE);
	/* A port of the wrong type, or out of range. */
	oid port1[] = { RESYNCD_DEVICE_TABLE_OID, 1, DEV_SSH_PORT, 1 };
	long p = 2222;
	assert_int_equal(set1(mib_devices_handler, port1, OID_LENGTH(port1), ASN_INTEGER, &p, sizeof(p)),
			 SNMP_ERR_WRONGTYPE);
	unsigned long big = 70000;
	assert_int_equal(set1(mib_devices_handler, port1, OID_LENGTH(port1), ASN_UNSIGNED, &big, sizeof(big)),
			 SNMP_ERR_WRONGVALUE);
	assert_int_equal(model_device_by_index(&L.model, 1)->ssh_port, 830);
}

/* Where the data of the store's newest log file ends (libdb makes the file
 * 10 MB long at once; beyond its data it is zeros): a file size limit there
 * makes every further transaction fail to reach the disk, as a full disk. */
static off_t newest_log_end(const char *dir)
{
	DIR *dp = opendir(dir);
	assert_non_null(dp);
	struct dirent *e;
	char newest[300] = "";
	while ((e = readdir(dp)))
		if (strncmp(e->d_name, "log.", 4) == 0 && strcmp(e->d_name, newest) > 0)
			snprintf(newest, sizeof(newest), "%s", e->d_name);
	closedir(dp);
	assert_true(*newest);
	char path[700];
	snprintf(path, sizeof(path), "%s/%s", dir, newest);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	unsigned char b[65536];
	off_t off = 0, end = 0;
	ssize_t n;
	while ((n = read(fd, b, sizeof(b))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (b[i])
				end = off + i + 1;
		off += n;
	}
	close(fd);
	return end;
}

static void set_fsize_limit(rlim_t lim)
{
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = lim;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/* Under a file size limit at the log's end (RLIMIT_FSIZE, as prlimit sets
 * it on a daemon: writes fail with EFBIG like ENOSPC) every writable object
 * answers resourceUnavailable and nothing changes in memory; createAndGo and
 * a column change that fail only at commit are undone; once writing works
 * again a SET is stored and survives a reopen. */
static void test_set_that_cannot_be_stored_is_refused(void **state)
{
	(void)state;
	char *dir = testutil_tmpdir();
	struct store *st = NULL;
	char err[1024];
	assert_int_equal(store_open(dir, &st, err, sizeof(err)), 0);
	struct loop l;
	assert_int_equal(loop_init(&l, st, NULL, NULL), 0);
	assert_int_equal(loop_restore(&l), 0);
	mib_loop = &l;
	assert_non_null(loop_add_device(&l, 1, "r1.lab", "192.0.2.1", 830, "lab", "test"));
	signal(SIGXFSZ, SIG_IGN);
	set_fsize_limit((rlim_t)newest_log_end(dir));

	/* createAndGo and destroy (RowStatus) */
	assert_int_equal(create_row(7, "r7.lab", "10.0.0.7", true, RS_CREATEANDGO), SNMP_ERR_RESOURCEUNAVAILABLE);
	assert_null(model_device_by_index(&l.model, 7));
	assert_null(model_device_by_name(&l.model, "r7.lab"));
	oid rs1[] = { RESYNCD_DEVICE_TABLE_OID, 1, DEV_ROW_STATUS, 1 };
	long destroy = RS_DESTROY;
	assert_int_equal(set1(mib_devices_handler, rs1, OID_LENGTH(rs1), ASN_INTEGER, &destroy, sizeof(destroy)),
			 SNMP_ERR_RESOURCEUNAVAILABLE);
	assert_non_null(model_device_by_index(&l.model, 1));
	/* a column, the action, a setting */
	oid port1[] = { RESYNCD_DEVICE_TABLE_OID, 1, DEV_SSH_PORT, 1 };
	unsigned long port = 2222;
	assert_int_equal(set1(mib_devices_handler, port1, OID_LENGTH(port1), ASN_UNSIGNED, &port, sizeof(port)),
			 SNMP_ERR_RESOURCEUNAVAILABLE);
	assert_int_equal(model_device_by_index(&l.model, 1)->ssh_port, 830);
	oid act1[] = { RESYNCD_DEVICE_TABLE_OID, 1, DEV_ACTION, 1 };
	long resync = DEV_ACTION_RESYNC;
	uint32_t jobs = l.model.njobs;
	assert_int_equal(set1(mib_devices_handler, act1, OID_LENGTH(act1), ASN_INTEGER, &resync, sizeof(resync)),
			 SNMP_ERR_RESOURCEUNAVAILABLE);
	assert_int_equal(l.model.njobs, jobs);
	oid wait[] = { RESYNCD_SETTINGS_OID, 2, 0 };
	unsigned long w = 45;
	assert_int_equal(set1(mib_settings_handler, wait, OID_LENGTH(wait), ASN_UNSIGNED, &w, sizeof(w)),
			 SNMP_ERR_RESOURCEUNAVAILABLE);
	assert_int_equal(l.model.settings.auto_resync_wait_secs, 20);
	/* The store failing between the check and the commit: undone. */
	uint32_t n = l.model.ndevices;
	uint64_t next = l.model.next_device_index;
	assert_null(loop_add_device(&l, 0, "r8.lab", "10.0.0.8", 0, "", "test"));
	assert_int_equal(l.model.ndevices, n);
	assert_int_equal(l.model.next_device_index, next);
	assert_null(model_device_by_name(&l.model, "r8.lab"));
	struct device *d = model_device_by_index(&l.model, 1);
	d->ssh_port = 2222;
	assert_int_equal(loop_save_device(&l, d), -1);

	/* Writing works again: the SET is stored and read back. */
	set_fsize_limit(RLIM_INFINITY);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(create_row(7, "r7.lab", "10.0.0.7", true, RS_CREATEANDGO), SNMP_ERR_NOERROR);
	loop_free(&l);
	store_close(st);
	assert_int_equal(store_open(dir, &st, err, sizeof(err)), 0);
	struct model m;
	model_init(&m);
	int have;
	assert_int_equal(store_load(st, &m, &have), 0);
	assert_int_equal(m.ndevices, 2);
	assert_non_null(model_device_by_index(&m, 7));
	assert_int_equal(model_device_by_index(&m, 1)->ssh_port, 830);
	assert_int_equal(m.settings.auto_resync_wait_secs, 20);
	model_free(&m);
	store_close(st);
	mib_loop = NULL;
	testutil_rmrf(dir);
	free(dir);
}

/* resyncdDeviceCredential takes only the name of a credential set of the
 * configuration (or empty: the first set); another name is inconsistent. */
static void test_device_credential_must_name_a_set(void **state)
{
	(void)state;
	struct config cfg;
	config_defaults(&cfg);
	struct credential creds[1] = { { .name = "lab", .user = "netconf" } };
	cfg.creds = creds;
	cfg.ncreds = 1;
	L.config = &cfg;
	oid cred1[] = { RESYNCD_DEVICE_TABLE_OID, 1, DEV_CREDENTIAL, 1 };
	assert_int_equal(set1(mib_devices_handler, cred1, OID_LENGTH(cred1), ASN_OCTET_STR, "nope", 4),
			 SNMP_ERR_INCONSISTENTVALUE);
	assert_string_equal(model_device_by_index(&L.model, 1)->credential, "lab");
	assert_int_equal(set1(mib_devices_handler, cred1, OID_LENGTH(cred1), ASN_OCTET_STR, "", 0), SNMP_ERR_NOERROR);
	assert_string_equal(model_device_by_index(&L.model, 1)->credential, "");
	assert_int_equal(set1(mib_devices_handler, cred1, OID_LENGTH(cred1), ASN_OCTET_STR, "lab", 3),
			 SNMP_ERR_NOERROR);
	assert_string_equal(model_device_by_index(&L.model, 1)->credential, "lab");
	L.config = NULL;
}

/* A row named r1 beside r1.lab is refused (their syslog would match both);
 * a device from resyncd.conf keeps the columns the file gives it (a SET
 * would revert at the next start), but can still be resynced. */
static void test_device_name_clash_and_file_devices_refused(void **state)
{
	(void)state;
	assert_int_equal(create_row(7, "R1", "10.0.0.7", true, RS_CREATEANDGO), SNMP_ERR_INCONSISTENTVALUE);
	assert_int_equal(create_row(7, "r5", "10.0.0.7", true, RS_CREATEANDGO), SNMP_ERR_INCONSISTENTVALUE);
	assert_null(model_device_by_index(&L.model, 7));
	assert_int_equal(create_row(7, "r1.other", "10.0.0.7", true, RS_CREATEANDGO), SNMP_ERR_NOERROR);
	struct device *d = model_device_by_index(&L.model, 1);
	d->from_config = true;
	oid port1[] = { RESYNCD_DEVICE_TABLE_OID, 1, DEV_SSH_PORT, 1 };
	unsigned long port = 2222;
	assert_int_equal(set1(mib_devices_handler, port1, OID_LENGTH(port1), ASN_UNSIGNED, &port, sizeof(port)),
			 SNMP_ERR_INCONSISTENTVALUE);
	oid addr1[] = { RESYNCD_DEVICE_TABLE_OID, 1, DEV_ADDRESS, 1 };
	assert_int_equal(set1(mib_devices_handler, addr1, OID_LENGTH(addr1), ASN_OCTET_STR, "10.9.9.9", 8),
			 SNMP_ERR_INCONSISTENTVALUE);
	assert_int_equal(d->ssh_port, 830);
	assert_string_equal(d->address, "192.0.2.1");
	oid act1[] = { RESYNCD_DEVICE_TABLE_OID, 1, DEV_ACTION, 1 };
	long resync = DEV_ACTION_RESYNC;
	assert_int_equal(set1(mib_devices_handler, act1, OID_LENGTH(act1), ASN_INTEGER, &resync, sizeof(resync)),
			 SNMP_ERR_NOERROR);
}

static void test_job_tables(void **state)
{
	(void)state;
	uint32_t devs[] = { 1, 5 };
	struct job *j = model_job_new(&L.model, JOB_MANUAL_RESYNC, "tester", devs, 2,
				      loop_now(&L) + RS_SECS(3600));
	assert_non_null(j);
	uint32_t id = j->id;
	oid last[MAX_OID_LEN];
	size_t lastlen;
	assert_int_equal(walk(mib_jobs_handler, mib_oid, OID_LENGTH(mib_oid), job_oid, OID_LENGTH(job_oid), last,
			      &lastlen), JOB_LAST_COL - JOB_FIRST_COL + 1);
	/* Two devices, five columns, index (job, seq). */
	assert_int_equal(walk(mib_jobdevs_handler, mib_oid, OID_LENGTH(mib_oid), jobdev_oid, OID_LENGTH(jobdev_oid),
			      last, &lastlen), 2 * (JOBDEV_LAST_COL - JOBDEV_FIRST_COL + 1));
	assert_int_equal(last[lastlen - 2], id);
	assert_int_equal(last[lastlen - 1], 2);

	oid action[] = { RESYNCD_JOB_TABLE_OID, 1, JOB_ACTION, id };
	oid nojob[] = { RESYNCD_JOB_TABLE_OID, 1, JOB_ACTION, id + 100 };
	oid state_col[] = { RESYNCD_JOB_TABLE_OID, 1, JOB_STATE, id };
	long retry = JOB_ACTION_RETRY, cancel = JOB_ACTION_CANCEL, bogus = 9;
	assert_int_equal(set1(mib_jobs_handler, action, OID_LENGTH(action), ASN_INTEGER, &retry, sizeof(retry)),
			 SNMP_ERR_INCONSISTENTVALUE);
	assert_int_equal(set1(mib_jobs_handler, action, OID_LENGTH(action), ASN_INTEGER, &bogus, sizeof(bogus)),
			 SNMP_ERR_WRONGVALUE);
	assert_int_equal(set1(mib_jobs_handler, nojob, OID_LENGTH(nojob), ASN_INTEGER, &cancel, sizeof(cancel)),
			 SNMP_ERR_NOCREATION);
	assert_int_equal(set1(mib_jobs_handler, state_col, OID_LENGTH(state_col), ASN_INTEGER, &cancel, sizeof(cancel)),
			 SNMP_ERR_NOTWRITABLE);
	assert_int_equal(model_job_by_id(&L.model, id)->state, JOB_SCHEDULED);
	assert_int_equal(set1(mib_jobs_handler, action, OID_LENGTH(action), ASN_INTEGER, &cancel, sizeof(cancel)),
			 SNMP_ERR_NOERROR);
	assert_int_equal(model_job_by_id(&L.model, id)->state, JOB_CANCELLED);
	/* A finished job cannot be cancelled again. */
	assert_int_equal(set1(mib_jobs_handler, action, OID_LENGTH(action), ASN_INTEGER, &cancel, sizeof(cancel)),
			 SNMP_ERR_INCONSISTENTVALUE);
}

/* The registered subtrees in OID order, as the master agent dispatches them. */
static const struct {
	handler_fn fn;
	const oid *root;
	size_t len;
} subtrees[] = {
	{ mib_settings_handler, settings_oid, OID_LENGTH(settings_oid) },
	{ mib_status_handler, status_oid, OID_LENGTH(status_oid) },
	{ mib_devices_handler, dev_oid, OID_LENGTH(dev_oid) },
	{ mib_jobs_handler, job_oid, OID_LENGTH(job_oid) },
	{ mib_jobdevs_handler, jobdev_oid, OID_LENGTH(jobdev_oid) },
	{ mib_control_handler, control_oid, OID_LENGTH(control_oid) },
};
#define NSUBTREES (sizeof(subtrees) / sizeof(subtrees[0]))

/* One GETNEXT of `name` to subtree i. Either the handler answers with an OID
 * strictly after the question inside its subtree (returns true, answer in
 * out), or it says "nothing after this here" with ASN_NULL and the question's
 * OID untouched, which sends net-snmp on to the next subtree. Anything else
 * (ASN_PRIV_RETRY, the same or a smaller OID) makes net-snmp's
 * handle_getnext_loop ask the same handler the same thing forever. */
static bool getnext1(size_t i, const oid *name, size_t len, oid out[MAX_OID_LEN], size_t *outlen)
{
	struct req q;
	req_init(&q, MODE_GETNEXT, name, len);
	subtrees[i].fn(NULL, NULL, &q.info, &q.r);
	assert_int_not_equal(q.vb->type, ASN_PRIV_RETRY);
	bool answered = q.vb->type != ASN_NULL;
	if (answered) {
		assert_true(snmp_oid_compare(q.vb->name, q.vb->name_length, name, len) > 0);
		assert_true(q.vb->name_length > subtrees[i].len &&
			    memcmp(q.vb->name, subtrees[i].root, subtrees[i].len * sizeof(oid)) == 0);
		memcpy(out, q.vb->name, q.vb->name_length * sizeof(oid));
		*outlen = q.vb->name_length;
	} else {
		assert_int_equal(snmp_oid_compare(q.vb->name, q.vb->name_length, name, len), 0);
	}
	req_free(&q);
	return answered;
}

/* Walks the whole RESYNCD-MIB the way the embedded master does (same
 * subtree while it answers, the next one on ASN_NULL) and returns how many
 * objects it saw; fails instead of looping. */
static size_t walk_all(void)
{
	oid cur[MAX_OID_LEN];
	size_t len = OID_LENGTH(mib_oid), n = 0, steps = 0;
	memcpy(cur, mib_oid, sizeof(mib_oid));
	for (size_t i = 0; i < NSUBTREES; steps++) {
		assert_true(steps < 100000);
		oid next[MAX_OID_LEN];
		size_t nlen;
		if (getnext1(i, cur, len, next, &nlen)) {
			memcpy(cur, next, nlen * sizeof(oid));
			len = nlen;
			n++;
		} else {
			i++;
		}
	}
	return n;
}

static size_t objects_expected(void)
{
	size_t n = SETTINGS_COUNT + ST_PRESENT + CTL_LAST + L.model.ndevices * dev_cols();
	for (struct job *j = model_job_next(&L.model, 0); j; j = model_job_next(&L.model, j->id))
		n += (JOB_LAST_COL - JOB_FIRST_COL + 1) + (size_t)j->ntasks * (JOBDEV_LAST_COL - JOBDEV_FIRST_COL + 1);
	return n;
}

/* Awkward GETNEXT questions to every subtree: its root, sub-ids 0 and
 * 2^64-1 at each level, past the last column, row or scalar, instances
 * below an existing one. Each must get an answer after it or ASN_NULL. */
static void getnext_edges(void)
{
	const oid M = (oid)-1;
	for (size_t i = 0; i < NSUBTREES; i++) {
		static const oid tails[][4] = {
			{ 0 }, { 0, 0 }, { 1 }, { 1, 0 }, { 1, 1 }, { 1, 2 }, { 1, 2, 0 }, { 1, 2, 1 }, { 1, 2, 1, 0 },
			{ 1, 2, 9 }, { 1, 2, 9, 9 }, { 1, 3, 1, 2 }, { 1, 4, 2, 1 }, { 1, 13, 1 }, { 1, 14, 9 },
			{ 1, 19, 9 }, { 1, 19, 9, 0 }, { 1, 20 }, { 9 }, { 9, 0 }, { 23, 0 }, { 23, 0, 1 }, { 24 },
		};
		static const size_t tlens[] = { 1, 2, 1, 2, 2, 2, 3, 3, 4, 3, 4, 4, 4, 3, 3, 3, 4, 2, 1, 2, 2, 3, 1 };
		oid name[MAX_OID_LEN], out[MAX_OID_LEN];
		size_t outlen, rl = subtrees[i].len;
		memcpy(name, subtrees[i].root, rl * sizeof(oid));
		getnext1(i, name, rl, out, &outlen);
		for (size_t t = 0; t < sizeof(tlens) / sizeof(tlens[0]); t++) {
			memcpy(name + rl, tails[t], tlens[t] * sizeof(oid));
			getnext1(i, name, rl + tlens[t], out, &outlen);
			/* The same with 2^64-1 in each place. */
			for (size_t k = 0; k < tlens[t]; k++) {
				oid saved = name[rl + k];
				name[rl + k] = M;
				getnext1(i, name, rl + tlens[t], out, &outlen);
				name[rl + k] = saved;
			}
		}
		/* Past the subtree, and from before it (the MIB root). */
		memcpy(name, subtrees[i].root, rl * sizeof(oid));
		name[rl - 1]++;
		assert_false(getnext1(i, name, rl, out, &outlen));
		bool empty = (i == 2 && L.model.ndevices == 0) || ((i == 3 || i == 4) && L.model.njobs == 0);
		assert_int_equal(getnext1(i, mib_oid, OID_LENGTH(mib_oid), out, &outlen), !empty);
	}
}

/* The GETNEXT that span resyncd at 100% CPU: a handler at the end of its
 * subtree must send the agent on (ASN_NULL), never ask to be retried. Whole
 * MIB with jobs, after removing a device, and with nothing at all. */
static void test_whole_mib_getnext_terminates(void **state)
{
	(void)state;
	uint32_t devs[] = { 1, 5, 9 };
	assert_non_null(model_job_new(&L.model, JOB_MANUAL_RESYNC, "tester", devs, 3, loop_now(&L) + RS_SECS(60)));
	assert_non_null(model_job_new(&L.model, JOB_AUTO_RESYNC, "system", devs + 1, 1, loop_now(&L) + RS_SECS(60)));
	assert_int_equal(walk_all(), objects_expected());
	getnext_edges();

	assert_int_equal(loop_remove_device(&L, 5, "test"), 0);
	assert_int_equal(walk_all(), objects_expected());
	getnext_edges();

	while (L.model.njobs > 0)
		model_job_free(&L.model, model_job_next(&L.model, 0));
	assert_int_equal(loop_remove_device(&L, 1, "test"), 0);
	assert_int_equal(loop_remove_device(&L, 9, "test"), 0);
	assert_int_equal(walk_all(), SETTINGS_COUNT + ST_PRESENT + CTL_LAST);
	getnext_edges();
}

static void test_datetime_encoding(void **state)
{
	(void)state;
	u_char b[11];
	assert_int_equal(mib_datetime(0, b), 8);
	/* 2024-02-29 13:14:15.6 UTC */
	assert_int_equal(mib_datetime(RS_SECS(1709212455) + 600000, b), 11);
	static const u_char want[11] = { 0x07, 0xe8, 2, 29, 13, 14, 15, 6, '+', 0, 0 };
	assert_memory_equal(b, want, 11);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_device_table_getnext_in_oid_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_table_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scalar_groups_getnext, setup, teardown),
		cmocka_unit_test_setup_teardown(test_settings_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_rowstatus, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_credential_must_name_a_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_name_clash_and_file_devices_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_job_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whole_mib_getnext_terminates, setup, teardown),
		cmocka_unit_test(test_datetime_encoding),
		cmocka_unit_test(test_set_that_cannot_be_stored_is_refused),
	};
	return testutil_run_tests(argc, argv, tests);
}
