/* devhash.c: linear probing with backward-shift deletion (no tombstones, so
 * a table that sees many adds and removes does not slow down). */
#include "devhash.h"

#include <stdlib.h>
#include <string.h>

static uint32_t hash(const char *k, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)k[i]) * 16777619u;
	return h ^ (h >> 15);
}

static uint32_t home(const struct devhash *h, const struct device *d)
{
	const char *k;
	size_t len;
	h->key(d, &k, &len);
	return hash(k, len) & (h->cap - 1);
}

void devhash_init(struct devhash *h, devhash_key_fn key)
{
	memset(h, 0, sizeof(*h));
	h->key = key;
}

void devhash_free(struct devhash *h)
{
	free(h->slot);
	h->slot = NULL;
	h->cap = h->n = 0;
}

static void put(struct devhash *h, struct device *d)
{
	uint32_t i = home(h, d);
	while (h->slot[i])
		i = (i + 1) & (h->cap - 1);
	h->slot[i] = d;
}

static int grow(struct devhash *h)
{
	uint32_t old_cap = h->cap, cap = old_cap ? old_cap * 2 : 16;
	struct device **old = h->slot, **slot = calloc(cap, sizeof(*slot));
	if (!slot)
		return -1;
	h->slot = slot;
	h->cap = cap;
	for (uint32_t i = 0; i < old_cap; i++)
		if (old[i])
			put(h, old[i]);
	free(old);
	return 0;
}

int devhash_add(struct devhash *h, struct device *d)
{
	/* At most half full: a miss (every add checks one) probes ~2.5 slots, not ~8.5 at 3/4. */
	if ((uint64_t)(h->n + 1) * 2 > (uint64_t)h->cap && grow(h) < 0)
		return -1;
	put(h, d);
	h->n++;
	return 0;
}

struct device *devhash_find(const struct devhash *h, const char *key, size_t len)
{
	if (!h->cap)
		return NULL;
	for (uint32_t i = hash(key, len) & (h->cap - 1); h->slot[i]; i = (i + 1) & (h->cap - 1)) {
		const char *k;
		size_t klen;
		h->key(h->slot[i], &k, &klen);
		if (klen == len && memcmp(k, key, len) == 0)
			return h->slot[i];
	}
	return NULL;
}

void devhash_del(struct devhash *h, const struct device *d)
{
	if (!h->cap)
		return;
	uint32_t mask = h->cap - 1, i = home(h, d);
	while (h->slot[i] && h->slot[i] != d)
		i = (i + 1) & mask;
	if (!h->slot[i])
		return;
	h->slot[i] = NULL;
	h->n--;
	/* Shift back every later entry of the run that may no longer be found
	 * past the hole: one whose home is not cyclically in (i, j]. */
	for (uint32_t j = (i + 1) & mask; h->slot[j]; j = (j + 1) & mask) {
		uint32_t k = home(h, h->slot[j]);
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		h->slot[i] = h->slot[j];
		h->slot[j] = NULL;
		i = j;
	}
}
