/* inventory.c: reconciles configured devices with the model. */
#include "inventory.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "loop.h"

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
		snprintf(d->credential, sizeof(d->credential), "%s", cd->credential);
		d->trust_on_first_use = cd->trust_on_first_use;
		d->from_config = true;
		changed = 1;
	}
	if (changed) {
		l->model.devices_last_change = loop_now(l);
		loop_save_device(l, d);
	}
	return changed;
}

int inventory_sync(struct loop *l, const struct config *cfg)
{
	int changes = 0;
	for (size_t i = 0; i < cfg->ndevices; i++) {
		const struct config_device *cd = &cfg->devices[i];
		struct device *d = model_device_by_name(&l->model, cd->name);
		if (!d) {
			d = loop_add_device(l, 0, cd->name, cd->address, cd->port, cd->credential, "configuration");
			if (!d) {
				log_err("device %s: cannot add it", cd->name);
				continue;
			}
			changes++;
		}
		changes += update(l, d, cd);
	}
	struct device *d = model_device_next(&l->model, 0);
	while (d) {
		struct device *next = model_device_next(&l->model, d->index);
		if (d->from_config && !config_device(cfg, d->name)) {
			loop_remove_device(l, d->index, "configuration reload");
			changes++;
		}
		d = next;
	}
	return changes;
}
