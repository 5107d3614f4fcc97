/* sg_bpf: what the kernel fast path program (synguard.bpf.c) and its loader
 * (accel.c) share: the maps' keys and values and the counters.  Plain
 * fixed-size types, the same layout on both sides. */
#ifndef SYNGUARD_SG_BPF_H
#define SYNGUARD_SG_BPF_H

#include <linux/types.h>

/* sg_keys[0]: the cookie keys of the current and the previous epoch (the
 * daemon writes them at every rotation), the current epoch's parity, and
 * the keys of the SYN fingerprint (sg_bpf_syn_hash). */
struct sg_bpf_keys {
	__u64 cur_k0, cur_k1;
	__u64 prev_k0, prev_k1;
	__u64 fp_k0, fp_k1;
	__u64 bucket_seed;	/* keys the index of a victim's bucket (sg_victims) */
	__u32 parity;		/* epoch & 1 */
	__u32 valid;		/* 0 until the daemon wrote the keys: nothing is answered */
};

/* sg_active[0]: the generation (0 or 1) of the settings, services and
 * lists the program uses.  The daemon writes a whole new generation into
 * the other half (sg_cfg[g], sg_ports[g], sg_services with gen g, the list
 * tries of g) and then flips this one word: a reload is atomic. */
#define SG_BPF_GENS 2

/* The fast path's fingerprint of a SYN (addresses, ports, ISN; ports and
 * ISN in host order): the key of its retransmission fallback and of
 * sg_retrans_passed, and its SYN+ACK's sequence number.  A keyed
 * multiply-xorshift hash, not a MAC (nothing is authenticated by it; a
 * spoofer cannot aim at a set without the keys), cheap enough for every
 * SYN of a flood.  The program and the daemon (fastpath.c) compute it with
 * this one definition.  words: 1 (IPv4) or 4 (IPv6). */
#define SG_BPF_MIX 0x9e3779b97f4a7c15ULL

static inline __attribute__((always_inline)) __u64 sg_bpf_mix(__u64 h, __u32 w)
{
	h = (h ^ w) * SG_BPF_MIX;
	return h ^ (h >> 29);
}

static inline __attribute__((always_inline)) __u64
sg_bpf_syn_hash(__u64 k0, __u64 k1, const __u8 *src, const __u8 *dst, const __u32 words,
		__u16 sport, __u16 dport, __u32 seq)
{
	__u64 h = k0 ^ words;

	for (__u32 i = 0; i < 4; i++) {
		__u32 a, b;

		if (i >= words)
			break;
		__builtin_memcpy(&a, src + sizeof(__u32) * i, 4);
		__builtin_memcpy(&b, dst + sizeof(__u32) * i, 4);
		h = sg_bpf_mix(sg_bpf_mix(h, a), b);
	}
	h = sg_bpf_mix(sg_bpf_mix(h, (__u32)sport << 16 | dport), seq);
	h = (h ^ k1) * SG_BPF_MIX;
	return h ^ (h >> 32);
}

/* sg_cfg[gen]: settings of the whole program. */
struct sg_bpf_cfg {
	__u8 prefix4, prefix6;	/* verified_prefix4/6 */
	__u8 catchall;		/* SG_BPF_SVC_* of destinations no service names */
	__u8 catchall_index;	/* the daemon's index of them (sg_svc_stats) */
	__u8 lists;		/* SG_BPF_LIST_* bits: which list maps hold entries */
	__u8 svc_addr;		/* a service names an address: look in sg_services */
	__u8 catchall_flags;	/* the catch-all's SG_BPF_SVCF_* (sg_bpf_svc.flags) */
	__u8 pad0;
	__u16 mss4, mss6;	/* MSS option of the auth cookie SYN+ACK */
	__u16 window;		/* the auth cookie SYN+ACK's window */
	__u16 proxy_window;	/* the proxy's (daemon.c: proxy_early_data's) */
	/* The retransmission fallback: the same SYN again between these
	 * (milliseconds after its first challenge) is a real stack's. */
	__u32 retransmit_min_ms, retransmit_max_ms;
	/* Anti-reflection: SYN+ACKs per victim prefix (limit_prefix4/6) and
	 * in all, per second with a burst; rate 0 is no limit. */
	__u8 limit_prefix4, limit_prefix6;
	__u16 pad3;
	__u32 synack_dest_rate, synack_dest_burst;
	__u32 synack_total_rate, synack_total_burst;
	/* The sizes of sg_retrans (sets) and sg_victims, powers of two from
	 * the daemon's retransmit_table and limit_table, less one. */
	__u32 retrans_mask, victim_mask;
	/* RSTs answering a cookie: limit_rst_source (a prefix that made
	 * this many wrong guesses gets no more checks; rate 0 is no limit),
	 * and how long a source they verify stays verified. */
	__u32 rst_rate, rst_burst;
	__u32 verified_ttl_ms;
	/* The adaptive mode's tripwire (SG_BPF_SVC_TRIP). */
	__u32 trip_rate, trip_burst;
	__u32 pad4;
};

/* sg_events: what the program tells the daemon (a ring buffer). */
#define SG_BPF_EVENTS_BYTES (256 * 1024)
#define SG_BPF_EV_VERIFIED 1	/* a RST echoed a valid cookie: addr is verified */
#define SG_BPF_EV_TRIPPED 2	/* service svc's tripwire turned it to challenging */
struct sg_bpf_event {
	__u8 type;		/* SG_BPF_EV_* */
	__u8 family;
	__u16 pad;
	__u32 svc;		/* EV_TRIPPED: the daemon's service index */
	__u8 addr[16];		/* EV_VERIFIED: the client's address (not masked) */
};

/* sg_victims: limit_synack_dest's buckets, one u64 each (GCRA's
 * theoretical arrival time), indexed by a keyed hash of the victim's
 * limit_prefix-masked address.  No key is stored: prefixes that share a
 * bucket share its rate, so no victim ever gets more than the limit (at
 * the generator's full rate a bucket sees a few SYNs per second). */
#define SG_BPF_VICTIM_SLOTS (1 << 18)	/* the object's; the loader resizes */

#define SG_BPF_LIST_ALLOW4 1
#define SG_BPF_LIST_ALLOW6 2
#define SG_BPF_LIST_DENY4 4
#define SG_BPF_LIST_DENY6 8

/* sg_retrans: the challenged SYNs, in sets of SG_BPF_RETRANS_WAYS entries
 * (one cache line), set = fingerprint modulo the number of sets.  An entry
 * is one u64: the fingerprint's high 32 bits, and when the SYN was first
 * challenged (milliseconds of bpf_ktime_get_ns, modulo 2^32).  A new SYN
 * takes its set's free or oldest entry: an entry lives until eight newer
 * SYNs fell into its set.  Sets fill unevenly (Poisson), so the table has
 * SG_BPF_RETRANS_SLACK times the daemon's retransmit_table: with the
 * default 1Mi, at 600 kpps a set takes 1.1 SYNs a second on average and
 * a SYN is still there at its retransmission 1 s later with a chance of
 * 1 - P(Poisson(1.1) >= 8) > 99.99 % (2.3 per set with twice the table:
 * 99.8 %; 4.6 with the same size: 91 %).  A lost entry costs one more
 * challenge (the client gets in a second later), never a wrong pass. */
#define SG_BPF_RETRANS_SLACK 4
#define SG_BPF_RETRANS_MAX (64u << 20)	/* entries: 512 MB */
#define SG_BPF_RETRANS_SETS (1 << 18)	/* the object's; the loader resizes */
#define SG_BPF_RETRANS_WAYS 8
struct sg_bpf_retrans_set {
	__u64 e[SG_BPF_RETRANS_WAYS];
};

/* A protected destination.  family 0 with a zero address names a port on
 * every address (a service without an address): the program keeps those
 * in sg_ports[gen * 65536 + port], the others in sg_services. */
struct sg_bpf_svc_key {
	__u8 family;		/* AF_INET, AF_INET6, or 0: any address */
	__u8 gen;		/* the generation (sg_active) it belongs to */
	__u16 port;		/* host order */
	__u8 addr[16];		/* network order, IPv4 in the first 4 */
};

#define SG_BPF_SVC_PASS 0	/* not challenging: everything goes on to the daemon */
#define SG_BPF_SVC_AUTH 1	/* challenging with SYN authentication */
/* Adaptive, no attack (yet): unverified SYNs pass while the service's
 * budget (sg_trip: trip_rate per second, trip_burst) lasts; the SYN that
 * finds it empty turns the service to SG_BPF_SVC_AUTH there and then, is
 * challenged, and the daemon is told (SG_BPF_EV_TRIPPED): its detector
 * takes the attack over and decides when it ends. */
#define SG_BPF_SVC_TRIP 2
/* Not protected: a destination no service names, on a port accel_ports
 * does not give the catch-all.  Passed untouched, counted apart. */
#define SG_BPF_SVC_NONE 3

/* sg_catchall_ports[gen * 1024 + port / 64], bit port % 64: the ports of
 * the catch-all (accel_ports).  The program judges only what the daemon's
 * rules protect: the services, and these. */
#define SG_BPF_PORT_WORDS 1024

/* sg_bpf_svc.flags.  SCREEN (where the daemon enforces): a segment
 * without SYN that conntrack does not know (an ACK, FIN, RST+ACK or
 * SYN+ACK of no connection) is dropped, unless the service is PROXIED and
 * it acknowledges a valid proxy cookie.  PROXIED (challenge = proxy or
 * auto): a challenged SYN is answered with the proxy cookie SYN+ACK, the
 * server's options from sg_svc_opts. */
#define SG_BPF_SVCF_SCREEN 1
#define SG_BPF_SVCF_PROXIED 2

struct sg_bpf_svc {
	__u32 index;		/* the daemon's service index */
	__u16 action;		/* SG_BPF_SVC_* */
	__u8 set;		/* 1: a service (sg_ports' zeroed entries are none) */
	__u8 flags;		/* SG_BPF_SVCF_* */
};

/* sg_svc_opts[gen * SG_BPF_SVC_MAX + index]: the options the proxy's
 * SYN+ACK announces for service index, the server's as the daemon learned
 * or was told them (policy_server_opts), kept current by the daemon: MSS
 * for IPv4 and IPv6 (0: no option), the window scale for a client that
 * scales (SG_BPF_NO_WSCALE: none), SACK-permitted for a client that
 * offers it. */
#define SG_BPF_NO_WSCALE 0xff
struct sg_bpf_svc_opts {
	__u16 mss4, mss6;
	__u8 wscale, sack;
	__u16 pad;
};

/* sg_verified4/6: a verified source prefix (masked) -> when it expires,
 * in bpf_ktime_get_ns (CLOCK_MONOTONIC) nanoseconds. */
struct sg_bpf_v6key {
	__u8 addr[16];
};

/* sg_allow4/6, sg_deny4/6: LPM tries of the lists. */
struct sg_bpf_lpm4 {
	__u32 prefixlen;
	__u8 addr[4];
};
struct sg_bpf_lpm6 {
	__u32 prefixlen;
	__u8 addr[16];
};

/* sg_svc_stats[index]: per-service figures, per CPU; the daemon folds them
 * into its own each tick (the attack detector sees every SYN). */
#define SG_BPF_SVC_MAX 128	/* > the daemon's services + the catch-all */
struct sg_bpf_svc_stats {
	__u64 syn, unverified, challenges;
};

/* sg_stats: per-CPU counters, summed by the daemon. */
#define SG_BPF_STATS(X) \
	X(packets, "packets the program saw") \
	X(not_tcp, "not IPv4/IPv6 TCP: passed") \
	X(unprotected, "SYNs and RSTs to destinations neither a service nor accel_ports names: passed") \
	X(malformed, "truncated or malformed (a SYN's TCP options too): passed to the daemon") \
	X(fragments, "fragments: passed to the daemon") \
	X(bad_checksum, "SYN or RST with a bad IP or TCP checksum: passed to the daemon") \
	X(syn, "pure SYNs") \
	X(syn_denied, "SYNs from the deny list: dropped") \
	X(syn_allowed, "SYNs from the allow list: passed") \
	X(syn_verified, "SYNs from verified sources: passed") \
	X(syn_passed, "SYNs to services not challenging: passed") \
	X(trips, "adaptive services the tripwire turned to challenging") \
	X(challenges, "cookie SYN+ACKs sent (auth and proxy)") \
	X(proxy_challenges, "proxy cookie SYN+ACKs sent (of proxied services)") \
	X(syn_options, "SYNs with options the program does not read (to proxied services; more than 16 to others): passed to the daemon") \
	X(syn_retransmit, "challenged SYNs seen again in the fallback window: passed") \
	X(limited_synack_dest, "SYNs not answered: limit_synack_dest of their source's prefix") \
	X(limited_synack_total, "SYNs not answered: limit_synack_total") \
	X(no_keys, "SYNs seen before the daemon wrote the keys: passed") \
	X(rst, "pure RSTs to services (answers to cookies, or not)") \
	X(rst_conn, "RSTs of connections conntrack knows: passed") \
	X(rst_valid, "RSTs echoing a valid cookie: source verified, dropped") \
	X(rst_invalid, "RSTs of no connection with a wrong cookie: dropped") \
	X(rst_limited, "RSTs of a prefix out of limit_rst_source: dropped unchecked") \
	X(events_lost, "verified sources the daemon was not told of (ring buffer full)") \
	X(stray_conn, "segments without SYN to screened services that conntrack knows: passed") \
	X(ack_cookie, "ACKs to proxied services acknowledging a valid proxy cookie: passed to the daemon") \
	X(ack_invalid, "segments without SYN to screened services of no connection, no valid cookie: dropped") \
	X(tx_errors, "SYN+ACKs that could not be built: passed") \
	X(syn_fragments, "SYNs in IP fragments (or first fragments too short for the flags) to challenging services: dropped")

enum sg_bpf_stat {
#define X(name, help) SG_BPF_##name,
	SG_BPF_STATS(X)
#undef X
	SG_BPF_NSTATS
};

#endif
