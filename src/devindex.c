/* devindex.c: devices by index in a sorted array of sorted pages. */
#include "devindex.h"

#include <stdlib.h>
#include <string.h>

#include "model.h"

void devindex_init(struct devindex *x)
{
	memset(x, 0, sizeof(*x));
}

void devindex_free(struct devindex *x)
{
	for (uint32_t i = 0; i < x->npages; i++)
		free(x->page[i]);
	free(x->page);
	memset(x, 0, sizeof(*x));
}

/* The page that holds index or would: the last one whose first device's
 * index is <= index, else the first. There is at least one page. */
static uint32_t page_of(const struct devindex *x, uint32_t index)
{
	uint32_t lo = 0, hi = x->npages; /* the answer is in [lo, hi) */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (x->page[mid]->dev[0]->index <= index)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The first position in p whose device's index is >= index (p->n if none). */
static uint32_t pos_of(const struct devindex_page *p, uint32_t index)
{
	uint32_t lo = 0, hi = p->n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (p->dev[mid]->index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Puts a new, empty page at position at of the page array. */
static struct devindex_page *page_insert(struct devindex *x, uint32_t at)
{
	if (x->npages == x->cap) {
		uint32_t cap = x->cap ? x->cap * 2 : 16;
		struct devindex_page **page = realloc(x->page, cap * sizeof(*page));
		if (!page)
			return NULL;
		x->page = page;
		x->cap = cap;
	}
	struct devindex_page *p = malloc(sizeof(*p));
	if (!p)
		return NULL;
	p->n = 0;
	memmove(&x->page[at + 1], &x->page[at], (x->npages - at) * sizeof(*x->page));
	x->page[at] = p;
	x->npages++;
	return p;
}

int devindex_add(struct devindex *x, struct device *d)
{
	if (!x->npages && !page_insert(x, 0))
		return -1;
	uint32_t pi = page_of(x, d->index);
	struct devindex_page *p = x->page[pi];
	uint32_t at = pos_of(p, d->index);
	if (p->n == DEVINDEX_PAGE) {
		/* Full. Past the end of the last page (the usual case: devices
		 * come in index order) starts a new one, so pages stay full;
		 * anywhere else the page splits in two halves. */
		bool append = at == p->n && pi == x->npages - 1;
		struct devindex_page *q = page_insert(x, pi + 1);
		if (!q)
			return -1;
		if (append) {
			q->dev[q->n++] = d;
			return 0;
		}
		q->n = p->n / 2;
		p->n -= q->n;
		memcpy(q->dev, &p->dev[p->n], q->n * sizeof(*q->dev));
		if (at > p->n) {
			at -= p->n;
			p = q;
		}
	}
	memmove(&p->dev[at + 1], &p->dev[at], (p->n - at) * sizeof(*p->dev));
	p->dev[at] = d;
	p->n++;
	return 0;
}

void devindex_del(struct devindex *x, uint32_t index)
{
	if (!x->npages)
		return;
	uint32_t pi = page_of(x, index);
	struct devindex_page *p = x->page[pi];
	uint32_t at = pos_of(p, index);
	if (at == p->n || p->dev[at]->index != index)
		return;
	memmove(&p->dev[at], &p->dev[at + 1], (p->n - at - 1) * sizeof(*p->dev));
	if (--p->n)
		return;
	free(p);
	memmove(&x->page[pi], &x->page[pi + 1], (x->npages - pi - 1) * sizeof(*x->page));
	x->npages--;
}

struct device *devindex_find(const struct devindex *x, uint32_t index)
{
	struct device *d = devindex_ceil(x, index);
	return d && d->index == index ? d : NULL;
}

struct device *devindex_ceil(const struct devindex *x, uint32_t index)
{
	if (!x->npages)
		return NULL;
	uint32_t pi = page_of(x, index);
	const struct devindex_page *p = x->page[pi];
	uint32_t at = pos_of(p, index);
	if (at < p->n)
		return p->dev[at];
	return pi + 1 < x->npages ? x->page[pi + 1]->dev[0] : NULL;
}

struct device *devindex_step(const struct devindex *x, struct devindex_iter *it)
{
	if (it->page >= x->npages)
		return NULL;
	const struct devindex_page *p = x->page[it->page];
	struct device *d = p->dev[it->pos];
	if (++it->pos == p->n) {
		it->page++;
		it->pos = 0;
	}
	return d;
}
