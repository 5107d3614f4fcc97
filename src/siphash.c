/* siphash: SipHash-2-4 written from the paper's description (2 compression
 * rounds per 8-byte word, 4 finalization rounds, 64-bit output).  Checked
 * against the paper's reference vectors in tests/unit/check_cookie.c. */
#include "siphash.h"

#include <string.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

struct sipstate {
	uint64_t v0, v1, v2, v3;
};

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void sipround(struct sipstate *s)
{
	s->v0 += s->v1; s->v1 = ROTL(s->v1, 13); s->v1 ^= s->v0; s->v0 = ROTL(s->v0, 32);
	s->v2 += s->v3; s->v3 = ROTL(s->v3, 16); s->v3 ^= s->v2;
	s->v0 += s->v3; s->v3 = ROTL(s->v3, 21); s->v3 ^= s->v0;
	s->v2 += s->v1; s->v1 = ROTL(s->v1, 17); s->v1 ^= s->v2; s->v2 = ROTL(s->v2, 32);
}

static void sip_absorb(struct sipstate *s, uint64_t m)
{
	s->v3 ^= m;
	sipround(s);
	sipround(s);
	s->v0 ^= m;
}

struct siphash_key siphash_key_from_bytes(const uint8_t b[16])
{
	struct siphash_key k = { load_le64(b), load_le64(b + 8) };

	return k;
}

uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len)
{
	const uint8_t *p = data;
	struct sipstate s = {
		key->k0 ^ 0x736f6d6570736575ULL, key->k1 ^ 0x646f72616e646f6dULL,
		key->k0 ^ 0x6c7967656e657261ULL, key->k1 ^ 0x7465646279746573ULL,
	};
	size_t full = len & ~(size_t)7;
	uint8_t last[8] = { 0 };

	for (size_t i = 0; i < full; i += 8)
		sip_absorb(&s, load_le64(p + i));
	/* The last word carries the remaining bytes and the length mod 256. */
	memcpy(last, p + full, len - full);
	last[7] = (uint8_t)len;
	sip_absorb(&s, load_le64(last));
	s.v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		sipround(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}
