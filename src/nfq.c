/* nfq: the NFQUEUE side of the daemon.  recvmmsg() pulls many queued
 * packets per system call; their verdicts leave in one sendmsg() as batch
 * verdicts (NFQNL_MSG_VERDICT_BATCH covers every id <= N, so a run of equal
 * verdicts costs one message and the kernel dequeues in FIFO order, O(1)).
 * Packets whose messages were lost to a receive-buffer overrun were never
 * queued (the kernel numbers a packet first, then drops it or, with
 * fail_open, lets it pass): they show up as an id gap, counted (nfq_lost). */
#include "nfq.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "log.h"
#include "nl.h"

#define NFQ_RX_MSGS NFQ_BATCH	/* datagrams per recvmmsg() */
#define NFQ_RX_OVERHEAD 512	/* netlink + attribute bytes around a packet */
#define NFQ_PENDING_MAX 256	/* packets per verdict flush */
/* Two verdict messages per packet at most (a gap run and a packet run):
 * one sendmsg() per flush in practice; the batch sends early otherwise. */
#define NFQ_TX_BUF (((size_t)NFQ_PENDING_MAX * 2 + 2) * NFQ_VERDICT_MSG)
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
	uint64_t pending_ts[NFQ_PENDING_MAX];	/* its receipt, wall-clock us; 0: none */
	/* verdict run being built */
	bool have_last;
	uint32_t last_id;	/* highest id given a verdict (or in the open run) */
	bool run_open;
	uint32_t run_start;	/* the first id the open run covers */
	uint32_t run_end;
	uint8_t run_v;		/* verdict | NFQ_V_SETMARK of the open run */
	uint32_t run_mark;
	/* verdict messages waiting for one sendmsg() */
	struct nl_batch tx;
	uint8_t *tx_buf;
	/* nfq_detached: where the verdicts go instead */
	nl_send_fn detached_send;
	void *detached_arg;
};

/* --- messages (pure, bounded by the buffer's size) ---------------------------- */

static bool nfq_msg_start(struct nl_msg *m, void *buf, size_t size, uint8_t type,
			  uint16_t queue)
{
	const struct nl_head h = { .type = (NFNL_SUBSYS_QUEUE << 8) | type,
				   .flags = NLM_F_REQUEST, .family = AF_UNSPEC, .res_id = queue };

	return nl_msg_start(m, buf, size, &h);
}

size_t nfq_build_cmd(void *buf, size_t size, uint16_t queue, uint8_t cmd)
{
	struct nfqnl_msg_config_cmd c = { .command = cmd, .pf = htons(AF_INET) };
	struct nl_msg m;

	if (!nfq_msg_start(&m, buf, size, NFQNL_MSG_CONFIG, queue))
		return 0;
	nl_put(&m, NFQA_CFG_CMD, sizeof(c), &c);
	return nl_msg_len(&m);
}

size_t nfq_build_params(void *buf, size_t size, const struct nfq_params *p)
{
	struct nfqnl_msg_config_params cp = {
		.copy_range = htonl(p->copy_range), .copy_mode = NFQNL_COPY_PACKET,
	};
	struct nl_msg m;

	if (!nfq_msg_start(&m, buf, size, NFQNL_MSG_CONFIG, p->queue))
		return 0;
	nl_put(&m, NFQA_CFG_PARAMS, sizeof(cp), &cp);
	nl_put_be32(&m, NFQA_CFG_QUEUE_MAXLEN, p->queue_maxlen);
	/* No F_GSO: the kernel completes partial checksums before copying, so
	 * the parser can verify them.  F_FAIL_OPEN only if asked (see conf). */
	nl_put_be32(&m, NFQA_CFG_FLAGS, p->fail_open ? NFQA_CFG_F_FAIL_OPEN : 0);
	nl_put_be32(&m, NFQA_CFG_MASK, NFQA_CFG_F_FAIL_OPEN);
	return nl_msg_len(&m);
}

size_t nfq_build_verdict(void *buf, size_t size, const struct nfq_verdict_msg *v)
{
	struct nfqnl_msg_verdict_hdr vh = {
		.verdict = htonl(v->verdict == NFQ_ACCEPT ? NF_ACCEPT : NF_DROP), .id = htonl(v->id),
	};
	struct nl_msg m;

	if (!nfq_msg_start(&m, buf, size, NFQNL_MSG_VERDICT_BATCH, v->queue))
		return 0;
	nl_put(&m, NFQA_VERDICT_HDR, sizeof(vh), &vh);
	/* A batch verdict's mark applies to every packet of the run. */
	if (v->set_mark)
		nl_put_be32(&m, NFQA_MARK, v->mark);
	return nl_msg_len(&m);
}

/* --- configuration -------------------------------------------------------- */

static int send_config(struct nfq *q, const void *msg, size_t len)
{
	if (len == 0) {
		errno = EMSGSIZE;
		return -1;
	}
	return mnl_socket_sendto(q->nl, msg, len) < 0 ? -1 : 0;
}

static int cfg_cmd(struct nfq *q, uint8_t cmd)
{
	union {
		struct nlmsghdr align;
		uint8_t bytes[NFQ_CFG_MSG];
	} buf;

	return send_config(q, buf.bytes, nfq_build_cmd(buf.bytes, sizeof(buf), q->p.queue, cmd));
}

static int cfg_params(struct nfq *q)
{
	union {
		struct nlmsghdr align;
		uint8_t bytes[NFQ_CFG_MSG];
	} buf;

	return send_config(q, buf.bytes, nfq_build_params(buf.bytes, sizeof(buf), &q->p));
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

static int send_verdicts(void *arg, const void *buf, size_t len, unsigned msgs)
{
	struct nfq *q = arg;

	q->st->verdict_msgs += msgs;
	if (q->detached_send ? q->detached_send(q->detached_arg, buf, len, msgs) >= 0
			     : mnl_socket_sendto(q->nl, buf, len) >= 0)
		return 0;
	/* The packets stay queued; the next batch verdict covers them. */
	q->st->verdict_errors++;
	log_kind_at(LOG_ERR, errno, "nfq: sending %u verdict messages failed: %s", msgs,
		    strerror(errno));
	return -1;
}

static int alloc_buffers(struct nfq *q)
{
	/* Aligned: the buffers sit back to back and each starts a nlmsghdr. */
	q->rx_bufsize = MNL_ALIGN(q->p.copy_range + NFQ_RX_OVERHEAD);
	q->rx_bufs = calloc(NFQ_RX_MSGS, q->rx_bufsize);
	q->tx_buf = calloc(1, NFQ_TX_BUF);
	if (!q->rx_bufs || !q->tx_buf)
		return -1;
	nl_batch_init(&q->tx, q->tx_buf, NFQ_TX_BUF, send_verdicts, q);
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
	/* The kernel stamps received packets (and the queue passes the stamp
	 * on, NFQA_TIMESTAMP) once any socket asks for timestamps: this one
	 * does, for the verdict latency.  Without it, no latency, no harm. */
	if (q->p.lat)
		(void)setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_TIMESTAMP, &one, sizeof(one));
	if (set_rcvbuf(q) < 0)
		log_warn("nfq: cannot set receive buffer to %u bytes: %s", q->p.rcvbuf,
			 strerror(errno));
	/* Since Linux 3.8 one queue instance serves every family and PF_BIND
	 * is a no-op; the BIND command creates the instance for IPv4 and IPv6. */
	if (cfg_cmd(q, NFQNL_CFG_CMD_BIND) < 0)
		return -1;
	return cfg_params(q);
}

/* A queue with its buffers, bound to nothing yet; NULL if out of memory. */
static struct nfq *nfq_new(const struct nfq_params *p, struct stats *st, nfq_packet_fn on_packet,
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
	if (alloc_buffers(q) < 0) {
		nfq_unbind(q);
		return NULL;
	}
	return q;
}

struct nfq *nfq_bind(const struct nfq_params *p, struct stats *st, nfq_packet_fn on_packet,
		     nfq_flush_fn on_flush, void *arg)
{
	struct nfq *q = nfq_new(p, st, on_packet, on_flush, arg);

	if (!q || setup(q) < 0) {
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

/* One batch verdict into the tx batch, which sends itself first if full:
 * verdicts leave in id order whatever the batch's size. */
static void tx_put_batch(struct nfq *q, uint32_t id, uint8_t v, uint32_t mark)
{
	const struct nfq_verdict_msg vm = {
		.queue = q->p.queue, .id = id, .verdict = (enum nfq_verdict)(v & ~NFQ_V_SETMARK),
		.set_mark = v & NFQ_V_SETMARK, .mark = mark,
	};
	size_t room, len;
	uint8_t *at = nl_batch_reserve(&q->tx, NFQ_VERDICT_MSG, &room);

	len = at ? nfq_build_verdict(at, NFQ_VERDICT_MSG, &vm) : 0;
	if (len == 0 || nl_batch_commit(&q->tx, (const struct nlmsghdr *)(const void *)at, room) < 0) {
		/* Cannot happen (NFQ_VERDICT_MSG holds the largest); the
		 * packets stay queued until a later batch verdict covers them. */
		q->st->verdict_errors++;
	}
}

static void run_close(struct nfq *q)
{
	if (!q->run_open)
		return;
	tx_put_batch(q, q->run_end, q->run_v, q->run_mark);
	q->run_open = false;
}

/* Extend the open run to id with verdict v (and mark), closing it first if
 * either differs, or if the run would cover more than 2^31 ids: the kernel
 * compares ids modulo 2^32 (a batch verdict for id answers the queued
 * packets up to 2^31 before it), so a longer run would leave its first
 * packets unanswered.  The kernel numbers packets one by one, so only a
 * corrupt id can make such a run; add_verdict lets each id move on by less
 * than 2^31. */
static void run_add(struct nfq *q, uint32_t id, uint8_t v, uint32_t mark)
{
	if (!(v & NFQ_V_SETMARK))
		mark = 0;
	if (q->run_open && (q->run_v != v || q->run_mark != mark ||
			    id - q->run_start > (uint32_t)INT32_MAX))
		run_close(q);
	if (!q->run_open)
		q->run_start = q->have_last ? q->last_id + 1 : id;
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
		/* The kernel numbers a packet before it tries the socket, and
		 * one that does not fit is not queued: dropped (user_dropped)
		 * or, with fail_open, accepted.  The error verdict for the gap
		 * finds nothing queued; it keeps the verdict runs in id order. */
		log_kind_at(LOG_WARNING, 0, "nfq: the messages of %u packets were lost in a "
			    "socket overrun (the kernel dropped them, or let them pass with "
			    "fail_open)", gap);
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

/* Each verdict's latency, with one look at the clock per batch. */
static void record_latency(struct nfq *q)
{
	struct timespec ts;
	uint64_t now;

	if (!q->p.lat || !q->npending)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	for (size_t i = 0; i < q->npending; i++)
		if (q->pending_ts[i])
			lat_record(q->p.lat, now > q->pending_ts[i] ? now - q->pending_ts[i] : 0);
}

static void tx_flush(struct nfq *q)
{
	if (q->on_flush)
		q->on_flush(q->arg);
	record_latency(q);
	for (size_t i = 0; i < q->npending; i++)
		add_verdict(q, q->pending_id[i], q->pending_v[i], q->pending_mark[i]);
	q->npending = 0;
	run_close(q);
	(void)nl_batch_flush(&q->tx);	/* send_verdicts counts a failure */
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
	if (mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof(*ph)) {
		q->st->verdict_errors++;	/* no usable id: as above */
		return;
	}
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	q->st->packets++;
	if (q->npending == NFQ_PENDING_MAX)
		tx_flush(q);
	tag = (uint32_t)q->npending++;
	q->pending_id[tag] = ntohl(ph->packet_id);
	q->pending_ts[tag] = 0;
	if (attr[NFQA_TIMESTAMP] &&
	    mnl_attr_get_payload_len(attr[NFQA_TIMESTAMP]) >= sizeof(struct nfqnl_msg_packet_timestamp)) {
		struct nfqnl_msg_packet_timestamp t;

		memcpy(&t, mnl_attr_get_payload(attr[NFQA_TIMESTAMP]), sizeof(t));
		q->pending_ts[tag] = be64toh(t.sec) * 1000000u + be64toh(t.usec);
	}
	mark_in = attr[NFQA_MARK] && mnl_attr_get_payload_len(attr[NFQA_MARK]) >= 4
			  ? ntohl(mnl_attr_get_u32(attr[NFQA_MARK])) : 0;
	mark = mark_in;
	if (!attr[NFQA_PAYLOAD]) {
		q->st->verdict_errors++;
		q->st->reason[STATS_R_no_payload]++;
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
	int err = nl_error_errno(nlh);

	if (err == 0)
		return;
	q->st->verdict_errors++;
	log_kind_at(LOG_ERR, err, "nfq: kernel rejected a message: %s", strerror(err));
}

static void handle_datagram(struct nfq *q, const uint8_t *buf, size_t len)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)(const void *)buf;
	int rest = (int)len;

	for (; nl_msg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
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
		log_kind_at(LOG_WARNING, ENOBUFS, "nfq: receive buffer overrun (ENOBUFS); raise "
			    "rcvbuf if this repeats");
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

struct nfq *nfq_detached(const struct nfq_params *p, struct stats *st, nfq_packet_fn on_packet,
			 nfq_flush_fn on_flush, void *arg,
			 int (*send)(void *arg, const void *buf, size_t len, unsigned msgs),
			 void *send_arg)
{
	struct nfq *q = nfq_new(p, st, on_packet, on_flush, arg);

	if (q) {
		q->detached_send = send;
		q->detached_arg = send_arg;
	}
	return q;
}

void nfq_feed(struct nfq *q, const uint8_t *buf, size_t len)
{
	/* In the receive buffer, aligned as recvmmsg() leaves a datagram. */
	if (len > q->rx_bufsize)
		len = q->rx_bufsize;
	memcpy(q->rx_bufs, buf, len);
	handle_datagram(q, q->rx_bufs, len);
	tx_flush(q);
}

int nfq_proc_parse(const char *text, unsigned queue, struct nfq_proc *out)
{
	const char *line = text;

	while (*line) {
		unsigned long long f[9];
		char *end = NULL;
		const char *s = line;
		int n = 0;

		for (; n < 9; n++) {
			s += strspn(s, " \t");
			if (!(*s >= '0' && *s <= '9'))
				break;
			errno = 0;
			f[n] = strtoull(s, &end, 10);
			if (errno)
				break;
			s = end;
		}
		if (n >= 7 && f[0] == queue) {
			out->waiting = f[2];
			out->dropped = f[5];
			out->user_dropped = f[6];
			return 0;
		}
		line = strchr(line, '\n');
		if (!line)
			break;
		line++;
	}
	return -1;
}

void nfq_unbind(struct nfq *q)
{
	if (!q)
		return;
	if (q->nl) {
		cfg_cmd(q, NFQNL_CFG_CMD_UNBIND);
		mnl_socket_close(q->nl);
	}
	free(q->rx_bufs);
	free(q->tx_buf);
	free(q);
}
