/* ct: the connection-state census and the proxied connections' entries.
 * A ctnetlink dump of the whole conntrack table is read one buffer per
 * readable event; every message is parsed with explicit length checks (the
 * parser is pure and fuzzable).  A dump cannot be cancelled in netlink: the
 * only way to drop its rest is to close the socket, so a truncated or
 * aborted census swaps in a fresh socket under the same descriptor number.
 * Requests (entry creation, look-ups) use a socket of their own. */
#include "ct.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <netinet/in.h>

#include "nl.h"

/* Dump pieces are at most 32 KiB (the kernel sizes them after our receive
 * buffer, capped there); twice that leaves room and never truncates. */
#define CT_RX_BUF 65536

#define CT_MSG_NEW ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW)
#define CT_MSG_GET ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET)
#define CT_MSG_DELETE ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE)

struct ct_census {
	int fd;
	uint32_t portid;
	uint32_t seq;
	bool running, truncated, stale;	/* stale: the socket still holds a dump */
	uint64_t seen, max;
	union {
		struct nlmsghdr align;
		uint8_t bytes[CT_RX_BUF];
	} rx;
};

static const char *const state_names[CT_NSTATES] = {
	[CT_SYN_SENT] = "syn_sent",
	[CT_SYN_RECV] = "syn_recv",
	[CT_ESTABLISHED] = "established",
	[CT_FIN_WAIT] = "fin_wait",
	[CT_CLOSE_WAIT] = "close_wait",
	[CT_LAST_ACK] = "last_ack",
	[CT_TIME_WAIT] = "time_wait",
	[CT_CLOSE] = "close",
};

const char *ct_state_name(enum ct_state s)
{
	return (unsigned)s < CT_NSTATES ? state_names[s] : "?";
}

/* --- pure parsing ------------------------------------------------------- */

/* Index the attributes in [buf, buf + len) by type (at most max; unknown
 * types are ignored).  Every attribute must fit, and nothing but the last
 * attribute's alignment padding may follow the last one. */
static int attr_index(const void *buf, size_t len, const struct nlattr **tb, uint16_t max)
{
	const uint8_t *p = buf;

	memset(tb, 0, (max + 1u) * sizeof(*tb)); /* NOLINT(bugprone-sizeof-expression): an array of pointers */
	while (len > 0) {
		const struct nlattr *a = (const void *)p;
		size_t step;

		if (len < sizeof(*a) || a->nla_len < sizeof(*a) || a->nla_len > len)
			return -1;
		if (mnl_attr_get_type(a) <= max)
			tb[mnl_attr_get_type(a)] = a;
		step = MNL_ALIGN(a->nla_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return 0;
}

static int nested_index(const struct nlattr *nest, const struct nlattr **tb, uint16_t max)
{
	return attr_index(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), tb, max);
}

/* An attribute that must carry exactly len bytes. */
static bool attr_len_is(const struct nlattr *a, size_t len)
{
	return a && mnl_attr_get_payload_len(a) == len;
}

static int parse_ip(const struct nlattr *nest, struct sg_tuple *t)
{
	const struct nlattr *tb[CTA_IP_MAX + 1];
	uint16_t src = CTA_IP_V4_SRC, dst = CTA_IP_V4_DST;
	size_t alen = 4;

	if (nested_index(nest, tb, CTA_IP_MAX) < 0)
		return -1;
	if (t->family == AF_INET6) {
		src = CTA_IP_V6_SRC;
		dst = CTA_IP_V6_DST;
		alen = 16;
	}
	if (!attr_len_is(tb[src], alen) || !attr_len_is(tb[dst], alen))
		return -1;
	memcpy(t->client, mnl_attr_get_payload(tb[src]), alen);
	memcpy(t->server, mnl_attr_get_payload(tb[dst]), alen);
	return 0;
}

/* 1 for TCP (ports filled in), 0 for another protocol, -1 if malformed. */
static int parse_proto(const struct nlattr *nest, struct sg_tuple *t)
{
	const struct nlattr *tb[CTA_PROTO_MAX + 1];

	if (nested_index(nest, tb, CTA_PROTO_MAX) < 0 || !attr_len_is(tb[CTA_PROTO_NUM], 1))
		return -1;
	if (mnl_attr_get_u8(tb[CTA_PROTO_NUM]) != IPPROTO_TCP)
		return 0;
	if (!attr_len_is(tb[CTA_PROTO_SRC_PORT], 2) || !attr_len_is(tb[CTA_PROTO_DST_PORT], 2))
		return -1;
	t->client_port = ntohs(mnl_attr_get_u16(tb[CTA_PROTO_SRC_PORT]));
	t->server_port = ntohs(mnl_attr_get_u16(tb[CTA_PROTO_DST_PORT]));
	return 1;
}

/* Source and destination into t->client and t->server (t->family set). */
static int parse_tuple(const struct nlattr *nest, struct sg_tuple *t)
{
	const struct nlattr *tb[CTA_TUPLE_MAX + 1];

	if (!nest || nested_index(nest, tb, CTA_TUPLE_MAX) < 0)
		return -1;
	if (!tb[CTA_TUPLE_IP] || !tb[CTA_TUPLE_PROTO] || parse_ip(tb[CTA_TUPLE_IP], t) < 0)
		return -1;
	return parse_proto(tb[CTA_TUPLE_PROTO], t);
}

static int map_state(uint8_t s, enum ct_state *out)
{
	static const int8_t map[TCP_CONNTRACK_MAX] = {
		[TCP_CONNTRACK_NONE] = -1,
		[TCP_CONNTRACK_SYN_SENT] = CT_SYN_SENT,
		[TCP_CONNTRACK_SYN_RECV] = CT_SYN_RECV,
		[TCP_CONNTRACK_ESTABLISHED] = CT_ESTABLISHED,
		[TCP_CONNTRACK_FIN_WAIT] = CT_FIN_WAIT,
		[TCP_CONNTRACK_CLOSE_WAIT] = CT_CLOSE_WAIT,
		[TCP_CONNTRACK_LAST_ACK] = CT_LAST_ACK,
		[TCP_CONNTRACK_TIME_WAIT] = CT_TIME_WAIT,
		[TCP_CONNTRACK_CLOSE] = CT_CLOSE,
		[TCP_CONNTRACK_SYN_SENT2] = CT_SYN_SENT,	/* simultaneous open */
	};

	if (s >= TCP_CONNTRACK_MAX || map[s] < 0)
		return 0;
	*out = (enum ct_state)map[s];
	return 1;
}

/* 1 with the state, 0 without TCP protoinfo or with an unknown state. */
static int parse_protoinfo(const struct nlattr *nest, struct ct_entry *e)
{
	const struct nlattr *tb[CTA_PROTOINFO_MAX + 1], *tcp[CTA_PROTOINFO_TCP_MAX + 1];

	if (!nest)
		return 0;
	if (nested_index(nest, tb, CTA_PROTOINFO_MAX) < 0)
		return -1;
	if (!tb[CTA_PROTOINFO_TCP])
		return 0;
	if (nested_index(tb[CTA_PROTOINFO_TCP], tcp, CTA_PROTOINFO_TCP_MAX) < 0)
		return -1;
	if (!tcp[CTA_PROTOINFO_TCP_STATE])
		return 0;
	if (!attr_len_is(tcp[CTA_PROTOINFO_TCP_STATE], 1))
		return -1;
	return map_state(mnl_attr_get_u8(tcp[CTA_PROTOINFO_TCP_STATE]), &e->state);
}

/* The REPLY direction's sequence adjustment, when the entry has one (the
 * kernel sends both directions' whenever IPS_SEQ_ADJUST is set). */
static int parse_seqadj(const struct nlattr *nest, struct ct_entry *e)
{
	const struct nlattr *tb[CTA_SEQADJ_MAX + 1];

	if (!nest)
		return 0;
	if (nested_index(nest, tb, CTA_SEQADJ_MAX) < 0 ||
	    !attr_len_is(tb[CTA_SEQADJ_CORRECTION_POS], 4) ||
	    !attr_len_is(tb[CTA_SEQADJ_OFFSET_BEFORE], 4) ||
	    !attr_len_is(tb[CTA_SEQADJ_OFFSET_AFTER], 4))
		return -1;
	e->seqadj = true;
	e->seqadj_pos = ntohl(mnl_attr_get_u32(tb[CTA_SEQADJ_CORRECTION_POS]));
	e->seqadj_offset = (int32_t)ntohl(mnl_attr_get_u32(tb[CTA_SEQADJ_OFFSET_AFTER]));
	return 0;
}

int ct_parse_msg(const void *nlmsg, size_t len, struct ct_entry *e)
{
	const struct nlmsghdr *nlh = nlmsg;
	const struct nlattr *tb[CTA_MAX + 1];
	const struct nfgenmsg *nfg;
	size_t hdr = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*nfg));
	int r;

	if (len < sizeof(*nlh) || nlh->nlmsg_len < hdr || nlh->nlmsg_len > len ||
	    nlh->nlmsg_type != CT_MSG_NEW)
		return -1;
	nfg = mnl_nlmsg_get_payload(nlh);
	if (nfg->nfgen_family != AF_INET && nfg->nfgen_family != AF_INET6)
		return -1;
	if (attr_index((const uint8_t *)nlh + hdr, nlh->nlmsg_len - hdr, tb, CTA_MAX) < 0)
		return -1;
	memset(e, 0, sizeof(*e));
	e->tuple.family = nfg->nfgen_family;
	r = parse_tuple(tb[CTA_TUPLE_ORIG], &e->tuple);
	if (r <= 0)
		return r;
	if (parse_seqadj(tb[CTA_SEQ_ADJ_REPLY], e) < 0)
		return -1;
	return parse_protoinfo(tb[CTA_PROTOINFO], e);
}

size_t ct_build_dump(void *buf, size_t size, uint32_t seq)
{
	struct nl_msg m;

	/* AF_UNSPEC: every layer-3 family */
	const struct nl_head h = { .type = CT_MSG_GET, .flags = NLM_F_REQUEST | NLM_F_DUMP,
				   .seq = seq, .family = AF_UNSPEC };

	if (!nl_msg_start(&m, buf, size, &h))
		return 0;
	return nl_msg_len(&m);
}

/* --- the socket ---------------------------------------------------------- */

static int nl_socket(uint32_t *portid)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t salen = sizeof(sa);
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_NETFILTER);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	*portid = sa.nl_pid;
	return fd;
}

/* Drop whatever the kernel still holds for us (the rest of a dump) by
 * replacing the socket; the descriptor number stays the same. */
static int reset_socket(struct ct_census *c)
{
	uint32_t portid;
	int fd = nl_socket(&portid);

	if (fd < 0 || dup3(fd, c->fd, O_CLOEXEC) < 0) {
		int saved = errno;

		if (fd >= 0)
			close(fd);
		c->stale = true;	/* retried by the next start */
		errno = saved;
		return -1;
	}
	close(fd);
	c->portid = portid;
	c->stale = false;
	return 0;
}

/* End the running dump; discard its rest unless the kernel finished it. */
static void finish(struct ct_census *c, bool discard)
{
	int saved = errno;

	c->running = false;
	if (discard)
		reset_socket(c);
	errno = saved;
}

/* Give a freshly allocated object its socket, or free it (errno kept). */
static bool nl_socket_or_free(void *obj, int *fd, uint32_t *portid)
{
	int saved;

	*fd = nl_socket(portid);
	if (*fd >= 0)
		return true;
	saved = errno;
	free(obj);
	errno = saved;
	return false;
}

struct ct_census *ct_census_open(void)
{
	struct ct_census *c = calloc(1, sizeof(*c));

	if (!c || !nl_socket_or_free(c, &c->fd, &c->portid))
		return NULL;
	return c;
}

int ct_census_fd(const struct ct_census *c)
{
	return c->fd;
}

int ct_census_start(struct ct_census *c, uint64_t max_entries)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	uint8_t req[64];
	size_t len;

	if (c->running) {
		errno = EBUSY;
		return -1;
	}
	if (c->stale && reset_socket(c) < 0)
		return -1;
	len = ct_build_dump(req, sizeof(req), ++c->seq);
	if (sendto(c->fd, req, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) != (ssize_t)len) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	c->running = true;
	c->truncated = false;
	c->seen = 0;
	c->max = max_entries;
	return 0;
}

/* NLMSG_DONE of a dump carries the dump's result (0 or -errno). */
static int on_done(struct ct_census *c, const struct nlmsghdr *nlh)
{
	int err = nl_done_errno(nlh);

	finish(c, false);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

static int on_error(struct ct_census *c, const struct nlmsghdr *nlh)
{
	int err = nl_error_errno(nlh);

	if (err == 0)
		return 1;	/* an acknowledgment: nothing ends */
	finish(c, true);
	errno = err;
	return -1;
}

/* 1: go on, 0: truncated, -1: malformed. */
static int on_entry(struct ct_census *c, const struct nlmsghdr *nlh, ct_entry_fn fn, void *arg)
{
	struct ct_entry e;
	int r;

	if (c->max && c->seen >= c->max) {
		c->truncated = true;
		finish(c, true);
		return 0;
	}
	c->seen++;
	r = ct_parse_msg(nlh, nlh->nlmsg_len, &e);
	if (r < 0) {
		errno = EBADMSG;
		finish(c, true);
		return -1;
	}
	if (r > 0)
		fn(&e, arg);
	return 1;
}

/* One message of our dump: 1 to go on, 0 or -1 to return that. */
static int on_message(struct ct_census *c, const struct nlmsghdr *nlh, ct_entry_fn fn, void *arg)
{
	if (!mnl_nlmsg_seq_ok(nlh, c->seq) || !mnl_nlmsg_portid_ok(nlh, c->portid))
		return 1;	/* not ours (cannot happen on a fresh socket) */
	switch (nlh->nlmsg_type) {
	case NLMSG_DONE:
		return on_done(c, nlh);
	case NLMSG_ERROR:
		return on_error(c, nlh);
	case CT_MSG_NEW:
		return on_entry(c, nlh, fn, arg);
	default:
		return 1;	/* NLMSG_NOOP and the like */
	}
}

/* One datagram from the kernel: its length, 0 for one from elsewhere
 * (ignored), -1 with errno (EMSGSIZE if it did not fit). */
static ssize_t nl_receive(int fd, void *buf, size_t size)
{
	struct sockaddr_nl from;
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr mh = {
		.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t n = recvmsg(fd, &mh, 0);

	if (n >= 0 && (mh.msg_flags & MSG_TRUNC)) {
		errno = EMSGSIZE;
		return -1;
	}
	if (n >= 0 && (mh.msg_namelen != sizeof(from) || from.nl_pid != 0))
		return 0;	/* not from the kernel: ignore */
	return n;
}

int ct_census_read(struct ct_census *c, ct_entry_fn fn, void *arg)
{
	const struct nlmsghdr *nlh = &c->rx.align;
	ssize_t n;
	int len, r;

	if (!c->running)
		return 0;
	n = nl_receive(c->fd, c->rx.bytes, sizeof(c->rx.bytes));
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return 1;
		finish(c, true);	/* ENOBUFS: lost messages, the count is wrong */
		return -1;
	}
	for (len = (int)n; nl_msg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		r = on_message(c, nlh, fn, arg);
		if (r <= 0)
			return r;
	}
	return 1;
}

bool ct_census_running(const struct ct_census *c)
{
	return c->running;
}

uint64_t ct_census_seen(const struct ct_census *c)
{
	return c->seen;
}

bool ct_census_truncated(const struct ct_census *c)
{
	return c->truncated;
}

void ct_census_abort(struct ct_census *c)
{
	if (c->running)
		finish(c, true);
}

void ct_census_close(struct ct_census *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}

/* --- requests: the proxied connection's entry ----------------------------- */

#define CT_PROXY_STATUS (IPS_SEEN_REPLY | IPS_ASSURED | IPS_CONFIRMED)
/* The TCP flags the entry states, set or clear, in both directions. */
#define CT_PROXY_TCP_FLAGS \
	(IP_CT_TCP_FLAG_WINDOW_SCALE | IP_CT_TCP_FLAG_SACK_PERM | IP_CT_TCP_FLAG_BE_LIBERAL)

/* A request is at most 272 bytes (IPv6 NEW); an answer is one entry (well
 * under 1 KiB) or an error that, with NETLINK_CAP_ACK, carries only our
 * header. */
#define CT_REQ_BUF 512
#define CT_CTL_BUF 8192
/* Receives per request: only leftovers of an earlier request can come
 * before its answer. */
#define CT_CTL_TRIES 8

/* A message about one connection: its family must be IPv4 or IPv6. */
static bool msg_start(struct nl_msg *m, void *buf, size_t size, const struct nl_head *h)
{
	if (h->family != AF_INET && h->family != AF_INET6)
		return false;
	return nl_msg_start(m, buf, size, h);
}

/* The tuple as source (client) -> destination (server). */
static void put_tuple(struct nl_msg *m, uint16_t type, const struct sg_tuple *t)
{
	bool v6 = t->family == AF_INET6;
	size_t alen = v6 ? 16 : 4;
	struct nlattr *tuple = nl_nest_start(m, type), *ip, *proto;

	ip = nl_nest_start(m, CTA_TUPLE_IP);
	nl_put(m, v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC, alen, t->client);
	nl_put(m, v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST, alen, t->server);
	nl_nest_end(m, ip);
	proto = nl_nest_start(m, CTA_TUPLE_PROTO);
	nl_put_u8(m, CTA_PROTO_NUM, IPPROTO_TCP);
	nl_put_be16(m, CTA_PROTO_SRC_PORT, t->client_port);
	nl_put_be16(m, CTA_PROTO_DST_PORT, t->server_port);
	nl_nest_end(m, proto);
	nl_nest_end(m, tuple);
}

/* Window scaling is on only when both ends offered it (RFC 7323 §2.2);
 * then conntrack must scale each direction's windows by its sender's
 * shift, or it misjudges what is in window. */
static void put_protoinfo(struct nl_msg *m, const struct ct_proxy *p)
{
	bool wscale = p->client_wscale != CT_NO_WSCALE && p->server_wscale != CT_NO_WSCALE;
	struct nf_ct_tcp_flags flags = { .flags = 0, .mask = CT_PROXY_TCP_FLAGS };
	struct nlattr *info, *tcp;

	if (wscale)
		flags.flags |= IP_CT_TCP_FLAG_WINDOW_SCALE;
	if (p->sack)
		flags.flags |= IP_CT_TCP_FLAG_SACK_PERM;
	if (p->liberal)
		flags.flags |= IP_CT_TCP_FLAG_BE_LIBERAL;
	info = nl_nest_start(m, CTA_PROTOINFO);
	tcp = nl_nest_start(m, CTA_PROTOINFO_TCP);
	nl_put_u8(m, CTA_PROTOINFO_TCP_STATE, TCP_CONNTRACK_ESTABLISHED);
	if (wscale) {
		nl_put_u8(m, CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, p->client_wscale);
		nl_put_u8(m, CTA_PROTOINFO_TCP_WSCALE_REPLY, p->server_wscale);
	}
	nl_put(m, CTA_PROTOINFO_TCP_FLAGS_ORIGINAL, sizeof(flags), &flags);
	nl_put(m, CTA_PROTOINFO_TCP_FLAGS_REPLY, sizeof(flags), &flags);
	nl_nest_end(m, tcp);
	nl_nest_end(m, info);
}

/* One offset before and after the position: the translation never changes
 * during the connection. */
static void put_seqadj(struct nl_msg *m, uint16_t type, uint32_t pos, uint32_t offset)
{
	struct nlattr *adj = nl_nest_start(m, type);

	nl_put_be32(m, CTA_SEQADJ_CORRECTION_POS, pos);
	nl_put_be32(m, CTA_SEQADJ_OFFSET_BEFORE, offset);
	nl_put_be32(m, CTA_SEQADJ_OFFSET_AFTER, offset);
	nl_nest_end(m, adj);
}

size_t ct_build_proxy_new(void *buf, size_t size, uint32_t seq, const struct ct_proxy *p)
{
	const struct nl_head h = {
		.type = CT_MSG_NEW, .flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK,
		.seq = seq, .family = (uint8_t)p->tuple.family,
	};
	struct sg_tuple reply;
	struct nl_msg m;

	if (!msg_start(&m, buf, size, &h))
		return 0;
	sg_tuple_reverse(&p->tuple, &reply);
	put_tuple(&m, CTA_TUPLE_ORIG, &p->tuple);
	put_tuple(&m, CTA_TUPLE_REPLY, &reply);
	/* CONFIRMED: the entry goes straight into the hash table; without it
	 * this kernel refuses the request with EBUSY. */
	nl_put_be32(&m, CTA_STATUS, CT_PROXY_STATUS);
	nl_put_be32(&m, CTA_TIMEOUT, p->timeout_s);
	nl_put_be32(&m, CTA_MARK, p->mark);
	put_protoinfo(&m, p);
	put_seqadj(&m, CTA_SEQ_ADJ_REPLY, p->server_isn, p->proxy_isn - p->server_isn);
	return nl_msg_len(&m);
}

/* The look-up of one entry by its ORIGINAL tuple.  No NLM_F_ACK: the
 * answer is exactly one message, the entry or an error. */
static size_t build_by_tuple(void *buf, size_t size, struct nl_head h, const struct sg_tuple *t)
{
	struct nl_msg m;

	h.family = (uint8_t)t->family;
	if (!msg_start(&m, buf, size, &h))
		return 0;
	put_tuple(&m, CTA_TUPLE_ORIG, t);
	return nl_msg_len(&m);
}

size_t ct_build_restore(void *buf, size_t size, uint32_t seq, const struct sg_tuple *t,
			uint32_t timeout_s)
{
	const struct nl_head h = {
		.type = CT_MSG_NEW, .flags = NLM_F_REQUEST | NLM_F_ACK, .seq = seq,
		.family = (uint8_t)t->family,
	};
	/* The RST's sequence moved the originator's end of data (td_end)
	 * ahead of what it sent: conntrack would take it for data the
	 * server never acknowledges and keep the entry on its 5-minute
	 * unacknowledged timeout.  Only this flag is touched (the mask). */
	const struct nf_ct_tcp_flags unacked = { .flags = 0,
						 .mask = IP_CT_TCP_FLAG_DATA_UNACKNOWLEDGED };
	struct nlattr *info, *tcp;
	struct nl_msg m;

	if (!msg_start(&m, buf, size, &h))
		return 0;
	put_tuple(&m, CTA_TUPLE_ORIG, t);
	nl_put_be32(&m, CTA_TIMEOUT, timeout_s);
	info = nl_nest_start(&m, CTA_PROTOINFO);
	tcp = nl_nest_start(&m, CTA_PROTOINFO_TCP);
	nl_put(&m, CTA_PROTOINFO_TCP_FLAGS_ORIGINAL, sizeof(unacked), &unacked);
	nl_nest_end(&m, tcp);
	nl_nest_end(&m, info);
	return nl_msg_len(&m);
}

struct ct_ctl {
	int fd;
	uint32_t portid;
	uint32_t seq;
	union {
		struct nlmsghdr align;
		uint8_t bytes[CT_CTL_BUF];
	} rx;
};

struct ct_ctl *ct_ctl_open(void)
{
	struct ct_ctl *c = calloc(1, sizeof(*c));
	int one = 1;

	if (!c || !nl_socket_or_free(c, &c->fd, &c->portid))
		return NULL;
	/* Errors without a copy of our request; best effort: an old kernel
	 * echoes it, and that still fits the receive buffer. */
	(void)setsockopt(c->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return c;
}

void ct_ctl_close(struct ct_ctl *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}

/* Our request's answer in the receive buffer, or NULL with errno. */
static const struct nlmsghdr *find_answer(struct ct_ctl *c, ssize_t n)
{
	const struct nlmsghdr *nlh = &c->rx.align;
	int len;

	for (len = (int)n; nl_msg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
		if (nlh->nlmsg_seq == c->seq && nlh->nlmsg_type != NLMSG_NOOP)
			return nlh;
	return NULL;
}

/* Sends req (numbered c->seq) and returns its answer, or NULL with errno.
 * The kernel handles a ctnetlink request within sendto(), so the answer is
 * queued when sendto returns: non-blocking receives find it, and EAGAIN
 * means none will come (ETIMEDOUT). */
static const struct nlmsghdr *transact(struct ct_ctl *c, const void *req, size_t len)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

	if (sendto(c->fd, req, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) != (ssize_t)len) {
		if (errno == 0)
			errno = EIO;
		return NULL;
	}
	for (int i = 0; i < CT_CTL_TRIES; i++) {
		ssize_t n = nl_receive(c->fd, c->rx.bytes, sizeof(c->rx.bytes));
		const struct nlmsghdr *nlh;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				errno = ETIMEDOUT;
			return NULL;
		}
		nlh = find_answer(c, n);
		if (nlh)
			return nlh;
	}
	errno = ETIMEDOUT;
	return NULL;
}

/* An NLMSG_ERROR's code: 0 (an acknowledgment) or -errno. */
static int answer_error(const struct nlmsghdr *nlh)
{
	if (nlh->nlmsg_type != NLMSG_ERROR)
		return -EBADMSG;
	return -nl_error_errno(nlh);
}

int ct_ctl_create(struct ct_ctl *c, const struct ct_proxy *p)
{
	union {
		struct nlmsghdr align;
		uint8_t bytes[CT_REQ_BUF];
	} req;
	const struct nlmsghdr *nlh;
	size_t len = ct_build_proxy_new(req.bytes, sizeof(req.bytes), ++c->seq, p);

	if (len == 0)
		return -EINVAL;	/* the family: every request fits */
	nlh = transact(c, req.bytes, len);
	return nlh ? answer_error(nlh) : -errno;
}

static int restore(struct ct_ctl *c, const struct sg_tuple *t, uint32_t timeout_s)
{
	union {
		struct nlmsghdr align;
		uint8_t bytes[CT_REQ_BUF];
	} req;
	const struct nlmsghdr *nlh;
	size_t len = ct_build_restore(req.bytes, sizeof(req.bytes), ++c->seq, t, timeout_s);

	if (len == 0)
		return -EINVAL;
	nlh = transact(c, req.bytes, len);
	return nlh ? answer_error(nlh) : -errno;
}

int ct_ctl_delete(struct ct_ctl *c, const struct sg_tuple *t)
{
	union {
		struct nlmsghdr align;
		uint8_t bytes[CT_REQ_BUF];
	} req;
	const struct nlmsghdr *nlh;
	size_t len = build_by_tuple(req.bytes, sizeof(req.bytes), (struct nl_head){
		.type = CT_MSG_DELETE, .flags = NLM_F_REQUEST | NLM_F_ACK, .seq = ++c->seq }, t);

	if (len == 0)
		return -EINVAL;
	nlh = transact(c, req.bytes, len);
	return nlh ? answer_error(nlh) : -errno;
}

/* The entry whose ORIGINAL tuple is t, parsed into *e: 1, 0 (an entry to
 * skip), or -errno. */
static int get_entry(struct ct_ctl *c, const struct sg_tuple *t, struct ct_entry *e)
{
	union {
		struct nlmsghdr align;
		uint8_t bytes[CT_REQ_BUF];
	} req;
	const struct nlmsghdr *nlh;
	size_t len = build_by_tuple(req.bytes, sizeof(req.bytes), (struct nl_head){
		.type = CT_MSG_GET, .flags = NLM_F_REQUEST, .seq = ++c->seq }, t);
	int r;

	if (len == 0)
		return -EINVAL;
	nlh = transact(c, req.bytes, len);
	if (!nlh)
		return -errno;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		int err = answer_error(nlh);

		return err < 0 ? err : -EBADMSG;	/* a get is never just acknowledged */
	}
	r = ct_parse_msg(nlh, nlh->nlmsg_len, e);
	return r < 0 ? -EBADMSG : r;
}

int ct_ctl_restore_established(struct ct_ctl *c, const struct sg_tuple *t, uint32_t timeout_s)
{
	struct ct_entry e = { 0 };
	int r = get_entry(c, t, &e);

	if (r <= 0)
		return r;
	if (e.state != CT_ESTABLISHED)
		return 0;
	r = restore(c, t, timeout_s);
	return r < 0 ? r : 1;
}

int ct_ctl_seqadj(struct ct_ctl *c, const struct sg_tuple *t, int32_t *offset)
{
	struct ct_entry e = { 0 };
	int r = get_entry(c, t, &e);

	if (r < 0)
		return r;
	if (r == 0 || !e.seqadj)
		return 0;
	*offset = e.seqadj_offset;
	return 1;
}
