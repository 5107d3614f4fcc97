/* check_ct: unit tests of the ctnetlink census parser and request builder.
 * The fixtures are real dump messages captured from a kernel (see
 * ct_fixtures.h); mutated copies check that every length is verified, and
 * every truncation is run from an exactly-sized heap copy so that ASan sees
 * any read past the end. */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

#include "ct.h"
#include "ct_fixtures.h"

#define FIX(a) { a, sizeof(a), #a }

struct fixture {
	const uint8_t *bytes;
	size_t len;
	const char *name;
};

static const struct fixture fixtures[] = {
	FIX(ct_v4_established), FIX(ct_v4_close_wait), FIX(ct_v4_time_wait),
	FIX(ct_v6_established), FIX(ct_v6_close_wait), FIX(ct_v6_time_wait),
	FIX(ct_v4_udp), FIX(ct_v6_udp),
};
#define NFIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

static const uint8_t client4[4] = { 192, 0, 2, 2 }, server4[4] = { 203, 0, 113, 2 };
static const uint8_t client6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
static const uint8_t server6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
static const uint8_t zero16[16];

/* The message as an exactly-sized heap buffer (ASan guards its end). */
static uint8_t *copy_of(const uint8_t *b, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(p);
	memcpy(p, b, len);
	return p;
}

static int parse_copy(const uint8_t *b, size_t len, struct ct_entry *e)
{
	uint8_t *p = copy_of(b, len);
	int r = ct_parse_msg(p, len, e);

	free(p);
	return r;
}

static void check_v4(const uint8_t *msg, size_t len, uint16_t sport, enum ct_state st)
{
	struct ct_entry e;

	ck_assert_int_eq(parse_copy(msg, len, &e), 1);
	ck_assert_int_eq(e.family, AF_INET);
	ck_assert_mem_eq(e.src, client4, 4);
	ck_assert_mem_eq(e.dst, server4, 4);
	ck_assert_mem_eq(e.src + 4, zero16, 12);
	ck_assert_mem_eq(e.dst + 4, zero16, 12);
	ck_assert_uint_eq(e.sport, sport);
	ck_assert_uint_eq(e.dport, 8080);
	ck_assert_int_eq(e.state, st);
}

static void check_v6(const uint8_t *msg, size_t len, uint16_t sport, enum ct_state st)
{
	struct ct_entry e;

	ck_assert_int_eq(parse_copy(msg, len, &e), 1);
	ck_assert_int_eq(e.family, AF_INET6);
	ck_assert_mem_eq(e.src, client6, 16);
	ck_assert_mem_eq(e.dst, server6, 16);
	ck_assert_uint_eq(e.sport, sport);
	ck_assert_uint_eq(e.dport, 8080);
	ck_assert_int_eq(e.state, st);
}

/* ---- an attribute walker of our own, to find the bytes to mutate ---- */

static size_t attr_find(const uint8_t *b, size_t start, size_t end, uint16_t type)
{
	while (start + 4 <= end) {
		uint16_t len, t;

		memcpy(&len, b + start, 2);
		memcpy(&t, b + start + 2, 2);
		ck_assert_uint_ge(len, 4);
		if ((t & 0x3fff) == type)
			return start;
		start += (len + 3u) & ~3u;
	}
	ck_abort_msg("attribute %u not found", type);
	return 0;
}

/* Offset of the attribute at path (top-level type, then nested types). */
static size_t attr_path(const uint8_t *b, size_t len, const uint16_t *path, size_t n)
{
	size_t start = 20, end = len, off = 0;

	for (size_t i = 0; i < n; i++) {
		uint16_t alen;

		off = attr_find(b, start, end, path[i]);
		memcpy(&alen, b + off, 2);
		start = off + 4;
		end = off + alen;
	}
	return off;
}

static const uint16_t path_state[] = { CTA_PROTOINFO, CTA_PROTOINFO_TCP, CTA_PROTOINFO_TCP_STATE };
static const uint16_t path_v4src[] = { CTA_TUPLE_ORIG, CTA_TUPLE_IP, CTA_IP_V4_SRC };
static const uint16_t path_protonum[] = { CTA_TUPLE_ORIG, CTA_TUPLE_PROTO, CTA_PROTO_NUM };
static const uint16_t path_sport[] = { CTA_TUPLE_ORIG, CTA_TUPLE_PROTO, CTA_PROTO_SRC_PORT };
static const uint16_t path_orig[] = { CTA_TUPLE_ORIG };
static const uint16_t path_protoinfo[] = { CTA_PROTOINFO };

#define PATH(p) p, sizeof(p) / sizeof(p[0])

/* ---- tests ---- */

START_TEST(ct_parses_captured_ipv4)
{
	check_v4(ct_v4_established, sizeof(ct_v4_established), 47490, CT_ESTABLISHED);
	check_v4(ct_v4_close_wait, sizeof(ct_v4_close_wait), 47506, CT_CLOSE_WAIT);
	check_v4(ct_v4_time_wait, sizeof(ct_v4_time_wait), 47528, CT_TIME_WAIT);
}
END_TEST

START_TEST(ct_parses_captured_ipv6)
{
	check_v6(ct_v6_established, sizeof(ct_v6_established), 51544, CT_ESTABLISHED);
	check_v6(ct_v6_close_wait, sizeof(ct_v6_close_wait), 51560, CT_CLOSE_WAIT);
	check_v6(ct_v6_time_wait, sizeof(ct_v6_time_wait), 51570, CT_TIME_WAIT);
}
END_TEST

START_TEST(ct_skips_udp)
{
	struct ct_entry e;

	ck_assert_int_eq(parse_copy(ct_v4_udp, sizeof(ct_v4_udp), &e), 0);
	ck_assert_int_eq(parse_copy(ct_v6_udp, sizeof(ct_v6_udp), &e), 0);
}
END_TEST

/* A copy cut short, its header unchanged: always malformed. */
START_TEST(ct_truncated_copies_rejected)
{
	const struct fixture *f = &fixtures[_i];
	struct ct_entry e;

	for (size_t len = 0; len < f->len; len++)
		ck_assert_msg(parse_copy(f->bytes, len, &e) == -1, "%s cut to %zu", f->name, len);
}
END_TEST

/* A copy cut short whose nlmsg_len says so: the cut lands inside an
 * attribute (-1), drops TCP protoinfo (0), or falls on an attribute
 * boundary after everything the census needs (1, then with the same entry). */
START_TEST(ct_truncated_relabelled_copies_safe)
{
	const struct fixture *f = &fixtures[_i];
	struct ct_entry full, e;
	int rfull = parse_copy(f->bytes, f->len, &full), seen[3] = { 0, 0, 0 };

	for (size_t len = 0; len < f->len; len++) {
		uint8_t *p = copy_of(f->bytes, len);
		uint32_t l32 = (uint32_t)len;
		int r;

		if (len >= 4)
			memcpy(p, &l32, 4);
		r = ct_parse_msg(p, len, &e);
		free(p);
		ck_assert_msg(r >= -1 && r <= rfull, "%s cut to %zu: %d", f->name, len, r);
		if (r == 1)
			ck_assert_mem_eq(&e, &full, sizeof(e));
		seen[r + 1]++;
	}
	ck_assert_int_gt(seen[0], 0);	/* cuts inside attributes */
	ck_assert_int_gt(seen[1], 0);	/* cuts that leave no TCP protoinfo */
}
END_TEST

static uint8_t *mutable_copy(const uint8_t *b, size_t len)
{
	return copy_of(b, len);
}

static void put_u16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

START_TEST(ct_state_mapping)
{
	static const struct {
		uint8_t kernel;
		int r;
		enum ct_state st;
	} cases[] = {
		{ TCP_CONNTRACK_NONE, 0, 0 },
		{ TCP_CONNTRACK_SYN_SENT, 1, CT_SYN_SENT },
		{ TCP_CONNTRACK_SYN_RECV, 1, CT_SYN_RECV },
		{ TCP_CONNTRACK_ESTABLISHED, 1, CT_ESTABLISHED },
		{ TCP_CONNTRACK_FIN_WAIT, 1, CT_FIN_WAIT },
		{ TCP_CONNTRACK_CLOSE_WAIT, 1, CT_CLOSE_WAIT },
		{ TCP_CONNTRACK_LAST_ACK, 1, CT_LAST_ACK },
		{ TCP_CONNTRACK_TIME_WAIT, 1, CT_TIME_WAIT },
		{ TCP_CONNTRACK_CLOSE, 1, CT_CLOSE },
		{ TCP_CONNTRACK_SYN_SENT2, 1, CT_SYN_SENT },	/* simultaneous open, folded */
		{ TCP_CONNTRACK_MAX, 0, 0 },
		{ 255, 0, 0 },
	};
	size_t len = sizeof(ct_v4_established);
	uint8_t *p = mutable_copy(ct_v4_established, len);
	size_t off = attr_path(p, len, PATH(path_state));
	struct ct_entry e;

	ck_assert_uint_eq(p[off + 4], TCP_CONNTRACK_ESTABLISHED);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p[off + 4] = cases[i].kernel;
		ck_assert_int_eq(ct_parse_msg(p, len, &e), cases[i].r);
		if (cases[i].r == 1)
			ck_assert_int_eq(e.state, cases[i].st);
	}
	free(p);
}
END_TEST

START_TEST(ct_rejects_bad_lengths)
{
	size_t len = sizeof(ct_v4_established), off;
	uint8_t *p = mutable_copy(ct_v4_established, len);
	struct ct_entry e;

	/* An IPv4 address of 3 bytes (the attribute still fits its nest). */
	off = attr_path(p, len, PATH(path_v4src));
	put_u16(p + off, 7);
	ck_assert_int_eq(ct_parse_msg(p, len, &e), -1);
	memcpy(p, ct_v4_established, len);
	/* A port of 1 byte. */
	off = attr_path(p, len, PATH(path_sport));
	put_u16(p + off, 5);
	ck_assert_int_eq(ct_parse_msg(p, len, &e), -1);
	memcpy(p, ct_v4_established, len);
	/* An attribute shorter than its own header. */
	off = attr_path(p, len, PATH(path_orig));
	put_u16(p + off, 3);
	ck_assert_int_eq(ct_parse_msg(p, len, &e), -1);
	memcpy(p, ct_v4_established, len);
	/* A nest claiming more than the message holds. */
	off = attr_path(p, len, PATH(path_protoinfo));
	put_u16(p + off, (uint16_t)(len - off + 4));
	ck_assert_int_eq(ct_parse_msg(p, len, &e), -1);
	free(p);
}
END_TEST

START_TEST(ct_rejects_bad_header)
{
	size_t len = sizeof(ct_v4_established);
	uint8_t *p = mutable_copy(ct_v4_established, len);
	struct ct_entry e;
	uint32_t l32;

	p[4] = 0x01;	/* IPCTNL_MSG_CT_GET, not NEW */
	ck_assert_int_eq(ct_parse_msg(p, len, &e), -1);
	p[4] = 0x00;
	p[16] = AF_UNSPEC;	/* nfgenmsg family */
	ck_assert_int_eq(ct_parse_msg(p, len, &e), -1);
	p[16] = AF_INET6;	/* IPv6 family with IPv4 addresses */
	ck_assert_int_eq(ct_parse_msg(p, len, &e), -1);
	p[16] = AF_INET;
	l32 = 19;	/* shorter than nlmsghdr + nfgenmsg */
	memcpy(p, &l32, 4);
	ck_assert_int_eq(ct_parse_msg(p, len, &e), -1);
	l32 = (uint32_t)len;
	memcpy(p, &l32, 4);
	ck_assert_int_eq(ct_parse_msg(p, len, &e), 1);
	free(p);
}
END_TEST

START_TEST(ct_protocol_and_protoinfo_decide_skip)
{
	size_t len = sizeof(ct_v6_time_wait), off;
	uint8_t *p = mutable_copy(ct_v6_time_wait, len);
	struct ct_entry e;

	off = attr_path(p, len, PATH(path_protonum));
	p[off + 4] = IPPROTO_UDP;
	ck_assert_int_eq(ct_parse_msg(p, len, &e), 0);
	memcpy(p, ct_v6_time_wait, len);
	/* Rename CTA_PROTOINFO: a TCP entry without protoinfo is skipped. */
	off = attr_path(p, len, PATH(path_protoinfo));
	put_u16(p + off + 2, 0x8000 | (CTA_MAX + 1));
	ck_assert_int_eq(ct_parse_msg(p, len, &e), 0);
	free(p);
}
END_TEST

START_TEST(ct_build_dump_layout)
{
	static const uint8_t want[20] = {
		20, 0, 0, 0,		/* nlmsg_len */
		0x01, 0x01,		/* NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_GET */
		0x01, 0x03,		/* NLM_F_REQUEST | NLM_F_DUMP */
		0x78, 0x56, 0x34, 0x12,	/* seq */
		0, 0, 0, 0,		/* portid: the kernel fills it in */
		AF_UNSPEC, 0, 0, 0,	/* family (both), NFNETLINK_V0, res_id 0 */
	};
	uint8_t buf[64];

	memset(buf, 0xa5, sizeof(buf));
	ck_assert_uint_eq(ct_build_dump(buf, sizeof(buf), 0x12345678), sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
	ck_assert_uint_eq(buf[20], 0xa5);	/* nothing written past the message */
	ck_assert_uint_eq(ct_build_dump(buf, 19, 1), 0);
	ck_assert_uint_eq(ct_build_dump(buf, 20, 1), 20);
}
END_TEST

START_TEST(ct_state_names)
{
	static const char *const names[CT_NSTATES] = {
		"syn_sent", "syn_recv", "established", "fin_wait",
		"close_wait", "last_ack", "time_wait", "close",
	};

	for (int s = 0; s < CT_NSTATES; s++)
		ck_assert_str_eq(ct_state_name((enum ct_state)s), names[s]);
	ck_assert_str_eq(ct_state_name(CT_NSTATES), "?");
	ck_assert_str_eq(ct_state_name((enum ct_state)-1), "?");
}
END_TEST

static void count_entry(const struct ct_entry *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
}

/* The census object against the real kernel, in a network namespace of its
 * own when we may create one (root: an empty conntrack table, the dump ends
 * at once); unprivileged, the kernel refuses the dump with EPERM.  Either way
 * no state outside the test is read or changed. */
START_TEST(ct_census_lifecycle)
{
	struct ct_census *c;
	struct pollfd p;
	int fd, r, n = 0, rounds = 0;

	(void)unshare(CLONE_NEWNET);	/* Check runs each test in its own fork */
	c = ct_census_open();
	ck_assert_ptr_nonnull(c);
	fd = ct_census_fd(c);
	ck_assert_int_ge(fd, 0);
	ck_assert(!ct_census_running(c));
	ck_assert_int_eq(ct_census_read(c, count_entry, &n), 0);	/* none runs */
	ck_assert_int_eq(ct_census_start(c, 0), 0);
	ck_assert(ct_census_running(c));
	ck_assert_int_eq(ct_census_start(c, 0), -1);
	ck_assert_int_eq(errno, EBUSY);
	do {
		p.fd = fd;
		p.events = POLLIN;
		ck_assert_int_eq(poll(&p, 1, 2000), 1);
		r = ct_census_read(c, count_entry, &n);
	} while (r == 1 && ++rounds < 100);
	ck_assert_msg((r == 0 && n == 0 && ct_census_seen(c) == 0) || (r == -1 && errno == EPERM),
		      "census ended with %d (%s), %d entries", r, strerror(errno), n);
	ck_assert(!ct_census_running(c));
	ck_assert(!ct_census_truncated(c));
	/* An aborted dump leaves a fresh socket under the same number. */
	ck_assert_int_eq(ct_census_start(c, 0), 0);
	ct_census_abort(c);
	ck_assert(!ct_census_running(c));
	ck_assert_int_eq(ct_census_fd(c), fd);
	p.fd = fd;
	p.events = POLLIN;
	ck_assert_int_eq(poll(&p, 1, 50), 0);	/* nothing left of the dump */
	ck_assert_int_eq(ct_census_start(c, 0), 0);
	ct_census_close(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ct");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, ct_parses_captured_ipv4);
	tcase_add_test(tc, ct_parses_captured_ipv6);
	tcase_add_test(tc, ct_skips_udp);
	tcase_add_loop_test(tc, ct_truncated_copies_rejected, 0, NFIXTURES);
	tcase_add_loop_test(tc, ct_truncated_relabelled_copies_safe, 0, NFIXTURES);
	tcase_add_test(tc, ct_state_mapping);
	tcase_add_test(tc, ct_rejects_bad_lengths);
	tcase_add_test(tc, ct_rejects_bad_header);
	tcase_add_test(tc, ct_protocol_and_protoinfo_decide_skip);
	tcase_add_test(tc, ct_build_dump_layout);
	tcase_add_test(tc, ct_state_names);
	tcase_add_test(tc, ct_census_lifecycle);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
