/* inventory.h: brings the model's device list in line with resyncd.conf,
 * at start and on SIGHUP, without losing any device's state. */
#ifndef RESYNCD_INVENTORY_H
#define RESYNCD_INVENTORY_H

struct loop;
struct config;

/* Adds devices new in cfg, updates changed addresses/ports/credentials, and
 * removes devices that came from the file and are no longer in it (devices
 * added over SNMP are kept). who names the cause in the log lines
 * ("configuration" at start, "configuration reload" on SIGHUP). Returns the
 * number of devices added, changed or removed (each once). */
int inventory_sync(struct loop *l, const struct config *cfg, const char *who);

#endif
