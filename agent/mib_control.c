/* mib_control.c: the resyncdControl scalars, operator actions over more than
 * one row: resyncdInventoryAction resyncAll(2) starts one inventoryResync job
 * over every device (J6, R7); resyncdPurgeAction purgeFinished(2) archives
 * and purges every finished job (J4). Reads return none(1). Checked in the
 * reserve phases, applied at commit through loop_*. */
#include "mib.h"

#include "log.h"
#include "loop.h"
#include "oids.h"

static const oid control_oid[] = { RESYNCD_CONTROL_OID };
#define CONTROL_OID_LEN OID_LENGTH(control_oid)

static void control_get_one(netsnmp_variable_list *vb, unsigned sub)
{
	(void)sub;
	mib_set_int(vb, 1); /* none(1), in both */
}

static const struct mib_scalar_group control_group = {
	control_oid, CONTROL_OID_LEN, CTL_FIRST, CTL_LAST, control_get_one, NULL,
};

static int control_check(const netsnmp_variable_list *vb, unsigned *sub, long *value)
{
	bool exact;
	if (!mib_scalar_instance(vb->name, vb->name_length, control_oid, CONTROL_OID_LEN, CTL_FIRST, CTL_LAST, sub,
				 &exact) || !exact)
		return SNMP_ERR_NOCREATION;
	if (vb->type != ASN_INTEGER)
		return SNMP_ERR_WRONGTYPE;
	*value = *vb->val.integer;
	if (*value != 1 && *value != 2)
		return SNMP_ERR_WRONGVALUE;
	if (*sub == CTL_INVENTORY_ACTION && *value == INV_ACTION_RESYNC_ALL && mib_loop->model.ndevices == 0)
		return SNMP_ERR_INCONSISTENTVALUE; /* nothing to resync */
	return SNMP_ERR_NOERROR;
}

static void control_apply(netsnmp_agent_request_info *reqinfo, netsnmp_request_info *r, unsigned sub)
{
	char who[RS_JOB_USER_MAX];
	mib_who(reqinfo, who, sizeof(who));
	if (sub == CTL_INVENTORY_ACTION) {
		struct job *j = loop_inventory_resync(mib_loop, who);
		if (!j)
			netsnmp_set_request_error(reqinfo, r, SNMP_ERR_COMMITFAILED);
		else
			log_info("job %u: resync of the inventory (%u devices) requested by %s", j->id, j->ntasks, who);
	} else if (loop_purge_jobs(mib_loop, true, who) < 0) {
		netsnmp_set_request_error(reqinfo, r, SNMP_ERR_COMMITFAILED);
	}
}

int mib_control_handler(MIB_HANDLER_ARGS)
{
	(void)handler;
	(void)reginfo;
	for (netsnmp_request_info *r = requests; r; r = r->next) {
		if (r->processed || mib_scalar_group_read(reqinfo, r, &control_group))
			continue;
		unsigned sub;
		long value;
		int err;
		switch (reqinfo->mode) {
		case MODE_SET_RESERVE1:
		case MODE_SET_RESERVE2:
			err = control_check(r->requestvb, &sub, &value);
			if (err != SNMP_ERR_NOERROR)
				netsnmp_set_request_error(reqinfo, r, err);
			break;
		case MODE_SET_COMMIT:
			if (control_check(r->requestvb, &sub, &value) != SNMP_ERR_NOERROR)
				netsnmp_set_request_error(reqinfo, r, SNMP_ERR_COMMITFAILED);
			else if (value == 2)
				control_apply(reqinfo, r, sub);
			break;
		default: /* ACTION, UNDO, FREE: nothing changes before COMMIT */
			break;
		}
	}
	return SNMP_ERR_NOERROR;
}

int mib_control_register(void)
{
	return mib_register("resyncdControl", mib_control_handler, control_oid, CONTROL_OID_LEN, HANDLER_CAN_RWRITE);
}
