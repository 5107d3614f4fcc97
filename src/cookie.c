/* cookie: keyed-MAC SYN cookies with two-epoch acceptance, for the auth
 * challenge and for the full SYN proxy.  Per-epoch keys are derived from one
 * master key, so rotation needs no state shared between gateways beyond the
 * master (the secret file) and the clock. */
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
	/* One period on: the current keys become the previous.  One period
	 * back (the wall clock stepped back across a boundary): they do too,
	 * so the cookies issued just before the step stay valid; the slot of
	 * their parity would otherwise hold epoch - 2's keys, which issued
	 * nothing for a period already. */
	if (epoch == ctx->epoch + 1 || epoch + 1 == ctx->epoch)
		ctx->key_prev = ctx->key_cur;
	else
		ctx->key_prev = epoch_key(&ctx->master, epoch - 1);
	ctx->key_cur = epoch_key(&ctx->master, epoch);
	ctx->epoch = epoch;
	return true;
}

/* The auth MAC: over the tuple alone. */
static uint64_t tuple_mac(const struct siphash_key *key, const struct sg_tuple *t)
{
	uint8_t msg[SG_TUPLE_BYTES];

	return siphash24(key, msg, sg_tuple_put(msg, t));
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

uint32_t cookie_make(const struct cookie_ctx *ctx, const struct sg_tuple *t, uint32_t isn)
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

enum cookie_result cookie_check(const struct cookie_ctx *ctx, const struct sg_tuple *t,
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

/* Proxy cookies.  Layout (see cookie.h): MAC in bits 8..31, then parity,
 * MSS index, SACK and window scale in the low byte. */
#define PROXY_OPT_MASK 0xffU
#define PROXY_PARITY_BIT 0x80U
#define PROXY_MSS_SHIFT 5
#define PROXY_SACK_BIT 0x10U
#define PROXY_WSCALE_MASK 0x0fU
#define PROXY_WSCALE_NONE 15U
#define PROXY_WSCALE_MAX 14U	/* RFC 7323 2.3: larger shifts are used as 14 */

/* The kernel's syncookie tables.  Index 0 is the MSS every host must accept
 * (576-byte IPv4 datagrams, the 1280-byte IPv6 minimum MTU), so rounding a
 * smaller or missing MSS up to it is safe; the others are common paths
 * (tunnels, PPPoE, Ethernet, 9000-byte jumbo frames for IPv6). */
static const uint16_t proxy_mss4[4] = { 536, 1300, 1440, 1460 };
static const uint16_t proxy_mss6[4] = { 1220, 1420, 1440, 8940 };

/* A tag at the start of the MAC input that no auth MAC input has (those
 * begin with the address length 4 or 16): the two cookie kinds come from
 * separate MAC domains under the same epoch key. */
static const uint8_t proxy_tag[8] = { 's', 'g', '-', 'p', 'r', 'o', 'x', 'y' };

static const uint16_t *proxy_mss_table(int family)
{
	return family == AF_INET6 ? proxy_mss6 : proxy_mss4;
}

static uint32_t proxy_mss_index(int family, uint16_t client_mss)
{
	const uint16_t *tab = proxy_mss_table(family);
	uint32_t i = 3;

	while (i > 0 && client_mss < tab[i])
		i--;
	return i;
}

uint16_t cookie_proxy_mss(int family, uint16_t client_mss)
{
	return proxy_mss_table(family)[proxy_mss_index(family, client_mss)];
}

static uint32_t proxy_encode_wscale(uint8_t wscale)
{
	if (wscale == COOKIE_NO_WSCALE)
		return PROXY_WSCALE_NONE;
	return wscale > PROXY_WSCALE_MAX ? PROXY_WSCALE_MAX : wscale;
}

/* The low byte of the cookie for these options, issued in 'epoch'. */
static uint32_t proxy_encode_opts(int family, const struct cookie_opts *o, uint64_t epoch)
{
	return (epoch & 1 ? PROXY_PARITY_BIT : 0) |
	       proxy_mss_index(family, o->mss) << PROXY_MSS_SHIFT |
	       (o->sack ? PROXY_SACK_BIT : 0) | proxy_encode_wscale(o->wscale);
}

static void proxy_decode_opts(int family, uint32_t bits, struct cookie_opts *o)
{
	uint32_t ws = bits & PROXY_WSCALE_MASK;

	o->mss = proxy_mss_table(family)[(bits >> PROXY_MSS_SHIFT) & 3];
	o->wscale = ws == PROXY_WSCALE_NONE ? COOKIE_NO_WSCALE : (uint8_t)ws;
	o->sack = (bits & PROXY_SACK_BIT) != 0;
}

/* The 24 MAC bits over tag, tuple, client ISN and the option byte.  The ISN
 * makes every handshake's cookie different even for a reused 4-tuple. */
static uint32_t proxy_mac(const struct siphash_key *key, const struct sg_tuple *t,
			  uint32_t client_isn, uint32_t opts)
{
	uint8_t msg[sizeof(proxy_tag) + SG_TUPLE_BYTES + 4 + 1];
	size_t n = sizeof(proxy_tag);

	memcpy(msg, proxy_tag, n);
	n += sg_tuple_put(msg + n, t);
	for (int i = 3; i >= 0; i--)
		msg[n++] = (uint8_t)(client_isn >> (8 * i));
	msg[n++] = (uint8_t)opts;
	return (uint32_t)(siphash24(key, msg, n) >> (64 - COOKIE_PROXY_MAC_BITS));
}

uint32_t cookie_proxy_make(const struct cookie_ctx *ctx, const struct sg_tuple *t,
			   uint32_t client_isn, const struct cookie_opts *client)
{
	uint32_t opts = proxy_encode_opts(t->family, client, ctx->epoch);

	return proxy_mac(&ctx->key_cur, t, client_isn, opts) << 8 | opts;
}

enum cookie_result cookie_proxy_check(const struct cookie_ctx *ctx, const struct sg_tuple *t,
				      uint32_t client_isn, uint32_t cookie, struct cookie_opts *out)
{
	uint32_t opts = cookie & PROXY_OPT_MASK;
	/* The parity picks the key: current or previous epoch, never older. */
	bool current = !!(opts & PROXY_PARITY_BIT) == (bool)(ctx->epoch & 1);

	if (cookie >> 8 != proxy_mac(current ? &ctx->key_cur : &ctx->key_prev, t, client_isn, opts))
		return COOKIE_INVALID;
	proxy_decode_opts(t->family, opts, out);
	return current ? COOKIE_VALID_CURRENT : COOKIE_VALID_PREVIOUS;
}
