/* archive_diff.h: line diff of two configuration texts (Myers O(ND), linear space).
 *
 * Pure: no store, no model. Used by the archive for the lines added/removed of
 * each version and by `resyncd --diff` for a unified diff. */
#ifndef RESYNCD_ARCHIVE_DIFF_H
#define RESYNCD_ARCHIVE_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Lines only in b (added) and only in a (removed), minimal unless the two
 * texts are so different that the search is cut short (then an upper bound). */
int archive_diff_count(const char *a, size_t alen, const char *b, size_t blen,
		       uint32_t *added, uint32_t *removed);

/* Writes a unified diff (`diff -u` format, `context` lines around changes) with
 * the given ---/+++ labels; with mask, secrets in the lines shown are hidden
 * (secrets.h). Returns 0 when the texts are equal (nothing
 * printed but the labels are not either), 1 when a diff was printed, -1 error. */
int archive_diff_unified(const char *a, size_t alen, const char *b, size_t blen,
			 const char *label_a, const char *label_b, unsigned context, bool mask, FILE *out);

#endif
