/* cookie: keyed-MAC SYN cookies with two-epoch acceptance.  Per-epoch keys
 * are derived from one master key, so rotation needs no state shared
 * between gateways beyond the master (the secret file) and the clock. */
#include "cookie.h"

#include <string.h>
#include <sys/socket.h>

#define COOKIE_MAC_MASK 0x7fffffffU

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static struct siphash_key epoch_key(const struct siphash_key *master, uint64_t epoch)
{
	uint8_t msg[16] = "sg-epoch";
	struct siphash_key k;

	put_le64(msg + 8, epoch);
	k.k0 = siphash24(master, msg, sizeof(msg));
	msg[0] = 'S';	/* second, independent half of the key */
	k.k1 = siphash24(master, msg, sizeof(msg));
	return k;
}

int cookie_master_from_secret(struct siphash_key *out, const uint8_t *secret, size_t len)
{
	struct siphash_key k;

	if (len < 16)
		return -1;
	/* The first 16 bytes key a MAC over the whole secret, so every byte of
	 * a longer secret matters and the halves are independent. */
	k = siphash_key_from_bytes(secret);
	out->k0 = siphash24(&k, secret, len);
	k.k0 ^= 0x5347;	/* domain separation for the second half */
	out->k1 = siphash24(&k, secret, len);
	return 0;
}

void cookie_init(struct cookie_ctx *ctx, const struct siphash_key *master, uint64_t epoch)
{
	ctx->master = *master;
	ctx->epoch = epoch;
	ctx->key_cur = epoch_key(master, epoch);
	ctx->key_prev = epoch_key(master, epoch - 1);
}

uint64_t cookie_epoch_of(uint64_t unix_seconds, uint32_t period_seconds)
{
	return unix_seconds / (period_seconds ? period_seconds : 1);
}

bool cookie_set_epoch(struct cookie_ctx *ctx, uint64_t epoch)
{
	if (epoch == ctx->epoch)
		return false;
	if (epoch == ctx->epoch + 1)
		ctx->key_prev = ctx->key_cur;
	else
		ctx->key_prev = epoch_key(&ctx->master, epoch - 1);
	ctx->key_cur = epoch_key(&ctx->master, epoch);
	ctx->epoch = epoch;
	return true;
}

static uint64_t tuple_mac(const struct siphash_key *key, const struct cookie_tuple *t)
{
	uint8_t msg[40];
	size_t alen = t->family == AF_INET6 ? 16 : 4;
	size_t n = 0;

	msg[n++] = (uint8_t)alen;
	memcpy(msg + n, t->client, alen);
	n += alen;
	memcpy(msg + n, t->server, alen);
	n += alen;
	msg[n++] = (uint8_t)(t->client_port >> 8);
	msg[n++] = (uint8_t)t->client_port;
	msg[n++] = (uint8_t)(t->server_port >> 8);
	msg[n++] = (uint8_t)t->server_port;
	return siphash24(key, msg, n);
}

/* Two candidate cookies per tuple and epoch: the primary, and an alternate
 * from the other half of the MAC used only when the primary equals ISN+1.
 * The check does not know the ISN (the RST does not carry it), so it
 * accepts either: 30 bits of forgery resistance instead of 31. */
static void candidates(uint64_t mac, uint64_t epoch, uint32_t out[2])
{
	uint32_t parity = (uint32_t)(epoch & 1) << 31;

	out[0] = ((uint32_t)mac & COOKIE_MAC_MASK) | parity;
	out[1] = ((uint32_t)(mac >> 32) & COOKIE_MAC_MASK) | parity;
}

uint32_t cookie_make(const struct cookie_ctx *ctx, const struct cookie_tuple *t, uint32_t isn)
{
	uint32_t c[2];

	candidates(tuple_mac(&ctx->key_cur, t), ctx->epoch, c);
	if (c[0] != isn + 1)
		return c[0];
	if (c[1] != isn + 1)
		return c[1];
	/* Both halves equal (p = 2^-62): any other value is safe; it will not
	 * validate and the client falls back to the retransmission path. */
	return c[0] ^ 1;
}

enum cookie_result cookie_check(const struct cookie_ctx *ctx, const struct cookie_tuple *t,
				uint32_t value)
{
	bool current = (value >> 31) == (uint32_t)(ctx->epoch & 1);
	uint64_t epoch = current ? ctx->epoch : ctx->epoch - 1;
	uint32_t c[2];

	candidates(tuple_mac(current ? &ctx->key_cur : &ctx->key_prev, t), epoch, c);
	if (value != c[0] && value != c[1])
		return COOKIE_INVALID;
	return current ? COOKIE_VALID_CURRENT : COOKIE_VALID_PREVIOUS;
}
