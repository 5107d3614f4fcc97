/* tx: raw IPv4/IPv6 sockets with the header included (IPPROTO_RAW), so we
 * can send from the protected server's address on a gateway.  SO_MARK lets
 * the raw-table rule notrack what we emit: conntrack would call our SYN+ACK
 * INVALID (it never saw the SYN). */
#include "tx.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

union tx_addr {
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

struct tx_batch {
	size_t n;
	struct mmsghdr msgs[TX_BATCH];
	struct iovec iov[TX_BATCH];
	union tx_addr addr[TX_BATCH];
	uint32_t tag[TX_BATCH];
	uint8_t frames[TX_BATCH][TX_FRAME_MAX];
};

struct tx {
	int fd4, fd6;
	struct tx_batch b4, b6;
	struct tx_batch *cur;	/* batch the last tx_frame() handed out from */
};

static int open_raw(int family, uint32_t mark)
{
	int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

struct tx *tx_open(uint32_t mark)
{
	struct tx *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->fd4 = open_raw(AF_INET, mark);
	if (t->fd4 < 0) {
		log_err("tx: cannot open raw IPv4 socket: %s (CAP_NET_RAW and CAP_NET_ADMIN needed)",
			strerror(errno));
		free(t);
		return NULL;
	}
	t->fd6 = open_raw(AF_INET6, mark);
	if (t->fd6 < 0)
		log_warn("tx: no raw IPv6 socket (%s): IPv6 SYNs cannot be challenged",
			 strerror(errno));
	return t;
}

int tx_set_mark(struct tx *t, uint32_t mark)
{
	int rc = setsockopt(t->fd4, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));

	if (t->fd6 >= 0 && setsockopt(t->fd6, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0)
		rc = -1;
	return rc;
}

void tx_close(struct tx *t)
{
	if (!t)
		return;
	close(t->fd4);
	if (t->fd6 >= 0)
		close(t->fd6);
	free(t);
}

uint8_t *tx_frame(struct tx *t)
{
	/* Both batches have room or we refuse: the caller flushes both. */
	if (t->b4.n == TX_BATCH || t->b6.n == TX_BATCH)
		return NULL;
	return t->b4.frames[t->b4.n];	/* written in place, moved if IPv6 */
}

void tx_commit(struct tx *t, int family, const uint8_t dst[16], size_t len, uint32_t tag)
{
	struct tx_batch *b = family == AF_INET6 ? &t->b6 : &t->b4;
	size_t i = b->n++;

	if (b == &t->b6)
		memcpy(b->frames[i], t->b4.frames[t->b4.n], len);
	memset(&b->addr[i], 0, sizeof(b->addr[i]));
	if (family == AF_INET6) {
		b->addr[i].v6.sin6_family = AF_INET6;
		memcpy(&b->addr[i].v6.sin6_addr, dst, 16);
	} else {
		b->addr[i].v4.sin_family = AF_INET;
		memcpy(&b->addr[i].v4.sin_addr, dst, 4);
	}
	b->iov[i].iov_base = b->frames[i];
	b->iov[i].iov_len = len;
	memset(&b->msgs[i], 0, sizeof(b->msgs[i]));
	b->msgs[i].msg_hdr.msg_name = &b->addr[i];
	b->msgs[i].msg_hdr.msg_namelen = family == AF_INET6 ? sizeof(struct sockaddr_in6)
							     : sizeof(struct sockaddr_in);
	b->msgs[i].msg_hdr.msg_iov = &b->iov[i];
	b->msgs[i].msg_hdr.msg_iovlen = 1;
	b->tag[i] = tag;
}

/* sendmmsg() stops at the first failing frame: report it and go on with
 * the rest, so one unroutable destination does not sink the batch. */
static size_t flush_batch(int fd, struct tx_batch *b, tx_fail_fn fail, void *arg)
{
	size_t sent = 0, i = 0;

	while (i < b->n) {
		int n = fd < 0 ? -1 : sendmmsg(fd, b->msgs + i, (unsigned)(b->n - i), 0);

		if (n > 0) {
			sent += (size_t)n;
			i += (size_t)n;
			continue;
		}
		if (fail)
			fail(arg, b->tag[i], fd < 0 ? EAFNOSUPPORT : errno);
		i++;
	}
	b->n = 0;
	return sent;
}

size_t tx_flush(struct tx *t, tx_fail_fn fail, void *arg)
{
	return flush_batch(t->fd4, &t->b4, fail, arg) + flush_batch(t->fd6, &t->b6, fail, arg);
}

int tx_send_now(struct tx *t, int family, const uint8_t dst[16], const uint8_t *pkt, size_t len)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	int fd = family == AF_INET6 ? t->fd6 : t->fd4;
	ssize_t n;

	if (fd < 0) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (family == AF_INET6) {
		memcpy(&a6.sin6_addr, dst, 16);
		n = sendto(fd, pkt, len, 0, (struct sockaddr *)&a6, sizeof(a6));
	} else {
		memcpy(&a4.sin_addr, dst, 4);
		n = sendto(fd, pkt, len, 0, (struct sockaddr *)&a4, sizeof(a4));
	}
	return n == (ssize_t)len ? 0 : -1;
}
