/* devhash.c: linear probing with backward-shift deletion (no tombstones, so
 * a table that sees many adds and removes does not slow down).
 *
 * A slot holds the device pointer and, in the pointer's top 16 bits (zero in
 * every user-space address Linux hands out on 64-bit machines: 47 or 48
 * bits), 16 bits of the key's hash. A probe compares those first and reads
 * the device and its key only when they match: at 100,000 devices a slot
 * that is not the key cost two cache misses (the device, then its string),
 * which made these lookups a tenth of a restart (perf). Tagging costs no
 * memory; where pointers do not leave the bits free, slots are untagged
 * and every probe reads the device, as before. */
#include "devhash.h"

#include <stdlib.h>
#include <string.h>

#if UINTPTR_MAX > 0xFFFFFFFFu
#define TAG_SHIFT 48
#define PTR_MASK ((((uintptr_t)1) << TAG_SHIFT) - 1)
#else
#define TAG_SHIFT 0 /* no spare bits: untagged */
#define PTR_MASK (~(uintptr_t)0)
#endif

static uint64_t hash(const char *k, size_t len)
{
	uint64_t h = 14695981039346656037u; /* FNV-1a, 64 bits */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)k[i]) * 1099511628211u;
	return h ^ (h >> 29);
}

static uint64_t key_hash(const struct devhash *h, const struct device *d)
{
	const char *k;
	size_t len;
	h->key(d, &k, &len);
	return hash(k, len);
}

/* The slot index uses the hash's low bits, the tag its top 16: independent. */
static uint32_t index_of(const struct devhash *h, uint64_t hv)
{
	return (uint32_t)hv & (h->cap - 1);
}

static struct device *dev_of(uintptr_t s)
{
	return (struct device *)(s & PTR_MASK);
}

/* The slot for d with hash hv; never 0 for a device. */
static uintptr_t pack(const struct device *d, uint64_t hv)
{
	uintptr_t p = (uintptr_t)d;
#if TAG_SHIFT
	if ((p & ~PTR_MASK) == 0)
		return p | ((uintptr_t)(hv >> TAG_SHIFT) << TAG_SHIFT);
#else
	(void)hv;
#endif
	return p;
}

/* Whether slot s may hold a device whose key hashes to hv. */
static int may_match(uintptr_t s, uint64_t hv)
{
#if TAG_SHIFT
	return (s >> TAG_SHIFT) == (hv >> TAG_SHIFT);
#else
	(void)s;
	(void)hv;
	return 1;
#endif
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

static void put(struct devhash *h, uintptr_t s, uint64_t hv)
{
	uint32_t i = index_of(h, hv);
	while (h->slot[i])
		i = (i + 1) & (h->cap - 1);
	h->slot[i] = s;
}

static int grow(struct devhash *h)
{
	uint32_t old_cap = h->cap, cap = old_cap ? old_cap * 2 : 16;
	uintptr_t *old = h->slot, *slot = calloc(cap, sizeof(*slot));
	if (!slot)
		return -1;
	h->slot = slot;
	h->cap = cap;
	for (uint32_t i = 0; i < old_cap; i++)
		if (old[i])
			put(h, old[i], key_hash(h, dev_of(old[i])));
	free(old);
	return 0;
}

/* How full a table may be: FILL_NUM / FILL_DEN. A miss (every add checks
 * one) probes ~2.5 slots at 1/2, ~8.5 at 3/4 and ~32 at 7/8. Tagged, a probe
 * reads only the slot (a device only on a tag match, one in 65,536 of the
 * others), so ~32 slots are four cache lines and the table may be 7/8 full:
 * 131,072 slots at 100,000 devices instead of 262,144 at 1/2 (1 MB less in
 * each of the model's three tables). Untagged, every probe reads a device:
 * at most half full. */
#if TAG_SHIFT
#define FILL_NUM 7
#define FILL_DEN 8
#else
#define FILL_NUM 1
#define FILL_DEN 2
#endif

int devhash_add(struct devhash *h, struct device *d)
{
	if ((uint64_t)(h->n + 1) * FILL_DEN > (uint64_t)h->cap * FILL_NUM && grow(h) < 0)
		return -1;
	uint64_t hv = key_hash(h, d);
	put(h, pack(d, hv), hv);
	h->n++;
	return 0;
}

struct device *devhash_find(const struct devhash *h, const char *key, size_t len)
{
	if (!h->cap)
		return NULL;
	uint64_t hv = hash(key, len);
	for (uint32_t i = index_of(h, hv); h->slot[i]; i = (i + 1) & (h->cap - 1)) {
		if (!may_match(h->slot[i], hv))
			continue;
		const char *k;
		size_t klen;
		struct device *d = dev_of(h->slot[i]);
		h->key(d, &k, &klen);
		if (klen == len && memcmp(k, key, len) == 0)
			return d;
	}
	return NULL;
}

void devhash_del(struct devhash *h, const struct device *d)
{
	if (!h->cap)
		return;
	uint32_t mask = h->cap - 1, i = index_of(h, key_hash(h, d));
	while (h->slot[i] && dev_of(h->slot[i]) != d)
		i = (i + 1) & mask;
	if (!h->slot[i])
		return;
	h->slot[i] = 0;
	h->n--;
	/* Shift back every later entry of the run that may no longer be found
	 * past the hole: one whose home is not cyclically in (i, j]. */
	for (uint32_t j = (i + 1) & mask; h->slot[j]; j = (j + 1) & mask) {
		uint32_t k = index_of(h, key_hash(h, dev_of(h->slot[j])));
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		h->slot[i] = h->slot[j];
		h->slot[j] = 0;
		i = j;
	}
}
