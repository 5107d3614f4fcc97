/* Unit tests: the kernel fast path's program (src/bpf/synguard.bpf.c) run
 * through BPF_PROG_TEST_RUN on byte-array frames.  Its SYN+ACK must be the
 * daemon's byte for byte (pkt_build_synack) with the daemon's cookie
 * (cookie_make, the same keys), its proxy SYN+ACK the daemon's
 * (policy_decide, policy_proxy_synack) with the options the daemon's
 * fastpath module wrote; what it does not decide passes untouched.
 * The TC program (sg_tc, on an skb) must answer, pass and drop as the XDP
 * one does, with the same bytes.
 * Loading a BPF program needs root (CAP_BPF): skipped (77) otherwise,
 * except under CI=true. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "accel.h"
#include "accel_fx.h"
#include "cookie.h"
#include "ct.h"
#include "fastpath.h"
#include "fuzz_fixtures.h"
#include "pkt.h"
#include "policy.h"
#include "unit.h"

#define ETH_LEN 14
#define FRAME_MAX 512

static struct accel *acc;
static struct cookie_ctx cookies;
static const struct siphash_key fp = { 0x0102030405060708ULL, 0x1112131415161718ULL };
static const uint8_t client4[4] = { 198, 18, 0, 7 }, server4[4] = { 203, 0, 113, 2 };
static const uint8_t client6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7 };
static const uint8_t server6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

static void setup(void)
{
	struct siphash_key master = { 0xa5a5a5a5deadbeefULL, 0x0123456789abcdefULL };
	struct sg_bpf_cfg cfg = { .prefix4 = 32, .prefix6 = 64, .catchall = SG_BPF_SVC_PASS,
				  .mss4 = 1460, .mss6 = 1440, .window = 65535,
				  .retransmit_min_ms = 500, .retransmit_max_ms = 5000,
				  .verified_ttl_ms = 60000 };
	struct sg_bpf_svc_key k4 = { .family = AF_INET, .port = 8080 }, k6 = { .family = AF_INET6,
										 .port = 8080 };
	struct sg_bpf_svc auth = { .index = 0, .action = SG_BPF_SVC_AUTH };
	char err[256];

	acc = accel_open(accel_fx_object(), NULL, err, sizeof(err));
	ck_assert_msg(acc, "%s", err);
	cookie_init(&cookies, &master, 28999999);
	memcpy(k4.addr, server4, 4);
	memcpy(k6.addr, server6, 16);
	ck_assert_int_eq(accel_set_keys(acc, &cookies, &fp), 0);
	ck_assert_int_eq(accel_set_cfg(acc, &cfg), 0);
	ck_assert_int_eq(accel_set_service(acc, &k4, &auth), 0);
	ck_assert_int_eq(accel_set_service(acc, &k6, &auth), 0);
}

static void teardown(void)
{
	accel_close(acc);
	acc = NULL;
}

/* A segment from the client to the server: a SYN to port 8080 unless
 * flags or dport say otherwise. */
struct seg {
	int family;
	uint16_t sport, dport;
	uint8_t flags;
	uint32_t isn;
};

/* An Ethernet frame from the client's MAC holding segment o; its length. */
static size_t eth_frame(uint8_t *f, const struct pkt_out *o)
{
	size_t n = accel_fx_eth(f, o->family, 0);

	n = pkt_build(f + ETH_LEN, FRAME_MAX - ETH_LEN, o);
	ck_assert_uint_gt(n, 0);
	return ETH_LEN + n;
}

/* An Ethernet frame holding the segment, with MSS, window scale and SACK
 * options and valid checksums; returns its length. */
static size_t frame(uint8_t *f, const struct seg *sg)
{
	int v6 = sg->family == AF_INET6;
	struct pkt_out o = {
		.family = sg->family, .src = v6 ? client6 : client4, .dst = v6 ? server6 : server4,
		.sport = sg->sport, .dport = sg->dport ? sg->dport : 8080, .seq = sg->isn,
		.flags = sg->flags ? sg->flags : PKT_TH_SYN, .window = 64240, .mss = 1460,
		.wscale = 7, .sack_ok = true,
	};

	return eth_frame(f, &o);
}

static size_t syn_frame(uint8_t *f, int family, uint16_t sport, uint32_t isn)
{
	return frame(f, &(struct seg){ .family = family, .sport = sport, .isn = isn });
}

static uint32_t run_hook(const uint8_t *in, size_t len, uint8_t *out, size_t *outlen, bool tc)
{
	struct accel_run r = { .in = in, .inlen = len, .out = out, .outlen = FRAME_MAX, .tc = tc };

	ck_assert_int_eq(accel_test_run(acc, &r), 0);
	*outlen = r.outlen;
	return r.action;
}

static uint32_t run(const uint8_t *in, size_t len, uint8_t *out, size_t *outlen)
{
	return run_hook(in, len, out, outlen, false);
}

static uint64_t stat(enum sg_bpf_stat s)
{
	uint64_t v;

	ck_assert_int_eq(accel_stat(acc, s, &v), 0);
	return v;
}

/* The answer to SYN frame in (l2 bytes of link header) is the daemon's
 * SYN+ACK for that SYN: same headers, its cookie; returns the cookie. */
static uint32_t assert_synack(const uint8_t *in, size_t inlen, const uint8_t *out, size_t outlen,
			      size_t l2)
{
	struct pkt syn, sa;
	uint8_t want[FRAME_MAX];
	size_t n;
	uint32_t cookie;

	ck_assert_int_eq(pkt_parse(in + l2, inlen - l2, &syn), PKT_OK);
	ck_assert_int_eq(pkt_parse(out + l2, outlen - l2, &sa), PKT_OK);
	n = accel_fx_auth_synack(want, sizeof(want), acc, &cookies, &syn, &cookie);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_eq(sa.ack, cookie);
	/* Its own sequence number: the program's fingerprint of the SYN, as
	 * the daemon computes it too. */
	ck_assert_uint_eq(sa.seq, (uint32_t)(accel_fingerprint(acc, &syn) >> 32));
	ck_assert_uint_eq(outlen, l2 + n);
	ck_assert_mem_eq(out + l2, want, n);
	/* Ethernet addresses swapped, anything between them and IP kept. */
	ck_assert_mem_eq(out, in + 6, 6);
	ck_assert_mem_eq(out + 6, in, 6);
	ck_assert_mem_eq(out + 12, in + 12, l2 - 12);
	return cookie;
}

START_TEST(accel_synack_is_the_daemons_v4_v6)
{
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t len, outlen;

	for (int v6 = 0; v6 < 2; v6++) {
		uint64_t before = stat(SG_BPF_challenges);

		len = syn_frame(in, v6 ? AF_INET6 : AF_INET, 40000 + v6, 0x11223344);
		ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
		assert_synack(in, len, out, outlen, ETH_LEN);
		ck_assert_uint_eq(stat(SG_BPF_challenges), before + 1);
	}
}
END_TEST

/* Many tuples and ISNs: every cookie is the daemon's, and checks in
 * userspace as current, then (after one rotation) as previous. */
START_TEST(accel_cookie_equals_userspace)
{
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	struct cookie_ctx later = cookies;
	size_t len, outlen;
	uint32_t c;

	cookie_set_epoch(&later, cookies.epoch + 1);
	for (uint32_t i = 0; i < 2000; i++) {
		int family = i & 1 ? AF_INET6 : AF_INET;
		struct pkt syn;
		struct sg_tuple t;

		len = syn_frame(in, family, (uint16_t)(1024 + i * 31), i * 2654435761u);
		ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
		c = assert_synack(in, len, out, outlen, ETH_LEN);
		ck_assert_int_eq(pkt_parse(in + ETH_LEN, len - ETH_LEN, &syn), PKT_OK);
		pkt_tuple(&syn, &t);
		ck_assert_int_eq(cookie_check(&cookies, &t, c), COOKIE_VALID_CURRENT);
		ck_assert_int_eq(cookie_check(&later, &t, c), COOKIE_VALID_PREVIOUS);
	}
}
END_TEST

START_TEST(accel_vlan_tags_kept)
{
	uint8_t in[FRAME_MAX], out[FRAME_MAX], plain[FRAME_MAX];
	size_t len = syn_frame(plain, AF_INET, 40100, 7), outlen;

	/* Two tags (802.1ad outer, 802.1Q inner) between the MACs and IP. */
	memcpy(in, plain, 12);
	memcpy(in + 12, (uint8_t[]){ 0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x0a }, 8);
	memcpy(in + 20, plain + 12, len - 12);
	len += 8;
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
	assert_synack(in, len, out, outlen, ETH_LEN + 8);
}
END_TEST

/* IPv4 options and IPv6 destination options in the SYN: the answer has
 * none, as the daemon's. */
START_TEST(accel_ip_options_and_extension_headers)
{
	uint8_t plain[FRAME_MAX], in[FRAME_MAX], out[FRAME_MAX];
	size_t len = syn_frame(plain, AF_INET, 40200, 9), outlen;
	uint8_t *ip = in + ETH_LEN;

	/* IPv4: 4 bytes of NOP/EOL options; the TCP checksum does not change. */
	memcpy(in, plain, ETH_LEN + 20);
	memcpy(in + ETH_LEN + 20, (uint8_t[]){ 1, 1, 1, 0 }, 4);
	memcpy(in + ETH_LEN + 24, plain + ETH_LEN + 20, len - ETH_LEN - 20);
	len += 4;
	ip[0] = 0x46;
	ip[3] = (uint8_t)(len - ETH_LEN);
	ip[10] = ip[11] = 0;
	{
		uint16_t c = pkt_csum_fold(pkt_csum_add(0, ip, 24));

		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
	}
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
	assert_synack(in, len, out, outlen, ETH_LEN);

	/* IPv6: an 8-byte destination options header (PadN). */
	len = syn_frame(plain, AF_INET6, 40201, 9);
	memcpy(in, plain, ETH_LEN + 40);
	memcpy(in + ETH_LEN + 40, (uint8_t[]){ 6, 0, 1, 4, 0, 0, 0, 0 }, 8);
	memcpy(in + ETH_LEN + 48, plain + ETH_LEN + 40, len - ETH_LEN - 40);
	len += 8;
	ip[6] = 60;	/* IPPROTO_DSTOPTS */
	ip[5] = (uint8_t)(ip[5] + 8);
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
	assert_synack(in, len, out, outlen, ETH_LEN);
}
END_TEST

/* Everything the program does not decide goes on untouched. */
static void assert_passed(const uint8_t *in, size_t len, enum sg_bpf_stat counter)
{
	uint8_t out[FRAME_MAX];
	size_t outlen;
	uint64_t before = stat(counter);

	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_PASS_);
	ck_assert_uint_eq(outlen, len);
	ck_assert_mem_eq(out, in, len);
	ck_assert_msg(stat(counter) == before + 1, "counter %d: %llu, expected %llu", (int)counter,
		      (unsigned long long)stat(counter), (unsigned long long)before + 1);
}

START_TEST(accel_passes_what_it_does_not_decide)
{
	uint8_t in[FRAME_MAX];
	size_t len;

	len = syn_frame(in, AF_INET, 40300, 1);
	in[len - 1] ^= 1;	/* TCP checksum (the last option byte) */
	assert_passed(in, len, SG_BPF_bad_checksum);
	len = syn_frame(in, AF_INET, 40301, 1);
	in[ETH_LEN + 10] ^= 1;	/* IPv4 header checksum */
	assert_passed(in, len, SG_BPF_bad_checksum);
	len = syn_frame(in, AF_INET, 40302, 1);
	assert_passed(in, len - 10, SG_BPF_malformed);	/* cut off */
	len = syn_frame(in, AF_INET, 40303, 1);
	in[ETH_LEN + 7] = 3;	/* a later fragment (offset 24 bytes) */
	assert_passed(in, len, SG_BPF_fragments);
	len = syn_frame(in, AF_INET6, 40304, 1);
	in[ETH_LEN + 6] = 44;	/* a fragment header, here not one of offset 0 with M */
	assert_passed(in, len, SG_BPF_fragments);
	len = syn_frame(in, AF_INET, 40305, 1);
	in[ETH_LEN + 9] = 17;	/* UDP */
	assert_passed(in, len, SG_BPF_not_tcp);
	len = syn_frame(in, AF_INET, 40306, 1);
	in[12] = 0x08;
	in[13] = 0x06;		/* ARP */
	assert_passed(in, len, SG_BPF_not_tcp);
	/* Not a pure SYN: the daemon's. */
	for (unsigned i = 0; i < 3; i++) {
		const uint8_t flags[] = { PKT_TH_SYN | PKT_TH_ACK, PKT_TH_ACK, PKT_TH_SYN | PKT_TH_FIN };

		len = frame(in, &(struct seg){ .family = AF_INET6, .sport = 40307, .flags = flags[i] });
		assert_passed(in, len, SG_BPF_packets);
	}
}
END_TEST

/* A SYN in IP fragments to a challenging service: its first fragment is
 * dropped, as is a first fragment too short to show the flags (RFC 1858);
 * a first fragment of another segment, or to a port no service names, is
 * passed on (the kernel reassembles it). */
START_TEST(accel_drops_fragmented_syns)
{
	uint8_t in[FRAME_MAX], plain[FRAME_MAX], out[FRAME_MAX];
	size_t len, outlen;
	uint64_t before = stat(SG_BPF_syn_fragments);

	len = syn_frame(in, AF_INET, 40310, 1);
	in[ETH_LEN + 6] |= 0x20;	/* MF, offset 0: the first fragment */
	in[ETH_LEN + 3] = 20 + 24;	/* 24 bytes of the 40-byte header */
	ck_assert_uint_eq(run(in, ETH_LEN + 44, out, &outlen), XDP_DROP_);
	ck_assert_uint_eq(stat(SG_BPF_syn_fragments), before + 1);
	in[ETH_LEN + 3] = 20 + 8;	/* 8 bytes: ports and sequence, no flags */
	ck_assert_uint_eq(run(in, ETH_LEN + 28, out, &outlen), XDP_DROP_);
	ck_assert_uint_eq(stat(SG_BPF_syn_fragments), before + 2);
	len = frame(in, &(struct seg){ .family = AF_INET, .sport = 40311, .flags = PKT_TH_ACK });
	in[ETH_LEN + 6] |= 0x20;
	assert_passed(in, len, SG_BPF_fragments);
	len = frame(in, &(struct seg){ .family = AF_INET, .sport = 40312, .dport = 9 });
	in[ETH_LEN + 6] |= 0x20;	/* to a port no service names */
	assert_passed(in, len, SG_BPF_fragments);
	/* IPv6: a fragment header of offset 0 with M before the TCP header. */
	len = syn_frame(plain, AF_INET6, 40313, 1);
	memcpy(in, plain, ETH_LEN + 40);
	memcpy(in + ETH_LEN + 40, (uint8_t[]){ 6, 0, 0, 1, 0, 0, 0, 7 }, 8);
	memcpy(in + ETH_LEN + 48, plain + ETH_LEN + 40, len - ETH_LEN - 40);
	in[ETH_LEN + 6] = 44;
	in[ETH_LEN + 5] = (uint8_t)(in[ETH_LEN + 5] + 8);
	ck_assert_uint_eq(run(in, len + 8, out, &outlen), XDP_DROP_);
	ck_assert_uint_eq(stat(SG_BPF_syn_fragments), before + 3);
	in[ETH_LEN + 43] = 0;		/* M = 0: the last fragment (offset 0 too: atomic) */
	assert_passed(in, len + 8, SG_BPF_fragments);
}
END_TEST

START_TEST(accel_verified_allowed_denied_not_challenging)
{
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	struct timespec ts;
	size_t len, outlen;
	uint8_t net6[16];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* Verified: the /32, and the client's /64. */
	ck_assert_int_eq(accel_set_verified(acc, AF_INET, client4,
					    (uint64_t)ts.tv_sec * 1000000000ULL + 60000000000ULL), 0);
	memcpy(net6, client6, 8);
	memset(net6 + 8, 0, 8);
	ck_assert_int_eq(accel_set_verified(acc, AF_INET6, net6,
					    (uint64_t)ts.tv_sec * 1000000000ULL + 60000000000ULL), 0);
	len = syn_frame(in, AF_INET, 40400, 1);
	assert_passed(in, len, SG_BPF_syn_verified);
	len = syn_frame(in, AF_INET6, 40401, 1);
	assert_passed(in, len, SG_BPF_syn_verified);
	/* Expired: challenged again. */
	ck_assert_int_eq(accel_set_verified(acc, AF_INET, client4, 1), 0);
	len = syn_frame(in, AF_INET, 40402, 1);
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);

	/* Another port: no service, not the catch-all's: not ours. */
	len = frame(in, &(struct seg){ .family = AF_INET, .sport = 40404, .dport = 8090 });
	assert_passed(in, len, SG_BPF_unprotected);
	/* Given to the catch-all (accel_ports), which is not challenging. */
	ck_assert_int_eq(accel_set_catchall_port(acc, 8085, 8095), 0);
	len = frame(in, &(struct seg){ .family = AF_INET, .sport = 40405, .dport = 8090 });
	assert_passed(in, len, SG_BPF_syn_passed);

	/* The allow list passes, the deny list drops (before verification). */
	ck_assert_int_eq(accel_set_listed(acc, 0, AF_INET, (uint8_t[]){ 198, 18, 0, 0 }, 24), 0);
	assert_passed(in, len, SG_BPF_syn_allowed);
	ck_assert_int_eq(accel_set_listed(acc, 1, AF_INET6, client6, 128), 0);
	len = syn_frame(in, AF_INET6, 40403, 1);
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_DROP_);
	ck_assert_uint_eq(stat(SG_BPF_syn_denied), 1);

}
END_TEST

/* The retransmission fallback: the same SYN inside the window after its
 * first challenge passes once; before it, or after, it is challenged.
 * The window is moved instead of waiting for the clock. */
START_TEST(accel_retransmission_fallback)
{
	struct sg_bpf_cfg cfg = { .prefix4 = 32, .prefix6 = 64, .mss4 = 1460, .mss6 = 1440,
				  .window = 65535, .retransmit_min_ms = 60000,
				  .retransmit_max_ms = 120000 };
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t len = syn_frame(in, AF_INET6, 40600, 77), outlen;

	ck_assert_int_eq(accel_set_cfg(acc, &cfg), 0);
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);	/* too early */
	ck_assert_uint_eq(stat(SG_BPF_syn_retransmit), 0);
	cfg.retransmit_min_ms = 0;
	ck_assert_int_eq(accel_set_cfg(acc, &cfg), 0);
	assert_passed(in, len, SG_BPF_syn_retransmit);
	/* The daemon, meeting that SYN, learns it was passed, once. */
	{
		struct pkt syn, other;

		ck_assert_int_eq(pkt_parse(in + ETH_LEN, len - ETH_LEN, &syn), PKT_OK);
		other = syn;
		other.seq++;
		ck_assert(!accel_take_retransmission(acc, &other));
		ck_assert(accel_take_retransmission(acc, &syn));
		ck_assert(!accel_take_retransmission(acc, &syn));
	}
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);	/* passed once: new */
	cfg.retransmit_max_ms = 0;		/* the first challenge is now too old */
	ck_assert_int_eq(accel_set_cfg(acc, &cfg), 0);
	usleep(30000);	/* more than a tick: the program's clock is the coarse one */
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
	ck_assert_uint_eq(stat(SG_BPF_syn_retransmit), 1);
	/* Another ISN is another SYN. */
	cfg.retransmit_max_ms = 120000;
	ck_assert_int_eq(accel_set_cfg(acc, &cfg), 0);
	len = syn_frame(in, AF_INET6, 40600, 78);
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
}
END_TEST

/* The fallback's table keeps a set's eight newest SYNs: of nine SYNs that
 * fall into one set, challenged one after the other (more than a tick of
 * the program's clock apart), the first is forgotten (challenged again,
 * never passed); the eight others pass as retransmissions. */
START_TEST(accel_retransmission_set_keeps_the_newest)
{
	struct sg_bpf_cfg cfg = { .prefix4 = 32, .prefix6 = 64, .mss4 = 1460, .mss6 = 1440,
				  .window = 65535, .retransmit_min_ms = 0,
				  .retransmit_max_ms = 120000 };
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	uint32_t isn[SG_BPF_RETRANS_WAYS + 1], set = 0;
	size_t len = syn_frame(in, AF_INET, 40700, 0), outlen;
	struct pkt syn;
	int n = 0;

	ck_assert_int_eq(accel_set_cfg(acc, &cfg), 0);
	ck_assert_int_eq(pkt_parse(in + ETH_LEN, len - ETH_LEN, &syn), PKT_OK);
	for (uint32_t i = 1; n < SG_BPF_RETRANS_WAYS + 1 && i < 1u << 28; i++) {
		uint32_t s;

		syn.seq = i;
		s = (uint32_t)accel_fingerprint(acc, &syn) & (SG_BPF_RETRANS_SETS - 1);
		if (n == 0)
			set = s;
		if (s == set)
			isn[n++] = i;
	}
	ck_assert_int_eq(n, SG_BPF_RETRANS_WAYS + 1);
	for (int i = 0; i < n; i++) {
		len = syn_frame(in, AF_INET, 40700, isn[i]);
		ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
		usleep(30000);
	}
	for (int i = 1; i < n; i++) {
		len = syn_frame(in, AF_INET, 40700, isn[i]);
		ck_assert_uint_eq(run(in, len, out, &outlen), XDP_PASS_);
	}
	ck_assert_uint_eq(stat(SG_BPF_syn_retransmit), (uint64_t)n - 1);
	len = syn_frame(in, AF_INET, 40700, isn[0]);
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);	/* forgotten */
	ck_assert_uint_eq(stat(SG_BPF_syn_retransmit), (uint64_t)n - 1);
}
END_TEST

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct sg_bpf_cfg limits_cfg(uint32_t dest_rate, uint32_t dest_burst, uint32_t total_rate,
				    uint32_t total_burst)
{
	return (struct sg_bpf_cfg){
		.prefix4 = 32, .prefix6 = 64, .mss4 = 1460, .mss6 = 1440, .window = 65535,
		.retransmit_min_ms = 500, .retransmit_max_ms = 5000,
		.limit_prefix4 = 24, .limit_prefix6 = 48,
		.synack_dest_rate = dest_rate, .synack_dest_burst = dest_burst,
		.synack_total_rate = total_rate, .synack_total_burst = total_burst,
	};
}

/* burst SYNs of family from distinct ports are answered, the next one is
 * not (counted under counter) unless a second passed: then one token may
 * have come back (the rate is 1/s). */
static void burst_then_limited(int family, uint16_t port, int burst, enum sg_bpf_stat counter)
{
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t len, outlen;
	double t0 = now_s();

	for (int i = 0; i < burst; i++) {
		len = syn_frame(in, family, (uint16_t)(port + i), 1);
		ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
	}
	len = syn_frame(in, family, (uint16_t)(port + burst), 1);
	if (run(in, len, out, &outlen) != XDP_DROP_)
		ck_assert_msg(now_s() - t0 >= 1.0, "%d SYN+ACKs within a second, burst %d",
			      burst + 1, burst);
	else
		ck_assert_uint_eq(stat(counter), 1);
}

/* Anti-reflection: a victim prefix gets its burst, then nothing; all
 * victims (IPv6 here is another) share the total. */
START_TEST(accel_reflection_limits)
{
	struct sg_bpf_cfg cfg = limits_cfg(1, 3, 0, 0);

	ck_assert_int_eq(accel_set_cfg(acc, &cfg), 0);
	burst_then_limited(AF_INET, 41000, 3, SG_BPF_limited_synack_dest);
	cfg = limits_cfg(0, 0, 1, 2);
	ck_assert_int_eq(accel_set_cfg(acc, &cfg), 0);
	burst_then_limited(AF_INET6, 41100, 2, SG_BPF_limited_synack_total);
}
END_TEST

/* Two CPUs answer one victim at once: together they never send more than
 * the burst (the refill is negligible at 1/s), each run counted as sent
 * or limited. */
struct racer {
	int cpu;
	uint16_t sport;
	unsigned sent, limited;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t len = syn_frame(in, AF_INET, r->sport, 5);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(r->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	for (int i = 0; i < 3000; i++) {
		struct accel_run run1 = { .in = in, .inlen = len, .out = out, .outlen = FRAME_MAX };

		if (accel_test_run(acc, &run1) < 0)
			return NULL;
		r->sent += run1.action == XDP_TX_;
		r->limited += run1.action == XDP_DROP_;
	}
	return r;
}

START_TEST(accel_reflection_limit_holds_across_cpus)
{
	struct sg_bpf_cfg cfg = limits_cfg(1, 1000, 0, 0);
	struct racer r[2] = { { .cpu = 0, .sport = 42000 }, { .cpu = 1, .sport = 42001 } };
	pthread_t t[2];
	struct timespec t0, t1;
	double secs;

	ck_assert_int_eq(accel_set_cfg(acc, &cfg), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, race, &r[i]), 0);
	for (int i = 0; i < 2; i++) {
		void *ok;

		ck_assert_int_eq(pthread_join(t[i], &ok), 0);
		ck_assert_ptr_nonnull(ok);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_uint_eq(r[0].sent + r[0].limited + r[1].sent + r[1].limited, 6000);
	ck_assert_msg(r[0].sent + r[1].sent <= 1000 + (unsigned)secs + 1,
		      "%u SYN+ACKs for a burst of 1000 in %.2f s", r[0].sent + r[1].sent, secs);
	/* ... and the burst was given (a lost compare-and-swap counts as limited). */
	ck_assert_uint_ge(r[0].sent + r[1].sent, 500);
	ck_assert_uint_eq(stat(SG_BPF_limited_synack_dest), r[0].limited + r[1].limited);
}
END_TEST

/* --- RSTs answering cookies ---------------------------------------------------- */

struct seen {
	int n, type, family;
	unsigned svc;
	uint8_t addr[16];
};

static void on_seen(void *arg, const struct sg_bpf_event *ev)
{
	struct seen *s = arg;

	s->n++;
	s->type = ev->type;
	s->family = ev->family;
	s->svc = ev->svc;
	memcpy(s->addr, ev->addr, 16);
}

/* The cookie the program answers a SYN from sport with. */
static uint32_t challenge(int family, uint16_t sport)
{
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t len = syn_frame(in, family, sport, 1000), outlen;
	struct pkt sa;

	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
	ck_assert_int_eq(pkt_parse(out + ETH_LEN, outlen - ETH_LEN, &sa), PKT_OK);
	return sa.ack;
}

static size_t rst_frame(uint8_t *f, int family, uint16_t sport, uint32_t seq)
{
	return frame(f, &(struct seg){ .family = family, .sport = sport, .flags = PKT_TH_RST,
				       .isn = seq });
}

/* The client's RST echoing the cookie: dropped, the source verified in
 * the program (its next SYN passes) and handed to the daemon once; a
 * wrong cookie is dropped and counted, and verifies nothing. */
START_TEST(accel_rst_with_the_cookie_verifies)
{
	for (int v6 = 0; v6 < 2; v6++) {
		int family = v6 ? AF_INET6 : AF_INET;
		uint8_t in[FRAME_MAX], out[FRAME_MAX];
		uint32_t c = challenge(family, 41200);
		size_t len, outlen;
		struct seen seen = { 0 };

		len = rst_frame(in, family, 41200, c ^ 0x100);
		ck_assert_uint_eq(run(in, len, out, &outlen), XDP_DROP_);
		ck_assert_uint_eq(stat(SG_BPF_rst_invalid), 1 + (unsigned)v6);
		ck_assert_int_eq(accel_events(acc, on_seen, &seen), 0);
		len = syn_frame(in, family, 41201, 5);
		ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);	/* still challenged */
		len = rst_frame(in, family, 41200, c);
		ck_assert_uint_eq(run(in, len, out, &outlen), XDP_DROP_);
		ck_assert_uint_eq(stat(SG_BPF_rst_valid), 1 + (unsigned)v6);
		ck_assert_int_eq(accel_events(acc, on_seen, &seen), 1);
		ck_assert_int_eq(seen.type, SG_BPF_EV_VERIFIED);
		ck_assert_int_eq(seen.family, family);
		ck_assert_mem_eq(seen.addr, v6 ? client6 : client4, v6 ? 16 : 4);
		ck_assert_int_eq(accel_events(acc, on_seen, &seen), 0);	/* once */
		len = syn_frame(in, family, 41202, 6);
		assert_passed(in, len, SG_BPF_syn_verified);
	}
}
END_TEST

/* A cookie of the previous epoch still verifies; one of the epoch before
 * that does not. */
START_TEST(accel_rst_cookie_epochs)
{
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	uint32_t c = challenge(AF_INET, 41300);
	struct cookie_ctx next = cookies;
	size_t len, outlen;

	cookie_set_epoch(&next, cookies.epoch + 1);
	ck_assert_int_eq(accel_set_keys(acc, &next, &fp), 0);
	len = rst_frame(in, AF_INET, 41300, c);
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_DROP_);
	ck_assert_uint_eq(stat(SG_BPF_rst_valid), 1);
	c = challenge(AF_INET6, 41301);
	cookie_set_epoch(&next, cookies.epoch + 3);
	ck_assert_int_eq(accel_set_keys(acc, &next, &fp), 0);
	len = rst_frame(in, AF_INET6, 41301, c);
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_DROP_);
	ck_assert_uint_eq(stat(SG_BPF_rst_valid), 1);
	ck_assert_uint_eq(stat(SG_BPF_rst_invalid), 1);
}
END_TEST

/* limit_rst_source: a prefix that made its burst of wrong guesses gets no
 * more checks, not even for a right one; RSTs with ACK, to other ports,
 * with data, go on untouched. */
START_TEST(accel_rst_limit_and_passes)
{
	struct sg_bpf_cfg cfg = { .prefix4 = 32, .prefix6 = 64, .catchall = SG_BPF_SVC_PASS,
				  .mss4 = 1460, .mss6 = 1440, .window = 65535,
				  .retransmit_min_ms = 500, .retransmit_max_ms = 5000,
				  .limit_prefix4 = 24, .limit_prefix6 = 48,
				  .rst_rate = 1, .rst_burst = 2, .verified_ttl_ms = 60000 };
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	uint32_t c;
	size_t len, outlen;

	ck_assert_int_eq(accel_set_cfg(acc, &cfg), 0);
	c = challenge(AF_INET, 41400);
	for (int i = 0; i < 2; i++) {
		len = rst_frame(in, AF_INET, 41400, c + 1 + (uint32_t)i);
		ck_assert_uint_eq(run(in, len, out, &outlen), XDP_DROP_);
	}
	ck_assert_uint_eq(stat(SG_BPF_rst_invalid), 2);
	len = rst_frame(in, AF_INET, 41400, c);
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_DROP_);
	ck_assert_uint_eq(stat(SG_BPF_rst_limited), 1);
	ck_assert_uint_eq(stat(SG_BPF_rst_valid), 0);
	/* IPv6 is another prefix, with its own budget. */
	c = challenge(AF_INET6, 41401);
	len = rst_frame(in, AF_INET6, 41401, c);
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_DROP_);
	ck_assert_uint_eq(stat(SG_BPF_rst_valid), 1);
	len = frame(in, &(struct seg){ .family = AF_INET, .sport = 41402,
				       .flags = PKT_TH_RST | PKT_TH_ACK, .isn = c });
	assert_passed(in, len, SG_BPF_packets);
	len = frame(in, &(struct seg){ .family = AF_INET, .sport = 41403, .dport = 22,
				       .flags = PKT_TH_RST, .isn = c });
	assert_passed(in, len, SG_BPF_packets);
	ck_assert_uint_eq(stat(SG_BPF_rst), 4);	/* the four to 8080 */
}
END_TEST

/* A conntrack entry (made through ctnetlink) for the connection of the
 * segment in frame in, in the caller's network namespace (one of the
 * test's own); ct_ctl_close removes it with the namespace. */
static struct ct_ctl *conntrack_entry(const uint8_t *in, size_t len)
{
	struct ct_proxy p = { .server_isn = 1, .proxy_isn = 1, .client_wscale = CT_NO_WSCALE,
			      .server_wscale = CT_NO_WSCALE, .timeout_s = 60 };
	struct ct_ctl *ctl;
	struct pkt seg;

	ck_assert_int_eq(pkt_parse(in + ETH_LEN, len - ETH_LEN, &seg), PKT_OK);
	pkt_tuple(&seg, &p.tuple);
	ctl = ct_ctl_open();
	ck_assert_ptr_nonnull(ctl);
	ck_assert_int_eq(ct_ctl_create(ctl, &p), 0);
	return ctl;
}

/* A RST of a connection conntrack knows is the stack's: passed, even with
 * a cookie's value.  The test runs in a network namespace of its own. */
START_TEST(accel_rst_of_a_connection_passes)
{
	uint8_t in[FRAME_MAX];
	struct ct_ctl *ctl;
	uint32_t c;
	size_t len;

	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare: %s", strerror(errno));
	c = challenge(AF_INET, 41500);
	len = rst_frame(in, AF_INET, 41500, c);
	ctl = conntrack_entry(in, len);
	assert_passed(in, len, SG_BPF_rst_conn);
	ck_assert_uint_eq(stat(SG_BPF_rst_valid), 0);
	ct_ctl_close(ctl);
}
END_TEST

/* --- segments without SYN to a proxied service ------------------------------- */

#define PROXIED_PORT 8081

/* Port 8081 proxied on both servers (as fastpath.c sets a proxy or auto
 * service where the daemon enforces). */
static void proxied_service(void)
{
	struct sg_bpf_svc_key k4 = { .family = AF_INET, .port = PROXIED_PORT },
			      k6 = { .family = AF_INET6, .port = PROXIED_PORT };
	struct sg_bpf_svc v = { .index = 1, .action = SG_BPF_SVC_AUTH,
				.flags = SG_BPF_SVCF_SCREEN | SG_BPF_SVCF_PROXIED };

	memcpy(k4.addr, server4, 4);
	memcpy(k6.addr, server6, 16);
	ck_assert_int_eq(accel_set_service(acc, &k4, &v), 0);
	ck_assert_int_eq(accel_set_service(acc, &k6, &v), 0);
}

/* A frame from the client to port dport with these flags, seq and ack. */
static size_t seg_frame(uint8_t *f, int family, uint16_t sport, uint16_t dport, uint8_t flags,
			uint32_t seq, uint32_t ack)
{
	int v6 = family == AF_INET6;
	struct pkt_out o = {
		.family = family, .src = v6 ? client6 : client4, .dst = v6 ? server6 : server4,
		.sport = sport, .dport = dport, .seq = seq, .ack = ack, .flags = flags,
		.window = 502, .wscale = PKT_NO_WSCALE,
	};

	return eth_frame(f, &o);
}

/* The proxy cookie the daemon puts in its SYN+ACK for that client. */
static uint32_t proxy_cookie(const struct cookie_ctx *ctx, int family, uint16_t sport,
			     uint32_t isn)
{
	struct sg_tuple t = { .family = family, .client_port = sport, .server_port = PROXIED_PORT };
	struct cookie_opts o = { .mss = 1400, .wscale = 7, .sack = true };

	memcpy(t.client, family == AF_INET6 ? client6 : client4, family == AF_INET6 ? 16 : 4);
	memcpy(t.server, family == AF_INET6 ? server6 : server4, family == AF_INET6 ? 16 : 4);
	return cookie_proxy_make(ctx, &t, isn, &o);
}

static void assert_dropped(const uint8_t *in, size_t len, enum sg_bpf_stat counter)
{
	uint8_t out[FRAME_MAX];
	size_t outlen;
	uint64_t before = stat(counter);

	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_DROP_);
	ck_assert_uint_eq(stat(counter), before + 1);
}

/* The client's ACK of a proxy cookie (the daemon's, this epoch or the last)
 * goes on to the daemon, data or not; any other segment without SYN of no
 * connection to the proxied service is dropped (ACK, FIN, RST+ACK,
 * SYN+ACK), also with a cookie for another client or ISN; to a service
 * that is not proxied it all goes on.  The cookie is checked for 2000
 * tuples of each family. */
START_TEST(accel_ack_screening)
{
	struct cookie_ctx older = cookies;
	uint8_t in[FRAME_MAX];
	size_t len;

	proxied_service();
	ck_assert(cookie_set_epoch(&older, cookies.epoch - 1));
	for (uint32_t i = 0; i < 4000; i++) {
		int family = i & 1 ? AF_INET6 : AF_INET;
		uint16_t sport = (uint16_t)(1024 + i * 13);
		uint32_t isn = i * 2654435761u, k = proxy_cookie(i & 2 ? &older : &cookies, family,
								 sport, isn);

		len = seg_frame(in, family, sport, PROXIED_PORT, PKT_TH_ACK, isn + 1, k + 1);
		assert_passed(in, len, SG_BPF_ack_cookie);
		len = seg_frame(in, family, sport, PROXIED_PORT, PKT_TH_ACK, isn + 2, k + 1);
		assert_dropped(in, len, SG_BPF_ack_invalid);	/* another ISN */
		len = seg_frame(in, family, sport + 1, PROXIED_PORT, PKT_TH_ACK, isn + 1, k + 1);
		assert_dropped(in, len, SG_BPF_ack_invalid);	/* another client port */
		len = seg_frame(in, family, sport, PROXIED_PORT, PKT_TH_ACK, isn + 1, (k ^ 0x100) + 1);
		assert_dropped(in, len, SG_BPF_ack_invalid);	/* one MAC bit */
	}
	for (int v6 = 0; v6 < 2; v6++) {
		int family = v6 ? AF_INET6 : AF_INET;
		static const uint8_t kinds[] = { PKT_TH_ACK, PKT_TH_ACK | PKT_TH_FIN,
						 PKT_TH_ACK | PKT_TH_RST, PKT_TH_SYN | PKT_TH_ACK,
						 PKT_TH_FIN, PKT_TH_ACK | PKT_TH_PSH };

		for (size_t j = 0; j < sizeof(kinds); j++) {
			len = seg_frame(in, family, 42000, PROXIED_PORT, kinds[j], 7, 99);
			assert_dropped(in, len, SG_BPF_ack_invalid);
			/* Not screened (8080: auth, as where the daemon does not
			 * enforce): untouched, nothing counted. */
			len = seg_frame(in, family, 42000, 8080, kinds[j], 7, 99);
			assert_passed(in, len, SG_BPF_packets);
		}
		/* A RST+ACK echoing a valid cookie is no hand-off: dropped. */
		len = seg_frame(in, family, 42001, PROXIED_PORT, PKT_TH_ACK | PKT_TH_RST, 8,
				proxy_cookie(&cookies, family, 42001, 7) + 1);
		assert_dropped(in, len, SG_BPF_ack_invalid);
	}
	ck_assert_uint_eq(stat(SG_BPF_stray_conn), 0);
}
END_TEST

/* A segment of a connection conntrack knows is passed unchecked (an
 * entry created through ctnetlink, in a network namespace of the
 * test's own). */
START_TEST(accel_ack_of_a_connection_passes)
{
	uint8_t in[FRAME_MAX];
	struct ct_ctl *ctl;
	size_t len;

	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare: %s", strerror(errno));
	proxied_service();
	len = seg_frame(in, AF_INET, 42100, PROXIED_PORT, PKT_TH_ACK, 5, 6);
	assert_dropped(in, len, SG_BPF_ack_invalid);
	ctl = conntrack_entry(in, len);
	assert_passed(in, len, SG_BPF_stray_conn);
	ct_ctl_close(ctl);
}
END_TEST

/* A screened auth service (where the daemon enforces): every segment
 * without SYN of no connection is dropped, an ACK of a valid proxy cookie
 * too (no proxy to hand it to); its SYNs still get the auth cookie and
 * its RSTs are still checked against it. */
START_TEST(accel_auth_screening)
{
	struct sg_bpf_svc_key k4 = { .family = AF_INET, .port = 8080 },
			      k6 = { .family = AF_INET6, .port = 8080 };
	struct sg_bpf_svc auth = { .index = 0, .action = SG_BPF_SVC_AUTH,
				   .flags = SG_BPF_SVCF_SCREEN };
	static const uint8_t kinds[] = { PKT_TH_ACK, PKT_TH_ACK | PKT_TH_FIN, PKT_TH_ACK | PKT_TH_RST,
					 PKT_TH_SYN | PKT_TH_ACK, PKT_TH_FIN, PKT_TH_ACK | PKT_TH_PSH };
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t len, outlen;

	memcpy(k4.addr, server4, 4);
	memcpy(k6.addr, server6, 16);
	ck_assert_int_eq(accel_set_service(acc, &k4, &auth), 0);
	ck_assert_int_eq(accel_set_service(acc, &k6, &auth), 0);
	for (int v6 = 0; v6 < 2; v6++) {
		int family = v6 ? AF_INET6 : AF_INET;
		struct sg_tuple t = { .family = family, .client_port = 42000, .server_port = 8080 };
		struct cookie_opts o = { .mss = 1460, .wscale = 7, .sack = true };

		memcpy(t.client, v6 ? client6 : client4, v6 ? 16 : 4);
		memcpy(t.server, v6 ? server6 : server4, v6 ? 16 : 4);
		for (size_t j = 0; j < sizeof(kinds); j++) {
			len = seg_frame(in, family, 42000, 8080, kinds[j], 7, 99);
			assert_dropped(in, len, SG_BPF_ack_invalid);
		}
		len = seg_frame(in, family, 42000, 8080, PKT_TH_ACK, 8,
				cookie_proxy_make(&cookies, &t, 7, &o) + 1);
		assert_dropped(in, len, SG_BPF_ack_invalid);
		len = syn_frame(in, family, 42000, 0x5000);
		ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
		assert_synack(in, len, out, outlen, ETH_LEN);
		len = rst_frame(in, family, 42000, 12345);
		assert_dropped(in, len, SG_BPF_rst_invalid);
	}
	ck_assert_uint_eq(stat(SG_BPF_ack_cookie), 0);
}
END_TEST

/* --- the proxy's SYN+ACK ------------------------------------------------------- */

/* The daemon's side of the proxy tests: its configuration (mode always,
 * port 8081 of both servers proxied, the IPv6 one with configured server
 * options), its policy over the test's cookies, and its fastpath module
 * writing services, settings and proxy options into the program. */
static struct accel_fx *proxy_fx_new(void)
{
	struct accel_fx *x = calloc(1, sizeof(*x));
	struct conf_service *sv;

	ck_assert_ptr_nonnull(x);
	conf_defaults(&x->conf);
	x->conf.mode = CONF_MODE_ALWAYS;
	/* No reflection bound in either: one client sends all the SYNs. */
	x->conf.limit_synack_dest.rate = 0;
	x->conf.limit_synack_total.rate = 0;
	x->conf.nservices = 2;
	for (int i = 0; i < 2; i++) {
		sv = &x->conf.services[i];
		snprintf(sv->name, sizeof(sv->name), "web%d", i);
		sv->family = i ? AF_INET6 : AF_INET;
		memcpy(sv->addr, i ? server6 : server4, i ? 16 : 4);
		sv->port = PROXIED_PORT;
		sv->challenge = CONF_CHALLENGE_PROXY;
		sv->mss = i ? 1280 : CONF_OPT_UNSET;
		sv->wscale = i ? CONF_WSCALE_NONE : CONF_OPT_UNSET;
		sv->sack = i ? 0 : CONF_OPT_UNSET;
	}
	ck_assert_int_eq(accel_fx_init(x, acc, &cookies), 0);
	return x;
}

static void proxy_fx_free(struct accel_fx *x)
{
	accel_fx_free(x);
	free(x);
}

/* A SYN to the proxied port with these client options (mss 0, wscale
 * PKT_NO_WSCALE: none); its length. */
static size_t proxy_syn(uint8_t *f, int family, uint16_t sport, uint32_t isn, uint16_t mss,
			uint8_t wscale, bool sack)
{
	int v6 = family == AF_INET6;
	struct pkt_out o = {
		.family = family, .src = v6 ? client6 : client4, .dst = v6 ? server6 : server4,
		.sport = sport, .dport = PROXIED_PORT, .seq = isn, .flags = PKT_TH_SYN,
		.window = 64240, .mss = mss, .wscale = wscale, .sack_ok = sack,
	};

	return eth_frame(f, &o);
}

/* The program answers SYN in with the very frame the daemon would send:
 * what policy_decide decides for it (a proxy challenge: its cookie, the
 * options it takes from the service) built by policy_proxy_synack. */
static void assert_proxy_synack(struct accel_fx *x, const uint8_t *in, size_t len)
{
	uint8_t out[FRAME_MAX], want[FRAME_MAX];
	struct pkt syn;
	size_t outlen, n;

	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
	ck_assert_int_eq(pkt_parse(in + ETH_LEN, len - ETH_LEN, &syn), PKT_OK);
	n = accel_fx_proxy_synack(x, &syn, 1000000, want, sizeof(want));
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_eq(outlen, ETH_LEN + n);
	ck_assert_mem_eq(out + ETH_LEN, want, n);
	ck_assert_mem_eq(out, in + 6, 6);
	ck_assert_mem_eq(out + 6, in, 6);
}

/* Every client option the cookie encodes (MSS below, at and between the
 * table's entries, none; window scale none, 0, 7, 14, above 14; SACK or
 * not), both families: the server's defaults (IPv4, no sample yet), its
 * configured options (IPv6: MSS 1280, no window scale, no SACK), then
 * what the daemon learned from a server SYN+ACK, once its tick wrote it. */
START_TEST(accel_proxy_synack_is_the_daemons)
{
	static const uint16_t mss[] = { 0, 500, 536, 1299, 1300, 1420, 1440, 1459, 1460, 8940, 9000 };
	static const uint8_t ws[] = { PKT_NO_WSCALE, 0, 7, 14, 15 };
	struct accel_fx *x = proxy_fx_new();
	uint8_t in[FRAME_MAX];
	uint32_t n = 0;
	size_t len;

	for (int round = 0; round < 2; round++) {
		if (round) {
			/* Learned: MSS 1400, scale 3, no SACK, from the tick on. */
			x->pc.svc[0].learned = (struct policy_opts){ .n = 1, .mss = 1400, .wscale = 3 };
			fastpath_tick(&x->fp, &x->pc);
		}
		for (int v6 = 0; v6 < 2; v6++)
			for (size_t m = 0; m < sizeof(mss) / sizeof(mss[0]); m++)
				for (size_t w = 0; w < sizeof(ws); w++)
					for (int sack = 0; sack < 2; sack++, n++) {
						len = proxy_syn(in, v6 ? AF_INET6 : AF_INET,
								(uint16_t)(2000 + n),
								n * 2654435761u, mss[m], ws[w], sack);
						assert_proxy_synack(x, in, len);
					}
	}
	ck_assert_uint_eq(stat(SG_BPF_proxy_challenges), n);
	ck_assert_uint_eq(stat(SG_BPF_challenges), n);
	ck_assert_uint_eq(stat(SG_BPF_syn_retransmit), 0);
	proxy_fx_free(x);
}
END_TEST

/* The cookie of the program's proxy SYN+ACK checks in the daemon, this
 * epoch and (after a rotation) the last, and its ACK goes on for the
 * hand-off; the next rotation's keys, written by the daemon, change it. */
START_TEST(accel_proxy_cookie_rotation)
{
	struct accel_fx *x = proxy_fx_new();
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	struct cookie_opts co;
	struct sg_tuple t;
	struct pkt syn, sa;
	size_t len, outlen;
	uint32_t k;

	len = proxy_syn(in, AF_INET, 3000, 77, 1460, 7, true);
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
	ck_assert_int_eq(pkt_parse(in + ETH_LEN, len - ETH_LEN, &syn), PKT_OK);
	ck_assert_int_eq(pkt_parse(out + ETH_LEN, outlen - ETH_LEN, &sa), PKT_OK);
	pkt_tuple(&syn, &t);
	k = sa.seq;
	ck_assert_uint_eq(sa.ack, 78);
	ck_assert_int_eq(cookie_proxy_check(&cookies, &t, 77, k, &co), COOKIE_VALID_CURRENT);
	ck_assert_uint_eq(co.mss, 1460);
	ck_assert_uint_eq(co.wscale, 7);
	ck_assert(co.sack);
	ck_assert(cookie_set_epoch(&cookies, cookies.epoch + 1));
	ck_assert_int_eq(accel_set_keys(acc, &cookies, &fp), 0);
	ck_assert_int_eq(cookie_proxy_check(&cookies, &t, 77, k, &co), COOKIE_VALID_PREVIOUS);
	len = seg_frame(in, AF_INET, 3000, PROXIED_PORT, PKT_TH_ACK, 78, k + 1);
	assert_passed(in, len, SG_BPF_ack_cookie);
	len = proxy_syn(in, AF_INET, 3000, 77, 1460, 7, true);
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
	ck_assert_int_eq(pkt_parse(out + ETH_LEN, outlen - ETH_LEN, &sa), PKT_OK);
	ck_assert_uint_ne(sa.seq, k);
	ck_assert_int_eq(cookie_proxy_check(&cookies, &t, 77, sa.seq, &co), COOKIE_VALID_CURRENT);
	proxy_fx_free(x);
}
END_TEST

/* A proxied SYN whose options the program does not read as pkt.c does
 * (an option's length below 2 or past the header) goes on to the daemon,
 * counted, as do SYNs of a verified source. */
START_TEST(accel_proxy_odd_options_pass)
{
	struct accel_fx *x = proxy_fx_new();
	uint8_t in[FRAME_MAX];
	struct pkt syn;
	size_t len;

	for (int bad = 0; bad < 2; bad++) {
		len = proxy_syn(in, AF_INET, 3100, 5, 1460, 7, true);
		ck_assert_int_eq(pkt_parse(in + ETH_LEN, len - ETH_LEN, &syn), PKT_OK);
		in[ETH_LEN + syn.l4off + 21] = bad ? 40 : 1;	/* the MSS option's length */
		ck_assert_int_eq(pkt_fix_csum(in + ETH_LEN, len - ETH_LEN, &syn), 0);
		assert_passed(in, len, SG_BPF_syn_options);
	}
	ck_assert_uint_eq(stat(SG_BPF_proxy_challenges), 0);
	proxy_fx_free(x);
}
END_TEST

/* Adaptive mode's tripwire: a service passes trip_burst unverified SYNs,
 * the next one turns it to challenging (in the map: the SYNs after it are
 * challenged too) and tells the daemon, once; the catch-all the same. */
START_TEST(accel_tripwire)
{
	struct sg_bpf_cfg cfg = { .prefix4 = 32, .prefix6 = 64, .catchall = SG_BPF_SVC_TRIP,
				  .catchall_index = 127, .mss4 = 1460, .mss6 = 1440,
				  .window = 65535, .retransmit_min_ms = 500,
				  .retransmit_max_ms = 5000, .trip_rate = 1, .trip_burst = 3 };
	struct sg_bpf_svc_key any = { .port = 8080 };
	struct sg_bpf_svc trip = { .index = 4, .action = SG_BPF_SVC_TRIP };
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	struct seen seen = { 0 };
	size_t len, outlen;

	accel_stage(acc);
	ck_assert_int_eq(accel_set_cfg(acc, &cfg), 0);
	ck_assert_int_eq(accel_set_service(acc, &any, &trip), 0);
	ck_assert_int_eq(accel_commit(acc), 0);
	for (int i = 0; i < 3; i++) {
		len = syn_frame(in, i & 1 ? AF_INET6 : AF_INET, (uint16_t)(41600 + i), 1);
		assert_passed(in, len, SG_BPF_syn_passed);
	}
	ck_assert_int_eq(accel_events(acc, on_seen, &seen), 0);
	for (int i = 3; i < 6; i++) {
		len = syn_frame(in, AF_INET, (uint16_t)(41600 + i), 1);
		ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
	}
	ck_assert_uint_eq(stat(SG_BPF_trips), 1);
	ck_assert_int_eq(accel_events(acc, on_seen, &seen), 1);
	ck_assert_int_eq(seen.type, SG_BPF_EV_TRIPPED);
	ck_assert_uint_eq(seen.svc, 4);
	/* Another port: the catch-all's (accel_ports), its own budget. */
	ck_assert_int_eq(accel_set_catchall_port(acc, 9999, 9999), 0);
	for (int i = 0; i < 3; i++) {
		len = frame(in, &(struct seg){ .family = AF_INET, .sport = (uint16_t)(41700 + i),
					       .dport = 9999, .isn = 1 });
		assert_passed(in, len, SG_BPF_syn_passed);
	}
	len = frame(in, &(struct seg){ .family = AF_INET, .sport = 41710, .dport = 9999, .isn = 1 });
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
	len = frame(in, &(struct seg){ .family = AF_INET, .sport = 41711, .dport = 9999, .isn = 1 });
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
	ck_assert_uint_eq(stat(SG_BPF_trips), 2);
	ck_assert_int_eq(accel_events(acc, on_seen, &seen), 1);
	ck_assert_uint_eq(seen.svc, 127);
	/* The daemon's word at the attack's end is the catch-all's again. */
	ck_assert_int_eq(accel_set_catchall(acc, SG_BPF_SVC_PASS, 0), 0);
	len = frame(in, &(struct seg){ .family = AF_INET, .sport = 41712, .dport = 9999, .isn = 1 });
	assert_passed(in, len, SG_BPF_syn_passed);
}
END_TEST

/* A reload writes a whole new generation of settings, services and lists
 * while the program goes on with the old one, and switches in one step. */
START_TEST(accel_generations_switch_at_commit)
{
	struct sg_bpf_cfg cfg = { .prefix4 = 32, .prefix6 = 64, .catchall = SG_BPF_SVC_PASS,
				  .mss4 = 1460, .mss6 = 1440, .window = 65535,
				  .retransmit_min_ms = 500, .retransmit_max_ms = 5000 };
	struct sg_bpf_svc_key any9090 = { .port = 9090 };
	struct sg_bpf_svc auth = { .index = 1, .action = SG_BPF_SVC_AUTH };
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t len, outlen;

	accel_stage(acc);
	ck_assert_int_eq(accel_set_cfg(acc, &cfg), 0);
	ck_assert_int_eq(accel_set_service(acc, &any9090, &auth), 0);
	ck_assert_int_eq(accel_set_listed(acc, 1, AF_INET6, client6, 64), 0);
	/* Not yet: the old services (8080 on the server's addresses), no list. */
	len = frame(in, &(struct seg){ .family = AF_INET, .sport = 40800, .isn = 1 });
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
	len = frame(in, &(struct seg){ .family = AF_INET, .sport = 40801, .dport = 9090, .isn = 1 });
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_PASS_);
	len = frame(in, &(struct seg){ .family = AF_INET6, .sport = 40802, .isn = 1 });
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
	ck_assert_int_eq(accel_commit(acc), 0);
	/* Now: 9090 on every address, the deny list; 8080 is gone. */
	len = frame(in, &(struct seg){ .family = AF_INET, .sport = 40803, .isn = 1 });
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_PASS_);
	len = frame(in, &(struct seg){ .family = AF_INET, .sport = 40804, .dport = 9090, .isn = 1 });
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
	len = frame(in, &(struct seg){ .family = AF_INET6, .sport = 40805, .dport = 9090, .isn = 1 });
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_DROP_);
	/* The next generation starts empty: nothing of the first one is left. */
	accel_stage(acc);
	ck_assert_int_eq(accel_set_cfg(acc, &cfg), 0);
	ck_assert_int_eq(accel_commit(acc), 0);
	len = frame(in, &(struct seg){ .family = AF_INET, .sport = 40806, .isn = 1 });
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_PASS_);
	len = frame(in, &(struct seg){ .family = AF_INET, .sport = 40807, .dport = 9090, .isn = 1 });
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_PASS_);
	len = frame(in, &(struct seg){ .family = AF_INET6, .sport = 40808, .dport = 9090, .isn = 1 });
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_PASS_);
}
END_TEST

/* Pinned in a bpffs directory, the verified sources outlive the process
 * (a kill -9): the next accel_open there takes the tables over; other
 * sizes start afresh; a clean stop removes the pins; a directory that is
 * not on a bpffs pins nothing, and says so. */
START_TEST(accel_pinned_tables_survive)
{
	char dir[] = "/tmp/sg-pin-XXXXXX", pins[64], err[256];
	struct accel_sizes sz = { .verified = 1024, .retrans = 1024, .victims = 1024, .pin_dir = pins };
	struct sg_bpf_svc_key k = { .port = 8080 };
	struct sg_bpf_svc auth = { .action = SG_BPF_SVC_AUTH };
	struct sg_bpf_cfg cfg = { .prefix4 = 32, .prefix6 = 64, .mss4 = 1460, .mss6 = 1440,
				  .window = 65535 };
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	struct accel_run r = { .in = in, .out = out, .outlen = FRAME_MAX };
	struct accel *a;

	ck_assert_msg(unshare(CLONE_NEWNS) == 0, "unshare: %s", strerror(errno));
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(pins, sizeof(pins), "%s/synguard", dir);
	a = accel_open(accel_fx_object(), &sz, err, sizeof(err));	/* not a bpffs yet */
	ck_assert_msg(a, "%s", err);
	ck_assert_ptr_nonnull(accel_pin_error(a));
	accel_close(a);
	rmdir(pins);
	ck_assert_msg(mount("bpf", dir, "bpf", 0, NULL) == 0, "mount bpffs: %s", strerror(errno));
	a = accel_open(accel_fx_object(), &sz, err, sizeof(err));
	ck_assert_msg(a, "%s", err);
	ck_assert_ptr_null(accel_pin_error(a));
	ck_assert_uint_eq(accel_adopted(a), 0);
	{
		/* The fallback's sets hold 4 x retransmit_table (sg_bpf.h). */
		char path[128];
		struct bpf_map_info info = { 0 };
		uint32_t len = sizeof(info);
		int fd;

		snprintf(path, sizeof(path), "%s/sg_retrans", pins);
		fd = bpf_obj_get(path);
		ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
		ck_assert_int_eq(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
		ck_assert_uint_eq(info.max_entries, 1024 * SG_BPF_RETRANS_SLACK / SG_BPF_RETRANS_WAYS);
		close(fd);
	}
	ck_assert_int_eq(accel_set_verified(a, AF_INET, client4, UINT64_MAX), 0);
	accel_close(a);		/* as a crash: the pins stay */
	a = accel_open(accel_fx_object(), &sz, err, sizeof(err));
	ck_assert_msg(a, "%s", err);
	ck_assert_uint_eq(accel_adopted(a), 1);
	ck_assert_int_eq(accel_set_keys(a, &cookies, &fp), 0);
	ck_assert_int_eq(accel_set_cfg(a, &cfg), 0);
	ck_assert_int_eq(accel_set_service(a, &k, &auth), 0);
	r.inlen = syn_frame(in, AF_INET, 41800, 1);
	ck_assert_int_eq(accel_test_run(a, &r), 0);
	ck_assert_uint_eq(r.action, XDP_PASS_);		/* still verified */
	accel_close(a);
	sz.verified = 2048;	/* another size: not taken over */
	a = accel_open(accel_fx_object(), &sz, err, sizeof(err));
	ck_assert_msg(a, "%s", err);
	ck_assert_uint_eq(accel_adopted(a), 0);
	accel_unpin(a);
	ck_assert_int_ne(access(pins, F_OK), 0);	/* a clean stop: nothing left */
	accel_close(a);
	umount(dir);
	rmdir(dir);
}
END_TEST

START_TEST(accel_nothing_answered_without_keys)
{
	struct accel *bare;
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	struct accel_run r = { .in = in, .out = out, .outlen = FRAME_MAX };
	struct sg_bpf_svc_key k = { .family = AF_INET, .port = 8080 };
	struct sg_bpf_svc auth = { .action = SG_BPF_SVC_AUTH };
	char err[256];

	bare = accel_open(accel_fx_object(), NULL, err, sizeof(err));
	ck_assert_msg(bare, "%s", err);
	memcpy(k.addr, server4, 4);
	ck_assert_int_eq(accel_set_cfg(bare, &(struct sg_bpf_cfg){ .mss4 = 1460 }), 0);
	ck_assert_int_eq(accel_set_service(bare, &k, &auth), 0);
	r.inlen = syn_frame(in, AF_INET, 40500, 1);
	ck_assert_int_eq(accel_test_run(bare, &r), 0);
	ck_assert_uint_eq(r.action, XDP_PASS_);
	ck_assert_mem_eq(out, in, r.inlen);
	accel_close(bare);
}
END_TEST

/* --- the TC program ----------------------------------------------------------- */

/* A SYN frame with only the options given (mss 0, PKT_NO_WSCALE: none). */
static size_t syn_frame_opts(uint8_t *f, int family, uint16_t sport, uint16_t mss, uint8_t wscale)
{
	int v6 = family == AF_INET6;
	struct pkt_out o = {
		.family = family, .src = v6 ? client6 : client4, .dst = v6 ? server6 : server4,
		.sport = sport, .dport = 8080, .seq = 99, .flags = PKT_TH_SYN, .window = 64240,
		.mss = mss, .wscale = wscale,
	};

	return eth_frame(f, &o);
}

/* The same SYN through both programs: the TC one redirects (back out of
 * the device) the very frame the XDP one sends with XDP_TX, counted the
 * same.  Longer, as long and shorter SYNs than the SYN+ACK (the skb cut,
 * kept, grown), VLAN tags and IPv4 options. */
START_TEST(accel_tc_synack_is_the_xdp_one)
{
	uint8_t in[6][FRAME_MAX], xout[FRAME_MAX], tout[FRAME_MAX];
	size_t len[6], l2[6] = { ETH_LEN, ETH_LEN, ETH_LEN, ETH_LEN, ETH_LEN + 4, ETH_LEN };
	size_t xlen, tlen;

	len[0] = syn_frame(in[0], AF_INET, 43000, 1);
	len[1] = syn_frame(in[1], AF_INET6, 43001, 2);
	len[2] = syn_frame_opts(in[2], AF_INET, 43002, 1460, PKT_NO_WSCALE);	/* 58: as long */
	len[3] = syn_frame_opts(in[3], AF_INET6, 43003, 0, PKT_NO_WSCALE);	/* 74: shorter */
	memcpy(in[4], in[0], 12);	/* an 802.1Q tag */
	memcpy(in[4] + 12, (uint8_t[]){ 0x81, 0x00, 0x00, 0x0a }, 4);
	memcpy(in[4] + 16, in[0] + 12, len[0] - 12);
	len[4] = len[0] + 4;
	len[5] = syn_frame(in[5], AF_INET, 43005, 5);	/* IPv4 options: NOPs and EOL */
	memmove(in[5] + ETH_LEN + 24, in[5] + ETH_LEN + 20, len[5] - ETH_LEN - 20);
	memcpy(in[5] + ETH_LEN + 20, (uint8_t[]){ 1, 1, 1, 0 }, 4);
	len[5] += 4;
	in[5][ETH_LEN] = 0x46;
	in[5][ETH_LEN + 3] = (uint8_t)(len[5] - ETH_LEN);
	in[5][ETH_LEN + 10] = in[5][ETH_LEN + 11] = 0;
	{
		uint16_t c = pkt_csum_fold(pkt_csum_add(0, in[5] + ETH_LEN, 24));

		in[5][ETH_LEN + 10] = (uint8_t)(c >> 8);
		in[5][ETH_LEN + 11] = (uint8_t)c;
	}
	ck_assert_uint_eq(len[2], ETH_LEN + 20 + 24);
	for (int i = 0; i < 6; i++) {
		uint64_t before = stat(SG_BPF_challenges);

		ck_assert_uint_eq(run_hook(in[i], len[i], xout, &xlen, false), XDP_TX_);
		ck_assert_uint_eq(run_hook(in[i], len[i], tout, &tlen, true), TC_ACT_REDIRECT_);
		ck_assert_uint_eq(tlen, xlen);
		ck_assert_mem_eq(tout, xout, xlen);
		assert_synack(in[i], len[i], tout, tlen, l2[i]);
		ck_assert_uint_eq(stat(SG_BPF_challenges), before + 2);
	}
}
END_TEST

/* What the TC program does not decide goes on untouched (TC_ACT_OK),
 * counted as by the XDP one; a denied source's SYN is dropped. */
static void assert_tc_passed(const uint8_t *in, size_t len, enum sg_bpf_stat counter)
{
	uint8_t out[FRAME_MAX];
	size_t outlen;
	uint64_t before = stat(counter);

	ck_assert_uint_eq(run_hook(in, len, out, &outlen, true), TC_ACT_OK_);
	ck_assert_uint_eq(outlen, len);
	ck_assert_mem_eq(out, in, len);
	ck_assert_uint_eq(stat(counter), before + 1);
}

START_TEST(accel_tc_passes_and_drops)
{
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t len, outlen;
	uint64_t malformed;

	len = syn_frame(in, AF_INET, 43100, 1);
	in[len - 1] ^= 1;
	assert_tc_passed(in, len, SG_BPF_bad_checksum);
	len = syn_frame(in, AF_INET6, 43101, 1);
	in[ETH_LEN + 6] = 44;
	assert_tc_passed(in, len, SG_BPF_fragments);
	len = syn_frame(in, AF_INET, 43102, 1);
	assert_tc_passed(in, len - 10, SG_BPF_malformed);
	len = frame(in, &(struct seg){ .family = AF_INET, .sport = 43103, .dport = 8090 });
	assert_tc_passed(in, len, SG_BPF_unprotected);
	/* A data segment longer than the bytes sg_tc pulls before parsing
	 * (linear here, not on a NIC): the IP length is checked against the
	 * skb's, so it is not malformed, only not a SYN. */
	{
		struct pkt_out o = { .family = AF_INET, .src = client4, .dst = server4, .sport = 43104,
				     .dport = 8080, .flags = PKT_TH_ACK, .window = 502,
				     .wscale = PKT_NO_WSCALE };
		uint8_t big[FRAME_MAX] = { 0 };

		ck_assert_uint_eq(eth_frame(big, &o), ETH_LEN + 40);
		big[ETH_LEN + 2] = (FRAME_MAX - ETH_LEN) >> 8;	/* tot_len: 498, payload zeros */
		big[ETH_LEN + 3] = (FRAME_MAX - ETH_LEN) & 0xff;
		big[ETH_LEN + 10] = big[ETH_LEN + 11] = 0;
		{
			uint16_t c = pkt_csum_fold(pkt_csum_add(0, big + ETH_LEN, 20));

			big[ETH_LEN + 10] = (uint8_t)(c >> 8);
			big[ETH_LEN + 11] = (uint8_t)c;
		}
		malformed = stat(SG_BPF_malformed);
		assert_tc_passed(big, FRAME_MAX, SG_BPF_packets);
		ck_assert_uint_eq(stat(SG_BPF_malformed), malformed);
	}
	/* The client's RST echoing the cookie, at TC too (its own conntrack
	 * lookup): dropped, verified, handed over; a wrong one dropped. */
	{
		uint32_t c = challenge(AF_INET, 43106);
		struct seen seen = { 0 };

		len = rst_frame(in, AF_INET, 43106, c ^ 2);
		ck_assert_uint_eq(run_hook(in, len, out, &outlen, true), TC_ACT_SHOT_);
		ck_assert_uint_eq(stat(SG_BPF_rst_invalid), 1);
		len = rst_frame(in, AF_INET, 43106, c);
		ck_assert_uint_eq(run_hook(in, len, out, &outlen, true), TC_ACT_SHOT_);
		ck_assert_uint_eq(stat(SG_BPF_rst_valid), 1);
		ck_assert_int_eq(accel_events(acc, on_seen, &seen), 1);
		len = syn_frame(in, AF_INET, 43107, 1);
		assert_tc_passed(in, len, SG_BPF_syn_verified);
		ck_assert_int_eq(accel_forget_verified(acc, AF_INET, client4), 0);
	}
	ck_assert_int_eq(accel_set_listed(acc, 1, AF_INET, client4, 32), 0);
	len = syn_frame(in, AF_INET, 43105, 1);
	ck_assert_uint_eq(run_hook(in, len, out, &outlen, true), TC_ACT_SHOT_);
	ck_assert_uint_eq(stat(SG_BPF_syn_denied), 1);
}
END_TEST

/* A SYN to an auth service whose TCP options pkt.c finds malformed
 * (fuzz_bpf found the program answering it) is the daemon's, which drops
 * it: both programs pass it untouched, counted as malformed.  The same SYN
 * with its MSS option's length right is answered. */
START_TEST(accel_auth_syn_with_malformed_options_passes)
{
	struct sg_bpf_svc_key k = { .family = AF_INET, .port = 80 };
	struct sg_bpf_svc auth = { .index = 2, .action = SG_BPF_SVC_AUTH };
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t l2, len, outlen;
	struct pkt syn;

	memcpy(k.addr, server4, 4);
	ck_assert_int_eq(accel_set_service(acc, &k, &auth), 0);
	ck_assert_int_eq(pkt_parse(fuzz_bpf_badopt_syn, sizeof(fuzz_bpf_badopt_syn), &syn),
			 PKT_MALFORMED);
	l2 = accel_fx_eth(in, AF_INET, 0);
	memcpy(in + l2, fuzz_bpf_badopt_syn, sizeof(fuzz_bpf_badopt_syn));
	len = l2 + sizeof(fuzz_bpf_badopt_syn);
	assert_passed(in, len, SG_BPF_malformed);
	assert_tc_passed(in, len, SG_BPF_malformed);
	ck_assert_uint_eq(stat(SG_BPF_challenges), 0);
	in[l2 + 41] = 4;
	ck_assert_int_eq(pkt_parse(in + l2, len - l2, &syn), PKT_BAD_CSUM);
	ck_assert_int_eq(pkt_fix_csum(in + l2, len - l2, &syn), 0);
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
	assert_synack(in, len, out, outlen, l2);
}
END_TEST

/* An IPv6 SYN with a routing header that has segments left (fuzz_bpf
 * found the program answering it) is for another final destination: both
 * programs pass it untouched as not TCP, as pkt.c takes it.  With no
 * segments left it is answered. */
START_TEST(accel_syn6_with_segments_left_passes)
{
	struct sg_bpf_svc_key k = { .family = AF_INET6, .port = 80 };
	struct sg_bpf_svc auth = { .index = 2, .action = SG_BPF_SVC_AUTH };
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t l2, len, outlen;
	struct pkt syn;

	memcpy(k.addr, server6, 16);
	ck_assert_int_eq(accel_set_service(acc, &k, &auth), 0);
	ck_assert_int_eq(pkt_parse(fuzz_bpf_routed_syn6, sizeof(fuzz_bpf_routed_syn6), &syn),
			 PKT_NOT_TCP);
	l2 = accel_fx_eth(in, AF_INET6, 0);
	memcpy(in + l2, fuzz_bpf_routed_syn6, sizeof(fuzz_bpf_routed_syn6));
	len = l2 + sizeof(fuzz_bpf_routed_syn6);
	assert_passed(in, len, SG_BPF_not_tcp);
	assert_tc_passed(in, len, SG_BPF_not_tcp);
	ck_assert_uint_eq(stat(SG_BPF_challenges), 0);
	in[l2 + 43] = 0;	/* no segments left: this is the destination */
	ck_assert_int_eq(pkt_parse(in + l2, len - l2, &syn), PKT_OK);
	ck_assert_uint_eq(run(in, len, out, &outlen), XDP_TX_);
	assert_synack(in, len, out, outlen, l2);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("accel");
	TCase *tc = unit_tcase("program");

	if (geteuid() != 0 && !getenv("CI")) {
		fprintf(stderr, "check_accel: loading BPF programs needs root; skipped\n");
		exit(77);
	}
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, accel_synack_is_the_daemons_v4_v6);
	tcase_add_test(tc, accel_cookie_equals_userspace);
	tcase_add_test(tc, accel_vlan_tags_kept);
	tcase_add_test(tc, accel_ip_options_and_extension_headers);
	tcase_add_test(tc, accel_passes_what_it_does_not_decide);
	tcase_add_test(tc, accel_drops_fragmented_syns);
	tcase_add_test(tc, accel_verified_allowed_denied_not_challenging);
	tcase_add_test(tc, accel_retransmission_fallback);
	tcase_add_test(tc, accel_retransmission_set_keeps_the_newest);
	tcase_add_test(tc, accel_generations_switch_at_commit);
	tcase_add_test(tc, accel_rst_with_the_cookie_verifies);
	tcase_add_test(tc, accel_rst_cookie_epochs);
	tcase_add_test(tc, accel_rst_limit_and_passes);
	tcase_add_test(tc, accel_rst_of_a_connection_passes);
	tcase_add_test(tc, accel_tripwire);
	tcase_add_test(tc, accel_pinned_tables_survive);
	tcase_add_test(tc, accel_reflection_limits);
	tcase_add_test(tc, accel_reflection_limit_holds_across_cpus);
	tcase_add_test(tc, accel_nothing_answered_without_keys);
	tcase_add_test(tc, accel_tc_synack_is_the_xdp_one);
	tcase_add_test(tc, accel_tc_passes_and_drops);
	tcase_add_test(tc, accel_auth_syn_with_malformed_options_passes);
	tcase_add_test(tc, accel_syn6_with_segments_left_passes);
	tcase_add_test(tc, accel_ack_screening);
	tcase_add_test(tc, accel_ack_of_a_connection_passes);
	tcase_add_test(tc, accel_auth_screening);
	tcase_add_test(tc, accel_proxy_synack_is_the_daemons);
	tcase_add_test(tc, accel_proxy_cookie_rotation);
	tcase_add_test(tc, accel_proxy_odd_options_pass);
	suite_add_tcase(s, tc);
	return s;
}
