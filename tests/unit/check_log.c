/* check_log: the per-kind limiter of log_kind_at (log_kind_note, pure): a
 * kind's first refusal logs, repeats within the period are only counted, a
 * repeat after it logs with their count; kinds are kept apart, and kinds
 * past LOG_KINDS share one slot instead of growing the table or the log. */
#include <errno.h>

#include "log.h"
#include "unit.h"

START_TEST(log_kind_first_then_quiet)
{
	struct log_kinds lk = { 0 };
	uint64_t rep = 99;

	ck_assert_int_eq(log_kind_note(&lk, ENOENT, 1000, &rep), LOG_KIND_FIRST);
	/* A refusal per packet for almost a minute: no line. */
	for (uint64_t t = 1000; t < 1000 + LOG_KIND_PERIOD_MS; t += 7)
		ck_assert_int_eq(log_kind_note(&lk, ENOENT, t, &rep), LOG_KIND_QUIET);
	ck_assert_uint_eq(rep, 99);	/* untouched while quiet */
	ck_assert_int_eq(log_kind_note(&lk, ENOENT, 1000 + LOG_KIND_PERIOD_MS, &rep),
			 LOG_KIND_SUMMARY);
	ck_assert_uint_eq(rep, (LOG_KIND_PERIOD_MS + 6) / 7);
	/* The count restarts with the summary, and so does the period. */
	ck_assert_int_eq(log_kind_note(&lk, ENOENT, 1000 + LOG_KIND_PERIOD_MS + 1, &rep),
			 LOG_KIND_QUIET);
	ck_assert_int_eq(log_kind_note(&lk, ENOENT, 1000 + 2 * LOG_KIND_PERIOD_MS + 1, &rep),
			 LOG_KIND_SUMMARY);
	ck_assert_uint_eq(rep, 1);
	/* A repeat after a long quiet: a summary of none in between. */
	ck_assert_int_eq(log_kind_note(&lk, ENOENT, 10 * LOG_KIND_PERIOD_MS, &rep),
			 LOG_KIND_SUMMARY);
	ck_assert_uint_eq(rep, 0);
}
END_TEST

START_TEST(log_kind_kinds_apart)
{
	struct log_kinds lk = { 0 };
	uint64_t rep = 0;

	ck_assert_int_eq(log_kind_note(&lk, ENOENT, 0, &rep), LOG_KIND_FIRST);
	ck_assert_int_eq(log_kind_note(&lk, EEXIST, 5, &rep), LOG_KIND_FIRST);
	ck_assert_int_eq(log_kind_note(&lk, ENOENT, 10, &rep), LOG_KIND_QUIET);
	ck_assert_int_eq(log_kind_note(&lk, EEXIST, 10, &rep), LOG_KIND_QUIET);
	ck_assert_int_eq(log_kind_note(&lk, ENOMEM, 20, &rep), LOG_KIND_FIRST);
	ck_assert_int_eq(log_kind_note(&lk, ENOENT, LOG_KIND_PERIOD_MS, &rep), LOG_KIND_SUMMARY);
	ck_assert_uint_eq(rep, 1);
	ck_assert_int_eq(log_kind_note(&lk, EEXIST, LOG_KIND_PERIOD_MS, &rep), LOG_KIND_QUIET);
	ck_assert_int_eq(log_kind_note(&lk, EEXIST, LOG_KIND_PERIOD_MS + 5, &rep),
			 LOG_KIND_SUMMARY);
	ck_assert_uint_eq(rep, 2);
}
END_TEST

START_TEST(log_kind_bounded)
{
	struct log_kinds lk = { 0 };
	uint64_t rep = 0;
	unsigned first = 0;

	/* Many distinct kinds: LOG_KINDS lines, the rest counted in the shared slot. */
	for (int e = 1; e <= 200; e++)
		first += log_kind_note(&lk, e, 100, &rep) == LOG_KIND_FIRST;
	ck_assert_uint_eq(first, LOG_KINDS);
	ck_assert_uint_eq(lk.used, LOG_KINDS);
	ck_assert_int_eq(lk.k[LOG_KINDS - 1].err, -1);
	ck_assert_int_eq(log_kind_note(&lk, 1000, 100 + LOG_KIND_PERIOD_MS, &rep), LOG_KIND_SUMMARY);
	ck_assert_uint_eq(rep, 200 - LOG_KINDS);
	/* The kinds before the shared slot keep their own. */
	ck_assert_int_eq(log_kind_note(&lk, 1, 100 + LOG_KIND_PERIOD_MS, &rep), LOG_KIND_SUMMARY);
	ck_assert_uint_eq(rep, 0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = unit_tcase("kinds");

	tcase_add_test(tc, log_kind_first_then_quiet);
	tcase_add_test(tc, log_kind_kinds_apart);
	tcase_add_test(tc, log_kind_bounded);
	suite_add_tcase(s, tc);
	return s;
}
