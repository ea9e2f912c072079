/* detach.h: going into the background without losing start-up errors. */
#ifndef RESYNCD_DETACH_H
#define RESYNCD_DETACH_H

/* Forks. The parent waits until the child calls detach_ready() (then exits
 * 0) or exits before (then exits with the child's status), so whoever
 * started resyncd learns whether it is running; the child's start-up errors
 * go to the stderr it inherited. Returns 0 in the child, -1 on error. */
int detach_begin(void);
/* The child is running: stdin/stdout/stderr go to /dev/null and the parent
 * exits 0. Does nothing without detach_begin(). */
void detach_ready(void);

#endif
