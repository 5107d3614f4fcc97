/* halfopen: handshake tracking on top of table.  The key is a keyed 64-bit
 * fingerprint of the tuple (a v6 tuple does not fit TABLE_KEY_MAX, and a
 * spoofer who cannot compute it cannot aim collisions); the value packs
 * the SYN time, the state, ACK check bits and the service index. */
#include "halfopen.h"

#include <errno.h>
#include <string.h>

/* value: SYN time (40 bits of us: 12.7 days, far beyond any timeout), state
 * (2 bits), the low bits of the ACK the client must send (server ISN + 1,
 * once the SYN+ACK is seen), the service index (8 bits). */
#define HO_TIME_MASK ((UINT64_C(1) << 40) - 1)
#define HO_STATE_SHIFT 40
#define HO_CHECK_SHIFT 42
#define HO_CHECK_MASK 0x3fffu
#define HO_SVC_SHIFT 56
#define HO_HIST_MIN_US 10.0
/* Half a bucket: 6e6^(1/124), so 124 half steps span 10 us .. 60 s. */
#define HO_HIST_HALF_STEP 1.1341291422367183

static uint64_t ho_pack(uint64_t now_us, enum ho_state state, unsigned svc)
{
	return (now_us & HO_TIME_MASK) | (uint64_t)state << HO_STATE_SHIFT |
	       (uint64_t)svc << HO_SVC_SHIFT;
}

static enum ho_state ho_state_of(uint64_t v)
{
	return (enum ho_state)((v >> HO_STATE_SHIFT) & 0x3);
}

static unsigned ho_svc_of(uint64_t v)
{
	return (unsigned)(v >> HO_SVC_SHIFT);
}

static unsigned ho_check_of(uint64_t v)
{
	return (unsigned)(v >> HO_CHECK_SHIFT) & HO_CHECK_MASK;
}

/* Elapsed since the packed SYN time, modulo 2^40 us (about 12.7 days). */
static uint64_t ho_elapsed(uint64_t v, uint64_t now_us)
{
	return (now_us - v) & HO_TIME_MASK;
}

/* Only the bytes that belong to the family are hashed, so garbage in the
 * unused tail of a v4 address cannot split one connection in two. */
static uint64_t ho_key(const struct halfopen *h, const struct sg_tuple *t)
{
	uint8_t buf[SG_TUPLE_BYTES];

	return siphash24(&h->fp_key, buf, sg_tuple_put(buf, t));
}

/* A fingerprint key of its own, derived from the seed with labels, so the
 * fingerprint and the table's bucket hash are independent functions. */
static void ho_derive_key(struct halfopen *h, const struct siphash_key *seed)
{
	h->fp_key.k0 = siphash24(seed, "synguard halfopen fp0", 21);
	h->fp_key.k1 = siphash24(seed, "synguard halfopen fp1", 21);
	if (h->fp_key.k0 == 0 && h->fp_key.k1 == 0)
		h->fp_key.k0 = 1;	/* never seed 0, however unlikely */
}

/* Entries the table gives up on (expired, evicted) leave here, so the
 * per-service gauge never drifts from the table's contents. */
static void ho_on_drop(const void *key, uint64_t value, int why, void *arg)
{
	struct ho_svc *s = &((struct halfopen *)arg)->svc[ho_svc_of(value)];

	s->halfopen--;
	if (why == TABLE_DROP_EVICTED)
		s->evicted++;
	else
		s->expired++;
}

/* Edges at even half steps, reported values (geometric middles) at odd
 * ones; doubles only here, so recording a sample is integer-only. */
static void ho_hist_setup(struct halfopen *h)
{
	double x = HO_HIST_MIN_US;

	for (unsigned i = 0; i <= 2 * (HO_HIST_BUCKETS - 2); i++) {
		if (i % 2 == 0)
			h->hist_edge[i / 2] = (uint64_t)(x + 0.5);
		else
			h->hist_mid[i / 2 + 1] = (uint64_t)(x + 0.5);
		x *= HO_HIST_HALF_STEP;
	}
	h->hist_mid[0] = h->hist_edge[0];
	h->hist_mid[HO_HIST_BUCKETS - 1] = h->hist_edge[HO_HIST_BUCKETS - 2];
}

int halfopen_init(struct halfopen *h, size_t max_entries, unsigned nsvc, uint64_t timeout_us,
		  const struct siphash_key *seed)
{
	memset(h, 0, sizeof(*h));
	if (nsvc == 0 || nsvc > HALFOPEN_SVC_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (table_init(&h->t, max_entries, sizeof(uint64_t), seed) < 0)
		return -1;
	h->t.on_drop = ho_on_drop;
	h->t.drop_arg = h;
	h->nsvc = nsvc;
	halfopen_set_timeout(h, timeout_us);
	ho_derive_key(h, seed);
	ho_hist_setup(h);
	return 0;
}

void halfopen_free(struct halfopen *h)
{
	table_free(&h->t);
}

void halfopen_set_timeout(struct halfopen *h, uint64_t timeout_us)
{
	h->timeout_us = timeout_us ? timeout_us : 1;
}

/* Number of edges <= v, by binary search: 6 steps for 63 edges. */
static unsigned ho_hist_bucket(const struct halfopen *h, uint64_t v)
{
	unsigned lo = 0, hi = HO_HIST_BUCKETS - 1;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (h->hist_edge[mid] <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool halfopen_syn(struct halfopen *h, const struct sg_tuple *t, unsigned svc, uint64_t now_us)
{
	uint64_t key = ho_key(h, t);

	if (svc >= h->nsvc || table_lookup(&h->t, &key, now_us))
		return false;
	/* Expiry runs from the first SYN: retransmissions cannot keep an
	 * abandoned entry alive. */
	table_insert(&h->t, &key, ho_pack(now_us, HO_SYN_SENT, svc), now_us + h->timeout_us, now_us);
	h->svc[svc].halfopen++;
	h->svc[svc].syns++;
	return true;
}

bool halfopen_synack_seq(struct halfopen *h, const struct sg_tuple *t, uint64_t now_us,
			 uint32_t server_isn)
{
	uint64_t key = ho_key(h, t);
	uint64_t *v = table_lookup(&h->t, &key, now_us);

	if (!v)
		return false;
	if (ho_state_of(*v) == HO_SYN_SENT) {	/* a retransmitted SYN+ACK counts once */
		*v = ho_pack(*v, HO_SYN_RECEIVED, ho_svc_of(*v)) |
		     (uint64_t)((server_isn + 1) & HO_CHECK_MASK) << HO_CHECK_SHIFT;
		h->svc[ho_svc_of(*v)].synacks++;
	}
	return true;
}

static void ho_remove(struct halfopen *h, uint64_t key, unsigned svc)
{
	table_remove(&h->t, &key);
	h->svc[svc].halfopen--;
}

bool halfopen_ack_seq(struct halfopen *h, const struct sg_tuple *t, uint64_t now_us, uint32_t ack,
		      unsigned *svc, uint64_t *hs_us)
{
	uint64_t key = ho_key(h, t);
	uint64_t *v = table_lookup(&h->t, &key, now_us);
	uint64_t hs;
	unsigned s;

	if (!v || ho_state_of(*v) != HO_SYN_RECEIVED)
		return false;
	if ((ack & HO_CHECK_MASK) != ho_check_of(*v))
		return false;
	s = ho_svc_of(*v);
	hs = ho_elapsed(*v, now_us);
	ho_remove(h, key, s);
	h->svc[s].completed++;
	h->svc[s].hist_cur.n[ho_hist_bucket(h, hs)]++;
	if (svc)
		*svc = s;
	if (hs_us)
		*hs_us = hs;
	return true;
}

bool halfopen_rst(struct halfopen *h, const struct sg_tuple *t, uint64_t now_us)
{
	uint64_t key = ho_key(h, t);
	uint64_t *v = table_lookup(&h->t, &key, now_us);
	unsigned s;

	if (!v)
		return false;
	s = ho_svc_of(*v);
	ho_remove(h, key, s);
	h->svc[s].reset++;
	return true;
}

enum ho_state halfopen_state(struct halfopen *h, const struct sg_tuple *t, uint64_t now_us)
{
	uint64_t key = ho_key(h, t);
	uint64_t *v = table_lookup(&h->t, &key, now_us);

	return v ? ho_state_of(*v) : HO_NONE;
}

void halfopen_sweep(struct halfopen *h, uint64_t now_us, size_t max_buckets)
{
	table_sweep(&h->t, now_us, max_buckets);	/* counted by ho_on_drop */
}

void halfopen_rotate_window(struct halfopen *h)
{
	for (unsigned i = 0; i < h->nsvc; i++) {
		h->svc[i].hist_prev = h->svc[i].hist_cur;
		memset(&h->svc[i].hist_cur, 0, sizeof(h->svc[i].hist_cur));
	}
}

/* The 1-based rank of quantile q among total samples: ceil(q * total). */
static uint64_t ho_rank(double q, uint64_t total)
{
	double x = (q > 0 ? (q < 1 ? q : 1) : 0) * (double)total;
	uint64_t r = (uint64_t)x;

	if ((double)r < x)
		r++;
	return r ? r : 1;
}

uint64_t halfopen_quantile(const struct halfopen *h, unsigned svc, double q)
{
	const struct ho_svc *s;
	uint64_t total = 0, cum = 0, rank;

	if (svc >= h->nsvc)
		return 0;
	s = &h->svc[svc];
	for (unsigned b = 0; b < HO_HIST_BUCKETS; b++)
		total += s->hist_cur.n[b] + s->hist_prev.n[b];
	if (total == 0)
		return 0;
	rank = ho_rank(q, total);
	for (unsigned b = 0; b < HO_HIST_BUCKETS; b++) {
		cum += s->hist_cur.n[b] + s->hist_prev.n[b];
		if (cum >= rank)
			return h->hist_mid[b];
	}
	return h->hist_mid[HO_HIST_BUCKETS - 1];
}
