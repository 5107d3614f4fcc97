/* Unit tests: SipHash-2-4 reference vectors and the SYN-auth cookies. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cookie.h"
#include "siphash.h"

/* From the SipHash paper and its reference implementation: key 00..0f,
 * message 00..(n-1). */
static const struct { size_t n; uint64_t h; } vectors[] = {
	{ 0, 0x726fdb47dd0e0e31ULL },  { 1, 0x74f839c593dc67fdULL },
	{ 2, 0x0d6c8009d9a94f5aULL },  { 15, 0xa129ca6149be45e5ULL },
	{ 61, 0x9f626da15c9625f3ULL }, { 62, 0xe51b38608ef25f57ULL },
	{ 63, 0x958a324ceb064572ULL },
};

START_TEST(siphash_reference_vectors)
{
	uint8_t key[16], msg[64];
	struct siphash_key k;

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	k = siphash_key_from_bytes(key);
	ck_assert_uint_eq(k.k0, 0x0706050403020100ULL);
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		ck_assert_msg(siphash24(&k, msg, vectors[i].n) == vectors[i].h,
			      "vector n=%zu", vectors[i].n);
}
END_TEST

static struct cookie_ctx ctx_at(uint64_t epoch, uint64_t k0)
{
	struct siphash_key m = { k0, 0x1234 };
	struct cookie_ctx c;

	cookie_init(&c, &m, epoch);
	return c;
}

static struct cookie_tuple tuple4(uint8_t last, uint16_t sport)
{
	struct cookie_tuple t = { .family = AF_INET, .client_port = sport, .server_port = 80 };
	const uint8_t cl[4] = { 192, 0, 2, last }, sv[4] = { 203, 0, 113, 2 };

	memcpy(t.client, cl, 4);
	memcpy(t.server, sv, 4);
	return t;
}

static struct cookie_tuple tuple6(uint8_t last)
{
	struct cookie_tuple t = { .family = AF_INET6, .client_port = 40000, .server_port = 443 };

	t.client[0] = 0x20; t.client[1] = 0x01; t.client[2] = 0x0d; t.client[3] = 0xb8;
	t.client[15] = last;
	memcpy(t.server, t.client, 16);
	t.server[15] = 0x99;
	return t;
}

START_TEST(cookie_roundtrip_v4_v6)
{
	struct cookie_ctx c = ctx_at(1000, 7);
	struct cookie_tuple t4 = tuple4(2, 40000), t6 = tuple6(2);

	ck_assert_int_eq(cookie_check(&c, &t4, cookie_make(&c, &t4, 1)), COOKIE_VALID_CURRENT);
	ck_assert_int_eq(cookie_check(&c, &t6, cookie_make(&c, &t6, 1)), COOKIE_VALID_CURRENT);
}
END_TEST

START_TEST(cookie_binds_every_tuple_field)
{
	struct cookie_ctx c = ctx_at(1000, 7);
	struct cookie_tuple t = tuple4(2, 40000), u;
	uint32_t v = cookie_make(&c, &t, 99);

	u = t; u.client[3] ^= 1;
	ck_assert_int_eq(cookie_check(&c, &u, v), COOKIE_INVALID);
	u = t; u.server[0] ^= 1;
	ck_assert_int_eq(cookie_check(&c, &u, v), COOKIE_INVALID);
	u = t; u.client_port++;
	ck_assert_int_eq(cookie_check(&c, &u, v), COOKIE_INVALID);
	u = t; u.server_port++;
	ck_assert_int_eq(cookie_check(&c, &u, v), COOKIE_INVALID);
	ck_assert_int_eq(cookie_check(&c, &t, v ^ 4), COOKIE_INVALID);
	/* IPv6: a difference in the last address byte matters (full address). */
	{
		struct cookie_tuple a = tuple6(1), b = tuple6(1);

		b.client[8] ^= 0x80;
		ck_assert_int_eq(cookie_check(&c, &b, cookie_make(&c, &a, 5)), COOKIE_INVALID);
	}
}
END_TEST

START_TEST(cookie_epochs)
{
	struct cookie_ctx c = ctx_at(1000, 7);
	struct cookie_tuple t = tuple4(9, 1234);
	uint32_t v = cookie_make(&c, &t, 0);

	ck_assert(cookie_set_epoch(&c, 1001));
	ck_assert(!cookie_set_epoch(&c, 1001));
	ck_assert_int_eq(cookie_check(&c, &t, v), COOKIE_VALID_PREVIOUS);
	ck_assert(cookie_set_epoch(&c, 1002));
	ck_assert_int_eq(cookie_check(&c, &t, v), COOKIE_INVALID);	/* two rotations: gone */
	/* A jump (clock step) recomputes both keys correctly. */
	{
		struct cookie_ctx d = ctx_at(500, 7);
		uint32_t w;

		cookie_set_epoch(&d, 2000);
		w = cookie_make(&d, &t, 0);
		ck_assert_int_eq(cookie_check(&d, &t, w), COOKIE_VALID_CURRENT);
		cookie_set_epoch(&d, 2001);
		ck_assert_int_eq(cookie_check(&d, &t, w), COOKIE_VALID_PREVIOUS);
	}
	ck_assert_uint_eq(cookie_epoch_of(125, 60), 2);
}
END_TEST

START_TEST(cookie_never_isn_plus_one)
{
	struct cookie_ctx c = ctx_at(42, 3);
	struct cookie_tuple t = tuple4(5, 5555);
	uint32_t primary = cookie_make(&c, &t, 0);
	uint32_t isn = primary - 1;	/* the ISN whose +1 equals the primary */
	uint32_t v = cookie_make(&c, &t, isn);

	ck_assert_uint_ne(v, isn + 1);
	ck_assert_int_eq(cookie_check(&c, &t, v), COOKIE_VALID_CURRENT);
	/* And over many tuples and ISNs, never. */
	for (uint32_t i = 0; i < 20000; i++) {
		struct cookie_tuple u = tuple4((uint8_t)i, (uint16_t)(i * 7));
		uint32_t w = cookie_make(&c, &u, i * 2654435761u);

		ck_assert_uint_ne(w, i * 2654435761u + 1);
	}
}
END_TEST

START_TEST(cookie_shared_secret_is_deterministic)
{
	const uint8_t secret[32] = "gateways share this file 0123456";
	uint8_t other[32];
	struct siphash_key m1, m2, m3;
	struct cookie_ctx a, b, c;
	struct cookie_tuple t = tuple6(7);

	ck_assert_int_eq(cookie_master_from_secret(&m1, secret, sizeof(secret)), 0);
	ck_assert_int_eq(cookie_master_from_secret(&m2, secret, sizeof(secret)), 0);
	memcpy(other, secret, sizeof(other));
	other[31] ^= 1;	/* the last byte of a long secret matters too */
	ck_assert_int_eq(cookie_master_from_secret(&m3, other, sizeof(other)), 0);
	ck_assert_int_eq(cookie_master_from_secret(&m3, secret, 15), -1);
	cookie_master_from_secret(&m3, other, sizeof(other));
	cookie_init(&a, &m1, 77);
	cookie_init(&b, &m2, 77);
	cookie_init(&c, &m3, 77);
	ck_assert_int_eq(cookie_check(&b, &t, cookie_make(&a, &t, 1)), COOKIE_VALID_CURRENT);
	ck_assert_int_eq(cookie_check(&c, &t, cookie_make(&a, &t, 1)), COOKIE_INVALID);
}
END_TEST

/* Forgery: random values for a fixed tuple validate about 2^-30 of the time. */
START_TEST(cookie_random_guesses_fail)
{
	struct cookie_ctx c = ctx_at(9, 9);
	struct cookie_tuple t = tuple4(1, 1);
	unsigned hits = 0;

	srandom(1);
	for (int i = 0; i < 200000; i++)
		hits += cookie_check(&c, &t, (uint32_t)random() ^ ((uint32_t)random() << 16)) !=
			COOKIE_INVALID;
	ck_assert_uint_eq(hits, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cookie");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, siphash_reference_vectors);
	tcase_add_test(tc, cookie_roundtrip_v4_v6);
	tcase_add_test(tc, cookie_binds_every_tuple_field);
	tcase_add_test(tc, cookie_epochs);
	tcase_add_test(tc, cookie_never_isn_plus_one);
	tcase_add_test(tc, cookie_shared_secret_is_deterministic);
	tcase_add_test(tc, cookie_random_guesses_fail);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
