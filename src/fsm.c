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

enum managed_status fsm_on_fetch_end(enum managed_status cur, bool ok, bool commit_during_fetch)
{
	(void)cur;
	/* R4: a commit after the fetch started means the copy is already stale;
	 * a failed fetch never sets inSync. */
	if (!ok || commit_during_fetch)
		return MS_OUT_OF_SYNC;
	return MS_IN_SYNC;
}
