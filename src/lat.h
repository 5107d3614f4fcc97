/* lat: a latency histogram with ~3 % resolution (32 buckets per power of
 * two, microseconds, up to ~9 h), over two windows (the current and the
 * one before), for quantiles of what the daemon's verdicts cost: the time
 * from the kernel's receipt of a queued packet (the queue's own timestamp)
 * to the daemon's verdict for it.  Pure, fixed size. */
#ifndef SYNGUARD_LAT_H
#define SYNGUARD_LAT_H

#include <stdint.h>

#define LAT_SUB_BITS 5
#define LAT_SUB (1u << LAT_SUB_BITS)	/* buckets per power of two */
#define LAT_BUCKETS (LAT_SUB * 32)	/* up to 2^35 us */

struct lat_hist {
	uint32_t cur[LAT_BUCKETS], prev[LAT_BUCKETS];
	uint64_t ncur, nprev;
};

/* The bucket of us, and the largest value the bucket holds. */
unsigned lat_bucket(uint64_t us);
uint64_t lat_bucket_max(unsigned b);
void lat_record(struct lat_hist *h, uint64_t us);
/* Start a new window: prev = cur, cur = 0. */
void lat_rotate(struct lat_hist *h);
/* The q-quantile (0 < q <= 1) over both windows, as its bucket's largest
 * value (at most ~3 % above the true one); 0 when there is no sample. */
uint64_t lat_quantile(const struct lat_hist *h, double q);
/* Samples in both windows. */
uint64_t lat_count(const struct lat_hist *h);

#endif
