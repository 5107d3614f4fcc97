/* Unit tests: the verdict-latency histogram. */
#include <string.h>

#include "lat.h"
#include "unit.h"

/* Every value lies in its bucket, the buckets tile the line in order, and
 * a bucket spans at most 1/32 of its lower end (the ~3 % resolution). */
START_TEST(lat_buckets_tile_the_line)
{
	uint64_t lo = 0;

	for (unsigned b = 0; b < LAT_BUCKETS - 1; b++) {
		uint64_t hi = lat_bucket_max(b);

		ck_assert_uint_ge(hi, lo);
		ck_assert_uint_eq(lat_bucket(lo), b);
		ck_assert_uint_eq(lat_bucket(hi), b);
		if (lo >= LAT_SUB)
			ck_assert_uint_le(hi - lo + 1, lo / LAT_SUB);
		lo = hi + 1;
	}
	ck_assert_uint_eq(lat_bucket(UINT64_MAX), LAT_BUCKETS - 1);
	ck_assert_uint_eq(lat_bucket(lo), LAT_BUCKETS - 1);
}
END_TEST

START_TEST(lat_quantiles_within_resolution)
{
	static struct lat_hist h;

	memset(&h, 0, sizeof(h));
	ck_assert_uint_eq(lat_quantile(&h, 0.99), 0);
	/* 1..1000 us once each: p50 ~500, p99 ~990. */
	for (uint64_t v = 1; v <= 1000; v++)
		lat_record(&h, v);
	ck_assert_uint_ge(lat_quantile(&h, 0.5), 500);
	ck_assert_uint_le(lat_quantile(&h, 0.5), 500 * 33 / 32 + 1);
	ck_assert_uint_ge(lat_quantile(&h, 0.99), 990);
	ck_assert_uint_le(lat_quantile(&h, 0.99), 990 * 33 / 32 + 1);
	ck_assert_uint_ge(lat_quantile(&h, 1.0), 1000);
	/* Rotated, the old window still counts; rotated twice it is gone. */
	lat_rotate(&h);
	ck_assert_uint_eq(lat_count(&h), 1000);
	for (int i = 0; i < 1000; i++)
		lat_record(&h, 5);
	ck_assert_uint_eq(lat_count(&h), 2000);
	ck_assert_uint_eq(lat_quantile(&h, 0.5), 5);
	lat_rotate(&h);
	ck_assert_uint_eq(lat_count(&h), 1000);
	ck_assert_uint_eq(lat_quantile(&h, 0.99), 5);
	lat_rotate(&h);
	ck_assert_uint_eq(lat_count(&h), 0);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("lat");
	TCase *tc = unit_tcase("core");

	tcase_add_test(tc, lat_buckets_tile_the_line);
	tcase_add_test(tc, lat_quantiles_within_resolution);
	suite_add_tcase(s, tc);
	return s;
}
