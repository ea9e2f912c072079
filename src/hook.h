/* hook.h: the case-creation hook: a profile's program run outside the loop
 * thread when an incident opens or closes, bounded in time, with the
 * incident's fields in its environment (RESYNCD_*); its exit status is
 * logged. */
#ifndef RESYNCD_HOOK_H
#define RESYNCD_HOOK_H

#include <stdbool.h>

#include "incident.h"
#include "model.h"

/* Starts p's hook for incident i (nothing if p names none). Returns at once:
 * 0, or -1 if it could not be started (logged). */
int hook_run(const struct incident_profile *p, const struct incident *i, const struct device *d, bool opened);

#endif
