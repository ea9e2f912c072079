/* mib_settings.c: the resyncdSettings scalars (read-write), one per
 * setting_id. SETs are checked with settings_validate in the reserve phases
 * and applied with loop_set_setting (persist, log, take effect) at commit. */
#include "mib.h"

#include "log.h"
#include "loop.h"
#include "oids.h"

static const oid settings_oid[] = { RESYNCD_SETTINGS_OID };
#define SETTINGS_OID_LEN OID_LENGTH(settings_oid)

/* resyncdSettings sub-id of each setting (see oids.h). */
static const unsigned settings_subid[SET_COUNT] = {
	[SET_AUTO_RESYNC_ENABLED] = 1,
	[SET_AUTO_RESYNC_WAIT_SECS] = 2,
	[SET_DAMPER_INTERVAL_SECS] = 3,
	[SET_SYSTEM_OF_RECORD] = 4,
	[SET_MAX_CONCURRENT_RESYNCS] = 5,
	[SET_RESYNC_TIMEOUT_SECS] = 6,
	[SET_JOB_RETENTION_DAYS] = 7,
	[SET_JOB_RETENTION_COUNT] = 8,
	[SET_CONFIG_VERSIONS_KEPT] = 9,
	[SET_INVENTORY_RESYNC_INTERVAL_SECS] = 10,
	[SET_DEVICE_HISTORY_RETENTION_DAYS] = 11,
	[SET_INCIDENT_RETENTION_DAYS] = 12,
	[SET_INCIDENT_RETENTION_COUNT] = 13,
	[SET_EVENT_RATE_CAP] = 14,
};

/* The setting at a sub-id, or SET_COUNT for a hole. */
static enum setting_id setting_of(unsigned sub)
{
	for (int i = 0; i < SET_COUNT; i++)
		if (settings_subid[i] == sub)
			return (enum setting_id)i;
	return SET_COUNT;
}

static bool settings_exists(unsigned sub)
{
	return setting_of(sub) != SET_COUNT;
}

/* MIB value of a setting: TruthValue is true(1)/false(2), the rest 1:1. */
static long settings_mib_value(enum setting_id id, int64_t v)
{
	if (id == SET_AUTO_RESYNC_ENABLED)
		return v ? 1 : 2;
	return (long)v;
}

static bool settings_is_int(enum setting_id id)
{
	return id == SET_AUTO_RESYNC_ENABLED || id == SET_SYSTEM_OF_RECORD;
}

static void settings_get_one(netsnmp_variable_list *vb, unsigned sub)
{
	enum setting_id id = setting_of(sub);
	int64_t v = settings_get(&mib_loop->model.settings, id);
	if (settings_is_int(id))
		mib_set_int(vb, settings_mib_value(id, v));
	else
		mib_set_uint(vb, ASN_UNSIGNED, (unsigned long)v);
}

/* Checks one SET varbind; returns an SNMP error and the model value. */
static int settings_check(const netsnmp_variable_list *vb, unsigned *sub, int64_t *value)
{
	bool exact;
	if (!mib_scalar_instance(vb->name, vb->name_length, settings_oid, SETTINGS_OID_LEN,
				 SETTINGS_FIRST, SETTINGS_LAST, sub, &exact) || !exact || !settings_exists(*sub))
		return SNMP_ERR_NOCREATION;
	enum setting_id id = setting_of(*sub);
	u_char want = settings_is_int(id) ? ASN_INTEGER : ASN_UNSIGNED;
	if (vb->type != want || vb->val_len != sizeof(long))
		return SNMP_ERR_WRONGTYPE;
	if (id == SET_AUTO_RESYNC_ENABLED) {
		long t = *vb->val.integer;
		if (t != 1 && t != 2)
			return SNMP_ERR_WRONGVALUE;
		*value = t == 1;
	} else if (settings_is_int(id)) {
		*value = *vb->val.integer;
	} else {
		*value = (int64_t)(*(const unsigned long *)vb->val.integer & 0xffffffffUL);
	}
	if (settings_validate(id, *value, NULL) != SETERR_OK)
		return SNMP_ERR_WRONGVALUE;
	return SNMP_ERR_NOERROR;
}

static const struct mib_scalar_group settings_group = {
	settings_oid, SETTINGS_OID_LEN, SETTINGS_FIRST, SETTINGS_LAST, settings_get_one, settings_exists,
};

int mib_settings_handler(MIB_HANDLER_ARGS)
{
	(void)handler;
	(void)reginfo;
	for (netsnmp_request_info *r = requests; r; r = r->next) {
		netsnmp_variable_list *vb = r->requestvb;
		if (r->processed)
			continue;
		unsigned sub;
		int64_t value;
		int err;
		if (mib_scalar_group_read(reqinfo, r, &settings_group))
			continue;
		switch (reqinfo->mode) {
		case MODE_SET_RESERVE1:
		case MODE_SET_RESERVE2:
			err = settings_check(vb, &sub, &value);
			if (err != SNMP_ERR_NOERROR)
				netsnmp_set_request_error(reqinfo, r, err);
			else
				mib_store_refuses(reqinfo, r);
			break;
		case MODE_SET_COMMIT: {
			/* Checked in the reserve phases; re-checked in case the
			 * subagent's phases were split over several PDUs. */
			char who[RS_JOB_USER_MAX];
			const char *why = NULL;
			if (settings_check(vb, &sub, &value) != SNMP_ERR_NOERROR) {
				netsnmp_set_request_error(reqinfo, r, SNMP_ERR_COMMITFAILED);
				break;
			}
			mib_who(reqinfo, who, sizeof(who));
			if (loop_set_setting(mib_loop, setting_of(sub), value, who, &why) < 0) {
				log_msg(LOG_ERR, "snmp: set %s by %s failed: %s", settings_name(setting_of(sub)),
					who, why ? why : "unknown error");
				netsnmp_set_request_error(reqinfo, r, SNMP_ERR_COMMITFAILED);
			}
			break;
		}
		default: /* ACTION, UNDO, FREE: nothing was changed before COMMIT */
			break;
		}
	}
	return SNMP_ERR_NOERROR;
}

int mib_settings_register(void)
{
	return mib_register("resyncdSettings", mib_settings_handler, settings_oid, SETTINGS_OID_LEN,
			    HANDLER_CAN_RWRITE);
}
