/* check_nl: unit tests of the shared netlink helpers: the bounded message
 * builder (byte-exact against libmnl's), the batch that sends itself before
 * a message could overflow it, and the error codes of replies (short
 * payloads, codes that are no errno, INT_MIN). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>

#include "fuzz_fixtures.h"
#include "nl.h"
#include "unit.h"

#define CAP 256

struct recorder {
	unsigned batches, msgs;
	size_t max_len, bytes;
	int fail;	/* make sends fail with this errno */
};

/* Every batch handed over holds whole messages that fit the buffer. */
static int record(void *arg, const void *buf, size_t len, unsigned msgs)
{
	struct recorder *r = arg;
	const struct nlmsghdr *nlh = buf;
	int rest = (int)len;
	unsigned n = 0;

	ck_assert_uint_le(len, CAP);
	for (; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest))
		n++;
	ck_assert_int_eq(rest, 0);
	ck_assert_uint_eq(n, msgs);
	r->batches++;
	r->msgs += msgs;
	r->bytes += len;
	if (len > r->max_len)
		r->max_len = len;
	if (r->fail) {
		errno = r->fail;
		return -1;
	}
	return 0;
}

/* A message of exactly len bytes (len >= 20, a multiple of 4). */
static void put_msg(struct nl_batch *b, size_t max, size_t len, uint8_t fill)
{
	size_t room;
	uint8_t *at = nl_batch_reserve(b, max, &room);
	struct nl_msg m;

	ck_assert_ptr_nonnull(at);
	ck_assert_uint_ge(room, max);
	ck_assert(nl_msg_start(&m, at, max, &(struct nl_head){ 0x1234, NLM_F_REQUEST, 7, 2, 3 }));
	if (len > 20) {
		uint8_t data[CAP];

		memset(data, fill, sizeof(data));
		nl_put(&m, 1, len - 20 - 4, data);
	}
	ck_assert_uint_eq(nl_msg_len(&m), len);
	ck_assert_int_eq(nl_batch_commit(b, m.nlh, room), 0);
}

START_TEST(nl_batch_never_overflows)
{
	/* Canaries on both sides: ASan and the check below see any stray write. */
	uint8_t *mem = malloc(CAP + 64);
	struct recorder r = { 0 };
	struct nl_batch b;
	unsigned n = 0;

	memset(mem, 0xcc, CAP + 64);
	nl_batch_init(&b, mem + 32, CAP, record, &r);
	for (unsigned i = 0; i < 5000; i++) {
		size_t len = 24 + 4 * (i * 7 % 40);	/* 24..180 bytes, mixed */

		put_msg(&b, len, len, (uint8_t)i);
		n++;
	}
	ck_assert_int_eq(nl_batch_flush(&b), 0);
	ck_assert_int_eq(nl_batch_flush(&b), 0);	/* nothing left: no send */
	ck_assert_uint_eq(r.msgs, n);
	ck_assert_uint_gt(r.batches, 5000 / (CAP / 24));
	ck_assert_uint_le(r.max_len, CAP);
	ck_assert_uint_eq(b.dropped, 0);
	for (int i = 0; i < 32; i++) {
		ck_assert_uint_eq(mem[i], 0xcc);
		ck_assert_uint_eq(mem[32 + CAP + i], 0xcc);
	}
	free(mem);
}
END_TEST

START_TEST(nl_batch_fills_exactly)
{
	uint8_t buf[CAP];
	struct recorder r = { 0 };
	struct nl_batch b;

	nl_batch_init(&b, buf, CAP, record, &r);
	for (int i = 0; i < 4; i++)
		put_msg(&b, 64, 64, 1);	/* 4 x 64 = CAP: no send yet */
	ck_assert_uint_eq(r.batches, 0);
	put_msg(&b, 24, 24, 2);		/* does not fit: the batch goes first */
	ck_assert_uint_eq(r.batches, 1);
	ck_assert_uint_eq(r.bytes, CAP);
	ck_assert_uint_eq(b.len, 24);
	/* A reservation larger than the buffer is refused, nothing is sent. */
	size_t room;

	ck_assert_ptr_null(nl_batch_reserve(&b, CAP + 1, &room));
	ck_assert_int_eq(errno, EMSGSIZE);
	ck_assert_uint_eq(r.batches, 1);
	ck_assert_int_eq(nl_batch_flush(&b), 0);
	ck_assert_uint_eq(r.msgs, 5);
}
END_TEST

START_TEST(nl_batch_commit_checks_room)
{
	uint8_t buf[CAP];
	struct recorder r = { 0 };
	struct nl_batch b;
	size_t room;
	struct nlmsghdr *nlh;

	nl_batch_init(&b, buf, CAP, record, &r);
	nlh = nl_batch_reserve(&b, 32, &room);
	nlh->nlmsg_len = (uint32_t)room + 4;	/* claims more than reserved */
	ck_assert_int_eq(nl_batch_commit(&b, nlh, room), -1);
	nlh->nlmsg_len = 8;			/* shorter than a header */
	ck_assert_int_eq(nl_batch_commit(&b, nlh, room), -1);
	ck_assert_uint_eq(b.dropped, 2);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_int_eq(nl_batch_flush(&b), 0);
	ck_assert_uint_eq(r.batches, 0);
}
END_TEST

START_TEST(nl_batch_send_failure)
{
	uint8_t buf[CAP];
	struct recorder r = { .fail = ENOBUFS };
	struct nl_batch b;

	nl_batch_init(&b, buf, CAP, record, &r);
	put_msg(&b, 64, 64, 1);
	ck_assert_int_eq(nl_batch_flush(&b), -1);
	ck_assert_int_eq(errno, ENOBUFS);
	ck_assert_uint_eq(b.len, 0);	/* the failed batch is not sent twice */
	ck_assert_uint_eq(b.msgs, 0);
}
END_TEST

/* The same message through libmnl and through nl_msg: the same bytes. */
START_TEST(nl_msg_matches_libmnl)
{
	static const uint8_t addr[16] = { 0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4 };
	uint8_t a[512], b[512];
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	struct nlattr *n1, *n2;
	struct nl_msg m;

	memset(a, 0x77, sizeof(a));
	memset(b, 0x33, sizeof(b));
	nlh = mnl_nlmsg_put_header(a);
	nlh->nlmsg_type = 0x0601;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 99;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = 10;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(513);
	mnl_attr_put_u8(nlh, 1, 7);
	mnl_attr_put_strz(nlh, 2, "synguard-v6");
	n1 = mnl_attr_nest_start(nlh, 3);
	n2 = mnl_attr_nest_start(nlh, 4);
	mnl_attr_put(nlh, 5, 16, addr);
	mnl_attr_nest_end(nlh, n2);
	mnl_attr_put_u16(nlh, 6, htons(0xbeef));
	mnl_attr_put_u32(nlh, 7, htonl(0xdeadbeef));
	mnl_attr_put(nlh, 8, 3, "abc");
	mnl_attr_nest_end(nlh, n1);

	ck_assert(nl_msg_start(&m, b, sizeof(b),
			       &(struct nl_head){ 0x0601, NLM_F_REQUEST | NLM_F_ACK, 99, 10, 513 }));
	nl_put_u8(&m, 1, 7);
	nl_put_strz(&m, 2, "synguard-v6");
	n1 = nl_nest_start(&m, 3);
	n2 = nl_nest_start(&m, 4);
	nl_put(&m, 5, 16, addr);
	nl_nest_end(&m, n2);
	nl_put_be16(&m, 6, 0xbeef);
	nl_put_be32(&m, 7, 0xdeadbeef);
	nl_put(&m, 8, 3, "abc");
	nl_nest_end(&m, n1);
	ck_assert_uint_eq(nl_msg_len(&m), nlh->nlmsg_len);
	/* libmnl zeroes the padding too (1.0.5+); compare every byte. */
	for (size_t i = 0; i < nlh->nlmsg_len; i++)
		if ((a[i] != b[i]) && !(a[i] == 0x77 && b[i] == 0))
			ck_abort_msg("byte %zu: libmnl %#x, nl %#x", i, a[i], b[i]);
	ck_assert_uint_eq(b[nlh->nlmsg_len], 0x33);	/* nothing written after */
}
END_TEST

/* Every size from 0 to the full length: a put never writes past size, and
 * the message is either complete or reported as not fitting. */
START_TEST(nl_msg_bounded_by_size)
{
	uint8_t full[256];
	size_t want;
	struct nl_msg m;

	ck_assert(nl_msg_start(&m, full, sizeof(full), &(struct nl_head){ .type = 1, .family = 2 }));
	nl_put_strz(&m, 1, "hash:net");
	nl_nest_end(&m, nl_nest_start(&m, 2));
	nl_put_be32(&m, 3, 1);
	want = nl_msg_len(&m);
	ck_assert_uint_eq(want, 20 + 16 + 4 + 8);
	for (size_t size = 0; size <= want + 8; size++) {
		uint8_t *buf = malloc(size ? size : 1);	/* exact: ASan sees overruns */
		bool ok = nl_msg_start(&m, buf, size, &(struct nl_head){ .type = 1, .family = 2 });
		struct nlattr *n;

		ck_assert(ok == (size >= 20));
		if (ok) {
			nl_put_strz(&m, 1, "hash:net");
			n = nl_nest_start(&m, 2);
			nl_nest_end(&m, n);
			nl_put_be32(&m, 3, 1);
			ck_assert_uint_eq(nl_msg_len(&m), size >= want ? want : 0);
			if (size >= want)
				ck_assert_mem_eq(buf, full, want);
		}
		free(buf);
	}
}
END_TEST

static struct nlmsghdr *error_msg(uint8_t *buf, size_t payload, int32_t code)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(void *)buf;

	memset(buf, 0, 64);
	nlh->nlmsg_len = (uint32_t)(NLMSG_HDRLEN + payload);
	nlh->nlmsg_type = NLMSG_ERROR;
	memcpy(buf + NLMSG_HDRLEN, &code, sizeof(code));
	return nlh;
}

START_TEST(nl_error_codes)
{
	union {
		struct nlmsghdr align;
		uint8_t bytes[64];
	} u;
	uint8_t *b = u.bytes;
	size_t full = sizeof(struct nlmsgerr);

	ck_assert_int_eq(nl_error_errno(error_msg(b, full, 0)), 0);
	ck_assert_int_eq(nl_error_errno(error_msg(b, full, -EEXIST)), EEXIST);
	ck_assert_int_eq(nl_error_errno(error_msg(b, 4, -ENOENT)), ENOENT);	/* capped ack */
	ck_assert_int_eq(nl_error_errno(error_msg(b, 4, -4095)), 4095);
	ck_assert_int_eq(nl_error_errno(error_msg(b, 4, -4096)), EPROTO);
	ck_assert_int_eq(nl_error_errno(error_msg(b, 4, INT_MIN)), EPROTO);
	ck_assert_int_eq(nl_error_errno(error_msg(b, 4, INT_MAX)), EPROTO);
	ck_assert_int_eq(nl_error_errno(error_msg(b, 4, 5)), EPROTO);
	ck_assert_int_eq(nl_error_errno(error_msg(b, 3, -EEXIST)), EBADMSG);	/* short */
	ck_assert_int_eq(nl_error_errno(error_msg(b, 0, -EEXIST)), EBADMSG);
	/* NLMSG_DONE: the code is optional. */
	ck_assert_int_eq(nl_done_errno(error_msg(b, 0, -EEXIST)), 0);
	ck_assert_int_eq(nl_done_errno(error_msg(b, 4, 0)), 0);
	ck_assert_int_eq(nl_done_errno(error_msg(b, 4, -EINTR)), EINTR);
	ck_assert_int_eq(nl_done_errno(error_msg(b, 4, INT_MIN)), EPROTO);
}
END_TEST

/* A receive buffer walked with nl_msg_ok: the fuzz_netlink crash input
 * (a whole entry, then a length field of 0xcececece) gives one message and
 * ends inside the buffer; lengths at and around INT_MAX are not whole
 * messages; one that fits exactly is. */
START_TEST(nl_walk_huge_length)
{
	union {
		struct nlmsghdr align;
		uint8_t bytes[sizeof(fuzz_nl_huge_len)];
	} u;
	const struct nlmsghdr *nlh = (const void *)u.bytes;
	struct nlmsghdr h = { .nlmsg_len = 0 };
	int rest = (int)sizeof(u.bytes), n = 0;
	const uint32_t huge[] = { 0x7fffffffu, 0x80000000u, 0xcecececeu, 0xffffffffu };

	memcpy(u.bytes, fuzz_nl_huge_len, sizeof(u.bytes));
	for (; nl_msg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
		size_t off = (size_t)((const uint8_t *)nlh - u.bytes);

		ck_assert_uint_le(off + nlh->nlmsg_len, sizeof(u.bytes));
		n++;
	}
	ck_assert_int_eq(n, 1);
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		h.nlmsg_len = huge[i];
		ck_assert(!nl_msg_ok(&h, 4096));
	}
	h.nlmsg_len = sizeof(h);
	ck_assert(nl_msg_ok(&h, sizeof(h)));
	ck_assert(!nl_msg_ok(&h, sizeof(h) - 1));
	h.nlmsg_len = sizeof(h) - 1;
	ck_assert(!nl_msg_ok(&h, 4096));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("nl");
	TCase *tc = unit_tcase("batch");

	tcase_add_test(tc, nl_batch_never_overflows);
	tcase_add_test(tc, nl_batch_fills_exactly);
	tcase_add_test(tc, nl_batch_commit_checks_room);
	tcase_add_test(tc, nl_batch_send_failure);
	suite_add_tcase(s, tc);
	tc = unit_tcase("msg");
	tcase_add_test(tc, nl_msg_matches_libmnl);
	tcase_add_test(tc, nl_msg_bounded_by_size);
	tcase_add_test(tc, nl_error_codes);
	tcase_add_test(tc, nl_walk_huge_length);
	suite_add_tcase(s, tc);
	return s;
}
