/* Fuzz target: the kernel fast path program (src/bpf/synguard.bpf.c) through
 * BPF_PROG_TEST_RUN, both entry points (sg_xdp, sg_tc) on every input.
 * LLVMFuzzerInitialize loads the object once per config (in a network
 * namespace of its own: conntrack's lookups find nothing of the host's) and
 * sets it up as the daemon does: cookie keys (fastpath_keys), settings,
 * services, lists and proxy options (fastpath_sync over a parsed config).
 *
 * Input: a raw IP packet, as fuzz_pkt's (its corpus is this target's seeds
 * too).  Bytes past the IP length are link padding, kept in the frame; the
 * first of them is the config byte (none: 0): bits 0-2 the config (modulo
 * NCONFIGS: auth; proxy; adaptive with the tripwire, lists and prefixes;
 * tight limits and retransmit_min 0; no keys written), bit 3 the source
 * verified before the run, bits 4-5 VLAN tags (0, 1, 2; 3: the other
 * family's EtherType), bit 6 the segment echoes a cookie (a RST's sequence
 * the auth cookie, another segment's acknowledgment the proxy cookie + 1;
 * of the previous epoch if the next byte's bit 0 is set), bit 7 the
 * checksums left as they are (else made valid where only they are wrong).
 * The frame: an Ethernet header, the packet, the padding.
 *
 * Properties, for each entry point: the run succeeds; the return code is
 * one of the entry point's (XDP_PASS/DROP/TX; TC_ACT_OK/SHOT, redirect); a
 * frame passed or dropped comes out byte for byte as it went in; an answer
 * (XDP_TX, the redirect) answers a pure SYN without payload that pkt_parse
 * takes, from a source not verified, with keys written: MACs swapped, link
 * header kept, a SYN+ACK with valid checksums from the SYN's destination to
 * its source, the daemon's byte for byte (the auth cookie SYN+ACK of
 * pkt_build_synack, ack the cookie; or the proxy's of policy_decide and
 * policy_proxy_synack, ack = seq + 1), the daemon challenging it the same
 * way; both entry points' answers, when both answer, the same bytes.  At
 * exit: the program's counters (which of its paths ran), and every
 * object's packet count equal to its runs. */
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "accel.h"
#include "accel_fx.h"
#include "clock.h"
#include "conf.h"
#include "cookie.h"
#include "fastpath.h"
#include "fuzz.h"
#include "pkt.h"
#include "policy.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

#define IN_MAX 2048		/* an IP packet and padding: within both hooks' test-run sizes */
#define FRAME_MAX (IN_MAX + 32)
#define OUT_MAX 4096

/* The servers of fuzz_pkt's seeds (mkseeds.py): 203.0.113.2 and
 * 2001:db8:3::2, ports 80 and 443, clients 192.0.2.2 and 2001:db8:1::2. */
static const char *const configs[] = {
	/* 0: auth on port 80 of both servers, 443 proxied on any address,
	 * the catch-all on 8000-8100, no reflection limits. */
	("mode = always\nchallenge = auth\n"
	 "service = web 203.0.113.2:80\nservice = web6 [2001:db8:3::2]:80\n"
	 "service = tls *:443 challenge=proxy\naccel_ports = 8000:8100\n"
	 "limit_synack_dest = off\nlimit_synack_total = off\nlimit_rst_source = off\n"),
	/* 1: the proxy on port 80 (the IPv6 server's options configured),
	 * auth on 443, the catch-all proxied too. */
	("mode = always\nchallenge = proxy\nproxy_early_data = 8Ki\n"
	 "service = web 203.0.113.2:80\n"
	 "service = web6 [2001:db8:3::2]:80 mss=1400 wscale=7 sack=yes\n"
	 "service = tls *:443 challenge=auth\naccel_ports = 1:1024\n"
	 "limit_synack_dest = off\nlimit_synack_total = off\nlimit_rst_source = off\n"),
	/* 2: adaptive (the tripwire: 50/s, burst 16), auto on port 80, lists
	 * next to the seeds' clients, wider verified prefixes. */
	("mode = adaptive\nchallenge = auto\n"
	 "service = web 203.0.113.2:80\nservice = web6 [2001:db8:3::2]:80 challenge=proxy\n"
	 "service = tls *:443 challenge=auth\n"
	 "attack_synrate_high = 50\nattack_synrate_low = 10\n"
	 "allow = 192.0.2.128/25 2001:db8:1::80/121\ndeny = 192.0.2.64/26 2001:db8:1::40/122\n"
	 "verified_prefix4 = 24\nverified_prefix6 = 48\n"
	 "limit_synack_dest = off\nlimit_synack_total = off\n"),
	/* 3: tight reflection and RST limits, per /24 and /48; the same SYN
	 * again at once is a retransmission (XDP then TC). */
	("mode = always\nchallenge = auth\n"
	 "service = web 203.0.113.2:80\nservice = web6 [2001:db8:3::2]:80\n"
	 "service = tls *:443 challenge=proxy\n"
	 "limit_synack_dest = 5/s burst 5\nlimit_synack_total = 20/s burst 20\n"
	 "limit_rst_source = 2/s burst 2\nlimit_prefix4 = 24\nlimit_prefix6 = 48\n"
	 "retransmit_min = 0s\nretransmit_max = 2s\n"),
	/* 4: config 0 but the keys never written: nothing is answered. */
	("mode = always\nchallenge = auth\n"
	 "service = web 203.0.113.2:80\nservice = web6 [2001:db8:3::2]:80\n"
	 "service = tls *:443 challenge=proxy\naccel_ports = 8000:8100\n"
	 "limit_synack_dest = off\nlimit_synack_total = off\nlimit_rst_source = off\n"),
};
#define NCONFIGS (sizeof(configs) / sizeof(configs[0]))
#define CFG_NO_KEYS 4
/* The tables' sizes of every config: small, five objects are loaded. */
static const char sizes[] = "verified_max = 4096\nretransmit_table = 4096\nlimit_table = 4096\n"
			    "verified_ttl = 10m\n";

struct cfg {
	struct accel_fx fx;
	struct accel *accel;
	uint64_t runs;		/* test runs: the program's packets */
	bool tripped;
};

static struct cfg cfgs[NCONFIGS];
static struct cookie_ctx cookies, older;
static const struct siphash_key fp_key = { 0x0102030405060708ULL, 0x1112131415161718ULL };
/* The daemon's clock for the policy's decisions: a day apart, from a day
 * after the sources verified in real time (fastpath_events), so that no
 * table entry or bucket of one input is left for the next. */
static uint64_t oracle_us;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_bpf: %s\n", what);
	abort();
}

/* Not root, no BPF, no namespaces: the target cannot run here (77, which
 * scripts/fuzz reports as skipped outside CI). */
static void cannot_run(const char *why)
{
	fprintf(stderr, "fuzz_bpf: cannot run: %s\n", why);
	fflush(stderr);
	_exit(77);
}

static void on_trip(void *arg, unsigned svc)
{
	struct cfg *c = arg;

	/* The daemon starts the service's attack: the policy challenges as
	 * the program does from now on. */
	c->fx.pc.svc[svc].attack = true;
	c->tripped = true;
}

static void print_paths(void)
{
	static const char *const names[] = {
#define X(name, help) #name,
		SG_BPF_STATS(X)
#undef X
	};
	unsigned hit = 0;

	fprintf(stderr, "fuzz_bpf: program paths (sg_stats, all configs):");
	for (unsigned s = 0; s < SG_BPF_NSTATS; s++) {
		uint64_t sum = 0, v;

		for (unsigned i = 0; i < NCONFIGS; i++)
			if (cfgs[i].accel && accel_stat(cfgs[i].accel, s, &v) == 0)
				sum += v;
		hit += sum > 0;
		fprintf(stderr, " %s=%llu", names[s], (unsigned long long)sum);
	}
	fprintf(stderr, "\nfuzz_bpf: %u of %u counters hit\n", hit, (unsigned)SG_BPF_NSTATS);
	for (unsigned i = 0; i < NCONFIGS; i++) {
		uint64_t v;

		if (cfgs[i].accel && accel_stat(cfgs[i].accel, SG_BPF_packets, &v) == 0 &&
		    v != cfgs[i].runs) {
			fprintf(stderr, "fuzz_bpf: config %u counted %llu packets in %llu runs\n", i,
				(unsigned long long)v, (unsigned long long)cfgs[i].runs);
			_exit(1);
		}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct siphash_key master = { 0xa5a5a5a5deadbeefULL, 0x0123456789abcdefULL };
	char err[512], text[2048];

	(void)argc, (void)argv;
	if (geteuid() != 0)
		cannot_run("loading BPF programs needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN)");
	if (unshare(CLONE_NEWNET) < 0) {
		snprintf(err, sizeof(err), "no network namespace of its own: %s", strerror(errno));
		cannot_run(err);
	}
	oracle_us = clock_mono_us() + 86400ULL * 1000000;
	cookie_init(&cookies, &master, 28999999);
	older = cookies;
	cookie_set_epoch(&older, cookies.epoch - 1);
	for (unsigned i = 0; i < NCONFIGS; i++) {
		struct cfg *c = &cfgs[i];
		struct conf *cf = &c->fx.conf;

		conf_defaults(cf);
		snprintf(text, sizeof(text), "%s%s", configs[i], sizes);
		if (conf_parse_text(cf, "fuzz_bpf.conf", text, stderr) != 0)
			fail("a config does not parse");
		c->accel = accel_open(accel_fx_object(), &(struct accel_sizes){
				.verified = cf->verified_max, .retrans = cf->retransmit_table,
				.victims = cf->limit_table }, err, sizeof(err));
		if (!c->accel) {
			int e = errno;

			fprintf(stderr, "fuzz_bpf: %s (%s)\n", err, accel_fx_object());
			if (e == EPERM || e == EACCES || e == ENOSYS || e == EOPNOTSUPP)
				cannot_run("the kernel does not let this process load BPF programs");
			fail("the program does not load");
		}
		if (accel_fx_init(&c->fx, c->accel, &cookies) < 0)
			fail("tables");
		if (i != CFG_NO_KEYS)
			fastpath_keys(&c->fx.fp, &cookies, &fp_key);
	}
	atexit(print_paths);
	fprintf(stderr, "fuzz_bpf: %u configs loaded from %s\n", (unsigned)NCONFIGS, accel_fx_object());
	return 0;
}

/* The bytes of the IP packet at buf (its length field's), 0 if it has
 * none or it is longer than size. */
static size_t ip_len(const uint8_t *buf, size_t size)
{
	size_t n = 0;

	if (size >= 4 && buf[0] >> 4 == 4)
		n = (size_t)(buf[2] << 8 | buf[3]);
	else if (size >= 6 && buf[0] >> 4 == 6)
		n = 40 + (size_t)(buf[4] << 8 | buf[5]);
	return n <= size ? n : 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Bit 6: the segment echoes a cookie of the tuple, the checksum made
 * valid again. */
static void echo_cookie(uint8_t *buf, size_t len, const struct pkt *p, bool prev)
{
	const struct cookie_ctx *ctx = prev ? &older : &cookies;
	struct cookie_opts o = { .mss = 1460, .wscale = 7, .sack = true };
	struct sg_tuple t;
	struct pkt q;

	if (p->l4off + 20 > len)
		return;
	pkt_tuple(p, &t);
	if ((p->flags & (PKT_TH_RST | PKT_TH_ACK | PKT_TH_SYN)) == PKT_TH_RST)
		put32(buf + p->l4off + 4, cookie_make(ctx, &t, 0));
	else
		put32(buf + p->l4off + 8, cookie_proxy_make(ctx, &t, p->seq - 1, &o) + 1);
	memset(&q, 0, sizeof(q));
	(void)fuzz_parse_fixed(buf, len, &q);
}

/* Answer out (outlen bytes) of program run on frame in (l2 bytes of link
 * header): the properties above. */
static void check_answer(struct cfg *c, const uint8_t *in, size_t inlen, size_t l2,
			 const uint8_t *out, size_t outlen, bool verified)
{
	uint8_t want[256];
	struct policy_result r;
	struct pkt syn, sa;
	uint32_t cookie;
	size_t n;

	if (c == &cfgs[CFG_NO_KEYS])
		fail("answered without keys");
	if (verified)
		fail("answered a verified source's SYN");
	if (outlen <= l2 || memcmp(out, in + 6, 6) || memcmp(out + 6, in, 6) ||
	    memcmp(out + 12, in + 12, l2 - 12))
		fail("answer's link header: MACs not swapped or tags changed");
	memset(&syn, 0, sizeof(syn));
	if (pkt_parse(in + l2, inlen - l2, &syn) != PKT_OK ||
	    (syn.flags & (PKT_TH_SYN | PKT_TH_ACK | PKT_TH_RST | PKT_TH_FIN)) != PKT_TH_SYN ||
	    syn.payload_len)
		fail("answered what is not a pure SYN without payload that pkt_parse takes");
	memset(&sa, 0, sizeof(sa));
	if (pkt_parse(out + l2, outlen - l2, &sa) != PKT_OK || !sa.csum_verified)
		fail("answer does not parse as a whole TCP segment with valid checksums");
	if (sa.flags != (PKT_TH_SYN | PKT_TH_ACK) || sa.family != syn.family ||
	    memcmp(sa.src, syn.dst, 16) || memcmp(sa.dst, syn.src, 16) ||
	    sa.sport != syn.dport || sa.dport != syn.sport)
		fail("answer is not a SYN+ACK from the SYN's destination to its source");
	oracle_us += 86400ULL * 1000000;
	if (sa.ack == syn.seq + 1) {
		n = accel_fx_proxy_synack(&c->fx, &syn, oracle_us, want, sizeof(want));
		if (!n)
			fail("proxy SYN+ACK for a SYN the daemon does not challenge with the proxy");
	} else {
		n = accel_fx_auth_synack(want, sizeof(want), c->accel, &cookies, &syn, &cookie);
		if (sa.ack != cookie)
			fail("auth SYN+ACK without the daemon's cookie");
		policy_decide(&c->fx.pc, PKT_OK, &syn, oracle_us, &r);
		if (!r.challenge || r.proxy)
			fail("auth SYN+ACK for a SYN the daemon does not challenge with the cookie");
	}
	if (!n || outlen != l2 + n || memcmp(out + l2, want, n))
		fail("answer is not the daemon's SYN+ACK byte for byte");
}

/* One run of an entry point: its return code, *answered. */
static void run(struct cfg *c, bool tc, const uint8_t *in, size_t inlen, size_t l2,
		uint8_t *out, size_t *outlen, bool *answered)
{
	struct accel_run r = { .in = in, .inlen = inlen, .out = out, .outlen = OUT_MAX, .tc = tc };

	if (accel_test_run(c->accel, &r) < 0) {
		fprintf(stderr, "fuzz_bpf: BPF_PROG_TEST_RUN (%s, %zu bytes): %s\n",
			tc ? "tc" : "xdp", inlen, strerror(errno));
		abort();
	}
	c->runs++;
	*outlen = r.outlen;
	*answered = tc ? r.action == TC_ACT_REDIRECT_ : r.action == XDP_TX_;
	if (tc ? r.action != TC_ACT_OK_ && r.action != TC_ACT_SHOT_ && !*answered
	       : r.action != XDP_PASS_ && r.action != XDP_DROP_ && !*answered) {
		fprintf(stderr, "fuzz_bpf: %s returned %u\n", tc ? "sg_tc" : "sg_xdp", r.action);
		abort();
	}
	if (!*answered && (r.outlen != inlen || memcmp(out, in, inlen)))
		fail(tc ? "sg_tc changed a frame it passed or dropped"
			: "sg_xdp changed a frame it passed or dropped");
}

/* Whether the kernel's test run takes the frame as an skb: not one with
 * nothing past the Ethernet header, nor (since 2026) one of IPv4's or
 * IPv6's EtherType shorter than that header (it reads the addresses; the
 * stack never hands TC such an skb either).  XDP alone gets those. */
static bool tc_takes(const uint8_t *f, size_t len)
{
	size_t l3 = len - ACCEL_FX_ETH_LEN;

	if (len <= ACCEL_FX_ETH_LEN)
		return false;
	if (f[12] == 0x08 && f[13] == 0x00)
		return l3 >= 20;
	if (f[12] == 0x86 && f[13] == 0xdd)
		return l3 >= 40;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[IN_MAX], frame[FRAME_MAX], xout[OUT_MAX], tout[OUT_MAX];
	size_t n = ip_len(data, size), l2, flen, xlen, tlen;
	uint8_t conf = n && n < size ? data[n] : 0;
	bool prev = n && n + 1 < size && (data[n + 1] & 1), xans, tans;
	struct cfg *c = &cfgs[(conf & 7) % NCONFIGS];
	bool verified = conf & 8;
	unsigned link = (conf >> 4) & 3;
	struct pkt p;
	enum pkt_status st;

	if (size > IN_MAX)
		return 0;
	memcpy(buf, data, size);
	memset(&p, 0, sizeof(p));
	st = (conf & 0x80) ? pkt_parse(buf, size, &p) : fuzz_parse_fixed(buf, size, &p);
	if (st == PKT_OK && (conf & 0x40))
		echo_cookie(buf, size, &p, prev);
	if (verified && (st == PKT_OK || p.family))
		fastpath_verified(&c->fx.fp, p.family, p.src, 600000);
	l2 = accel_fx_eth(frame, link == 3 ? (p.family == AF_INET6 ? AF_INET : AF_INET6)
					   : (buf[0] >> 4 == 6 ? AF_INET6 : AF_INET), link % 3);
	memcpy(frame + l2, buf, size);
	flen = l2 + size;

	run(c, false, frame, flen, l2, xout, &xlen, &xans);
	tans = false;
	if (tc_takes(frame, flen))
		run(c, true, frame, flen, l2, tout, &tlen, &tans);
	/* What the daemon learns from the program (fastpath_events): the
	 * tripwire turned a service to challenging (the policy follows), a
	 * RST verified its source (into the policy's table). */
	fastpath_events(&c->fx.fp, &c->fx.pc, on_trip, c);
	if (xans)
		check_answer(c, frame, flen, l2, xout, xlen, verified);
	if (tans)
		check_answer(c, frame, flen, l2, tout, tlen, verified);
	if (xans && tans && (xlen != tlen || memcmp(xout, tout, xlen)))
		fail("sg_xdp and sg_tc answered the same SYN differently");
	/* Back to where every input starts: no source verified (the one
	 * verified for the run, or by a RST), no attack (the tripwire armed
	 * again, as at the daemon's attack end). */
	if ((verified && (st == PKT_OK || p.family)) ||
	    (st == PKT_OK && (p.flags & (PKT_TH_RST | PKT_TH_ACK | PKT_TH_SYN)) == PKT_TH_RST))
		fastpath_forget(&c->fx.fp, p.family, p.src);
	if (c->tripped) {
		for (unsigned i = 0; i < POLICY_SVC_MAX; i++)
			c->fx.pc.svc[i].attack = false;
		fastpath_sync_services(&c->fx.fp, &c->fx.pc);
		c->tripped = false;
	}
	return 0;
}
