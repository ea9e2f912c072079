/* archive_diff.c: line diff for the configuration archive.
 *
 * Myers' O(ND) algorithm in its linear-space form (find the middle snake,
 * recurse on both halves), as GNU diff's analyze.c does it. No Debian C
 * library offers a line diff without a large unrelated dependency (libxdiff is
 * not packaged; libgit2 would bring a second SSH stack), so it is here, small.
 * Lines are compared by a 64-bit hash first, then by bytes. */
#include "archive_diff.h"

#include "secrets.h"

#include <stdlib.h>
#include <string.h>

/* Past this many edits in one sub-problem, stop searching for the minimum and
 * call the rest a replacement: keeps a rewrite of a huge file O(N * limit). */
#define DIFF_MAX_COST 4096

struct dline {
	const char *p;
	size_t len;
	uint64_t h;
};

struct dtext {
	struct dline *l;
	size_t n;
	int no_eol;                      /* last line lacks '\n' */
	char *changed;                   /* per line: only in this text */
};

struct dctx {
	struct dtext *a, *b;
	long *vf, *vb;                   /* furthest x per diagonal, offset by off */
	long off;
};

static uint64_t diff_hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

static int diff_split(const char *s, size_t len, struct dtext *t)
{
	size_t n = 0, cap = 0, i = 0;

	memset(t, 0, sizeof(*t));
	while (i < len) {
		const char *nl = memchr(s + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - s) : len;

		if (n == cap) {
			struct dline *v;

			cap = cap ? cap * 2 : 64;
			v = realloc(t->l, cap * sizeof(*v));
			if (!v)
				return -1;
			t->l = v;
		}
		t->l[n].p = s + i;
		t->l[n].len = end - i;
		t->l[n].h = diff_hash(s + i, end - i);
		n++;
		if (!nl)
			t->no_eol = 1;
		i = end + 1;
	}
	t->n = n;
	t->changed = calloc(n + 1, 1);
	return t->changed ? 0 : -1;
}

static void diff_text_free(struct dtext *t)
{
	free(t->l);
	free(t->changed);
}

static int diff_eq(const struct dctx *c, long x, long y)
{
	const struct dline *p = &c->a->l[x], *q = &c->b->l[y];

	if (p->h != q->h || p->len != q->len || memcmp(p->p, q->p, p->len) != 0)
		return 0;
	/* Same bytes: still different if only one lacks its final newline. */
	return (x + 1 == (long)c->a->n && c->a->no_eol) == (y + 1 == (long)c->b->n && c->b->no_eol);
}

/* Finds the middle snake of a[a0,a1) x b[b0,b1); sets the split point. Returns
 * 0, or -1 when the edit distance exceeds DIFF_MAX_COST. */
static int diff_middle(struct dctx *c, long a0, long a1, long b0, long b1, long *xm, long *ym)
{
	long n = a1 - a0, m = b1 - b0, delta = n - m, dmax = (n + m + 1) / 2;
	int odd = delta & 1;
	long *vf = c->vf + c->off, *vb = c->vb + c->off;

	vf[1] = 0;
	vb[1] = 0;
	for (long d = 0; d <= dmax; d++) {
		if (d > DIFF_MAX_COST)
			return -1;
		for (long k = -d; k <= d; k += 2) {
			long x = (k == -d || (k != d && vf[k - 1] < vf[k + 1])) ? vf[k + 1] : vf[k - 1] + 1;
			long y = x - k, x0 = x, y0 = y;

			while (x < n && y < m && diff_eq(c, a0 + x, b0 + y))
				x++, y++;
			vf[k] = x;
			if (odd && k >= delta - (d - 1) && k <= delta + (d - 1) &&
			    x + vb[delta - k] >= n) {
				*xm = a0 + x0;
				*ym = b0 + y0;
				return 0;
			}
		}
		for (long k = -d; k <= d; k += 2) {
			long x = (k == -d || (k != d && vb[k - 1] < vb[k + 1])) ? vb[k + 1] : vb[k - 1] + 1;
			long y = x - k;

			while (x < n && y < m && diff_eq(c, a1 - 1 - x, b1 - 1 - y))
				x++, y++;
			vb[k] = x;
			if (!odd && delta - k >= -d && delta - k <= d && x + vf[delta - k] >= n) {
				*xm = a1 - x;
				*ym = b1 - y;
				return 0;
			}
		}
	}
	return -1; /* not reached: the snakes meet by dmax */
}

static void diff_compare(struct dctx *c, long a0, long a1, long b0, long b1)
{
	long xm, ym;

	while (a0 < a1 && b0 < b1 && diff_eq(c, a0, b0))
		a0++, b0++;
	while (a1 > a0 && b1 > b0 && diff_eq(c, a1 - 1, b1 - 1))
		a1--, b1--;
	if (a0 == a1 || b0 == b1 || diff_middle(c, a0, a1, b0, b1, &xm, &ym) < 0) {
		/* Only insertions, only deletions, or too costly: a replacement. */
		memset(c->a->changed + a0, 1, (size_t)(a1 - a0));
		memset(c->b->changed + b0, 1, (size_t)(b1 - b0));
		return;
	}
	diff_compare(c, a0, xm, b0, ym);
	diff_compare(c, xm, a1, ym, b1);
}

static int diff_run(const char *a, size_t alen, const char *b, size_t blen, struct dtext *ta,
		    struct dtext *tb)
{
	struct dctx c;
	size_t span;
	int rc = -1;

	if (diff_split(a, alen, ta) < 0 || diff_split(b, blen, tb) < 0)
		return -1;
	/* A last line without its newline differs from the same text with one
	 * (diff -u shows it changed): mark it in the hash, checked by diff_eq. */
	if (ta->no_eol)
		ta->l[ta->n - 1].h ^= 1;
	if (tb->no_eol)
		tb->l[tb->n - 1].h ^= 1;
	span = ta->n + tb->n;
	c.a = ta;
	c.b = tb;
	c.off = (long)span + 2;
	c.vf = calloc(2 * span + 5, sizeof(long));
	c.vb = calloc(2 * span + 5, sizeof(long));
	if (c.vf && c.vb) {
		diff_compare(&c, 0, (long)ta->n, 0, (long)tb->n);
		rc = 0;
	}
	free(c.vf);
	free(c.vb);
	return rc;
}

int archive_diff_count(const char *a, size_t alen, const char *b, size_t blen,
		       uint32_t *added, uint32_t *removed)
{
	struct dtext ta, tb;
	int rc = diff_run(a, alen, b, blen, &ta, &tb);

	*added = *removed = 0;
	if (rc == 0) {
		for (size_t i = 0; i < ta.n; i++)
			*removed += ta.changed[i] != 0;
		for (size_t j = 0; j < tb.n; j++)
			*added += tb.changed[j] != 0;
	}
	diff_text_free(&ta);
	diff_text_free(&tb);
	return rc;
}

static void diff_line(FILE *out, char mark, const struct dtext *t, size_t i, bool mask)
{
	fputc(mark, out);
	if (mask) {
		/* Masked after diffing: a changed secret still shows as a
		 * changed line, without its value. */
		size_t cap = t->l[i].len * 2 + 64;
		char *buf = malloc(cap);

		if (buf) {
			fwrite(buf, 1, secrets_mask_line(t->l[i].p, t->l[i].len, buf, cap), out);
			free(buf);
		} else {
			fputs(SECRETS_MASK, out); /* never the clear text */
		}
	} else {
		fwrite(t->l[i].p, 1, t->l[i].len, out);
	}
	fputc('\n', out);
	if (i + 1 == t->n && t->no_eol)
		fputs("\\ No newline at end of file\n", out);
}

static void diff_range(FILE *out, char sign, size_t start, size_t count)
{
	/* diff -u: an empty range names the line before it. */
	if (count == 1)
		fprintf(out, "%c%zu", sign, start + 1);
	else
		fprintf(out, "%c%zu,%zu", sign, count ? start + 1 : start, count);
}

int archive_diff_unified(const char *a, size_t alen, const char *b, size_t blen,
			 const char *label_a, const char *label_b, unsigned context, bool mask, FILE *out)
{
	struct dtext ta, tb;
	size_t i = 0, j = 0;
	int printed = 0;

	if (diff_run(a, alen, b, blen, &ta, &tb) < 0) {
		diff_text_free(&ta);
		diff_text_free(&tb);
		return -1;
	}
	/* Walk both texts; each hunk starts `context` lines before a change and
	 * runs until `2 * context` unchanged lines follow its last change. */
	while (i < ta.n || j < tb.n) {
		size_t hi, hj, ei, ej, run;

		if (i < ta.n && j < tb.n && !ta.changed[i] && !tb.changed[j]) {
			i++, j++;
			continue;
		}
		hi = i >= context ? i - context : 0;
		hj = j - (i - hi); /* unchanged lines pair up one to one */
		ei = i, ej = j;
		for (;;) {
			while ((ei < ta.n && ta.changed[ei]) || (ej < tb.n && tb.changed[ej])) {
				if (ei < ta.n && ta.changed[ei])
					ei++;
				else
					ej++;
			}
			for (run = 0; ei + run < ta.n && ej + run < tb.n && !ta.changed[ei + run] &&
				      !tb.changed[ej + run] && run < 2 * (size_t)context + 1; run++)
				;
			if (run <= 2 * (size_t)context && (ei + run < ta.n || ej + run < tb.n)) {
				ei += run, ej += run; /* gap small enough: same hunk */
				continue;
			}
			run = run < context ? run : context;
			ei += run, ej += run;
			break;
		}
		if (!printed) {
			fprintf(out, "--- %s\n+++ %s\n", label_a, label_b);
			printed = 1;
		}
		fputs("@@ ", out);
		diff_range(out, '-', hi, ei - hi);
		fputc(' ', out);
		diff_range(out, '+', hj, ej - hj);
		fputs(" @@\n", out);
		while (hi < ei || hj < ej) {
			if (hi < ei && ta.changed[hi]) {
				diff_line(out, '-', &ta, hi++, mask);
			} else if (hj < ej && tb.changed[hj]) {
				diff_line(out, '+', &tb, hj++, mask);
			} else {
				diff_line(out, ' ', &ta, hi++, mask);
				hj++;
			}
		}
		i = ei, j = ej;
	}
	diff_text_free(&ta);
	diff_text_free(&tb);
	return printed;
}
