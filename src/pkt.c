/* pkt: parse a queued IPv4/IPv6 TCP packet into struct pkt, and build the
 * cookie SYN+ACK.  Pure: no I/O, no allocation, no state.  Every read is
 * checked against the captured length first and multi-byte fields are read
 * byte by byte, so any bytes at any alignment are safe to feed in (the unit
 * tests and fuzzers do exactly that). */
#include "pkt.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#define IP4_HLEN_MIN	20
#define IP6_HLEN	40
#define TCP_HLEN_MIN	20
#define TCP_WSCALE_MAX	14	/* RFC 7323 §2.3 */
#define TTL_OUT		64

/* A SYN carries no extension headers, or one or two; a long chain only
 * makes the parser spend cycles on an attacker's behalf. */
#define IP6_EXT_MAX	8

enum {
	TCPOPT_EOL = 0,
	TCPOPT_NOP = 1,
	TCPOPT_MSS = 2,
	TCPOPT_WSCALE = 3,
	TCPOPT_SACK_PERM = 4,
	TCPOPT_TS = 8,
};

/* What the IP layer hands to the TCP layer. */
struct l3 {
	size_t l4off;	/* TCP header offset in the buffer */
	size_t ip_end;	/* end of the packet per the IP length field */
	size_t cap_end;	/* captured bytes of the packet: min(caplen, ip_end) */
};

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	put16(b + 2, (uint16_t)v);
}

uint32_t pkt_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *b = data;
	uint64_t acc = sum;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		acc += get16(b + i);
	if (len & 1)
		acc += (uint32_t)b[len - 1] << 8;
	/* End-around carries now, so the result stays near 16 bits and
	 * callers can keep adding pseudo-header words without overflow. */
	while (acc > 0xffff)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

uint16_t pkt_csum_fold(uint32_t sum)
{
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* TCP pseudo-header (RFC 9293 §3.1, RFC 8200 §8.1): both addresses, the
 * protocol and the segment length.  Both layouts sum to the same words. */
static uint32_t pseudo_sum(int family, const uint8_t *src, const uint8_t *dst,
			   size_t seglen)
{
	size_t alen = family == AF_INET ? 4 : 16;
	uint32_t sum;

	sum = pkt_csum_add(0, src, alen);
	sum = pkt_csum_add(sum, dst, alen);
	return sum + IPPROTO_TCP + (uint32_t)(seglen >> 16) +
	       (uint32_t)(seglen & 0xffff);
}

static void set_l3(struct l3 *l3, size_t l4off, size_t ip_end, size_t caplen)
{
	l3->l4off = l4off;
	l3->ip_end = ip_end;
	/* Bytes past the IP length are link padding, not packet. */
	l3->cap_end = caplen < ip_end ? caplen : ip_end;
}

static enum pkt_status parse_ip4(const uint8_t *buf, size_t caplen,
				 struct pkt *p, struct l3 *l3)
{
	size_t hlen = (size_t)(buf[0] & 0x0f) * 4;
	size_t totlen;

	p->family = AF_INET;
	if (hlen < IP4_HLEN_MIN)
		return PKT_MALFORMED;
	if (hlen > caplen)
		return PKT_TRUNCATED;
	memcpy(p->src, buf + 12, 4);
	memcpy(p->dst, buf + 16, 4);
	p->ttl = buf[8];
	totlen = get16(buf + 2);
	if (totlen < hlen)
		return PKT_MALFORMED;
	/* The checksum covers the options too; a header that fails it may
	 * have any address in it, so nothing else is trusted. */
	if (pkt_csum_fold(pkt_csum_add(0, buf, hlen)) != 0)
		return PKT_BAD_CSUM;
	/* MF or an offset: the TCP header is elsewhere or may be overlapped
	 * later; reassembly is the stack's job, not ours. */
	if (get16(buf + 6) & 0x3fff)
		return PKT_FRAGMENT;
	if (buf[9] != IPPROTO_TCP)
		return PKT_NOT_TCP;
	set_l3(l3, hlen, totlen, caplen);
	return PKT_OK;
}

/* What to do with next header 'next' met after n extension headers:
 * PKT_OK means "walk over it". */
static enum pkt_status ext6_classify(uint8_t next, int n)
{
	switch (next) {
	case IPPROTO_HOPOPTS:
		/* RFC 8200 §4.1: only right after the IPv6 header; Linux
		 * rejects it anywhere else too. */
		return n == 0 ? PKT_OK : PKT_MALFORMED;
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
		return PKT_OK;
	case IPPROTO_FRAGMENT:
		return PKT_FRAGMENT;
	default:
		/* UDP, ICMPv6, no next header (59), ESP, and AH on purpose:
		 * an AH-protected SYN expects an AH-protected answer, which
		 * our cookie SYN+ACK cannot be, so it goes to the server. */
		return PKT_NOT_TCP;
	}
}

/* Length of the extension header at off: inside the IP length (else
 * MALFORMED) and captured (else TRUNCATED). */
static enum pkt_status ext6_span(const uint8_t *buf, size_t off,
				 const struct l3 *l3, size_t *len)
{
	/* Hop-by-hop, routing and destination options are >= 8 bytes. */
	if (off + 8 > l3->ip_end)
		return PKT_MALFORMED;
	if (off + 8 > l3->cap_end)
		return PKT_TRUNCATED;
	*len = ((size_t)buf[off + 1] + 1) * 8;
	if (off + *len > l3->ip_end)
		return PKT_MALFORMED;
	if (off + *len > l3->cap_end)
		return PKT_TRUNCATED;
	return PKT_OK;
}

static enum pkt_status walk_ext6(const uint8_t *buf, uint8_t next,
				 struct l3 *l3)
{
	enum pkt_status st;
	size_t off = l3->l4off, len = 0;
	int n;

	for (n = 0; next != IPPROTO_TCP; n++) {
		st = ext6_classify(next, n);
		if (st != PKT_OK)
			return st;
		if (n == IP6_EXT_MAX)
			return PKT_MALFORMED;
		st = ext6_span(buf, off, l3, &len);
		if (st != PKT_OK)
			return st;
		/* Segments left > 0: still on a source route, so the final
		 * destination (and the pseudo-header address) is inside the
		 * routing header and not ours to answer for. */
		if (next == IPPROTO_ROUTING && buf[off + 3] != 0)
			return PKT_NOT_TCP;
		next = buf[off];
		off += len;
	}
	l3->l4off = off;
	return PKT_OK;
}

static enum pkt_status parse_ip6(const uint8_t *buf, size_t caplen,
				 struct pkt *p, struct l3 *l3)
{
	size_t plen;
	uint8_t next;

	p->family = AF_INET6;
	if (caplen < IP6_HLEN)
		return PKT_TRUNCATED;
	memcpy(p->src, buf + 8, 16);
	memcpy(p->dst, buf + 24, 16);
	p->ttl = buf[7];
	plen = get16(buf + 4);
	next = buf[6];
	/* A jumbogram (RFC 2675) needs a link MTU above 64 KiB, which no
	 * link we guard has; its real length would be in a hop-by-hop
	 * option we do not parse. */
	if (plen == 0 && next == IPPROTO_HOPOPTS)
		return PKT_MALFORMED;
	set_l3(l3, IP6_HLEN, IP6_HLEN + plen, caplen);
	return walk_ext6(buf, next, l3);
}

/* A known kind with the wrong length is ignored rather than fatal, as in
 * Linux's tcp_parse_options(): the client's stack would accept the SYN. */
static void tcpopt_store(const uint8_t *o, size_t len, struct pkt_tcpopt *opt)
{
	switch (o[0]) {
	case TCPOPT_MSS:
		if (len == 4) {
			opt->has_mss = true;
			opt->mss = get16(o + 2);
		}
		break;
	case TCPOPT_WSCALE:
		if (len == 3) {
			opt->has_wscale = true;
			opt->wscale = o[2] > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : o[2];
		}
		break;
	case TCPOPT_SACK_PERM:
		if (len == 2)
			opt->sack_ok = true;
		break;
	case TCPOPT_TS:
		if (len == 10) {
			opt->has_ts = true;
			opt->tsval = get32(o + 2);
			opt->tsecr = get32(o + 6);
		}
		break;
	default:
		break;
	}
}

static enum pkt_status parse_tcpopt(const uint8_t *o, size_t len,
				    struct pkt_tcpopt *opt)
{
	size_t i = 0, olen;

	while (i < len) {
		if (o[i] == TCPOPT_EOL)
			break;
		if (o[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		/* The length byte must exist, count itself and the kind,
		 * and stay inside the header. */
		if (len - i < 2)
			return PKT_MALFORMED;
		olen = o[i + 1];
		if (olen < 2 || olen > len - i)
			return PKT_MALFORMED;
		tcpopt_store(o + i, olen, opt);
		i += olen;
	}
	return PKT_OK;
}

static void tcp_fields(const uint8_t *th, struct pkt *p)
{
	p->sport = get16(th);
	p->dport = get16(th + 2);
	p->seq = get32(th + 4);
	p->ack = get32(th + 8);
	p->flags = th[13] & 0x3f;
	p->window = get16(th + 14);
}

static enum pkt_status parse_tcp(const uint8_t *buf, const struct l3 *l3,
				 struct pkt *p)
{
	size_t seglen = l3->ip_end - l3->l4off;
	size_t seen = l3->cap_end > l3->l4off ? l3->cap_end - l3->l4off : 0;
	const uint8_t *th;
	size_t hlen;
	enum pkt_status st;

	if (seglen < TCP_HLEN_MIN)
		return PKT_MALFORMED;
	if (seen < TCP_HLEN_MIN)
		return PKT_TRUNCATED;
	th = buf + l3->l4off;
	hlen = (size_t)(th[12] >> 4) * 4;
	if (hlen < TCP_HLEN_MIN || hlen > seglen)
		return PKT_MALFORMED;
	if (hlen > seen)
		return PKT_TRUNCATED;
	p->l4off = l3->l4off;
	tcp_fields(th, p);
	st = parse_tcpopt(th + TCP_HLEN_MIN, hlen - TCP_HLEN_MIN, &p->opt);
	if (st != PKT_OK)
		return st;
	p->payload_len = seglen - hlen;
	/* The checksum needs the whole segment; a capture cut by the queue's
	 * copy range is normal and simply stays unverified.  (Partial
	 * checksums never get here: without NFQA_CFG_F_GSO the kernel
	 * completes them before copying.) */
	if (seen < seglen)
		return PKT_OK;
	if (pkt_csum_fold(pkt_csum_add(pseudo_sum(p->family, p->src, p->dst,
						  seglen), th, seglen)) != 0)
		return PKT_BAD_CSUM;
	p->csum_verified = true;
	return PKT_OK;
}

enum pkt_status pkt_parse(const uint8_t *buf, size_t caplen, struct pkt *p)
{
	struct l3 l3;
	enum pkt_status st;

	memset(p, 0, sizeof(*p));
	if (caplen < 1)
		return PKT_TRUNCATED;
	switch (buf[0] >> 4) {
	case 4:
		st = parse_ip4(buf, caplen, p, &l3);
		break;
	case 6:
		st = parse_ip6(buf, caplen, p, &l3);
		break;
	default:
		return PKT_MALFORMED;
	}
	if (st != PKT_OK)
		return st;
	return parse_tcp(buf, &l3, p);
}

const char *pkt_status_str(enum pkt_status s)
{
	switch (s) {
	case PKT_OK:
		return "ok";
	case PKT_TRUNCATED:
		return "truncated";
	case PKT_MALFORMED:
		return "malformed";
	case PKT_NOT_TCP:
		return "not-tcp";
	case PKT_FRAGMENT:
		return "fragment";
	case PKT_BAD_CSUM:
		return "bad-checksum";
	}
	return "unknown";
}

void pkt_tuple(const struct pkt *p, struct sg_tuple *t)
{
	t->family = p->family;
	memcpy(t->client, p->src, 16);
	memcpy(t->server, p->dst, 16);
	t->client_port = p->sport;
	t->server_port = p->dport;
}

void pkt_tuple_from_server(const struct pkt *p, struct sg_tuple *t)
{
	struct sg_tuple sent;

	pkt_tuple(p, &sent);
	sg_tuple_reverse(&sent, t);
}

/* IPv4 header from syn->dst to syn->src.  DF as Linux sets it on its own
 * SYN+ACKs (path MTU discovery), so the ID can be 0 (RFC 6864). */
static void build_ip4(uint8_t *ip, const struct pkt *syn, size_t len)
{
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)len);
	put16(ip + 6, 0x4000);
	ip[8] = TTL_OUT;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, syn->dst, 4);
	memcpy(ip + 16, syn->src, 4);
	put16(ip + 10, pkt_csum_fold(pkt_csum_add(0, ip, IP4_HLEN_MIN)));
}

/* IPv6 header, traffic class and flow label 0. */
static void build_ip6(uint8_t *ip, const struct pkt *syn, size_t plen)
{
	ip[0] = 0x60;
	put16(ip + 4, (uint16_t)plen);
	ip[6] = IPPROTO_TCP;
	ip[7] = TTL_OUT;
	memcpy(ip + 8, syn->dst, 16);
	memcpy(ip + 24, syn->src, 16);
}

static void build_tcp(uint8_t *th, size_t hlen, const struct pkt *syn,
		      const struct pkt_synack *a)
{
	put16(th, syn->dport);
	put16(th + 2, syn->sport);
	put32(th + 4, a->seq);
	put32(th + 8, a->ack);
	th[12] = (uint8_t)(hlen / 4 << 4);
	th[13] = PKT_TH_SYN | PKT_TH_ACK;
	put16(th + 14, a->window);
	if (a->mss != 0) {
		th[20] = TCPOPT_MSS;
		th[21] = 4;
		put16(th + 22, a->mss);
	}
	put16(th + 16, pkt_csum_fold(pkt_csum_add(
		pseudo_sum(syn->family, syn->dst, syn->src, hlen), th, hlen)));
}

size_t pkt_build_synack(uint8_t *out, size_t outlen, const struct pkt *syn,
			const struct pkt_synack *a)
{
	size_t iphlen, thlen = a->mss != 0 ? TCP_HLEN_MIN + 4 : TCP_HLEN_MIN;

	if (syn->family == AF_INET)
		iphlen = IP4_HLEN_MIN;
	else if (syn->family == AF_INET6)
		iphlen = IP6_HLEN;
	else
		return 0;
	if (outlen < iphlen + thlen)
		return 0;
	memset(out, 0, iphlen + thlen);
	if (syn->family == AF_INET)
		build_ip4(out, syn, iphlen + thlen);
	else
		build_ip6(out, syn, thlen);
	build_tcp(out + iphlen, thlen, syn, a);
	return iphlen + thlen;
}

/* --- general segments (the proxy's SYN, ACKs, RSTs) --------------------------- */

static size_t put_options(uint8_t *o, const struct pkt_out *po)
{
	size_t n = 0;

	if (po->mss) {
		o[n++] = TCPOPT_MSS;
		o[n++] = 4;
		put16(o + n, po->mss);
		n += 2;
	}
	if (po->wscale != PKT_NO_WSCALE) {
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_WSCALE;
		o[n++] = 3;
		o[n++] = po->wscale > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : po->wscale;
	}
	if (po->sack_ok) {
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_NOP;
		o[n++] = TCPOPT_SACK_PERM;
		o[n++] = 2;
	}
	return n;
}

size_t pkt_build(uint8_t *out, size_t outlen, const struct pkt_out *po)
{
	uint8_t opts[12];
	size_t olen = put_options(opts, po), thlen = TCP_HLEN_MIN + olen, iphlen;
	uint8_t *th;

	if (po->family != AF_INET && po->family != AF_INET6)
		return 0;
	iphlen = po->family == AF_INET ? IP4_HLEN_MIN : IP6_HLEN;
	if (outlen < iphlen + thlen)
		return 0;
	memset(out, 0, iphlen + thlen);
	if (po->family == AF_INET) {
		out[0] = 0x45;
		put16(out + 2, (uint16_t)(iphlen + thlen));
		put16(out + 6, 0x4000);
		out[8] = TTL_OUT;
		out[9] = IPPROTO_TCP;
		memcpy(out + 12, po->src, 4);
		memcpy(out + 16, po->dst, 4);
		put16(out + 10, pkt_csum_fold(pkt_csum_add(0, out, IP4_HLEN_MIN)));
	} else {
		out[0] = 0x60;
		put16(out + 4, (uint16_t)thlen);
		out[6] = IPPROTO_TCP;
		out[7] = TTL_OUT;
		memcpy(out + 8, po->src, 16);
		memcpy(out + 24, po->dst, 16);
	}
	th = out + iphlen;
	put16(th, po->sport);
	put16(th + 2, po->dport);
	put32(th + 4, po->seq);
	put32(th + 8, po->ack);
	th[12] = (uint8_t)(thlen / 4 << 4);
	th[13] = po->flags;
	put16(th + 14, po->window);
	memcpy(th + TCP_HLEN_MIN, opts, olen);
	put16(th + 16, pkt_csum_fold(pkt_csum_add(
		pseudo_sum(po->family, po->src, po->dst, thlen), th, thlen)));
	return iphlen + thlen;
}

int pkt_fix_csum(uint8_t *buf, size_t len, const struct pkt *p)
{
	size_t seglen;
	uint8_t *th;

	if (p->l4off + TCP_HLEN_MIN > len)
		return -1;
	th = buf + p->l4off;
	/* The segment ends where the IP length says, not where the capture
	 * does: a frame may carry link padding after it. */
	seglen = (size_t)(th[12] >> 4) * 4 + p->payload_len;
	if (seglen < TCP_HLEN_MIN || seglen > len - p->l4off)
		return -1;
	if (p->family == AF_INET) {
		put16(buf + 10, 0);
		put16(buf + 10, pkt_csum_fold(pkt_csum_add(0, buf, p->l4off)));
	}
	put16(th + 16, 0);
	put16(th + 16, pkt_csum_fold(pkt_csum_add(
		pseudo_sum(p->family, p->src, p->dst, seglen), th, seglen)));
	return 0;
}
