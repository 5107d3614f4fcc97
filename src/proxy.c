/* proxy: fixed-memory table of in-flight proxied handshakes.  Set
 * associative like table.c, but entries are structs with a slice of the
 * early-data pool each: everything is allocated once at init. */
#include "proxy.h"
#include "prefault.h"

#include <stdlib.h>
#include <string.h>

static uint64_t fingerprint(const struct proxy_table *t, const struct sg_tuple *tuple)
{
	uint8_t msg[40];
	size_t alen = sg_tuple_alen(tuple), n = 0;
	uint64_t h;

	memcpy(msg + n, tuple->client, alen);
	n += alen;
	memcpy(msg + n, tuple->server, alen);
	n += alen;
	memcpy(msg + n, &tuple->client_port, 2);
	memcpy(msg + n + 2, &tuple->server_port, 2);
	n += 4;
	h = siphash24(&t->seed, msg, n);
	return h ? h : 1;	/* 0 marks a free slot */
}

static struct proxy_conn *bucket_of(const struct proxy_table *t, uint64_t key)
{
	size_t b = (size_t)(((unsigned __int128)key * t->nbuckets) >> 64);

	return &t->slots[b * PROXY_WAYS];
}

int proxy_init(struct proxy_table *t, size_t max_entries, size_t early_cap,
	       const struct siphash_key *seed)
{
	size_t n;

	memset(t, 0, sizeof(*t));
	t->nbuckets = max_entries / PROXY_WAYS ? max_entries / PROXY_WAYS : 1;
	t->early_cap = early_cap;
	t->seed = *seed;
	n = t->nbuckets * PROXY_WAYS;
	t->slots = calloc(n, sizeof(*t->slots));
	t->pool = early_cap ? calloc(n, early_cap) : NULL;
	if (!t->slots || (early_cap && !t->pool)) {
		proxy_free(t);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		t->slots[i].early = t->pool ? t->pool + i * early_cap : NULL;
	if (t->pool)
		prefault(t->pool, n * early_cap);
	return 0;
}

void proxy_free(struct proxy_table *t)
{
	free(t->slots);
	free(t->pool);
	t->slots = NULL;
	t->pool = NULL;
}

size_t proxy_capacity(const struct proxy_table *t)
{
	return t->nbuckets * PROXY_WAYS;
}

struct proxy_conn *proxy_find(struct proxy_table *t, const struct sg_tuple *tuple,
			      uint64_t now_us)
{
	uint64_t key = fingerprint(t, tuple);
	struct proxy_conn *b = bucket_of(t, key);

	for (int w = 0; w < PROXY_WAYS; w++)
		if (b[w].key == key && now_us < b[w].expires_us &&
		    sg_tuple_equal(&b[w].tuple, tuple))
			return &b[w];
	return NULL;
}

static void clear(struct proxy_table *t, struct proxy_conn *c)
{
	uint8_t *early = c->early;

	memset(c, 0, sizeof(*c));
	c->early = early;
	t->count--;
}

struct proxy_conn *proxy_add(struct proxy_table *t, const struct sg_tuple *tuple,
			     uint64_t expires_us, struct proxy_conn *evicted)
{
	uint64_t key = fingerprint(t, tuple);
	struct proxy_conn *b = bucket_of(t, key), *slot = NULL;

	evicted->key = 0;
	/* The same connection again (an expired attempt not yet swept): reuse
	 * its slot, or the sweep would later reset the new attempt's client. */
	for (int w = 0; w < PROXY_WAYS && !slot; w++)
		if (b[w].key == key && sg_tuple_equal(&b[w].tuple, tuple)) {
			slot = &b[w];
			clear(t, slot);
		}
	for (int w = 0; w < PROXY_WAYS && !slot; w++)
		if (b[w].key == 0)
			slot = &b[w];
	if (!slot) {
		/* The oldest attempt goes: it is the likeliest to fail anyway. */
		slot = &b[0];
		for (int w = 1; w < PROXY_WAYS; w++)
			if (b[w].expires_us < slot->expires_us)
				slot = &b[w];
		*evicted = *slot;
		evicted->early_len = 0;	/* its data goes with the slot */
		clear(t, slot);
		t->evictions++;
	}
	slot->key = key;
	slot->expires_us = expires_us;
	slot->tuple = *tuple;
	t->count++;
	return slot;
}

void proxy_remove(struct proxy_table *t, struct proxy_conn *c)
{
	if (c->key)
		clear(t, c);
}

bool proxy_hold(struct proxy_table *t, struct proxy_conn *c, const uint8_t *pkt, size_t len)
{
	if (len > 0xffff || c->early_len + 2 + len > t->early_cap)
		return false;
	c->early[c->early_len] = (uint8_t)(len >> 8);
	c->early[c->early_len + 1] = (uint8_t)len;
	memcpy(c->early + c->early_len + 2, pkt, len);
	c->early_len += 2 + (uint32_t)len;
	return true;
}

const uint8_t *proxy_held_next(const struct proxy_conn *c, uint32_t *pos, size_t *len)
{
	if (*pos + 2 > c->early_len)
		return NULL;
	*len = (size_t)c->early[*pos] << 8 | c->early[*pos + 1];
	*pos += 2 + (uint32_t)*len;
	return c->early + *pos - *len;
}

size_t proxy_sweep(struct proxy_table *t, uint64_t now_us, size_t max_buckets,
		   proxy_expired_fn fn, void *arg)
{
	size_t n = 0;

	for (size_t i = 0; i < max_buckets && i < t->nbuckets; i++) {
		struct proxy_conn *b = &t->slots[t->sweep_pos * PROXY_WAYS];

		t->sweep_pos = (t->sweep_pos + 1) % t->nbuckets;
		for (int w = 0; w < PROXY_WAYS; w++) {
			if (b[w].key == 0 || now_us < b[w].expires_us)
				continue;
			if (fn)
				fn(&b[w], arg);
			clear(t, &b[w]);
			t->expirations++;
			n++;
		}
	}
	return n;
}
