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

/* Runs the group, or only the test named by argv[1] (ctest registers each
 * test of a binary that uses this as its own ctest entry). */
void testutil_filter(int argc, char **argv);
#define testutil_run_tests(argc, argv, tests) \
	(testutil_filter(argc, argv), cmocka_run_group_tests(tests, NULL, NULL))

#endif
