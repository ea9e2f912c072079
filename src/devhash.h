/* devhash.h: an open-addressing hash of device pointers, for the model's
 * lookups by name, short name and address.
 *
 * A slot is one pointer (9 to 18 bytes a device at its fill of 7/16 to 7/8;
 * 16 to 32 at 1/4 to 1/2 where pointers leave no bits for tags, devhash.c),
 * where a uthash handle costs 56 bytes in every device, for every hash: at
 * 100,000 devices the difference is most of the memory budget. The key is
 * not stored: the table's key function reads it from the device; 16 bits of
 * its hash ride in the pointer's unused top bits (devhash.c). */
#ifndef RESYNCD_DEVHASH_H
#define RESYNCD_DEVHASH_H

#include <stddef.h>
#include <stdint.h>

struct device;

/* Gives d's key in this table (bytes, not NUL-terminated). */
typedef void (*devhash_key_fn)(const struct device *d, const char **key, size_t *len);

struct devhash {
	uintptr_t *slot;                 /* a device pointer with its hash tag, or 0 */
	uint32_t cap;                    /* a power of two, or 0 before the first add */
	uint32_t n;
	devhash_key_fn key;
};

void devhash_init(struct devhash *h, devhash_key_fn key);
void devhash_free(struct devhash *h);
/* Adds d; the caller has checked that no device with its key is in. -1: out of memory. */
int devhash_add(struct devhash *h, struct device *d);
struct device *devhash_find(const struct devhash *h, const char *key, size_t len);
/* Removes d itself (not another device with its key); nothing if it is not in. */
void devhash_del(struct devhash *h, const struct device *d);

#endif
