/* Fuzz target: the queue's receive side (nfq.c) on datagrams as the kernel
 * sends them — packet messages (header with the id, mark, payload),
 * errors, anything — and the batch verdicts it answers with, through a
 * queue without a socket (nfq_detached).  The payload goes through the
 * packet parser, whose status picks the verdict; odd-length payloads get a
 * new mark; a flush may override the first packet's verdict.
 * Input: datagrams, each a 2-byte length (little endian) and that many
 * bytes.
 * Properties: no crash, no leak; every verdict message is a batch verdict
 * of this queue with a header, never the same id twice in a row; the
 * verdicts counted match the packets handled.  (That ids only go up holds
 * for the kernel's ids, one after another, not for random ones: a run may
 * span up to 2^31 ids, and two runs together more; check_nfq tests the
 * limit, which this target found missing.) */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <stdbool.h>
#include <stdlib.h>

#include "fuzz.h"
#include "nfq.h"
#include "nl.h"
#include "stats.h"

#define QUEUE 7

struct seen {
	bool any;
	uint32_t last;		/* the last batch verdict's id */
	uint64_t msgs;
};

static enum nfq_verdict on_packet(void *arg, const uint8_t *pkt, size_t len, uint32_t tag,
				  uint32_t *mark)
{
	static uint8_t copy[65536];
	struct pkt p;

	(void)arg;
	(void)tag;
	if (len > sizeof(copy))
		len = sizeof(copy);
	memcpy(copy, pkt, len);
	if (len % 2)
		*mark ^= 0x10;
	memset(&p, 0, sizeof(p));
	return pkt_parse(copy, len, &p) == PKT_OK ? NFQ_ACCEPT : NFQ_DROP;
}

static struct nfq *the_q;
static unsigned flushes;

static void on_flush(void *arg)
{
	(void)arg;
	if (++flushes % 3 == 0)
		nfq_override_verdict(the_q, 0, NFQ_DROP);
	nfq_override_verdict(the_q, NFQ_BATCH * 8, NFQ_ACCEPT);	/* no such tag: ignored */
}

/* The batch verdicts nfq.c sends: check each one's shape and order. */
static int on_send(void *arg, const void *buf, size_t len, unsigned msgs)
{
	struct seen *s = arg;
	const struct nlmsghdr *nlh = buf;
	int rest = (int)len;
	unsigned n = 0;

	for (; nl_msg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
		const struct nfgenmsg *g = (const void *)((const uint8_t *)nlh + NLMSG_HDRLEN);
		const struct nlattr *a = (const void *)((const uint8_t *)g + NLMSG_ALIGN(sizeof(*g)));
		const struct nfqnl_msg_verdict_hdr *vh = (const void *)((const uint8_t *)a + NLA_HDRLEN);
		uint32_t id;

		if (nlh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT_BATCH) ||
		    ntohs(g->res_id) != QUEUE || a->nla_type != NFQA_VERDICT_HDR ||
		    a->nla_len != NLA_HDRLEN + sizeof(*vh))
			abort();
		id = ntohl(vh->id);
		if (s->any && id == s->last)
			abort();	/* the same batch verdict twice */
		s->any = true;
		s->last = id;
		n++;
	}
	if (n != msgs || rest != 0)
		abort();
	s->msgs += n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct stats st;
	const struct nfq_params p = { .queue = QUEUE, .copy_range = 2048, .queue_maxlen = 64,
				      .error_verdict = NFQ_DROP };
	struct seen s = { 0 };
	uint64_t answered;
	size_t at = 0;

	memset(&st, 0, sizeof(st));
	the_q = nfq_detached(&p, &st, on_packet, on_flush, NULL, on_send, &s);
	if (!the_q)
		abort();
	while (at + 2 <= size) {
		size_t n = data[at] | (size_t)data[at + 1] << 8;

		at += 2;
		if (n > size - at)
			n = size - at;
		nfq_feed(the_q, data + at, n);
		at += n;
	}
	/* Every packet message handled got one verdict, but those whose id
	 * did not move on (counted as errors, among other errors); ids
	 * skipped were counted as lost and given the error verdict. */
	answered = st.verdicts_accept + st.verdicts_drop - st.nfq_lost;
	if (answered > st.packets || answered + st.verdict_errors < st.packets)
		abort();
	nfq_unbind(the_q);
	return 0;
}
