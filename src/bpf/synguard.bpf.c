/* synguard.bpf.c: the kernel fast path (XDP, or TC ingress where the
 * driver has no XDP: one program each, sharing everything but the frame's
 * resizing).  For a pure SYN from an unverified source to a challenging
 * service it rewrites the frame in place into the cookie SYN+ACK the daemon
 * would send and sends it back (XDP_TX, or a redirect out of the device it
 * came in by): the same cookie (SipHash-2-4 over the connection, the daemon's
 * epoch keys from sg_keys), the same headers.  Everything else it does not
 * decide (other packets, malformed or fragmented ones, bad checksums, SYNs
 * of verified or allow-listed sources, services not challenging) goes on
 * to the stack and the daemon exactly as without it.
 *
 * Bounded: at most two VLAN tags and IP6_EXT_MAX IPv6 extension headers
 * are walked; every packet access is checked against data_end. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* Conntrack from BPF (kfuncs of nf_conntrack, kernel >= 6.0): whether a
 * RST belongs to a connection.  libbpf matches these declarations with
 * the kernel's by kind and name: a struct (its members are never read). */
struct nf_conn {
	int unused;
};
struct bpf_ct_opts {
	__s32 netns_id;
	__s32 error;
	__u8 l4proto;
	__u8 dir;
	__u16 ct_zone_id;
	__u8 ct_zone_dir;
	__u8 reserved[3];
};
extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *ctx, struct bpf_sock_tuple *tuple,
					 __u32 tuple_len, struct bpf_ct_opts *opts,
					 __u32 opts_len) __ksym;
extern struct nf_conn *bpf_skb_ct_lookup(struct __sk_buff *skb, struct bpf_sock_tuple *tuple,
					 __u32 tuple_len, struct bpf_ct_opts *opts,
					 __u32 opts_len) __ksym;
extern void bpf_ct_release(struct nf_conn *ct) __ksym;

#include "sg_bpf.h"

#define AF_INET 2
#define AF_INET6 10
#define ETH_P_8021Q_ 0x8100
#define ETH_P_8021AD_ 0x88a8
#define VLAN_MAX 2
#define IP6_EXT_MAX 8
#define TTL_OUT 64
#define TCPOPT_EOL_ 0
#define TCPOPT_NOP_ 1
#define TCPOPT_MSS_ 2
#define TCPOPT_WSCALE_ 3
#define TCPOPT_SACK_PERM_ 4
#define WSCALE_MAX 14		/* RFC 7323 2.3 */
#define OPT_STEPS 16		/* options read of a proxied SYN, NOPs included */
#define IP_DF_ 0x4000
#define IP_OFFMASK_ 0x3fff	/* MF and the fragment offset */
#define IP_MF_ 0x2000
#define TH_FIN_ 0x01
#define TH_SYN_ 0x02
#define TH_RST_ 0x04
#define TH_ACK_ 0x10
#define COOKIE_MAC_MASK 0x7fffffffU

char LICENSE[] SEC("license") = "GPL";

/* One map: name, type, size, key and value types. */
#define MAP(name, maptype, size, keytype, valtype) \
	struct { \
		__uint(type, maptype); \
		__uint(max_entries, size); \
		__type(key, keytype); \
		__type(value, valtype); \
	} name SEC(".maps")

MAP(sg_keys, BPF_MAP_TYPE_ARRAY, 1, __u32, struct sg_bpf_keys);	/* sg_bpf.h */
MAP(sg_active, BPF_MAP_TYPE_ARRAY, 1, __u32, __u32);
MAP(sg_cfg, BPF_MAP_TYPE_ARRAY, SG_BPF_GENS, __u32, struct sg_bpf_cfg);
MAP(sg_ports, BPF_MAP_TYPE_ARRAY, SG_BPF_GENS * 65536, __u32, struct sg_bpf_svc);
MAP(sg_services, BPF_MAP_TYPE_HASH, SG_BPF_GENS * 256, struct sg_bpf_svc_key, struct sg_bpf_svc);
MAP(sg_catchall_ports, BPF_MAP_TYPE_ARRAY, SG_BPF_GENS * SG_BPF_PORT_WORDS, __u32, __u64);
MAP(sg_svc_opts, BPF_MAP_TYPE_ARRAY, SG_BPF_GENS * SG_BPF_SVC_MAX, __u32, struct sg_bpf_svc_opts);
/* Verified source prefixes -> until when (ns). */
MAP(sg_verified4, BPF_MAP_TYPE_LRU_HASH, 1 << 20, __u32, __u64);
MAP(sg_verified6, BPF_MAP_TYPE_LRU_HASH, 1 << 20, struct sg_bpf_v6key, __u64);
/* The anti-reflection buckets, one u64 each: GCRA's theoretical arrival
 * time (ns), updated with compare-and-swap so that every CPU running the
 * program shares one bound. */
MAP(sg_victims, BPF_MAP_TYPE_ARRAY, SG_BPF_VICTIM_SLOTS, __u32, __u64);
MAP(sg_total, BPF_MAP_TYPE_ARRAY, 1, __u32, __u64);
/* The tripwire's budgets, one per service index (SG_BPF_SVC_TRIP). */
MAP(sg_trip, BPF_MAP_TYPE_ARRAY, SG_BPF_SVC_MAX, __u32, __u64);
/* limit_rst_source's buckets, as sg_victims (its size and hash). */
MAP(sg_rst_limits, BPF_MAP_TYPE_ARRAY, SG_BPF_VICTIM_SLOTS, __u32, __u64);
/* Sources verified here, for the daemon's table, ipset and state file. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SG_BPF_EVENTS_BYTES);
} sg_events SEC(".maps");
/* The devices (ifindex) whose clsact qdisc a synguardd made for its TC
 * filter.  The program never reads it: pinned, it tells the daemon that
 * follows a killed one which qdisc it may remove. */
MAP(sg_qdiscs, BPF_MAP_TYPE_HASH, 64, __u32, __u8);
/* The retransmission fallback's challenged SYNs, and those it passed on
 * (fingerprint -> when): the daemon accepts the SYN it then meets instead
 * of challenging it again. */
MAP(sg_retrans, BPF_MAP_TYPE_ARRAY, SG_BPF_RETRANS_SETS, __u32, struct sg_bpf_retrans_set);
MAP(sg_retrans_passed, BPF_MAP_TYPE_LRU_HASH, 65536, __u64, __u64);

#define LPM_MAP(name, keytype) \
	struct { \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE); \
		__uint(max_entries, 65536); \
		__uint(map_flags, BPF_F_NO_PREALLOC); \
		__type(key, keytype); \
		__type(value, __u8); \
	} name SEC(".maps")

/* One set of tries per generation. */
LPM_MAP(sg_allow4_0, struct sg_bpf_lpm4);
LPM_MAP(sg_allow6_0, struct sg_bpf_lpm6);
LPM_MAP(sg_deny4_0, struct sg_bpf_lpm4);
LPM_MAP(sg_deny6_0, struct sg_bpf_lpm6);
LPM_MAP(sg_allow4_1, struct sg_bpf_lpm4);
LPM_MAP(sg_allow6_1, struct sg_bpf_lpm6);
LPM_MAP(sg_deny4_1, struct sg_bpf_lpm4);
LPM_MAP(sg_deny6_1, struct sg_bpf_lpm6);

/* The counters, whole and per service, per CPU. */
MAP(sg_stats, BPF_MAP_TYPE_PERCPU_ARRAY, SG_BPF_NSTATS, __u32, __u64);
MAP(sg_svc_stats, BPF_MAP_TYPE_PERCPU_ARRAY, SG_BPF_SVC_MAX, __u32, struct sg_bpf_svc_stats);

static __always_inline struct sg_bpf_svc_stats *svc_stats(__u32 index)
{
	return bpf_map_lookup_elem(&sg_svc_stats, &index);
}

static __always_inline void count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&sg_stats, &which);

	if (v)
		*v += 1;
}

/* --- SipHash-2-4 (the same function as src/siphash.c) ---------------------- */

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND(v0, v1, v2, v3) do { \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
} while (0)

struct sip {
	__u64 v0, v1, v2, v3;
};

static __always_inline struct sip sip_init(__u64 k0, __u64 k1)
{
	struct sip s = {
		k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
		k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL,
	};

	return s;
}

/* One 8-byte word of the message (little-endian), two rounds. */
static __always_inline void sip_word(struct sip *s, __u64 m)
{
	s->v3 ^= m;
	SIPROUND(s->v0, s->v1, s->v2, s->v3);
	SIPROUND(s->v0, s->v1, s->v2, s->v3);
	s->v0 ^= m;
}

/* The last word (the length in its top byte, the tail below), four rounds. */
static __always_inline __u64 sip_final(struct sip *s, __u64 b)
{
	sip_word(s, b);
	s->v2 ^= 0xff;
	SIPROUND(s->v0, s->v1, s->v2, s->v3);
	SIPROUND(s->v0, s->v1, s->v2, s->v3);
	SIPROUND(s->v0, s->v1, s->v2, s->v3);
	SIPROUND(s->v0, s->v1, s->v2, s->v3);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/* --- the connection ----------------------------------------------------------- */

struct conn {
	__u32 family, alen;
	__u8 src[16], dst[16];		/* client and server, network order */
	__u16 sport, dport;		/* host order */
	__u32 seq;			/* the client's ISN (a RST's: the cookie), host order */
	__u32 ack;			/* a stray's acknowledgment number, host order */
	__u16 mss;			/* the auth SYN+ACK's MSS option */
	__u8 rst;			/* a pure RST, not a SYN */
	__u8 stray;			/* no SYN (but a SYN+ACK), not a pure RST */
	__u8 flags;			/* a stray's TCP flags */
	__u8 hlen;			/* the TCP header's bytes */
	__u8 frag;			/* the first fragment of a segment */
	__u8 svcf;			/* the service's SG_BPF_SVCF_* */
	__u32 svc;			/* the daemon's index of the service */
	/* A proxied SYN's options, as pkt.c reads them: MSS (0: none), window
	 * scale (at most 14, SG_BPF_NO_WSCALE: none), SACK-permitted. */
	__u16 cmss;
	__u8 cwscale, csack;
};

/* The MACs are global functions: the verifier checks each once, on its
 * own, instead of on every path that reaches it (the two programs' paths
 * through judge are many: inlined, the MACs alone would take most of its
 * budget of instructions). */

/* SipHash-2-4 of the tuple as src/tuple.h's sg_tuple_put lays it out
 * (the address length, the client's and the server's addresses, the
 * client's and the server's ports in network order), its words put
 * together in registers: no message buffer. */
__attribute__((noinline)) __u64 sg_tuple_mac(__u64 k0, __u64 k1, const struct conn *c)
{
	struct sip s = sip_init(k0, k1);
	__u64 ports;

	if (!c)
		return 0;
	/* The ports' four bytes as they follow the addresses. */
	ports = (__u64)(c->sport >> 8) | (__u64)(c->sport & 0xff) << 8 |
		(__u64)(c->dport >> 8) << 16 | (__u64)(c->dport & 0xff) << 24;

	if (c->alen == 16) {		/* 37 bytes: four words and five */
		__u64 s0, s1, d0, d1;

		__builtin_memcpy(&s0, c->src, 8);
		__builtin_memcpy(&s1, c->src + 8, 8);
		__builtin_memcpy(&d0, c->dst, 8);
		__builtin_memcpy(&d1, c->dst + 8, 8);
		sip_word(&s, 16 | s0 << 8);
		sip_word(&s, s0 >> 56 | s1 << 8);
		sip_word(&s, s1 >> 56 | d0 << 8);
		sip_word(&s, d0 >> 56 | d1 << 8);
		return sip_final(&s, 37ULL << 56 | d1 >> 56 | ports << 8);
	} else {			/* 13 bytes: one word and five */
		__u32 s4, d4;

		__builtin_memcpy(&s4, c->src, 4);
		__builtin_memcpy(&d4, c->dst, 4);
		sip_word(&s, 4 | (__u64)s4 << 8 | (__u64)(d4 & 0xffffff) << 40);
		return sip_final(&s, 13ULL << 56 | d4 >> 24 | ports << 8);
	}
}

/* The auth cookie: the MAC over the tuple, two candidates, never the
 * client's ISN + 1. */
static __always_inline __u32 auth_cookie(const struct sg_bpf_keys *k, const struct conn *c)
{
	__u32 parity = k->parity << 31, c0, c1;
	__u64 mac = sg_tuple_mac(k->cur_k0, k->cur_k1, c);

	c0 = ((__u32)mac & COOKIE_MAC_MASK) | parity;
	c1 = ((__u32)(mac >> 32) & COOKIE_MAC_MASK) | parity;
	if (c0 != c->seq + 1)
		return c0;
	if (c1 != c->seq + 1)
		return c1;
	return c0 ^ 1;
}

/* The proxy cookie's MAC (src/cookie.c's proxy_mac): SipHash-2-4 of the
 * tag "sg-proxy", the tuple as tuple_mac lays it out, the client's ISN
 * (big-endian) and the options byte; its top 24 bits.  The message is put
 * together on the stack and read back in words: 26 bytes for IPv4, 50 for
 * IPv6 (alen, a constant where it is inlined). */
static __always_inline __u32 proxy_mac_len(__u64 k0, __u64 k1, const struct conn *c, __u32 isn,
					   __u8 opts, const __u32 alen)
{
	__u8 m[56] = { 's', 'g', '-', 'p', 'r', 'o', 'x', 'y' };
	struct sip s = sip_init(k0, k1);
	const __u32 n = 9 + 2 * alen, len = n + 9;
	__u64 w;

	m[8] = (__u8)alen;
	__builtin_memcpy(m + 9, c->src, alen);
	__builtin_memcpy(m + 9 + alen, c->dst, alen);
	m[n] = (__u8)(c->sport >> 8);
	m[n + 1] = (__u8)c->sport;
	m[n + 2] = (__u8)(c->dport >> 8);
	m[n + 3] = (__u8)c->dport;
	m[n + 4] = (__u8)(isn >> 24);
	m[n + 5] = (__u8)(isn >> 16);
	m[n + 6] = (__u8)(isn >> 8);
	m[n + 7] = (__u8)isn;
	m[n + 8] = opts;
#pragma unroll
	for (__u32 i = 0; i < len / 8; i++) {
		__builtin_memcpy(&w, m + 8 * i, 8);
		sip_word(&s, w);
	}
	/* 26 and 50 bytes both leave two for the last word. */
	w = (__u64)m[len - 2] | (__u64)m[len - 1] << 8;
	return (__u32)(sip_final(&s, (__u64)len << 56 | w) >> 40);
}

__attribute__((noinline)) __u32 sg_proxy_mac(__u64 k0, __u64 k1, const struct conn *c, __u32 isn,
					     __u32 opts)
{
	if (!c)
		return 0;
	if (c->alen == 16)
		return proxy_mac_len(k0, k1, c, isn, opts, 16);
	return proxy_mac_len(k0, k1, c, isn, opts, 4);
}

/* The proxy cookie's low byte (src/cookie.c's proxy_encode_opts): the
 * epoch's parity, the index of the client's MSS in the kernel's syncookie
 * table of its family (536 1300 1440 1460; IPv6 1220 1420 1440 8940: the
 * largest not above it, else the first), SACK, the window scale (15:
 * none). */
static __always_inline __u8 proxy_opts(const struct sg_bpf_keys *k, const struct conn *c)
{
	__u32 m = c->cmss, i;

	if (c->family == AF_INET)
		i = m >= 1460 ? 3 : m >= 1440 ? 2 : m >= 1300 ? 1 : 0;
	else
		i = m >= 8940 ? 3 : m >= 1440 ? 2 : m >= 1420 ? 1 : 0;
	return (__u8)(k->parity << 7 | i << 5 | (c->csack ? 0x10 : 0) |
		      (c->cwscale == SG_BPF_NO_WSCALE ? 15 : c->cwscale));
}

/* cookie_proxy_make: the MAC of the current epoch over the connection,
 * the client's ISN and the low byte, above that byte. */
static __always_inline __u32 proxy_cookie(const struct sg_bpf_keys *k, const struct conn *c)
{
	__u8 opts = proxy_opts(k, c);

	return sg_proxy_mac(k->cur_k0, k->cur_k1, c, c->seq, opts) << 8 | opts;
}

/* Whether a stray's acknowledgment is a valid proxy cookie (ack - 1, for
 * the client's ISN seq - 1): the epoch its parity bit names. */
static __always_inline int proxy_cookie_valid(const struct sg_bpf_keys *k, const struct conn *c)
{
	__u32 cookie = c->ack - 1;
	__u8 opts = (__u8)cookie;
	int current = ((opts >> 7) & 1) == (int)k->parity;
	__u32 mac = current ? sg_proxy_mac(k->cur_k0, k->cur_k1, c, c->seq - 1, opts)
			    : sg_proxy_mac(k->prev_k0, k->prev_k1, c, c->seq - 1, opts);

	return mac == cookie >> 8;
}

/* The SYN's fingerprint (sg_bpf.h): the key of the retransmission
 * fallback, and the SYN+ACK's own sequence number. */
static __always_inline __u64 fingerprint(const struct sg_bpf_keys *k, const struct conn *c)
{
	if (c->alen == 16)
		return sg_bpf_syn_hash(k->fp_k0, k->fp_k1, c->src, c->dst, 4, c->sport, c->dport,
				       c->seq);
	return sg_bpf_syn_hash(k->fp_k0, k->fp_k1, c->src, c->dst, 1, c->sport, c->dport, c->seq);
}

/* --- checksums --------------------------------------------------------------- */

static __always_inline __u16 fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* The sum of n 32-bit words at p in memory order (a constant n where it
 * is inlined): folded, the Internet checksum's ones' complement sum. */
static __always_inline __u64 sum_words(const void *p, const __u32 n)
{
	__u64 sum = 0;

#pragma unroll
	for (__u32 i = 0; i < n; i++) {
		__u32 w;

		__builtin_memcpy(&w, (const __u8 *)p + 4 * i, 4);
		sum += w;
	}
	return sum;
}

/* The sum of len bytes at p (len a multiple of 4, 20..60), in 32-bit
 * words summed inline: a bound check per word, no helper call (measured:
 * 15 ns less per SYN than two bpf_csum_diff calls).  The words are only
 * 2-byte aligned behind an Ethernet header: the program is for machines
 * whose verifier allows unaligned packet loads (x86-64, arm64). */
static __always_inline __s64 sum_hdr(void *p, __u32 len, void *end)
{
	__u64 sum = 0;

	if (p + 20 > end)
		return -1;
#pragma unroll
	for (__u32 i = 0; i < 5; i++)
		sum += *(__u32 *)(p + 4 * i);
#pragma unroll
	for (__u32 i = 5; i < 15; i++) {
		if (4 * i >= len)
			break;
		if (p + 4 * i + 4 > end)
			return -1;
		sum += *(__u32 *)(p + 4 * i);
	}
	return (__s64)sum;
}

/* The pseudo-header's sum (the addresses' order does not change it). */
static __always_inline __u64 pseudo_sum(const struct conn *c, __u32 tcplen)
{
	__u64 sum = (__u64)bpf_htonl(tcplen) + bpf_htonl(IPPROTO_TCP);

	if (c->family == AF_INET)
		return sum + sum_words(c->src, 1) + sum_words(c->dst, 1);
	return sum + sum_words(c->src, 4) + sum_words(c->dst, 4);
}

/* --- parsing ------------------------------------------------------------------ */

enum verdict { V_PASS, V_DROP, V_CHALLENGE, V_RST, V_STRAY, V_PROXY };

struct frame {
	void *data, *end;
	__u32 l3;			/* offset of the IP header */
	__u32 l4;			/* offset of the TCP header */
	__u32 ihl;			/* IPv4 header bytes */
	__u32 len;			/* the frame's bytes (on TC more than data..end) */
};

/* Ethernet and up to VLAN_MAX tags: the L3 offset and protocol, or -1. */
static __always_inline int parse_eth(struct frame *f, __u16 *proto)
{
	struct ethhdr *eth = f->data;
	__u32 off = sizeof(*eth);

	if ((void *)(eth + 1) > f->end)
		return -1;
	*proto = eth->h_proto;
#pragma unroll
	for (int i = 0; i < VLAN_MAX; i++) {
		__be16 *tag;

		if (*proto != bpf_htons(ETH_P_8021Q_) && *proto != bpf_htons(ETH_P_8021AD_))
			break;
		tag = f->data + off;
		if ((void *)(tag + 2) > f->end)
			return -1;
		*proto = tag[1];
		off += 4;
	}
	f->l3 = off;
	return 0;
}

/* IPv4: header checks, no fragment (its checksum: ip4_sum_ok, for the
 * packets the program decides on).  0, or the counter to bump. */
static __always_inline int parse_ip4(struct frame *f, struct conn *c)
{
	struct iphdr *ip = f->data + f->l3;

	if ((void *)(ip + 1) > f->end)
		return SG_BPF_malformed;
	if (ip->protocol != IPPROTO_TCP)
		return SG_BPF_not_tcp;
	f->ihl = ip->ihl * 4;
	if (ip->version != 4 || f->ihl < 20 || f->l3 + bpf_ntohs(ip->tot_len) > f->len)
		return SG_BPF_malformed;
	if (ip->frag_off & bpf_htons(IP_OFFMASK_ & ~IP_MF_))
		return SG_BPF_fragments;
	c->frag = !!(ip->frag_off & bpf_htons(IP_MF_));
	/* A first fragment holds 8 bytes or more (frag_first judges it). */
	if (bpf_ntohs(ip->tot_len) < f->ihl + (c->frag ? 8 : 20))
		return SG_BPF_malformed;
	c->family = AF_INET;
	c->alen = 4;
	__builtin_memcpy(c->src, &ip->saddr, 4);
	__builtin_memcpy(c->dst, &ip->daddr, 4);
	f->l4 = f->l3 + f->ihl;
	return 0;
}

/* IPv6: the extension headers pkt.c walks (hop-by-hop first only, routing
 * with no segments left, destination options); a fragment header is a
 * fragment, whose first (offset 0, more to come) holds the whole header
 * chain (RFC 8200 4.5, RFC 7112): walked on, for frag_first. */
static __always_inline int parse_ip6(struct frame *f, struct conn *c)
{
	struct ipv6hdr *ip = f->data + f->l3;
	__u32 off = f->l3 + sizeof(*ip);
	__u8 next;

	if ((void *)(ip + 1) > f->end)
		return SG_BPF_malformed;
	if (ip->version != 6 ||
	    f->l3 + sizeof(*ip) + bpf_ntohs(ip->payload_len) > f->len)
		return SG_BPF_malformed;
	next = ip->nexthdr;
	for (int i = 0; i < IP6_EXT_MAX; i++) {
		__u8 *ext = f->data + off;

		if (next == IPPROTO_TCP)
			break;
		if (next == IPPROTO_FRAGMENT) {
			if ((void *)(ext + 8) > f->end)
				return SG_BPF_malformed;
			/* Offset (13 bits, 8-byte units) and M, the last bit. */
			if ((ext[2] << 8 | ext[3]) != 1 || c->frag)
				return SG_BPF_fragments;
			c->frag = 1;
			next = ext[0];
			off += 8;
			continue;
		}
		if (next != IPPROTO_DSTOPTS && next != IPPROTO_ROUTING &&
		    !(next == IPPROTO_HOPOPTS && i == 0))
			return SG_BPF_not_tcp;
		if ((void *)(ext + 4) > f->end)
			return SG_BPF_malformed;
		/* Segments left: the final destination (the cookie's and
		 * the pseudo-header's) is inside the routing header, not
		 * ours to answer for (pkt.c: not TCP, passed). */
		if (next == IPPROTO_ROUTING && ext[3])
			return SG_BPF_not_tcp;
		next = ext[0];
		off += (ext[1] + 1) * 8;
		if (off > 4096)
			return SG_BPF_malformed;
	}
	if (next != IPPROTO_TCP)
		return SG_BPF_malformed;
	c->family = AF_INET6;
	c->alen = 16;
	__builtin_memcpy(c->src, &ip->saddr, 16);
	__builtin_memcpy(c->dst, &ip->daddr, 16);
	f->l4 = off;
	return 0;
}

/* The IPv4 header's checksum: 0, or the counter to bump. */
static __always_inline int ip4_sum_ok(const struct frame *f)
{
	__s64 sum = sum_hdr(f->data + f->l3, f->ihl, f->end);

	if (sum < 0)
		return SG_BPF_malformed;
	return fold(sum) == 0xffff ? 0 : SG_BPF_bad_checksum;
}

/* The TCP header: a pure SYN or RST without payload, its checksums (and
 * the IPv4 header's) verified; or any other segment but a SYN without ACK
 * (c->stray), whose checksums are not looked at (it is passed untouched or
 * dropped, never answered); -1: the daemon's (a SYN with data, RST or FIN),
 * else 0 or the counter to bump. */
static __always_inline int parse_syn(struct frame *f, struct conn *c, __u32 iplen)
{
	struct tcphdr *th;
	__u32 hlen, seglen;
	__u8 flags, kind;
	__s64 sum;

	if (f->l4 > 4096)
		return SG_BPF_malformed;
	th = f->data + f->l4;
	if ((void *)(th + 1) > f->end)
		return SG_BPF_malformed;
	hlen = th->doff * 4;
	seglen = iplen;
	if (hlen < 20 || hlen > seglen)
		return SG_BPF_malformed;
	flags = ((__u8 *)th)[13];
	kind = flags & (TH_SYN_ | TH_ACK_ | TH_RST_ | TH_FIN_);
	c->sport = bpf_ntohs(th->source);
	c->dport = bpf_ntohs(th->dest);
	c->seq = bpf_ntohl(th->seq);
	c->hlen = (__u8)hlen;
	if (kind != TH_SYN_ && kind != TH_RST_) {
		if ((flags & TH_SYN_) && !(flags & TH_ACK_))
			return -1;	/* SYN with RST or FIN: the daemon's */
		/* An ACK, data, a FIN, a RST with ACK, a SYN+ACK: a stray if
		 * it is to a proxied service and conntrack does not know it. */
		c->stray = 1;
		c->flags = flags;
		c->ack = bpf_ntohl(th->ack_seq);
		return 0;
	}
	if (seglen != hlen)
		return -1;		/* SYN with data: the daemon's */
	if (c->family == AF_INET) {
		int rc = ip4_sum_ok(f);

		if (rc)
			return rc;
	}
	c->rst = kind == TH_RST_;
	sum = sum_hdr(th, hlen, f->end);
	if (sum < 0)
		return SG_BPF_malformed;
	if (fold((__u64)sum + pseudo_sum(c, seglen)) != 0xffff)
		return SG_BPF_bad_checksum;
	return 0;
}

/* A proxied SYN's MSS, window scale and SACK-permitted options, read as
 * pkt.c's parse_tcpopt reads them (EOL ends the list, a kind's length is
 * checked, a later option of a kind overrides an earlier one): 0, or -1
 * where the program leaves the SYN to the daemon (malformed options, or
 * more than OPT_STEPS of them).  The option bytes are copied into a
 * per-CPU scratch buffer first and walked there with an index kept in
 * 0..63 by a mask: no packet pointer in the walk, and every step begins in
 * the same state, so the verifier checks each step's few paths once
 * instead of every path through the list (and each hook's walk is a
 * global function: once, not on every path to it).  len: the option
 * bytes, 0..40, already in b.  -1: malformed (pkt.c's PKT_MALFORMED),
 * -2: more than OPT_STEPS options (the rest unread). */
static __always_inline int walk_opts(const __u8 *b, __u32 len, struct conn *c)
{
	__u32 i = 0;

	for (int n = 0; n < OPT_STEPS; n++) {
		__u32 kind, olen;

		if (i >= len)
			return 0;
		kind = b[i & 63];
		if (kind == TCPOPT_EOL_)
			return 0;
		if (kind == TCPOPT_NOP_) {
			i = (i + 1) & 63;
			continue;
		}
		if (len - i < 2)
			return -1;
		olen = b[(i + 1) & 63];
		if (olen < 2 || olen > len - i)
			return -1;
		if (kind == TCPOPT_MSS_ && olen == 4)
			c->cmss = (__u16)(b[(i + 2) & 63] << 8 | b[(i + 3) & 63]);
		else if (kind == TCPOPT_WSCALE_ && olen == 3)
			c->cwscale = b[(i + 2) & 63] > WSCALE_MAX ? WSCALE_MAX : b[(i + 2) & 63];
		else if (kind == TCPOPT_SACK_PERM_ && olen == 2)
			c->csack = 1;
		i = (i + olen) & 63;	/* <= len <= 40: the mask changes nothing */
	}
	return i >= len ? 0 : -2;
}

struct opt_buf {
	__u8 b[64];
};
MAP(sg_scratch, BPF_MAP_TYPE_PERCPU_ARRAY, 1, __u32, struct opt_buf);

/* The option bytes' count (0..40), the scratch buffer in *b; -1: none. */
static __always_inline int opts_prepare(struct conn *c, struct opt_buf **b)
{
	__u32 zero = 0;

	if (!c || c->hlen < 20 || c->hlen > 60)
		return -1;
	c->cmss = 0;
	c->cwscale = SG_BPF_NO_WSCALE;
	c->csack = 0;
	*b = bpf_map_lookup_elem(&sg_scratch, &zero);
	return *b ? (int)(c->hlen - 20) : -1;
}

__attribute__((noinline)) int sg_xdp_opts(struct xdp_md *ctx, __u32 l4, struct conn *c)
{
	struct opt_buf *b;
	int len = opts_prepare(c, &b);

	if (len <= 0 || !ctx)
		return len;
	if (bpf_xdp_load_bytes(ctx, l4 + 20, b->b, (((__u32)len - 1) & 63) + 1))
		return -1;
	return walk_opts(b->b, (__u32)len, c);
}

__attribute__((noinline)) int sg_tc_opts(struct __sk_buff *skb, __u32 l4, struct conn *c)
{
	struct opt_buf *b;
	int len = opts_prepare(c, &b);

	if (len <= 0 || !skb)
		return len;
	if (bpf_skb_load_bytes(skb, l4 + 20, b->b, (((__u32)len - 1) & 63) + 1))
		return -1;
	return walk_opts(b->b, (__u32)len, c);
}

/* --- policy ------------------------------------------------------------------- */

/* The client's address, its first bits kept (a global function, as the
 * MACs: inlined, its branch per byte would multiply the paths the
 * verifier walks after it).  IPv4 in the first 4 bytes, the rest zero. */
__attribute__((noinline)) int sg_masked(struct sg_bpf_v6key *out, const struct conn *c,
					__u32 bits)
{
	__u64 w[2];

	if (!out || !c)
		return 0;
	__builtin_memset(out->addr, 0, 16);
	if (c->alen != 16) {
		__u32 a;

		__builtin_memcpy(&a, c->src, 4);
		a &= bits >= 32 ? 0xffffffffU : bits ? bpf_htonl(0xffffffffU << (32 - bits)) : 0;
		__builtin_memcpy(out->addr, &a, 4);
		return 0;
	}
	/* Two big-endian halves: the first bits of each kept. */
	__builtin_memcpy(w, c->src, 16);
	w[0] &= bits >= 64 ? ~0ULL : bits ? bpf_cpu_to_be64(~0ULL << (64 - bits)) : 0;
	w[1] &= bits >= 128 ? ~0ULL : bits > 64 ? bpf_cpu_to_be64(~0ULL << (128 - bits)) : 0;
	__builtin_memcpy(out->addr, w, 16);
	return 0;
}

/* Whether the source is on the deny (or allow) list of generation gen;
 * has: whether that list holds entries at all. */
static __always_inline int listed(__u32 gen, int deny, const struct conn *c, __u8 has)
{
	if (!has)
		return 0;
	if (c->family == AF_INET) {
		struct sg_bpf_lpm4 k = { .prefixlen = 32 };
		void *m = deny ? (gen ? (void *)&sg_deny4_1 : (void *)&sg_deny4_0)
			       : (gen ? (void *)&sg_allow4_1 : (void *)&sg_allow4_0);

		__builtin_memcpy(k.addr, c->src, 4);
		return bpf_map_lookup_elem(m, &k) != 0;
	} else {
		struct sg_bpf_lpm6 k = { .prefixlen = 128 };
		void *m = deny ? (gen ? (void *)&sg_deny6_1 : (void *)&sg_deny6_0)
			       : (gen ? (void *)&sg_allow6_1 : (void *)&sg_allow6_0);

		__builtin_memcpy(k.addr, c->src, 16);
		return bpf_map_lookup_elem(m, &k) != 0;
	}
}

static __always_inline int verified(const struct sg_bpf_cfg *cfg, const struct conn *c, __u64 now)
{
	struct sg_bpf_v6key k;
	__u64 *until;

	if (c->family == AF_INET) {
		__u32 k4;

		sg_masked(&k, c, cfg->prefix4);
		__builtin_memcpy(&k4, k.addr, 4);
		until = bpf_map_lookup_elem(&sg_verified4, &k4);
	} else {
		sg_masked(&k, c, cfg->prefix6);
		until = bpf_map_lookup_elem(&sg_verified6, &k);
	}
	return until && *until > now;
}

/* The source's prefix verified until `until`, as the daemon's table has it. */
static __always_inline void verify(const struct sg_bpf_cfg *cfg, const struct conn *c, __u64 until)
{
	struct sg_bpf_v6key k;

	if (c->family == AF_INET) {
		__u32 k4;

		sg_masked(&k, c, cfg->prefix4);
		__builtin_memcpy(&k4, k.addr, 4);
		bpf_map_update_elem(&sg_verified4, &k4, &until, BPF_ANY);
	} else {
		sg_masked(&k, c, cfg->prefix6);
		bpf_map_update_elem(&sg_verified6, &k, &until, BPF_ANY);
	}
}

/* The entry of the destination's service in generation gen: that address
 * and port, else that port on any address; NULL: the catch-all's. */
static __always_inline struct sg_bpf_svc *service_entry(const struct sg_bpf_cfg *cfg, __u32 gen,
							const struct conn *c)
{
	struct sg_bpf_svc *s = 0;
	__u32 port = gen * 65536 + c->dport;

	if (cfg->svc_addr) {
		struct sg_bpf_svc_key k = { .family = (__u8)c->family, .gen = (__u8)gen,
					    .port = c->dport };

		__builtin_memcpy(k.addr, c->dst, 16);
		if (c->family == AF_INET)
			__builtin_memset(k.addr + 4, 0, 12);
		s = bpf_map_lookup_elem(&sg_services, &k);
	}
	if (!s) {
		s = bpf_map_lookup_elem(&sg_ports, &port);
		if (s && !s->set)
			s = 0;
	}
	return s;
}

/* The service of the SYN's destination: the catch-all's on its ports,
 * else none (SG_BPF_SVC_NONE). */
static __always_inline struct sg_bpf_svc service_of(const struct sg_bpf_cfg *cfg, __u32 gen,
						    const struct conn *c)
{
	struct sg_bpf_svc *s = service_entry(cfg, gen, c),
			  all = { .index = cfg->catchall_index, .action = cfg->catchall,
				  .flags = cfg->catchall_flags };
	__u32 word = gen * SG_BPF_PORT_WORDS + c->dport / 64;
	__u64 *bits;

	if (s)
		return *s;
	bits = bpf_map_lookup_elem(&sg_catchall_ports, &word);
	if (!bits || !(*bits & 1ULL << (c->dport % 64)))
		all.action = SG_BPF_SVC_NONE;
	return all;
}

/* --- the answer ----------------------------------------------------------------- */

struct synack_tcp {
	__be16 source, dest;
	__be32 seq, ack_seq;
	__u8 doff, flags;
	__be16 window, check, urg;
};

/* What the program answers a challenged SYN with, and what it counts that
 * answer under.  The options in 32-bit words as they go on the wire: the
 * auth SYN+ACK's MSS; the proxy's MSS, window scale and SACK-permitted as
 * pkt.c's put_options lays them out. */
#define OPT_WORDS 3
struct answer {
	const struct sg_bpf_cfg *cfg;
	struct sg_bpf_svc_stats *ss;
	__u32 seq, ack;
	__u64 now;		/* V_RST: the clock read for the SYN or RST */
	const struct sg_bpf_keys *keys;	/* V_PROXY: for proxy_answer */
	__u32 gen;
	__u16 window;
	__u8 olen;		/* the options' bytes: 0, 4, 8 or 12 */
	__u8 proxy;		/* a proxy cookie SYN+ACK */
	__u32 opt[OPT_WORDS];
};

/* The Ethernet addresses swapped, in 16-bit words (a frame's headers
 * are 2-byte aligned). */
static __always_inline void swap_macs(struct ethhdr *eth)
{
	__u16 *d = (__u16 *)eth->h_dest, *s = (__u16 *)eth->h_source;

#pragma unroll
	for (int i = 0; i < 3; i++) {
		__u16 t = d[i];

		d[i] = s[i];
		s[i] = t;
	}
}

/* The SYN+ACK's length: the link header as received, an IP header
 * without options, the TCP header with the answer's options. */
static __always_inline __u32 synack_len(const struct frame *f, const struct conn *c,
					const struct answer *a)
{
	return f->l3 + (c->family == AF_INET ? 20 : 40) + sizeof(struct synack_tcp) + a->olen;
}

/* The TCP header and its options at th (bounds checked): 0, or -1. */
static __always_inline int put_tcp(struct frame *f, void *th, const struct synack_tcp *h,
				   const struct answer *a)
{
	if (th + sizeof(*h) > f->end)
		return -1;
	*(struct synack_tcp *)th = *h;	/* typed stores: words, not bytes */
#pragma unroll
	for (__u32 i = 0; i < OPT_WORDS; i++) {
		__u32 *w = th + sizeof(*h) + 4 * i;

		if (4 * i >= a->olen)
			break;
		if ((void *)(w + 1) > f->end)
			return -1;
		*w = a->opt[i];
	}
	return 0;
}

/* Rewrite the frame, already cut or grown to synack_len (each entry point
 * with its own helper), into the SYN+ACK: Ethernet addresses swapped (VLAN
 * tags kept), a fresh IP header without options, the TCP header with the
 * answer's options, all checksums full (the options' words summed whole:
 * the unused ones are zero).  0, or -1. */
static __always_inline int rewrite(struct frame *f, const struct conn *c, const struct answer *a)
{
	__u32 thlen = sizeof(struct synack_tcp) + a->olen;
	struct synack_tcp th = {
		.source = bpf_htons(c->dport), .dest = bpf_htons(c->sport),
		.seq = bpf_htonl(a->seq), .ack_seq = bpf_htonl(a->ack),
		.doff = (__u8)(thlen / 4 << 4), .flags = TH_SYN_ | TH_ACK_,
		.window = bpf_htons(a->window),
	};
	struct ethhdr *eth = f->data;

	if (f->l3 > 64 || (void *)(eth + 1) > f->end)
		return -1;
	swap_macs(eth);
	th.check = ~fold(sum_words(&th, sizeof(th) / 4) + sum_words(a->opt, OPT_WORDS) +
			 pseudo_sum(c, thlen));
	if (c->family == AF_INET) {
		struct iphdr *ip = f->data + f->l3;
		struct iphdr nip = {
			.version = 4, .ihl = 5, .tot_len = bpf_htons(20 + thlen),
			.frag_off = bpf_htons(IP_DF_), .ttl = TTL_OUT, .protocol = IPPROTO_TCP,
		};

		__builtin_memcpy(&nip.saddr, c->dst, 4);
		__builtin_memcpy(&nip.daddr, c->src, 4);
		nip.check = ~fold(sum_words(&nip, sizeof(nip) / 4));
		if ((void *)(ip + 1) > f->end)
			return -1;
		*ip = nip;	/* typed stores: words, not bytes */
		return put_tcp(f, ip + 1, &th, a);
	} else {
		struct ipv6hdr *ip = f->data + f->l3;
		struct ipv6hdr nip = {
			.version = 6, .payload_len = bpf_htons(thlen), .nexthdr = IPPROTO_TCP,
			.hop_limit = TTL_OUT,
		};

		__builtin_memcpy(&nip.saddr, c->dst, 16);
		__builtin_memcpy(&nip.daddr, c->src, 16);
		if ((void *)(ip + 1) > f->end)
			return -1;
		*ip = nip;
		return put_tcp(f, ip + 1, &th, a);
	}
}

#define CAS_TRIES 4

/* Take one token of a rate/burst bucket kept as GCRA's theoretical arrival
 * time *tat: a SYN+ACK may go when now >= tat - (burst - 1) * interval,
 * and then tat advances by one interval.  A bucket the other CPUs keep
 * changing under us counts as empty: the bound is never exceeded. */
/* How far GCRA's theoretical arrival time may run ahead of now while a
 * token is left: (burst - 1) intervals. */
static __always_inline __u64 bucket_tau(__u32 rate, __u32 burst)
{
	return (__u64)(burst ? burst - 1 : 0) * (1000000000ULL / rate);
}

/* Whether the bucket has no token left (without taking one). */
static __always_inline int bucket_empty(const __u64 *tat, __u32 rate, __u32 burst, __u64 now)
{
	return *tat > now + bucket_tau(rate, burst);
}

static __always_inline int bucket_take(__u64 *tat, __u32 rate, __u32 burst, __u64 now)
{
	__u64 interval = 1000000000ULL / rate, tau = bucket_tau(rate, burst);

#pragma unroll
	for (int i = 0; i < CAS_TRIES; i++) {
		__u64 old = *tat, start = old > now ? old : now;

		if (old > now + tau)
			return 0;
		if (__sync_val_compare_and_swap(tat, old, start + interval) == old)
			return 1;
	}
	return 0;
}

/* The bucket of a victim: a keyed hash of its masked address. */
static __always_inline __u32 victim_slot(const struct sg_bpf_keys *k, const struct sg_bpf_cfg *cfg,
					 const struct conn *c)
{
	__u64 h = k->bucket_seed ^ c->family;
	struct sg_bpf_v6key m;
	__u32 w[4];

	if (c->family == AF_INET) {
		sg_masked(&m, c, cfg->limit_prefix4);
		__builtin_memcpy(w, m.addr, 4);
		h = sg_bpf_mix(h, w[0]);
	} else {
		sg_masked(&m, c, cfg->limit_prefix6);
		__builtin_memcpy(w, m.addr, 16);
#pragma unroll
		for (int i = 0; i < 4; i++)
			h = sg_bpf_mix(h, w[i]);
	}
	return (__u32)(h >> 32) & cfg->victim_mask;
}

/* limit_synack_dest, then limit_synack_total: 0 (answer) or the counter of
 * the limit that refused. */
static __always_inline int reflection_limited(const struct sg_bpf_keys *k,
					      const struct sg_bpf_cfg *cfg, const struct conn *c,
					      __u64 now)
{
	__u32 zero = 0, slot;
	__u64 *tat;

	if (cfg->synack_dest_rate) {
		slot = victim_slot(k, cfg, c);
		tat = bpf_map_lookup_elem(&sg_victims, &slot);
		if (!tat || !bucket_take(tat, cfg->synack_dest_rate, cfg->synack_dest_burst, now))
			return SG_BPF_limited_synack_dest;
	}
	if (cfg->synack_total_rate) {
		tat = bpf_map_lookup_elem(&sg_total, &zero);
		if (!tat || !bucket_take(tat, cfg->synack_total_rate, cfg->synack_total_burst, now))
			return SG_BPF_limited_synack_total;
	}
	return 0;
}

/* The fallback for clients whose firewall drops the wrong SYN+ACK: the same
 * SYN again between retransmit_min and retransmit_max after its first
 * challenge is passed (once); anything else is remembered and challenged. */
__attribute__((noinline)) int sg_retransmission(const struct sg_bpf_cfg *cfg, __u64 fp,
						 __u64 now)
{
	__u32 set, tag = (__u32)(fp >> 32) | 1;
	__u32 ms = (__u32)(now / 1000000), oldest = 0, oldest_age = 0;
	struct sg_bpf_retrans_set *s;

	if (!cfg)
		return 0;
	set = (__u32)fp & cfg->retrans_mask;
	s = bpf_map_lookup_elem(&sg_retrans, &set);
	if (!s)
		return 0;
#pragma unroll
	for (int i = 0; i < SG_BPF_RETRANS_WAYS; i++) {
		__u64 e = s->e[i];
		__u32 age = ms - (__u32)e;

		if (e && (__u32)(e >> 32) == tag) {
			if (age > cfg->retransmit_max_ms) {
				s->e[i] = (__u64)tag << 32 | ms;	/* too old: a first one */
				return 0;
			}
			if (age < cfg->retransmit_min_ms)
				return 0;
			s->e[i] = 0;	/* passed once */
			bpf_map_update_elem(&sg_retrans_passed, &fp, &now, BPF_ANY);
			return 1;
		}
		if (!e)
			age = 0xffffffff;	/* a free entry before any used one */
		if (age > oldest_age) {
			oldest_age = age;
			oldest = i;
		}
	}
	/* One 64-bit store: a reader sees the tag with its own time. */
	s->e[oldest & (SG_BPF_RETRANS_WAYS - 1)] = (__u64)tag << 32 | ms;
	return 0;
}

/* Whether the tripwire of service index lets one more unverified SYN by. */
static __always_inline int trip_budget(const struct sg_bpf_cfg *cfg, __u32 index, __u64 now)
{
	__u64 *tat = bpf_map_lookup_elem(&sg_trip, &index);

	return cfg->trip_rate && tat && bucket_take(tat, cfg->trip_rate, cfg->trip_burst, now);
}

/* The budget ran dry: the service challenges from this SYN on (its entry
 * of this generation, or the catch-all's), and the daemon is told.  Two
 * CPUs may both trip it: the daemon takes the second event as a repeat. */
static __always_inline void trip(struct sg_bpf_cfg *cfg, __u32 gen, const struct conn *c,
				 struct sg_bpf_svc svc)
{
	struct sg_bpf_event *ev;
	struct sg_bpf_svc *s;

	if (svc.set) {
		s = service_entry(cfg, gen, c);
		if (s && s->index == svc.index)
			s->action = SG_BPF_SVC_AUTH;
	} else {
		cfg->catchall = SG_BPF_SVC_AUTH;
	}
	count(SG_BPF_trips);
	ev = bpf_ringbuf_reserve(&sg_events, sizeof(*ev), 0);
	if (!ev) {
		count(SG_BPF_events_lost);
		return;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->type = SG_BPF_EV_TRIPPED;
	ev->svc = svc.index;
	bpf_ringbuf_submit(ev, 0);
}

/* The first fragment of a TCP segment (IPv4: MF, offset 0; IPv6: a
 * fragment header with offset 0 and M).  No stack fragments a SYN (at most
 * 60 bytes of header, sent with DF), and a SYN in pieces walks past a
 * program that cannot reassemble: the kernel's defragmentation, after
 * this hook, would hand the daemon whole SYNs at the flood's rate, and the
 * queue would overflow (measured: new clients lost SYNs under a flood of
 * two-fragment SYNs).  A SYN without ACK to a challenging service, or a
 * first fragment too short to show the TCP flags (RFC 1858's tiny
 * fragment), is dropped (syn_fragments); any other is passed on
 * (fragments), and so is a later fragment: the kernel keeps one whose
 * first never comes for its reassembly timeout, within its memory bound. */
static __always_inline enum verdict frag_first(struct frame *f, struct conn *c,
						const struct sg_bpf_cfg *cfg, __u32 gen, __u32 iplen)
{
	__u8 *th;
	struct sg_bpf_svc svc;

	if (f->l4 > 4096)
		goto pass;
	th = f->data + f->l4;
	if ((void *)(th + 4) > f->end || iplen < 4)
		goto pass;
	c->sport = (__u16)(th[0] << 8 | th[1]);
	c->dport = (__u16)(th[2] << 8 | th[3]);
	if (iplen >= 14 && (void *)(th + 14) <= f->end &&
	    (th[13] & (TH_SYN_ | TH_ACK_)) != TH_SYN_)
		goto pass;
	svc = service_of(cfg, gen, c);
	if (svc.action != SG_BPF_SVC_AUTH)
		goto pass;
	count(SG_BPF_syn_fragments);
	return V_DROP;
pass:
	count(SG_BPF_fragments);
	return V_PASS;
}

static __always_inline enum verdict decide(struct frame *f, struct conn *c,
					    struct sg_bpf_cfg *cfg, __u32 gen, __u64 *now,
					    struct sg_bpf_svc_stats **ss)
{
	struct sg_bpf_svc svc;
	__u32 iplen;
	__u16 proto;
	int rc;

	if (parse_eth(f, &proto) < 0) {
		count(SG_BPF_malformed);
		return V_PASS;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		rc = parse_ip4(f, c);
		if (rc == 0) {
			struct iphdr *ip = f->data + f->l3;

			if ((void *)(ip + 1) > f->end)
				return V_PASS;
			iplen = bpf_ntohs(ip->tot_len) - f->ihl;
		}
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		rc = parse_ip6(f, c);
		if (rc == 0) {
			struct ipv6hdr *ip = f->data + f->l3;

			if ((void *)(ip + 1) > f->end)
				return V_PASS;
			iplen = f->l3 + 40 + bpf_ntohs(ip->payload_len) - f->l4;
		}
	} else {
		rc = SG_BPF_not_tcp;
	}
	if (rc == 0 && c->frag)
		return frag_first(f, c, cfg, gen, iplen);
	if (rc == 0)
		rc = parse_syn(f, c, iplen);
	if (rc) {
		if (rc > 0)
			count(rc);
		return V_PASS;
	}
	svc = service_of(cfg, gen, c);
	c->svcf = svc.flags;
	c->svc = svc.index;
	if (c->stray)	/* ordinary traffic unless to a screened service */
		return svc.action != SG_BPF_SVC_NONE && (svc.flags & SG_BPF_SVCF_SCREEN) ? V_STRAY
											 : V_PASS;
	*now = bpf_ktime_get_coarse_ns();
	if (svc.action == SG_BPF_SVC_NONE) {
		count(SG_BPF_unprotected);
		return V_PASS;
	}
	if (c->rst) {
		/* <SEQ=cookie><CTL=RST>, the answer to a cookie SYN+ACK, comes
		 * to a protected destination (challenging or not: the cookie
		 * may be older than the attack's end). */
		count(SG_BPF_rst);
		return V_RST;
	}
	count(SG_BPF_syn);
	*ss = svc_stats(svc.index);
	if (*ss)
		(*ss)->syn++;
	if (listed(gen, 1, c, cfg->lists &
		   (c->family == AF_INET ? SG_BPF_LIST_DENY4 : SG_BPF_LIST_DENY6))) {
		count(SG_BPF_syn_denied);
		return V_DROP;
	}
	if (listed(gen, 0, c, cfg->lists &
		   (c->family == AF_INET ? SG_BPF_LIST_ALLOW4 : SG_BPF_LIST_ALLOW6))) {
		count(SG_BPF_syn_allowed);
		return V_PASS;
	}
	if (verified(cfg, c, *now)) {
		count(SG_BPF_syn_verified);
		return V_PASS;
	}
	if (*ss)
		(*ss)->unverified++;
	if (svc.action == SG_BPF_SVC_TRIP) {
		if (trip_budget(cfg, svc.index, *now)) {
			count(SG_BPF_syn_passed);
			return V_PASS;
		}
		trip(cfg, gen, c, svc);
	} else if (svc.action != SG_BPF_SVC_AUTH) {
		count(SG_BPF_syn_passed);
		return V_PASS;
	}
	c->mss = c->family == AF_INET ? cfg->mss4 : cfg->mss6;
	return V_CHALLENGE;
}

/* Whether the cookie a RST echoes (c->seq) is valid for its connection:
 * the epoch its parity bit names, either of the MAC's halves. */
static __always_inline int cookie_valid(const struct sg_bpf_keys *k, const struct conn *c)
{
	int current = (c->seq >> 31) == k->parity;
	__u64 mac = current ? sg_tuple_mac(k->cur_k0, k->cur_k1, c)
			    : sg_tuple_mac(k->prev_k0, k->prev_k1, c);
	__u32 v = c->seq & COOKIE_MAC_MASK;

	return v == ((__u32)mac & COOKIE_MAC_MASK) || v == ((__u32)(mac >> 32) & COOKIE_MAC_MASK);
}

/* The conntrack tuple of the RST's connection; its length. */
static __always_inline __u32 ct_tuple(const struct conn *c, struct bpf_sock_tuple *t)
{
	if (c->family == AF_INET) {
		__builtin_memcpy(&t->ipv4.saddr, c->src, 4);
		__builtin_memcpy(&t->ipv4.daddr, c->dst, 4);
		t->ipv4.sport = bpf_htons(c->sport);
		t->ipv4.dport = bpf_htons(c->dport);
		return sizeof(t->ipv4);
	}
	__builtin_memcpy(t->ipv6.saddr, c->src, 16);
	__builtin_memcpy(t->ipv6.daddr, c->dst, 16);
	t->ipv6.sport = bpf_htons(c->sport);
	t->ipv6.dport = bpf_htons(c->dport);
	return sizeof(t->ipv6);
}

/* Whether conntrack has the RST's connection (in the namespace the
 * program runs in): then the RST is the stack's, not ours.  One lookup
 * per hook (the kfuncs take the hook's context). */
static __always_inline int conntrack_has_xdp(struct xdp_md *ctx, const struct conn *c)
{
	struct bpf_ct_opts opts = { .netns_id = -1, .l4proto = IPPROTO_TCP };
	struct bpf_sock_tuple t = {};
	__u32 len = ct_tuple(c, &t);
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &t, len, &opts, sizeof(opts));

	if (!ct)
		return 0;
	bpf_ct_release(ct);
	return 1;
}

static __always_inline int conntrack_has_tc(struct __sk_buff *skb, const struct conn *c)
{
	struct bpf_ct_opts opts = { .netns_id = -1, .l4proto = IPPROTO_TCP };
	struct bpf_sock_tuple t = {};
	__u32 len = ct_tuple(c, &t);
	struct nf_conn *ct = bpf_skb_ct_lookup(skb, &t, len, &opts, sizeof(opts));

	if (!ct)
		return 0;
	bpf_ct_release(ct);
	return 1;
}

/* A pure RST to a service, as the daemon's policy judges it: a
 * connection's goes on; a prefix out of limit_rst_source's budget of
 * wrong guesses is dropped unchecked; a wrong cookie is dropped and costs
 * the prefix a token; a valid one verifies the source (here and, through
 * sg_events, in the daemon) and is dropped. */
static __always_inline enum verdict judge_rst(const struct conn *c, const struct sg_bpf_cfg *cfg,
					       __u64 now, int has_conn)
{
	__u32 zero = 0, slot;
	struct sg_bpf_keys *k = bpf_map_lookup_elem(&sg_keys, &zero);
	struct sg_bpf_event *ev;
	__u64 *tat = 0;

	if (!k || !k->valid) {
		count(SG_BPF_no_keys);
		return V_PASS;
	}
	if (has_conn) {
		count(SG_BPF_rst_conn);
		return V_PASS;
	}
	if (cfg->rst_rate) {
		slot = victim_slot(k, cfg, c);
		tat = bpf_map_lookup_elem(&sg_rst_limits, &slot);
		if (tat && bucket_empty(tat, cfg->rst_rate, cfg->rst_burst, now)) {
			count(SG_BPF_rst_limited);
			return V_DROP;
		}
	}
	if (!cookie_valid(k, c)) {
		if (tat)
			bucket_take(tat, cfg->rst_rate, cfg->rst_burst, now);
		count(SG_BPF_rst_invalid);
		return V_DROP;
	}
	verify(cfg, c, now + (__u64)cfg->verified_ttl_ms * 1000000);
	ev = bpf_ringbuf_reserve(&sg_events, sizeof(*ev), 0);
	if (ev) {
		__builtin_memset(ev, 0, sizeof(*ev));
		ev->type = SG_BPF_EV_VERIFIED;
		ev->family = (__u8)c->family;
		__builtin_memcpy(ev->addr, c->src, 16);
		bpf_ringbuf_submit(ev, 0);
	} else {
		count(SG_BPF_events_lost);
	}
	count(SG_BPF_rst_valid);
	return V_DROP;
}

/* A segment without SYN to a screened service, as the daemon's policy
 * (proxy_stray) and rules (SCREEN) judge it: a connection's goes on; so
 * does, to a proxied service, an ACK whose acknowledgment is a valid proxy
 * cookie (the daemon hands it over); the rest is dropped. */
static __always_inline enum verdict judge_stray(const struct conn *c, int has_conn)
{
	__u32 zero = 0;
	struct sg_bpf_keys *k;

	if (has_conn) {
		count(SG_BPF_stray_conn);
		return V_PASS;
	}
	k = bpf_map_lookup_elem(&sg_keys, &zero);
	if (!k || !k->valid) {
		count(SG_BPF_no_keys);
		return V_PASS;
	}
	if ((c->svcf & SG_BPF_SVCF_PROXIED) && (c->flags & (TH_ACK_ | TH_RST_ | TH_SYN_)) == TH_ACK_ &&
	    proxy_cookie_valid(k, c)) {
		count(SG_BPF_ack_cookie);
		return V_PASS;
	}
	count(SG_BPF_ack_invalid);
	return V_DROP;
}

/* --- the entry points ----------------------------------------------------------- */

/* The proxy's SYN+ACK (policy.c's proxy_synack, daemon.c's send_challenge):
 * seq the proxy cookie, ack the client's ISN + 1, the proxy's window; the
 * server's MSS, its window scale if the client scales, SACK-permitted if
 * both offer it, from sg_svc_opts.  V_CHALLENGE, or V_PASS without them. */
static __always_inline enum verdict proxy_answer(const struct conn *c, struct answer *a)
{
	const struct sg_bpf_keys *k = a->keys;
	const struct sg_bpf_cfg *cfg = a->cfg;
	__u32 i = a->gen * SG_BPF_SVC_MAX + (c->svc & (SG_BPF_SVC_MAX - 1)), n = 0, ws;
	struct sg_bpf_svc_opts *so = bpf_map_lookup_elem(&sg_svc_opts, &i);
	__u32 o0 = 0, o1 = 0, o2 = 0;
	__u16 mss;

	if (!so) {
		count(SG_BPF_tx_errors);
		return V_PASS;
	}
	mss = c->family == AF_INET ? so->mss4 : so->mss6;
	ws = c->cwscale == SG_BPF_NO_WSCALE ? SG_BPF_NO_WSCALE : so->wscale;
	a->seq = proxy_cookie(k, c);
	a->ack = c->seq + 1;
	a->window = cfg->proxy_window;
	a->proxy = 1;
	/* Each present option pushed in front of the later ones: no
	 * variable index into the words. */
	if (c->csack && so->sack) {
		o0 = bpf_htonl(TCPOPT_NOP_ << 24 | TCPOPT_NOP_ << 16 | TCPOPT_SACK_PERM_ << 8 | 2);
		n++;
	}
	if (ws != SG_BPF_NO_WSCALE) {
		o1 = o0;
		o0 = bpf_htonl(TCPOPT_NOP_ << 24 | TCPOPT_WSCALE_ << 16 | 3 << 8 |
			       (ws > WSCALE_MAX ? WSCALE_MAX : ws));
		n++;
	}
	if (mss) {
		o2 = o1;
		o1 = o0;
		o0 = bpf_htonl(TCPOPT_MSS_ << 24 | 4 << 16 | mss);
		n++;
	}
	a->opt[0] = o0;
	a->opt[1] = o1;
	a->opt[2] = o2;
	a->olen = (__u8)(4 * n);
	return V_CHALLENGE;
}

/* A proxied SYN whose options the program does not read: the daemon's. */
static __always_inline enum verdict proxy_unread(void)
{
	count(SG_BPF_syn_options);
	return V_PASS;
}

/* An auth SYN's options walked (rc: the hook's walk): answered only if
 * they are well-formed as pkt.c reads them, for the daemon drops a SYN
 * with malformed options and never answers it (counted as malformed); one
 * with more options than the walk reads is the daemon's too. */
static __always_inline enum verdict auth_opts(int rc)
{
	if (!rc)
		return V_CHALLENGE;
	count(rc == -1 ? SG_BPF_malformed : SG_BPF_syn_options);
	return V_PASS;
}

/* Everything both hooks do before the frame changes: the verdict, and for
 * a challenge (the fallback and the SYN+ACK limits passed) the answer.
 * V_RST: a RST for judge_rst, once the hook looked conntrack up. */
static __always_inline enum verdict judge(struct frame *f, struct conn *c, struct answer *a)
{
	__u32 zero = 0, *active = bpf_map_lookup_elem(&sg_active, &zero), gen;
	struct sg_bpf_keys *k;
	struct sg_bpf_cfg *cfg;
	__u64 fp, now = 0;
	enum verdict v;
	int limited;

	count(SG_BPF_packets);
	gen = active ? *active & 1 : 0;
	cfg = bpf_map_lookup_elem(&sg_cfg, &gen);
	if (!cfg) {
		count(SG_BPF_malformed);
		return V_PASS;
	}
	v = decide(f, c, cfg, gen, &now, &a->ss);
	if (v == V_RST) {
		a->cfg = cfg;
		a->now = now;
		return V_RST;
	}
	if (v != V_CHALLENGE)
		return v;
	k = bpf_map_lookup_elem(&sg_keys, &zero);
	if (!k || !k->valid) {
		count(SG_BPF_no_keys);
		return V_PASS;
	}
	/* The proxy's SYN+ACK is valid: every stack answers it, no
	 * retransmission fallback (as the daemon). */
	if (!(c->svcf & SG_BPF_SVCF_PROXIED)) {
		fp = fingerprint(k, c);
		if (sg_retransmission(cfg, fp, now)) {
			count(SG_BPF_syn_retransmit);
			return V_PASS;
		}
	}
	limited = reflection_limited(k, cfg, c, now);
	if (limited) {
		count(limited);
		return V_DROP;	/* unanswered, as the daemon does */
	}
	a->cfg = cfg;
	if (c->svcf & SG_BPF_SVCF_PROXIED) {
		a->keys = k;	/* the hook reads the options, then proxy_answer */
		a->gen = gen;
		return V_PROXY;
	}
	a->seq = (__u32)(fp >> 32);
	a->ack = auth_cookie(k, c);
	a->window = cfg->window;
	a->olen = 4;
	a->opt[0] = bpf_htonl(TCPOPT_MSS_ << 24 | 4 << 16 | c->mss);
	return V_CHALLENGE;
}

/* The SYN+ACK written into the frame (resized by the caller) and counted:
 * 0, or -1 (counted as a tx error: the caller passes the frame on). */
static __always_inline int answer(struct frame *f, const struct conn *c, const struct answer *a)
{
	if (rewrite(f, c, a) < 0) {
		count(SG_BPF_tx_errors);
		return -1;
	}
	count(SG_BPF_challenges);
	if (a->proxy)
		count(SG_BPF_proxy_challenges);
	if (a->ss)
		a->ss->challenges++;
	return 0;
}

SEC("xdp")
int sg_xdp(struct xdp_md *ctx)
{
	struct frame f = {
		.data = (void *)(long)ctx->data, .end = (void *)(long)ctx->data_end,
		.len = ctx->data_end - ctx->data,
	};
	struct conn c = {};
	struct answer a = {};
	enum verdict v = judge(&f, &c, &a);

	if (v == V_RST)
		v = judge_rst(&c, a.cfg, a.now, conntrack_has_xdp(ctx, &c));
	else if (v == V_STRAY)
		v = judge_stray(&c, conntrack_has_xdp(ctx, &c));
	else if (v == V_PROXY)
		v = sg_xdp_opts(ctx, f.l4, &c) < 0 ? proxy_unread() : proxy_answer(&c, &a);
	else if (v == V_CHALLENGE)
		v = auth_opts(sg_xdp_opts(ctx, f.l4, &c));
	if (v != V_CHALLENGE)
		return v == V_DROP ? XDP_DROP : XDP_PASS;
	if (bpf_xdp_adjust_tail(ctx, (int)synack_len(&f, &c, &a) - (int)f.len)) {
		count(SG_BPF_tx_errors);
		return XDP_PASS;
	}
	f.data = (void *)(long)ctx->data;
	f.end = (void *)(long)ctx->data_end;
	return answer(&f, &c, &a) < 0 ? XDP_PASS : XDP_TX;
}

/* --- TC ingress (clsact), for drivers without XDP ---------------------------------- */

/* The bytes made linear (and writable) before parsing: the headers of any
 * pure SYN but one with IPv6 extension headers past them (passed, counted
 * as malformed).  Not the whole frame: a gateway's data packets would be
 * copied for nothing. */
#define TC_PULL 256

/* The skb cut or grown to len bytes, linear, its packet pointers in f.
 * The SYN+ACK carries full checksums: a length change drops the receiving
 * device's CHECKSUM_COMPLETE sum (which no longer matches) and an unchanged
 * length would keep it, so then the skb is grown by a byte first (only a
 * COMPLETE skb: bpf_csum_update answers the sum for those alone).  A
 * CHECKSUM_PARTIAL skb (a local stack's, over veth) carries no valid TCP
 * checksum and never gets here: parse_syn passes it as a bad checksum. */
static __always_inline int tc_resize(struct __sk_buff *skb, struct frame *f, __u32 len)
{
	if (skb->len == len && bpf_csum_update(skb, 0) >= 0 &&
	    bpf_skb_change_tail(skb, len + 1, 0))
		return -1;
	if (skb->len != len && bpf_skb_change_tail(skb, len, 0))
		return -1;
	if (bpf_skb_pull_data(skb, len))
		return -1;
	f->data = (void *)(long)skb->data;
	f->end = (void *)(long)skb->data_end;
	return 0;
}

/* The same decisions and answer as sg_xdp's on the skb: passed on
 * (TC_ACT_OK), dropped (TC_ACT_SHOT), or the SYN+ACK sent back out of the
 * device the SYN came in by. */
SEC("tc")
int sg_tc(struct __sk_buff *skb)
{
	struct frame f = {};
	struct conn c = {};
	struct answer a = {};
	enum verdict v;

	bpf_skb_pull_data(skb, skb->len < TC_PULL ? skb->len : TC_PULL);	/* else: parsed as is */
	f.data = (void *)(long)skb->data;
	f.end = (void *)(long)skb->data_end;
	f.len = skb->len;
	v = judge(&f, &c, &a);
	if (v == V_RST)
		v = judge_rst(&c, a.cfg, a.now, conntrack_has_tc(skb, &c));
	else if (v == V_STRAY)
		v = judge_stray(&c, conntrack_has_tc(skb, &c));
	else if (v == V_PROXY)
		v = sg_tc_opts(skb, f.l4, &c) < 0 ? proxy_unread() : proxy_answer(&c, &a);
	else if (v == V_CHALLENGE)
		v = auth_opts(sg_tc_opts(skb, f.l4, &c));
	if (v != V_CHALLENGE)
		return v == V_DROP ? TC_ACT_SHOT : TC_ACT_OK;
	if (tc_resize(skb, &f, synack_len(&f, &c, &a)) < 0) {
		count(SG_BPF_tx_errors);
		return TC_ACT_OK;
	}
	if (answer(&f, &c, &a) < 0)
		return TC_ACT_OK;
	return bpf_redirect(skb->ifindex, 0);
}
