/* policy: SYN authentication decisions.  Unverified SYN -> cookie SYN+ACK
 * and DROP; RST echoing a valid cookie -> source verified, DROP; SYN from a
 * verified source or a timely retransmission of a challenged SYN -> ACCEPT.
 * Monitor mode runs the same bookkeeping but accepts everything. */
#include "policy.h"

#include <string.h>
#include <sys/socket.h>

static void mask_prefix(uint8_t *a, unsigned len_bytes, unsigned prefix)
{
	for (unsigned i = 0; i < len_bytes; i++) {
		unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;

		if (bits < 8)
			a[i] &= (uint8_t)(0xff00 >> bits);
	}
}

void policy_source_key(const struct conf *c, int family, const uint8_t addr[16],
		       uint8_t key[POLICY_SRCKEY_LEN])
{
	bool v6 = family == AF_INET6;

	memset(key, 0, POLICY_SRCKEY_LEN);
	key[0] = v6 ? 6 : 4;
	memcpy(key + 1, addr, v6 ? 16 : 4);
	mask_prefix(key + 1, v6 ? 16 : 4, v6 ? c->verified_prefix6 : c->verified_prefix4);
}

void policy_verify_source(struct policy_ctx *pc, int family, const uint8_t addr[16],
			  uint64_t now_ms)
{
	uint8_t key[POLICY_SRCKEY_LEN];
	uint64_t evicted = pc->verified->evictions;

	policy_source_key(pc->conf, family, addr, key);
	table_insert(pc->verified, key, 0, now_ms + pc->conf->verified_ttl_ms, now_ms);
	pc->stats->verified_evictions += pc->verified->evictions - evicted;
}

static bool source_verified(struct policy_ctx *pc, const struct pkt *p, uint64_t now_ms)
{
	uint8_t key[POLICY_SRCKEY_LEN];

	policy_source_key(pc->conf, p->family, p->src, key);
	return table_lookup(pc->verified, key, now_ms) != NULL;
}

static void tuple_of(const struct pkt *p, struct cookie_tuple *t)
{
	t->family = p->family;
	memcpy(t->client, p->src, 16);
	memcpy(t->server, p->dst, 16);
	t->client_port = p->sport;
	t->server_port = p->dport;
}

/* A keyed 64-bit fingerprint of the SYN (4-tuple + ISN): small table slots,
 * and a spoofer cannot aim collisions at a victim's entry. */
static uint64_t syn_fingerprint(const struct policy_ctx *pc, const struct pkt *p, uint64_t salt)
{
	uint8_t msg[48];
	size_t alen = p->family == AF_INET6 ? 16 : 4, n = 0;

	memcpy(msg + n, p->src, alen);
	n += alen;
	memcpy(msg + n, p->dst, alen);
	n += alen;
	memcpy(msg + n, &p->sport, 2);
	memcpy(msg + n + 2, &p->dport, 2);
	memcpy(msg + n + 4, &p->seq, 4);
	n += 8;
	return siphash24(&pc->fp_key, msg, n) ^ salt;
}

/* The fallback for clients whose firewall drops our wrong SYN+ACK: the same
 * SYN again between retransmit_min and retransmit_max after its first
 * challenge is a real stack's retransmission.  Returns true to accept. */
static bool retransmission_ok(struct policy_ctx *pc, const struct pkt *p, uint64_t now_ms)
{
	const struct conf *c = pc->conf;
	uint64_t fp = syn_fingerprint(pc, p, 0);
	uint64_t *first = table_lookup(pc->retrans, &fp, now_ms);
	uint64_t evicted = pc->retrans->evictions;

	if (first && now_ms - *first >= c->retransmit_min_ms) {
		table_remove(pc->retrans, &fp);
		return true;
	}
	if (!first)
		table_insert(pc->retrans, &fp, now_ms, now_ms + c->retransmit_max_ms, now_ms);
	pc->stats->retransmit_evictions += pc->retrans->evictions - evicted;
	return false;
}

static void decide_syn(struct policy_ctx *pc, const struct pkt *p, uint64_t now_ms,
		       struct policy_result *r)
{
	struct cookie_tuple t;

	pc->stats->syn++;
	if (source_verified(pc, p, now_ms)) {
		pc->stats->syn_verified++;
		pc->stats->syn_accepted++;
		return;
	}
	if (retransmission_ok(pc, p, now_ms)) {
		pc->stats->retransmit_accepted++;
		pc->stats->syn_accepted++;
		return;
	}
	if (pc->conf->mode == CONF_MODE_MONITOR) {
		pc->stats->would_challenge++;
		pc->stats->syn_accepted++;
		return;
	}
	tuple_of(p, &t);
	r->verdict = POLICY_DROP;
	r->challenge = true;
	r->synack_ack = cookie_make(pc->cookies, &t, p->seq);
	r->synack_seq = (uint32_t)syn_fingerprint(pc, p, 0x5347u);
}

static void decide_rst(struct policy_ctx *pc, const struct pkt *p, uint64_t now_ms,
		       struct policy_result *r)
{
	struct cookie_tuple t;

	/* Our SYN+ACK's answer is <SEQ=SEG.ACK><CTL=RST> without ACK; a RST
	 * with ACK answers something else (an unknown connection's data, a
	 * refused SYN+ACK elsewhere): not ours to judge. */
	if (p->flags & PKT_TH_ACK) {
		pc->stats->rst_other++;
		return;
	}
	tuple_of(p, &t);
	if (cookie_check(pc->cookies, &t, p->seq) == COOKIE_INVALID) {
		pc->stats->cookies_invalid++;
		if (pc->conf->mode != CONF_MODE_MONITOR)
			r->verdict = POLICY_DROP;
		return;
	}
	pc->stats->cookies_valid++;
	policy_verify_source(pc, p->family, p->src, now_ms);
	r->verified = true;
	if (pc->conf->mode != CONF_MODE_MONITOR)
		r->verdict = POLICY_DROP;
}

/* Packets we cannot parse are never answered; outside monitor mode they
 * are dropped (the kernel's own TCP would drop a bad checksum anyway, and a
 * fragmented or truncated handshake packet is not a real client's). */
static void decide_bad(struct policy_ctx *pc, enum pkt_status st, struct policy_result *r)
{
	switch (st) {
	case PKT_NOT_TCP:
		pc->stats->not_tcp++;
		return;
	case PKT_FRAGMENT:
		pc->stats->fragments++;
		break;
	case PKT_BAD_CSUM:
		pc->stats->bad_checksum++;
		break;
	default:
		pc->stats->malformed++;
		break;
	}
	if (pc->conf->mode != CONF_MODE_MONITOR)
		r->verdict = POLICY_DROP;
}

void policy_decide(struct policy_ctx *pc, enum pkt_status st, const struct pkt *p,
		   uint64_t now_ms, struct policy_result *r)
{
	memset(r, 0, sizeof(*r));
	r->verdict = POLICY_ACCEPT;
	if (st != PKT_OK) {
		decide_bad(pc, st, r);
		return;
	}
	if ((p->flags & (PKT_TH_SYN | PKT_TH_ACK | PKT_TH_RST)) == PKT_TH_SYN)
		decide_syn(pc, p, now_ms, r);
	else if ((p->flags & (PKT_TH_RST | PKT_TH_SYN)) == PKT_TH_RST)
		decide_rst(pc, p, now_ms, r);
	else
		pc->stats->tcp_other++;
}
