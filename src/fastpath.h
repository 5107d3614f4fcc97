/* fastpath: verified sources in the kernel.  Each verified source prefix
 * (verified_prefix4/6) goes into the kernel set with its TTL; the raw
 * PREROUTING rule then lets that prefix's SYNs past the SYN queue, so a
 * verified client never waits behind a flood.  Updates are buffered and
 * sent once per receive batch (fastpath_flush). */
#ifndef SYNGUARD_FASTPATH_H
#define SYNGUARD_FASTPATH_H

#include <stdint.h>

struct conf;
struct ipset;
struct stats;

struct fastpath {
	struct ipset *set;		/* NULL: no kernel fast path */
	const struct conf *conf;	/* prefix lengths and TTL, read at each call */
	struct stats *stats;		/* ipset_adds, ipset_errors */
};

/* Create the kernel sets if missing and open a session; without them
 * (no ipset support, no permission) verified SYNs keep using the queue. */
void fastpath_open(struct fastpath *fp, const struct conf *c, struct stats *st);
void fastpath_close(struct fastpath *fp);
/* Source addr (16 bytes, v4 in the first 4) is verified for ttl_ms more. */
void fastpath_verified(struct fastpath *fp, int family, const uint8_t *addr, uint64_t ttl_ms);
/* Source addr is no longer verified. */
void fastpath_forget(struct fastpath *fp, int family, const uint8_t *addr);
/* Send the buffered updates; count what the kernel took and refused. */
void fastpath_flush(struct fastpath *fp);

#endif
