/* handover: the full SYN proxy's packets and conntrack entries (the I/O
 * that policy's PROXY_* actions ask for). */
#ifndef SYNGUARD_HANDOVER_H
#define SYNGUARD_HANDOVER_H

#include <stddef.h>
#include <stdint.h>

#include "pkt.h"
#include "policy.h"
#include "proxy.h"

struct synguard;

/* Carry out r->proxy_action for packet p (buf/len: the queued copy). */
void handover_act(struct synguard *sg, const struct pkt *p, const uint8_t *buf, size_t len,
		  struct policy_result *r);
/* The proxy table is allocated once, when the configuration first asks for
 * the proxy (at start or on a reload), and kept: 0, or -1 (logged). */
int handover_ensure_table(struct synguard *sg);
/* Reset the clients of attempts the server left unanswered. */
void handover_sweep(struct synguard *sg, uint64_t now_us, size_t max_buckets);

#endif
