/* cookie: stateless SYN cookies.  The auth cookie is the acknowledgment
 * number of our deliberately wrong SYN+ACK; a real client echoes it as the
 * sequence number of its RST (RFC 9293 3.10.7.3).  The proxy cookie is the
 * sequence number of a valid SYN+ACK and carries the client's options.  Pure:
 * key material comes in from the caller (getrandom or a shared secret). */
#ifndef SYNGUARD_COOKIE_H
#define SYNGUARD_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siphash.h"
#include "tuple.h"

struct cookie_ctx {
	struct siphash_key master;
	uint64_t epoch;			/* current epoch number */
	struct siphash_key key_cur, key_prev;	/* key_prev: see cookie_set_epoch */
};

/* Cookie layout: bit 31 = parity of the epoch that issued it, bits 0..30 =
 * 31 MAC bits.  The parity picks the current or the previous epoch's key,
 * so nothing older than one rotation is ever accepted. */
#define COOKIE_MAC_BITS 31

enum cookie_result {
	COOKIE_INVALID = 0,
	COOKIE_VALID_CURRENT,
	COOKIE_VALID_PREVIOUS,
};

/* Derive the 128-bit master key from secret bytes (at least 16; a shared
 * secret file gives every gateway the same keys). Returns -1 if too short. */
int cookie_master_from_secret(struct siphash_key *out, const uint8_t *secret, size_t len);

void cookie_init(struct cookie_ctx *ctx, const struct siphash_key *master, uint64_t epoch);

/* Epoch number for a wall-clock time (shared between gateways, so it must be
 * wall time, not monotonic). */
uint64_t cookie_epoch_of(uint64_t unix_seconds, uint32_t period_seconds);

/* Move to 'epoch'; returns true if the keys changed.  key_prev is then
 * epoch - 1's, except one epoch back (the wall clock stepped back across a
 * boundary), where it is the epoch left (the same parity): its cookies in
 * flight stay valid.  Any other jump drops the keys of the cookies issued
 * before it. */
bool cookie_set_epoch(struct cookie_ctx *ctx, uint64_t epoch);

/* The cookie for this tuple in the current epoch; never equal to isn + 1
 * (that acknowledgment would be acceptable and complete the handshake). */
uint32_t cookie_make(const struct cookie_ctx *ctx, const struct sg_tuple *t, uint32_t isn);

enum cookie_result cookie_check(const struct cookie_ctx *ctx, const struct sg_tuple *t,
				uint32_t value);

/* Proxy cookies (full SYN proxy): the sequence number K of our VALID SYN+ACK
 * (ack = client ISN + 1).  The client's ACK (ack = K + 1) proves the
 * handshake and carries back the options we must repeat in the SYN we send
 * the server.  Same master, epochs and keys as the auth cookies; the MAC is
 * domain-separated, so neither kind ever validates as the other.
 * Layout: bits 8..31 = 24 MAC bits (high, so consecutive handshakes' sequence
 * numbers look random), bit 7 = epoch parity, bits 5..6 = MSS index, bit 4 =
 * SACK, bits 0..3 = window scale (0..14, 15 = none).  The MAC covers the
 * family, both addresses and ports, the client's ISN and bits 0..7. */
#define COOKIE_PROXY_MAC_BITS 24
#define COOKIE_NO_WSCALE 0xff

struct cookie_opts {
	uint16_t mss;		/* client's MSS (0: none given -> 536 for IPv4, 1220 for IPv6) */
	uint8_t wscale;		/* client's window scale 0..14, COOKIE_NO_WSCALE if none */
	bool sack;		/* client sent SACK-permitted */
};

/* The sequence number K of the proxy's SYN+ACK (a VALID SYN+ACK: ack = client ISN + 1):
 * MAC bits bind the 4-tuple, the client's ISN, the epoch and the encoded options, so the
 * client's ACK (ack = K + 1) proves the handshake and carries the options back. */
uint32_t cookie_proxy_make(const struct cookie_ctx *ctx, const struct sg_tuple *t,
			   uint32_t client_isn, const struct cookie_opts *client);

/* cookie = the client's ACK number - 1, client_isn = its sequence number - 1.  On success
 * *out holds the decoded options: mss = the largest table value <= the client's MSS (the
 * smallest table value if the client's is below it), wscale (clamped to 14) or
 * COOKIE_NO_WSCALE, sack.  On failure *out is left untouched. */
enum cookie_result cookie_proxy_check(const struct cookie_ctx *ctx, const struct sg_tuple *t,
				      uint32_t client_isn, uint32_t cookie, struct cookie_opts *out);

/* The MSS a cookie can carry for an MSS the client announced (the encoded value). */
uint16_t cookie_proxy_mss(int family, uint16_t client_mss);

#endif
