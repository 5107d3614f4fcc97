/* policy: SYN authentication decisions.  Unverified SYN -> cookie SYN+ACK
 * and DROP; RST echoing a valid cookie -> source verified, DROP; SYN from a
 * verified source or a timely retransmission of a challenged SYN -> ACCEPT.
 * Monitor mode runs the same bookkeeping but accepts everything. */
#include "policy.h"

#include <string.h>
#include <sys/socket.h>

#include "acl.h"

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

	if (pc->retrans_passed && pc->retrans_passed(pc->retrans_arg, p))
		return true;
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

/* --- lists, limits, services ---------------------------------------------- */

enum { LIMIT_SYN_SOURCE = 1, LIMIT_SYNACK_DEST = 2, LIMIT_RST_SOURCE = 3, LIMIT_TOP = 4 };

/* The rate-limit / heavy-hitter key of an address (limit_prefix4/6),
 * kind in the high nibble so the tables never mix kinds. */
static void limit_key(const struct conf *c, uint8_t kind, int family, const uint8_t addr[16],
		      uint8_t key[POLICY_SRCKEY_LEN])
{
	bool v6 = family == AF_INET6;

	memset(key, 0, POLICY_SRCKEY_LEN);
	key[0] = (uint8_t)((kind << 4) | (v6 ? 6 : 4));
	memcpy(key + 1, addr, v6 ? 16 : 4);
	mask_prefix(key + 1, v6 ? 16 : 4, v6 ? c->limit_prefix6 : c->limit_prefix4);
}

/* true: within the limit (or no limit configured). */
static bool limit_take(struct policy_ctx *pc, uint8_t kind, const struct conf_rate *cr,
		       int family, const uint8_t addr[16], uint64_t now_ms)
{
	struct bucket_rate br = { cr->rate, cr->burst };
	uint8_t key[POLICY_SRCKEY_LEN];

	if (!pc->limits || cr->rate == 0)
		return true;
	limit_key(pc->conf, kind, family, addr, key);
	return bucket_table_take(pc->limits, key, &br, now_ms);
}

/* Whether the source's bucket of kind RST is empty, without taking. */
static bool limit_exhausted(struct policy_ctx *pc, const struct pkt *p, uint64_t now_ms)
{
	const struct conf_rate *cr = &pc->conf->limit_rst_source;
	struct bucket_rate br = { cr->rate, cr->burst };
	uint8_t key[POLICY_SRCKEY_LEN];

	limit_key(pc->conf, LIMIT_RST_SOURCE, p->family, p->src, key);
	return bucket_table_tokens(pc->limits, key, &br, now_ms) == 0;
}

unsigned policy_service_of(const struct conf *c, int family, const uint8_t dst[16], uint16_t port)
{
	unsigned i = conf_service_of(c, family, dst, port);

	return i < c->nservices ? i : POLICY_SVC_CATCHALL;
}

bool policy_challenging(const struct policy_ctx *pc, unsigned svc)
{
	switch (pc->conf->mode) {
	case CONF_MODE_ALWAYS:
		return true;
	case CONF_MODE_ADAPTIVE:
		return pc->svc[svc].attack;
	default:
		return false;
	}
}

bool policy_enforcing(const struct policy_ctx *pc)
{
	return pc->conf->mode == CONF_MODE_ADAPTIVE || pc->conf->mode == CONF_MODE_ALWAYS;
}

/* --- SYN --------------------------------------------------------------------- */

static void drop(struct policy_ctx *pc, struct policy_result *r)
{
	if (policy_enforcing(pc))
		r->verdict = POLICY_DROP;
}

/* The SYN goes through: follow its handshake. */
static void accept_syn(struct policy_ctx *pc, const struct pkt *p, uint64_t now_us,
		       struct policy_result *r)
{
	struct sg_tuple t;

	pc->stats->syn_accepted++;
	pc->svc[r->svc].accepted++;
	pc->svc[r->svc].win_accepted++;
	if (!pc->halfopen)
		return;
	pkt_tuple(p, &t);
	halfopen_syn(pc->halfopen, &t, r->svc, now_us);
	r->mark_set = pc->conf->track_mark;
}

/* Per-source and per-service SYN limits: they apply to verified sources
 * too (a botnet completes handshakes).  true: within limits. */
static bool syn_limits_ok(struct policy_ctx *pc, const struct pkt *p, uint64_t now_ms,
			  struct policy_result *r)
{
	const struct conf *c = pc->conf;
	struct policy_svc *s = &pc->svc[r->svc];
	struct bucket_rate br = { c->limit_syn_service.rate, c->limit_syn_service.burst };

	if (!limit_take(pc, LIMIT_SYN_SOURCE, &c->limit_syn_source, p->family, p->src, now_ms)) {
		pc->stats->limited_syn_source++;
		r->reason = STATS_R_syn_limited_source;
	} else if (br.rate && !bucket_take(&s->limit, &br, now_ms)) {
		pc->stats->limited_syn_service++;
		r->reason = STATS_R_syn_limited_service;
	} else {
		return true;
	}
	s->limited++;
	/* off and monitor count what a limit would have dropped, and let it in. */
	if (!policy_enforcing(pc))
		return true;
	r->verdict = POLICY_DROP;
	return false;
}

/* --- the full SYN proxy ------------------------------------------------------ */

bool policy_proxying(const struct policy_ctx *pc, unsigned svc)
{
	return pc->proxy && conf_service_challenge(pc->conf, svc) != CONF_CHALLENGE_AUTH;
}

void policy_server_opts(const struct policy_ctx *pc, unsigned svc, int family,
			struct policy_opts *o)
{
	const struct policy_opts *l = &pc->svc[svc].learned;
	const struct conf_service *cs = svc < pc->conf->nservices ? &pc->conf->services[svc] : NULL;

	/* Without a sample: what a Linux server with default buffers says. */
	o->n = l->n;
	o->mss = l->n ? l->mss : (family == AF_INET6 ? 1440 : 1460);
	o->wscale = l->n ? l->wscale : 7;
	o->sack = l->n ? l->sack : true;
	o->ts = l->n ? l->ts : true;
	if (cs && cs->mss != CONF_OPT_UNSET)
		o->mss = cs->mss;
	if (cs && cs->wscale != CONF_OPT_UNSET)
		o->wscale = cs->wscale == CONF_WSCALE_NONE ? PKT_NO_WSCALE : (uint8_t)cs->wscale;
	if (cs && cs->sack != CONF_OPT_UNSET)
		o->sack = cs->sack;
}

uint16_t policy_proxy_window(const struct conf *c)
{
	uint32_t win = c->proxy_early_data * 3 / 4;

	return (uint16_t)(win > 65535 ? 65535 : win < 536 ? 536 : win);
}

size_t policy_proxy_synack(uint8_t *out, size_t outlen, const struct conf *c,
			   const struct pkt *syn, const struct policy_result *r)
{
	struct pkt_out o = {
		.family = syn->family, .src = syn->dst, .dst = syn->src,
		.sport = syn->dport, .dport = syn->sport,
		.seq = r->synack_seq, .ack = r->synack_ack,
		.flags = PKT_TH_SYN | PKT_TH_ACK,
		.window = policy_proxy_window(c),
		.mss = r->synack_mss, .wscale = r->synack_wscale, .sack_ok = r->synack_sack,
	};

	return pkt_build(out, outlen, &o);
}

/* The scale our SYN+ACK announces: the server's, if the client scales. */
static uint8_t proxy_wscale_for(const struct policy_opts *so, uint8_t client_wscale)
{
	return client_wscale == PKT_NO_WSCALE ? PKT_NO_WSCALE : so->wscale;
}

/* A valid SYN+ACK whose sequence number is the proxy cookie, announcing
 * the server's options (no timestamps: the kernel only rewrites them while
 * a SYNPROXY rule exists). */
static void proxy_synack(struct policy_ctx *pc, const struct pkt *p, const struct sg_tuple *t,
			 struct policy_result *r)
{
	struct cookie_opts co = {
		.mss = p->opt.has_mss ? p->opt.mss : 0,
		.wscale = p->opt.has_wscale ? p->opt.wscale : COOKIE_NO_WSCALE,
		.sack = p->opt.sack_ok,
	};
	struct policy_opts so;

	policy_server_opts(pc, r->svc, p->family, &so);
	r->proxy = true;
	r->synack_seq = cookie_proxy_make(pc->cookies, t, p->seq, &co);
	r->synack_ack = p->seq + 1;
	r->synack_mss = so.mss;
	r->synack_wscale = proxy_wscale_for(&so, co.wscale);
	r->synack_sack = co.sack && so.sack;
	pc->stats->proxy_synacks++;
}

static void learn_server_opts(struct policy_ctx *pc, unsigned svc, const struct pkt *p)
{
	struct policy_opts *l = &pc->svc[svc].learned;

	l->n++;
	l->mss = p->opt.has_mss ? p->opt.mss : 536;
	l->wscale = p->opt.has_wscale ? p->opt.wscale : PKT_NO_WSCALE;
	l->sack = p->opt.sack_ok;
	l->ts = p->opt.has_ts;
}

/* A late packet of a handed-over connection: passed on (PROXY_FORWARD),
 * up to PROXY_FORWARD_MAX of them; then dropped and counted. */
static void forward_late(struct policy_ctx *pc, struct proxy_conn *c, struct policy_result *r)
{
	if (c->forwards >= PROXY_FORWARD_MAX) {
		pc->stats->proxy_forward_capped++;
		return;
	}
	c->forwards++;
	r->proxy_action = PROXY_FORWARD;
}

/* A client ACK that no tracked handshake knows: early data of a proxied
 * attempt, or the ACK that answers a proxy cookie.  true if handled. */
static bool proxy_ack(struct policy_ctx *pc, const struct pkt *p, uint64_t now_us,
		      struct policy_result *r)
{
	struct sg_tuple t;
	struct cookie_opts co;
	struct policy_opts so;
	struct proxy_conn *c;

	pkt_tuple(p, &t);
	c = proxy_find(pc->proxy, &t, now_us);
	/* A handed-over entry: the connection's own late packets were sent
	 * before the client saw anything but our SYN+ACK, so they acknowledge
	 * exactly K + 1; anything else is a new connection on the same ports
	 * (a reused port answering a new cookie, checked below). */
	if (c && c->state == PROXY_ST_HANDED && p->ack != c->proxy_isn + 1)
		c = NULL;
	if (c) {
		r->reason = STATS_R_proxy;
		r->verdict = POLICY_DROP;
		r->conn = c;
		r->svc = c->svc;
		if (c->state == PROXY_ST_HANDED)
			forward_late(pc, c, r);
		else
			r->proxy_action = p->payload_len ? PROXY_HOLD : PROXY_NONE;
		return true;
	}
	if (cookie_proxy_check(pc->cookies, &t, p->seq - 1, p->ack - 1, &co) == COOKIE_INVALID)
		return false;
	r->svc = policy_service_of(pc->conf, p->family, p->dst, p->dport);
	c = proxy_add(pc->proxy, &t, now_us + (uint64_t)pc->conf->proxy_timeout_ms * 1000,
		      &r->evicted);
	if (r->evicted.key)
		pc->stats->proxy_evicted++;
	c->client_isn = p->seq - 1;
	c->proxy_isn = p->ack - 1;
	c->client_mss = co.mss;
	c->client_wscale = co.wscale == COOKIE_NO_WSCALE ? PKT_NO_WSCALE : co.wscale;
	c->sack = co.sack;
	c->client_window = p->window;
	c->svc = r->svc;
	policy_server_opts(pc, r->svc, p->family, &so);
	c->proxy_wscale = proxy_wscale_for(&so, c->client_wscale);
	pc->stats->proxy_started++;
	r->reason = STATS_R_proxy;
	r->verdict = POLICY_DROP;
	r->conn = c;
	r->proxy_action = PROXY_CONNECT;
	return true;
}

/* A segment without SYN to a proxied service that belongs to no
 * connection: conntrack does not know it (the proxy rules queue only
 * those; a handshake the daemon follows carries the track bit in its mark,
 * from the rules that queue it, and is never one, also once its entry here
 * expired or after a restart), neither direction of it is a proxied
 * handshake, and it carried no valid proxy cookie (proxy_ack said so).
 * Counted and dropped, as SYNPROXY drops what conntrack calls INVALID: a
 * spoofed ACK, FIN or RST+ACK flood never reaches the server.  true if it
 * was that. */
static bool proxy_stray(struct policy_ctx *pc, const struct pkt *p, uint64_t now_us,
			struct policy_result *r)
{
	struct sg_tuple t;

	if (!pc->proxy || (p->mark & pc->conf->track_mark) ||
	    !policy_proxying(pc, policy_service_of(pc->conf, p->family, p->dst, p->dport)))
		return false;
	pkt_tuple(p, &t);
	if (proxy_find(pc->proxy, &t, now_us))
		return false;	/* the client's, of a proxied handshake */
	pkt_tuple_from_server(p, &t);
	if (proxy_find(pc->proxy, &t, now_us))
		return false;	/* the server's, to a proxied client */
	pc->stats->proxy_invalid++;
	r->reason = STATS_R_stray;
	drop(pc, r);
	return true;
}

/* The server's SYN+ACK or RST for a proxied attempt.  true if handled. */
static bool proxy_server(struct policy_ctx *pc, const struct pkt *p, uint64_t now_us,
			 struct policy_result *r)
{
	struct proxy_conn *c;
	struct sg_tuple t;

	if (!pc->proxy)
		return false;
	pkt_tuple_from_server(p, &t);
	c = proxy_find(pc->proxy, &t, now_us);
	if (!c)
		return false;
	r->reason = STATS_R_proxy;
	r->verdict = POLICY_DROP;
	r->conn = c;
	r->svc = c->svc;
	if (c->state == PROXY_ST_HANDED) {
		/* Our final ACK was lost and the server repeats its SYN+ACK. */
		if (p->flags & PKT_TH_SYN)
			r->proxy_action = PROXY_REACK;
		else
			r->verdict = POLICY_ACCEPT;
		return true;
	}
	if (p->flags & PKT_TH_RST) {
		r->proxy_action = PROXY_REFUSED;
		return true;
	}
	/* Only the answer to our SYN: it acknowledges the client's ISN. */
	if (p->ack != c->client_isn + 1)
		return true;
	learn_server_opts(pc, c->svc, p);
	r->proxy_action = PROXY_HANDOVER;
	return true;
}

/* Challenge, unless that would make us a reflector: cookie SYN+ACKs are
 * limited per destination prefix and in total.  A SYN over the limit is
 * dropped unanswered; a real client retransmits it. */
static void challenge(struct policy_ctx *pc, const struct pkt *p, uint64_t now_ms,
		      struct policy_result *r)
{
	const struct conf *c = pc->conf;
	struct bucket_rate total = { c->limit_synack_total.rate, c->limit_synack_total.burst };
	struct sg_tuple t;

	r->verdict = POLICY_DROP;
	r->reason = STATS_R_syn_limited_synack;
	if (!limit_take(pc, LIMIT_SYNACK_DEST, &c->limit_synack_dest, p->family, p->src, now_ms)) {
		pc->stats->limited_synack_dest++;
		return;
	}
	if (total.rate && !bucket_take(&pc->synack_total, &total, now_ms)) {
		pc->stats->limited_synack_total++;
		return;
	}
	pkt_tuple(p, &t);
	r->reason = STATS_R_syn_challenged;
	r->challenge = true;
	pc->svc[r->svc].challenges++;
	pc->svc[r->svc].win_challenges++;
	if (policy_proxying(pc, r->svc)) {
		proxy_synack(pc, p, &t, r);
		return;
	}
	r->synack_ack = cookie_make(pc->cookies, &t, p->seq);
	r->synack_seq = (uint32_t)syn_fingerprint(pc, p, 0x5347u);
}

static bool listed(const struct acl *a, const struct pkt *p)
{
	return a && acl_match(a, p->family, p->src);
}

static void top_add(struct policy_ctx *pc, const struct pkt *p)
{
	uint8_t key[POLICY_SRCKEY_LEN];

	if (!pc->top)
		return;
	limit_key(pc->conf, LIMIT_TOP, p->family, p->src, key);
	hh_add(pc->top, key, 1);
}

static void decide_syn(struct policy_ctx *pc, const struct pkt *p, uint64_t now_us,
		       struct policy_result *r)
{
	uint64_t now_ms = now_us / 1000;
	struct policy_svc *s;
	bool verified;

	pc->stats->syn++;
	r->svc = policy_service_of(pc->conf, p->family, p->dst, p->dport);
	s = &pc->svc[r->svc];
	s->syn++;
	s->win_syn++;
	if (listed(pc->conf->deny, p)) {
		pc->stats->syn_denied++;
		r->reason = STATS_R_syn_denied;	/* monitor: what follows decides */
		if (policy_enforcing(pc)) {
			r->verdict = POLICY_DROP;
			return;
		}
	}
	if (listed(pc->conf->allow, p)) {
		pc->stats->syn_allowed++;
		r->reason = STATS_R_syn_allowed;
		accept_syn(pc, p, now_us, r);
		return;
	}
	top_add(pc, p);
	verified = source_verified(pc, p, now_ms);
	if (!verified) {
		s->syn_unverified++;
		s->win_unverified++;
	}
	if (pc->conf->mode == CONF_MODE_OFF) {
		r->reason = STATS_R_syn_off;
		accept_syn(pc, p, now_us, r);
		return;
	}
	if (verified) {
		pc->stats->syn_verified++;
		r->reason = STATS_R_syn_verified;
	} else if (policy_challenging(pc, r->svc)) {
		/* The proxy's SYN+ACK is valid: every stack answers it, so the
		 * retransmission fallback (and its replay risk) is not needed. */
		if (policy_proxying(pc, r->svc) || !retransmission_ok(pc, p, now_ms)) {
			challenge(pc, p, now_ms, r);
			return;
		}
		pc->stats->retransmit_accepted++;
		r->reason = STATS_R_syn_retransmit;
	} else if (pc->conf->mode == CONF_MODE_MONITOR && s->attack) {
		pc->stats->would_challenge++;
		r->reason = STATS_R_syn_would_challenge;
	} else {
		pc->stats->syn_passive++;
		r->reason = STATS_R_syn_passive;
	}
	if (syn_limits_ok(pc, p, now_ms, r))
		accept_syn(pc, p, now_us, r);
}

/* --- RST and handshake packets ---------------------------------------------- */

/* A RST of a connection whose handshake we follow (from either side). */
static bool tracked_rst(struct policy_ctx *pc, const struct pkt *p, uint64_t now_us,
			struct policy_result *r)
{
	struct sg_tuple t;

	if (!pc->halfopen)
		return false;
	pkt_tuple(p, &t);
	if (!halfopen_rst(pc->halfopen, &t, now_us)) {
		pkt_tuple_from_server(p, &t);
		if (!halfopen_rst(pc->halfopen, &t, now_us))
			return false;
	}
	pc->stats->handshakes_reset++;
	r->reason = STATS_R_rst_handshake;
	r->mark_set = pc->conf->done_mark;
	return true;
}

static void decide_rst(struct policy_ctx *pc, const struct pkt *p, uint64_t now_us,
		       struct policy_result *r)
{
	const struct conf_rate *lim = &pc->conf->limit_rst_source;
	uint64_t now_ms = now_us / 1000;
	struct sg_tuple t;

	/* A RST of a connection conntrack follows: the rules queue those to
	 * protected services with the done bit set in their mark (nothing
	 * else reaches the daemon with it).  The server's to judge, RFC 5961:
	 * the exact one ends the connection, any other earns a challenge ACK.
	 * Conntrack cut the entry's timeout to 10 s on it; one it left
	 * ESTABLISHED (not the exact RST) gets its timeout back, or an idle
	 * connection would lose its entry and the screen would drop its next
	 * segment: a blind RST anywhere in the window would end it.  First:
	 * it is past conntrack in its connection's own entry (a proxied one
	 * too, whose entry translates it), nothing the proxy must pass on;
	 * passed on again, it would come back here through the same rule. */
	if (p->mark & pc->conf->done_mark) {
		pc->stats->rst_established++;
		r->reason = STATS_R_rst_established;
		r->ct_restore = true;
		return;
	}
	if (proxy_server(pc, p, now_us, r))
		return;
	pkt_tuple(p, &t);
	if (pc->proxy && (r->conn = proxy_find(pc->proxy, &t, now_us))) {
		/* The client gave up; after the handover its RST is passed on. */
		r->reason = STATS_R_proxy;
		r->verdict = POLICY_DROP;
		if (r->conn->state == PROXY_ST_HANDED)
			forward_late(pc, r->conn, r);
		else
			r->proxy_action = PROXY_ABORTED;
		return;
	}
	if (tracked_rst(pc, p, now_us, r))
		return;
	/* Our SYN+ACK's answer is <SEQ=SEG.ACK><CTL=RST> without ACK; a RST
	 * with ACK answers something else (an unknown connection's data, a
	 * refused SYN+ACK elsewhere): not ours to judge. */
	if (p->flags & PKT_TH_ACK) {
		if (!proxy_stray(pc, p, now_us, r)) {
			pc->stats->rst_other++;
			r->reason = STATS_R_rst_ack;
		}
		return;
	}
	/* A prefix that spent its budget of wrong guesses gets no more checks:
	 * guessing a 31-bit MAC at the limited rate is hopeless. */
	if (pc->limits && lim->rate && limit_exhausted(pc, p, now_ms)) {
		pc->stats->limited_rst_source++;
		r->reason = STATS_R_rst_limited;
		drop(pc, r);
		return;
	}
	if (cookie_check(pc->cookies, &t, p->seq) == COOKIE_INVALID) {
		pc->stats->cookies_invalid++;
		r->reason = STATS_R_rst_cookie_invalid;
		limit_take(pc, LIMIT_RST_SOURCE, lim, p->family, p->src, now_ms);
		drop(pc, r);
		return;
	}
	pc->stats->cookies_valid++;
	r->reason = STATS_R_rst_cookie_valid;
	policy_verify_source(pc, p->family, p->src, now_ms);
	r->verified = true;
	drop(pc, r);
}

/* The server's SYN+ACK of a tracked handshake. */
static void decide_synack(struct policy_ctx *pc, const struct pkt *p, uint64_t now_us,
			  struct policy_result *r)
{
	struct sg_tuple t;

	pkt_tuple_from_server(p, &t);
	if (pc->halfopen && halfopen_synack_seq(pc->halfopen, &t, now_us, p->seq)) {
		pc->stats->handshake_synacks++;
		r->reason = STATS_R_handshake_synack;
		/* Learn the service's options from every server SYN+ACK we see. */
		learn_server_opts(pc, policy_service_of(pc->conf, p->family, p->src, p->sport), p);
	} else if (!proxy_server(pc, p, now_us, r) && !proxy_stray(pc, p, now_us, r)) {
		/* A SYN+ACK to a proxied service of no connection (a spoofed
		 * SYN+ACK flood) is a stray: dropped, as the fast path drops it. */
		pc->stats->tcp_other++;
	}
}

/* The client's ACK completes the handshake: the source has shown it is
 * real, exactly as a cookie answer would (passive verification). */
static void decide_ack(struct policy_ctx *pc, const struct pkt *p, uint64_t now_us,
		       struct policy_result *r)
{
	enum ho_state st = HO_NONE;
	struct sg_tuple t;
	unsigned svc;

	pkt_tuple(p, &t);
	if (pc->halfopen &&
	    halfopen_ack_seq(pc->halfopen, &t, now_us, p->ack, &svc, &r->handshake_us)) {
		pc->stats->handshakes_completed++;
		r->reason = STATS_R_handshake_ack;
		r->completed = true;
		r->svc = svc;
		if (!source_verified(pc, p, now_us / 1000))
			pc->stats->passive_verified++;
		policy_verify_source(pc, p->family, p->src, now_us / 1000);
		r->verified = true;
		r->mark_set = pc->conf->done_mark;
		return;
	}
	if (pc->halfopen)
		st = halfopen_state(pc->halfopen, &t, now_us);
	/* In SYN_SENT the SYN+ACK is still to come, and in SYN_RECEIVED an ACK
	 * that does not acknowledge it is not the client's: keep watching. */
	if (st == HO_SYN_RECEIVED) {
		pc->stats->handshake_bad_acks++;
		r->reason = STATS_R_handshake_bad_ack;
		return;
	}
	if (st == HO_NONE && pc->proxy && proxy_ack(pc, p, now_us, r))
		return;
	if (st == HO_NONE && proxy_stray(pc, p, now_us, r))
		return;
	pc->stats->tcp_other++;
	/* Not (or no longer) followed, e.g. after a restart: stop queueing it. */
	if (st == HO_NONE && pc->halfopen)
		r->mark_set = pc->conf->done_mark;
}

/* Packets we cannot parse are never answered; in adaptive and always mode they
 * are dropped (the kernel's own TCP would drop a bad checksum anyway, and a
 * fragmented or truncated handshake packet is not a real client's). */
static void decide_bad(struct policy_ctx *pc, enum pkt_status st, struct policy_result *r)
{
	switch (st) {
	case PKT_NOT_TCP:
		pc->stats->not_tcp++;
		r->reason = STATS_R_not_tcp;
		return;
	case PKT_FRAGMENT:
		pc->stats->fragments++;
		r->reason = STATS_R_fragment;
		break;
	case PKT_BAD_CSUM:
		pc->stats->bad_checksum++;
		r->reason = STATS_R_bad_checksum;
		break;
	default:
		pc->stats->malformed++;
		r->reason = STATS_R_malformed;
		break;
	}
	drop(pc, r);
}

void policy_init(struct policy_ctx *pc, uint64_t now_ms)
{
	const struct conf *c = pc->conf;
	struct bucket_rate total = { c->limit_synack_total.rate, c->limit_synack_total.burst };
	struct bucket_rate svc = { c->limit_syn_service.rate, c->limit_syn_service.burst };

	bucket_init(&pc->synack_total, &total, now_ms);
	for (unsigned i = 0; i < POLICY_SVC_MAX; i++)
		bucket_init(&pc->svc[i].limit, &svc, now_ms);
}

void policy_decide(struct policy_ctx *pc, enum pkt_status st, const struct pkt *p,
		   uint64_t now_us, struct policy_result *r)
{
	uint8_t f = p->flags & (PKT_TH_SYN | PKT_TH_ACK | PKT_TH_RST);

	memset(r, 0, sizeof(*r));
	r->verdict = POLICY_ACCEPT;
	r->svc = POLICY_SVC_CATCHALL;
	r->reason = STATS_R_other;	/* tcp_other: every leaf that is not says so */
	if (st != PKT_OK)
		decide_bad(pc, st, r);
	else if (f == PKT_TH_SYN)
		decide_syn(pc, p, now_us, r);
	else if ((f & (PKT_TH_RST | PKT_TH_SYN)) == PKT_TH_RST)
		decide_rst(pc, p, now_us, r);
	else if (f == (PKT_TH_SYN | PKT_TH_ACK))
		decide_synack(pc, p, now_us, r);
	else if (f == PKT_TH_ACK)
		decide_ack(pc, p, now_us, r);
	else if (!proxy_stray(pc, p, now_us, r))	/* FIN alone, no flags... */
		pc->stats->tcp_other++;
	pc->stats->reason[r->reason]++;
}
