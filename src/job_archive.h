/* job_archive.h: finished jobs appended to an archive file before they are
 * purged (J4), one JSON object per line (json-c), so an operator keeps the
 * history the job table no longer shows. */
#ifndef RESYNCD_JOB_ARCHIVE_H
#define RESYNCD_JOB_ARCHIVE_H

#include <stddef.h>

#include "model.h"

#define JOB_ARCHIVE_FILE "jobs-archive.jsonl"

/* One job as a JSON text (malloc'd, no newline); device names come from m
 * where the device still exists. NULL when out of memory. */
char *job_archive_json(const struct model *m, const struct job *j);

/* Appends n jobs to path (created 0600) and syncs it to disk: the caller
 * deletes the jobs from the store only after this returned 0. On error
 * returns -1 with err set, and the file is cut back to where it was. */
int job_archive_append(const char *path, const struct model *m, struct job *const *jobs, size_t n,
		       char *err, size_t errlen);

#endif
