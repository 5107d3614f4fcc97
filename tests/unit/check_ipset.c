/* check_ipset: the batched set updates.  Thousands of mixed IPv4/IPv6 ADD
 * and DEL messages go through the module to a recorder instead of the
 * kernel: every batch fits the buffer, every message decodes back to what
 * was asked, in order; one message is compared byte for byte with the same
 * message built by libmnl.  Error replies are parsed with every length
 * checked (a truncated error at the end of a receive is not read past). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <linux/netfilter/ipset/ip_set_hash.h>

#include "ipset.h"
#include "unit.h"

#define IPSET_BUF 8192	/* the module's batch buffer */
#define N_ELEMS 20000

struct want {
	uint8_t cmd, family, cidr;
	uint8_t addr[16];
	uint32_t timeout;
};

struct recorder {
	const struct want *want;
	unsigned next, batches;
	int fail;
};

static void make_want(unsigned i, struct want *w)
{
	memset(w, 0, sizeof(*w));
	w->family = (i % 3) ? NFPROTO_IPV6 : NFPROTO_IPV4;	/* mixed */
	w->cmd = (i % 5 == 4) ? IPSET_CMD_DEL : IPSET_CMD_ADD;
	if (w->family == NFPROTO_IPV6) {
		uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0x77, (uint8_t)(i >> 16),
				  (uint8_t)(i >> 8), (uint8_t)i };

		memcpy(w->addr, a, 16);
		w->cidr = 64;
	} else {
		uint8_t a[4] = { 198, (uint8_t)(18 + (i >> 16 & 1)), (uint8_t)(i >> 8), (uint8_t)i };

		memcpy(w->addr, a, 4);
		w->cidr = 32;
	}
	w->timeout = w->cmd == IPSET_CMD_ADD ? 1 + i % 7200 : 0;
}

static uint32_t net32(const struct nlattr *a)
{
	return ntohl(mnl_attr_get_u32(a));
}

static void check_data(const struct nlattr *data, const struct want *w)
{
	const struct nlattr *a, *b;
	int seen_ip = 0, seen_cidr = 0, seen_timeout = 0;

	mnl_attr_for_each_nested(a, data) {
		switch (mnl_attr_get_type(a)) {
		case IPSET_ATTR_IP:
			mnl_attr_for_each_nested(b, a) {
				size_t alen = w->family == NFPROTO_IPV6 ? 16 : 4;

				ck_assert_uint_eq(mnl_attr_get_type(b), w->family == NFPROTO_IPV6
						  ? IPSET_ATTR_IPADDR_IPV6 : IPSET_ATTR_IPADDR_IPV4);
				ck_assert(b->nla_type & NLA_F_NET_BYTEORDER);
				ck_assert_uint_eq(mnl_attr_get_payload_len(b), alen);
				ck_assert_mem_eq(mnl_attr_get_payload(b), w->addr, alen);
				seen_ip++;
			}
			break;
		case IPSET_ATTR_CIDR:
			ck_assert_uint_eq(mnl_attr_get_u8(a), w->cidr);
			seen_cidr++;
			break;
		case IPSET_ATTR_TIMEOUT:
			ck_assert_uint_eq(net32(a), w->timeout);
			seen_timeout++;
			break;
		default:
			ck_abort_msg("unexpected data attribute %u", mnl_attr_get_type(a));
		}
	}
	ck_assert_int_eq(seen_ip, 1);
	ck_assert_int_eq(seen_cidr, 1);
	ck_assert_int_eq(seen_timeout, w->timeout ? 1 : 0);
}

static void check_msg(const struct nlmsghdr *nlh, const struct want *w)
{
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	int seen_data = 0;

	ck_assert_uint_eq(nlh->nlmsg_type, (NFNL_SUBSYS_IPSET << 8) | w->cmd);
	ck_assert_uint_eq(nfg->nfgen_family, w->family);
	mnl_attr_for_each(a, nlh, sizeof(*nfg)) {
		switch (mnl_attr_get_type(a)) {
		case IPSET_ATTR_PROTOCOL:
			ck_assert_uint_eq(mnl_attr_get_u8(a), IPSET_PROTOCOL);
			break;
		case IPSET_ATTR_SETNAME:
			ck_assert_str_eq(mnl_attr_get_str(a), w->family == NFPROTO_IPV6
					 ? IPSET_NAME6 : IPSET_NAME4);
			break;
		case IPSET_ATTR_DATA:
			check_data(a, w);
			seen_data++;
			break;
		default:
			ck_abort_msg("unexpected attribute %u", mnl_attr_get_type(a));
		}
	}
	ck_assert_int_eq(seen_data, 1);
}

static int record(void *arg, const void *buf, size_t len, unsigned msgs)
{
	struct recorder *r = arg;
	const struct nlmsghdr *nlh = buf;
	int rest = (int)len;

	ck_assert_uint_le(len, IPSET_BUF);
	for (; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
		ck_assert_uint_lt(r->next, N_ELEMS);
		check_msg(nlh, &r->want[r->next++]);
		msgs--;
	}
	ck_assert_int_eq(rest, 0);
	ck_assert_uint_eq(msgs, 0);
	r->batches++;
	if (r->fail) {
		errno = r->fail;
		return -1;
	}
	return 0;
}

static void put(struct ipset *s, const struct want *w)
{
	int family = w->family == NFPROTO_IPV6 ? AF_INET6 : AF_INET;

	if (w->cmd == IPSET_CMD_ADD)
		ipset_add(s, family, w->addr, w->cidr, w->timeout);
	else
		ipset_del(s, family, w->addr, w->cidr);
}

START_TEST(ipset_many_mixed_messages)
{
	struct want *want = calloc(N_ELEMS, sizeof(*want));
	struct recorder r = { .want = want };
	struct ipset *s = ipset_open_sink(record, &r);
	struct ipset_tally t;

	ck_assert_ptr_nonnull(s);
	for (unsigned i = 0; i < N_ELEMS; i++) {
		make_want(i, &want[i]);
		put(s, &want[i]);
	}
	ipset_flush(s, &t);
	ck_assert_uint_eq(r.next, N_ELEMS);
	ck_assert_uint_eq(t.sent, N_ELEMS);
	ck_assert_uint_eq(t.failed, 0);
	/* ~80 bytes a message: about 100 to a batch, never more than fit. */
	ck_assert_uint_ge(r.batches, N_ELEMS * 68 / IPSET_BUF);
	unsigned batches = r.batches;

	ipset_flush(s, &t);	/* nothing left: no send, tally reset */
	ck_assert_uint_eq(t.sent, 0);
	ck_assert_uint_eq(r.batches, batches);
	ipset_close(s);
	free(want);
}
END_TEST

START_TEST(ipset_failed_sends_counted)
{
	struct want *want = calloc(N_ELEMS, sizeof(*want));
	struct recorder r = { .want = want, .fail = ENOBUFS };
	struct ipset *s = ipset_open_sink(record, &r);
	struct ipset_tally t;

	for (unsigned i = 0; i < 1000; i++) {
		make_want(i, &want[i]);
		put(s, &want[i]);
	}
	ipset_flush(s, &t);
	ck_assert_uint_eq(t.sent, 0);
	ck_assert_uint_eq(t.failed, 1000);
	ck_assert_int_eq(t.last_errno, ENOBUFS);
	ipset_close(s);
	free(want);
}
END_TEST

/* The same ADD as the module built it before (with libmnl): same bytes. */
static uint8_t captured[IPSET_BUF];
static size_t captured_len;

static int capture(void *arg, const void *buf, size_t len, unsigned msgs)
{
	memcpy(captured, buf, len);
	captured_len = len;
	return 0;
}

START_TEST(ipset_add_matches_libmnl)
{
	static const uint8_t addr[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 };
	union { struct nlmsghdr h; uint8_t b[512]; } ref;
	struct ipset *s = ipset_open_sink(capture, NULL);
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	struct nlattr *data, *ip;
	struct ipset_tally t;

	memset(&ref, 0, sizeof(ref));
	nlh = mnl_nlmsg_put_header(ref.b);
	nlh->nlmsg_type = (NFNL_SUBSYS_IPSET << 8) | IPSET_CMD_ADD;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = NFPROTO_IPV6;
	nfg->version = NFNETLINK_V0;
	mnl_attr_put_u8(nlh, IPSET_ATTR_PROTOCOL, IPSET_PROTOCOL);
	mnl_attr_put_strz(nlh, IPSET_ATTR_SETNAME, IPSET_NAME6);
	data = mnl_attr_nest_start(nlh, IPSET_ATTR_DATA);
	ip = mnl_attr_nest_start(nlh, IPSET_ATTR_IP);
	mnl_attr_put(nlh, IPSET_ATTR_IPADDR_IPV6 | NLA_F_NET_BYTEORDER, 16, addr);
	mnl_attr_nest_end(nlh, ip);
	mnl_attr_put_u8(nlh, IPSET_ATTR_CIDR, 64);
	mnl_attr_put_u32(nlh, IPSET_ATTR_TIMEOUT | NLA_F_NET_BYTEORDER, htonl(3600));
	mnl_attr_nest_end(nlh, data);

	ipset_add(s, AF_INET6, addr, 64, 3600);
	ipset_flush(s, &t);
	ck_assert_uint_eq(t.sent, 1);
	ck_assert_uint_eq(captured_len, nlh->nlmsg_len);
	ck_assert_mem_eq(captured, ref.b, captured_len);
	ipset_close(s);
}
END_TEST

static size_t put_error(uint8_t *at, int32_t code, size_t payload)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(void *)at;

	nlh->nlmsg_len = (uint32_t)(NLMSG_HDRLEN + payload);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = 0;
	if (payload >= sizeof(code))
		memcpy(at + NLMSG_HDRLEN, &code, sizeof(code));
	return NLMSG_ALIGN(nlh->nlmsg_len);
}

START_TEST(ipset_error_replies_parsed_safely)
{
	const size_t full = sizeof(struct nlmsgerr);	/* code and our header */
	/* A receive of 4096 bytes ending in a 16-byte error message (no code):
	 * allocated exactly, so ASan sees a read past it. */
	uint8_t *buf = calloc(1, 4096);
	size_t off = 0;
	int last = 0;

	/* 108 + 2 full messages of 36 bytes, 6 capped ones of 20: 4080. */
	ck_assert_uint_eq(NLMSG_HDRLEN + full, 36);
	for (int i = 0; i < 108; i++)
		off += put_error(buf + off, 0, full);		/* acknowledgments */
	off += put_error(buf + off, -EEXIST, full);
	off += put_error(buf + off, INT_MIN, full);		/* no errno: EPROTO */
	for (int i = 0; i < 5; i++)
		off += put_error(buf + off, 0, 4);
	off += put_error(buf + off, -IPSET_ERR_HASH_FULL, 4);	/* ipset's own: kept */
	ck_assert_uint_eq(off, 4096 - 16);
	put_error(buf + off, 0, 0);	/* header only */
	ck_assert_uint_eq(ipset_parse_errors(buf, 4096, &last), 4);
	ck_assert_int_eq(last, EBADMSG);
	ck_assert_uint_eq(ipset_parse_errors(buf, 4096 - 16, &last), 3);
	ck_assert_int_eq(last, IPSET_ERR_HASH_FULL);
	ck_assert_uint_eq(ipset_parse_errors(buf, 4096 - 36, &last), 2);
	ck_assert_int_eq(last, EPROTO);
	free(buf);
}
END_TEST

/* Refusals are logged by kind: ipset's own codes (no errno) in words. */
START_TEST(ipset_strerror_names)
{
	ck_assert_str_eq(ipset_strerror(IPSET_ERR_HASH_FULL), "the set is full");
	ck_assert_str_eq(ipset_strerror(IPSET_ERR_TIMEOUT), "the set has no timeout support");
	ck_assert_str_eq(ipset_strerror(IPSET_ERR_PRIVATE + 60), "ipset error 4156");
	ck_assert_str_eq(ipset_strerror(ENOENT), strerror(ENOENT));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("ipset");
	TCase *tc = unit_tcase("batch");

	tcase_add_test(tc, ipset_many_mixed_messages);
	tcase_add_test(tc, ipset_failed_sends_counted);
	tcase_add_test(tc, ipset_add_matches_libmnl);
	tcase_add_test(tc, ipset_error_replies_parsed_safely);
	tcase_add_test(tc, ipset_strerror_names);
	suite_add_tcase(s, tc);
	return s;
}
