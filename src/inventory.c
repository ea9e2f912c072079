/* inventory.c: reconciles configured devices with the model.
 *
 * At 100,000 devices this must stay linear: lookups go through the model's
 * and the configuration's hashes, and additions are persisted in batches of
 * INVENTORY_BATCH per transaction instead of one synchronous commit each. */
#include "inventory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "loop.h"

#define INVENTORY_BATCH 2000 /* devices per transaction: bounds locks and log per commit */
#define INVENTORY_LOG_ADDS 20 /* added devices logged one by one; the rest in a sum */

static int update(struct loop *l, struct device *d, const struct config_device *cd)
{
	int changed = 0;
	if (strcmp(d->address, cd->address)) {
		log_info("device %s: address %s -> %s", d->name, *d->address ? d->address : "none", cd->address);
		model_device_set_address(&l->model, d, cd->address);
		changed = 1;
	}
	if (d->ssh_port != cd->port || strcmp(d->credential, cd->credential) ||
	    d->trust_on_first_use != cd->trust_on_first_use || !d->from_config) {
		d->ssh_port = cd->port;
		model_istr_set(&d->credential, cd->credential, RS_NAME_MAX);
		d->trust_on_first_use = cd->trust_on_first_use;
		d->from_config = true;
		changed = 1;
	}
	d->configure_syslog = cd->configure_syslog; /* not stored: the file says it each time */
	if (changed) {
		l->model.devices_last_change = loop_now(l);
		struct action a = { .kind = ACT_SAVE_DEVICE, .device = d->index };
		actions_push(&l->actions, &a);
	}
	return changed;
}

/* Persists what the batch collected in one transaction. */
static void flush(struct loop *l)
{
	l->batching = false;
	loop_apply(l);
	l->batching = true;
}

int inventory_sync(struct loop *l, const struct config *cfg, const char *who)
{
	int changes = 0;
	size_t added = 0;
	uint32_t *new_devs = malloc((cfg->ndevices ? cfg->ndevices : 1) * sizeof(*new_devs));
	bool was_batching = l->batching;
	l->batching = true;
	for (size_t i = 0; i < cfg->ndevices; i++) {
		const struct config_device *cd = &cfg->devices[i];
		struct device *d = model_device_by_name(&l->model, cd->name);
		if (d) {
			changes += update(l, d, cd);
		} else if ((d = loop_new_device(l, 0, cd->name, cd->address, cd->port, cd->credential))) {
			d->trust_on_first_use = cd->trust_on_first_use;
			d->configure_syslog = cd->configure_syslog;
			d->from_config = true;
			if (new_devs)
				new_devs[added] = d->index;
			if (++added <= INVENTORY_LOG_ADDS)
				log_info("device %s: added as index %u (%s) by %s", d->name, d->index,
					 d->address, who);
			changes++;
		} else {
			log_err("device %s: cannot add it%s", cd->name,
				model_device_free_index(&l->model) ? "" : ": no device index is free");
		}
		if (l->actions.n >= INVENTORY_BATCH)
			flush(l);
	}
	if (added > INVENTORY_LOG_ADDS)
		log_info("%zu more devices added by %s", added - INVENTORY_LOG_ADDS, who);
	flush(l);
	if (added > INVENTORY_BATCH)
		loop_checkpoint(l); /* a crash now must not replay the whole addition */
	/* Removal notifies about the device's jobs while it still exists: unbatched. */
	l->batching = was_batching;
	struct device *d = model_device_next(&l->model, 0);
	while (d) {
		struct device *next = model_device_next(&l->model, d->index);
		if (d->from_config && !config_device(cfg, d->name)) {
			loop_remove_device(l, d->index, who);
			changes++;
		}
		d = next;
	}
	/* J7: what the file added is fetched at once, in one job. */
	if (new_devs && added)
		loop_discovered(l, new_devs, (uint32_t)added);
	free(new_devs);
	return changes;
}
