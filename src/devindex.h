/* devindex.h: the model's devices in index order (the MIB's GET and
 * GETNEXT, and every walk over all devices).
 *
 * A sorted array of pages, each a sorted array of up to DEVINDEX_PAGE
 * device pointers: 8 to 16 bytes a device (pages are full when devices come
 * in index order, as they do from the store and the index allocator, and at
 * least half full after a split), where a red-black tree's links cost 32 in
 * every device. Lookups are two binary searches; an add or a removal moves
 * at most a page and the page array, so adding or removing all 100,000
 * devices stays linear. */
#ifndef RESYNCD_DEVINDEX_H
#define RESYNCD_DEVINDEX_H

#include <stdint.h>

struct device;

#define DEVINDEX_PAGE 256

struct devindex_page {
	uint32_t n;                      /* > 0: an emptied page is freed */
	struct device *dev[DEVINDEX_PAGE]; /* by ascending index */
};

struct devindex {
	struct devindex_page **page;     /* by ascending index of their devices */
	uint32_t npages, cap;
};

void devindex_init(struct devindex *x);
/* Frees the index, not the devices. */
void devindex_free(struct devindex *x);
/* Adds d; the caller has checked that no device has its index. -1: out of memory. */
int devindex_add(struct devindex *x, struct device *d);
/* Removes the device of this index; nothing if there is none. */
void devindex_del(struct devindex *x, uint32_t index);
struct device *devindex_find(const struct devindex *x, uint32_t index);
/* The device with the smallest index >= index, or NULL. */
struct device *devindex_ceil(const struct devindex *x, uint32_t index);

/* A walk over every device in index order, one step O(1); the walk's body
 * must not add or remove devices. */
struct devindex_iter {
	uint32_t page, pos;
};
/* The next device of the walk, or NULL at its end. */
struct device *devindex_step(const struct devindex *x, struct devindex_iter *it);

#endif
