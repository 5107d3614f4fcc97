/* unit: what every unit test shares.  A test file defines unit_suite(),
 * which builds its Check suite; runner.c holds the one main() that runs it
 * and exits non-zero when a test failed. */
#ifndef SYNGUARD_TESTS_UNIT_H
#define SYNGUARD_TESTS_UNIT_H

#include <check.h>

/* Entries of a table of cases, for tcase_add_loop_test. */
#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* A test case's timeout only catches a hang: a sanitizer build on a busy
 * 2-core machine must never fail a test for being slow (speed is measured
 * by scripts/bench, not here). */
#define UNIT_TIMEOUT_S 300

static inline TCase *unit_tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, UNIT_TIMEOUT_S);
	return tc;
}

Suite *unit_suite(void);

#endif
