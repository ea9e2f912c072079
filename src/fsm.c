/* fsm.c: managed-status transitions (SPEC sections 1-3), pure functions. */
#include "fsm.h"

enum managed_status fsm_on_commit(enum system_of_record sor, enum managed_status cur, bool by_manager)
{
	if (sor == SOR_NETWORK)
		return MS_OUT_OF_SYNC; /* R1: whatever it was, even synchronizing */
	if (by_manager)
		return cur;            /* S4: the manager's own deploy is no device change */
	switch (cur) {                 /* S2 */
	case MS_IN_SYNC:
		return MS_DEVICE_CHANGED;
	case MS_MANAGER_CHANGED:
		return MS_MANAGER_AND_DEVICE_CHANGED;
	default:
		return cur;
	}
}

enum managed_status fsm_on_manager_change(enum managed_status cur)
{
	switch (cur) {                 /* S3 */
	case MS_IN_SYNC:
		return MS_MANAGER_CHANGED;
	case MS_DEVICE_CHANGED:
		return MS_MANAGER_AND_DEVICE_CHANGED;
	default:
		return cur;
	}
}

enum managed_status fsm_on_fetch_start(enum managed_status cur)
{
	(void)cur;
	return MS_SYNCHRONIZING;
}

enum managed_status fsm_on_fetch_end(enum system_of_record sor, enum managed_status before, bool ok,
				     bool commit_during_fetch)
{
	if (sor == SOR_NETWORK) {
		/* R4: a commit after the fetch started means the copy is already
		 * stale; a failed fetch never sets inSync. */
		if (!ok || commit_during_fetch)
			return MS_OUT_OF_SYNC;
		return MS_IN_SYNC;
	}
	if (ok) /* S4 accept; a commit during it changed the device after the copy */
		return commit_during_fetch ? MS_DEVICE_CHANGED : MS_IN_SYNC;
	/* A failed accept changes nothing but what the device did meanwhile. */
	before = fsm_on_sor_change(SOR_MANAGER, before);
	return commit_during_fetch ? fsm_on_commit(SOR_MANAGER, before, false) : before;
}

enum managed_status fsm_on_deploy_end(enum managed_status cur, bool ok, bool commit_during)
{
	if (!ok)
		return cur;
	return commit_during ? MS_DEVICE_CHANGED : MS_IN_SYNC;
}

enum managed_status fsm_on_sor_change(enum system_of_record to, enum managed_status cur)
{
	if (to == SOR_NETWORK) {
		switch (cur) {         /* S5: diverged devices are resynced */
		case MS_DEVICE_CHANGED:
		case MS_MANAGER_CHANGED:
		case MS_MANAGER_AND_DEVICE_CHANGED:
			return MS_OUT_OF_SYNC;
		default:
			return cur;
		}
	}
	return cur == MS_OUT_OF_SYNC ? MS_DEVICE_CHANGED : cur;
}
