/* Unit tests: Space-Saving heavy hitters. */
#include <stdlib.h>
#include <string.h>

#include "hh.h"
#include "unit.h"

static const struct siphash_key seed = { 0x7777, 0x8888 };

static void key_of(uint32_t i, uint8_t k[HH_KEYLEN])
{
	memset(k, 0, HH_KEYLEN);
	k[0] = 6;
	memcpy(k + 13, &i, sizeof(i));
}

static uint32_t key_id(const uint8_t k[HH_KEYLEN])
{
	uint32_t i;

	memcpy(&i, k + 13, sizeof(i));
	return i;
}

/* xorshift32: reproducible "spoofed sources". */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

START_TEST(hh_rejects_bad_init)
{
	struct hh h;
	struct siphash_key zero = { 0, 0 };

	ck_assert_int_eq(hh_init(&h, 0, &seed), -1);
	ck_assert_int_eq(hh_init(&h, HH_K_MAX + 1, &seed), -1);
	ck_assert_int_eq(hh_init(&h, 8, &zero), -1);
	ck_assert_int_eq(hh_init(&h, HH_K_MAX, &seed), 0);
	hh_free(&h);
}
END_TEST

START_TEST(hh_exact_below_k)
{
	struct hh h;
	struct hh_entry top[16];
	uint8_t k[HH_KEYLEN];

	ck_assert_int_eq(hh_init(&h, 16, &seed), 0);
	for (uint32_t i = 1; i <= 10; i++) {
		key_of(i, k);
		for (uint32_t j = 0; j < i; j++)
			hh_add(&h, k, 1);
		hh_add(&h, k, 100 * i);
	}
	hh_add(&h, k, 0);	/* no-op */
	ck_assert_uint_eq(hh_total(&h), 55 + 5500);
	ck_assert_uint_eq(hh_top(&h, top, 16), 10);
	for (uint32_t r = 0; r < 10; r++) {
		ck_assert_uint_eq(key_id(top[r].key), 10 - r);
		ck_assert_uint_eq(top[r].count, 101 * (10 - r));
		ck_assert_uint_eq(top[r].error, 0);
	}
	hh_free(&h);
}
END_TEST

START_TEST(hh_finds_heavy_among_random)
{
	struct hh h;
	struct hh_entry top[64];
	uint8_t k[HH_KEYLEN];
	uint32_t s = 12345;
	uint64_t sum = 0, true_a = 0, true_b = 0;

	ck_assert_int_eq(hh_init(&h, 64, &seed), 0);
	for (uint32_t i = 0; i < 100000; i++) {
		key_of(rnd(&s) | 0x80000000u, k);
		hh_add(&h, k, 1);
		if (i % 10 == 0) {
			key_of(1, k);
			hh_add(&h, k, 1);
			true_a++;
		}
		if (i % 20 == 0) {
			key_of(2, k);
			hh_add(&h, k, 1);
			true_b++;
		}
	}
	ck_assert_uint_eq(hh_top(&h, top, 64), 64);
	ck_assert_uint_eq(key_id(top[0].key), 1);
	ck_assert_uint_eq(key_id(top[1].key), 2);
	ck_assert_uint_ge(top[0].count, true_a);
	ck_assert_uint_le(top[0].count - top[0].error, true_a);
	ck_assert_uint_ge(top[1].count, true_b);
	ck_assert_uint_le(top[1].count - top[1].error, true_b);
	/* The invariants behind the guarantee: counters sum to the total, so
	 * the smallest, and every error, is at most total/k. */
	for (int i = 0; i < 64; i++) {
		sum += top[i].count;
		ck_assert_uint_le(top[i].error, hh_total(&h) / 64);
	}
	ck_assert_uint_eq(sum, hh_total(&h));
	hh_free(&h);
}
END_TEST

/* Churn through a key space larger than k and check every monitored count
 * against the truth: exercises the heap and index bookkeeping. */
START_TEST(hh_bounds_hold_under_churn)
{
	enum { KEYS = 3000, K = 1024 };
	static uint64_t truth[KEYS];
	static struct hh_entry top[K];
	struct hh h;
	uint8_t k[HH_KEYLEN], seen[KEYS] = { 0 };
	uint32_t s = 777;

	memset(truth, 0, sizeof(truth));
	ck_assert_int_eq(hh_init(&h, K, &seed), 0);
	for (int i = 0; i < 200000; i++) {
		uint32_t id = rnd(&s) % KEYS, n = 1 + rnd(&s) % 3;

		id = id % 7 == 0 ? id % 50 : id;	/* skew towards a few keys */
		key_of(id, k);
		hh_add(&h, k, n);
		truth[id] += n;
	}
	ck_assert_uint_eq(hh_top(&h, top, K), K);
	for (int i = 0; i < K; i++) {
		uint32_t id = key_id(top[i].key);

		ck_assert_uint_lt(id, KEYS);
		ck_assert(!seen[id]);
		seen[id] = 1;
		ck_assert_uint_ge(top[i].count, truth[id]);
		ck_assert_uint_le(top[i].count - top[i].error, truth[id]);
		if (i > 0)
			ck_assert_uint_ge(top[i - 1].count, top[i].count);
	}
	for (uint32_t id = 0; id < KEYS; id++)
		if (truth[id] > hh_total(&h) / K)
			ck_assert(seen[id]);
	hh_free(&h);
}
END_TEST

START_TEST(hh_reset_forgets)
{
	struct hh h;
	struct hh_entry top[4];
	uint8_t k[HH_KEYLEN];

	ck_assert_int_eq(hh_init(&h, 4, &seed), 0);
	for (uint32_t i = 0; i < 100; i++) {
		key_of(i, k);
		hh_add(&h, k, i);
	}
	hh_reset(&h);
	ck_assert_uint_eq(hh_total(&h), 0);
	ck_assert_uint_eq(hh_top(&h, top, 4), 0);
	key_of(5, k);
	hh_add(&h, k, 3);
	ck_assert_uint_eq(hh_top(&h, top, 4), 1);
	ck_assert_uint_eq(key_id(top[0].key), 5);
	ck_assert_uint_eq(top[0].count, 3);
	ck_assert_uint_eq(top[0].error, 0);
	hh_free(&h);
}
END_TEST

START_TEST(hh_top_sorted_and_truncated)
{
	static const uint64_t counts[] = { 5, 9, 1, 7, 7, 3, 9, 2 };
	struct hh h;
	struct hh_entry top[8];
	uint8_t k[HH_KEYLEN];

	ck_assert_int_eq(hh_init(&h, 8, &seed), 0);
	for (uint32_t i = 0; i < 8; i++) {
		key_of(i, k);
		hh_add(&h, k, counts[i]);
	}
	ck_assert_uint_eq(hh_top(&h, top, 0), 0);
	ck_assert_uint_eq(hh_top(&h, top, 3), 3);
	/* Ties go by key bytes: ids 1 and 6 both have 9, then 3 and 4 have 7. */
	ck_assert_uint_eq(key_id(top[0].key), 1);
	ck_assert_uint_eq(key_id(top[1].key), 6);
	ck_assert_uint_eq(key_id(top[2].key), 3);
	ck_assert_uint_eq(hh_top(&h, top, 8), 8);
	for (int i = 1; i < 8; i++)
		ck_assert_uint_ge(top[i - 1].count, top[i].count);
	ck_assert_uint_eq(top[7].count, 1);
	hh_free(&h);
}
END_TEST

START_TEST(hh_k_one)
{
	struct hh h;
	struct hh_entry top[2];
	uint8_t k[HH_KEYLEN];

	ck_assert_int_eq(hh_init(&h, 1, &seed), 0);
	for (uint32_t i = 0; i < 1000; i++) {
		key_of(i % 3, k);
		hh_add(&h, k, 2);
	}
	/* One counter holds everything; the last key owns it. */
	ck_assert_uint_eq(hh_top(&h, top, 2), 1);
	ck_assert_uint_eq(key_id(top[0].key), 999 % 3);
	ck_assert_uint_eq(top[0].count, 2000);
	ck_assert_uint_eq(top[0].error, 1998);
	key_of(0, k);
	hh_add(&h, k, 5);
	ck_assert_uint_eq(hh_top(&h, top, 2), 1);
	ck_assert_uint_eq(top[0].count, 2005);
	ck_assert_uint_eq(top[0].error, 1998);
	hh_free(&h);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("hh");
	TCase *tc = unit_tcase("core");

	tcase_add_test(tc, hh_rejects_bad_init);
	tcase_add_test(tc, hh_exact_below_k);
	tcase_add_test(tc, hh_finds_heavy_among_random);
	tcase_add_test(tc, hh_bounds_hold_under_churn);
	tcase_add_test(tc, hh_reset_forgets);
	tcase_add_test(tc, hh_top_sorted_and_truncated);
	tcase_add_test(tc, hh_k_one);
	suite_add_tcase(s, tc);
	return s;
}
