/* sg_bpf: what the kernel fast path program (synguard.bpf.c) and its loader
 * (accel.c) share: the maps' keys and values and the counters.  Plain
 * fixed-size types, the same layout on both sides. */
#ifndef SYNGUARD_SG_BPF_H
#define SYNGUARD_SG_BPF_H

#include <linux/types.h>

/* sg_keys[0]: the cookie keys of the current and the previous epoch (the
 * daemon writes them at every rotation), the current epoch's parity, and
 * the key of the SYN+ACK's sequence number (a fingerprint of the SYN). */
struct sg_bpf_keys {
	__u64 cur_k0, cur_k1;
	__u64 prev_k0, prev_k1;
	__u64 fp_k0, fp_k1;
	__u32 parity;		/* epoch & 1 */
	__u32 valid;		/* 0 until the daemon wrote the keys: nothing is answered */
};

/* sg_cfg[0]: settings of the whole program. */
struct sg_bpf_cfg {
	__u8 prefix4, prefix6;	/* verified_prefix4/6 */
	__u8 catchall;		/* SG_BPF_SVC_* of destinations no service names */
	__u8 catchall_index;	/* the daemon's index of them (sg_svc_stats) */
	__u8 lists;		/* SG_BPF_LIST_* bits: which list maps hold entries */
	__u8 pad0[3];
	__u16 mss4, mss6;	/* MSS option of the cookie SYN+ACK */
	__u16 window;
	__u16 pad2;
	/* The retransmission fallback: the same SYN again between these
	 * (milliseconds after its first challenge) is a real stack's. */
	__u32 retransmit_min_ms, retransmit_max_ms;
	/* Anti-reflection: SYN+ACKs per victim prefix (limit_prefix4/6) and
	 * in all, per second with a burst; rate 0 is no limit. */
	__u8 limit_prefix4, limit_prefix6;
	__u16 pad3;
	__u32 synack_dest_rate, synack_dest_burst;
	__u32 synack_total_rate, synack_total_burst;
};

/* sg_victims: a limit_prefix-masked source -> its bucket (below). */
struct sg_bpf_victim {
	__u8 family;
	__u8 addr[16];
};

#define SG_BPF_LIST_ALLOW4 1
#define SG_BPF_LIST_ALLOW6 2
#define SG_BPF_LIST_DENY4 4
#define SG_BPF_LIST_DENY6 8

/* sg_retrans: a direct-mapped table of challenged SYNs, slot = fingerprint
 * modulo its size; a newer SYN takes an older one's slot (that SYN then
 * meets one more challenge, never a wrong pass). */
#define SG_BPF_RETRANS_SLOTS (1 << 20)
struct sg_bpf_retrans {
	__u64 fp;		/* the SYN's fingerprint */
	__u64 first_ns;		/* when it was first challenged */
};

/* sg_services: a protected destination.  family 0 with a zero address
 * names a port on every address (a service without an address). */
struct sg_bpf_svc_key {
	__u8 family;		/* AF_INET, AF_INET6, or 0: any address */
	__u8 pad;
	__u16 port;		/* host order */
	__u8 addr[16];		/* network order, IPv4 in the first 4 */
};

#define SG_BPF_SVC_PASS 0	/* not challenging: everything goes on to the daemon */
#define SG_BPF_SVC_AUTH 1	/* challenging with SYN authentication */

struct sg_bpf_svc {
	__u32 index;		/* the daemon's service index */
	__u32 action;		/* SG_BPF_SVC_* */
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
	X(malformed, "truncated or malformed: passed to the daemon") \
	X(fragments, "fragments: passed to the daemon") \
	X(bad_checksum, "bad IP or TCP checksum: passed to the daemon") \
	X(syn, "pure SYNs") \
	X(syn_denied, "SYNs from the deny list: dropped") \
	X(syn_allowed, "SYNs from the allow list: passed") \
	X(syn_verified, "SYNs from verified sources: passed") \
	X(syn_passed, "SYNs to services not challenging: passed") \
	X(challenges, "cookie SYN+ACKs sent") \
	X(syn_retransmit, "challenged SYNs seen again in the fallback window: passed") \
	X(limited_synack_dest, "SYNs not answered: limit_synack_dest of their source's prefix") \
	X(limited_synack_total, "SYNs not answered: limit_synack_total") \
	X(no_keys, "SYNs seen before the daemon wrote the keys: passed") \
	X(tx_errors, "SYN+ACKs that could not be built: passed")

enum sg_bpf_stat {
#define X(name, help) SG_BPF_##name,
	SG_BPF_STATS(X)
#undef X
	SG_BPF_NSTATS
};

#endif
