/* Unit tests: the handshake tracker (state machine, exact per-service
 * accounting under expiry and eviction, handshake-time histograms). */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "halfopen.h"
#include "unit.h"

static const struct siphash_key seed = { 0x5151, 0x7373 };

#define SEC 1000000u

static struct sg_tuple tuple4(uint32_t client, uint16_t cport)
{
	struct sg_tuple t;

	memset(&t, 0, sizeof(t));
	t.family = AF_INET;
	memcpy(t.client, &client, 4);
	memcpy(t.server, "\x0a\x00\x00\x01", 4);
	t.client_port = cport;
	t.server_port = 443;
	return t;
}

static struct sg_tuple tuple6(uint8_t last, uint16_t cport)
{
	struct sg_tuple t;

	memset(&t, 0, sizeof(t));
	t.family = AF_INET6;
	memcpy(t.client, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0", 16);
	t.client[15] = last;
	memcpy(t.server, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	t.client_port = cport;
	t.server_port = 80;
	return t;
}

/* The figures operators watch must add up, whatever happened. */
static void assert_accounting(const struct halfopen *h)
{
	uint64_t live = 0;

	for (unsigned i = 0; i < h->nsvc; i++) {
		const struct ho_svc *s = &h->svc[i];

		live += s->halfopen;
		ck_assert_uint_eq(s->syns,
				  s->completed + s->reset + s->expired + s->evicted + s->halfopen);
	}
	ck_assert_uint_eq(live, h->t.count);
}

/* One full handshake taking hs_us. */
static void handshake(struct halfopen *h, uint16_t port, unsigned svc, uint64_t t0, uint64_t hs_us)
{
	struct sg_tuple t = tuple4(0x01020304, port);
	uint64_t got;

	ck_assert(halfopen_syn(h, &t, svc, t0));
	ck_assert(halfopen_synack_seq(h, &t, t0 + hs_us / 2, 0));
	ck_assert(halfopen_ack_seq(h, &t, t0 + hs_us, 1, NULL, &got));
	ck_assert_uint_eq(got, hs_us);
}

START_TEST(halfopen_rejects_bad_init)
{
	struct halfopen h;
	struct siphash_key zero = { 0, 0 };

	ck_assert_int_eq(halfopen_init(&h, 64, 0, SEC, &seed), -1);
	ck_assert_int_eq(halfopen_init(&h, 64, HALFOPEN_SVC_MAX + 1, SEC, &seed), -1);
	ck_assert_int_eq(halfopen_init(&h, 64, 1, SEC, &zero), -1);
	ck_assert_int_eq(halfopen_init(&h, 64, HALFOPEN_SVC_MAX, SEC, &seed), 0);
	halfopen_free(&h);
}
END_TEST

START_TEST(halfopen_full_handshake)
{
	struct halfopen h;
	struct sg_tuple t = tuple4(0x01020304, 40000);
	unsigned svc = 99;
	uint64_t hs = 0;

	ck_assert_int_eq(halfopen_init(&h, 1024, 4, 3 * SEC, &seed), 0);
	ck_assert(halfopen_syn(&h, &t, 2, 1000));
	ck_assert_uint_eq(h.svc[2].halfopen, 1);
	ck_assert(halfopen_synack_seq(&h, &t, 1500, 0));
	ck_assert_uint_eq(h.svc[2].synacks, 1);
	ck_assert(halfopen_ack_seq(&h, &t, 3000, 1, &svc, &hs));
	ck_assert_uint_eq(svc, 2);
	ck_assert_uint_eq(hs, 2000);
	ck_assert_uint_eq(h.svc[2].completed, 1);
	ck_assert_uint_eq(h.svc[2].halfopen, 0);
	ck_assert_uint_eq(h.t.count, 0);
	ck_assert(!halfopen_ack_seq(&h, &t, 3100, 1, &svc, &hs));	/* gone */
	ck_assert_uint_ge(halfopen_quantile(&h, 2, 0.5), 2000 * 86 / 100);
	ck_assert_uint_le(halfopen_quantile(&h, 2, 0.5), 2000 * 114 / 100);
	assert_accounting(&h);
	halfopen_free(&h);
}
END_TEST

START_TEST(halfopen_ack_must_acknowledge_the_synack)
{
	struct halfopen h;
	struct sg_tuple t = tuple4(0xc0000202, 41000);
	unsigned svc = 9;
	uint64_t hs = 0;

	ck_assert_int_eq(halfopen_init(&h, 64, 2, 1000000, &seed), 0);
	ck_assert(halfopen_syn(&h, &t, 1, 100));
	ck_assert(halfopen_synack_seq(&h, &t, 200, 0xfffffff0u));
	/* ISN + 1 wraps to 0xfffffff1; any other low bits are a blind guess. */
	ck_assert(!halfopen_ack_seq(&h, &t, 300, 0xfffffff2u, &svc, &hs));
	ck_assert(!halfopen_ack_seq(&h, &t, 300, 0x00000000u, &svc, &hs));
	ck_assert_int_eq(halfopen_state(&h, &t, 300), HO_SYN_RECEIVED);
	ck_assert_uint_eq(h.svc[1].completed, 0);
	ck_assert(halfopen_ack_seq(&h, &t, 400, 0xfffffff1u, &svc, &hs));
	ck_assert_uint_eq(svc, 1);
	ck_assert_uint_eq(hs, 300);
	ck_assert_uint_eq(h.svc[1].completed, 1);
	assert_accounting(&h);
	halfopen_free(&h);
}
END_TEST

START_TEST(halfopen_ack_before_synack_does_not_complete)
{
	struct halfopen h;
	struct sg_tuple t = tuple4(0x01020304, 40000), other = tuple4(0x01020305, 40000);
	uint64_t hs = 7;

	ck_assert_int_eq(halfopen_init(&h, 1024, 1, 3 * SEC, &seed), 0);
	ck_assert(!halfopen_ack_seq(&h, &other, 10, 1, NULL, &hs));	/* unknown */
	ck_assert(!halfopen_synack_seq(&h, &other, 10, 0));
	ck_assert_int_eq(halfopen_state(&h, &other, 10), HO_NONE);
	ck_assert(halfopen_syn(&h, &t, 0, 100));
	ck_assert(!halfopen_ack_seq(&h, &t, 200, 1, NULL, &hs));
	ck_assert_int_eq(halfopen_state(&h, &t, 200), HO_SYN_SENT);
	ck_assert_uint_eq(hs, 7);
	ck_assert_uint_eq(h.svc[0].halfopen, 1);
	ck_assert_uint_eq(h.svc[0].completed, 0);
	ck_assert(halfopen_synack_seq(&h, &t, 300, 0));
	ck_assert(halfopen_synack_seq(&h, &t, 350, 0));	/* retransmitted: counted once */
	ck_assert_uint_eq(h.svc[0].synacks, 1);
	ck_assert_int_eq(halfopen_state(&h, &t, 360), HO_SYN_RECEIVED);
	ck_assert(halfopen_ack_seq(&h, &t, 400, 1, NULL, &hs));
	ck_assert_uint_eq(hs, 300);
	ck_assert_int_eq(halfopen_state(&h, &t, 400), HO_NONE);
	assert_accounting(&h);
	halfopen_free(&h);
}
END_TEST

START_TEST(halfopen_retransmitted_syn_counts_once)
{
	struct halfopen h;
	struct sg_tuple t = tuple4(0x01020304, 40000);
	uint64_t hs;

	ck_assert_int_eq(halfopen_init(&h, 1024, 1, 3 * SEC, &seed), 0);
	ck_assert(halfopen_syn(&h, &t, 0, 0));
	ck_assert(!halfopen_syn(&h, &t, 0, SEC));
	ck_assert_uint_eq(h.svc[0].syns, 1);
	ck_assert_uint_eq(h.svc[0].halfopen, 1);
	ck_assert(halfopen_synack_seq(&h, &t, SEC + 10, 0));
	ck_assert(halfopen_ack_seq(&h, &t, SEC + 50, 1, NULL, &hs));
	ck_assert_uint_eq(hs, SEC + 50);	/* from the first SYN: what the client waited */
	/* The expiry also runs from the first SYN. */
	ck_assert(halfopen_syn(&h, &t, 0, 0));
	ck_assert(!halfopen_syn(&h, &t, 0, 2 * SEC));
	ck_assert(halfopen_syn(&h, &t, 0, 3 * SEC));	/* the old one expired */
	ck_assert_uint_eq(h.svc[0].expired, 1);
	assert_accounting(&h);
	halfopen_free(&h);
}
END_TEST

START_TEST(halfopen_rst_from_server)
{
	struct halfopen h;
	struct sg_tuple t = tuple4(0x01020304, 40000);
	uint64_t hs;

	ck_assert_int_eq(halfopen_init(&h, 1024, 1, 3 * SEC, &seed), 0);
	ck_assert(halfopen_syn(&h, &t, 0, 0));
	ck_assert(halfopen_rst(&h, &t, 100));	/* port closed: the server resets */
	ck_assert_uint_eq(h.svc[0].reset, 1);
	ck_assert_uint_eq(h.svc[0].halfopen, 0);
	ck_assert(!halfopen_rst(&h, &t, 200));
	ck_assert(!halfopen_ack_seq(&h, &t, 300, 1, NULL, &hs));
	ck_assert(halfopen_syn(&h, &t, 0, 400));	/* RST after SYN+ACK too */
	ck_assert(halfopen_synack_seq(&h, &t, 500, 0));
	ck_assert(halfopen_rst(&h, &t, 600));
	ck_assert_uint_eq(h.svc[0].reset, 2);
	assert_accounting(&h);
	halfopen_free(&h);
}
END_TEST

START_TEST(halfopen_abandoned_entries_expire)
{
	struct halfopen h;
	const unsigned m = 300;

	ck_assert_int_eq(halfopen_init(&h, 4096, 2, SEC, &seed), 0);
	for (unsigned i = 0; i < m; i++) {
		struct sg_tuple t = tuple4(0x0a000000 + i, 1000);

		ck_assert(halfopen_syn(&h, &t, i % 2, i));
	}
	handshake(&h, 5, 0, 10, 100);	/* one that completes, for contrast */
	halfopen_sweep(&h, SEC - 1, 4096);	/* nothing is due yet */
	ck_assert_uint_eq(h.svc[0].expired + h.svc[1].expired, 0);
	ck_assert_uint_eq(h.svc[0].halfopen + h.svc[1].halfopen, m);
	halfopen_sweep(&h, SEC + m, 4096);
	ck_assert_uint_eq(h.svc[0].expired, m / 2);
	ck_assert_uint_eq(h.svc[1].expired, m / 2);
	ck_assert_uint_eq(h.svc[0].halfopen + h.svc[1].halfopen, 0);
	ck_assert_uint_eq(h.svc[0].completed, 1);
	ck_assert_uint_eq(h.t.count, 0);
	assert_accounting(&h);
	halfopen_free(&h);
}
END_TEST

START_TEST(halfopen_expired_on_lookup_is_counted)
{
	struct halfopen h;
	struct sg_tuple t = tuple4(0x01020304, 40000);

	ck_assert_int_eq(halfopen_init(&h, 1024, 1, SEC, &seed), 0);
	ck_assert(halfopen_syn(&h, &t, 0, 0));
	ck_assert(halfopen_synack_seq(&h, &t, 10, 0));
	ck_assert_int_eq(halfopen_state(&h, &t, SEC - 1), HO_SYN_RECEIVED);
	ck_assert(!halfopen_rst(&h, &t, SEC));	/* too late: it had expired */
	ck_assert_uint_eq(h.svc[0].expired, 1);
	ck_assert_uint_eq(h.svc[0].reset, 0);
	ck_assert_uint_eq(h.svc[0].halfopen, 0);
	assert_accounting(&h);
	halfopen_free(&h);
}
END_TEST

START_TEST(halfopen_cap_counts_evictions)
{
	struct halfopen h;

	ck_assert_int_eq(halfopen_init(&h, 64, 3, 10 * SEC, &seed), 0);
	for (unsigned i = 0; i < 1000; i++) {
		struct sg_tuple t = tuple4(0x0b000000 + i, (uint16_t)i);

		ck_assert(halfopen_syn(&h, &t, i % 3, i));
		assert_accounting(&h);
	}
	ck_assert_uint_le(h.t.count, 64);
	ck_assert_uint_eq(h.svc[0].evicted + h.svc[1].evicted + h.svc[2].evicted,
			  1000 - h.t.count);
	ck_assert_uint_eq(h.svc[0].evicted + h.svc[1].evicted + h.svc[2].evicted,
			  h.t.evictions);
	halfopen_free(&h);
}
END_TEST

START_TEST(halfopen_services_are_separate)
{
	struct halfopen h;
	struct sg_tuple t = tuple4(0x01020304, 1);

	ck_assert_int_eq(halfopen_init(&h, 1024, 3, 3 * SEC, &seed), 0);
	ck_assert(!halfopen_syn(&h, &t, 3, 0));	/* out of range: ignored */
	ck_assert_uint_eq(h.t.count, 0);
	for (unsigned i = 0; i < 10; i++)
		handshake(&h, (uint16_t)(100 + i), 1, 0, 5000);
	ck_assert(halfopen_syn(&h, &t, 2, 0));
	ck_assert_uint_eq(h.svc[1].completed, 10);
	ck_assert_uint_eq(h.svc[1].halfopen, 0);
	ck_assert_uint_eq(h.svc[2].syns, 1);
	ck_assert_uint_eq(h.svc[2].halfopen, 1);
	ck_assert_uint_eq(h.svc[0].syns, 0);
	ck_assert_uint_gt(halfopen_quantile(&h, 1, 0.5), 0);
	ck_assert_uint_eq(halfopen_quantile(&h, 0, 0.5), 0);
	ck_assert_uint_eq(halfopen_quantile(&h, 2, 0.5), 0);
	ck_assert_uint_eq(halfopen_quantile(&h, 7, 0.5), 0);
	assert_accounting(&h);
	halfopen_free(&h);
}
END_TEST

START_TEST(halfopen_ipv6_tuples)
{
	struct halfopen h;
	struct sg_tuple a = tuple6(1, 5000), b = tuple6(2, 5000), v4 = tuple4(0, 5000);
	struct sg_tuple v4b;
	uint64_t hs;

	ck_assert_int_eq(halfopen_init(&h, 1024, 1, 3 * SEC, &seed), 0);
	ck_assert(halfopen_syn(&h, &a, 0, 0));
	ck_assert(halfopen_syn(&h, &b, 0, 0));	/* differs in the last byte only */
	memcpy(v4.client, a.client, 4);
	memcpy(v4.server, a.server, 4);
	v4.server_port = a.server_port;
	ck_assert(halfopen_syn(&h, &v4, 0, 0));	/* same first bytes, other family */
	ck_assert_uint_eq(h.svc[0].halfopen, 3);
	/* A v4 tuple is only its first 4 bytes: a dirty tail is the same one. */
	v4b = v4;
	memset(v4b.client + 4, 0xee, 12);
	ck_assert(!halfopen_syn(&h, &v4b, 0, 1));
	ck_assert(halfopen_synack_seq(&h, &b, 100, 0));
	ck_assert(!halfopen_ack_seq(&h, &a, 200, 1, NULL, &hs));
	ck_assert(halfopen_ack_seq(&h, &b, 200, 1, NULL, &hs));
	ck_assert_uint_eq(hs, 200);
	ck_assert(halfopen_rst(&h, &a, 300));
	ck_assert_uint_eq(h.svc[0].halfopen, 1);
	assert_accounting(&h);
	halfopen_free(&h);
}
END_TEST

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void assert_near(uint64_t got, uint64_t want, unsigned pct)
{
	ck_assert_msg(got * 100 >= want * (100 - pct) && got * 100 <= want * (100 + pct),
		      "got %llu, want %llu +- %u%%", (unsigned long long)got,
		      (unsigned long long)want, pct);
}

START_TEST(halfopen_quantiles_on_known_samples)
{
	struct halfopen h;
	uint64_t v[100], x = 12345;

	ck_assert_int_eq(halfopen_init(&h, 1024, 1, 120ULL * SEC, &seed), 0);
	/* 1 ms .. 100 ms evenly: p99 is the 99th, 99 ms; p50 is 50 ms. */
	for (unsigned i = 0; i < 100; i++)
		handshake(&h, (uint16_t)i, 0, 0, (i + 1) * 1000);
	assert_near(halfopen_quantile(&h, 0, 0.99), 99000, 25);
	assert_near(halfopen_quantile(&h, 0, 0.5), 50000, 25);
	assert_near(halfopen_quantile(&h, 0, 0), 1000, 25);
	assert_near(halfopen_quantile(&h, 0, 1), 100000, 25);
	/* Log-spread samples from 10 us to 60 s, against the true order statistic. */
	for (unsigned round = 0; round < 20; round++) {
		halfopen_rotate_window(&h);
		halfopen_rotate_window(&h);
		for (unsigned i = 0; i < 100; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			v[i] = 10ULL << (x >> 33) % 22;
			v[i] += v[i] * (x >> 40 & 0xff) / 256;
			if (v[i] > 60ULL * SEC)
				v[i] = 60ULL * SEC;
			handshake(&h, (uint16_t)i, 0, 0, v[i]);
		}
		qsort(v, 100, sizeof(v[0]), cmp_u64);
		assert_near(halfopen_quantile(&h, 0, 0.99), v[98], 25);
		assert_near(halfopen_quantile(&h, 0, 0.9), v[89], 25);
		assert_near(halfopen_quantile(&h, 0, 0.5), v[49], 25);
	}
	halfopen_free(&h);
}
END_TEST

START_TEST(halfopen_quantile_clamps_outside_range)
{
	struct halfopen h;

	ck_assert_int_eq(halfopen_init(&h, 1024, 2, 600ULL * SEC, &seed), 0);
	handshake(&h, 1, 0, 0, 2);
	ck_assert_uint_eq(halfopen_quantile(&h, 0, 0.5), 10);
	handshake(&h, 2, 1, 0, 300ULL * SEC);
	ck_assert_uint_eq(halfopen_quantile(&h, 1, 0.5), 60ULL * SEC);
	halfopen_free(&h);
}
END_TEST

START_TEST(halfopen_window_rotation)
{
	struct halfopen h;

	ck_assert_int_eq(halfopen_init(&h, 1024, 1, 10 * SEC, &seed), 0);
	for (unsigned i = 0; i < 50; i++)
		handshake(&h, (uint16_t)i, 0, 0, 1000);
	halfopen_rotate_window(&h);	/* still seen: previous window */
	assert_near(halfopen_quantile(&h, 0, 0.5), 1000, 14);
	for (unsigned i = 0; i < 50; i++)
		handshake(&h, (uint16_t)i, 0, 0, 100000);
	assert_near(halfopen_quantile(&h, 0, 0.25), 1000, 14);	/* both windows */
	assert_near(halfopen_quantile(&h, 0, 0.75), 100000, 14);
	halfopen_rotate_window(&h);	/* the 1 ms window is gone */
	assert_near(halfopen_quantile(&h, 0, 0.25), 100000, 14);
	halfopen_rotate_window(&h);
	ck_assert_uint_eq(halfopen_quantile(&h, 0, 0.5), 0);
	ck_assert_uint_eq(h.svc[0].completed, 100);	/* counters are not windowed */
	halfopen_free(&h);
}
END_TEST

START_TEST(halfopen_timeout_reload_applies_to_new_entries)
{
	struct halfopen h;
	struct sg_tuple a = tuple4(1, 1), b = tuple4(2, 2);

	ck_assert_int_eq(halfopen_init(&h, 1024, 1, SEC, &seed), 0);
	ck_assert(halfopen_syn(&h, &a, 0, 0));
	halfopen_set_timeout(&h, 5 * SEC);
	ck_assert(halfopen_syn(&h, &b, 0, 0));
	halfopen_sweep(&h, 2 * SEC, 1024);
	ck_assert_uint_eq(h.svc[0].expired, 1);
	ck_assert(halfopen_synack_seq(&h, &b, 2 * SEC, 0));
	ck_assert(!halfopen_synack_seq(&h, &a, 2 * SEC, 0));
	assert_accounting(&h);
	halfopen_free(&h);
}
END_TEST

/* Random traffic against a small table: every exit path, and the gauges
 * never drift. */
START_TEST(halfopen_accounting_survives_any_mix)
{
	struct halfopen h;
	uint64_t x = 99, now = 0, hs;
	unsigned svc;

	ck_assert_int_eq(halfopen_init(&h, 48, 5, 20000, &seed), 0);
	for (unsigned i = 0; i < 200000; i++) {
		struct sg_tuple t;

		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		t = tuple4((uint32_t)(x >> 40) % 97, 80);
		now += (x >> 20) % 300;
		switch ((x >> 33) % 6) {
		case 0:
		case 1:
			halfopen_syn(&h, &t, (unsigned)(x >> 50) % 5, now);
			break;
		case 2:
			halfopen_synack_seq(&h, &t, now, 0);
			break;
		case 3:
			halfopen_ack_seq(&h, &t, now, 1, &svc, &hs);
			break;
		case 4:
			halfopen_rst(&h, &t, now);
			break;
		default:
			halfopen_sweep(&h, now, 2);
		}
		if (i % 997 == 0)
			halfopen_rotate_window(&h);
		assert_accounting(&h);
	}
	halfopen_sweep(&h, now + 20000, 64);
	ck_assert_uint_eq(h.t.count, 0);
	for (unsigned i = 0; i < 5; i++) {
		ck_assert_uint_eq(h.svc[i].halfopen, 0);
		ck_assert_uint_gt(h.svc[i].completed, 0);
		ck_assert_uint_gt(h.svc[i].reset, 0);
		ck_assert_uint_gt(h.svc[i].expired, 0);
		ck_assert_uint_gt(h.svc[i].evicted, 0);
	}
	assert_accounting(&h);
	halfopen_free(&h);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("halfopen");
	TCase *tc = unit_tcase("core");

	tcase_add_test(tc, halfopen_rejects_bad_init);
	tcase_add_test(tc, halfopen_full_handshake);
	tcase_add_test(tc, halfopen_ack_before_synack_does_not_complete);
	tcase_add_test(tc, halfopen_ack_must_acknowledge_the_synack);
	tcase_add_test(tc, halfopen_retransmitted_syn_counts_once);
	tcase_add_test(tc, halfopen_rst_from_server);
	tcase_add_test(tc, halfopen_abandoned_entries_expire);
	tcase_add_test(tc, halfopen_expired_on_lookup_is_counted);
	tcase_add_test(tc, halfopen_cap_counts_evictions);
	tcase_add_test(tc, halfopen_services_are_separate);
	tcase_add_test(tc, halfopen_ipv6_tuples);
	tcase_add_test(tc, halfopen_quantiles_on_known_samples);
	tcase_add_test(tc, halfopen_quantile_clamps_outside_range);
	tcase_add_test(tc, halfopen_window_rotation);
	tcase_add_test(tc, halfopen_timeout_reload_applies_to_new_entries);
	tcase_add_test(tc, halfopen_accounting_survives_any_mix);
	suite_add_tcase(s, tc);
	return s;
}
