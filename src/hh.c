/* hh: Space-Saving over a min-heap of k nodes and a linear-probing index
 * at least twice as large (load <= 1/2: short chains, and every probe ends
 * at an empty slot).  Removal shifts the chain back instead of leaving
 * tombstones, so hours of spoofed churn cannot slowly degrade the index. */
#include "hh.h"
#include "prefault.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct hh_node {
	struct hh_entry e;
	uint32_t home;		/* index slot the key hashes to */
	uint32_t slot;		/* index slot it sits in */
};

/* a ranks below b: smaller count, then larger error, then larger key. */
static bool entry_below(const struct hh_entry *a, const struct hh_entry *b)
{
	if (a->count != b->count)
		return a->count < b->count;
	if (a->error != b->error)
		return a->error > b->error;
	return memcmp(a->key, b->key, HH_KEYLEN) > 0;
}

/* --- the monitored set: a min-heap whose moves keep the index in step --- */

static void hh_swap(struct hh *h, size_t i, size_t j)
{
	struct hh_node tmp = h->heap[i];

	h->heap[i] = h->heap[j];
	h->heap[j] = tmp;
	h->index[h->heap[i].slot] = (uint16_t)(i + 1);
	h->index[h->heap[j].slot] = (uint16_t)(j + 1);
}

static void hh_sift_up(struct hh *h, size_t i)
{
	while (i > 0 && entry_below(&h->heap[i].e, &h->heap[(i - 1) / 2].e)) {
		hh_swap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void hh_sift_down(struct hh *h, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1, m = i;

		if (c < h->used && entry_below(&h->heap[c].e, &h->heap[m].e))
			m = c;
		if (c + 1 < h->used && entry_below(&h->heap[c + 1].e, &h->heap[m].e))
			m = c + 1;
		if (m == i)
			return;
		hh_swap(h, i, m);
		i = m;
	}
}

/* --- the index: key -> heap position --- */

static size_t hh_home(const struct hh *h, const uint8_t *key)
{
	return (size_t)siphash24(&h->seed, key, HH_KEYLEN) & h->mask;
}

/* The slot holding key, or the empty slot that ends its chain. */
static size_t hh_probe(const struct hh *h, const uint8_t *key, size_t i)
{
	while (h->index[i] && memcmp(h->heap[h->index[i] - 1].e.key, key, HH_KEYLEN) != 0)
		i = (i + 1) & h->mask;
	return i;
}

/* Backward-shift deletion: an entry further along the chain moves into the
 * hole unless its home lies cyclically after the hole. */
static void hh_unindex(struct hh *h, size_t hole)
{
	size_t j = hole;

	h->index[hole] = 0;
	for (;;) {
		struct hh_node *nd;

		j = (j + 1) & h->mask;
		if (!h->index[j])
			return;
		nd = &h->heap[h->index[j] - 1];
		if (((j - nd->home) & h->mask) >= ((j - hole) & h->mask)) {
			h->index[hole] = h->index[j];
			h->index[j] = 0;
			nd->slot = (uint32_t)hole;
			hole = j;
		}
	}
}

static void hh_place(struct hh *h, size_t pos, const uint8_t *key, uint64_t count,
		     uint64_t error, size_t home)
{
	struct hh_node *nd = &h->heap[pos];
	size_t slot = hh_probe(h, key, home);

	memcpy(nd->e.key, key, HH_KEYLEN);
	nd->e.count = count;
	nd->e.error = error;
	nd->home = (uint32_t)home;
	nd->slot = (uint32_t)slot;
	h->index[slot] = (uint16_t)(pos + 1);
}

int hh_init(struct hh *h, size_t k, const struct siphash_key *seed)
{
	size_t size = 2;

	memset(h, 0, sizeof(*h));
	if (k == 0 || k > HH_K_MAX || (seed->k0 == 0 && seed->k1 == 0)) {
		errno = EINVAL;
		return -1;
	}
	while (size < 2 * k)
		size *= 2;
	h->heap = calloc(k, sizeof(*h->heap));
	h->index = calloc(size, sizeof(*h->index));
	if (!h->heap || !h->index) {
		hh_free(h);
		return -1;
	}
	prefault(h->index, size * sizeof(*h->index));
	h->k = k;
	h->mask = size - 1;
	h->seed = *seed;
	return 0;
}

void hh_free(struct hh *h)
{
	free(h->heap);
	free(h->index);
	h->heap = NULL;
	h->index = NULL;
	h->used = 0;
}

/* A new key takes over the smallest counter and inherits its count as the
 * error: it may have been seen that often while unmonitored. */
static void hh_replace_min(struct hh *h, const uint8_t *key, uint64_t n, size_t home)
{
	uint64_t min = h->heap[0].e.count;

	hh_unindex(h, h->heap[0].slot);
	hh_place(h, 0, key, min + n, min, home);
	hh_sift_down(h, 0);
}

void hh_add(struct hh *h, const uint8_t key[HH_KEYLEN], uint64_t n)
{
	size_t home, slot;

	if (n == 0)
		return;
	h->total += n;
	home = hh_home(h, key);
	slot = hh_probe(h, key, home);
	if (h->index[slot]) {
		size_t pos = h->index[slot] - 1u;

		h->heap[pos].e.count += n;
		hh_sift_down(h, pos);
	} else if (h->used < h->k) {
		hh_place(h, h->used++, key, n, 0, home);
		hh_sift_up(h, h->used - 1);
	} else {
		hh_replace_min(h, key, n, home);
	}
}

void hh_reset(struct hh *h)
{
	memset(h->index, 0, (h->mask + 1) * sizeof(*h->index));
	h->used = 0;
	h->total = 0;
}

uint64_t hh_total(const struct hh *h)
{
	return h->total;
}

/* --- listing: a bounded min-heap of the best max, then heapsort --- */

static void top_swap(struct hh_entry *o, size_t i, size_t j)
{
	struct hh_entry tmp = o[i];

	o[i] = o[j];
	o[j] = tmp;
}

static void top_sift_down(struct hh_entry *o, size_t n, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1, m = i;

		if (c < n && entry_below(&o[c], &o[m]))
			m = c;
		if (c + 1 < n && entry_below(&o[c + 1], &o[m]))
			m = c + 1;
		if (m == i)
			return;
		top_swap(o, i, m);
		i = m;
	}
}

static void top_sift_up(struct hh_entry *o, size_t i)
{
	while (i > 0 && entry_below(&o[i], &o[(i - 1) / 2])) {
		top_swap(o, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

size_t hh_top(const struct hh *h, struct hh_entry *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < h->used && max > 0; i++) {
		const struct hh_entry *e = &h->heap[i].e;

		if (n < max) {
			out[n] = *e;
			top_sift_up(out, n++);
		} else if (entry_below(&out[0], e)) {
			out[0] = *e;
			top_sift_down(out, n, 0);
		}
	}
	/* Moving the smallest to the end each round leaves out descending. */
	for (size_t m = n; m > 1; m--) {
		top_swap(out, 0, m - 1);
		top_sift_down(out, m - 1, 0);
	}
	return n;
}
