/* Unit tests: the proxy's in-flight handshake table (bounded, expiring,
 * evicting, early data bounded per handshake). */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy.h"
#include "unit.h"

static const struct siphash_key seed = { 0x1234, 0x5678 };
static const uint8_t server[16] = { 203, 0, 113, 2 };

/* Client 192.0.x.y (x.y = i) port cport -> the server, port 80. */
static struct sg_tuple client_of(unsigned i, uint16_t cport)
{
	struct sg_tuple k = { .family = AF_INET, .client_port = cport, .server_port = 80 };

	k.client[0] = 192;
	k.client[1] = 0;
	k.client[2] = (uint8_t)(i >> 8);
	k.client[3] = (uint8_t)i;
	memcpy(k.server, server, 16);
	return k;
}

START_TEST(proxy_add_find_remove)
{
	struct proxy_table t;
	struct proxy_conn ev, *c;
	struct sg_tuple k = client_of(7, 40000), other;

	ck_assert_int_eq(proxy_init(&t, 64, 2048, &seed), 0);
	c = proxy_add(&t, &k, 1000, &ev);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(ev.key, 0);
	c->client_isn = 42;
	ck_assert_ptr_eq(proxy_find(&t, &k, 999), c);
	other = client_of(7, 40001);
	ck_assert_ptr_null(proxy_find(&t, &other, 999));
	other = k;
	other.family = AF_INET6;
	ck_assert_ptr_null(proxy_find(&t, &other, 999));
	/* Expired: not found, but swept with the callback. */
	ck_assert_ptr_null(proxy_find(&t, &k, 1000));
	proxy_remove(&t, c);
	ck_assert_uint_eq(t.count, 0);
	ck_assert_ptr_null(proxy_find(&t, &k, 0));
	proxy_free(&t);
}
END_TEST

static void count_expired(const struct proxy_conn *c, void *arg)
{
	(*(unsigned *)arg)++;
	ck_assert_uint_ne(c->key, 0);
}

START_TEST(proxy_sweep_expires_with_callback)
{
	struct proxy_table t;
	struct proxy_conn ev;
	unsigned n = 0;

	ck_assert_int_eq(proxy_init(&t, 256, 0, &seed), 0);
	for (unsigned i = 0; i < 10; i++) {
		struct sg_tuple k = client_of(i, 1000);

		proxy_add(&t, &k, i < 4 ? 100 : 500, &ev);
	}
	ck_assert_uint_eq(proxy_sweep(&t, 200, t.nbuckets, count_expired, &n), 4);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(t.count, 6);
	ck_assert_uint_eq(proxy_sweep(&t, 500, t.nbuckets, count_expired, &n), 6);
	ck_assert_uint_eq(t.count, 0);
	proxy_free(&t);
}
END_TEST

START_TEST(proxy_full_table_evicts_oldest_and_counts)
{
	struct proxy_table t;
	struct proxy_conn ev;
	unsigned evicted = 0;

	ck_assert_int_eq(proxy_init(&t, 8, 0, &seed), 0);
	for (unsigned i = 0; i < 100; i++) {
		struct sg_tuple k = client_of(i, 1000);

		proxy_add(&t, &k, 1000 + i, &ev);
		if (ev.key) {
			evicted++;
			ck_assert_uint_lt(ev.expires_us, 1000 + i);
		}
	}
	ck_assert_uint_le(t.count, proxy_capacity(&t));
	ck_assert_uint_eq(t.evictions, evicted);
	ck_assert_uint_eq(t.count + evicted, 100);
	proxy_free(&t);
}
END_TEST

START_TEST(proxy_same_tuple_reuses_expired_slot)
{
	struct proxy_table t;
	struct proxy_conn ev;
	struct sg_tuple k = client_of(1, 1000);
	unsigned n = 0;

	ck_assert_int_eq(proxy_init(&t, 64, 0, &seed), 0);
	proxy_add(&t, &k, 100, &ev);
	proxy_add(&t, &k, 900, &ev);
	ck_assert_uint_eq(t.count, 1);
	/* The old attempt is gone: the sweep does not reset the new one early. */
	ck_assert_uint_eq(proxy_sweep(&t, 200, t.nbuckets, count_expired, &n), 0);
	ck_assert_ptr_nonnull(proxy_find(&t, &k, 200));
	proxy_free(&t);
}
END_TEST

START_TEST(proxy_early_data_bounded)
{
	struct proxy_table t;
	struct proxy_conn ev, *c;
	struct sg_tuple k = client_of(3, 1000);
	uint8_t pkt[1000], *p;
	uint32_t pos = 0;
	size_t len;

	ck_assert_int_eq(proxy_init(&t, 64, 2100, &seed), 0);
	c = proxy_add(&t, &k, 100, &ev);
	memset(pkt, 0xab, sizeof(pkt));
	ck_assert(proxy_hold(&t, c, pkt, 1000));
	pkt[0] = 0xcd;
	ck_assert(proxy_hold(&t, c, pkt, 1000));
	ck_assert(!proxy_hold(&t, c, pkt, 1000));	/* 3 * 1002 > 2100 */
	ck_assert(proxy_hold(&t, c, pkt, 90));
	p = (uint8_t *)proxy_held_next(c, &pos, &len);
	ck_assert_uint_eq(len, 1000);
	ck_assert_uint_eq(p[0], 0xab);
	p = (uint8_t *)proxy_held_next(c, &pos, &len);
	ck_assert_uint_eq(len, 1000);
	ck_assert_uint_eq(p[0], 0xcd);
	p = (uint8_t *)proxy_held_next(c, &pos, &len);
	ck_assert_uint_eq(len, 90);
	ck_assert_ptr_null(proxy_held_next(c, &pos, &len));
	/* A reused slot starts empty. */
	proxy_remove(&t, c);
	c = proxy_add(&t, &k, 100, &ev);
	ck_assert_uint_eq(c->early_len, 0);
	ck_assert_ptr_nonnull(c->early);
	proxy_free(&t);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("proxy");
	TCase *tc = unit_tcase("table");

	tcase_add_test(tc, proxy_add_find_remove);
	tcase_add_test(tc, proxy_sweep_expires_with_callback);
	tcase_add_test(tc, proxy_full_table_evicts_oldest_and_counts);
	tcase_add_test(tc, proxy_same_tuple_reuses_expired_slot);
	tcase_add_test(tc, proxy_early_data_bounded);
	suite_add_tcase(s, tc);
	return s;
}
