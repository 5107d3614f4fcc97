/* Unit tests: CIDR parsing, formatting, merging and matching. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "acl.h"
#include "unit.h"

static enum acl_parse parse(const char *s)
{
	int family;
	uint8_t addr[16];
	unsigned prefix;

	return acl_parse_cidr(s, &family, addr, &prefix);
}

/* Parse s (which must be valid) and add it. */
static void add(struct acl *a, const char *s)
{
	int family;
	uint8_t addr[16];
	unsigned prefix;

	ck_assert_int_eq(acl_parse_cidr(s, &family, addr, &prefix), ACL_OK);
	ck_assert_int_eq(acl_add(a, family, addr, prefix), 0);
}

static bool match(const struct acl *a, const char *ip)
{
	uint8_t addr[16] = { 0 };
	int family = strchr(ip, ':') ? AF_INET6 : AF_INET;

	ck_assert_int_eq(inet_pton(family, ip, addr), 1);
	return acl_match(a, family, addr);
}

START_TEST(acl_parse_good)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	int family;
	uint8_t addr[16];
	unsigned prefix;
	char buf[ACL_TEXT_MAX];

	ck_assert_int_eq(acl_parse_cidr("192.0.2.0/24", &family, addr, &prefix), ACL_OK);
	ck_assert_int_eq(family, AF_INET);
	ck_assert_uint_eq(prefix, 24);
	ck_assert_mem_eq(addr, "\xc0\x00\x02\x00", 4);
	ck_assert_int_eq(acl_parse_cidr("192.0.2.7", &family, addr, &prefix), ACL_OK);
	ck_assert_uint_eq(prefix, 32);
	ck_assert_int_eq(acl_parse_cidr("2001:db8::1", &family, addr, &prefix), ACL_OK);
	ck_assert_int_eq(family, AF_INET6);
	ck_assert_uint_eq(prefix, 128);
	ck_assert_mem_eq(addr, v6, 16);
	ck_assert_int_eq(parse("2001:db8::/32"), ACL_OK);
	ck_assert_int_eq(parse("0.0.0.0/0"), ACL_OK);
	ck_assert_int_eq(parse("::/0"), ACL_OK);
	ck_assert_int_eq(parse("::ffff:192.0.2.0/120"), ACL_OK);
	ck_assert_int_eq(parse("255.255.255.255/32"), ACL_OK);
	ck_assert_int_eq(acl_parse_cidr("2001:DB8:0:0::/64", &family, addr, &prefix), ACL_OK);
	acl_format(family, addr, prefix, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2001:db8::/64");
}
END_TEST

START_TEST(acl_parse_bad)
{
	static const char *const syntax[] = {
		"", "/24", " 192.0.2.0/24", "192.0.2.0/24 ", "192.0.2.0 /24", "192.0.2.0/",
		"192.0.2.0/+8", "192.0.2.0/-1", "192.0.2.0/2x", "192.0.2.0/24/8", "192.0.2",
		"192.0.2.256", "192.0.2.01", "10", "fe80::1%eth0", "2001:db8:::/32", "1.2.3.4:80",
		"2001:db8::/ 32", "example.com", "0x7f.0.0.1",
		"1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb/64",
	};
	static const char *const bad_prefix[] = {
		"192.0.2.0/33", "192.0.2.0/08", "192.0.2.0/00", "2001:db8::/129",
		"2001:db8::/0128", "10.0.0.0/1000",
	};

	for (size_t i = 0; i < sizeof(syntax) / sizeof(syntax[0]); i++)
		ck_assert_msg(parse(syntax[i]) == ACL_BAD_SYNTAX, "%s", syntax[i]);
	for (size_t i = 0; i < sizeof(bad_prefix) / sizeof(bad_prefix[0]); i++)
		ck_assert_msg(parse(bad_prefix[i]) == ACL_BAD_PREFIX, "%s", bad_prefix[i]);
}
END_TEST

START_TEST(acl_host_bits_and_format)
{
	int family;
	uint8_t addr[16];
	unsigned prefix;
	char buf[ACL_TEXT_MAX];

	ck_assert_int_eq(acl_parse_cidr("192.0.2.7/24", &family, addr, &prefix), ACL_HOST_BITS);
	ck_assert_int_eq(family, AF_INET);
	ck_assert_uint_eq(prefix, 24);
	acl_format(family, addr, prefix, buf, sizeof(buf));
	ck_assert_str_eq(buf, "192.0.2.0/24");	/* the suggestion */
	ck_assert_int_eq(parse("10.0.0.1/0"), ACL_HOST_BITS);
	ck_assert_int_eq(acl_parse_cidr("2001:db8::1/32", &family, addr, &prefix), ACL_HOST_BITS);
	acl_format(family, addr, prefix, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2001:db8::/32");
	ck_assert_int_eq(parse("2001:db8:8000::/33"), ACL_OK);
	ck_assert_int_eq(parse("2001:db8:8000::/32"), ACL_HOST_BITS);
	acl_parse_cidr("192.0.2.7", &family, addr, &prefix);
	acl_format(family, addr, prefix, buf, sizeof(buf));
	ck_assert_str_eq(buf, "192.0.2.7/32");
	acl_parse_cidr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &family, addr, &prefix);
	acl_format(family, addr, prefix, buf, sizeof(buf));
	ck_assert_str_eq(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	ck_assert_uint_lt(strlen(buf), ACL_TEXT_MAX);
	acl_format(family, addr, 0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "::/0");
	acl_format(family, addr, 0, buf, 3);	/* truncated, still terminated */
	ck_assert_str_eq(buf, "::");
}
END_TEST

START_TEST(acl_match_edges)
{
	struct acl *a = acl_new();

	ck_assert_ptr_nonnull(a);
	add(a, "192.0.2.0/24");
	add(a, "2001:db8::/32");
	acl_finish(a);
	ck_assert(match(a, "192.0.2.0"));
	ck_assert(match(a, "192.0.2.255"));
	ck_assert(match(a, "192.0.2.100"));
	ck_assert(!match(a, "192.0.1.255"));
	ck_assert(!match(a, "192.0.3.0"));
	ck_assert(match(a, "2001:db8::"));
	ck_assert(match(a, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
	ck_assert(!match(a, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"));
	ck_assert(!match(a, "2001:db9::"));
	ck_assert(!acl_match(a, AF_UNSPEC, (const uint8_t[16]){ 0 }));
	ck_assert_uint_eq(acl_count(a), 2);
	acl_free(a);
}
END_TEST

START_TEST(acl_empty_and_null)
{
	struct acl *a = acl_new();

	ck_assert(!match(NULL, "192.0.2.1"));
	ck_assert(!match(a, "192.0.2.1"));
	acl_finish(a);
	ck_assert(!match(a, "192.0.2.1"));
	ck_assert(!match(a, "::1"));
	ck_assert_uint_eq(acl_count(a), 0);
	ck_assert_uint_eq(acl_count(NULL), 0);
	acl_free(a);
	acl_free(NULL);
}
END_TEST

START_TEST(acl_match_slash_zero)
{
	struct acl *a = acl_new();

	add(a, "0.0.0.0/0");
	acl_finish(a);
	ck_assert(match(a, "0.0.0.0"));
	ck_assert(match(a, "255.255.255.255"));
	ck_assert(!match(a, "::"));	/* a v4 list never matches v6 */
	ck_assert(!match(a, "::ffff:192.0.2.1"));
	add(a, "::/0");
	add(a, "2001:db8::/32");	/* inside ::/0: the all-ones hi must not wrap */
	acl_finish(a);
	ck_assert(match(a, "::"));
	ck_assert(match(a, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	acl_free(a);
}
END_TEST

START_TEST(acl_v4_never_matches_v6)
{
	struct acl *a = acl_new();
	uint8_t addr[16];

	add(a, "192.0.2.0/24");
	acl_finish(a);
	/* The same first four bytes, as a v6 address. */
	memset(addr, 0, sizeof(addr));
	memcpy(addr, "\xc0\x00\x02\x01", 4);
	ck_assert(acl_match(a, AF_INET, addr));
	ck_assert(!acl_match(a, AF_INET6, addr));
	acl_free(a);
	a = acl_new();
	add(a, "c000:201::/32");
	acl_finish(a);
	memset(addr, 0, sizeof(addr));
	memcpy(addr, "\xc0\x00\x02\x01", 4);
	ck_assert(acl_match(a, AF_INET6, addr));
	ck_assert(!acl_match(a, AF_INET, addr));
	acl_free(a);
}
END_TEST

START_TEST(acl_merges_overlap_and_adjacent)
{
	struct acl *a = acl_new();

	/* Adjacent: 10.0.0.0/25 + 10.0.0.128/25, then an overlapping /24 and a
	 * duplicate, a contained /30, a disjoint range and a gap. */
	add(a, "10.0.1.0/24");
	add(a, "10.0.0.128/25");
	add(a, "10.0.0.0/25");
	add(a, "10.0.1.4/30");
	add(a, "10.0.1.0/24");
	add(a, "10.0.3.0/24");
	add(a, "2001:db8::/33");
	add(a, "2001:db8:8000::/33");	/* adjacent: together 2001:db8::/32 */
	ck_assert(match(a, "10.0.0.200"));	/* before finish: linear, still right */
	acl_finish(a);
	ck_assert_uint_eq(acl_count(a), 8);
	ck_assert(match(a, "10.0.0.0"));
	ck_assert(match(a, "10.0.0.127"));
	ck_assert(match(a, "10.0.0.128"));
	ck_assert(match(a, "10.0.1.255"));
	ck_assert(!match(a, "10.0.2.0"));
	ck_assert(!match(a, "10.0.2.255"));
	ck_assert(match(a, "10.0.3.0"));
	ck_assert(match(a, "10.0.3.255"));
	ck_assert(!match(a, "10.0.4.0"));
	ck_assert(!match(a, "9.255.255.255"));
	ck_assert(match(a, "2001:db8:7fff:ffff:ffff:ffff:ffff:ffff"));
	ck_assert(match(a, "2001:db8:8000::"));
	ck_assert(!match(a, "2001:db9::"));
	/* Adding after finish, then finishing again. */
	add(a, "10.0.2.0/24");
	acl_finish(a);
	ck_assert(match(a, "10.0.2.128"));
	acl_free(a);
}
END_TEST

START_TEST(acl_cap_and_bad_args)
{
	struct acl *a = acl_new();
	uint8_t addr[16] = { 0 };
	size_t step = 1;

	ck_assert_int_eq(acl_add(a, AF_INET, addr, 33), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(acl_add(a, AF_INET6, addr, 129), -1);
	ck_assert_int_eq(acl_add(a, AF_UNIX, addr, 8), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* Every other /32 in 10.0.0.0/15: nothing merges. */
	for (uint32_t i = 0; i < ACL_MAX; i++) {
		uint32_t ip = htonl(0x0a000000u + 2 * i);

		memcpy(addr, &ip, 4);
		ck_assert_int_eq(acl_add(a, AF_INET, addr, 32), 0);
	}
	ck_assert_int_eq(acl_add(a, AF_INET6, addr, 128), -1);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert_uint_eq(acl_count(a), ACL_MAX);
	acl_finish(a);
	for (uint32_t i = 0; i < 2 * ACL_MAX; i += (uint32_t)step, step = step * 3 % 7 + 1) {
		uint32_t ip = htonl(0x0a000000u + i);

		memcpy(addr, &ip, 4);
		ck_assert_int_eq(acl_match(a, AF_INET, addr), i % 2 == 0);
	}
	acl_free(a);
}
END_TEST

struct walked {
	struct acl *copy;
	unsigned n;
	char text[8][ACL_TEXT_MAX];
};

static int collect(void *arg, int family, const uint8_t addr[16], unsigned prefix)
{
	struct walked *w = arg;

	if (w->n < 8)
		acl_format(family, addr, prefix, w->text[w->n], ACL_TEXT_MAX);
	w->n++;
	return acl_add(w->copy, family, addr, prefix);
}

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

/* The walk gives the fewest prefixes of the merged list, and a list built
 * from them matches exactly what the original matches. */
START_TEST(acl_walk_covers_exactly)
{
	struct acl *a = acl_new();
	struct walked w = { .copy = acl_new() };
	uint8_t addr[16];

	add(a, "10.0.0.0/24");
	add(a, "10.0.1.0/24");	/* merges with the first: one /23 */
	add(a, "192.0.2.0/25");
	add(a, "192.0.2.128/26");
	add(a, "198.51.100.7");
	add(a, "2001:db9::/32");
	add(a, "2001:dba::/32");	/* adjacent, not alignable: two */
	acl_finish(a);
	ck_assert_int_eq(acl_walk(a, collect, &w), 0);
	acl_finish(w.copy);
	ck_assert_uint_eq(w.n, 6);
	ck_assert_str_eq(w.text[0], "10.0.0.0/23");
	ck_assert_str_eq(w.text[1], "192.0.2.0/25");
	ck_assert_str_eq(w.text[2], "192.0.2.128/26");
	ck_assert_str_eq(w.text[3], "198.51.100.7/32");
	ck_assert_str_eq(w.text[4], "2001:db9::/32");
	ck_assert_str_eq(w.text[5], "2001:dba::/32");
	for (int i = 0; i < 200000; i++) {
		int family = i & 1 ? AF_INET6 : AF_INET;

		memset(addr, 0, sizeof(addr));
		for (int b = 0; b < 16; b++)
			addr[b] = (uint8_t)rnd();
		/* Mostly near the listed prefixes, so both answers occur. */
		if (family == AF_INET)
			addr[0] = (uint8_t[]){ 10, 192, 198, 11 }[i % 4];
		else
			memcpy(addr, (uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8 + (i >> 1) % 3 }, 4);
		ck_assert_int_eq(acl_match(w.copy, family, addr), acl_match(a, family, addr));
	}
	acl_free(a);
	acl_free(w.copy);
}
END_TEST

START_TEST(acl_walk_whole_space_and_stop)
{
	struct acl *a = acl_new();
	struct walked w = { .copy = acl_new() };

	add(a, "0.0.0.0/0");
	add(a, "::/0");
	acl_finish(a);
	ck_assert_int_eq(acl_walk(a, collect, &w), 0);
	ck_assert_uint_eq(w.n, 2);
	ck_assert_str_eq(w.text[0], "0.0.0.0/0");
	ck_assert_str_eq(w.text[1], "::/0");
	acl_free(a);
	acl_free(w.copy);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("acl");
	TCase *tc = unit_tcase("core");

	tcase_add_test(tc, acl_parse_good);
	tcase_add_test(tc, acl_parse_bad);
	tcase_add_test(tc, acl_host_bits_and_format);
	tcase_add_test(tc, acl_match_edges);
	tcase_add_test(tc, acl_empty_and_null);
	tcase_add_test(tc, acl_match_slash_zero);
	tcase_add_test(tc, acl_v4_never_matches_v6);
	tcase_add_test(tc, acl_merges_overlap_and_adjacent);
	tcase_add_test(tc, acl_cap_and_bad_args);
	tcase_add_test(tc, acl_walk_covers_exactly);
	tcase_add_test(tc, acl_walk_whole_space_and_stop);
	suite_add_tcase(s, tc);
	return s;
}
