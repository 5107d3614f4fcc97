/* Unit tests: the attack detector's hysteresis. */
#include <stdlib.h>

#include "detect.h"
#include "unit.h"

static const struct detect_cfg cfg = {
	.halfopen_high = 1000, .halfopen_low = 200,
	.rate_high = 5000, .rate_low = 1000,
	.hold_ms = 3000,
};

/* One window end per second, starting at 1000 ms. */
static enum detect_event tick(struct detect *d, unsigned sec, uint64_t halfopen, uint64_t rate)
{
	return detect_update(d, &cfg, halfopen, rate, sec * 1000u, true);
}

START_TEST(detect_cfg_check_marks)
{
	struct detect_cfg c = cfg;

	ck_assert_ptr_null(detect_cfg_check(&c));
	c.halfopen_low = c.halfopen_high;
	ck_assert_ptr_nonnull(detect_cfg_check(&c));
	c = cfg;
	c.rate_low = c.rate_high + 1;
	ck_assert_ptr_nonnull(detect_cfg_check(&c));
	c = cfg;
	c.hold_ms = 0;
	ck_assert_ptr_null(detect_cfg_check(&c));
}
END_TEST

START_TEST(detect_passive_below_thresholds)
{
	struct detect d;

	detect_init(&d, 0);
	ck_assert_int_eq(d.state, DETECT_PASSIVE);
	for (unsigned s = 1; s < 100; s++) {
		ck_assert_int_eq(tick(&d, s, 1000, 5000), DETECT_EV_NONE);	/* at, not over */
		ck_assert_int_eq(detect_update(&d, &cfg, 999, 4999, s * 1000 + 500, false),
				 DETECT_EV_NONE);
	}
	ck_assert_int_eq(d.state, DETECT_PASSIVE);
	ck_assert_uint_eq(d.attacks, 0);
}
END_TEST

START_TEST(detect_start_on_halfopen_alone)
{
	struct detect d;

	detect_init(&d, 0);
	ck_assert_int_eq(tick(&d, 1, 1001, 0), DETECT_EV_START);
	ck_assert_int_eq(d.state, DETECT_ATTACK);
	ck_assert_uint_eq(d.since_ms, 1000);
	ck_assert_uint_eq(d.start_halfopen, 1001);
	ck_assert_uint_eq(d.start_rate, 0);
	ck_assert_uint_eq(d.attacks, 1);
	ck_assert_int_eq(tick(&d, 2, 5000, 0), DETECT_EV_NONE);	/* no second start */
	ck_assert_uint_eq(d.attacks, 1);
}
END_TEST

START_TEST(detect_start_on_rate_alone)
{
	struct detect d;

	detect_init(&d, 0);
	ck_assert_int_eq(tick(&d, 1, 0, 5001), DETECT_EV_START);
	ck_assert_uint_eq(d.start_rate, 5001);
	ck_assert_uint_eq(d.start_halfopen, 0);
}
END_TEST

START_TEST(detect_start_mid_window)
{
	struct detect d;

	detect_init(&d, 0);
	ck_assert_int_eq(tick(&d, 1, 10, 10), DETECT_EV_NONE);
	/* 300 ms into the window the count so far already exceeds the mark:
	 * no need to wait for the window to close. */
	ck_assert_int_eq(detect_update(&d, &cfg, 10, 5200, 1300, false), DETECT_EV_START);
	ck_assert_uint_eq(d.since_ms, 1300);
	ck_assert_uint_eq(d.start_rate, 5200);
	/* A mid-window reading that looks calm cannot end it. */
	ck_assert_int_eq(detect_update(&d, &cfg, 0, 0, 9000, false), DETECT_EV_NONE);
	ck_assert_int_eq(d.state, DETECT_ATTACK);
}
END_TEST

START_TEST(detect_no_end_while_one_figure_above_low)
{
	struct detect d;

	detect_init(&d, 0);
	ck_assert_int_eq(tick(&d, 1, 2000, 0), DETECT_EV_START);
	for (unsigned s = 2; s < 60; s++) {
		/* Both below high, but one is not below low. */
		ck_assert_int_eq(tick(&d, s, s % 2 ? 200 : 0, s % 2 ? 0 : 1000), DETECT_EV_NONE);
	}
	ck_assert_int_eq(d.state, DETECT_ATTACK);
}
END_TEST

START_TEST(detect_end_exactly_after_hold)
{
	struct detect d;

	detect_init(&d, 0);
	ck_assert_int_eq(tick(&d, 1, 2000, 9000), DETECT_EV_START);
	ck_assert_int_eq(tick(&d, 2, 50, 10), DETECT_EV_NONE);	/* calm from 2000 */
	ck_assert_int_eq(tick(&d, 3, 50, 10), DETECT_EV_NONE);
	ck_assert_int_eq(tick(&d, 4, 50, 10), DETECT_EV_NONE);
	ck_assert_int_eq(detect_update(&d, &cfg, 50, 10, 4999, true), DETECT_EV_NONE);
	ck_assert_int_eq(detect_update(&d, &cfg, 50, 10, 5000, true), DETECT_EV_END);
	ck_assert_int_eq(d.state, DETECT_PASSIVE);
	ck_assert_uint_eq(d.since_ms, 5000);
	ck_assert_int_eq(tick(&d, 6, 50, 10), DETECT_EV_NONE);
}
END_TEST

START_TEST(detect_noisy_window_resets_calm)
{
	struct detect d;

	detect_init(&d, 0);
	ck_assert_int_eq(tick(&d, 1, 2000, 9000), DETECT_EV_START);
	ck_assert_int_eq(tick(&d, 2, 50, 10), DETECT_EV_NONE);
	ck_assert_int_eq(tick(&d, 3, 50, 10), DETECT_EV_NONE);
	ck_assert_int_eq(tick(&d, 4, 50, 1500), DETECT_EV_NONE);	/* noisy */
	ck_assert_uint_eq(d.calm_since_ms, DETECT_NEVER);
	ck_assert_int_eq(tick(&d, 5, 50, 10), DETECT_EV_NONE);	/* calm again from 5000 */
	ck_assert_int_eq(tick(&d, 6, 50, 10), DETECT_EV_NONE);
	ck_assert_int_eq(tick(&d, 7, 50, 10), DETECT_EV_NONE);
	/* A mid-window half-open reading above low breaks the run as well. */
	ck_assert_int_eq(detect_update(&d, &cfg, 300, 10, 7500, false), DETECT_EV_NONE);
	ck_assert_int_eq(tick(&d, 8, 50, 10), DETECT_EV_NONE);	/* calm again from 8000 */
	ck_assert_int_eq(tick(&d, 10, 50, 10), DETECT_EV_NONE);
	ck_assert_int_eq(tick(&d, 11, 50, 10), DETECT_EV_END);
}
END_TEST

/* Input flapping across the high mark: a start/end pair needs a whole hold
 * of calm, so pairs never come faster than that. */
START_TEST(detect_flapping_does_not_flap)
{
	struct detect d;
	unsigned starts = 0, ends = 0, last_noisy = 0, last_start = 0;

	detect_init(&d, 0);
	for (unsigned s = 1; s <= 600; s++) {
		/* Above high every other second for a minute, then every 3rd. */
		bool noisy = s <= 60 ? s % 2 : s % 3 == 0;
		enum detect_event ev = tick(&d, s, noisy ? 1001 : 0, 0);

		starts += ev == DETECT_EV_START;
		ends += ev == DETECT_EV_END;
		if (noisy)
			last_noisy = s;
	}
	ck_assert_uint_eq(starts, 1);
	ck_assert_uint_eq(ends, 0);
	ck_assert_int_eq(d.state, DETECT_ATTACK);
	/* Bursts 5 s apart with a 3 s hold: each burst is one attack. */
	for (unsigned s = 601; s <= 700; s++) {
		bool noisy = s % 5 == 0;
		enum detect_event ev = tick(&d, s, noisy ? 1001 : 0, 0);

		if (ev == DETECT_EV_START) {
			starts++;
			ck_assert_uint_gt((s - last_start) * 1000, cfg.hold_ms);
			last_start = s;
		} else if (ev == DETECT_EV_END) {
			ends++;
			ck_assert_uint_ge((s - last_noisy) * 1000, cfg.hold_ms + 1000);
		}
		if (noisy)
			last_noisy = s;
	}
	ck_assert_uint_eq(starts, 1 + 20);
	ck_assert_uint_eq(ends, 20);
}
END_TEST

START_TEST(detect_peaks_and_start_figures)
{
	struct detect d;

	detect_init(&d, 0);
	ck_assert_int_eq(tick(&d, 1, 1200, 300), DETECT_EV_START);
	tick(&d, 2, 4000, 9000);
	detect_update(&d, &cfg, 7000, 100, 2500, false);
	tick(&d, 3, 3000, 12000);
	ck_assert_uint_eq(d.start_halfopen, 1200);
	ck_assert_uint_eq(d.start_rate, 300);
	ck_assert_uint_eq(d.peak_halfopen, 7000);
	ck_assert_uint_eq(d.peak_rate, 12000);
	for (unsigned s = 4; s <= 7; s++)
		tick(&d, s, 0, 0);
	ck_assert_int_eq(d.state, DETECT_PASSIVE);
	ck_assert_uint_eq(d.peak_halfopen, 7000);	/* kept for the report */
	tick(&d, 8, 0, 6000);	/* a new attack starts its own figures */
	ck_assert_uint_eq(d.attacks, 2);
	ck_assert_uint_eq(d.peak_halfopen, 0);
	ck_assert_uint_eq(d.peak_rate, 6000);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("detect");
	TCase *tc = unit_tcase("core");

	tcase_add_test(tc, detect_cfg_check_marks);
	tcase_add_test(tc, detect_passive_below_thresholds);
	tcase_add_test(tc, detect_start_on_halfopen_alone);
	tcase_add_test(tc, detect_start_on_rate_alone);
	tcase_add_test(tc, detect_start_mid_window);
	tcase_add_test(tc, detect_no_end_while_one_figure_above_low);
	tcase_add_test(tc, detect_end_exactly_after_hold);
	tcase_add_test(tc, detect_noisy_window_resets_calm);
	tcase_add_test(tc, detect_flapping_does_not_flap);
	tcase_add_test(tc, detect_peaks_and_start_figures);
	suite_add_tcase(s, tc);
	return s;
}
