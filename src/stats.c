/* stats: walk the counter list by name, for the control socket. */
#include <stddef.h>

#include "stats.h"

void stats_foreach(const struct stats *s, stats_visit_fn fn, void *arg)
{
#define STATS_VISIT(name, help) fn(#name, help, s->name, arg);
	STATS_COUNTERS(STATS_VISIT)
#undef STATS_VISIT
}

void stats_foreach_reason(const struct stats *s, stats_visit_fn fn, void *arg)
{
#define STATS_VISIT_REASON(name, help) fn(#name, help, s->reason[STATS_R_##name], arg);
	STATS_REASONS(STATS_VISIT_REASON)
#undef STATS_VISIT_REASON
}

uint64_t stats_reason_total(const struct stats *s)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < STATS_REASON_MAX; i++)
		n += s->reason[i];
	return n;
}

const char *stats_reasons_disagree(const struct stats *s)
{
	const uint64_t *r = s->reason;
	uint64_t syn = r[STATS_R_syn_denied] + r[STATS_R_syn_allowed] + r[STATS_R_syn_off] +
		       r[STATS_R_syn_verified] + r[STATS_R_syn_retransmit] +
		       r[STATS_R_syn_passive] + r[STATS_R_syn_would_challenge] +
		       r[STATS_R_syn_limited_source] + r[STATS_R_syn_limited_service] +
		       r[STATS_R_syn_challenged] + r[STATS_R_syn_limited_synack];

#define SAME(counter, reason) \
	if (s->counter != r[STATS_R_##reason]) \
		return #counter " != reason " #reason;
	SAME(not_tcp, not_tcp)
	SAME(fragments, fragment)
	SAME(bad_checksum, bad_checksum)
	SAME(malformed, malformed)
	SAME(syn_allowed, syn_allowed)
	SAME(limited_syn_source, syn_limited_source)
	SAME(limited_syn_service, syn_limited_service)
	SAME(rst_established, rst_established)
	SAME(handshakes_reset, rst_handshake)
	SAME(cookies_valid, rst_cookie_valid)
	SAME(cookies_invalid, rst_cookie_invalid)
	SAME(limited_rst_source, rst_limited)
	SAME(rst_other, rst_ack)
	SAME(handshake_synacks, handshake_synack)
	SAME(handshakes_completed, handshake_ack)
	SAME(handshake_bad_acks, handshake_bad_ack)
	SAME(proxy_invalid, stray)
	SAME(tcp_other, other)
#undef SAME
	if (s->syn != syn)
		return "syn != the sum of the syn_ reasons";
	if (s->limited_synack_dest + s->limited_synack_total != r[STATS_R_syn_limited_synack])
		return "limited_synack_dest + limited_synack_total != reason syn_limited_synack";
	if (s->syn_denied < r[STATS_R_syn_denied] || s->syn_verified < r[STATS_R_syn_verified] ||
	    s->retransmit_accepted < r[STATS_R_syn_retransmit] ||
	    s->syn_passive < r[STATS_R_syn_passive] ||
	    s->would_challenge < r[STATS_R_syn_would_challenge])
		return "a SYN counter below its reason";
	return NULL;
}
