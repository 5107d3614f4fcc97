/* Unit tests: token buckets, standalone and in the bounded table. */
#include <stdlib.h>
#include <string.h>

#include "bucket.h"
#include "unit.h"

static const struct siphash_key seed = { 0x5151, 0xa2a2 };

static void key_of(uint32_t i, uint8_t k[BUCKET_KEYLEN])
{
	memset(k, 0, BUCKET_KEYLEN);
	k[0] = 4;
	memcpy(k + 1, &i, sizeof(i));
}

/* Takes allowed in a row at one instant. */
static unsigned drain(struct bucket *b, const struct bucket_rate *r, uint64_t now)
{
	unsigned n = 0;

	while (bucket_take(b, r, now) && n < 10000000)
		n++;
	return n;
}

static unsigned drain_table(struct bucket_table *bt, const uint8_t *k,
			    const struct bucket_rate *r, uint64_t now)
{
	unsigned n = 0;

	while (bucket_table_take(bt, k, r, now) && n < 10000000)
		n++;
	return n;
}

START_TEST(bucket_burst_then_refusal)
{
	struct bucket_rate r = { 10, 5 };
	struct bucket b;

	bucket_init(&b, &r, 1000);
	ck_assert_uint_eq(drain(&b, &r, 1000), 5);
	ck_assert(!bucket_take(&b, &r, 1000));
}
END_TEST

START_TEST(bucket_refills_at_rate)
{
	struct bucket_rate r = { 10, 5 };
	struct bucket b;

	bucket_init(&b, &r, 1000);
	drain(&b, &r, 1000);
	ck_assert(!bucket_take(&b, &r, 1099));	/* 0.99 of a token */
	ck_assert(bucket_take(&b, &r, 1100));	/* exactly one more */
	ck_assert(!bucket_take(&b, &r, 1100));
	ck_assert_uint_eq(drain(&b, &r, 1400), 3);	/* 300 ms: three */
}
END_TEST

START_TEST(bucket_caps_at_burst_after_idle)
{
	struct bucket_rate r = { 10, 5 };
	struct bucket b;

	bucket_init(&b, &r, 0);
	drain(&b, &r, 0);
	ck_assert_uint_eq(drain(&b, &r, UINT64_C(1) << 40), 5);
	ck_assert_uint_eq(b.tokens_mt, 0);
}
END_TEST

START_TEST(bucket_rate_zero_is_unlimited)
{
	struct bucket_rate r = { 0, 1 };
	struct bucket b;
	struct bucket_table bt;
	uint8_t k[BUCKET_KEYLEN];

	bucket_init(&b, &r, 0);
	for (int i = 0; i < 100000; i++)
		ck_assert(bucket_take(&b, &r, 0));
	ck_assert_int_eq(bucket_table_init(&bt, 64, &seed), 0);
	key_of(1, k);
	for (int i = 0; i < 100000; i++)
		ck_assert(bucket_table_take(&bt, k, &r, 0));
	ck_assert_uint_eq(bt.t.count, 0);	/* unlimited costs no memory */
	bucket_table_free(&bt);
}
END_TEST

START_TEST(bucket_burst_zero_counts_as_one)
{
	struct bucket_rate r = { 1, 0 };
	struct bucket b;

	bucket_init(&b, &r, 0);
	ck_assert_uint_eq(drain(&b, &r, 0), 1);
	ck_assert_uint_eq(drain(&b, &r, 1000), 1);
}
END_TEST

START_TEST(bucket_large_values_no_overflow)
{
	struct bucket_rate r = { BUCKET_RATE_MAX, BUCKET_BURST_MAX };
	struct bucket_rate huge = { UINT32_MAX, UINT32_MAX };
	struct bucket b;
	struct bucket_table bt;
	uint8_t k[BUCKET_KEYLEN];

	bucket_init(&b, &r, 0);
	ck_assert_uint_eq(drain(&b, &r, 0), BUCKET_BURST_MAX);
	ck_assert_uint_eq(drain(&b, &r, 1), 10000);	/* 10M/s: 10000 per ms */
	ck_assert_uint_eq(drain(&b, &r, UINT64_MAX), BUCKET_BURST_MAX);
	bucket_init(&b, &huge, 0);	/* clamped to the documented maximum */
	ck_assert_uint_eq(b.tokens_mt, (uint64_t)BUCKET_BURST_MAX * 1000);
	ck_assert(bucket_take(&b, &huge, UINT64_MAX));

	ck_assert_int_eq(bucket_table_init(&bt, 64, &seed), 0);
	key_of(7, k);
	ck_assert(bucket_table_take(&bt, k, &r, 5000));
	ck_assert_uint_eq(bucket_table_tokens(&bt, k, &r, 5000), BUCKET_BURST_MAX - 1);
	ck_assert_uint_eq(bucket_table_tokens(&bt, k, &r, 5001), BUCKET_BURST_MAX);
	/* Slowest rate, biggest burst: the longest-lived entry (11.6 days),
	 * whose age must still be read right from 32 bits of time. */
	r.rate = 1;
	key_of(8, k);
	ck_assert_uint_eq(drain_table(&bt, k, &r, 5000), BUCKET_BURST_MAX);
	ck_assert_uint_eq(bucket_table_tokens(&bt, k, &r, 5000 + 999000000), 999000);
	ck_assert_uint_eq(bucket_table_tokens(&bt, k, &r, 5000 + 999999999), 999999);
	ck_assert_ptr_nonnull(table_lookup(&bt.t, k, 5000 + 999999999));
	ck_assert_ptr_null(table_lookup(&bt.t, k, 5000 + 1000000000));	/* full: gone */
	ck_assert_uint_eq(bucket_table_tokens(&bt, k, &r, 5000 + 1000000000), BUCKET_BURST_MAX);
	bucket_table_free(&bt);
}
END_TEST

START_TEST(bucket_clock_backwards_mints_nothing)
{
	struct bucket_rate r = { 10, 5 };
	struct bucket b;
	struct bucket_table bt;
	uint8_t k[BUCKET_KEYLEN];

	bucket_init(&b, &r, 10000);
	drain(&b, &r, 10000);
	ck_assert(!bucket_take(&b, &r, 5000));
	/* Jitter back and forth around one instant mints nothing either. */
	for (int i = 0; i < 100; i++) {
		ck_assert(!bucket_take(&b, &r, 9999));
		ck_assert(!bucket_take(&b, &r, 10000));
	}
	ck_assert(bucket_take(&b, &r, 10100));

	ck_assert_int_eq(bucket_table_init(&bt, 64, &seed), 0);
	key_of(3, k);
	ck_assert_uint_eq(drain_table(&bt, k, &r, 10000), 5);
	ck_assert(!bucket_table_take(&bt, k, &r, 5000));
	ck_assert(!bucket_table_take(&bt, k, &r, 10099));
	ck_assert(bucket_table_take(&bt, k, &r, 10100));
	/* Across a 32-bit wrap of the millisecond clock too. */
	key_of(4, k);
	ck_assert_uint_eq(drain_table(&bt, k, &r, UINT64_C(0x100000010)), 5);
	ck_assert(!bucket_table_take(&bt, k, &r, UINT64_C(0xfffffff0)));
	ck_assert(bucket_table_take(&bt, k, &r, UINT64_C(0x100000010) + 100));
	bucket_table_free(&bt);
}
END_TEST

START_TEST(bucket_table_keys_independent)
{
	struct bucket_rate r = { 10, 3 };
	struct bucket_table bt;
	uint8_t a[BUCKET_KEYLEN], b[BUCKET_KEYLEN];

	ck_assert_int_eq(bucket_table_init(&bt, 1024, &seed), 0);
	key_of(1, a);
	key_of(2, b);
	ck_assert_uint_eq(drain_table(&bt, a, &r, 0), 3);
	ck_assert_uint_eq(drain_table(&bt, b, &r, 0), 3);
	ck_assert_uint_eq(bucket_table_tokens(&bt, a, &r, 0), 0);
	ck_assert_uint_eq(bucket_table_tokens(&bt, a, &r, 250), 2);	/* peeking takes nothing */
	ck_assert_uint_eq(bucket_table_tokens(&bt, a, &r, 250), 2);
	ck_assert(!bucket_table_take(&bt, a, &r, 50));
	ck_assert(bucket_table_take(&bt, a, &r, 100));
	ck_assert(!bucket_table_take(&bt, a, &r, 100));
	ck_assert(bucket_table_take(&bt, b, &r, 100));
	ck_assert_uint_eq(bt.t.count, 2);
	key_of(3, a);
	ck_assert_uint_eq(bucket_table_tokens(&bt, a, &r, 100), 3);	/* absent: full */
	ck_assert_uint_eq(bt.t.count, 2);
	r.rate = 0;
	ck_assert_uint_eq(bucket_table_tokens(&bt, a, &r, 100), UINT32_MAX);
	bucket_table_free(&bt);
}
END_TEST

START_TEST(bucket_table_expiry_reclaims_full_buckets)
{
	struct bucket_rate r = { 10, 3 };
	struct bucket_table bt;
	uint8_t k[BUCKET_KEYLEN];

	ck_assert_int_eq(bucket_table_init(&bt, 1024, &seed), 0);
	for (uint32_t i = 0; i < 100; i++) {
		key_of(i, k);
		ck_assert(bucket_table_take(&bt, k, &r, 1000));
	}
	/* One token missing at 10/s: full again, and reclaimable, at +100 ms. */
	ck_assert_uint_eq(bucket_table_sweep(&bt, 1099, 1024), 0);
	ck_assert_uint_eq(bucket_table_sweep(&bt, 1100, 1024), 100);
	ck_assert_uint_eq(bt.t.count, 0);
	key_of(0, k);
	ck_assert_uint_eq(drain_table(&bt, k, &r, 1100), 3);	/* nothing was lost */
	/* Empty at 2000: full at 2300, not before. */
	ck_assert_uint_eq(drain_table(&bt, k, &r, 2000), 3);
	ck_assert_ptr_nonnull(table_lookup(&bt.t, k, 2299));
	ck_assert_ptr_null(table_lookup(&bt.t, k, 2300));
	bucket_table_free(&bt);
}
END_TEST

START_TEST(bucket_table_eviction_refills)
{
	struct bucket_rate r = { 1, 2 };
	struct bucket_table bt;
	struct siphash_key zero = { 0, 0 };
	uint8_t k[BUCKET_KEYLEN];

	ck_assert_int_eq(bucket_table_init(&bt, 64, &zero), -1);
	ck_assert_int_eq(bucket_table_init(&bt, 64, &seed), 0);
	/* Key 0 misses one token (full at 1000); the crowd misses two (full
	 * at 2010), so key 0 is the first victim: the bucket nearest full. */
	key_of(0, k);
	ck_assert(bucket_table_take(&bt, k, &r, 0));
	for (uint32_t i = 1; i <= 1000; i++) {
		key_of(i, k);
		ck_assert_uint_eq(drain_table(&bt, k, &r, 10), 2);
	}
	ck_assert_uint_eq(bt.t.count, 64);
	ck_assert_uint_eq(bt.t.evictions, 1001 - 64);
	key_of(0, k);
	ck_assert_ptr_null(table_lookup(&bt.t, k, 10));
	ck_assert_uint_eq(drain_table(&bt, k, &r, 10), 2);	/* full again */
	bucket_table_free(&bt);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("bucket");
	TCase *tc = unit_tcase("core");

	tcase_add_test(tc, bucket_burst_then_refusal);
	tcase_add_test(tc, bucket_refills_at_rate);
	tcase_add_test(tc, bucket_caps_at_burst_after_idle);
	tcase_add_test(tc, bucket_rate_zero_is_unlimited);
	tcase_add_test(tc, bucket_burst_zero_counts_as_one);
	tcase_add_test(tc, bucket_large_values_no_overflow);
	tcase_add_test(tc, bucket_clock_backwards_mints_nothing);
	tcase_add_test(tc, bucket_table_keys_independent);
	tcase_add_test(tc, bucket_table_expiry_reclaims_full_buckets);
	tcase_add_test(tc, bucket_table_eviction_refills);
	suite_add_tcase(s, tc);
	return s;
}
