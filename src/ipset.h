/* ipset: the kernel fast path for verified sources.  synguardd adds every
 * verified source prefix (with its TTL) to a kernel hash:net set; the raw
 * PREROUTING rule lets SYNs from members bypass the queue entirely, so
 * verified clients never wait behind a flood in the queue.  ctnetlink-style
 * libmnl code, kept out of the pure modules. */
#ifndef SYNGUARD_IPSET_H
#define SYNGUARD_IPSET_H

#include <stddef.h>
#include <stdint.h>

#define IPSET_NAME4 "synguard-v4"
#define IPSET_NAME6 "synguard-v6"

struct ipset;

/* Create both sets if missing (hash:net, timeout support, maxelem), or
 * destroy them.  Blocking; return 0 or a negative errno. */
int ipset_create_sets(uint32_t maxelem, uint32_t timeout_s);
int ipset_destroy_sets(void);

/* A non-blocking session for adds from the loop. */
struct ipset *ipset_open(void);
/* Sends len bytes holding msgs messages: 0, or -1 with errno. */
typedef int (*ipset_send_fn)(void *arg, const void *buf, size_t len, unsigned msgs);
/* A session whose batches go to send instead of the kernel (tests). */
struct ipset *ipset_open_sink(ipset_send_fn send, void *arg);
void ipset_close(struct ipset *s);
/* Buffer one add (prefix addr/cidr for timeout_s seconds).  Any number may
 * be buffered: a full batch is sent before the next message is built. */
void ipset_add(struct ipset *s, int family, const uint8_t addr[16], uint8_t cidr,
	       uint32_t timeout_s);
/* Buffer one delete of prefix addr/cidr. */
void ipset_del(struct ipset *s, int family, const uint8_t addr[16], uint8_t cidr);
/* Messages handed to the kernel and lost to a failed send (with the last
 * failure's errno) since the previous ipset_flush. */
struct ipset_tally {
	uint64_t sent, failed;
	int last_errno;
};
/* Send what is buffered and report (then reset) the tally. */
void ipset_flush(struct ipset *s, struct ipset_tally *t);
/* Read error replies (bounded); returns how many messages the kernel
 * refused, *last_errno the last refusal's errno. */
unsigned ipset_errors(struct ipset *s, int *last_errno);
/* The refusals among len received bytes (every length checked). */
unsigned ipset_parse_errors(const void *buf, size_t len, int *last_errno);
/* What a refusal's code means: ipset's own codes (>= 4096, no errno) in
 * words, an errno as strerror() has it. */
const char *ipset_strerror(int err);

#endif
