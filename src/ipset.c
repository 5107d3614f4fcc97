/* ipset: hand-built ipset netlink messages (protocol 7); no libipset, which
 * would be a dependency for four message types.  Adds and deletes are
 * fire-and-forget: no ACK requested, the kernel reports only failures.
 * Messages are built into a bounded batch (nl.h): the batch is sent before
 * the next message could fail to fit, so callers never see a limit. */
#include "ipset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/ipset/ip_set.h>

#include "nl.h"

/* ipset's own error codes: IPSET_ERR_PRIVATE up to the type-specific ones. */
#define IPSET_ERR_SPAN 1024

#define IPSET_BUF 8192
/* The largest ADD/DEL message: headers, protocol, the longer set name, a
 * data nest holding an IP nest (IPv6 address), the prefix and a timeout. */
#define IPSET_ELEM_MSG \
	(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)) + NLA_ALIGN(NLA_HDRLEN + 1) + \
	 NLA_ALIGN(NLA_HDRLEN + sizeof(IPSET_NAME6)) + (size_t)2 * NLA_HDRLEN + NLA_HDRLEN + 16 + \
	 NLA_ALIGN(NLA_HDRLEN + 1) + NLA_HDRLEN + 4)
#define IPSET_REQ_BUF 512	/* create and destroy requests */
#define IPSET_ACK_TRIES 8	/* receives per blocking request */

_Static_assert(sizeof(IPSET_NAME4) <= sizeof(IPSET_NAME6), "IPSET_ELEM_MSG uses the longer name");

struct ipset {
	struct mnl_socket *nl;
	struct nl_batch batch;
	struct ipset_tally tally;	/* since the last ipset_flush */
	ipset_send_fn send;		/* NULL: the netlink socket */
	void *send_arg;
	union {
		struct nlmsghdr align;
		uint8_t bytes[IPSET_BUF];
	} buf;
};

static const char *set_name(int family)
{
	return family == AF_INET6 ? IPSET_NAME6 : IPSET_NAME4;
}

static uint8_t nfproto(int family)
{
	return family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
}

static bool msg_start(struct nl_msg *m, void *buf, size_t size, uint8_t cmd, uint8_t family,
		      uint16_t flags)
{
	const struct nl_head h = { .type = (NFNL_SUBSYS_IPSET << 8) | cmd,
				   .flags = NLM_F_REQUEST | flags, .family = family };

	if (!nl_msg_start(m, buf, size, &h))
		return false;
	nl_put_u8(m, IPSET_ATTR_PROTOCOL, IPSET_PROTOCOL);
	return true;
}

/* ipset insists on the network-byte-order flag for its u32 attributes. */
static void put_net32(struct nl_msg *m, uint16_t type, uint32_t v)
{
	nl_put_be32(m, type | NLA_F_NET_BYTEORDER, v);
}

/* --- blocking requests (set creation and removal) --------------------------- */

/* A reply's error: ipset's own codes (IPSET_ERR_PRIVATE on, no errno:
 * e.g. IPSET_ERR_FIND_TYPE, IPSET_ERR_HASH_FULL) as they are, anything else
 * as nl_error_errno has it.  (nl_error_errno turns every code past the
 * kernel's MAX_ERRNO into EPROTO, which lost which refusal it was.) */
static int reply_error(const struct nlmsghdr *nlh)
{
	int32_t code;

	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(code)) {
		memcpy(&code, (const uint8_t *)nlh + NLMSG_HDRLEN, sizeof(code));
		if (code <= -IPSET_ERR_PRIVATE && code > -(IPSET_ERR_PRIVATE + IPSET_ERR_SPAN))
			return -code;
	}
	return nl_error_errno(nlh);
}

/* Our request's ACK among the bytes received: 1 with *err (0 or errno),
 * 0 if none of them answers seq. */
static int find_ack(const uint8_t *buf, size_t len, uint32_t seq, int *err)
{
	const struct nlmsghdr *nlh = (const void *)buf;
	int rest = (int)len;

	for (; nl_msg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
		if (nlh->nlmsg_seq != seq || nlh->nlmsg_type != NLMSG_ERROR)
			continue;
		*err = reply_error(nlh);
		return 1;
	}
	return 0;
}

/* Send one request and wait for its ACK: 0 or a negative errno. */
static int request(struct mnl_socket *nl, struct nl_msg *m)
{
	union {
		struct nlmsghdr align;
		uint8_t bytes[IPSET_BUF];
	} rx;
	uint32_t seq = (uint32_t)time(NULL);

	m->nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl, m->nlh, nl_msg_len(m)) < 0)
		return -errno;
	for (int i = 0; i < IPSET_ACK_TRIES; i++) {
		ssize_t n = mnl_socket_recvfrom(nl, rx.bytes, sizeof(rx.bytes));
		int err;

		if (n < 0)
			return -errno;
		if (find_ack(rx.bytes, (size_t)n, seq, &err))
			return -err;
	}
	return -ETIMEDOUT;
}

static int create_one(struct mnl_socket *nl, int family, uint32_t maxelem, uint32_t timeout_s)
{
	union {
		struct nlmsghdr align;
		uint8_t bytes[IPSET_REQ_BUF];
	} buf;

	/* hash:net revisions with timeout support; the newest the kernel has. */
	for (int rev = 7; rev >= 0; rev--) {
		struct nl_msg m;
		struct nlattr *data;
		int rc;

		msg_start(&m, buf.bytes, sizeof(buf.bytes), IPSET_CMD_CREATE, nfproto(family),
			  NLM_F_ACK);
		nl_put_strz(&m, IPSET_ATTR_SETNAME, set_name(family));
		nl_put_strz(&m, IPSET_ATTR_TYPENAME, "hash:net");
		nl_put_u8(&m, IPSET_ATTR_REVISION, (uint8_t)rev);
		nl_put_u8(&m, IPSET_ATTR_FAMILY, nfproto(family));
		data = nl_nest_start(&m, IPSET_ATTR_DATA);
		put_net32(&m, IPSET_ATTR_TIMEOUT, timeout_s);
		put_net32(&m, IPSET_ATTR_MAXELEM, maxelem);
		nl_nest_end(&m, data);
		if (nl_msg_len(&m) == 0)
			return -EMSGSIZE;
		rc = request(nl, &m);
		/* Without NLM_F_EXCL an identical existing set is success. */
		if (rc != -IPSET_ERR_FIND_TYPE)
			return rc;
	}
	return -IPSET_ERR_FIND_TYPE;
}

static struct mnl_socket *open_blocking(void)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);

	if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(nl);
		return NULL;
	}
	return nl;
}

int ipset_create_sets(uint32_t maxelem, uint32_t timeout_s)
{
	struct mnl_socket *nl = open_blocking();
	int rc;

	if (!nl)
		return -errno;
	rc = create_one(nl, AF_INET, maxelem, timeout_s);
	if (rc == 0)
		rc = create_one(nl, AF_INET6, maxelem, timeout_s);
	mnl_socket_close(nl);
	return rc;
}

static int destroy_one(struct mnl_socket *nl, int family)
{
	union {
		struct nlmsghdr align;
		uint8_t bytes[IPSET_REQ_BUF];
	} buf;
	struct nl_msg m;

	msg_start(&m, buf.bytes, sizeof(buf.bytes), IPSET_CMD_DESTROY, nfproto(family), NLM_F_ACK);
	nl_put_strz(&m, IPSET_ATTR_SETNAME, set_name(family));
	if (nl_msg_len(&m) == 0)
		return -EMSGSIZE;
	return request(nl, &m);
}

int ipset_destroy_sets(void)
{
	struct mnl_socket *nl = open_blocking();
	int rc = 0;

	if (!nl)
		return -errno;
	for (int f = 0; f < 2; f++) {
		int r = destroy_one(nl, f ? AF_INET6 : AF_INET);

		if (r < 0 && r != -ENOENT)
			rc = r;
	}
	mnl_socket_close(nl);
	return rc;
}

/* --- the loop's session: batched adds and deletes --------------------------- */

static int send_batch(void *arg, const void *buf, size_t len, unsigned msgs)
{
	struct ipset *s = arg;
	int rc = s->send ? s->send(s->send_arg, buf, len, msgs)
			 : (mnl_socket_sendto(s->nl, buf, len) < 0 ? -1 : 0);

	if (rc < 0) {
		s->tally.failed += msgs;
		s->tally.last_errno = errno;
		return -1;
	}
	s->tally.sent += msgs;
	return 0;
}

static struct ipset *session_new(ipset_send_fn send, void *arg)
{
	struct ipset *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->send = send;
	s->send_arg = arg;
	nl_batch_init(&s->batch, s->buf.bytes, sizeof(s->buf.bytes), send_batch, s);
	return s;
}

struct ipset *ipset_open(void)
{
	struct ipset *s = session_new(NULL, NULL);

	if (!s)
		return NULL;
	s->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!s->nl || mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		if (s->nl)
			mnl_socket_close(s->nl);
		free(s);
		return NULL;
	}
	return s;
}

struct ipset *ipset_open_sink(ipset_send_fn send, void *arg)
{
	return session_new(send, arg);
}

void ipset_close(struct ipset *s)
{
	if (!s)
		return;
	if (s->nl)
		mnl_socket_close(s->nl);
	free(s);
}

/* One ADD (timeout_s > 0) or DEL (timeout_s == 0) message into the batch. */
static void put_elem(struct ipset *s, uint8_t cmd, int family, const uint8_t addr[16],
		     uint8_t cidr, uint32_t timeout_s)
{
	size_t room;
	void *at = nl_batch_reserve(&s->batch, IPSET_ELEM_MSG, &room);
	struct nlattr *data, *ip;
	struct nl_msg m;

	if (!at || !msg_start(&m, at, IPSET_ELEM_MSG, cmd, nfproto(family), 0)) {
		s->tally.failed++;
		return;
	}
	nl_put_strz(&m, IPSET_ATTR_SETNAME, set_name(family));
	data = nl_nest_start(&m, IPSET_ATTR_DATA);
	ip = nl_nest_start(&m, IPSET_ATTR_IP);
	if (family == AF_INET6)
		nl_put(&m, IPSET_ATTR_IPADDR_IPV6 | NLA_F_NET_BYTEORDER, 16, addr);
	else
		nl_put(&m, IPSET_ATTR_IPADDR_IPV4 | NLA_F_NET_BYTEORDER, 4, addr);
	nl_nest_end(&m, ip);
	nl_put_u8(&m, IPSET_ATTR_CIDR, cidr);
	if (timeout_s)
		put_net32(&m, IPSET_ATTR_TIMEOUT, timeout_s);
	nl_nest_end(&m, data);
	/* Built within IPSET_ELEM_MSG bytes or not at all: never past room. */
	if (nl_msg_len(&m) == 0 || nl_batch_commit(&s->batch, m.nlh, room) < 0)
		s->tally.failed++;
}

void ipset_add(struct ipset *s, int family, const uint8_t addr[16], uint8_t cidr,
	       uint32_t timeout_s)
{
	put_elem(s, IPSET_CMD_ADD, family, addr, cidr, timeout_s ? timeout_s : 1);
}

void ipset_del(struct ipset *s, int family, const uint8_t addr[16], uint8_t cidr)
{
	put_elem(s, IPSET_CMD_DEL, family, addr, cidr, 0);
}

void ipset_flush(struct ipset *s, struct ipset_tally *t)
{
	(void)nl_batch_flush(&s->batch);
	*t = s->tally;
	memset(&s->tally, 0, sizeof(s->tally));
}

unsigned ipset_parse_errors(const void *buf, size_t len, int *last_errno)
{
	const struct nlmsghdr *nlh = buf;
	int rest = (int)len;
	unsigned errors = 0;

	for (; nl_msg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
		int err;

		if (nlh->nlmsg_type != NLMSG_ERROR)
			continue;
		err = reply_error(nlh);
		if (err) {
			errors++;
			*last_errno = err;
		}
	}
	return errors;
}

const char *ipset_strerror(int err)
{
	switch (err) {
	case IPSET_ERR_PROTOCOL:
		return "ipset protocol version mismatch";
	case IPSET_ERR_TYPE_MISMATCH:
		return "the set is of another type";
	case IPSET_ERR_INVALID_CIDR:
		return "prefix length refused";
	case IPSET_ERR_INVALID_FAMILY:
		return "the set is of another family";
	case IPSET_ERR_TIMEOUT:
		return "the set has no timeout support";
	case IPSET_ERR_TYPE_SPECIFIC:	/* IPSET_ERR_HASH_FULL: the sets are hash:net */
		return "the set is full";
	default:
		break;
	}
	if (err >= IPSET_ERR_PRIVATE) {
		static char other[32];

		snprintf(other, sizeof(other), "ipset error %d", err);
		return other;
	}
	return strerror(err);
}

unsigned ipset_errors(struct ipset *s, int *last_errno)
{
	union {
		struct nlmsghdr align;
		uint8_t bytes[4096];
	} rx;
	unsigned errors = 0;

	if (!s->nl)
		return 0;
	for (int round = 0; round < 8; round++) {
		ssize_t n = recv(mnl_socket_get_fd(s->nl), rx.bytes, sizeof(rx.bytes), MSG_DONTWAIT);

		if (n <= 0)
			break;
		errors += ipset_parse_errors(rx.bytes, (size_t)n, last_errno);
	}
	return errors;
}
