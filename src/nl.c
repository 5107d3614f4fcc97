/* nl: bounded netlink batches and safe reading of error codes. */
#include "nl.h"

#include <errno.h>
#include <string.h>

#define NL_ERRNO_MAX 4095	/* the kernel's MAX_ERRNO */

void nl_batch_init(struct nl_batch *b, void *buf, size_t cap, nl_send_fn send, void *arg)
{
	memset(b, 0, sizeof(*b));
	b->buf = buf;
	b->cap = cap;
	b->send = send;
	b->arg = arg;
}

int nl_batch_flush(struct nl_batch *b)
{
	int rc;

	if (b->msgs == 0)
		return 0;
	rc = b->send(b->arg, b->buf, b->len, b->msgs);
	/* Sent or failed, the messages are gone: the caller's send counted it. */
	b->len = 0;
	b->msgs = 0;
	return rc;
}

void *nl_batch_reserve(struct nl_batch *b, size_t max, size_t *room)
{
	if (max > b->cap) {
		errno = EMSGSIZE;
		return NULL;
	}
	if (b->cap - b->len < max)
		(void)nl_batch_flush(b);	/* a failure is the send's to count */
	*room = b->cap - b->len;
	return b->buf + b->len;
}

int nl_batch_commit(struct nl_batch *b, const struct nlmsghdr *nlh, size_t room)
{
	size_t len = NLMSG_ALIGN(nlh->nlmsg_len);

	if ((const uint8_t *)nlh != b->buf + b->len || nlh->nlmsg_len < NLMSG_HDRLEN ||
	    len > room || len > b->cap - b->len) {
		b->dropped++;
		return -1;
	}
	b->len += len;
	b->msgs++;
	return 0;
}

static int code_errno(int32_t code)
{
	if (code == 0)
		return 0;
	if (code > 0 || code < -NL_ERRNO_MAX)
		return EPROTO;
	return -code;
}

int nl_error_errno(const struct nlmsghdr *nlh)
{
	int32_t code;

	/* The code is the first field of struct nlmsgerr. */
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(code))
		return EBADMSG;
	memcpy(&code, (const uint8_t *)nlh + NLMSG_HDRLEN, sizeof(code));
	return code_errno(code);
}

int nl_done_errno(const struct nlmsghdr *nlh)
{
	int32_t code;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(code))
		return 0;
	memcpy(&code, (const uint8_t *)nlh + NLMSG_HDRLEN, sizeof(code));
	return code_errno(code);
}

/* --- message building ------------------------------------------------------ */

bool nl_msg_start(struct nl_msg *m, void *buf, size_t size, const struct nl_head *h)
{
	const size_t hdr = NLMSG_HDRLEN + NLMSG_ALIGN(4);	/* + struct nfgenmsg */
	uint8_t *p = buf;

	if (size < hdr)
		return false;
	memset(p, 0, hdr);
	m->nlh = buf;
	m->nlh->nlmsg_len = (uint32_t)hdr;
	m->nlh->nlmsg_type = h->type;
	m->nlh->nlmsg_flags = h->flags;
	m->nlh->nlmsg_seq = h->seq;
	p[NLMSG_HDRLEN] = h->family;
	p[NLMSG_HDRLEN + 1] = 0;	/* NFNETLINK_V0 */
	p[NLMSG_HDRLEN + 2] = (uint8_t)(h->res_id >> 8);
	p[NLMSG_HDRLEN + 3] = (uint8_t)h->res_id;
	m->size = size;
	m->full = false;
	return true;
}

/* Room for an attribute of len payload bytes, or NULL (and full). */
static struct nlattr *attr_room(struct nl_msg *m, size_t len)
{
	size_t at = NLMSG_ALIGN(m->nlh->nlmsg_len), need = NLA_ALIGN(NLA_HDRLEN + len);

	if (m->full || len > UINT16_MAX - NLA_HDRLEN || at > m->size || m->size - at < need) {
		m->full = true;
		return NULL;
	}
	return (struct nlattr *)(void *)((uint8_t *)m->nlh + at);
}

void nl_put(struct nl_msg *m, uint16_t type, size_t len, const void *data)
{
	struct nlattr *a = attr_room(m, len);
	size_t total;

	if (!a)
		return;
	total = NLA_ALIGN(NLA_HDRLEN + len);
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	if (len)
		memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
	memset((uint8_t *)a + NLA_HDRLEN + len, 0, total - NLA_HDRLEN - len);
	m->nlh->nlmsg_len = (uint32_t)(NLMSG_ALIGN(m->nlh->nlmsg_len) + total);
}

void nl_put_u8(struct nl_msg *m, uint16_t type, uint8_t v)
{
	nl_put(m, type, sizeof(v), &v);
}

void nl_put_be16(struct nl_msg *m, uint16_t type, uint16_t v)
{
	uint8_t be[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	nl_put(m, type, sizeof(be), be);
}

void nl_put_be32(struct nl_msg *m, uint16_t type, uint32_t v)
{
	uint8_t be[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	nl_put(m, type, sizeof(be), be);
}

void nl_put_strz(struct nl_msg *m, uint16_t type, const char *s)
{
	nl_put(m, type, strlen(s) + 1, s);
}

struct nlattr *nl_nest_start(struct nl_msg *m, uint16_t type)
{
	struct nlattr *a = attr_room(m, 0);

	if (!a)
		return NULL;
	a->nla_type = type | NLA_F_NESTED;
	a->nla_len = NLA_HDRLEN;
	m->nlh->nlmsg_len = (uint32_t)(NLMSG_ALIGN(m->nlh->nlmsg_len) + NLA_HDRLEN);
	return a;
}

void nl_nest_end(struct nl_msg *m, struct nlattr *nest)
{
	size_t len;

	if (m->full || !nest)
		return;
	len = (size_t)((uint8_t *)m->nlh + m->nlh->nlmsg_len - (uint8_t *)nest);
	if (len > UINT16_MAX)
		m->full = true;	/* a nest's length is 16 bits */
	else
		nest->nla_len = (uint16_t)len;
}

size_t nl_msg_len(const struct nl_msg *m)
{
	return m->full ? 0 : m->nlh->nlmsg_len;
}
