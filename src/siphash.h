/* siphash: SipHash-2-4 (Aumasson & Bernstein), the keyed MAC behind the
 * cookies and the seeded hash of the tables.  Pure. */
#ifndef SYNGUARD_SIPHASH_H
#define SYNGUARD_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct siphash_key {
	uint64_t k0, k1;
};

/* Load a key from 16 bytes in the reference byte order (little endian). */
struct siphash_key siphash_key_from_bytes(const uint8_t b[16]);
uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len);

#endif
