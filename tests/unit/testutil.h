/* testutil.h: helpers shared by the cmocka unit tests. */
#ifndef RESYNCD_TESTUTIL_H
#define RESYNCD_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* Makes a fresh temporary directory (mkdtemp); caller removes it. */
char *testutil_tmpdir(void);
void testutil_rmrf(const char *dir);

#endif
