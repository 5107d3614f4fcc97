/* hh: heavy hitters -- the top sources by SYN count in bounded memory, by
 * Space-Saving (Metwally et al.): k counters; a new key takes over the
 * smallest and inherits its count as error.  Any key whose true count is
 * above total/k is guaranteed to be monitored.  hh_add is O(log k): a seeded
 * open-addressing index finds the key, a min-heap finds the smallest
 * counter (at most 10 swaps for k = 1024, whatever the traffic).  Pure. */
#ifndef SYNGUARD_HH_H
#define SYNGUARD_HH_H

#include <stddef.h>
#include <stdint.h>

#include "siphash.h"

#define HH_KEYLEN 17
#define HH_K_MAX 1024

/* count overestimates the true count by at most error. */
struct hh_entry {
	uint8_t key[HH_KEYLEN];
	uint64_t count;
	uint64_t error;
};

struct hh_node;

struct hh {
	struct hh_node *heap;	/* min-heap on count: heap[0] is the smallest */
	uint16_t *index;	/* heap position + 1 by key hash; 0 = empty */
	size_t k, used, mask;
	uint64_t total;
	struct siphash_key seed;
};

/* k monitored keys, 1..HH_K_MAX; seed must not be all zero (it keeps spoofed
 * sources from aiming at one index chain).  Allocates once; 0 or -1 (errno). */
int hh_init(struct hh *h, size_t k, const struct siphash_key *seed);
void hh_free(struct hh *h);
void hh_add(struct hh *h, const uint8_t key[HH_KEYLEN], uint64_t n);
/* Forget everything: start a new window. */
void hh_reset(struct hh *h);
/* Copy the up to max largest into out, by count descending (ties: smaller
 * error, then key bytes, so the listing is deterministic).  O(k log max). */
size_t hh_top(const struct hh *h, struct hh_entry *out, size_t max);
/* Sum of n added since the last reset. */
uint64_t hh_total(const struct hh *h);

#endif
