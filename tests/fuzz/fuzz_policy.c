/* Fuzz target: policy_decide over a sequence of packets, with every
 * optional table in place (verified sources, SYN fingerprints, half-open
 * tracking, limits, heavy hitters, the proxy's in-flight handshakes).
 * Input: one byte picks the config (auth, proxy, auto with services and
 * tight limits, monitor, lists), then records: a flags byte, a time step
 * byte (ms), a 2-byte length, and that many bytes of packet (IP header
 * on).  Flags: bit 0 makes the checksums valid, bit 1 makes the packet
 * answer the last challenge from its SYN's source: an ACK acknowledging the
 * SYN+ACK's sequence + 1, a RST whose sequence is its acknowledgment
 * number (the paths behind a valid cookie are reached), bit 2
 * lets the packet come from the server (addresses and ports of the last
 * SYN swapped: the proxy's server side).  Properties: no crash, no leak;
 * a challenge is always a drop; a proxy SYN+ACK builds and parses. */
#include <stdlib.h>
#include <sys/socket.h>

#include "bucket.h"
#include "conf.h"
#include "cookie.h"
#include "fuzz.h"
#include "halfopen.h"
#include "hh.h"
#include "policy.h"
#include "proxy.h"
#include "stats.h"
#include "table.h"

static const char *const configs[] = {
	"mode = always\nchallenge = auth\n",
	"mode = always\nchallenge = proxy\nproxy_early_data = 4096\n",
	("mode = adaptive\nchallenge = auto\nservice = web 203.0.113.2:80\n"
	 "service = web6 [2001:db8:3::2]:80 challenge=proxy wscale=7\n"
	 "limit_syn_source = 5/s burst 5\nlimit_rst_source = 2/s burst 2\nattack_synrate_high = 10\n"
	 "attack_synrate_low = 5\nattack_halfopen_high = 4\nattack_halfopen_low = 2\n"),
	"mode = monitor\nchallenge = proxy\n",
	("mode = always\nchallenge = auth\nallow = 192.0.2.0/28\ndeny = 198.18.0.0/16 2001:db8:ff00::/40\n"
	 "verified_prefix4 = 24\nverified_prefix6 = 48\nretransmit_min = 0s\n"),
};
#define NCONFIGS (sizeof(configs) / sizeof(configs[0]))

/* The configs, parsed once (policy_decide only reads its conf). */
static struct conf confs[NCONFIGS];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	for (unsigned i = 0; i < NCONFIGS; i++) {
		conf_defaults(&confs[i]);
		if (conf_parse_text(&confs[i], "fuzz.conf", configs[i], stderr) != 0)
			abort();
	}
	return 0;
}

struct ctx {
	const struct conf *conf;
	struct stats stats;
	struct cookie_ctx cookies;
	struct table verified, retrans;
	struct halfopen ho;
	struct bucket_table lim;
	struct hh top;
	struct proxy_table proxy;
	struct policy_ctx pc;
};

static int ctx_init(struct ctx *c, unsigned which)
{
	struct siphash_key master = { 1, 2 }, k[6] = { { 3, 4 }, { 5, 6 }, { 7, 8 },
						       { 9, 10 }, { 11, 12 }, { 13, 14 } };

	memset(c, 0, sizeof(*c));
	c->conf = &confs[which];
	cookie_init(&c->cookies, &master, 100);
	if (table_init(&c->verified, 256, POLICY_SRCKEY_LEN, &k[0]) ||
	    table_init(&c->retrans, 256, POLICY_RETRANS_KEYLEN, &k[1]) ||
	    halfopen_init(&c->ho, 256, HALFOPEN_SVC_MAX, 3000000, &k[2]) ||
	    bucket_table_init(&c->lim, 256, &k[3]) || hh_init(&c->top, 16, &k[4]) ||
	    proxy_init(&c->proxy, 64, c->conf->proxy_early_data, &k[5]))
		abort();
	c->pc.conf = c->conf;
	c->pc.cookies = &c->cookies;
	c->pc.verified = &c->verified;
	c->pc.retrans = &c->retrans;
	c->pc.stats = &c->stats;
	c->pc.halfopen = &c->ho;
	c->pc.limits = &c->lim;
	c->pc.top = &c->top;
	c->pc.proxy = &c->proxy;
	c->pc.fp_key = k[0];
	policy_init(&c->pc, 0);
	return 0;
}

static void ctx_free(struct ctx *c)
{
	table_free(&c->verified);
	table_free(&c->retrans);
	halfopen_free(&c->ho);
	bucket_table_free(&c->lim);
	hh_free(&c->top);
	proxy_free(&c->proxy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctx c;
	static uint8_t buf[2048], out[256];
	struct pkt last_syn = { 0 };
	uint32_t last_seq = 0, last_ack = 0;
	uint64_t now_us = 1000000;
	size_t i = 1;
	uint64_t decided = 0;

	if (size < 1)
		return 0;
	ctx_init(&c, data[0] % NCONFIGS);
	while (i + 4 <= size) {
		uint8_t flags = data[i];
		size_t len = (size_t)(data[i + 2] << 8 | data[i + 3]) % sizeof(buf);
		struct policy_result r;
		enum pkt_status st;
		struct pkt p;

		now_us += (uint64_t)data[i + 1] * 1000;
		i += 4;
		if (len > size - i)
			len = size - i;
		memcpy(buf, data + i, len);
		i += len;
		memset(&p, 0, sizeof(p));
		st = (flags & 1) ? fuzz_parse_fixed(buf, len, &p) : pkt_parse(buf, len, &p);
		if (st == PKT_OK && (flags & 4) && last_syn.family == p.family) {
			/* From the server: the last SYN's tuple, reversed. */
			memcpy(p.src, last_syn.dst, 16);
			memcpy(p.dst, last_syn.src, 16);
			p.sport = last_syn.dport;
			p.dport = last_syn.sport;
		}
		if (st == PKT_OK && (flags & 2) && last_syn.family == p.family && !(flags & 4)) {
			memcpy(p.src, last_syn.src, 16);
			memcpy(p.dst, last_syn.dst, 16);
			p.sport = last_syn.sport;
			p.dport = last_syn.dport;
			/* A RST answering an auth cookie SYN+ACK carries its
			 * acknowledgment number as sequence (RFC 793); an ACK
			 * of a proxy cookie acknowledges its sequence + 1. */
			if (p.flags & PKT_TH_RST)
				p.seq = last_ack;
			else
				p.ack = last_seq + 1;
		}
		policy_decide(&c.pc, st, &p, now_us, &r);
		decided++;
		/* Each packet counted under exactly one reason, and the
		 * reasons agree with the finer counters. */
		if (stats_reason_total(&c.stats) != decided || stats_reasons_disagree(&c.stats))
			abort();
		if (r.challenge && r.verdict != POLICY_DROP)
			abort();
		if (st == PKT_OK && (p.flags & (PKT_TH_SYN | PKT_TH_ACK)) == PKT_TH_SYN) {
			last_syn = p;
			if (r.challenge) {
				last_seq = r.synack_seq;
				last_ack = r.synack_ack;
			}
		}
		if (r.challenge && r.proxy) {
			size_t n = policy_proxy_synack(out, sizeof(out), c.conf, &p, &r);
			struct pkt q;

			if (!n || pkt_parse(out, n, &q) != PKT_OK || q.seq != r.synack_seq)
				abort();
		}
	}
	ctx_free(&c);
	return 0;
}
