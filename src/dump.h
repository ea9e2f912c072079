/* dump.h: `resyncd --dump-state`: the stored devices and jobs as TSV. */
#ifndef RESYNCD_DUMP_H
#define RESYNCD_DUMP_H

#include <stdio.h>

int dump_state(const char *state_dir, FILE *out);

#endif
