/* check_nfq: the queue's messages (config command, parameters, batch
 * verdict) byte for byte against libnetfilter_queue's own builders, never
 * written past the buffer they are given, a verdict batch filled past its
 * buffer sent in pieces that keep every verdict in order, and queued
 * packets (through a queue without a socket) all answered. */
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "nfq.h"
#include "nl.h"
#include "stats.h"
#include "unit.h"

static void assert_same(const void *mine, size_t len, const struct nlmsghdr *want)
{
	ck_assert_uint_eq(len, want->nlmsg_len);
	ck_assert_mem_eq(mine, want, len);
}

START_TEST(nfq_cmd_matches_library)
{
	union { struct nlmsghdr h; uint8_t b[NFQ_CFG_MSG]; } a, b;
	struct nlmsghdr *nlh;

	memset(&a, 0, sizeof(a));
	memset(&b, 0xee, sizeof(b));
	nlh = nfq_nlmsg_put((char *)a.b, NFQNL_MSG_CONFIG, 7);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	assert_same(b.b, nfq_build_cmd(b.b, sizeof(b.b), 7, NFQNL_CFG_CMD_BIND), nlh);
}
END_TEST

START_TEST(nfq_params_match_library)
{
	union { struct nlmsghdr h; uint8_t b[NFQ_CFG_MSG]; } a, b;
	const struct nfq_params p = { .queue = 513, .copy_range = 1500, .queue_maxlen = 2048,
				      .fail_open = true };
	struct nlmsghdr *nlh;

	memset(&a, 0, sizeof(a));
	memset(&b, 0xee, sizeof(b));
	nlh = nfq_nlmsg_put((char *)a.b, NFQNL_MSG_CONFIG, 513);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 1500);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, 2048);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_FAIL_OPEN));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN));
	assert_same(b.b, nfq_build_params(b.b, sizeof(b.b), &p), nlh);
}
END_TEST

START_TEST(nfq_verdict_matches_library)
{
	union { struct nlmsghdr h; uint8_t b[NFQ_VERDICT_MSG]; } a, b;
	struct nfq_verdict_msg vm;
	struct nlmsghdr *nlh;

	for (int mark = 0; mark < 2; mark++) {
		memset(&a, 0, sizeof(a));
		memset(&b, 0xee, sizeof(b));
		nlh = nfq_nlmsg_put((char *)a.b, NFQNL_MSG_VERDICT_BATCH, 3);
		nfq_nlmsg_verdict_put(nlh, 0x01020304, mark ? NF_ACCEPT : NF_DROP);
		if (mark)
			mnl_attr_put_u32(nlh, NFQA_MARK, htonl(0x55aa));
		vm = (struct nfq_verdict_msg){ .queue = 3, .id = 0x01020304, .set_mark = mark,
					       .verdict = mark ? NFQ_ACCEPT : NFQ_DROP, .mark = 0x55aa };
		assert_same(b.b, nfq_build_verdict(b.b, sizeof(b.b), &vm), nlh);
	}
}
END_TEST

/* Every buffer size up to what the message needs: 0 and nothing written
 * past the (exactly allocated) buffer, then the whole message. */
START_TEST(nfq_builders_bounded)
{
	const struct nfq_params p = { .queue = 1, .copy_range = 128, .queue_maxlen = 16 };
	const struct nfq_verdict_msg vm = { .queue = 1, .id = 9, .verdict = NFQ_ACCEPT,
					    .set_mark = true, .mark = 1 };
	size_t need[3], got;

	need[0] = nfq_build_cmd((uint8_t[NFQ_CFG_MSG]){ 0 }, NFQ_CFG_MSG, 1, NFQNL_CFG_CMD_BIND);
	need[1] = nfq_build_params((uint8_t[NFQ_CFG_MSG]){ 0 }, NFQ_CFG_MSG, &p);
	need[2] = nfq_build_verdict((uint8_t[NFQ_VERDICT_MSG]){ 0 }, NFQ_VERDICT_MSG, &vm);
	ck_assert_uint_le(need[2], NFQ_VERDICT_MSG);
	for (int k = 0; k < 3; k++) {
		for (size_t size = 0; size <= need[k]; size++) {
			uint8_t *buf = malloc(size ? size : 1);

			got = k == 0 ? nfq_build_cmd(buf, size, 1, NFQNL_CFG_CMD_BIND)
			    : k == 1 ? nfq_build_params(buf, size, &p)
				     : nfq_build_verdict(buf, size, &vm);
			ck_assert_uint_eq(got, size == need[k] ? need[k] : 0);
			free(buf);
		}
	}
}
END_TEST

struct order {
	uint32_t next_id;	/* the id every verdict must have, in order */
	unsigned batches;
	size_t cap;
};

static int check_order(void *arg, const void *buf, size_t len, unsigned msgs)
{
	struct order *o = arg;
	const struct nlmsghdr *nlh = buf;
	int rest = (int)len;

	ck_assert_uint_le(len, o->cap);
	for (; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
		const struct nlattr *a = (const void *)((const uint8_t *)nlh + 20);
		const struct nfqnl_msg_verdict_hdr *vh = mnl_attr_get_payload(a);

		ck_assert_uint_eq(mnl_attr_get_type(a), NFQA_VERDICT_HDR);
		ck_assert_uint_eq(ntohl(vh->id), o->next_id);
		o->next_id++;
		msgs--;
	}
	ck_assert_uint_eq(msgs, 0);
	o->batches++;
	return 0;
}

/* Ten thousand verdicts into a batch of 1 KiB: sent in pieces, in order. */
START_TEST(nfq_verdicts_past_the_buffer)
{
	union { struct nlmsghdr h; uint8_t b[1024]; } buf;
	struct order o = { .next_id = 1, .cap = sizeof(buf) };
	struct nl_batch b;

	nl_batch_init(&b, buf.b, sizeof(buf.b), check_order, &o);
	for (uint32_t id = 1; id <= 10000; id++) {
		size_t room;
		uint8_t *at = nl_batch_reserve(&b, NFQ_VERDICT_MSG, &room);
		const struct nfq_verdict_msg vm = { .queue = 0, .id = id, .verdict = NFQ_DROP,
						    .set_mark = id & 1, .mark = id };
		size_t len = nfq_build_verdict(at, NFQ_VERDICT_MSG, &vm);

		ck_assert_uint_gt(len, 0);
		ck_assert_int_eq(nl_batch_commit(&b, (const struct nlmsghdr *)(void *)at, room), 0);
	}
	ck_assert_int_eq(nl_batch_flush(&b), 0);
	ck_assert_uint_eq(o.next_id, 10001);
	ck_assert_uint_ge(o.batches, 10000 * 32 / 1024);
}
END_TEST

/* The kernel's side of batch verdicts: the packets still queued, each
 * answered by the first batch verdict whose id is not before its own
 * (modulo 2^32, as nfqnl_recv_verdict_batch compares them). */
struct kqueue {
	uint32_t queued[8];
	unsigned n;
};

static int kernel_batch(void *arg, const void *buf, size_t len, unsigned msgs)
{
	struct kqueue *k = arg;
	const struct nlmsghdr *nlh = buf;
	int rest = (int)len;

	(void)msgs;
	for (; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
		const struct nlattr *a = (const void *)((const uint8_t *)nlh + 20);
		const struct nfqnl_msg_verdict_hdr *vh = mnl_attr_get_payload(a);
		uint32_t id = ntohl(vh->id);
		unsigned kept = 0;

		for (unsigned i = 0; i < k->n; i++)
			if ((int32_t)(k->queued[i] - id) > 0)
				k->queued[kept++] = k->queued[i];
		k->n = kept;
	}
	return 0;
}

static enum nfq_verdict drop_all(void *arg, const uint8_t *pkt, size_t len, uint32_t tag,
				 uint32_t *mark)
{
	(void)arg, (void)pkt, (void)len, (void)tag, (void)mark;
	return NFQ_DROP;
}

/* A packet message as the kernel queues it: header (id), payload. */
static size_t put_packet(uint8_t *buf, uint32_t id)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put((char *)buf, NFQNL_MSG_PACKET, 3);
	struct nfqnl_msg_packet_hdr ph = { .packet_id = htonl(id), .hw_protocol = htons(0x0800) };

	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put(nlh, NFQA_PAYLOAD, 4, "\x45\0\0\x04");
	return nlh->nlmsg_len;
}

/* Ids far apart (found by fuzz_nfq): one run of drops from id 1 to
 * 0xe0000000 (the ids between lost, given the error verdict, drop too)
 * would end in one batch verdict the kernel takes as before id 1, which
 * would stay queued.  Runs span at most 2^31 ids: every packet answered. */
START_TEST(nfq_runs_within_half_the_id_space)
{
	static const uint32_t ids[] = { 1, 0x70000000, 0xe0000000 };
	union { struct nlmsghdr h; uint8_t b[1024]; } dg;
	const struct nfq_params p = { .queue = 3, .copy_range = 256, .error_verdict = NFQ_DROP };
	struct kqueue k = { .n = 3 };
	struct stats st = { 0 };
	struct nfq *q = nfq_detached(&p, &st, drop_all, NULL, NULL, kernel_batch, &k);
	size_t len = 0;

	ck_assert_ptr_nonnull(q);
	for (unsigned i = 0; i < 3; i++) {
		k.queued[i] = ids[i];
		len += put_packet(dg.b + len, ids[i]);
	}
	nfq_feed(q, dg.b, len);
	ck_assert_uint_eq(st.packets, 3);
	ck_assert_uint_eq(k.n, 0);
	nfq_unbind(q);
}
END_TEST

/* /proc/net/netfilter/nfnetlink_queue as this kernel writes it. */
START_TEST(nfq_proc_lines)
{
	static const char text[] =
		"    0  12345     3 2  2048  1500    7       99  1\n"
		"    1  12346     0 2  2048     0    0 18446744073709551615  1\n";
	struct nfq_proc p = { 0 };

	ck_assert_int_eq(nfq_proc_parse(text, 0, &p), 0);
	ck_assert_uint_eq(p.waiting, 3);
	ck_assert_uint_eq(p.dropped, 1500);
	ck_assert_uint_eq(p.user_dropped, 7);
	ck_assert_int_eq(nfq_proc_parse(text, 1, &p), 0);
	ck_assert_uint_eq(p.waiting, 0);
	ck_assert_uint_eq(p.dropped, 0);
	ck_assert_int_eq(nfq_proc_parse(text, 2, &p), -1);
	ck_assert_int_eq(nfq_proc_parse("", 0, &p), -1);
	ck_assert_int_eq(nfq_proc_parse("0 1 2\n", 0, &p), -1);	/* too few fields */
	ck_assert_int_eq(nfq_proc_parse("x 0 1 2 3 4 5 6 7\n    0 1 2 3 4 5 6 7 1", 0, &p), 0);
	ck_assert_uint_eq(p.dropped, 5);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("nfq");
	TCase *tc = unit_tcase("messages");

	tcase_add_test(tc, nfq_cmd_matches_library);
	tcase_add_test(tc, nfq_params_match_library);
	tcase_add_test(tc, nfq_verdict_matches_library);
	tcase_add_test(tc, nfq_builders_bounded);
	tcase_add_test(tc, nfq_verdicts_past_the_buffer);
	tcase_add_test(tc, nfq_runs_within_half_the_id_space);
	tcase_add_test(tc, nfq_proc_lines);
	suite_add_tcase(s, tc);
	return s;
}
