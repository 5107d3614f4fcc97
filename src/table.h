/* table: a bounded, seeded, set-associative hash table with per-entry
 * expiry.  All memory is allocated once at init; inserts into a full
 * bucket evict the entry closest to expiry and count it.  Every operation
 * touches one bucket of TABLE_WAYS slots: O(1) under any flood. */
#ifndef SYNGUARD_TABLE_H
#define SYNGUARD_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "siphash.h"

#define TABLE_WAYS 8
#define TABLE_KEY_MAX 32

/* Why on_drop was called. */
enum { TABLE_DROP_EXPIRED, TABLE_DROP_EVICTED };

struct table {
	uint8_t *slots;
	size_t nbuckets;
	size_t keylen, slotsize;
	struct siphash_key seed;
	size_t count;		/* occupied slots (expired ones until reclaimed) */
	size_t sweep_pos;
	uint64_t inserts, evictions, expirations;
	/* Optional, set after table_init: called with the entry's key and value
	 * just before an entry is reclaimed as expired (by lookup, insert or
	 * sweep) or evicted, so owners can keep exact per-entry accounting.
	 * Not called by table_remove.  It must not call back into the table. */
	void (*on_drop)(const void *key, uint64_t value, int why, void *arg);
	void *drop_arg;
};

/* Capacity is the largest multiple of TABLE_WAYS <= max_entries (at least
 * one bucket).  seed must not be all zero.  Returns 0 or -1 (errno). */
int table_init(struct table *t, size_t max_entries, size_t keylen, const struct siphash_key *seed);
void table_free(struct table *t);
size_t table_capacity(const struct table *t);
size_t table_bytes(const struct table *t);

/* Entries are live while now < expires; expires must be non-zero. */
uint64_t *table_lookup(struct table *t, const void *key, uint64_t now);
uint64_t *table_insert(struct table *t, const void *key, uint64_t value, uint64_t expires,
		       uint64_t now);
int table_remove(struct table *t, const void *key);

/* Reclaim expired entries in at most max_buckets buckets, continuing where
 * the last call stopped.  Returns the number reclaimed. */
size_t table_sweep(struct table *t, uint64_t now, size_t max_buckets);

/* Visit every live entry (for saving state and listing). */
typedef void (*table_visit_fn)(const void *key, uint64_t value, uint64_t expires, void *arg);
void table_foreach(const struct table *t, uint64_t now, table_visit_fn fn, void *arg);

#endif
