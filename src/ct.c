/* ct: the connection-state census.  A ctnetlink dump of the whole conntrack
 * table is read one buffer per readable event; every message is parsed with
 * explicit length checks (the parser is pure and fuzzable).  A dump cannot
 * be cancelled in netlink: the only way to drop its rest is to close the
 * socket, so a truncated or aborted census swaps in a fresh socket under
 * the same descriptor number. */
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
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <netinet/in.h>

/* Dump pieces are at most 32 KiB (the kernel sizes them after our receive
 * buffer, capped there); twice that leaves room and never truncates. */
#define CT_RX_BUF 65536

#define CT_MSG_NEW ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW)
#define CT_MSG_GET ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET)

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

	memset(tb, 0, (max + 1u) * sizeof(*tb));
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

static int parse_ip(const struct nlattr *nest, int family, struct ct_entry *e)
{
	const struct nlattr *tb[CTA_IP_MAX + 1];
	uint16_t src = CTA_IP_V4_SRC, dst = CTA_IP_V4_DST;
	size_t alen = 4;

	if (nested_index(nest, tb, CTA_IP_MAX) < 0)
		return -1;
	if (family == AF_INET6) {
		src = CTA_IP_V6_SRC;
		dst = CTA_IP_V6_DST;
		alen = 16;
	}
	if (!attr_len_is(tb[src], alen) || !attr_len_is(tb[dst], alen))
		return -1;
	memcpy(e->src, mnl_attr_get_payload(tb[src]), alen);
	memcpy(e->dst, mnl_attr_get_payload(tb[dst]), alen);
	return 0;
}

/* 1 for TCP (ports filled in), 0 for another protocol, -1 if malformed. */
static int parse_proto(const struct nlattr *nest, struct ct_entry *e)
{
	const struct nlattr *tb[CTA_PROTO_MAX + 1];

	if (nested_index(nest, tb, CTA_PROTO_MAX) < 0 || !attr_len_is(tb[CTA_PROTO_NUM], 1))
		return -1;
	if (mnl_attr_get_u8(tb[CTA_PROTO_NUM]) != IPPROTO_TCP)
		return 0;
	if (!attr_len_is(tb[CTA_PROTO_SRC_PORT], 2) || !attr_len_is(tb[CTA_PROTO_DST_PORT], 2))
		return -1;
	e->sport = ntohs(mnl_attr_get_u16(tb[CTA_PROTO_SRC_PORT]));
	e->dport = ntohs(mnl_attr_get_u16(tb[CTA_PROTO_DST_PORT]));
	return 1;
}

static int parse_tuple(const struct nlattr *nest, int family, struct ct_entry *e)
{
	const struct nlattr *tb[CTA_TUPLE_MAX + 1];

	if (!nest || nested_index(nest, tb, CTA_TUPLE_MAX) < 0)
		return -1;
	if (!tb[CTA_TUPLE_IP] || !tb[CTA_TUPLE_PROTO] || parse_ip(tb[CTA_TUPLE_IP], family, e) < 0)
		return -1;
	return parse_proto(tb[CTA_TUPLE_PROTO], e);
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
	e->family = nfg->nfgen_family;
	r = parse_tuple(tb[CTA_TUPLE_ORIG], e->family, e);
	if (r <= 0)
		return r;
	return parse_protoinfo(tb[CTA_PROTOINFO], e);
}

size_t ct_build_dump(void *buf, size_t size, uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	size_t len = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*nfg));

	if (size < len)
		return 0;
	memset(buf, 0, len);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = CT_MSG_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;	/* every layer-3 family */
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh->nlmsg_len;
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

struct ct_census *ct_census_open(void)
{
	struct ct_census *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = nl_socket(&c->portid);
	if (c->fd < 0) {
		int saved = errno;

		free(c);
		errno = saved;
		return NULL;
	}
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
	int32_t err = 0;

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err))
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	finish(c, false);
	if (err < 0) {
		errno = -err;
		return -1;
	}
	return 0;
}

static int on_error(struct ct_census *c, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err))
		errno = EBADMSG;
	else if (err->error == 0)
		return 1;	/* an acknowledgment: nothing ends */
	else
		errno = -err->error;
	finish(c, true);
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

static ssize_t receive(struct ct_census *c)
{
	struct sockaddr_nl from;
	struct iovec iov = { .iov_base = c->rx.bytes, .iov_len = sizeof(c->rx.bytes) };
	struct msghdr mh = {
		.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t n = recvmsg(c->fd, &mh, 0);

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
	n = receive(c);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return 1;
		finish(c, true);	/* ENOBUFS: lost messages, the count is wrong */
		return -1;
	}
	for (len = (int)n; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
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
