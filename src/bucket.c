/* bucket: token buckets in milli-tokens.  One refill routine serves the
 * standalone bucket and the table, which packs a bucket into the table's
 * 64-bit value and sets the entry to expire when the bucket is full. */
#include "bucket.h"

#define BUCKET_MT 1000U		/* milli-tokens per token */

static uint64_t bucket_cap_mt(const struct bucket_rate *r)
{
	uint64_t burst = r->burst ? r->burst : 1;

	if (burst > BUCKET_BURST_MAX)
		burst = BUCKET_BURST_MAX;
	return burst * BUCKET_MT;
}

/* rate tokens/s is rate milli-tokens/ms.  Comparing elapsed with room/rate
 * before multiplying keeps any elapsed time from overflowing. */
static void bucket_refill(struct bucket *b, const struct bucket_rate *r, uint64_t now_ms)
{
	uint64_t cap = bucket_cap_mt(r), room, elapsed;

	if (b->tokens_mt > cap)		/* burst lowered by a reload */
		b->tokens_mt = cap;
	if (now_ms <= b->last_ms)	/* no time passed, or the clock stepped back */
		return;
	elapsed = now_ms - b->last_ms;
	room = cap - b->tokens_mt;
	if (elapsed > room / r->rate)
		b->tokens_mt = cap;
	else
		b->tokens_mt += elapsed * r->rate;
	b->last_ms = now_ms;
}

static bool bucket_spend(struct bucket *b)
{
	if (b->tokens_mt < BUCKET_MT)
		return false;
	b->tokens_mt -= BUCKET_MT;
	return true;
}

void bucket_init(struct bucket *b, const struct bucket_rate *r, uint64_t now_ms)
{
	b->tokens_mt = bucket_cap_mt(r);
	b->last_ms = now_ms;
}

bool bucket_take(struct bucket *b, const struct bucket_rate *r, uint64_t now_ms)
{
	if (r->rate == 0)
		return true;
	bucket_refill(b, r, now_ms);
	return bucket_spend(b);
}

int bucket_table_init(struct bucket_table *bt, size_t max_entries, const struct siphash_key *seed)
{
	return table_init(&bt->t, max_entries, BUCKET_KEYLEN, seed);
}

void bucket_table_free(struct bucket_table *bt)
{
	table_free(&bt->t);
}

static uint64_t bucket_pack(const struct bucket *b)
{
	return b->tokens_mt << 32 | (uint32_t)b->last_ms;
}

/* Recover the full refill time from its low 32 bits: a live entry is less
 * than 2^31 ms old (see bucket.h), so a "difference" of 2^31 or more means
 * the stored time is ahead of now, i.e. the clock stepped back. */
static struct bucket bucket_unpack(uint64_t v, uint64_t now_ms)
{
	struct bucket b = { v >> 32, now_ms };
	uint32_t ago = (uint32_t)now_ms - (uint32_t)v;

	if (ago < UINT32_C(0x80000000))
		b.last_ms = now_ms - (ago < now_ms ? ago : now_ms);
	else
		b.last_ms = now_ms + (UINT64_C(0x100000000) - ago);
	return b;
}

/* When the bucket will be full again: the entry can then go, losing nothing.
 * After a take at least one token is missing, so this is > now. */
static uint64_t bucket_full_at(const struct bucket *b, const struct bucket_rate *r)
{
	uint64_t missing = bucket_cap_mt(r) - b->tokens_mt;

	return b->last_ms + (missing + r->rate - 1) / r->rate;
}

/* The key's bucket as of now: stored, or full if there is none. */
static struct bucket bucket_load(struct bucket_table *bt, const uint8_t key[BUCKET_KEYLEN],
				 const struct bucket_rate *r, uint64_t now_ms)
{
	uint64_t *v = table_lookup(&bt->t, key, now_ms);
	struct bucket b;

	if (v)
		b = bucket_unpack(*v, now_ms);
	else
		bucket_init(&b, r, now_ms);
	bucket_refill(&b, r, now_ms);
	return b;
}

bool bucket_table_take(struct bucket_table *bt, const uint8_t key[BUCKET_KEYLEN],
		       const struct bucket_rate *r, uint64_t now_ms)
{
	struct bucket b;

	if (r->rate == 0)
		return true;
	b = bucket_load(bt, key, r, now_ms);
	/* A refused take changes nothing worth storing: refill is additive
	 * and cannot have hit the cap, so the stored state stays exact. */
	if (!bucket_spend(&b))
		return false;
	table_insert(&bt->t, key, bucket_pack(&b), bucket_full_at(&b, r), now_ms);
	return true;
}

uint32_t bucket_table_tokens(struct bucket_table *bt, const uint8_t key[BUCKET_KEYLEN],
			     const struct bucket_rate *r, uint64_t now_ms)
{
	struct bucket b;

	if (r->rate == 0)
		return UINT32_MAX;
	b = bucket_load(bt, key, r, now_ms);
	return (uint32_t)(b.tokens_mt / BUCKET_MT);
}

size_t bucket_table_sweep(struct bucket_table *bt, uint64_t now_ms, size_t max_buckets)
{
	return table_sweep(&bt->t, now_ms, max_buckets);
}
