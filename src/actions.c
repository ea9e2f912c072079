/* actions.c: the growable list of actions the core returns. */
#include "actions.h"

#include <stdlib.h>

void actions_init(struct actions *a)
{
	a->v = NULL;
	a->n = a->cap = 0;
}

void actions_clear(struct actions *a)
{
	a->n = 0;
}

void actions_free(struct actions *a)
{
	free(a->v);
	actions_init(a);
}

void actions_push(struct actions *a, const struct action *act)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		struct action *v = realloc(a->v, cap * sizeof(*v));
		if (!v)
			abort(); /* out of memory: nothing sane to do in the core */
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = *act;
}

size_t actions_count(const struct actions *a, enum action_kind kind)
{
	size_t c = 0;
	for (size_t i = 0; i < a->n; i++)
		c += a->v[i].kind == kind;
	return c;
}
