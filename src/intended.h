/* intended.h: the manager's copy of each device's configuration (SPEC S3),
 * read from intended_dir and kept as intended versions in the archive. */
#ifndef RESYNCD_INTENDED_H
#define RESYNCD_INTENDED_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

struct loop;
struct store;

/* Reads every device's intended file (start, SIGHUP); a new or changed one
 * is stored as a new intended version and moves the device per S3 (unless
 * it equals the last fetched configuration). Returns how many devices got
 * a new version, -1 if the directory cannot be read. */
int intended_sync(struct loop *l, const char *dir);

/* S4 accept: the fetched configuration becomes the manager's copy too. */
int intended_accept(struct loop *l, struct device *d, const char *text, size_t len);

/* loop->on_config_fetched: archives the fetched configuration; in manager
 * mode (an accept) it becomes the manager's copy too. */
struct fetch_result;
int intended_on_config_fetched(struct loop *l, struct device *d, struct fetch_result *r);

/* dir/<name>.conf or dir/<name>.xml: 1 read (*text malloc'd, NUL-ended), 0 no
 * file, -1 refused (both exist, unreadable, XML not well-formed; why in err). */
int intended_read_file(const char *dir, const char *name, char **text, size_t *len, char *err,
		       size_t errlen);

/* The newest intended text of d: 0 found, 1 none, -1 error. */
int intended_get(struct store *s, const struct device *d, char **text, size_t *len);

/* XML (starts with '<' after blanks) or Junos text. */
bool intended_is_xml(const char *text, size_t len);

#endif
