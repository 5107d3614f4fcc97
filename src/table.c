/* table: fixed-memory expiring hash table (chrony's clientlog is the model:
 * bounded, seeded, counted evictions).  A slot is {expires, value, key};
 * expires == 0 marks it empty. */
#include "table.h"
#include "prefault.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct slot_hdr {
	uint64_t expires;
	uint64_t value;
};

static struct slot_hdr *slot_at(const struct table *t, size_t bucket, size_t way)
{
	return (struct slot_hdr *)(void *)(t->slots + (bucket * TABLE_WAYS + way) * t->slotsize);
}

static uint8_t *slot_key(struct slot_hdr *s)
{
	return (uint8_t *)(s + 1);
}

int table_init(struct table *t, size_t max_entries, size_t keylen, const struct siphash_key *seed)
{
	memset(t, 0, sizeof(*t));
	if (keylen == 0 || keylen > TABLE_KEY_MAX || (seed->k0 == 0 && seed->k1 == 0)) {
		errno = EINVAL;
		return -1;
	}
	t->nbuckets = max_entries / TABLE_WAYS ? max_entries / TABLE_WAYS : 1;
	t->keylen = keylen;
	t->slotsize = sizeof(struct slot_hdr) + ((keylen + 7) & ~(size_t)7);
	t->seed = *seed;
	t->slots = calloc(t->nbuckets * TABLE_WAYS, t->slotsize);
	if (!t->slots)
		return -1;
	prefault(t->slots, t->nbuckets * TABLE_WAYS * t->slotsize);
	return 0;
}

void table_free(struct table *t)
{
	free(t->slots);
	t->slots = NULL;
	t->count = 0;
}

size_t table_capacity(const struct table *t)
{
	return t->nbuckets * TABLE_WAYS;
}

size_t table_bytes(const struct table *t)
{
	return table_capacity(t) * t->slotsize;
}

/* Map the 64-bit hash onto [0, nbuckets) without a modulo (Lemire). */
static size_t bucket_of(const struct table *t, const void *key)
{
	uint64_t h = siphash24(&t->seed, key, t->keylen);

	return (size_t)(((unsigned __int128)h * t->nbuckets) >> 64);
}

static void slot_clear(struct table *t, struct slot_hdr *s)
{
	s->expires = 0;
	t->count--;
}

/* Reclaim a slot the table itself gives up on: tell the owner first, while
 * the key and value are still intact. */
static void slot_drop(struct table *t, struct slot_hdr *s, int why)
{
	if (t->on_drop)
		t->on_drop(slot_key(s), s->value, why, t->drop_arg);
	slot_clear(t, s);
	if (why == TABLE_DROP_EVICTED)
		t->evictions++;
	else
		t->expirations++;
}

/* Find key in its bucket; expired matches are reclaimed and not returned. */
static struct slot_hdr *find(struct table *t, size_t b, const void *key, uint64_t now)
{
	for (size_t w = 0; w < TABLE_WAYS; w++) {
		struct slot_hdr *s = slot_at(t, b, w);

		if (s->expires == 0 || memcmp(slot_key(s), key, t->keylen) != 0)
			continue;
		if (now < s->expires)
			return s;
		slot_drop(t, s, TABLE_DROP_EXPIRED);
		return NULL;
	}
	return NULL;
}

uint64_t *table_lookup(struct table *t, const void *key, uint64_t now)
{
	struct slot_hdr *s = find(t, bucket_of(t, key), key, now);

	return s ? &s->value : NULL;
}

/* A free or expired slot if the bucket has one, else the victim that would
 * expire first: under a flood the oldest trust goes, never a random one. */
static struct slot_hdr *pick_slot(struct table *t, size_t b, uint64_t now)
{
	struct slot_hdr *victim = slot_at(t, b, 0);

	for (size_t w = 0; w < TABLE_WAYS; w++) {
		struct slot_hdr *s = slot_at(t, b, w);

		if (s->expires == 0)
			return s;
		if (now >= s->expires) {
			slot_drop(t, s, TABLE_DROP_EXPIRED);
			return s;
		}
		if (s->expires < victim->expires)
			victim = s;
	}
	slot_drop(t, victim, TABLE_DROP_EVICTED);
	return victim;
}

uint64_t *table_insert(struct table *t, const void *key, uint64_t value, uint64_t expires,
		       uint64_t now)
{
	size_t b = bucket_of(t, key);
	struct slot_hdr *s = find(t, b, key, now);

	if (!s) {
		s = pick_slot(t, b, now);
		memset(slot_key(s), 0, t->slotsize - sizeof(*s));
		memcpy(slot_key(s), key, t->keylen);
		t->count++;
		t->inserts++;
	}
	s->expires = expires ? expires : 1;
	s->value = value;
	return &s->value;
}

int table_remove(struct table *t, const void *key)
{
	size_t b = bucket_of(t, key);

	for (size_t w = 0; w < TABLE_WAYS; w++) {
		struct slot_hdr *s = slot_at(t, b, w);

		if (s->expires != 0 && memcmp(slot_key(s), key, t->keylen) == 0) {
			slot_clear(t, s);
			return 0;
		}
	}
	return -1;
}

size_t table_sweep(struct table *t, uint64_t now, size_t max_buckets)
{
	size_t reclaimed = 0;

	for (size_t i = 0; i < max_buckets && i < t->nbuckets; i++) {
		size_t b = t->sweep_pos;

		t->sweep_pos = (t->sweep_pos + 1) % t->nbuckets;
		for (size_t w = 0; w < TABLE_WAYS; w++) {
			struct slot_hdr *s = slot_at(t, b, w);

			if (s->expires != 0 && now >= s->expires) {
				slot_drop(t, s, TABLE_DROP_EXPIRED);
				reclaimed++;
			}
		}
	}
	return reclaimed;
}

void table_foreach(const struct table *t, uint64_t now, table_visit_fn fn, void *arg)
{
	for (size_t b = 0; b < t->nbuckets; b++) {
		for (size_t w = 0; w < TABLE_WAYS; w++) {
			struct slot_hdr *s = slot_at(t, b, w);

			if (s->expires != 0 && now < s->expires)
				fn(slot_key(s), s->value, s->expires, arg);
		}
	}
}
