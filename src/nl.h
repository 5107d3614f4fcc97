/* nl: what the kernel I/O modules (nfq, ct, ipset) share about netlink
 * messages, without a socket: a batch of messages built back to back in one
 * fixed buffer, and the error code of a reply read safely.  Pure: the unit
 * tests and fuzzers link it directly. */
#ifndef SYNGUARD_NL_H
#define SYNGUARD_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>

/* An nfnetlink message under construction in size bytes: the first
 * attribute that does not fit makes it full, every later put is skipped,
 * and nl_msg_len() then answers 0.  Nothing is written past size. */
struct nl_msg {
	struct nlmsghdr *nlh;
	size_t size;
	bool full;
};

/* What a message's netlink and nfnetlink headers say. */
struct nl_head {
	uint16_t type, flags;
	uint32_t seq;
	uint8_t family;
	uint16_t res_id;	/* host order (sent in network order) */
};
/* The netlink and nfnetlink headers (version 0); false if size cannot
 * hold them. */
bool nl_msg_start(struct nl_msg *m, void *buf, size_t size, const struct nl_head *h);
void nl_put(struct nl_msg *m, uint16_t type, size_t len, const void *data);
void nl_put_u8(struct nl_msg *m, uint16_t type, uint8_t v);
void nl_put_be16(struct nl_msg *m, uint16_t type, uint16_t v);
void nl_put_be32(struct nl_msg *m, uint16_t type, uint32_t v);
void nl_put_strz(struct nl_msg *m, uint16_t type, const char *s);
/* A nest (flagged NLA_F_NESTED, as the kernel's own messages are). */
struct nlattr *nl_nest_start(struct nl_msg *m, uint16_t type);
void nl_nest_end(struct nl_msg *m, struct nlattr *nest);
/* The message's length, or 0 if something did not fit. */
size_t nl_msg_len(const struct nl_msg *m);

/* Sends len bytes holding msgs whole messages; 0, or -1 with errno. */
typedef int (*nl_send_fn)(void *arg, const void *buf, size_t len, unsigned msgs);

/* Messages are reserved before they are built: a batch that cannot hold
 * the next message's largest size is sent first, so nothing is ever written
 * past the buffer, whatever the number or mix of messages. */
struct nl_batch {
	uint8_t *buf;		/* NLMSG_ALIGNTO-aligned, cap bytes */
	size_t cap, len;
	unsigned msgs;
	nl_send_fn send;
	void *arg;
	uint64_t dropped;	/* messages that did not fit the room reserved for them */
};

void nl_batch_init(struct nl_batch *b, void *buf, size_t cap, nl_send_fn send, void *arg);
/* Room for one message of at most max bytes at the batch's end, sending the
 * batch first when it lacks that room.  Returns the start of the room and
 * sets *room to the bytes usable there (>= max), or NULL (errno EMSGSIZE)
 * if max exceeds the whole buffer. */
void *nl_batch_reserve(struct nl_batch *b, size_t max, size_t *room);
/* Append the message just built at the reserved room.  -1 (and counted in
 * dropped) if it claims more than the room had: it is not sent. */
int nl_batch_commit(struct nl_batch *b, const struct nlmsghdr *nlh, size_t room);
/* Send what is queued (nothing to send is success): 0, or -1 with errno. */
int nl_batch_flush(struct nl_batch *b);

/* The errno of an NLMSG_ERROR message whose nlmsg_len has been checked
 * against the bytes received: 0 for an acknowledgment, a positive errno,
 * EBADMSG when the payload is too short for the code, EPROTO when the code
 * is no errno (positive, or below -4095; INT_MIN is never negated). */
int nl_error_errno(const struct nlmsghdr *nlh);
/* The same for a dump's NLMSG_DONE, whose code is optional: 0 without one. */
int nl_done_errno(const struct nlmsghdr *nlh);

/* Whether a whole message starts at nlh among len bytes received: walk a
 * receive buffer with it and mnl_nlmsg_next().  Not mnl_nlmsg_ok(), which
 * compares the length field cast to int: a length above INT_MAX passes it,
 * and the next step then leaves the buffer (found by tests/fuzz). */
static inline bool nl_msg_ok(const struct nlmsghdr *nlh, int len)
{
	return len >= (int)sizeof(struct nlmsghdr) && nlh->nlmsg_len >= sizeof(struct nlmsghdr) &&
	       nlh->nlmsg_len <= (unsigned)len;
}

#endif
