/* benchpath: CPU cost of the daemon's per-SYN userspace work (parse, policy
 * with cookie MAC and table updates, build the SYN+ACK) on spoofed SYNs,
 * without any I/O.  Prints nanoseconds per SYN; run by scripts/bench. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "pkt.h"
#include "policy.h"

#define NPKT 65536

static uint32_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)*s;
}

/* Turn the built SYN+ACK into a plain SYN with a correct TCP checksum. */
static void fix_syn(uint8_t *b, size_t len)
{
	uint8_t pseudo[12] = { 0 };
	uint16_t tcplen = (uint16_t)(len - 20), c;

	b[20 + 13] = PKT_TH_SYN;
	b[20 + 8] = b[20 + 9] = b[20 + 10] = b[20 + 11] = 0;	/* ack 0 */
	b[20 + 16] = b[20 + 17] = 0;
	memcpy(pseudo, b + 12, 8);
	pseudo[9] = 6;
	pseudo[10] = (uint8_t)(tcplen >> 8);
	pseudo[11] = (uint8_t)tcplen;
	c = pkt_csum_fold(pkt_csum_add(pkt_csum_add(0, pseudo, 12), b + 20, tcplen));
	b[20 + 16] = (uint8_t)(c >> 8);
	b[20 + 17] = (uint8_t)c;
}

/* A template SYN (IPv4, MSS/SACK/TS/wscale) turned into NPKT spoofed ones
 * by building SYN+ACK-style packets with pkt_build_synack from fake SYNs. */
static size_t make_syn(uint8_t *out, uint64_t *s)
{
	struct pkt p = { .family = AF_INET, .flags = PKT_TH_SYN };
	size_t len;

	p.src[0] = 203; p.src[1] = 0; p.src[2] = 113; p.src[3] = 2;	/* becomes dst */
	p.dst[0] = 198; p.dst[1] = 18;					/* becomes src */
	p.dst[2] = (uint8_t)rnd(s); p.dst[3] = (uint8_t)rnd(s);
	p.sport = 80;
	p.dport = (uint16_t)(1024 + rnd(s) % 60000);
	len = pkt_build_synack(out, 128, &p, &(struct pkt_synack){ rnd(s), 0, 1460, 64240 });
	fix_syn(out, len);
	return len;
}

int main(int argc, char **argv)
{
	static uint8_t pkts[NPKT][128];	/* distinct spoofed SYNs, 8 MiB: cache misses as in a flood */
	static size_t lens[NPKT];
	uint64_t seed = 88172645463325252ULL, n = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
	struct conf conf;
	struct stats st = { 0 };
	struct cookie_ctx cookies;
	struct table verified, retrans;
	struct siphash_key m = { 1, 2 }, s1 = { 3, 4 }, s2 = { 5, 6 }, s3 = { 9, 10 },
		s4 = { 11, 12 }, s5 = { 13, 14 };
	struct halfopen ho;
	struct bucket_table lim;
	struct hh top;
	struct policy_ctx pc = { .conf = &conf, .cookies = &cookies, .verified = &verified,
				 .retrans = &retrans, .stats = &st, .fp_key = { 7, 8 } };
	struct timespec t0, t1;
	uint8_t out[128];
	size_t sink = 0;

	conf_defaults(&conf);
	cookie_init(&cookies, &m, 1000);
	if (table_init(&verified, conf.verified_max, POLICY_SRCKEY_LEN, &s1) < 0 ||
	    table_init(&retrans, conf.retransmit_table, POLICY_RETRANS_KEYLEN, &s2) < 0 ||
	    halfopen_init(&ho, conf.halfopen_max, HALFOPEN_SVC_MAX, 30000000, &s3) < 0 ||
	    bucket_table_init(&lim, conf.limit_table, &s4) < 0 || hh_init(&top, 256, &s5) < 0)
		return 1;
	/* The whole per-SYN path of the daemon under attack: mode always (a
	 * service under attack), heavy hitters, SYN+ACK limits, tracking. */
	conf.mode = CONF_MODE_ALWAYS;
	pc.halfopen = &ho;
	pc.limits = &lim;
	pc.top = &top;
	policy_init(&pc, 0);
	for (int i = 0; i < NPKT; i++)
		lens[i] = make_syn(pkts[i], &seed);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t i = 0; i < n; i++) {
		struct pkt p;
		struct policy_result r;
		enum pkt_status stt = pkt_parse(pkts[i % NPKT], lens[i % NPKT], &p);

		if (stt != PKT_OK)
			return 1;
		/* 1 us of virtual time per SYN: a 1 Mpps flood's table churn. */
		policy_decide(&pc, stt, &p, i, &r);
		if (r.challenge)
			sink += pkt_build_synack(out, sizeof(out), &p, &(struct pkt_synack){
				r.synack_seq, r.synack_ack, 1460, 65535 });
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	{
		double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);

		printf("benchpath: %llu SYNs, %.1f ns per SYN (parse + policy with heavy hitters, "
		       "limits, tracking + SYN+ACK build), %.2f M SYN/s on one core; challenges %llu, "
		       "SYN+ACK-limited %llu, retransmit-table evictions %llu, limit-table evictions "
		       "%llu\n", (unsigned long long)n, ns / (double)n, (double)n / ns * 1e3,
		       (unsigned long long)(st.syn - st.syn_accepted - st.limited_synack_dest -
					    st.limited_synack_total),
		       (unsigned long long)(st.limited_synack_dest + st.limited_synack_total),
		       (unsigned long long)st.retransmit_evictions,
		       (unsigned long long)lim.t.evictions);
	}
	table_free(&verified);
	table_free(&retrans);
	halfopen_free(&ho);
	bucket_table_free(&lim);
	hh_free(&top);
	return sink == 0;
}
