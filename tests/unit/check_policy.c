/* Unit tests: policy decisions over hand-built parsed packets. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "acl.h"
#include "policy.h"
#include "unit.h"

struct fixture {
	struct conf conf;
	struct stats stats;
	struct cookie_ctx cookies;
	struct table verified, retrans;
	struct policy_ctx pc;
};

static struct fixture *fx_new(enum conf_mode mode)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct siphash_key master = { 1, 2 }, s1 = { 3, 4 }, s2 = { 5, 6 };

	conf_defaults(&f->conf);
	f->conf.mode = mode;
	cookie_init(&f->cookies, &master, 100);
	ck_assert_int_eq(table_init(&f->verified, 1024, POLICY_SRCKEY_LEN, &s1), 0);
	ck_assert_int_eq(table_init(&f->retrans, 1024, POLICY_RETRANS_KEYLEN, &s2), 0);
	f->pc.conf = &f->conf;
	f->pc.cookies = &f->cookies;
	f->pc.verified = &f->verified;
	f->pc.retrans = &f->retrans;
	f->pc.stats = &f->stats;
	f->pc.fp_key.k0 = 9;
	f->pc.fp_key.k1 = 10;
	policy_init(&f->pc, 0);
	return f;
}

/* Every test's counters: the reasons agree with the finer counters. */
static void fx_free(struct fixture *f)
{
	const char *why = stats_reasons_disagree(&f->stats);

	ck_assert_msg(why == NULL, "reasons: %s", why ? why : "");
	table_free(&f->verified);
	table_free(&f->retrans);
	free(f);
}

static struct pkt syn4(uint8_t last, uint16_t sport, uint32_t isn)
{
	struct pkt p = { .family = AF_INET, .sport = sport, .dport = 80, .seq = isn,
			 .flags = PKT_TH_SYN };
	const uint8_t s[4] = { 192, 0, 2, last }, d[4] = { 203, 0, 113, 2 };

	memcpy(p.src, s, 4);
	memcpy(p.dst, d, 4);
	return p;
}

static struct pkt rst_for(const struct pkt *syn, uint32_t seq)
{
	struct pkt r = *syn;

	r.flags = PKT_TH_RST;
	r.seq = seq;
	return r;
}

static struct policy_result decide(struct fixture *f, const struct pkt *p, uint64_t now)
{
	struct policy_result r;

	policy_decide(&f->pc, PKT_OK, p, now * 1000, &r);
	return r;
}

START_TEST(policy_unverified_syn_is_challenged_with_valid_cookie)
{
	struct fixture *f = fx_new(CONF_MODE_ALWAYS);
	struct pkt s = syn4(2, 40000, 1000);
	struct policy_result r = decide(f, &s, 0);
	struct sg_tuple t = { .family = AF_INET, .client_port = 40000, .server_port = 80 };

	ck_assert_int_eq(r.verdict, POLICY_DROP);
	ck_assert(r.challenge);
	ck_assert_uint_ne(r.synack_ack, 1001);
	memcpy(t.client, s.src, 16);
	memcpy(t.server, s.dst, 16);
	ck_assert_int_eq(cookie_check(&f->cookies, &t, r.synack_ack), COOKIE_VALID_CURRENT);
	ck_assert_uint_eq(f->stats.syn, 1);
	ck_assert_uint_eq(f->stats.syn_accepted, 0);
	fx_free(f);
}
END_TEST

/* Each decision counts one reason, the leaf that decided. */
START_TEST(policy_each_packet_counted_under_one_reason)
{
	struct fixture *f = fx_new(CONF_MODE_ALWAYS);
	struct pkt s = syn4(2, 40000, 1000), rst, ack;
	struct policy_result r;
	uint64_t n0;

	r = decide(f, &s, 0);
	ck_assert_int_eq(r.reason, STATS_R_syn_challenged);
	rst = rst_for(&s, r.synack_ack + 1);		/* a wrong guess */
	ck_assert_int_eq(decide(f, &rst, 5).reason, STATS_R_rst_cookie_invalid);
	rst = rst_for(&s, r.synack_ack);
	ck_assert_int_eq(decide(f, &rst, 10).reason, STATS_R_rst_cookie_valid);
	ck_assert_int_eq(decide(f, &s, 20).reason, STATS_R_syn_verified);
	ack = s;
	ack.flags = PKT_TH_ACK;
	ck_assert_int_eq(decide(f, &ack, 30).reason, STATS_R_other);
	ack.flags = PKT_TH_RST | PKT_TH_ACK;
	ck_assert_int_eq(decide(f, &ack, 30).reason, STATS_R_rst_ack);
	n0 = stats_reason_total(&f->stats);
	ck_assert_uint_eq(n0, 6);
	policy_decide(&f->pc, PKT_BAD_CSUM, &s, 40, &r);
	ck_assert_int_eq(r.reason, STATS_R_bad_checksum);
	policy_decide(&f->pc, PKT_FRAGMENT, &s, 40, &r);
	ck_assert_int_eq(r.reason, STATS_R_fragment);
	policy_decide(&f->pc, PKT_NOT_TCP, &s, 40, &r);
	ck_assert_int_eq(r.reason, STATS_R_not_tcp);
	ck_assert_uint_eq(stats_reason_total(&f->stats), n0 + 3);
	ck_assert_uint_eq(f->stats.reason[STATS_R_syn_challenged], 1);
	ck_assert_uint_eq(f->stats.reason[STATS_R_syn_verified], 1);
	/* A counter moved without its reason is caught. */
	f->stats.cookies_invalid++;
	ck_assert_ptr_nonnull(stats_reasons_disagree(&f->stats));
	f->stats.cookies_invalid--;
	fx_free(f);
}
END_TEST

START_TEST(policy_valid_rst_verifies_source_then_syn_accepted)
{
	struct fixture *f = fx_new(CONF_MODE_ALWAYS);
	struct pkt s = syn4(2, 40000, 1000), rst;
	struct policy_result r = decide(f, &s, 0);

	rst = rst_for(&s, r.synack_ack);
	r = decide(f, &rst, 10);
	ck_assert_int_eq(r.verdict, POLICY_DROP);
	ck_assert(!r.challenge);
	ck_assert_uint_eq(f->stats.cookies_valid, 1);
	/* The retransmitted SYN (and any other port) now passes. */
	s.sport = 40001;
	r = decide(f, &s, 20);
	ck_assert_int_eq(r.verdict, POLICY_ACCEPT);
	ck_assert(!r.challenge);
	ck_assert_uint_eq(f->stats.syn_verified, 1);
	/* Until verified_ttl runs out. */
	r = decide(f, &s, 10 + f->conf.verified_ttl_ms);
	ck_assert_int_eq(r.verdict, POLICY_DROP);
	ck_assert(r.challenge);
	fx_free(f);
}
END_TEST

START_TEST(policy_invalid_rst_dropped_rst_ack_accepted)
{
	struct fixture *f = fx_new(CONF_MODE_ALWAYS);
	struct pkt s = syn4(3, 40000, 1000), rst;
	struct policy_result r = decide(f, &s, 0);

	rst = rst_for(&s, r.synack_ack + 1);
	r = decide(f, &rst, 1);
	ck_assert_int_eq(r.verdict, POLICY_DROP);
	ck_assert_uint_eq(f->stats.cookies_invalid, 1);
	rst.flags = PKT_TH_RST | PKT_TH_ACK;
	rst.seq = r.synack_ack;
	r = decide(f, &rst, 2);
	ck_assert_int_eq(r.verdict, POLICY_ACCEPT);
	ck_assert_uint_eq(f->stats.rst_other, 1);
	/* Neither verified the source. */
	r = decide(f, &s, 3);
	ck_assert(r.challenge);
	fx_free(f);
}
END_TEST

START_TEST(policy_source_prefix_lengths)
{
	struct fixture *f = fx_new(CONF_MODE_ALWAYS);
	struct pkt a = syn4(2, 1, 1), b = syn4(77, 1, 1), rst;
	struct policy_result r;

	policy_verify_source(&f->pc, AF_INET, a.src, 0);
	r = decide(f, &b, 1);
	ck_assert(r.challenge);	/* /32: a neighbour is not trusted */
	fx_free(f);

	f = fx_new(CONF_MODE_ALWAYS);
	f->conf.verified_prefix4 = 24;
	r = decide(f, &a, 0);
	rst = rst_for(&a, r.synack_ack);
	decide(f, &rst, 1);
	r = decide(f, &b, 2);
	ck_assert_int_eq(r.verdict, POLICY_ACCEPT);	/* /24: the whole prefix */
	fx_free(f);
}
END_TEST

START_TEST(policy_ipv6_sources_keyed_by_64)
{
	struct fixture *f = fx_new(CONF_MODE_ALWAYS);
	struct pkt a = { .family = AF_INET6, .sport = 5, .dport = 443, .seq = 9,
			 .flags = PKT_TH_SYN };
	struct pkt b, c;
	struct policy_result r;

	a.src[0] = 0x20; a.src[1] = 0x01; a.src[2] = 0x0d; a.src[3] = 0xb8; a.src[15] = 1;
	a.dst[0] = 0x20; a.dst[1] = 0x01; a.dst[15] = 2;
	b = a;
	b.src[8] = 0xff;	/* same /64, other interface id */
	c = a;
	c.src[7] = 0x01;	/* other /64 */
	policy_verify_source(&f->pc, AF_INET6, a.src, 0);
	r = decide(f, &b, 1);
	ck_assert_int_eq(r.verdict, POLICY_ACCEPT);
	r = decide(f, &c, 1);
	ck_assert(r.challenge);
	fx_free(f);
}
END_TEST

START_TEST(policy_retransmission_fallback_window)
{
	struct fixture *f = fx_new(CONF_MODE_ALWAYS);
	struct pkt s = syn4(4, 40000, 5000), other = syn4(4, 40000, 6000);
	struct policy_result r;

	ck_assert(decide(f, &s, 0).challenge);
	ck_assert(decide(f, &s, 100).challenge);	/* too soon: < retransmit_min */
	ck_assert(decide(f, &other, 1000).challenge);	/* other ISN: other SYN */
	r = decide(f, &s, 1000);
	ck_assert_int_eq(r.verdict, POLICY_ACCEPT);
	ck_assert_uint_eq(f->stats.retransmit_accepted, 1);
	ck_assert_uint_eq(f->stats.cookies_valid, 0);	/* accepted, not verified */
	/* The entry was consumed: a third copy is challenged again. */
	ck_assert(decide(f, &s, 1100).challenge);
	/* Too late: after retransmit_max the first sighting has expired. */
	ck_assert(decide(f, &other, 1000 + f->conf.retransmit_max_ms + 1).challenge);
	ck_assert(decide(f, &other, 1000 + f->conf.retransmit_max_ms + 2).challenge);
	fx_free(f);
}
END_TEST

START_TEST(policy_monitor_accepts_everything_and_counts)
{
	struct fixture *f = fx_new(CONF_MODE_MONITOR);
	struct pkt s = syn4(5, 1, 1), rst = rst_for(&s, 12345);
	struct policy_result r;

	/* Passive: accepted silently. */
	r = decide(f, &s, 0);
	ck_assert_int_eq(r.verdict, POLICY_ACCEPT);
	ck_assert_uint_eq(f->stats.would_challenge, 0);
	ck_assert_uint_eq(f->stats.syn_passive, 1);
	/* The detector says attack: what adaptive would do is counted. */
	f->pc.svc[POLICY_SVC_CATCHALL].attack = true;
	s.sport = 2;
	r = decide(f, &s, 0);
	ck_assert_int_eq(r.verdict, POLICY_ACCEPT);
	ck_assert(!r.challenge);
	ck_assert_uint_eq(f->stats.would_challenge, 1);
	ck_assert_int_eq(decide(f, &rst, 1).verdict, POLICY_ACCEPT);
	ck_assert_uint_eq(f->stats.cookies_invalid, 1);
	policy_decide(&f->pc, PKT_BAD_CSUM, &s, 2, &r);
	ck_assert_int_eq(r.verdict, POLICY_ACCEPT);
	ck_assert_uint_eq(f->stats.bad_checksum, 1);
	fx_free(f);
}
END_TEST

START_TEST(policy_bad_packets_classified_never_answered)
{
	struct fixture *f = fx_new(CONF_MODE_ALWAYS);
	struct pkt s = syn4(6, 1, 1);
	static const struct { enum pkt_status st; enum policy_verdict v; } cases[] = {
		{ PKT_TRUNCATED, POLICY_DROP }, { PKT_MALFORMED, POLICY_DROP },
		{ PKT_FRAGMENT, POLICY_DROP }, { PKT_BAD_CSUM, POLICY_DROP },
		{ PKT_NOT_TCP, POLICY_ACCEPT },
	};
	struct policy_result r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		policy_decide(&f->pc, cases[i].st, &s, 0, &r);
		ck_assert_int_eq(r.verdict, cases[i].v);
		ck_assert(!r.challenge);
	}
	ck_assert_uint_eq(f->stats.malformed, 2);
	ck_assert_uint_eq(f->stats.fragments, 1);
	ck_assert_uint_eq(f->stats.bad_checksum, 1);
	ck_assert_uint_eq(f->stats.not_tcp, 1);
	ck_assert_uint_eq(f->stats.syn, 0);
	/* Other TCP (a SYN+ACK, a plain ACK) is not ours: accepted, counted. */
	s.flags = PKT_TH_SYN | PKT_TH_ACK;
	ck_assert_int_eq(decide(f, &s, 0).verdict, POLICY_ACCEPT);
	s.flags = PKT_TH_ACK;
	ck_assert_int_eq(decide(f, &s, 0).verdict, POLICY_ACCEPT);
	ck_assert_uint_eq(f->stats.tcp_other, 2);
	fx_free(f);
}
END_TEST

/* --- tracking, adaptive, lists, limits ------------------------------------- */

struct wfix {
	struct fixture *f;
	struct halfopen ho;
	struct bucket_table lim;
};

static struct wfix *wfix_new(enum conf_mode mode)
{
	struct wfix *w = calloc(1, sizeof(*w));
	struct siphash_key k1 = { 11, 12 }, k2 = { 13, 14 };

	w->f = fx_new(mode);
	ck_assert_int_eq(halfopen_init(&w->ho, 1024, HALFOPEN_SVC_MAX, 30000000, &k1), 0);
	ck_assert_int_eq(bucket_table_init(&w->lim, 1024, &k2), 0);
	w->f->pc.halfopen = &w->ho;
	w->f->pc.limits = &w->lim;
	policy_init(&w->f->pc, 0);
	return w;
}

static void wfix_free(struct wfix *w)
{
	halfopen_free(&w->ho);
	bucket_table_free(&w->lim);
	conf_free(&w->f->conf);
	fx_free(w->f);
	free(w);
}

static struct pkt reply_of(const struct pkt *p, uint8_t flags)
{
	struct pkt r = *p;

	memcpy(r.src, p->dst, 16);
	memcpy(r.dst, p->src, 16);
	r.sport = p->dport;
	r.dport = p->sport;
	r.flags = flags;
	return r;
}

START_TEST(policy_adaptive_passive_then_attack)
{
	struct wfix *w = wfix_new(CONF_MODE_ADAPTIVE);
	struct pkt s = syn4(2, 40000, 1000);
	struct policy_result r = decide(w->f, &s, 0);

	/* Passive: the SYN passes, with the track mark, and is followed. */
	ck_assert_int_eq(r.verdict, POLICY_ACCEPT);
	ck_assert(!r.challenge);
	ck_assert_uint_eq(r.mark_set, w->f->conf.track_mark);
	ck_assert_uint_eq(w->ho.svc[POLICY_SVC_CATCHALL].halfopen, 1);
	ck_assert_uint_eq(w->f->stats.syn_passive, 1);
	ck_assert_uint_eq(w->f->pc.svc[POLICY_SVC_CATCHALL].win_unverified, 1);
	/* Under attack the same kind of SYN is challenged. */
	w->f->pc.svc[POLICY_SVC_CATCHALL].attack = true;
	s.sport = 40001;
	r = decide(w->f, &s, 1);
	ck_assert_int_eq(r.verdict, POLICY_DROP);
	ck_assert(r.challenge);
	ck_assert_uint_eq(r.mark_set, 0);
	wfix_free(w);
}
END_TEST

START_TEST(policy_handshake_completion_verifies_passively)
{
	struct wfix *w = wfix_new(CONF_MODE_ADAPTIVE);
	struct pkt s = syn4(3, 40000, 1000), sa = reply_of(&s, PKT_TH_SYN | PKT_TH_ACK), ack = s;
	struct policy_result r;

	ack.flags = PKT_TH_ACK;
	sa.seq = 777000;
	ack.ack = sa.seq + 1;
	decide(w->f, &s, 0);
	/* ACK before the SYN+ACK: still waiting, nothing marked. */
	r = decide(w->f, &ack, 1);
	ck_assert(!r.completed);
	ck_assert_uint_eq(r.mark_set, 0);
	r = decide(w->f, &sa, 2);
	ck_assert_int_eq(r.verdict, POLICY_ACCEPT);
	ck_assert_uint_eq(w->f->stats.handshake_synacks, 1);
	/* A blind ACK that does not acknowledge the SYN+ACK completes nothing. */
	ack.ack = sa.seq + 2;
	r = decide(w->f, &ack, 4);
	ck_assert(!r.completed);
	ck_assert_uint_eq(r.mark_set, 0);
	ck_assert_uint_eq(w->f->stats.handshake_bad_acks, 1);
	ack.ack = sa.seq + 1;
	r = decide(w->f, &ack, 5);
	ck_assert(r.completed);
	ck_assert(r.verified);
	ck_assert_uint_eq(r.mark_set, w->f->conf.done_mark);
	ck_assert_uint_eq(r.handshake_us, 5000);
	ck_assert_uint_eq(w->f->stats.passive_verified, 1);
	ck_assert_uint_eq(w->ho.svc[POLICY_SVC_CATCHALL].halfopen, 0);
	/* The source is now verified: not challenged during an attack. */
	w->f->pc.svc[POLICY_SVC_CATCHALL].attack = true;
	s.sport = 40001;
	r = decide(w->f, &s, 10);
	ck_assert_int_eq(r.verdict, POLICY_ACCEPT);
	ck_assert(!r.challenge);
	/* An ACK of a connection nobody follows is marked done (no more queueing). */
	ack.sport = 555;
	ck_assert_uint_eq(decide(w->f, &ack, 11).mark_set, w->f->conf.done_mark);
	wfix_free(w);
}
END_TEST

START_TEST(policy_tracked_rst_from_server_ends_handshake)
{
	struct wfix *w = wfix_new(CONF_MODE_ADAPTIVE);
	struct pkt s = syn4(4, 40000, 1000), rst = reply_of(&s, PKT_TH_RST | PKT_TH_ACK);
	struct policy_result r;

	decide(w->f, &s, 0);
	r = decide(w->f, &rst, 1);
	ck_assert_int_eq(r.verdict, POLICY_ACCEPT);
	ck_assert_uint_eq(r.mark_set, w->f->conf.done_mark);
	ck_assert_uint_eq(w->f->stats.handshakes_reset, 1);
	ck_assert_uint_eq(w->ho.svc[POLICY_SVC_CATCHALL].reset, 1);
	ck_assert_uint_eq(w->f->stats.cookies_invalid, 0);
	wfix_free(w);
}
END_TEST

static void add_list(struct acl **a, const char *cidr)
{
	uint8_t addr[16];
	unsigned prefix;
	int family;

	ck_assert_int_eq(acl_parse_cidr(cidr, &family, addr, &prefix), ACL_OK);
	if (!*a)
		*a = acl_new();
	ck_assert_int_eq(acl_add(*a, family, addr, prefix), 0);
	acl_finish(*a);
}

START_TEST(policy_allow_and_deny_lists)
{
	struct wfix *w = wfix_new(CONF_MODE_ALWAYS);
	struct pkt bad = syn4(66, 1, 1), good = syn4(77, 1, 1);
	struct policy_result r;

	add_list(&w->f->conf.deny, "192.0.2.64/29");
	add_list(&w->f->conf.allow, "192.0.2.77");
	r = decide(w->f, &bad, 0);
	ck_assert_int_eq(r.verdict, POLICY_DROP);
	ck_assert(!r.challenge);
	ck_assert_uint_eq(w->f->stats.syn_denied, 1);
	/* Allowed: never challenged (mode always), never limited. */
	w->f->conf.limit_syn_source = (struct conf_rate){ 1, 1 };
	for (int i = 0; i < 5; i++) {
		good.sport = (uint16_t)(100 + i);
		r = decide(w->f, &good, 0);
		ck_assert_int_eq(r.verdict, POLICY_ACCEPT);
	}
	ck_assert_uint_eq(w->f->stats.syn_allowed, 5);
	ck_assert_uint_eq(w->f->stats.limited_syn_source, 0);
	/* Monitor mode counts a denied SYN but lets it pass. */
	w->f->conf.mode = CONF_MODE_MONITOR;
	ck_assert_int_eq(decide(w->f, &bad, 1).verdict, POLICY_ACCEPT);
	ck_assert_uint_eq(w->f->stats.syn_denied, 2);
	wfix_free(w);
}
END_TEST

START_TEST(policy_source_limit_applies_to_verified_sources)
{
	struct wfix *w = wfix_new(CONF_MODE_ALWAYS);
	struct pkt s = syn4(9, 1, 1), other = syn4(10, 1, 1);
	int accepted = 0;

	w->f->conf.limit_syn_source = (struct conf_rate){ 10, 5 };
	policy_verify_source(&w->f->pc, AF_INET, s.src, 0);
	policy_verify_source(&w->f->pc, AF_INET, other.src, 0);
	for (int i = 0; i < 20; i++) {
		s.sport = (uint16_t)(1000 + i);
		accepted += decide(w->f, &s, 0).verdict == POLICY_ACCEPT;
	}
	ck_assert_int_eq(accepted, 5);	/* the burst */
	ck_assert_uint_eq(w->f->stats.limited_syn_source, 15);
	/* Another source is unaffected; 100 ms later one more token. */
	ck_assert_int_eq(decide(w->f, &other, 0).verdict, POLICY_ACCEPT);
	s.sport = 2000;
	ck_assert_int_eq(decide(w->f, &s, 100).verdict, POLICY_ACCEPT);
	ck_assert_int_eq(decide(w->f, &s, 100).verdict, POLICY_DROP);
	wfix_free(w);
}
END_TEST

START_TEST(policy_synack_limits_per_victim_and_total)
{
	struct wfix *w = wfix_new(CONF_MODE_ALWAYS);
	struct pkt s = syn4(20, 1, 1);
	int challenges = 0;

	/* A flood spoofing one victim: at most the burst of SYN+ACKs go there. */
	w->f->conf.limit_synack_dest = (struct conf_rate){ 10, 10 };
	for (int i = 0; i < 100; i++) {
		s.sport = (uint16_t)(1000 + i);
		challenges += decide(w->f, &s, 0).challenge;
	}
	ck_assert_int_eq(challenges, 10);
	ck_assert_uint_eq(w->f->stats.limited_synack_dest, 90);
	/* And in total, whatever the spread of victims. */
	w->f->conf.limit_synack_total = (struct conf_rate){ 5, 5 };
	policy_init(&w->f->pc, 1000);
	challenges = 0;
	for (int i = 0; i < 50; i++) {
		struct pkt v = syn4((uint8_t)(100 + i), 1, 1);

		challenges += decide(w->f, &v, 1000).challenge;
	}
	ck_assert_int_eq(challenges, 5);
	ck_assert_uint_eq(w->f->stats.limited_synack_total, 45);
	wfix_free(w);
}
END_TEST

START_TEST(policy_invalid_rst_budget)
{
	struct wfix *w = wfix_new(CONF_MODE_ALWAYS);
	struct pkt s = syn4(30, 1, 1), rst;
	struct policy_result r = decide(w->f, &s, 0);
	uint32_t good = r.synack_ack;

	w->f->conf.limit_rst_source = (struct conf_rate){ 1, 3 };
	rst = rst_for(&s, good + 1);
	for (int i = 0; i < 3; i++)
		decide(w->f, &rst, 0);
	ck_assert_uint_eq(w->f->stats.cookies_invalid, 3);
	/* Budget spent: not even the right cookie is checked now. */
	rst = rst_for(&s, good);
	ck_assert_int_eq(decide(w->f, &rst, 0).verdict, POLICY_DROP);
	ck_assert_uint_eq(w->f->stats.limited_rst_source, 1);
	ck_assert_uint_eq(w->f->stats.cookies_valid, 0);
	/* A second later one guess is allowed again, and this one is right. */
	ck_assert(decide(w->f, &rst, 1000).verified);
	wfix_free(w);
}
END_TEST

START_TEST(policy_services_are_separated)
{
	struct wfix *w = wfix_new(CONF_MODE_ADAPTIVE);
	struct pkt web = syn4(40, 1, 1), ssh = syn4(40, 2, 1);
	struct policy_result r;

	w->f->conf.nservices = 1;
	strcpy(w->f->conf.services[0].name, "web");
	w->f->conf.services[0].family = AF_INET;
	memcpy(w->f->conf.services[0].addr, web.dst, 4);
	w->f->conf.services[0].port = 80;
	ssh.dport = 22;
	w->f->pc.svc[0].attack = true;
	r = decide(w->f, &web, 0);
	ck_assert_uint_eq(r.svc, 0);
	ck_assert(r.challenge);
	r = decide(w->f, &ssh, 0);
	ck_assert_uint_eq(r.svc, POLICY_SVC_CATCHALL);
	ck_assert(!r.challenge);
	ck_assert_uint_eq(w->f->pc.svc[0].challenges, 1);
	ck_assert_uint_eq(w->f->pc.svc[POLICY_SVC_CATCHALL].accepted, 1);
	wfix_free(w);
}
END_TEST

/* --- the full SYN proxy ---------------------------------------------------- */

/* The client's ACK of the proxy SYN+ACK r answered its SYN with. */
static struct pkt cookie_ack(const struct pkt *syn, const struct policy_result *r)
{
	struct pkt a = *syn;

	a.flags = PKT_TH_ACK;
	a.seq = syn->seq + 1;
	a.ack = r->synack_seq + 1;
	return a;
}

/* One service, "web": p's destination address, port 80, challenge ch,
 * no option overrides. */
static void web_service(struct wfix *w, const struct pkt *p, enum conf_challenge ch)
{
	struct conf_service *sv = &w->f->conf.services[0];

	w->f->conf.nservices = 1;
	strcpy(sv->name, "web");
	sv->family = AF_INET;
	memcpy(sv->addr, p->dst, 4);
	sv->port = 80;
	sv->challenge = ch;
	sv->mss = CONF_OPT_UNSET;
	sv->wscale = CONF_OPT_UNSET;
	sv->sack = CONF_OPT_UNSET;
}

START_TEST(policy_proxy_handshake_decisions)
{
	struct wfix *w = wfix_new(CONF_MODE_ALWAYS);
	struct proxy_table pt;
	struct siphash_key k = { 21, 22 };
	struct pkt s = syn4(50, 41000, 5000), ack, data, sa, rst;
	struct policy_result r;
	struct sg_tuple t = { .family = AF_INET, .client_port = 41000, .server_port = 80 };
	struct cookie_opts co;

	ck_assert_int_eq(proxy_init(&pt, 64, 4096, &k), 0);
	w->f->pc.proxy = &pt;
	w->f->conf.challenge = CONF_CHALLENGE_PROXY;
	s.opt.has_mss = true;
	s.opt.mss = 1400;
	s.opt.has_wscale = true;
	s.opt.wscale = 8;
	s.opt.sack_ok = true;
	/* SYN: a valid SYN+ACK carrying the cookie, with the server's options. */
	r = decide(w->f, &s, 0);
	ck_assert_int_eq(r.verdict, POLICY_DROP);
	ck_assert(r.challenge && r.proxy);
	ck_assert_uint_eq(r.synack_ack, 5001);
	ck_assert_uint_eq(r.synack_mss, 1460);
	ck_assert_uint_eq(r.synack_wscale, 7);
	ck_assert(r.synack_sack);
	memcpy(t.client, s.src, 16);
	memcpy(t.server, s.dst, 16);
	ck_assert_int_eq(cookie_proxy_check(&w->f->cookies, &t, 5000, r.synack_seq, &co),
			 COOKIE_VALID_CURRENT);
	/* A wrong ACK is nobody's: dropped, not proxied. */
	ack = s;
	ack.flags = PKT_TH_ACK;
	ack.seq = 5001;
	ack.ack = r.synack_seq + 2;
	r = decide(w->f, &ack, 1);
	ck_assert_int_eq(r.proxy_action, PROXY_NONE);
	ck_assert_int_eq(r.verdict, POLICY_DROP);
	ck_assert_uint_eq(w->f->stats.proxy_invalid, 1);
	ck_assert_uint_eq(w->f->stats.proxy_started, 0);
	r = decide(w->f, &s, 1);	/* the SYN again: the same cookie */
	/* The client's ACK: connect to the server with its options. */
	ack.ack = r.synack_seq + 1;
	ack.window = 502;
	r = decide(w->f, &ack, 1);
	ck_assert_int_eq(r.proxy_action, PROXY_CONNECT);
	ck_assert_int_eq(r.verdict, POLICY_DROP);
	ck_assert_uint_eq(r.conn->client_isn, 5000);
	ck_assert_uint_eq(r.conn->proxy_isn, ack.ack - 1);
	ck_assert_uint_eq(r.conn->client_mss, 1300);
	ck_assert_uint_eq(r.conn->client_wscale, 8);
	ck_assert(r.conn->sack);
	ck_assert_uint_eq(r.conn->client_window, 502);
	ck_assert_uint_eq(w->f->stats.proxy_started, 1);
	/* Data right behind it is held. */
	data = ack;
	data.payload_len = 100;
	ck_assert_int_eq(decide(w->f, &data, 2).proxy_action, PROXY_HOLD);
	/* The server's SYN+ACK: only if it acknowledges the client's ISN. */
	sa = reply_of(&s, PKT_TH_SYN | PKT_TH_ACK);
	sa.seq = 900000;
	sa.ack = 4242;
	sa.opt.has_mss = true;
	sa.opt.mss = 1380;
	sa.opt.has_wscale = true;
	sa.opt.wscale = 3;
	sa.opt.sack_ok = false;
	r = decide(w->f, &sa, 3);
	ck_assert_int_eq(r.proxy_action, PROXY_NONE);
	ck_assert_int_eq(r.verdict, POLICY_DROP);
	sa.ack = 5001;
	r = decide(w->f, &sa, 3);
	ck_assert_int_eq(r.proxy_action, PROXY_HANDOVER);
	ck_assert_ptr_nonnull(r.conn);
	/* ... and the service's options are learned from it. */
	ck_assert_uint_eq(w->f->pc.svc[POLICY_SVC_CATCHALL].learned.mss, 1380);
	ck_assert_uint_eq(w->f->pc.svc[POLICY_SVC_CATCHALL].learned.wscale, 3);
	proxy_remove(&pt, r.conn);
	/* The next SYN+ACK announces them. */
	s.sport = 41001;
	r = decide(w->f, &s, 4);
	ck_assert_uint_eq(r.synack_mss, 1380);
	ck_assert_uint_eq(r.synack_wscale, 3);
	ck_assert(!r.synack_sack);
	/* A client without window scaling gets none announced. */
	s.sport = 41002;
	s.opt.has_wscale = false;
	ck_assert_uint_eq(decide(w->f, &s, 4).synack_wscale, PKT_NO_WSCALE);
	/* Server refusal: the client is to be reset. */
	s.sport = 41003;
	s.opt.has_wscale = true;
	r = decide(w->f, &s, 5);
	ack = cookie_ack(&s, &r);
	ck_assert_int_eq(decide(w->f, &ack, 5).proxy_action, PROXY_CONNECT);
	rst = reply_of(&s, PKT_TH_RST | PKT_TH_ACK);
	rst.ack = s.seq + 1;
	ck_assert_int_eq(decide(w->f, &rst, 6).proxy_action, PROXY_REFUSED);
	proxy_free(&pt);
	wfix_free(w);
}
END_TEST

/* Segments without SYN of no connection to a proxied service (a spoofed
 * ACK, FIN or RST+ACK flood) are dropped and counted; a proxied
 * handshake's own, either direction, are not; neither are those to a
 * service that is not proxied, nor anything in monitor mode. */
START_TEST(policy_proxy_drops_strays)
{
	struct wfix *w = wfix_new(CONF_MODE_ALWAYS);
	struct proxy_table pt;
	struct siphash_key k = { 25, 26 };
	struct pkt s = syn4(70, 42000, 7000), ack, fin, rsta, srv, other;
	struct policy_result r;
	static const uint8_t kinds[] = { PKT_TH_ACK, PKT_TH_ACK | PKT_TH_FIN,
					 PKT_TH_ACK | PKT_TH_RST, PKT_TH_FIN, 0,
					 PKT_TH_SYN | PKT_TH_ACK };

	ck_assert_int_eq(proxy_init(&pt, 64, 4096, &k), 0);
	w->f->pc.proxy = &pt;
	web_service(w, &s, CONF_CHALLENGE_PROXY);
	for (size_t i = 0; i < sizeof(kinds); i++) {
		struct pkt x = s;

		x.flags = kinds[i];
		x.seq = 123456;
		x.ack = 654321;
		r = decide(w->f, &x, 0);
		ck_assert_msg(r.verdict == POLICY_DROP, "flags %#x accepted", kinds[i]);
	}
	ck_assert_uint_eq(w->f->stats.proxy_invalid, sizeof(kinds));
	ck_assert_uint_eq(w->f->stats.tcp_other + w->f->stats.rst_other, 0);
	/* A followed handshake's (the track bit from the rules), its entry
	 * gone (expired, or a restart): passed on, not a stray. */
	other = s;
	other.flags = PKT_TH_ACK;
	other.ack = 654321;
	other.mark = w->f->conf.track_mark;
	ck_assert_int_eq(decide(w->f, &other, 0).verdict, POLICY_ACCEPT);
	ck_assert_uint_eq(w->f->stats.tcp_other, 1);
	/* A proxied handshake: its client's data and the server's packets pass. */
	r = decide(w->f, &s, 1);
	ack = cookie_ack(&s, &r);
	ck_assert_int_eq(decide(w->f, &ack, 2).proxy_action, PROXY_CONNECT);
	srv = reply_of(&s, PKT_TH_ACK);
	srv.seq = 1;
	srv.ack = s.seq + 1;
	ck_assert_int_eq(decide(w->f, &srv, 3).verdict, POLICY_ACCEPT);
	fin = ack;
	fin.flags = PKT_TH_ACK | PKT_TH_FIN;
	ck_assert_ptr_nonnull(decide(w->f, &fin, 3).conn);	/* its own: the handshake's */
	ck_assert_uint_eq(w->f->stats.proxy_invalid, sizeof(kinds));
	/* Another service, auth: an ACK of no connection goes on. */
	other = s;
	other.dport = 22;
	other.flags = PKT_TH_ACK;
	other.ack = 1;
	ck_assert_int_eq(decide(w->f, &other, 3).verdict, POLICY_ACCEPT);
	/* Monitor mode counts, drops nothing. */
	w->f->conf.mode = CONF_MODE_MONITOR;
	rsta = s;
	rsta.sport = 42001;
	rsta.flags = PKT_TH_ACK | PKT_TH_RST;
	ck_assert_int_eq(decide(w->f, &rsta, 4).verdict, POLICY_ACCEPT);
	ck_assert_uint_eq(w->f->stats.proxy_invalid, sizeof(kinds) + 1);
	proxy_free(&pt);
	wfix_free(w);
}
END_TEST

START_TEST(policy_proxy_per_service_and_auth_elsewhere)
{
	struct wfix *w = wfix_new(CONF_MODE_ALWAYS);
	struct proxy_table pt;
	struct siphash_key k = { 23, 24 };
	struct pkt web = syn4(60, 1, 1), other = syn4(60, 2, 1);

	ck_assert_int_eq(proxy_init(&pt, 64, 0, &k), 0);
	w->f->pc.proxy = &pt;
	web_service(w, &web, CONF_CHALLENGE_AUTO);
	w->f->conf.services[0].wscale = 9;
	web.opt.has_wscale = true;
	other.dport = 22;
	ck_assert(decide(w->f, &web, 0).proxy);
	ck_assert_uint_eq(decide(w->f, &web, 0).synack_wscale, 9);	/* configured */
	ck_assert(!decide(w->f, &other, 0).proxy);	/* auth: the catch-all's default */
	proxy_free(&pt);
	wfix_free(w);
}
END_TEST

/* A RST the rules queued as one of a connection conntrack follows (the
 * done bit in its mark): accepted whatever its sequence, counted, and its
 * entry's timeout to be restored; the same RST without the bit is checked
 * as a cookie answer and dropped. */
START_TEST(rst_of_connection)
{
	struct fixture *f = fx_new(CONF_MODE_ALWAYS);
	struct pkt rst;
	struct policy_result r;

	rst = syn4(9, 41000, 100);
	rst.flags = PKT_TH_RST;
	rst.seq = 0x12345678;
	rst.mark = f->conf.done_mark;
	r = decide(f, &rst, 1);
	ck_assert_int_eq(r.verdict, POLICY_ACCEPT);
	ck_assert(r.ct_restore);
	ck_assert_uint_eq(f->stats.rst_established, 1);
	ck_assert_uint_eq(f->stats.cookies_invalid, 0);
	rst.mark = 0;
	r = decide(f, &rst, 2);
	ck_assert_int_eq(r.verdict, POLICY_DROP);
	ck_assert(!r.ct_restore);
	ck_assert_uint_eq(f->stats.cookies_invalid, 1);
	ck_assert_uint_eq(f->stats.rst_established, 1);
	fx_free(f);
}
END_TEST

/* A handed-over connection's late packets (acknowledging K + 1) are passed
 * on, the first PROXY_FORWARD_MAX of them; then dropped and counted, so a
 * packet that keeps coming back to the queue is not passed on forever. */
START_TEST(proxy_forward_capped)
{
	struct wfix *w = wfix_new(CONF_MODE_ALWAYS);
	struct proxy_table pt;
	struct siphash_key k = { 31, 32 };
	struct pkt ack = syn4(60, 42000, 7000);
	struct sg_tuple t = { .family = AF_INET, .client_port = 42000, .server_port = 80 };
	struct proxy_conn *c, ev;
	struct policy_result r;

	ck_assert_int_eq(proxy_init(&pt, 64, 0, &k), 0);
	w->f->pc.proxy = &pt;
	w->f->conf.challenge = CONF_CHALLENGE_PROXY;
	memcpy(t.client, ack.src, 16);
	memcpy(t.server, ack.dst, 16);
	c = proxy_add(&pt, &t, 60ULL * 1000000, &ev);
	ck_assert_ptr_nonnull(c);
	c->state = PROXY_ST_HANDED;
	c->proxy_isn = 0x1000;
	ack.flags = PKT_TH_ACK;
	ack.seq = 7001;
	ack.ack = 0x1001;
	for (unsigned i = 0; i < PROXY_FORWARD_MAX; i++) {
		r = decide(w->f, &ack, 1);
		ck_assert_int_eq(r.verdict, POLICY_DROP);
		ck_assert_int_eq(r.proxy_action, PROXY_FORWARD);
	}
	r = decide(w->f, &ack, 2);
	ck_assert_int_eq(r.verdict, POLICY_DROP);
	ck_assert_int_eq(r.proxy_action, PROXY_NONE);
	ck_assert_uint_eq(w->f->stats.proxy_forward_capped, 1);
	proxy_free(&pt);
	w->f->pc.proxy = NULL;
	wfix_free(w);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = unit_tcase("core");

	tcase_add_test(tc, policy_unverified_syn_is_challenged_with_valid_cookie);
	tcase_add_test(tc, policy_valid_rst_verifies_source_then_syn_accepted);
	tcase_add_test(tc, policy_each_packet_counted_under_one_reason);
	tcase_add_test(tc, policy_invalid_rst_dropped_rst_ack_accepted);
	tcase_add_test(tc, rst_of_connection);
	tcase_add_test(tc, proxy_forward_capped);
	tcase_add_test(tc, policy_source_prefix_lengths);
	tcase_add_test(tc, policy_ipv6_sources_keyed_by_64);
	tcase_add_test(tc, policy_retransmission_fallback_window);
	tcase_add_test(tc, policy_monitor_accepts_everything_and_counts);
	tcase_add_test(tc, policy_bad_packets_classified_never_answered);
	tcase_add_test(tc, policy_adaptive_passive_then_attack);
	tcase_add_test(tc, policy_handshake_completion_verifies_passively);
	tcase_add_test(tc, policy_tracked_rst_from_server_ends_handshake);
	tcase_add_test(tc, policy_allow_and_deny_lists);
	tcase_add_test(tc, policy_source_limit_applies_to_verified_sources);
	tcase_add_test(tc, policy_synack_limits_per_victim_and_total);
	tcase_add_test(tc, policy_invalid_rst_budget);
	tcase_add_test(tc, policy_services_are_separated);
	tcase_add_test(tc, policy_proxy_handshake_decisions);
	tcase_add_test(tc, policy_proxy_per_service_and_auth_elsewhere);
	tcase_add_test(tc, policy_proxy_drops_strays);
	suite_add_tcase(s, tc);
	return s;
}
