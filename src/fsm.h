/* fsm.h: managed-status transitions (SPEC sections 1-3), pure functions. */
#ifndef RESYNCD_FSM_H
#define RESYNCD_FSM_H

#include "model.h"

/* R1 (network) / S2 (manager): status after a commit notification. */
enum managed_status fsm_on_commit(enum system_of_record sor, enum managed_status cur, bool by_manager);
/* S3: status after the manager's own copy changed. */
enum managed_status fsm_on_manager_change(enum managed_status cur);
/* R4: status when a fetch starts. */
enum managed_status fsm_on_fetch_start(enum managed_status cur);
/* R4 (network) / S4 accept (manager): status when a fetch ends. `before` is
 * the status the device had when the fetch started: a failed accept goes
 * back to it (with the device's own commits during it applied, S2). */
enum managed_status fsm_on_fetch_end(enum system_of_record sor, enum managed_status before, bool ok,
				     bool commit_during_fetch);
/* S4 deploy: success ends inSync (deviceChanged if someone else committed
 * meanwhile); a failure leaves the status as it is. */
enum managed_status fsm_on_deploy_end(enum managed_status cur, bool ok, bool commit_during);
/* S5: the status a device takes when systemOfRecord becomes `to`. */
enum managed_status fsm_on_sor_change(enum system_of_record to, enum managed_status cur);

#endif
