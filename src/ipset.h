/* ipset: the kernel fast path for verified sources.  synguardd adds every
 * verified source prefix (with its TTL) to a kernel hash:net set; the raw
 * PREROUTING rule lets SYNs from members bypass the queue entirely, so
 * verified clients never wait behind a flood in the queue.  ctnetlink-style
 * libmnl code, kept out of the pure modules. */
#ifndef SYNGUARD_IPSET_H
#define SYNGUARD_IPSET_H

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
void ipset_close(struct ipset *s);
/* Buffer one add (prefix addr/cidr for timeout_s seconds); sent by flush. */
void ipset_add(struct ipset *s, int family, const uint8_t addr[16], uint8_t cidr,
	       uint32_t timeout_s);
/* Buffer one delete of prefix addr/cidr. */
void ipset_del(struct ipset *s, int family, const uint8_t addr[16], uint8_t cidr);
/* Send what is buffered; returns the number of adds sent, or -1. */
int ipset_flush(struct ipset *s);
/* Read error replies (bounded); returns how many adds the kernel refused. */
unsigned ipset_errors(struct ipset *s, int *last_errno);

#endif
