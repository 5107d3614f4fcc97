/* Unit tests: the bounded expiring table. */
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "unit.h"

static const struct siphash_key seed = { 0x1111, 0x2222 };

static void key_of(uint32_t i, uint8_t k[17])
{
	memset(k, 0, 17);
	memcpy(k, &i, sizeof(i));
}

START_TEST(table_rejects_zero_seed_and_bad_keylen)
{
	struct table t;
	struct siphash_key zero = { 0, 0 };

	ck_assert_int_eq(table_init(&t, 64, 17, &zero), -1);
	ck_assert_int_eq(table_init(&t, 64, 0, &seed), -1);
	ck_assert_int_eq(table_init(&t, 64, TABLE_KEY_MAX + 1, &seed), -1);
}
END_TEST

START_TEST(table_insert_lookup_remove)
{
	struct table t;
	uint8_t k[17];
	uint64_t *v;

	ck_assert_int_eq(table_init(&t, 1024, 17, &seed), 0);
	ck_assert_uint_eq(table_capacity(&t), 1024);
	key_of(1, k);
	ck_assert_ptr_null(table_lookup(&t, k, 10));
	table_insert(&t, k, 77, 100, 10);
	v = table_lookup(&t, k, 10);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(*v, 77);
	table_insert(&t, k, 78, 200, 20);	/* update in place, no new entry */
	ck_assert_uint_eq(t.count, 1);
	ck_assert_uint_eq(*table_lookup(&t, k, 150), 78);
	ck_assert_int_eq(table_remove(&t, k), 0);
	ck_assert_int_eq(table_remove(&t, k), -1);
	ck_assert_ptr_null(table_lookup(&t, k, 150));
	ck_assert_uint_eq(t.count, 0);
	table_free(&t);
}
END_TEST

START_TEST(table_ttl_expiry)
{
	struct table t;
	uint8_t k[17];

	ck_assert_int_eq(table_init(&t, 64, 17, &seed), 0);
	key_of(5, k);
	table_insert(&t, k, 1, 1000, 0);
	ck_assert_ptr_nonnull(table_lookup(&t, k, 999));
	ck_assert_ptr_null(table_lookup(&t, k, 1000));	/* live while now < expires */
	ck_assert_uint_eq(t.expirations, 1);
	ck_assert_uint_eq(t.count, 0);
	table_free(&t);
}
END_TEST

START_TEST(table_cap_and_counted_eviction)
{
	struct table t;
	uint8_t k[17];
	size_t live = 0;

	ck_assert_int_eq(table_init(&t, 100, 17, &seed), 0);
	ck_assert_uint_eq(table_capacity(&t), 96);	/* 12 buckets of 8 */
	ck_assert_uint_eq(table_bytes(&t), 96 * t.slotsize);
	for (uint32_t i = 0; i < 10000; i++) {
		key_of(i, k);
		table_insert(&t, k, i, 1000 + i, 0);
	}
	ck_assert_uint_le(t.count, 96);
	ck_assert_uint_eq(t.count, 96);
	ck_assert_uint_eq(t.inserts, 10000);
	ck_assert_uint_eq(t.evictions, 10000 - 96);
	/* The victim is the entry closest to expiry: the newest keys survive. */
	for (uint32_t i = 9900; i < 10000; i++) {
		key_of(i, k);
		live += table_lookup(&t, k, 0) != NULL;
	}
	ck_assert_uint_ge(live, 50);
	table_free(&t);
}
END_TEST

static void count_cb(const void *key, uint64_t value, uint64_t expires, void *arg)
{
	(*(size_t *)arg)++;
}

START_TEST(table_sweep_reclaims_incrementally)
{
	struct table t;
	uint8_t k[17];
	size_t n = 0, reclaimed = 0;

	ck_assert_int_eq(table_init(&t, 4096, 17, &seed), 0);
	for (uint32_t i = 0; i < 1000; i++) {
		key_of(i, k);
		table_insert(&t, k, 0, i < 500 ? 100 : 10000, 0);
	}
	table_foreach(&t, 200, count_cb, &n);
	ck_assert_uint_eq(n, 500);
	ck_assert_uint_eq(t.count, 1000);
	/* Bounded slices: 512 buckets in 64-bucket steps. */
	for (int i = 0; i < 8; i++)
		reclaimed += table_sweep(&t, 200, 64);
	ck_assert_uint_eq(reclaimed, 500);
	ck_assert_uint_eq(t.count, 500);
	table_free(&t);
}
END_TEST

START_TEST(table_seed_changes_placement)
{
	struct table a, b;
	struct siphash_key other = { 0x3333, 0x4444 };
	uint8_t k[17];
	int differ = 0;

	ck_assert_int_eq(table_init(&a, 96, 17, &seed), 0);
	ck_assert_int_eq(table_init(&b, 96, 17, &other), 0);
	/* Fill both with the same 200 keys: which ones survive depends on the
	 * seed, so an attacker cannot pick colliding keys without it. */
	for (uint32_t i = 0; i < 200; i++) {
		key_of(i, k);
		table_insert(&a, k, 0, 1000, 0);
		table_insert(&b, k, 0, 1000, 0);
	}
	for (uint32_t i = 0; i < 200; i++) {
		key_of(i, k);
		differ += (table_lookup(&a, k, 0) != NULL) != (table_lookup(&b, k, 0) != NULL);
	}
	ck_assert_int_gt(differ, 0);
	table_free(&a);
	table_free(&b);
}
END_TEST

struct drops {
	size_t expired, evicted;
	uint64_t value_sum;
	uint32_t last_key;
};

static void drop_cb(const void *key, uint64_t value, int why, void *arg)
{
	struct drops *d = arg;

	if (why == TABLE_DROP_EVICTED)
		d->evicted++;
	else
		d->expired++;
	d->value_sum += value;
	memcpy(&d->last_key, key, sizeof(d->last_key));
}

START_TEST(table_drop_hook_sees_expiry_not_remove)
{
	struct table t;
	struct drops d = { 0 };
	uint8_t k[17];

	ck_assert_int_eq(table_init(&t, 64, 17, &seed), 0);
	ck_assert_ptr_null(t.on_drop);	/* off unless the owner sets it */
	t.on_drop = drop_cb;
	t.drop_arg = &d;
	key_of(1, k);
	table_insert(&t, k, 11, 100, 0);
	ck_assert_ptr_null(table_lookup(&t, k, 100));	/* expired on lookup */
	ck_assert_uint_eq(d.expired, 1);
	ck_assert_uint_eq(d.value_sum, 11);
	ck_assert_uint_eq(d.last_key, 1);
	key_of(2, k);
	table_insert(&t, k, 22, 100, 0);
	table_insert(&t, k, 23, 300, 150);	/* expired match found by insert */
	ck_assert_uint_eq(d.expired, 2);
	ck_assert_uint_eq(d.value_sum, 33);
	ck_assert_uint_eq(t.count, 1);
	ck_assert_int_eq(table_remove(&t, k), 0);	/* the owner's own doing */
	ck_assert_uint_eq(d.expired + d.evicted, 2);
	key_of(3, k);
	table_insert(&t, k, 33, 100, 0);
	ck_assert_uint_eq(table_sweep(&t, 100, 64), 1);
	ck_assert_uint_eq(d.expired, 3);
	ck_assert_uint_eq(d.last_key, 3);
	ck_assert_uint_eq(d.expired, t.expirations);
	table_free(&t);
}
END_TEST

START_TEST(table_drop_hook_counts_match_table)
{
	struct table t;
	struct drops d = { 0 };
	uint8_t k[17];

	ck_assert_int_eq(table_init(&t, 16, 17, &seed), 0);
	t.on_drop = drop_cb;
	t.drop_arg = &d;
	/* Half the keys expire at 50, so inserts at 100 reclaim expired slots
	 * (pick_slot) as well as evicting live ones. */
	for (uint32_t i = 0; i < 1000; i++) {
		key_of(i, k);
		table_insert(&t, k, 1, i % 2 ? 50 : 1000 + i, i < 500 ? 0 : 100);
	}
	ck_assert_uint_gt(d.evicted, 0);
	ck_assert_uint_gt(d.expired, 0);
	ck_assert_uint_eq(d.evicted, t.evictions);
	ck_assert_uint_eq(d.expired, t.expirations);
	ck_assert_uint_eq(d.value_sum, d.evicted + d.expired);
	ck_assert_uint_eq(t.inserts - d.evicted - d.expired, t.count);
	table_free(&t);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("table");
	TCase *tc = unit_tcase("core");

	tcase_add_test(tc, table_rejects_zero_seed_and_bad_keylen);
	tcase_add_test(tc, table_insert_lookup_remove);
	tcase_add_test(tc, table_ttl_expiry);
	tcase_add_test(tc, table_cap_and_counted_eviction);
	tcase_add_test(tc, table_sweep_reclaims_incrementally);
	tcase_add_test(tc, table_seed_changes_placement);
	tcase_add_test(tc, table_drop_hook_sees_expiry_not_remove);
	tcase_add_test(tc, table_drop_hook_counts_match_table);
	suite_add_tcase(s, tc);
	return s;
}
