/* cookie: stateless SYN-authentication cookies.  The cookie is the
 * acknowledgment number of our deliberately wrong SYN+ACK; a real client
 * echoes it as the sequence number of its RST (RFC 9293 3.10.7.3).  Pure:
 * key material comes in from the caller (getrandom or a shared secret). */
#ifndef SYNGUARD_COOKIE_H
#define SYNGUARD_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siphash.h"

/* The connection as the client sees it: client = source of the SYN. */
struct cookie_tuple {
	int family;			/* AF_INET or AF_INET6 */
	uint8_t client[16], server[16];	/* IPv4 uses the first 4 bytes */
	uint16_t client_port, server_port;
};

struct cookie_ctx {
	struct siphash_key master;
	uint64_t epoch;			/* current epoch number */
	struct siphash_key key_cur, key_prev;
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

/* Move to 'epoch'; returns true if the keys changed. */
bool cookie_set_epoch(struct cookie_ctx *ctx, uint64_t epoch);

/* The cookie for this tuple in the current epoch; never equal to isn + 1
 * (that acknowledgment would be acceptable and complete the handshake). */
uint32_t cookie_make(const struct cookie_ctx *ctx, const struct cookie_tuple *t, uint32_t isn);

enum cookie_result cookie_check(const struct cookie_ctx *ctx, const struct cookie_tuple *t,
				uint32_t value);

#endif
