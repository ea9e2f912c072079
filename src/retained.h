/* retained.h: removed devices whose history is kept (issue 11, item 9).
 *
 * A device removed (SIGHUP with it gone from the file, or destroy over
 * SNMP) keeps its index and its configuration versions for
 * deviceHistoryRetentionDays: its index is not handed to another device,
 * and adding a device of the same name again gives it back that index and
 * its newest version numbers, so its history continues. Pure, loop thread. */
#ifndef RESYNCD_RETAINED_H
#define RESYNCD_RETAINED_H

#include <stdint.h>
#include <sys/tree.h>
#include <uthash.h>

typedef int64_t rs_time_t;

struct retained {
	uint32_t index;
	uint32_t config_version;         /* the device's newest stored version then */
	uint32_t intended_version;
	rs_time_t removed;               /* when it was removed */
	char name[64];
	char key[64];                    /* lower-case name */
	RB_ENTRY(retained) by_index;
	UT_hash_handle hh;               /* on key */
};

RB_HEAD(retained_tree, retained);
int retained_cmp(const struct retained *a, const struct retained *b);
RB_PROTOTYPE(retained_tree, retained, by_index, retained_cmp)

struct retained_set {
	struct retained_tree tree;
	struct retained *by_name;
	uint32_t n;
};

void retained_init(struct retained_set *s);
void retained_free(struct retained_set *s);
/* Adds (or replaces the entry of that index); NULL when out of memory or the
 * name is too long. */
struct retained *retained_add(struct retained_set *s, uint32_t index, const char *name, rs_time_t removed,
			      uint32_t config_version, uint32_t intended_version);
struct retained *retained_by_index(struct retained_set *s, uint32_t index);
struct retained *retained_by_name(struct retained_set *s, const char *name);
struct retained *retained_first(struct retained_set *s);
struct retained *retained_next(struct retained_set *s, struct retained *r);
void retained_remove(struct retained_set *s, struct retained *r);

#endif
