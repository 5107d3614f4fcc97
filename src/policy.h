/* policy: the pure decision for one queued packet.  Given the parse result,
 * the mode and the tables it says ACCEPT or DROP and whether to send a
 * cookie SYN+ACK; the caller does the I/O.  Counters are updated here so
 * that what is counted is exactly what was decided. */
#ifndef SYNGUARD_POLICY_H
#define SYNGUARD_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "cookie.h"
#include "pkt.h"
#include "stats.h"
#include "table.h"

#define POLICY_SRCKEY_LEN 17	/* family byte + 16 address bytes, masked */
#define POLICY_RETRANS_KEYLEN 8	/* keyed fingerprint of 4-tuple + ISN */

struct policy_ctx {
	const struct conf *conf;
	const struct cookie_ctx *cookies;
	struct table *verified;		/* source prefix -> (unused), expiry */
	struct table *retrans;		/* SYN fingerprint -> first seen (ms) */
	struct stats *stats;
	struct siphash_key fp_key;	/* keys fingerprints and SYN+ACK seqs */
};

enum policy_verdict { POLICY_ACCEPT, POLICY_DROP };

struct policy_result {
	enum policy_verdict verdict;
	bool challenge;			/* send a cookie SYN+ACK */
	bool verified;			/* a valid cookie verified the source */
	uint32_t synack_seq, synack_ack;
};

void policy_decide(struct policy_ctx *pc, enum pkt_status st, const struct pkt *p,
		   uint64_t now_ms, struct policy_result *r);

/* Build the verified-table key of a source address under the configured
 * prefix lengths. */
void policy_source_key(const struct conf *c, int family, const uint8_t addr[16],
		       uint8_t key[POLICY_SRCKEY_LEN]);

/* Mark a source verified until now + verified_ttl. */
void policy_verify_source(struct policy_ctx *pc, int family, const uint8_t addr[16],
			  uint64_t now_ms);

#endif
