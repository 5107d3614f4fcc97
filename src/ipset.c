/* ipset: hand-built ipset netlink messages (protocol 7) over libmnl; no
 * libipset, which would be a dependency for four message types.  Adds are
 * fire-and-forget: no ACK requested, the kernel reports only failures. */
#include "ipset.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/ipset/ip_set.h>

#define IPSET_BUF 8192
#define IPSET_ADD_MAX 128	/* adds per flush: bounded by the buffer */

struct ipset {
	struct mnl_socket *nl;
	uint8_t buf[IPSET_BUF];
	size_t len;
	unsigned n;
};

static struct nlmsghdr *msg_start(void *buf, uint8_t cmd, uint8_t family, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_IPSET << 8) | cmd;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	mnl_attr_put_u8(nlh, IPSET_ATTR_PROTOCOL, IPSET_PROTOCOL);
	return nlh;
}

/* ipset insists on the network-byte-order flag for these u32 attributes. */
static void put_be32(struct nlmsghdr *nlh, uint16_t type, uint32_t v)
{
	mnl_attr_put_u32(nlh, type | NLA_F_NET_BYTEORDER, htonl(v));
}

static const char *set_name(int family)
{
	return family == AF_INET6 ? IPSET_NAME6 : IPSET_NAME4;
}

static uint8_t nfproto(int family)
{
	return family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
}

/* Send one request and wait for its ACK (blocking sessions only). */
static int request(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
	uint8_t buf[IPSET_BUF];
	uint32_t portid = mnl_socket_get_portid(nl);
	int n;

	nlh->nlmsg_seq = (uint32_t)time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	if (mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, NULL, NULL) < 0)
		return -errno;
	return 0;
}

static int create_one(struct mnl_socket *nl, int family, uint32_t maxelem, uint32_t timeout_s)
{
	uint8_t buf[512];
	/* hash:net revisions with timeout support; the newest the kernel has. */
	for (int rev = 7; rev >= 0; rev--) {
		struct nlmsghdr *nlh = msg_start(buf, IPSET_CMD_CREATE, nfproto(family), NLM_F_ACK);
		struct nlattr *data;
		int rc;

		mnl_attr_put_strz(nlh, IPSET_ATTR_SETNAME, set_name(family));
		mnl_attr_put_strz(nlh, IPSET_ATTR_TYPENAME, "hash:net");
		mnl_attr_put_u8(nlh, IPSET_ATTR_REVISION, (uint8_t)rev);
		mnl_attr_put_u8(nlh, IPSET_ATTR_FAMILY, nfproto(family));
		data = mnl_attr_nest_start(nlh, IPSET_ATTR_DATA);
		put_be32(nlh, IPSET_ATTR_TIMEOUT, timeout_s);
		put_be32(nlh, IPSET_ATTR_MAXELEM, maxelem);
		mnl_attr_nest_end(nlh, data);
		rc = request(nl, nlh);
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

int ipset_destroy_sets(void)
{
	struct mnl_socket *nl = open_blocking();
	uint8_t buf[256];
	int rc = 0;

	if (!nl)
		return -errno;
	for (int f = 0; f < 2; f++) {
		int family = f ? AF_INET6 : AF_INET;
		struct nlmsghdr *nlh = msg_start(buf, IPSET_CMD_DESTROY, nfproto(family), NLM_F_ACK);
		int r;

		mnl_attr_put_strz(nlh, IPSET_ATTR_SETNAME, set_name(family));
		r = request(nl, nlh);
		if (r < 0 && r != -ENOENT)
			rc = r;
	}
	mnl_socket_close(nl);
	return rc;
}

struct ipset *ipset_open(void)
{
	struct ipset *s = calloc(1, sizeof(*s));

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

void ipset_close(struct ipset *s)
{
	if (!s)
		return;
	mnl_socket_close(s->nl);
	free(s);
}

/* One ADD (timeout_s > 0) or DEL (timeout_s == 0) message into the batch. */
static void put_elem(struct ipset *s, uint8_t cmd, int family, const uint8_t addr[16],
		     uint8_t cidr, uint32_t timeout_s)
{
	struct nlmsghdr *nlh;
	struct nlattr *data, *ip;

	if (s->n == IPSET_ADD_MAX)
		ipset_flush(s);
	nlh = msg_start(s->buf + s->len, cmd, nfproto(family), 0);
	mnl_attr_put_strz(nlh, IPSET_ATTR_SETNAME, set_name(family));
	data = mnl_attr_nest_start(nlh, IPSET_ATTR_DATA);
	ip = mnl_attr_nest_start(nlh, IPSET_ATTR_IP);
	if (family == AF_INET6)
		mnl_attr_put(nlh, IPSET_ATTR_IPADDR_IPV6 | NLA_F_NET_BYTEORDER, 16, addr);
	else
		mnl_attr_put(nlh, IPSET_ATTR_IPADDR_IPV4 | NLA_F_NET_BYTEORDER, 4, addr);
	mnl_attr_nest_end(nlh, ip);
	mnl_attr_put_u8(nlh, IPSET_ATTR_CIDR, cidr);
	if (timeout_s)
		put_be32(nlh, IPSET_ATTR_TIMEOUT, timeout_s);
	mnl_attr_nest_end(nlh, data);
	s->len += NLMSG_ALIGN(nlh->nlmsg_len);
	s->n++;
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

int ipset_flush(struct ipset *s)
{
	int n = (int)s->n;

	if (s->n == 0)
		return 0;
	s->n = 0;
	if (mnl_socket_sendto(s->nl, s->buf, s->len) < 0) {
		s->len = 0;
		return -1;
	}
	s->len = 0;
	return n;
}

unsigned ipset_errors(struct ipset *s, int *last_errno)
{
	uint8_t buf[4096];
	unsigned errors = 0;

	for (int round = 0; round < 8; round++) {
		ssize_t n = recv(mnl_socket_get_fd(s->nl), buf, sizeof(buf), MSG_DONTWAIT);
		const struct nlmsghdr *nlh = (const void *)buf;
		int rest = (int)n;

		if (n <= 0)
			break;
		for (; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type == NLMSG_ERROR && e->error) {
				errors++;
				*last_errno = -e->error;
			}
		}
	}
	return errors;
}
