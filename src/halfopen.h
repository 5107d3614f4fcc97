/* halfopen: the handshake tracker.  Every SYN the daemon lets through is
 * followed until the client's ACK completes it, a RST resets it, or it
 * times out; a bounded table with counted eviction, and per-service
 * counters and handshake-time histograms.  Pure: no I/O, no clock. */
#ifndef SYNGUARD_HALFOPEN_H
#define SYNGUARD_HALFOPEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siphash.h"
#include "table.h"
#include "tuple.h"

#define HALFOPEN_SVC_MAX 65	/* services 0..63 from config + the catch-all */
#define HO_HIST_BUCKETS 64	/* log-scale histogram of handshake times */

/* Where a tracked handshake stands; HO_NONE: not tracked. */
enum ho_state { HO_NONE = 0, HO_SYN_SENT = 1, HO_SYN_RECEIVED = 2 };

/* Bucket 0: below 10 us; 1..62: geometric steps of 6e6^(1/62) (~28.6%)
 * from 10 us to 60 s; 63: 60 s and above. */
struct ho_hist {
	uint64_t n[HO_HIST_BUCKETS];
};

struct ho_svc {
	uint64_t halfopen;	/* current entries of this service (gauge) */
	uint64_t syns, synacks, completed, expired, reset, evicted;	/* cumulative */
	struct ho_hist hist_cur, hist_prev;	/* current and previous window */
};

/* The table's drop hook points back here: do not move after halfopen_init.
 * halfopen counts entries in the table, including expired ones not yet
 * reclaimed: run halfopen_sweep regularly. */
struct halfopen {
	struct table t;
	struct ho_svc svc[HALFOPEN_SVC_MAX];
	unsigned nsvc;
	uint64_t timeout_us;
	struct siphash_key fp_key;	/* tuple -> fingerprint, apart from t.seed */
	uint64_t hist_edge[HO_HIST_BUCKETS - 1];	/* lower edge of buckets 1..63 */
	uint64_t hist_mid[HO_HIST_BUCKETS];	/* value reported for each bucket */
};

/* nsvc in 1..HALFOPEN_SVC_MAX; seed must not be all zero; a zero timeout
 * is taken as 1 us.  Returns 0 or -1 (errno). */
int halfopen_init(struct halfopen *h, size_t max_entries, unsigned nsvc, uint64_t timeout_us,
		  const struct siphash_key *seed);
void halfopen_free(struct halfopen *h);
/* Live reload: applies to new entries. */
void halfopen_set_timeout(struct halfopen *h, uint64_t timeout_us);

/* SYN let through to service svc (< nsvc, else ignored).  A SYN for a
 * tuple already tracked (retransmission) does not count twice and keeps
 * the first SYN's time.  Returns true if a new entry was made. */
bool halfopen_syn(struct halfopen *h, const struct sg_tuple *t, unsigned svc, uint64_t now_us);
/* The server's SYN+ACK (ISN server_isn); the tuple is given from the
 * client's side (caller swaps).  The low bits of server_isn + 1 are kept:
 * the completing ACK must carry them, so a blind spoofer's ACK does not
 * complete the handshake (and verify its source) by luck.  Unknown tuple:
 * ignored, returns false. */
bool halfopen_synack_seq(struct halfopen *h, const struct sg_tuple *t, uint64_t now_us,
			 uint32_t server_isn);
/* The client's ACK (no SYN/RST) with acknowledgment number ack.  Completes
 * an entry in SYN_RECEIVED whose SYN+ACK it acknowledges: removes it,
 * records now - syn time in the service's hist_cur, counts completed,
 * returns true with *svc and *hs_us set.  In SYN_SENT (no SYN+ACK seen
 * yet), unknown, or acknowledging something else: false, no change. */
bool halfopen_ack_seq(struct halfopen *h, const struct sg_tuple *t, uint64_t now_us, uint32_t ack,
		      unsigned *svc, uint64_t *hs_us);
/* RST from either side (tuple from the client's side): entry removed,
 * counted as reset.  Returns true if it was tracked. */
bool halfopen_rst(struct halfopen *h, const struct sg_tuple *t, uint64_t now_us);
/* The state of a tuple (from the client's side); an expired entry is
 * reclaimed (counted as expired) and reads HO_NONE. */
enum ho_state halfopen_state(struct halfopen *h, const struct sg_tuple *t, uint64_t now_us);
/* Reclaim expired entries in at most max_buckets buckets (counted as
 * expired per service). */
void halfopen_sweep(struct halfopen *h, uint64_t now_us, size_t max_buckets);

/* Start a new histogram window: prev = cur, cur = 0. */
void halfopen_rotate_window(struct halfopen *h);
/* Handshake-time quantile (q in 0..1) over hist_prev + hist_cur of service
 * svc, in microseconds: the geometric middle of the bucket (within ~15% of
 * any sample in it), clamped to 10 us .. 60 s.  0 if no samples. */
uint64_t halfopen_quantile(const struct halfopen *h, unsigned svc, double q);

#endif
