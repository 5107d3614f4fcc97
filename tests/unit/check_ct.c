/* check_ct: unit tests of the ctnetlink census parser and the request
 * builders.  The fixtures are real dump messages captured from a kernel (see
 * ct_fixtures.h); mutated copies check that every length is verified, and
 * every truncation is run from an exactly-sized heap copy so that ASan sees
 * any read past the end.  The proxy entry request is checked byte for byte
 * against layouts written by hand from the uapi headers, and against the
 * real kernel in a network namespace of the test's own. */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

#include "ct.h"
#include "ct_fixtures.h"
#include "unit.h"

#define FIX(a) { a, sizeof(a), #a }

struct fixture {
	const uint8_t *bytes;
	size_t len;
	const char *name;
};

static const struct fixture fixtures[] = {
	FIX(ct_v4_established), FIX(ct_v4_close_wait), FIX(ct_v4_time_wait),
	FIX(ct_v6_established), FIX(ct_v6_close_wait), FIX(ct_v6_time_wait),
	FIX(ct_v4_udp), FIX(ct_v6_udp), FIX(ct_v4_proxied), FIX(ct_v6_proxied),
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
	ck_assert_int_eq(e.tuple.family, AF_INET);
	ck_assert_mem_eq(e.tuple.client, client4, 4);
	ck_assert_mem_eq(e.tuple.server, server4, 4);
	ck_assert_mem_eq(e.tuple.client + 4, zero16, 12);
	ck_assert_mem_eq(e.tuple.server + 4, zero16, 12);
	ck_assert_uint_eq(e.tuple.client_port, sport);
	ck_assert_uint_eq(e.tuple.server_port, 8080);
	ck_assert_int_eq(e.state, st);
}

static void check_v6(const uint8_t *msg, size_t len, uint16_t sport, enum ct_state st)
{
	struct ct_entry e;

	ck_assert_int_eq(parse_copy(msg, len, &e), 1);
	ck_assert_int_eq(e.tuple.family, AF_INET6);
	ck_assert_mem_eq(e.tuple.client, client6, 16);
	ck_assert_mem_eq(e.tuple.server, server6, 16);
	ck_assert_uint_eq(e.tuple.client_port, sport);
	ck_assert_uint_eq(e.tuple.server_port, 8080);
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
 * boundary after everything the census needs (1, then with the same entry,
 * but for a sequence adjustment the cut may have dropped). */
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
		if (r == 1 && !e.seqadj) {
			struct ct_entry cut;

			memcpy(&cut, &full, sizeof(cut));
			cut.seqadj = false;
			cut.seqadj_pos = 0;
			cut.seqadj_offset = 0;
			ck_assert_mem_eq(&e, &cut, sizeof(e));
		} else if (r == 1) {
			ck_assert_mem_eq(&e, &full, sizeof(e));
		}
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

/* ---- proxied connections' entries ---- */

static const uint16_t path_adj_after[] = { CTA_SEQ_ADJ_REPLY, CTA_SEQADJ_OFFSET_AFTER };
static const uint16_t path_adj_reply[] = { CTA_SEQ_ADJ_REPLY };

START_TEST(ct_parses_proxied_entries)
{
	struct ct_entry e;

	check_v4(ct_v4_proxied, sizeof(ct_v4_proxied), 40000, CT_ESTABLISHED);
	ck_assert_int_eq(parse_copy(ct_v4_proxied, sizeof(ct_v4_proxied), &e), 1);
	ck_assert(e.seqadj);
	ck_assert_uint_eq(e.seqadj_pos, 0xfedcba98);
	ck_assert_int_eq(e.seqadj_offset, 0x02468acf);
	ck_assert_int_eq(parse_copy(ct_v6_proxied, sizeof(ct_v6_proxied), &e), 1);
	ck_assert_int_eq(e.tuple.family, AF_INET6);
	ck_assert_mem_eq(e.tuple.client, client6, 16);
	ck_assert_mem_eq(e.tuple.server, server6, 16);
	ck_assert_uint_eq(e.tuple.client_port, 40001);
	ck_assert_uint_eq(e.tuple.server_port, 8080);
	ck_assert_int_eq(e.state, CT_ESTABLISHED);
	ck_assert(e.seqadj);
	ck_assert_uint_eq(e.seqadj_pos, 0x1000);
	ck_assert_int_eq(e.seqadj_offset, -2048);
	/* A direct connection: no adjustment. */
	ck_assert_int_eq(parse_copy(ct_v4_established, sizeof(ct_v4_established), &e), 1);
	ck_assert(!e.seqadj);
}
END_TEST

START_TEST(ct_rejects_bad_seqadj)
{
	size_t len = sizeof(ct_v4_proxied), off;
	uint8_t *p = mutable_copy(ct_v4_proxied, len);
	struct ct_entry e;

	/* An offset of 3 bytes. */
	off = attr_path(p, len, PATH(path_adj_after));
	put_u16(p + off, 7);
	ck_assert_int_eq(ct_parse_msg(p, len, &e), -1);
	memcpy(p, ct_v4_proxied, len);
	/* No OFFSET_AFTER at all. */
	put_u16(p + off + 2, CTA_SEQADJ_MAX + 1);
	ck_assert_int_eq(ct_parse_msg(p, len, &e), -1);
	memcpy(p, ct_v4_proxied, len);
	/* Without CTA_SEQ_ADJ_REPLY the entry has no adjustment (ORIG's is
	 * not ours). */
	off = attr_path(p, len, PATH(path_adj_reply));
	put_u16(p + off + 2, 0x8000 | (CTA_MAX + 1));
	ck_assert_int_eq(ct_parse_msg(p, len, &e), 1);
	ck_assert(!e.seqadj);
	free(p);
}
END_TEST

/* IPv4, window scaling and SACK on, not liberal; the offset wraps. */
static const struct ct_proxy proxy4 = {
	.tuple = {
		.family = AF_INET,
		.client = { 192, 0, 2, 2 },
		.server = { 203, 0, 113, 2 },
		.client_port = 40000,
		.server_port = 8080,
	},
	.server_isn = 0xfedcba98,
	.proxy_isn = 0x01234567,	/* K - S = 0x02468acf (mod 2^32) */
	.client_wscale = 7,
	.server_wscale = 9,
	.sack = true,
	.liberal = false,
	.mark = 0x5a000001,
	.timeout_s = 120,
};

/* nlmsghdr and nfgenmsg as every request of ours starts (x86: the netlink
 * header is in host order, little endian). */
static const uint8_t want4[224] = {
	224, 0, 0, 0,			/* nlmsg_len */
	0x00, 0x01,			/* NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW */
	0x05, 0x06,			/* REQUEST 0x1 | ACK 0x4 | EXCL 0x200 | CREATE 0x400 */
	0x04, 0x03, 0x02, 0x01,		/* seq 0x01020304 */
	0, 0, 0, 0,			/* portid */
	AF_INET, 0, 0, 0,		/* nfgen_family, NFNETLINK_V0, res_id */
	/* CTA_TUPLE_ORIG (1) | NLA_F_NESTED (0x8000), 52 bytes */
	52, 0, 0x01, 0x80,
	  /* CTA_TUPLE_IP (1), nested, 20 */
	  20, 0, 0x01, 0x80,
	    8, 0, 1, 0, 192, 0, 2, 2,		/* CTA_IP_V4_SRC: client */
	    8, 0, 2, 0, 203, 0, 113, 2,		/* CTA_IP_V4_DST: server */
	  /* CTA_TUPLE_PROTO (2), nested, 28 */
	  28, 0, 0x02, 0x80,
	    5, 0, 1, 0, IPPROTO_TCP, 0, 0, 0,	/* CTA_PROTO_NUM, padded to 8 */
	    6, 0, 2, 0, 0x9c, 0x40, 0, 0,	/* CTA_PROTO_SRC_PORT 40000, big endian */
	    6, 0, 3, 0, 0x1f, 0x90, 0, 0,	/* CTA_PROTO_DST_PORT 8080 */
	/* CTA_TUPLE_REPLY (2), nested, 52: server -> client */
	52, 0, 0x02, 0x80,
	  20, 0, 0x01, 0x80,
	    8, 0, 1, 0, 203, 0, 113, 2,
	    8, 0, 2, 0, 192, 0, 2, 2,
	  28, 0, 0x02, 0x80,
	    5, 0, 1, 0, IPPROTO_TCP, 0, 0, 0,
	    6, 0, 2, 0, 0x1f, 0x90, 0, 0,
	    6, 0, 3, 0, 0x9c, 0x40, 0, 0,
	/* CTA_STATUS (3): SEEN_REPLY 0x2 | ASSURED 0x4 | CONFIRMED 0x8, big endian */
	8, 0, 3, 0, 0, 0, 0, 0x0e,
	/* CTA_TIMEOUT (7): 120 s */
	8, 0, 7, 0, 0, 0, 0, 120,
	/* CTA_MARK (8) */
	8, 0, 8, 0, 0x5a, 0, 0, 0x01,
	/* CTA_PROTOINFO (4), nested, 48 */
	48, 0, 0x04, 0x80,
	  /* CTA_PROTOINFO_TCP (1), nested, 44 */
	  44, 0, 0x01, 0x80,
	    5, 0, 1, 0, TCP_CONNTRACK_ESTABLISHED, 0, 0, 0,	/* _STATE */
	    5, 0, 2, 0, 7, 0, 0, 0,		/* _WSCALE_ORIGINAL: the client's */
	    5, 0, 3, 0, 9, 0, 0, 0,		/* _WSCALE_REPLY: the server's */
	    /* _FLAGS_ORIGINAL, struct nf_ct_tcp_flags: flags WINDOW_SCALE 0x1 |
	     * SACK_PERM 0x2, mask WINDOW_SCALE | SACK_PERM | BE_LIBERAL 0x8 */
	    6, 0, 4, 0, 0x03, 0x0b, 0, 0,
	    6, 0, 5, 0, 0x03, 0x0b, 0, 0,	/* _FLAGS_REPLY */
	/* CTA_SEQ_ADJ_REPLY (16), nested, 28 */
	28, 0, 0x10, 0x80,
	  8, 0, 1, 0, 0xfe, 0xdc, 0xba, 0x98,	/* CTA_SEQADJ_CORRECTION_POS: S */
	  8, 0, 2, 0, 0x02, 0x46, 0x8a, 0xcf,	/* CTA_SEQADJ_OFFSET_BEFORE: K - S */
	  8, 0, 3, 0, 0x02, 0x46, 0x8a, 0xcf,	/* CTA_SEQADJ_OFFSET_AFTER: K - S */
};

/* IPv6, window scales 0 and 14, no SACK, liberal; a negative offset. */
static const struct ct_proxy proxy6 = {
	.tuple = {
		.family = AF_INET6,
		.client = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 },
		.server = { 0x20, 0x01, 0x0d, 0xb8, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 },
		.client_port = 40001,
		.server_port = 443,
	},
	.server_isn = 0x00001000,
	.proxy_isn = 0x00000800,	/* K - S = -2048 */
	.client_wscale = 0,
	.server_wscale = 14,
	.sack = false,
	.liberal = true,
	.mark = 0,
	.timeout_s = 86400,
};

#define ADDR6_CLIENT 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2
#define ADDR6_SERVER 0x20, 0x01, 0x0d, 0xb8, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2

static const uint8_t want6[272] = {
	0x10, 0x01, 0, 0,		/* nlmsg_len 272 */
	0x00, 0x01,			/* IPCTNL_MSG_CT_NEW */
	0x05, 0x06,			/* REQUEST | ACK | EXCL | CREATE */
	7, 0, 0, 0,			/* seq */
	0, 0, 0, 0,			/* portid */
	AF_INET6, 0, 0, 0,		/* nfgen_family, NFNETLINK_V0, res_id */
	/* CTA_TUPLE_ORIG, nested, 76 */
	76, 0, 0x01, 0x80,
	  /* CTA_TUPLE_IP, nested, 44 */
	  44, 0, 0x01, 0x80,
	    20, 0, 3, 0, ADDR6_CLIENT,		/* CTA_IP_V6_SRC (3) */
	    20, 0, 4, 0, ADDR6_SERVER,		/* CTA_IP_V6_DST (4) */
	  28, 0, 0x02, 0x80,			/* CTA_TUPLE_PROTO */
	    5, 0, 1, 0, IPPROTO_TCP, 0, 0, 0,
	    6, 0, 2, 0, 0x9c, 0x41, 0, 0,	/* 40001 */
	    6, 0, 3, 0, 0x01, 0xbb, 0, 0,	/* 443 */
	/* CTA_TUPLE_REPLY, nested, 76 */
	76, 0, 0x02, 0x80,
	  44, 0, 0x01, 0x80,
	    20, 0, 3, 0, ADDR6_SERVER,
	    20, 0, 4, 0, ADDR6_CLIENT,
	  28, 0, 0x02, 0x80,
	    5, 0, 1, 0, IPPROTO_TCP, 0, 0, 0,
	    6, 0, 2, 0, 0x01, 0xbb, 0, 0,
	    6, 0, 3, 0, 0x9c, 0x41, 0, 0,
	8, 0, 3, 0, 0, 0, 0, 0x0e,		/* CTA_STATUS */
	8, 0, 7, 0, 0x00, 0x01, 0x51, 0x80,	/* CTA_TIMEOUT 86400 */
	8, 0, 8, 0, 0, 0, 0, 0,			/* CTA_MARK 0 */
	48, 0, 0x04, 0x80,			/* CTA_PROTOINFO */
	  44, 0, 0x01, 0x80,			/* CTA_PROTOINFO_TCP */
	    5, 0, 1, 0, TCP_CONNTRACK_ESTABLISHED, 0, 0, 0,
	    5, 0, 2, 0, 0, 0, 0, 0,		/* _WSCALE_ORIGINAL 0: scaling on, shift 0 */
	    5, 0, 3, 0, 14, 0, 0, 0,		/* _WSCALE_REPLY 14 */
	    6, 0, 4, 0, 0x09, 0x0b, 0, 0,	/* WINDOW_SCALE | BE_LIBERAL, mask 0x0b */
	    6, 0, 5, 0, 0x09, 0x0b, 0, 0,
	28, 0, 0x10, 0x80,			/* CTA_SEQ_ADJ_REPLY */
	  8, 0, 1, 0, 0x00, 0x00, 0x10, 0x00,	/* S */
	  8, 0, 2, 0, 0xff, 0xff, 0xf8, 0x00,	/* -2048 */
	  8, 0, 3, 0, 0xff, 0xff, 0xf8, 0x00,
};

/* Builds into an exactly-sized heap buffer (ASan sees any write past it)
 * and compares. */
static void check_build(const struct ct_proxy *p, uint32_t seq, const uint8_t *want, size_t len)
{
	uint8_t *buf = malloc(len);

	ck_assert_ptr_nonnull(buf);
	memset(buf, 0xa5, len);
	ck_assert_uint_eq(ct_build_proxy_new(buf, len, seq, p), len);
	for (size_t i = 0; i < len; i++)
		ck_assert_msg(buf[i] == want[i], "byte %zu: 0x%02x, want 0x%02x", i, buf[i], want[i]);
	free(buf);
}

START_TEST(ct_build_proxy_new_ipv4)
{
	check_build(&proxy4, 0x01020304, want4, sizeof(want4));
}
END_TEST

START_TEST(ct_build_proxy_new_ipv6)
{
	check_build(&proxy6, 7, want6, sizeof(want6));
}
END_TEST

/* Every size short of the message gives 0 and writes only within size. */
START_TEST(ct_build_proxy_new_too_small)
{
	const struct ct_proxy *ps[2] = { &proxy4, &proxy6 };
	const size_t lens[2] = { sizeof(want4), sizeof(want6) };

	for (int f = 0; f < 2; f++) {
		for (size_t size = 0; size < lens[f]; size++) {
			uint8_t *buf = malloc(size ? size : 1);

			ck_assert_ptr_nonnull(buf);
			ck_assert_msg(ct_build_proxy_new(buf, size, 1, ps[f]) == 0, "size %zu", size);
			free(buf);
		}
	}
}
END_TEST

/* Window scaling is either on for both ends or off: without both shifts
 * there are no WSCALE attributes and no WINDOW_SCALE flag; the rest of the
 * message does not change. */
START_TEST(ct_build_proxy_new_no_wscale)
{
	static const uint8_t protoinfo[32] = {
		32, 0, 0x04, 0x80,		/* CTA_PROTOINFO, nested, 32 */
		  28, 0, 0x01, 0x80,		/* CTA_PROTOINFO_TCP, nested, 28 */
		    5, 0, 1, 0, TCP_CONNTRACK_ESTABLISHED, 0, 0, 0,
		    6, 0, 4, 0, 0x02, 0x0b, 0, 0,	/* SACK_PERM only, mask 0x0b */
		    6, 0, 5, 0, 0x02, 0x0b, 0, 0,
	};
	static const uint8_t shifts[3][2] = {
		{ CT_NO_WSCALE, 9 }, { 7, CT_NO_WSCALE }, { CT_NO_WSCALE, CT_NO_WSCALE },
	};
	const size_t head = 148, tail = 28, len = head + sizeof(protoinfo) + tail;

	for (int i = 0; i < 3; i++) {
		struct ct_proxy p = proxy4;
		uint8_t buf[512];

		p.client_wscale = shifts[i][0];
		p.server_wscale = shifts[i][1];
		ck_assert_uint_eq(ct_build_proxy_new(buf, sizeof(buf), 0x01020304, &p), len);
		ck_assert_uint_eq(buf[0], len);
		ck_assert_mem_eq(buf + 1, want4 + 1, head - 1);
		ck_assert_mem_eq(buf + head, protoinfo, sizeof(protoinfo));
		ck_assert_mem_eq(buf + head + sizeof(protoinfo), want4 + sizeof(want4) - tail, tail);
	}
}
END_TEST

START_TEST(ct_build_proxy_new_bad_family)
{
	struct ct_proxy p = proxy4;
	uint8_t buf[512];

	p.tuple.family = AF_UNSPEC;
	ck_assert_uint_eq(ct_build_proxy_new(buf, sizeof(buf), 1, &p), 0);
	p.tuple.family = AF_PACKET;
	ck_assert_uint_eq(ct_build_proxy_new(buf, sizeof(buf), 1, &p), 0);
}
END_TEST

/* Our request reads back through the census parser as the entry it asks
 * for (same message type, same attribute layout as the kernel's). */
START_TEST(ct_build_proxy_new_round_trip)
{
	const struct ct_proxy *ps[2] = { &proxy4, &proxy6 };

	for (int f = 0; f < 2; f++) {
		const struct ct_proxy *p = ps[f];
		size_t alen = p->tuple.family == AF_INET ? 4 : 16;
		uint8_t buf[512];
		struct ct_entry e;
		size_t len = ct_build_proxy_new(buf, sizeof(buf), 9, p);

		ck_assert_uint_gt(len, 0);
		ck_assert_int_eq(ct_parse_msg(buf, len, &e), 1);
		ck_assert_int_eq(e.tuple.family, p->tuple.family);
		ck_assert_mem_eq(e.tuple.client, p->tuple.client, alen);
		ck_assert_mem_eq(e.tuple.server, p->tuple.server, alen);
		ck_assert_uint_eq(e.tuple.client_port, p->tuple.client_port);
		ck_assert_uint_eq(e.tuple.server_port, p->tuple.server_port);
		ck_assert_int_eq(e.state, CT_ESTABLISHED);
		ck_assert(e.seqadj);
		ck_assert_uint_eq(e.seqadj_pos, p->server_isn);
		ck_assert_int_eq(e.seqadj_offset, (int32_t)(p->proxy_isn - p->server_isn));
	}
}
END_TEST

/* --- against the kernel ---- */

/* A namespace of our own, or a skip (a failure when CI=true): a request
 * must never reach the caller's conntrack table. */
static bool own_netns(const char *test)
{
	const char *ci = getenv("CI");

	if (unshare(CLONE_NEWNET) == 0)
		return true;
	ck_assert_msg(!ci || strcmp(ci, "true") != 0, "%s: no network namespace (%s), CI=true",
		      test, strerror(errno));
	fprintf(stderr, "%s: skipped, no network namespace (%s)\n", test, strerror(errno));
	return false;
}

static void check_live(struct ct_ctl *c, const struct ct_proxy *p)
{
	struct ct_proxy clash = *p;
	int32_t off = 0;

	ck_assert_int_eq(ct_ctl_seqadj(c, &p->tuple, &off), -ENOENT);
	ck_assert_int_eq(ct_ctl_create(c, p), 0);
	ck_assert_int_eq(ct_ctl_seqadj(c, &p->tuple, &off), 1);
	ck_assert_int_eq(off, (int32_t)(p->proxy_isn - p->server_isn));
	ck_assert_int_eq(ct_ctl_create(c, p), -EEXIST);
	/* Another ORIGINAL tuple, but its REPLY tuple is taken. */
	memcpy(clash.tuple.client, p->tuple.server, sizeof(clash.tuple.client));
	memcpy(clash.tuple.server, p->tuple.client, sizeof(clash.tuple.server));
	clash.tuple.client_port = p->tuple.server_port;
	clash.tuple.server_port = p->tuple.client_port;
	ck_assert_int_eq(ct_ctl_create(c, &clash), -EEXIST);
}

struct seen_adj {
	int n;
	struct ct_entry e[4];
};

static void keep_entry(const struct ct_entry *e, void *arg)
{
	struct seen_adj *s = arg;

	if (s->n < 4)
		s->e[s->n] = *e;
	s->n++;
}

static void check_census_sees(const struct seen_adj *s, const struct ct_proxy *p)
{
	for (int i = 0; i < s->n && i < 4; i++) {
		const struct ct_entry *e = &s->e[i];

		if (e->tuple.family != p->tuple.family ||
		    e->tuple.client_port != p->tuple.client_port)
			continue;
		ck_assert(e->seqadj);
		ck_assert_uint_eq(e->seqadj_pos, p->server_isn);
		ck_assert_int_eq(e->seqadj_offset, (int32_t)(p->proxy_isn - p->server_isn));
		ck_assert_int_eq(e->state, CT_ESTABLISHED);
		return;
	}
	ck_abort_msg("census: no entry for port %u", p->tuple.client_port);
}

/* In a fresh namespace (conntrack needs no rule there to take entries):
 * both families created, read back with their offsets, refused when they
 * exist, and seen by the census with their adjustment. */
START_TEST(ct_ctl_proxy_entries)
{
	struct ct_ctl *c = ct_ctl_open();
	struct seen_adj seen = { 0 };
	struct ct_proxy unspec = { .tuple = { .family = AF_UNSPEC, .client_port = 1,
					      .server_port = 2 } };
	struct ct_census *census;
	struct pollfd pfd;
	int r, rounds = 0;
	int32_t off;

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(ct_ctl_create(c, &unspec), -EINVAL);
	ck_assert_int_eq(ct_ctl_seqadj(c, &unspec.tuple, &off), -EINVAL);
	if (!own_netns("ct_ctl_proxy_entries")) {
		ct_ctl_close(c);
		return;
	}
	/* The socket was opened before: it still speaks to the old namespace. */
	ct_ctl_close(c);
	c = ct_ctl_open();
	ck_assert_ptr_nonnull(c);
	check_live(c, &proxy4);
	check_live(c, &proxy6);
	ct_ctl_close(c);
	census = ct_census_open();
	ck_assert_ptr_nonnull(census);
	ck_assert_int_eq(ct_census_start(census, 0), 0);
	do {
		pfd.fd = ct_census_fd(census);
		pfd.events = POLLIN;
		ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
		r = ct_census_read(census, keep_entry, &seen);
	} while (r == 1 && ++rounds < 100);
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(seen.n, 2);
	check_census_sees(&seen, &proxy4);
	check_census_sees(&seen, &proxy6);
	ct_census_close(census);
}
END_TEST

/* The restore after an inexact RST: an update of the entry (no CREATE, no
 * EXCL) with its ORIGINAL tuple, the timeout, and the originator's "data
 * unacknowledged" flag cleared (mask 0x10, flags 0), nothing else. */
static const uint8_t want_restore4[96] = {
	96, 0, 0, 0,			/* nlmsg_len */
	0x00, 0x01,			/* IPCTNL_MSG_CT_NEW */
	0x05, 0x00,			/* REQUEST 0x1 | ACK 0x4 */
	9, 0, 0, 0,			/* seq */
	0, 0, 0, 0,			/* portid */
	AF_INET, 0, 0, 0,
	52, 0, 0x01, 0x80,		/* CTA_TUPLE_ORIG */
	  20, 0, 0x01, 0x80,
	    8, 0, 1, 0, 192, 0, 2, 2,
	    8, 0, 2, 0, 203, 0, 113, 2,
	  28, 0, 0x02, 0x80,
	    5, 0, 1, 0, IPPROTO_TCP, 0, 0, 0,
	    6, 0, 2, 0, 0x9c, 0x40, 0, 0,
	    6, 0, 3, 0, 0x1f, 0x90, 0, 0,
	8, 0, 7, 0, 0x00, 0x06, 0x97, 0x80,	/* CTA_TIMEOUT 432000 */
	16, 0, 0x04, 0x80,		/* CTA_PROTOINFO */
	  12, 0, 0x01, 0x80,		/* CTA_PROTOINFO_TCP */
	    6, 0, 4, 0, 0x00, 0x10, 0, 0,	/* _FLAGS_ORIGINAL: flags 0, mask DATA_UNACKNOWLEDGED */
};

START_TEST(ct_build_restore_layout)
{
	uint8_t buf[256];
	size_t n;

	memset(buf, 0xee, sizeof(buf));
	n = ct_build_restore(buf, sizeof(buf), 9, &proxy4.tuple, 432000);
	ck_assert_uint_eq(n, sizeof(want_restore4));
	ck_assert_mem_eq(buf, want_restore4, n);
	for (size_t size = 0; size < n; size++) {
		memset(buf, 0xee, sizeof(buf));
		ck_assert_uint_eq(ct_build_restore(buf, size, 9, &proxy4.tuple, 432000), 0);
		for (size_t i = size; i < sizeof(buf); i++)
			ck_assert_uint_eq(buf[i], 0xee);
	}
}
END_TEST

/* The entry's time to live in this namespace's /proc/net/nf_conntrack, by
 * its client port; -1 if none. */
static long proc_ttl(unsigned port)
{
	FILE *f = fopen("/proc/net/nf_conntrack", "re");
	char line[512], want[32];
	long ttl = -1;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), " sport=%u ", port);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, want) && sscanf(line, "%*s %*s %*s %*s %ld", &ttl) == 1)
			break;
	fclose(f);
	return ttl;
}

/* Against the kernel, in a namespace of its own: an ESTABLISHED entry
 * (created as the proxy creates them, 120 s) gets the timeout back; a
 * missing or deleted one is -ENOENT. */
START_TEST(ct_ctl_restore_live)
{
	struct ct_ctl *c;
	struct ct_proxy closed = proxy4;
	long ttl;

	if (!own_netns("ct_ctl_restore_live"))
		return;
	c = ct_ctl_open();
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(ct_ctl_restore_established(c, &proxy4.tuple, 432000), -ENOENT);
	ck_assert_int_eq(ct_ctl_create(c, &proxy4), 0);
	ttl = proc_ttl(proxy4.tuple.client_port);
	ck_assert_msg(ttl > 0 && ttl <= 120, "ttl %ld before", ttl);
	ck_assert_int_eq(ct_ctl_restore_established(c, &proxy4.tuple, 432000), 1);
	ttl = proc_ttl(proxy4.tuple.client_port);
	ck_assert_msg(ttl > 431000, "ttl %ld after", ttl);
	closed.tuple.client_port = 40002;
	ck_assert_int_eq(ct_ctl_create(c, &closed), 0);
	ck_assert_int_eq(ct_ctl_delete(c, &closed.tuple), 0);
	ck_assert_int_eq(ct_ctl_restore_established(c, &closed.tuple, 432000), -ENOENT);
	ct_ctl_close(c);
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

Suite *unit_suite(void)
{
	Suite *s = suite_create("ct");
	TCase *tc = unit_tcase("core");

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
	tc = unit_tcase("proxy");
	tcase_add_test(tc, ct_parses_proxied_entries);
	tcase_add_test(tc, ct_rejects_bad_seqadj);
	tcase_add_test(tc, ct_build_proxy_new_ipv4);
	tcase_add_test(tc, ct_build_proxy_new_ipv6);
	tcase_add_test(tc, ct_build_proxy_new_too_small);
	tcase_add_test(tc, ct_build_proxy_new_no_wscale);
	tcase_add_test(tc, ct_build_proxy_new_bad_family);
	tcase_add_test(tc, ct_build_proxy_new_round_trip);
	tcase_add_test(tc, ct_ctl_proxy_entries);
	tcase_add_test(tc, ct_build_restore_layout);
	tcase_add_test(tc, ct_ctl_restore_live);
	suite_add_tcase(s, tc);
	return s;
}
