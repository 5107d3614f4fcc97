/* bucket: token buckets for per-source and per-prefix SYN rate limits.
 * A standalone bucket is two words; many buckets keyed by prefix live in a
 * bounded table (table.c) where a missing entry means a full bucket, so
 * memory is only spent on sources that are actually being limited.  Pure. */
#ifndef SYNGUARD_BUCKET_H
#define SYNGUARD_BUCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siphash.h"
#include "table.h"

#define BUCKET_KEYLEN 17	/* opaque key: the caller builds it (kind/family byte + masked address) */

/* Limits: burst is clamped to 1..BUCKET_BURST_MAX (0 counts as 1: a bucket
 * holds at least the token it spends); any rate up to UINT32_MAX is exact
 * (BUCKET_RATE_MAX is what the config should allow and what is tested).
 * Arithmetic is in milli-tokens (rate tokens/s = rate milli-tokens/ms), so
 * refill is exact to the millisecond and nothing can overflow. */
#define BUCKET_BURST_MAX 1000000U
#define BUCKET_RATE_MAX 10000000U

/* rate: tokens per second, 0 = unlimited (always allowed); burst: size. */
struct bucket_rate {
	uint32_t rate;
	uint32_t burst;
};

struct bucket {
	uint64_t tokens_mt;	/* milli-tokens */
	uint64_t last_ms;	/* time of the last refill */
};

/* The bucket starts full.  bucket_take refills by the elapsed time (capped at
 * burst) and takes one token if there is one: true = allowed.  A clock that
 * steps back (now < last) refills nothing and refill resumes only once the
 * clock has caught up again: out-of-order timestamps never mint tokens. */
void bucket_init(struct bucket *b, const struct bucket_rate *r, uint64_t now_ms);
bool bucket_take(struct bucket *b, const struct bucket_rate *r, uint64_t now_ms);

/* Many buckets keyed by prefix.  An entry packs {milli-tokens, low 32 bits
 * of the refill time} and expires when its bucket would be full again, so
 * expiry and reclaim lose nothing.  Entries live at most burst/rate seconds
 * (<= 11.6 days), which is what makes the 32-bit time unambiguous; a clock
 * stepping back by up to 24 days is still recognised as such.  When more
 * keys are limited at once than the table holds, table.c evicts the entry
 * closest to expiry -- the bucket nearest full, so the least is lost -- and
 * counts it in t.evictions: that key's bucket is full again, the price of
 * bounded memory under a spoofed flood. */
struct bucket_table {
	struct table t;
};

int bucket_table_init(struct bucket_table *bt, size_t max_entries, const struct siphash_key *seed);
void bucket_table_free(struct bucket_table *bt);
bool bucket_table_take(struct bucket_table *bt, const uint8_t key[BUCKET_KEYLEN],
		       const struct bucket_rate *r, uint64_t now_ms);
/* Whole tokens key's bucket holds now, without taking one (a missing entry
 * is full: burst; rate 0 gives UINT32_MAX). */
uint32_t bucket_table_tokens(struct bucket_table *bt, const uint8_t key[BUCKET_KEYLEN],
			     const struct bucket_rate *r, uint64_t now_ms);
/* Reclaim full buckets in at most max_buckets table buckets (table_sweep). */
size_t bucket_table_sweep(struct bucket_table *bt, uint64_t now_ms, size_t max_buckets);

#endif
