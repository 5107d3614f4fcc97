/* nfq: the NFQUEUE side of the daemon.  recvmmsg() pulls many queued
 * packets per system call; their verdicts leave in one sendmsg() as batch
 * verdicts (NFQNL_MSG_VERDICT_BATCH covers every id <= N, so a run of equal
 * verdicts costs one message and the kernel dequeues in FIFO order, O(1)).
 * Packets whose messages were lost to a receive-buffer overrun show up as
 * an id gap; they get the configured error verdict instead of hanging. */
#include "nfq.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "log.h"

#define NFQ_RX_MSGS NFQ_BATCH	/* datagrams per recvmmsg() */
#define NFQ_RX_OVERHEAD 512	/* netlink + attribute bytes around a packet */
#define NFQ_VERDICT_MSG 64	/* bytes of one batch-verdict message, rounded up */
#define NFQ_PENDING_MAX 256	/* packets per verdict flush */
#define NFQ_CFG_MSG 512	/* bytes of a config message */
#define NFQ_V_SETMARK 0x80	/* pending_v flag: the verdict sets the packet mark */

struct nfq {
	struct mnl_socket *nl;
	struct nfq_params p;
	struct stats *st;
	nfq_packet_fn on_packet;
	nfq_flush_fn on_flush;
	void *arg;
	uint32_t portid;
	/* receive side */
	size_t rx_bufsize;
	uint8_t *rx_bufs;
	struct mmsghdr rx_msgs[NFQ_RX_MSGS];
	struct iovec rx_iov[NFQ_RX_MSGS];
	/* verdicts of the current batch, final after on_flush */
	size_t npending;
	uint32_t pending_id[NFQ_PENDING_MAX];
	uint8_t pending_v[NFQ_PENDING_MAX];	/* verdict | NFQ_V_SETMARK */
	uint32_t pending_mark[NFQ_PENDING_MAX];
	/* verdict run being built */
	bool have_last;
	uint32_t last_id;	/* highest id given a verdict (or in the open run) */
	bool run_open;
	uint32_t run_end;
	uint8_t run_v;		/* verdict | NFQ_V_SETMARK of the open run */
	uint32_t run_mark;
	/* verdict messages waiting for one sendmsg() */
	uint8_t *tx_buf;
	size_t tx_len, tx_cap;
	size_t tx_msgs;
};

static int send_config(struct nfq *q, struct nlmsghdr *nlh)
{
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	return 0;
}

static int cfg_cmd(struct nfq *q, uint16_t pf, uint8_t cmd)
{
	char buf[NFQ_CFG_MSG];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->p.queue);

	nfq_nlmsg_cfg_put_cmd(nlh, pf, cmd);
	return send_config(q, nlh);
}

static int cfg_params(struct nfq *q)
{
	char buf[NFQ_CFG_MSG];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->p.queue);
	uint32_t flags = q->p.fail_open ? NFQA_CFG_F_FAIL_OPEN : 0;

	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, (int)q->p.copy_range);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, q->p.queue_maxlen);
	/* No F_GSO: the kernel completes partial checksums before copying, so
	 * the parser can verify them.  F_FAIL_OPEN only if asked (see conf). */
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN));
	return send_config(q, nlh);
}

static int set_rcvbuf(struct nfq *q)
{
	int fd = mnl_socket_get_fd(q->nl), sz = (int)q->p.rcvbuf;

	if (sz == 0)
		return 0;
	/* FORCE ignores rmem_max (needs CAP_NET_ADMIN, which we have anyway). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) == 0)
		return 0;
	return setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

static int alloc_buffers(struct nfq *q)
{
	/* Aligned: the buffers sit back to back and each starts a nlmsghdr. */
	q->rx_bufsize = MNL_ALIGN(q->p.copy_range + NFQ_RX_OVERHEAD);
	q->rx_bufs = calloc(NFQ_RX_MSGS, q->rx_bufsize);
	/* Worst case two messages per packet (a gap run and a packet run). */
	q->tx_cap = (NFQ_PENDING_MAX * 2 + 2) * NFQ_VERDICT_MSG;
	q->tx_buf = calloc(1, q->tx_cap);
	if (!q->rx_bufs || !q->tx_buf)
		return -1;
	for (size_t i = 0; i < NFQ_RX_MSGS; i++) {
		q->rx_iov[i].iov_base = q->rx_bufs + i * q->rx_bufsize;
		q->rx_iov[i].iov_len = q->rx_bufsize;
		q->rx_msgs[i].msg_hdr.msg_iov = &q->rx_iov[i];
		q->rx_msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

static int setup(struct nfq *q)
{
	int one = 1;

	q->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!q->nl || mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -1;
	q->portid = mnl_socket_get_portid(q->nl);
	/* Tell us about ENOBUFS (counted), and fail verdicts loudly. */
	mnl_socket_setsockopt(q->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	if (set_rcvbuf(q) < 0)
		log_warn("nfq: cannot set receive buffer to %u bytes: %s", q->p.rcvbuf,
			 strerror(errno));
	/* Since Linux 3.8 one queue instance serves every family and PF_BIND
	 * is a no-op; the BIND command creates the instance for IPv4 and IPv6. */
	if (cfg_cmd(q, AF_INET, NFQNL_CFG_CMD_BIND) < 0)
		return -1;
	return cfg_params(q);
}

struct nfq *nfq_bind(const struct nfq_params *p, struct stats *st, nfq_packet_fn on_packet,
		     nfq_flush_fn on_flush, void *arg)
{
	struct nfq *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->p = *p;
	q->st = st;
	q->on_packet = on_packet;
	q->on_flush = on_flush;
	q->arg = arg;
	if (alloc_buffers(q) < 0 || setup(q) < 0) {
		log_err("nfq: cannot bind queue %u: %s (is another process bound to it? "
			"are nfnetlink_queue and CAP_NET_ADMIN available?)", p->queue, strerror(errno));
		nfq_unbind(q);
		return NULL;
	}
	return q;
}

int nfq_get_fd(const struct nfq *q)
{
	return mnl_socket_get_fd(q->nl);
}

int nfq_reconfigure(struct nfq *q, const struct nfq_params *p)
{
	q->p.error_verdict = p->error_verdict;
	q->p.fail_open = p->fail_open;
	q->p.queue_maxlen = p->queue_maxlen;
	return cfg_params(q);
}

/* --- verdicts ------------------------------------------------------------ */

static void tx_flush(struct nfq *q);

static void tx_put_batch(struct nfq *q, uint32_t id, uint8_t v, uint32_t mark)
{
	struct nlmsghdr *nlh;

	if (q->tx_len + NFQ_VERDICT_MSG > q->tx_cap)
		return;	/* cannot happen: capacity covers a full rx batch */
	nlh = nfq_nlmsg_put((char *)q->tx_buf + q->tx_len, NFQNL_MSG_VERDICT_BATCH, q->p.queue);
	nfq_nlmsg_verdict_put(nlh, (int)id, (v & ~NFQ_V_SETMARK) == NFQ_ACCEPT ? NF_ACCEPT : NF_DROP);
	/* A batch verdict's mark applies to every packet of the run. */
	if (v & NFQ_V_SETMARK)
		mnl_attr_put_u32(nlh, NFQA_MARK, htonl(mark));
	q->tx_len += NLMSG_ALIGN(nlh->nlmsg_len);
	q->tx_msgs++;
}

static void run_close(struct nfq *q)
{
	if (!q->run_open)
		return;
	tx_put_batch(q, q->run_end, q->run_v, q->run_mark);
	q->run_open = false;
}

/* Extend the open run to id with verdict v (and mark), closing it first if
 * either differs. */
static void run_add(struct nfq *q, uint32_t id, uint8_t v, uint32_t mark)
{
	if (!(v & NFQ_V_SETMARK))
		mark = 0;
	if (q->run_open && (q->run_v != v || q->run_mark != mark))
		run_close(q);
	q->run_open = true;
	q->run_v = v;
	q->run_mark = mark;
	q->run_end = id;
	q->last_id = id;
	q->have_last = true;
}

static void verdict_count(struct nfq *q, enum nfq_verdict v, uint64_t n)
{
	if (v == NFQ_ACCEPT)
		q->st->verdicts_accept += n;
	else
		q->st->verdicts_drop += n;
}

static void add_verdict(struct nfq *q, uint32_t id, uint8_t v, uint32_t mark)
{
	uint32_t gap = q->have_last ? id - q->last_id - 1 : 0;

	/* id <= last_id would be a duplicate; (int32) handles wrap-around. */
	if (q->have_last && (int32_t)(id - q->last_id) <= 0) {
		q->st->verdict_errors++;
		return;
	}
	if (gap) {
		q->st->nfq_lost += gap;
		q->st->verdict_errors += gap;
		verdict_count(q, q->p.error_verdict, gap);
		log_rl_at(LOG_WARNING, "nfq: %u queued packets lost their messages (overrun?); "
			  "giving them the error verdict", gap);
		run_add(q, id - 1, (uint8_t)q->p.error_verdict, 0);
	}
	verdict_count(q, (enum nfq_verdict)(v & ~NFQ_V_SETMARK), 1);
	run_add(q, id, v, mark);
}

void nfq_override_verdict(struct nfq *q, uint32_t tag, enum nfq_verdict v)
{
	if (tag < q->npending)
		q->pending_v[tag] = (uint8_t)(v | (q->pending_v[tag] & NFQ_V_SETMARK));
}

static void tx_flush(struct nfq *q)
{
	if (q->on_flush)
		q->on_flush(q->arg);
	for (size_t i = 0; i < q->npending; i++)
		add_verdict(q, q->pending_id[i], q->pending_v[i], q->pending_mark[i]);
	q->npending = 0;
	run_close(q);
	if (q->tx_len == 0)
		return;
	q->st->verdict_msgs += q->tx_msgs;
	if (mnl_socket_sendto(q->nl, q->tx_buf, q->tx_len) < 0) {
		/* The packets stay queued; the next batch verdict covers them. */
		q->st->verdict_errors++;
		log_rl_at(LOG_ERR, "nfq: sending %zu verdict messages failed: %s", q->tx_msgs,
			  strerror(errno));
	}
	q->tx_len = 0;
	q->tx_msgs = 0;
}

/* --- receive ------------------------------------------------------------- */

static void handle_packet(struct nfq *q, const struct nlmsghdr *nlh)
{
	struct nlattr *attr[NFQA_MAX + 1] = { NULL };
	const struct nfqnl_msg_packet_hdr *ph;
	enum nfq_verdict v;
	uint32_t tag, mark_in, mark;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR]) {
		/* No id: nothing to answer; a later batch verdict covers it. */
		q->st->verdict_errors++;
		return;
	}
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	q->st->packets++;
	if (q->npending == NFQ_PENDING_MAX)
		tx_flush(q);
	tag = (uint32_t)q->npending++;
	q->pending_id[tag] = ntohl(ph->packet_id);
	mark_in = attr[NFQA_MARK] ? ntohl(mnl_attr_get_u32(attr[NFQA_MARK])) : 0;
	mark = mark_in;
	if (!attr[NFQA_PAYLOAD]) {
		q->st->verdict_errors++;
		v = q->p.error_verdict;
	} else {
		v = q->on_packet(q->arg, mnl_attr_get_payload(attr[NFQA_PAYLOAD]),
				 mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]), tag, &mark);
	}
	q->pending_v[tag] = (uint8_t)(v | (mark != mark_in ? NFQ_V_SETMARK : 0));
	q->pending_mark[tag] = mark;
}

static void handle_error(struct nfq *q, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)) || e->error == 0)
		return;
	q->st->verdict_errors++;
	log_rl_at(LOG_ERR, "nfq: kernel rejected a message: %s", strerror(-e->error));
}

static void handle_datagram(struct nfq *q, const uint8_t *buf, size_t len)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)(const void *)buf;
	int rest = (int)len;

	for (; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
		if (nlh->nlmsg_type == NLMSG_ERROR)
			handle_error(q, nlh);
		else if ((nlh->nlmsg_type & 0xff) == NFQNL_MSG_PACKET)
			handle_packet(q, nlh);
	}
}

static int receive_batch(struct nfq *q)
{
	int n = recvmmsg(mnl_socket_get_fd(q->nl), q->rx_msgs, NFQ_RX_MSGS, MSG_DONTWAIT, NULL);

	if (n < 0 && errno == ENOBUFS) {
		/* The socket overflowed: messages are gone, the packets are not.
		 * Their ids show up as a gap and get the error verdict. */
		q->st->nfq_overruns++;
		log_rl_at(LOG_WARNING, "nfq: receive buffer overrun (ENOBUFS); raise rcvbuf "
			  "if this repeats");
		return NFQ_RX_MSGS;	/* more is waiting: keep reading */
	}
	if (n <= 0)
		return n;
	for (int i = 0; i < n; i++)
		handle_datagram(q, q->rx_bufs + (size_t)i * q->rx_bufsize, q->rx_msgs[i].msg_len);
	return n;
}

size_t nfq_read(struct nfq *q, unsigned max_rounds)
{
	uint64_t before = q->st->packets;

	for (unsigned round = 0; round < max_rounds; round++) {
		int n = receive_batch(q);

		tx_flush(q);
		if (n < NFQ_RX_MSGS)
			break;
	}
	return (size_t)(q->st->packets - before);
}

void nfq_unbind(struct nfq *q)
{
	if (!q)
		return;
	if (q->nl) {
		cfg_cmd(q, AF_INET, NFQNL_CFG_CMD_UNBIND);
		mnl_socket_close(q->nl);
	}
	free(q->rx_bufs);
	free(q->tx_buf);
	free(q);
}
