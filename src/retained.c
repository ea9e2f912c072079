/* retained.c: removed devices whose index and history are kept for a while
 * (see retained.h): a red-black tree by index (the index allocator skips
 * them) and a hash by lower-case name (re-adding a device finds its own). */
#include "retained.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int retained_cmp(const struct retained *a, const struct retained *b)
{
	return a->index < b->index ? -1 : a->index > b->index;
}

RB_GENERATE(retained_tree, retained, by_index, retained_cmp)

static int lower_key(char *key, size_t size, const char *name)
{
	size_t i = 0;
	for (; name[i]; i++) {
		if (i + 1 >= size)
			return -1;
		key[i] = (char)tolower((unsigned char)name[i]);
	}
	key[i] = '\0';
	return 0;
}

void retained_init(struct retained_set *s)
{
	RB_INIT(&s->tree);
	s->by_name = NULL;
	s->n = 0;
}

void retained_free(struct retained_set *s)
{
	struct retained *r, *t;
	RB_FOREACH_SAFE(r, retained_tree, &s->tree, t)
		retained_remove(s, r);
}

struct retained *retained_add(struct retained_set *s, uint32_t index, const char *name, rs_time_t removed,
			      uint32_t config_version, uint32_t intended_version)
{
	struct retained *r = calloc(1, sizeof(*r));
	if (!r || strlen(name) >= sizeof(r->name) || lower_key(r->key, sizeof(r->key), name) < 0) {
		free(r);
		return NULL;
	}
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->index = index;
	r->removed = removed;
	r->config_version = config_version;
	r->intended_version = intended_version;
	struct retained *old = retained_by_index(s, index);
	if (old)
		retained_remove(s, old);
	old = retained_by_name(s, name);
	if (old)
		retained_remove(s, old);
	RB_INSERT(retained_tree, &s->tree, r);
	HASH_ADD_STR(s->by_name, key, r);
	s->n++;
	return r;
}

struct retained *retained_by_index(struct retained_set *s, uint32_t index)
{
	struct retained key = { .index = index };
	return RB_FIND(retained_tree, &s->tree, &key);
}

struct retained *retained_by_name(struct retained_set *s, const char *name)
{
	char key[64];
	struct retained *r = NULL;
	if (lower_key(key, sizeof(key), name) < 0)
		return NULL;
	HASH_FIND_STR(s->by_name, key, r);
	return r;
}

struct retained *retained_first(struct retained_set *s)
{
	return RB_MIN(retained_tree, &s->tree);
}

struct retained *retained_next(struct retained_set *s, struct retained *r)
{
	(void)s;
	return RB_NEXT(retained_tree, &s->tree, r);
}

void retained_remove(struct retained_set *s, struct retained *r)
{
	RB_REMOVE(retained_tree, &s->tree, r);
	HASH_DEL(s->by_name, r);
	s->n--;
	free(r);
}
