/* check_pkt: unit tests of the pure packet parser and SYN+ACK builder.
 * Fixtures are hand-built byte arrays whose checksums are filled in by a
 * reference implementation written here, independent of pkt_csum_*; two
 * real captured packets keep their checksums as literal bytes, so both
 * sides are also checked against an outside truth. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "pkt.h"
#include "unit.h"

#define MAXPKT 256

/* ---- reference checksum, deliberately written differently from pkt.c ---- */

static uint16_t ref_sum(const uint8_t *b, size_t n)
{
	unsigned long s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += (i % 2 == 0) ? (unsigned long)b[i] << 8 : b[i];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* TCP checksum of the segment at l4off..end, the checksum field read as 0. */
static uint16_t ref_tcp_csum(const uint8_t *b, size_t l4off, size_t end)
{
	uint8_t tmp[40 + MAXPKT];
	size_t seglen = end - l4off, n;

	memset(tmp, 0, sizeof(tmp));
	if ((b[0] >> 4) == 4) {
		memcpy(tmp, b + 12, 8);
		tmp[9] = 6;
		tmp[10] = (uint8_t)(seglen >> 8);
		tmp[11] = (uint8_t)seglen;
		n = 12;
	} else {
		memcpy(tmp, b + 8, 32);
		tmp[34] = (uint8_t)(seglen >> 8);
		tmp[35] = (uint8_t)seglen;
		tmp[39] = 6;
		n = 40;
	}
	memcpy(tmp + n, b + l4off, seglen);
	tmp[n + 16] = tmp[n + 17] = 0;
	return (uint16_t)~ref_sum(tmp, n + seglen);
}

static uint16_t ref_ip4_csum(const uint8_t *b)
{
	uint8_t tmp[60];
	size_t hlen = (size_t)(b[0] & 0x0f) * 4;

	memcpy(tmp, b, hlen);
	tmp[10] = tmp[11] = 0;
	return (uint16_t)~ref_sum(tmp, hlen);
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* Fill in the IPv4 header checksum (if IPv4) and the TCP checksum. */
static void fix_csums(uint8_t *b, size_t l4off, size_t end)
{
	if ((b[0] >> 4) == 4)
		put16(b + 10, ref_ip4_csum(b));
	put16(b + l4off + 16, ref_tcp_csum(b, l4off, end));
}

/* Parse from a heap copy of exactly n bytes, so ASan sees any overread. */
static enum pkt_status parse_exact(const uint8_t *b, size_t n, struct pkt *p)
{
	uint8_t *copy = malloc(n);
	enum pkt_status st;

	if (n)
		memcpy(copy, b, n);
	st = pkt_parse(copy, n, p);
	free(copy);
	return st;
}

/* ---- fixtures ---- */

static const uint8_t v4_src[4] = { 192, 0, 2, 10 };
static const uint8_t v4_dst[4] = { 198, 51, 100, 20 };
static const uint8_t v6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 };
static const uint8_t v6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02 };

/* IPv4 header: IHL and total length, protocol, checksum filled by mk4. */
static const uint8_t ip4_base[20] = {
	0x45, 0x00, 0x00, 0x00,		/* version 4, IHL 5, TOS, total length */
	0x12, 0x34, 0x40, 0x00,		/* ID, DF, offset 0 */
	63, 0x06, 0x00, 0x00,		/* TTL 63, TCP, checksum */
	192, 0, 2, 10,			/* 192.0.2.10 */
	198, 51, 100, 20,		/* 198.51.100.20 */
};

/* IPv6 header: payload length and next header filled by mk6. */
static const uint8_t ip6_base[40] = {
	0x60, 0x01, 0x23, 0x45,		/* version 6, TC 0, flow label 0x12345 */
	0x00, 0x00, 0x06, 57,		/* payload length, next header, hop limit */
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
};

/* TCP SYN 40000 -> 80 with the options Linux sends. */
static const uint8_t tcp_syn[40] = {
	0x9c, 0x40, 0x00, 0x50,		/* ports 40000 -> 80 */
	0x11, 0x22, 0x33, 0x44,		/* seq */
	0x00, 0x00, 0x00, 0x00,		/* ack */
	0xa0, 0x02, 0xfa, 0xf0,		/* doff 10, SYN, window 64240 */
	0x00, 0x00, 0x00, 0x00,		/* checksum, urgent */
	0x02, 0x04, 0x05, 0xb4,		/* MSS 1460 */
	0x04, 0x02,			/* SACK permitted */
	0x08, 0x0a, 0xa1, 0xb2, 0xc3, 0xd4, 0x00, 0x00, 0x00, 0x00, /* TS */
	0x01, 0x03, 0x03, 0x07,		/* NOP, window scale 7 */
};

/* TCP PSH|ACK 40000 -> 80 carrying 12 bytes. */
static const uint8_t tcp_data[32] = {
	0x9c, 0x40, 0x00, 0x50,
	0x11, 0x22, 0x33, 0x45,
	0x55, 0x66, 0x77, 0x88,
	0x50, 0x18, 0x01, 0xf6,		/* doff 5, PSH|ACK, window 502 */
	0x00, 0x00, 0x00, 0x00,
	'h', 'e', 'l', 'l', 'o', ',', ' ', 'w', 'o', 'r', 'l', 'd',
};

/* TCP SYN with one MSS option. */
static const uint8_t tcp_syn_mss[24] = {
	0xc3, 0x50, 0x01, 0xbb,		/* ports 50000 -> 443 */
	0xde, 0xad, 0xbe, 0xef,
	0x00, 0x00, 0x00, 0x00,
	0x60, 0x02, 0x72, 0x10,		/* doff 6, SYN, window 29200 */
	0x00, 0x00, 0x00, 0x00,
	0x02, 0x04, 0x04, 0xc4,		/* MSS 1220 */
};

/* IPv6 extension headers (first byte: next header). */
static const uint8_t ext_hbh[8] = { 60, 0, 0x01, 0x04, 0, 0, 0, 0 };	/* PadN */
static const uint8_t ext_dst16[16] = { 6, 1, 0x01, 0x0c };		/* PadN */
static const uint8_t ext_frag[8] = { 6, 0, 0x00, 0x01, 0xca, 0xfe, 0xf0, 0x0d };
static const uint8_t ext_srh[24] = {	/* RFC 8754 SRH, one segment */
	6, 2, 4, 0, 0, 0, 0, 0,		/* next, len, type 4, segments left 0 */
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
};

/* A real IPv4 SYN (Android client, from a public test suite), checksums
 * as captured: IP 0x7430, TCP 0xd502. */
static const uint8_t real_syn4[60] = {
	0x45, 0x00, 0x00, 0x3c, 0x48, 0x67, 0x40, 0x00, 0x40, 0x06, 0x74, 0x30,
	0xc0, 0xa8, 0xfe, 0x67, 0xc0, 0xa8, 0xfe, 0x6b,
	0xe6, 0xb2, 0x22, 0xb8, 0x60, 0xa0, 0xe9, 0x6f, 0x00, 0x00, 0x00, 0x00,
	0xa0, 0x02, 0xff, 0xff, 0xd5, 0x02, 0x00, 0x00,
	0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x55, 0xa1, 0x08,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};

/* A real IPv6 ACK (2001:470:e5bf:dead:4957:2174:e82c:4887 port 63943 ->
 * 2607:f8b0:400c:c03::1a port 25, from a public tshark dump), TCP
 * checksum as captured: 0x0ca8. */
static const uint8_t real_ack6[60] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x14, 0x06, 0x40,
	0x20, 0x01, 0x04, 0x70, 0xe5, 0xbf, 0xde, 0xad,
	0x49, 0x57, 0x21, 0x74, 0xe8, 0x2c, 0x48, 0x87,
	0x26, 0x07, 0xf8, 0xb0, 0x40, 0x0c, 0x0c, 0x03,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1a,
	0xf9, 0xc7, 0x00, 0x19, 0x03, 0xa0, 0x88, 0x37, 0x95, 0x63, 0x98, 0x91,
	0x50, 0x10, 0x00, 0x40, 0x0c, 0xa8, 0x00, 0x00,
};

/* IPv4 packet: ip4_base + IP options + payload, checksums filled. */
static size_t mk4(uint8_t *b, const uint8_t *ipopt, size_t optlen, uint8_t proto,
		  const uint8_t *seg, size_t seglen)
{
	size_t hlen = 20 + optlen, len = hlen + seglen;

	memcpy(b, ip4_base, 20);
	if (optlen)
		memcpy(b + 20, ipopt, optlen);
	memcpy(b + hlen, seg, seglen);
	b[0] = (uint8_t)(0x40 | hlen / 4);
	b[9] = proto;
	put16(b + 2, (uint16_t)len);
	if (proto == 6)
		fix_csums(b, hlen, len);
	else
		put16(b + 10, ref_ip4_csum(b));
	return len;
}

/* IPv6 packet: ip6_base + extension headers + payload. */
static size_t mk6(uint8_t *b, uint8_t next, const uint8_t *ext, size_t extlen,
		  const uint8_t *seg, size_t seglen)
{
	size_t len = 40 + extlen + seglen;

	memcpy(b, ip6_base, 40);
	if (extlen)
		memcpy(b + 40, ext, extlen);
	if (seglen)
		memcpy(b + 40 + extlen, seg, seglen);
	put16(b + 4, (uint16_t)(extlen + seglen));
	b[6] = next;
	fix_csums(b, 40 + extlen, len);
	return len;
}

static size_t mk_syn4(uint8_t *b)
{
	return mk4(b, NULL, 0, 6, tcp_syn, sizeof(tcp_syn));
}

static size_t mk_syn6(uint8_t *b)
{
	return mk6(b, 6, NULL, 0, tcp_syn, sizeof(tcp_syn));
}

/* IPv6 SYN behind hop-by-hop (8) and destination options (16). */
static size_t mk_ext6(uint8_t *b)
{
	uint8_t ext[24];

	memcpy(ext, ext_hbh, 8);
	memcpy(ext + 8, ext_dst16, 16);
	return mk6(b, 0, ext, sizeof(ext), tcp_syn_mss, sizeof(tcp_syn_mss));
}

/* IPv4 SYN whose 12 option bytes (doff 8) are opt. */
static size_t mk_opt4(uint8_t *b, const uint8_t opt[12])
{
	uint8_t seg[32];

	memcpy(seg, tcp_syn, 20);
	seg[12] = 0x80;
	memcpy(seg + 20, opt, 12);
	return mk4(b, NULL, 0, 6, seg, sizeof(seg));
}

static void check_syn_opts(const struct pkt *p)
{
	ck_assert(p->opt.has_mss);
	ck_assert_uint_eq(p->opt.mss, 1460);
	ck_assert(p->opt.sack_ok);
	ck_assert(p->opt.has_ts);
	ck_assert_uint_eq(p->opt.tsval, 0xa1b2c3d4u);
	ck_assert_uint_eq(p->opt.tsecr, 0);
	ck_assert(p->opt.has_wscale);
	ck_assert_uint_eq(p->opt.wscale, 7);
}

/* ---- good packets ---- */

START_TEST(pkt_v4_syn_fields)
{
	uint8_t b[MAXPKT];
	struct pkt p;
	size_t len = mk_syn4(b);

	ck_assert_int_eq(parse_exact(b, len, &p), PKT_OK);
	ck_assert_int_eq(p.family, AF_INET);
	ck_assert_mem_eq(p.src, v4_src, 4);
	ck_assert_mem_eq(p.dst, v4_dst, 4);
	ck_assert_uint_eq(p.ttl, 63);
	ck_assert_uint_eq(p.l4off, 20);
	ck_assert_uint_eq(p.sport, 40000);
	ck_assert_uint_eq(p.dport, 80);
	ck_assert_uint_eq(p.seq, 0x11223344u);
	ck_assert_uint_eq(p.ack, 0);
	ck_assert_uint_eq(p.flags, PKT_TH_SYN);
	ck_assert_uint_eq(p.window, 64240);
	ck_assert_uint_eq(p.payload_len, 0);
	ck_assert(p.csum_verified);
	check_syn_opts(&p);
}
END_TEST

START_TEST(pkt_v6_syn_fields)
{
	uint8_t b[MAXPKT];
	struct pkt p;
	size_t len = mk_syn6(b);

	ck_assert_int_eq(parse_exact(b, len, &p), PKT_OK);
	ck_assert_int_eq(p.family, AF_INET6);
	ck_assert_mem_eq(p.src, v6_src, 16);
	ck_assert_mem_eq(p.dst, v6_dst, 16);
	ck_assert_uint_eq(p.ttl, 57);
	ck_assert_uint_eq(p.l4off, 40);
	ck_assert_uint_eq(p.sport, 40000);
	ck_assert_uint_eq(p.dport, 80);
	ck_assert_uint_eq(p.seq, 0x11223344u);
	ck_assert_uint_eq(p.flags, PKT_TH_SYN);
	ck_assert_uint_eq(p.window, 64240);
	ck_assert_uint_eq(p.payload_len, 0);
	ck_assert(p.csum_verified);
	check_syn_opts(&p);
}
END_TEST

START_TEST(pkt_real_syn4)
{
	static const uint8_t src[4] = { 192, 168, 254, 103 };
	static const uint8_t dst[4] = { 192, 168, 254, 107 };
	struct pkt p;

	ck_assert_int_eq(parse_exact(real_syn4, sizeof(real_syn4), &p), PKT_OK);
	ck_assert(p.csum_verified);
	ck_assert_mem_eq(p.src, src, 4);
	ck_assert_mem_eq(p.dst, dst, 4);
	ck_assert_uint_eq(p.ttl, 64);
	ck_assert_uint_eq(p.sport, 59058);
	ck_assert_uint_eq(p.dport, 8888);
	ck_assert_uint_eq(p.seq, 0x60a0e96fu);
	ck_assert_uint_eq(p.flags, PKT_TH_SYN);
	ck_assert_uint_eq(p.window, 65535);
	ck_assert_uint_eq(p.opt.mss, 1460);
	ck_assert(p.opt.sack_ok);
	ck_assert_uint_eq(p.opt.tsval, 0x0055a108u);
	ck_assert_uint_eq(p.opt.wscale, 7);
	/* The reference checksum agrees with the captured bytes too. */
	ck_assert_uint_eq(ref_ip4_csum(real_syn4), 0x7430);
	ck_assert_uint_eq(ref_tcp_csum(real_syn4, 20, 60), 0xd502);
}
END_TEST

START_TEST(pkt_real_ack6)
{
	struct pkt p;

	ck_assert_int_eq(parse_exact(real_ack6, sizeof(real_ack6), &p), PKT_OK);
	ck_assert(p.csum_verified);
	ck_assert_int_eq(p.family, AF_INET6);
	ck_assert_mem_eq(p.src, real_ack6 + 8, 16);
	ck_assert_mem_eq(p.dst, real_ack6 + 24, 16);
	ck_assert_uint_eq(p.sport, 63943);
	ck_assert_uint_eq(p.dport, 25);
	ck_assert_uint_eq(p.seq, 60852279u);
	ck_assert_uint_eq(p.ack, 2506332305u);
	ck_assert_uint_eq(p.flags, PKT_TH_ACK);
	ck_assert_uint_eq(p.window, 64);
	ck_assert_uint_eq(ref_tcp_csum(real_ack6, 40, 60), 0x0ca8);
}
END_TEST

START_TEST(pkt_v4_ip_options)
{
	static const uint8_t opt4[4] = { 0x01, 0x01, 0x01, 0x00 };
	uint8_t opt40[40], b[MAXPKT];
	struct pkt p;
	size_t len;

	len = mk4(b, opt4, sizeof(opt4), 6, tcp_syn, sizeof(tcp_syn));
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_OK);
	ck_assert_uint_eq(p.l4off, 24);
	ck_assert(p.csum_verified);
	check_syn_opts(&p);

	memset(opt40, 0x01, sizeof(opt40));	/* IHL 15: the maximum */
	len = mk4(b, opt40, sizeof(opt40), 6, tcp_syn, sizeof(tcp_syn));
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_OK);
	ck_assert_uint_eq(p.l4off, 60);
	ck_assert_uint_eq(p.sport, 40000);
	/* Options are under the header checksum. */
	b[21] ^= 0x80;
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_BAD_CSUM);
}
END_TEST

START_TEST(pkt_v6_hbh_dstopts)
{
	uint8_t b[MAXPKT];
	struct pkt p;
	size_t len = mk_ext6(b);

	ck_assert_int_eq(parse_exact(b, len, &p), PKT_OK);
	ck_assert_uint_eq(p.l4off, 64);
	ck_assert_uint_eq(p.sport, 50000);
	ck_assert_uint_eq(p.dport, 443);
	ck_assert_uint_eq(p.seq, 0xdeadbeefu);
	ck_assert_uint_eq(p.opt.mss, 1220);
	ck_assert(!p.opt.has_ts);
	ck_assert(p.csum_verified);
}
END_TEST

START_TEST(pkt_v6_routing)
{
	uint8_t b[MAXPKT];
	struct pkt p;
	size_t len;

	len = mk6(b, 43, ext_srh, sizeof(ext_srh), tcp_syn_mss, sizeof(tcp_syn_mss));
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_OK);
	ck_assert_uint_eq(p.l4off, 64);
	ck_assert(p.csum_verified);
	/* Segments left: the final destination is elsewhere. */
	b[43] = 1;
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_NOT_TCP);
}
END_TEST

/* n destination-options headers of 8 bytes in a chain, then a SYN. */
static size_t mk_chain6(uint8_t *b, int n)
{
	uint8_t ext[8 * 10];
	int i;

	memset(ext, 0, sizeof(ext));
	for (i = 0; i < n; i++) {
		ext[8 * i] = i == n - 1 ? 6 : 60;
		ext[8 * i + 2] = 0x01;	/* PadN of 4 */
		ext[8 * i + 3] = 0x04;
	}
	return mk6(b, 60, ext, (size_t)(8 * n), tcp_syn_mss, sizeof(tcp_syn_mss));
}

START_TEST(pkt_v6_ext_limit)
{
	uint8_t b[MAXPKT];
	struct pkt p;
	size_t len;

	len = mk_chain6(b, 8);
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_OK);
	ck_assert_uint_eq(p.l4off, 40 + 64);
	len = mk_chain6(b, 9);
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_MALFORMED);
}
END_TEST

START_TEST(pkt_v6_ext_errors)
{
	uint8_t ext[24], b[MAXPKT];
	struct pkt p;
	size_t len;

	/* Hop-by-hop after destination options. */
	memcpy(ext, ext_dst16, 16);
	ext[0] = 0;
	memcpy(ext + 16, ext_hbh, 8);
	ext[16] = 6;
	len = mk6(b, 60, ext, 24, tcp_syn_mss, sizeof(tcp_syn_mss));
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_MALFORMED);

	/* Extension header longer than the payload length. */
	len = mk6(b, 60, ext_dst16, 8, NULL, 0);
	ck_assert_int_eq(parse_exact(b, len + 8, &p), PKT_MALFORMED);

	/* Jumbogram: payload length 0 with hop-by-hop. */
	len = mk6(b, 0, ext_hbh, 8, tcp_syn_mss, sizeof(tcp_syn_mss));
	put16(b + 4, 0);
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_MALFORMED);

	/* Too short for its header per the IP length (with bytes captured). */
	len = mk6(b, 6, NULL, 0, tcp_syn_mss, sizeof(tcp_syn_mss));
	put16(b + 4, 10);
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_MALFORMED);
}
END_TEST

START_TEST(pkt_v6_fragment)
{
	uint8_t b[MAXPKT];
	struct pkt p;
	size_t len;

	len = mk6(b, 44, ext_frag, sizeof(ext_frag), tcp_syn_mss, sizeof(tcp_syn_mss));
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_FRAGMENT);
	ck_assert_int_eq(p.family, AF_INET6);
	ck_assert_mem_eq(p.src, v6_src, 16);
}
END_TEST

START_TEST(pkt_v4_fragment)
{
	uint8_t b[MAXPKT];
	struct pkt p;
	size_t len = mk_syn4(b);

	b[6] = 0x20;			/* MF */
	b[7] = 0x00;
	fix_csums(b, 20, len);
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_FRAGMENT);
	ck_assert_int_eq(p.family, AF_INET);
	ck_assert_mem_eq(p.src, v4_src, 4);
	ck_assert_mem_eq(p.dst, v4_dst, 4);

	b[6] = 0x00;			/* last fragment, offset 185*8 */
	b[7] = 0xb9;
	fix_csums(b, 20, len);
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_FRAGMENT);
	ck_assert_mem_eq(p.dst, v4_dst, 4);

	b[6] = 0x00;			/* neither DF nor MF: a whole packet */
	b[7] = 0x00;
	fix_csums(b, 20, len);
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_OK);
}
END_TEST

/* ---- truncation, padding, lengths ---- */

/* Every prefix of a good packet: TRUNCATED before the TCP header ends, OK
 * but unverified inside the payload, never anything else. */
static void check_prefixes(const uint8_t *b, size_t len, size_t hdr_end)
{
	struct pkt p;
	size_t n;
	enum pkt_status st;

	for (n = 0; n < len; n++) {
		st = parse_exact(b, n, &p);
		if (n < hdr_end) {
			ck_assert_msg(st == PKT_TRUNCATED, "prefix %zu: %s", n,
				      pkt_status_str(st));
		} else {
			ck_assert_msg(st == PKT_OK, "prefix %zu: %s", n,
				      pkt_status_str(st));
			ck_assert(!p.csum_verified);
			ck_assert_uint_eq(p.payload_len, len - hdr_end);
		}
	}
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_OK);
	ck_assert(p.csum_verified);
}

START_TEST(pkt_truncated_prefixes)
{
	static const uint8_t opt4[4] = { 0x94, 0x04, 0x00, 0x00 };
	uint8_t b[MAXPKT];
	size_t len;

	len = mk_syn4(b);
	check_prefixes(b, len, len);
	len = mk_syn6(b);
	check_prefixes(b, len, len);
	len = mk_ext6(b);
	check_prefixes(b, len, len);
	len = mk4(b, NULL, 0, 6, tcp_data, sizeof(tcp_data));
	check_prefixes(b, len, 40);
	len = mk4(b, opt4, 4, 6, tcp_data, sizeof(tcp_data));
	check_prefixes(b, len, 44);
	len = mk6(b, 60, ext_dst16, 16, tcp_data, sizeof(tcp_data));
	check_prefixes(b, len, 76);
}
END_TEST

START_TEST(pkt_payload_cut)
{
	uint8_t b[MAXPKT];
	struct pkt p;
	size_t len = mk4(b, NULL, 0, 6, tcp_data, sizeof(tcp_data));

	ck_assert_int_eq(parse_exact(b, 44, &p), PKT_OK);
	ck_assert(!p.csum_verified);
	ck_assert_uint_eq(p.payload_len, 12);
	ck_assert_uint_eq(p.flags, PKT_TH_PSH | PKT_TH_ACK);
	ck_assert_uint_eq(p.ack, 0x55667788u);
	/* A bad checksum in an uncaptured segment is not seen. */
	b[len - 1] ^= 0xff;
	ck_assert_int_eq(parse_exact(b, len - 1, &p), PKT_OK);
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_BAD_CSUM);
}
END_TEST

START_TEST(pkt_trailing_padding)
{
	uint8_t b[MAXPKT];
	struct pkt p;
	size_t len;

	len = mk4(b, NULL, 0, 6, tcp_data, sizeof(tcp_data));
	memset(b + len, 0xa5, 14);	/* not zeros: must not be summed */
	ck_assert_int_eq(parse_exact(b, len + 14, &p), PKT_OK);
	ck_assert(p.csum_verified);
	ck_assert_uint_eq(p.payload_len, 12);

	len = mk_syn4(b);		/* padding after a SYN */
	memset(b + len, 0xff, 6);
	ck_assert_int_eq(parse_exact(b, len + 6, &p), PKT_OK);
	ck_assert(p.csum_verified);
	ck_assert_uint_eq(p.payload_len, 0);

	len = mk6(b, 6, NULL, 0, tcp_data, sizeof(tcp_data));
	memset(b + len, 0x5a, 9);
	ck_assert_int_eq(parse_exact(b, len + 9, &p), PKT_OK);
	ck_assert(p.csum_verified);
	ck_assert_uint_eq(p.payload_len, 12);
}
END_TEST

/* A frame with link padding and a partial TCP checksum (as under GSO):
 * the fix sums the segment the IP length gives, not the padding. */
static void check_fix_with_padding(uint8_t *b, size_t len, uint8_t pad)
{
	uint8_t want[16];
	struct pkt p;

	memset(b + len, pad, sizeof(want));
	memcpy(want, b + len, sizeof(want));
	b[len - 1] ^= 0x5a;	/* the checksum no longer matches the payload */
	ck_assert_int_eq(parse_exact(b, len + sizeof(want), &p), PKT_BAD_CSUM);
	ck_assert_int_eq(pkt_fix_csum(b, len + sizeof(want), &p), 0);
	ck_assert_int_eq(parse_exact(b, len + sizeof(want), &p), PKT_OK);
	ck_assert(p.csum_verified);
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_OK);	/* trimmed: the same */
	ck_assert_mem_eq(b + len, want, sizeof(want));
	/* A capture that ends inside the segment is refused, not summed. */
	ck_assert_int_eq(pkt_fix_csum(b, len - 1, &p), -1);
}

START_TEST(pkt_fix_csum_padding)
{
	uint8_t b[MAXPKT];

	check_fix_with_padding(b, mk4(b, NULL, 0, 6, tcp_data, sizeof(tcp_data)), 0xa5);
	check_fix_with_padding(b, mk6(b, 6, NULL, 0, tcp_data, sizeof(tcp_data)), 0xff);
	check_fix_with_padding(b, mk6(b, 60, ext_dst16, sizeof(ext_dst16), tcp_data,
				      sizeof(tcp_data)), 0x11);
}
END_TEST

START_TEST(pkt_ip_len_short)
{
	uint8_t b[MAXPKT];
	struct pkt p;
	size_t len = mk_syn4(b);

	/* IP length ends inside the TCP base header. */
	put16(b + 2, 30);
	put16(b + 10, ref_ip4_csum(b));
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_MALFORMED);
	/* IP length ends inside the TCP options. */
	put16(b + 2, 40);
	put16(b + 10, ref_ip4_csum(b));
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_MALFORMED);
	/* Total length below the IP header length. */
	put16(b + 2, 19);
	put16(b + 10, ref_ip4_csum(b));
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_MALFORMED);
}
END_TEST

START_TEST(pkt_bad_ip_header)
{
	uint8_t b[MAXPKT];
	struct pkt p;
	size_t len = mk_syn4(b);

	ck_assert_int_eq(parse_exact(b, 0, &p), PKT_TRUNCATED);
	b[0] = 0x44;			/* IHL 4 */
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_MALFORMED);
	b[0] = 0x55;			/* version 5 */
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_MALFORMED);
	b[0] = 0x05;			/* version 0 */
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_MALFORMED);
	ck_assert_int_eq(p.family, 0);
	b[0] = 0x4f;			/* IHL 15: 60 bytes, only 40 captured */
	ck_assert_int_eq(parse_exact(b, 40, &p), PKT_TRUNCATED);
}
END_TEST

/* ---- checksums ---- */

START_TEST(pkt_bad_checksums)
{
	uint8_t b[MAXPKT];
	struct pkt p;
	size_t len;

	len = mk_syn4(b);
	b[10] ^= 0x01;			/* IP header checksum */
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_BAD_CSUM);
	len = mk_syn4(b);
	b[8] = 62;			/* TTL changed, checksum not */
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_BAD_CSUM);
	len = mk_syn4(b);
	b[36] ^= 0x10;			/* TCP checksum */
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_BAD_CSUM);
	len = mk_syn4(b);
	b[15] ^= 0x01;			/* source address: pseudo-header */
	put16(b + 10, ref_ip4_csum(b));
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_BAD_CSUM);
	len = mk_syn6(b);
	b[len - 1] ^= 0x01;		/* TCP option byte */
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_BAD_CSUM);
	len = mk_syn6(b);
	b[39] ^= 0x01;			/* IPv6 destination address */
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_BAD_CSUM);
}
END_TEST

START_TEST(pkt_csum_helpers)
{
	/* RFC 1071 §3 example: sum ddf2, checksum 220d. */
	static const uint8_t rfc[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	static const uint8_t odd[1] = { 0xab };
	uint8_t hdr[20], d[101];
	size_t i, k;
	uint32_t whole;

	ck_assert_uint_eq(pkt_csum_add(0, rfc, 8), 0xddf2);
	ck_assert_uint_eq(pkt_csum_fold(pkt_csum_add(0, rfc, 8)), 0x220d);
	ck_assert_uint_eq(pkt_csum_add(0, odd, 1), 0xab00);
	ck_assert_uint_eq(pkt_csum_fold(0x1fffe), 0);
	ck_assert_uint_eq(pkt_csum_fold(0), 0xffff);

	/* Against the captured checksum bytes of a real packet. */
	memcpy(hdr, real_syn4, 20);
	hdr[10] = hdr[11] = 0;
	ck_assert_uint_eq(pkt_csum_fold(pkt_csum_add(0, hdr, 20)), 0x7430);
	ck_assert_uint_eq(pkt_csum_fold(pkt_csum_add(0, real_syn4, 20)), 0);

	/* Chained even chunks equal the whole, for every split. */
	for (i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 37 + 11);
	for (k = 0; k <= sizeof(d); k++) {
		whole = pkt_csum_add(0, d, k);
		ck_assert_uint_eq(pkt_csum_fold(whole),
				  (uint16_t)~ref_sum(d, k));
		if (k % 2 == 0)
			ck_assert_uint_eq(pkt_csum_add(pkt_csum_add(0, d, k), d + k,
						       sizeof(d) - k),
					  pkt_csum_add(0, d, sizeof(d)));
	}
}
END_TEST

/* ---- transport ---- */

START_TEST(pkt_not_tcp)
{
	static const uint8_t udp[12] = { 0x13, 0x88, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00, 1, 2, 3, 4 };
	static const uint8_t icmp[8] = { 8, 0, 0xf7, 0xfe, 0, 1, 0, 0 };
	static const uint8_t v6next[] = { 17, 58, 59, 50, 51, 132 };
	uint8_t b[MAXPKT];
	struct pkt p;
	size_t len, i;

	len = mk4(b, NULL, 0, 17, udp, sizeof(udp));
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_NOT_TCP);
	ck_assert_mem_eq(p.src, v4_src, 4);
	len = mk4(b, NULL, 0, 1, icmp, sizeof(icmp));
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_NOT_TCP);
	for (i = 0; i < sizeof(v6next); i++) {
		len = mk6(b, 6, NULL, 0, udp, sizeof(udp));
		b[6] = v6next[i];
		ck_assert_int_eq(parse_exact(b, len, &p), PKT_NOT_TCP);
	}
	/* No next header with an empty payload is fine too. */
	len = mk6(b, 6, NULL, 0, NULL, 0);
	b[6] = 59;
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_NOT_TCP);
	/* UDP behind a destination-options header. */
	len = mk6(b, 60, ext_dst16, 16, udp, sizeof(udp));
	b[40] = 17;
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_NOT_TCP);
}
END_TEST

START_TEST(pkt_doff)
{
	uint8_t b[MAXPKT];
	struct pkt p;
	size_t len;
	uint8_t d;

	for (d = 0; d < 5; d++) {
		len = mk_syn4(b);
		b[32] = (uint8_t)(d << 4);
		fix_csums(b, 20, len);
		ck_assert_int_eq(parse_exact(b, len, &p), PKT_MALFORMED);
	}
	len = mk4(b, NULL, 0, 6, tcp_data, sizeof(tcp_data));
	b[32] = 0xf0;			/* 60 bytes > 32-byte segment */
	fix_csums(b, 20, len);
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_MALFORMED);
	b[32] = 0x80;			/* 32 bytes: the whole segment is header */
	fix_csums(b, 20, len);
	ck_assert_int_eq(parse_exact(b, len, &p), PKT_MALFORMED);	/* bytes 'hell' are bad options */
}
END_TEST

static enum pkt_status parse_opt4(const uint8_t opt[12], struct pkt *p)
{
	uint8_t b[MAXPKT];
	size_t len = mk_opt4(b, opt);

	return parse_exact(b, len, p);
}

START_TEST(pkt_tcp_option_errors)
{
	static const uint8_t len0[12] = { 2, 0, 5, 0xb4, 1, 1, 1, 1, 1, 1, 1, 1 };
	static const uint8_t len1[12] = { 1, 1, 3, 1, 7, 1, 1, 1, 1, 1, 1, 1 };
	static const uint8_t overrun[12] = { 1, 1, 4, 2, 1, 1, 8, 10, 0, 0, 0, 1 };
	static const uint8_t nolen[12] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 30 };
	static const uint8_t unk_overrun[12] = { 30, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct pkt p;

	ck_assert_int_eq(parse_opt4(len0, &p), PKT_MALFORMED);
	ck_assert_int_eq(parse_opt4(len1, &p), PKT_MALFORMED);
	ck_assert_int_eq(parse_opt4(overrun, &p), PKT_MALFORMED);
	ck_assert_int_eq(parse_opt4(nolen, &p), PKT_MALFORMED);
	ck_assert_int_eq(parse_opt4(unk_overrun, &p), PKT_MALFORMED);
}
END_TEST

START_TEST(pkt_tcp_option_parsing)
{
	static const uint8_t eol[12] = { 2, 4, 5, 0xb4, 0, 0xff, 0xff, 0, 3, 1, 9, 9 };
	static const uint8_t unknown[12] = { 30, 4, 0xaa, 0xbb, 3, 3, 6, 1, 4, 2, 1, 1 };
	static const uint8_t wronglen[12] = { 2, 3, 5, 3, 4, 1, 2, 4, 3, 1, 1, 0 };
	static const uint8_t exact[12] = { 1, 1, 30, 10, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct pkt p;

	ck_assert_int_eq(parse_opt4(eol, &p), PKT_OK);
	ck_assert(p.opt.has_mss);
	ck_assert_uint_eq(p.opt.mss, 1460);
	ck_assert(!p.opt.has_wscale && !p.opt.sack_ok && !p.opt.has_ts);

	ck_assert_int_eq(parse_opt4(unknown, &p), PKT_OK);
	ck_assert(!p.opt.has_mss);
	ck_assert(p.opt.has_wscale);
	ck_assert_uint_eq(p.opt.wscale, 6);
	ck_assert(p.opt.sack_ok);

	ck_assert_int_eq(parse_opt4(wronglen, &p), PKT_OK);
	ck_assert(!p.opt.has_mss && !p.opt.has_wscale && !p.opt.sack_ok);

	/* An unknown option ending exactly at the header's end. */
	ck_assert_int_eq(parse_opt4(exact, &p), PKT_OK);
}
END_TEST

START_TEST(pkt_wscale_clamp)
{
	static const uint8_t ws[] = { 0, 14, 15, 16, 200, 255 };
	static const uint8_t want[] = { 0, 14, 14, 14, 14, 14 };
	uint8_t opt[12] = { 3, 3, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0 };
	struct pkt p;
	size_t i;

	for (i = 0; i < sizeof(ws); i++) {
		opt[2] = ws[i];
		ck_assert_int_eq(parse_opt4(opt, &p), PKT_OK);
		ck_assert(p.opt.has_wscale);
		ck_assert_uint_eq(p.opt.wscale, want[i]);
	}
}
END_TEST

/* ---- SYN+ACK builder ---- */

static void check_synack(const uint8_t *out, size_t len, const struct pkt *syn,
			 uint16_t mss)
{
	struct pkt a;
	size_t l4off = syn->family == AF_INET ? 20 : 40;
	size_t alen = syn->family == AF_INET ? 4 : 16;

	ck_assert_int_eq(parse_exact(out, len, &a), PKT_OK);
	ck_assert(a.csum_verified);
	ck_assert_int_eq(a.family, syn->family);
	ck_assert_mem_eq(a.src, syn->dst, alen);
	ck_assert_mem_eq(a.dst, syn->src, alen);
	ck_assert_uint_eq(a.ttl, 64);
	ck_assert_uint_eq(a.sport, syn->dport);
	ck_assert_uint_eq(a.dport, syn->sport);
	ck_assert_uint_eq(a.flags, PKT_TH_SYN | PKT_TH_ACK);
	ck_assert_uint_eq(a.seq, 0xcafebabeu);
	ck_assert_uint_eq(a.ack, 0x0badf00du);
	ck_assert_uint_eq(a.window, 4096);
	ck_assert_uint_eq(a.payload_len, 0);
	ck_assert_uint_eq(a.l4off, l4off);
	ck_assert_uint_eq(a.opt.has_mss, mss != 0);
	ck_assert_uint_eq(a.opt.mss, mss);
	ck_assert(!a.opt.has_wscale && !a.opt.sack_ok && !a.opt.has_ts);
	ck_assert_uint_eq(out[l4off + 12] >> 4, mss ? 6 : 5);
	ck_assert_uint_eq(get16(out + l4off + 18), 0);	/* urgent */
	/* Checksums against the independent reference too. */
	ck_assert_uint_eq(get16(out + l4off + 16), ref_tcp_csum(out, l4off, len));
}

START_TEST(pkt_build_synack_v4)
{
	uint8_t b[MAXPKT], out[MAXPKT];
	struct pkt syn;
	size_t len = mk_syn4(b), n;

	ck_assert_int_eq(parse_exact(b, len, &syn), PKT_OK);
	n = pkt_build_synack(out, sizeof(out), &syn,
			     &(struct pkt_synack){ 0xcafebabe, 0x0badf00d, 1460, 4096 });
	ck_assert_uint_eq(n, 44);
	check_synack(out, n, &syn, 1460);
	ck_assert_uint_eq(out[0], 0x45);
	ck_assert_uint_eq(get16(out + 2), 44);
	ck_assert_uint_eq(get16(out + 4), 0);		/* ID */
	ck_assert_uint_eq(get16(out + 6), 0x4000);	/* DF */
	ck_assert_uint_eq(out[9], 6);
	ck_assert_uint_eq(get16(out + 10), ref_ip4_csum(out));

	n = pkt_build_synack(out, sizeof(out), &syn,
			     &(struct pkt_synack){ 0xcafebabe, 0x0badf00d, 0, 4096 });
	ck_assert_uint_eq(n, 40);
	check_synack(out, n, &syn, 0);

	ck_assert_uint_eq(pkt_build_synack(out, 43, &syn, &(struct pkt_synack){ 1, 2, 1460, 3 }), 0);
	ck_assert_uint_eq(pkt_build_synack(out, 39, &syn, &(struct pkt_synack){ 1, 2, 0, 3 }), 0);
	ck_assert_uint_eq(pkt_build_synack(out, 40, &syn, &(struct pkt_synack){ 1, 2, 0, 3 }), 40);
	syn.family = 0;
	ck_assert_uint_eq(pkt_build_synack(out, sizeof(out), &syn, &(struct pkt_synack){ 1, 2, 0, 3 }), 0);
}
END_TEST

START_TEST(pkt_build_synack_v6)
{
	uint8_t b[MAXPKT], out[MAXPKT];
	struct pkt syn;
	size_t len = mk_ext6(b), n;

	ck_assert_int_eq(parse_exact(b, len, &syn), PKT_OK);
	n = pkt_build_synack(out, sizeof(out), &syn,
			     &(struct pkt_synack){ 0xcafebabe, 0x0badf00d, 1220, 4096 });
	ck_assert_uint_eq(n, 64);
	check_synack(out, n, &syn, 1220);
	ck_assert_uint_eq(out[0], 0x60);	/* traffic class and flow label 0 */
	ck_assert_uint_eq(out[1], 0);
	ck_assert_uint_eq(get16(out + 2), 0);
	ck_assert_uint_eq(get16(out + 4), 24);
	ck_assert_uint_eq(out[6], 6);

	n = pkt_build_synack(out, sizeof(out), &syn,
			     &(struct pkt_synack){ 0xcafebabe, 0x0badf00d, 0, 4096 });
	ck_assert_uint_eq(n, 60);
	check_synack(out, n, &syn, 0);
	ck_assert_uint_eq(pkt_build_synack(out, 63, &syn, &(struct pkt_synack){ 1, 2, 1220, 3 }), 0);
}
END_TEST

START_TEST(pkt_status_str_names)
{
	ck_assert_str_eq(pkt_status_str(PKT_OK), "ok");
	ck_assert_str_eq(pkt_status_str(PKT_TRUNCATED), "truncated");
	ck_assert_str_eq(pkt_status_str(PKT_MALFORMED), "malformed");
	ck_assert_str_eq(pkt_status_str(PKT_NOT_TCP), "not-tcp");
	ck_assert_str_eq(pkt_status_str(PKT_FRAGMENT), "fragment");
	ck_assert_str_eq(pkt_status_str(PKT_BAD_CSUM), "bad-checksum");
}
END_TEST

/* ---- robustness ---- */

static uint32_t rng = 0x9e3779b9u;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void check_valid_status(enum pkt_status st)
{
	ck_assert_int_ge(st, PKT_OK);
	ck_assert_int_le(st, PKT_BAD_CSUM);
	ck_assert_str_ne(pkt_status_str(st), "unknown");
}

/* A parsed SYN must always give a SYN+ACK that parses back cleanly. */
static void check_roundtrip(const struct pkt *p)
{
	uint8_t out[MAXPKT];
	struct pkt a;
	size_t n;

	n = pkt_build_synack(out, sizeof(out), p,
			     &(struct pkt_synack){ rnd(), rnd(), (uint16_t)rnd(), (uint16_t)rnd() });
	ck_assert_uint_ne(n, 0);
	ck_assert_int_eq(parse_exact(out, n, &a), PKT_OK);
	ck_assert(a.csum_verified);
}

START_TEST(pkt_fuzz_random)
{
	uint8_t b[MAXPKT];
	struct pkt p;
	size_t n, i;
	int it;

	for (it = 0; it < 100000; it++) {
		n = rnd() % 128;
		for (i = 0; i < n; i++)
			b[i] = (uint8_t)rnd();
		/* Mostly a plausible version, so parsing gets past byte 0. */
		if (n && (rnd() & 3))
			b[0] = (uint8_t)((rnd() & 1 ? 0x40 : 0x60) | (b[0] & 0x0f));
		check_valid_status(parse_exact(b, n, &p));
	}
}
END_TEST

START_TEST(pkt_fuzz_mutate)
{
	static const uint8_t opt4[4] = { 0x94, 0x04, 0x00, 0x00 };
	uint8_t b[MAXPKT];
	struct pkt p;
	size_t len = 0, l4off = 0, n;
	enum pkt_status st;
	int it, m, oks = 0;

	memset(b, 0, sizeof(b));
	for (it = 0; it < 100000; it++) {
		switch (rnd() % 5) {
		case 0: len = mk_syn4(b); l4off = 20; break;
		case 1: len = mk_syn6(b); l4off = 40; break;
		case 2: len = mk_ext6(b); l4off = 64; break;
		case 3: len = mk4(b, opt4, 4, 6, tcp_data, sizeof(tcp_data)); l4off = 24; break;
		default: len = mk_chain6(b, 8); l4off = 104; break;
		}
		for (m = (int)(rnd() % 4) + 1; m > 0; m--) {
			n = rnd() % len;
			b[n] = rnd() & 1 ? (uint8_t)rnd() : (uint8_t)(b[n] ^ (1u << (rnd() % 8)));
		}
		/* Often repair checksums, to get past them into the options. */
		if (rnd() & 1 && ((b[0] >> 4) == 4 || (b[0] >> 4) == 6) &&
		    (b[0] >> 4 != 4 || (b[0] & 0x0f) >= 5))
			fix_csums(b, l4off, len);
		n = rnd() % 4 ? len : rnd() % (len + 16);
		st = parse_exact(b, n, &p);
		check_valid_status(st);
		if (st == PKT_OK) {
			oks++;
			check_roundtrip(&p);
		}
	}
	ck_assert_int_gt(oks, 1000);	/* the loop did reach deep code */
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("pkt");
	TCase *tc;

	tc = unit_tcase("parse");
	tcase_add_test(tc, pkt_v4_syn_fields);
	tcase_add_test(tc, pkt_v6_syn_fields);
	tcase_add_test(tc, pkt_real_syn4);
	tcase_add_test(tc, pkt_real_ack6);
	tcase_add_test(tc, pkt_v4_ip_options);
	tcase_add_test(tc, pkt_v6_hbh_dstopts);
	tcase_add_test(tc, pkt_v6_routing);
	tcase_add_test(tc, pkt_v6_ext_limit);
	tcase_add_test(tc, pkt_v6_ext_errors);
	tcase_add_test(tc, pkt_v6_fragment);
	tcase_add_test(tc, pkt_v4_fragment);
	tcase_add_test(tc, pkt_not_tcp);
	tcase_add_test(tc, pkt_status_str_names);
	suite_add_tcase(s, tc);

	tc = unit_tcase("lengths");
	tcase_add_test(tc, pkt_truncated_prefixes);
	tcase_add_test(tc, pkt_payload_cut);
	tcase_add_test(tc, pkt_trailing_padding);
	tcase_add_test(tc, pkt_ip_len_short);
	tcase_add_test(tc, pkt_bad_ip_header);
	tcase_add_test(tc, pkt_doff);
	suite_add_tcase(s, tc);

	tc = unit_tcase("checksum");
	tcase_add_test(tc, pkt_bad_checksums);
	tcase_add_test(tc, pkt_csum_helpers);
	tcase_add_test(tc, pkt_fix_csum_padding);
	suite_add_tcase(s, tc);

	tc = unit_tcase("tcp-options");
	tcase_add_test(tc, pkt_tcp_option_errors);
	tcase_add_test(tc, pkt_tcp_option_parsing);
	tcase_add_test(tc, pkt_wscale_clamp);
	suite_add_tcase(s, tc);

	tc = unit_tcase("build");
	tcase_add_test(tc, pkt_build_synack_v4);
	tcase_add_test(tc, pkt_build_synack_v6);
	suite_add_tcase(s, tc);

	tc = unit_tcase("robustness");
	tcase_add_test(tc, pkt_fuzz_random);
	tcase_add_test(tc, pkt_fuzz_mutate);
	suite_add_tcase(s, tc);
	return s;
}
