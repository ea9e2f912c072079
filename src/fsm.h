/* fsm.h: managed-status transitions (SPEC sections 1-3), pure functions. */
#ifndef RESYNCD_FSM_H
#define RESYNCD_FSM_H

#include "model.h"

/* R1 (network) / S2 (manager): status after a commit notification. */
enum managed_status fsm_on_commit(enum system_of_record sor, enum managed_status cur, bool by_manager);
/* S3: status after the manager's own copy changed. */
enum managed_status fsm_on_manager_change(enum managed_status cur);
/* R4: status when a fetch starts, and when it ends. */
enum managed_status fsm_on_fetch_start(enum managed_status cur);
enum managed_status fsm_on_fetch_end(enum managed_status cur, bool ok, bool commit_during_fetch);

#endif
