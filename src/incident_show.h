/* incident_show.h: `resyncd --incident ID`: one stored incident with its
 * captured output, printed for an operator. */
#ifndef RESYNCD_INCIDENT_SHOW_H
#define RESYNCD_INCIDENT_SHOW_H

#include <stdio.h>

/* 0 printed, 1 no such incident (or a bad ID), -1 store error. */
int incident_show_main(const char *state_dir, const char *id, FILE *out);

#endif
