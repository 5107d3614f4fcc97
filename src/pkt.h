/* pkt: pure parsing of queued IPv4/IPv6 TCP packets and building of the
 * cookie SYN+ACK.  No I/O; every length is checked against the captured
 * bytes, so unit tests and fuzzers can feed it anything. */
#ifndef SYNGUARD_PKT_H
#define SYNGUARD_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tuple.h"

enum pkt_status {
	PKT_OK = 0,
	PKT_TRUNCATED,		/* captured bytes end before a header does */
	PKT_MALFORMED,		/* impossible header field (IHL < 5, doff < 5, bad option length...) */
	PKT_NOT_TCP,		/* well-formed IP, but the transport is not TCP */
	PKT_FRAGMENT,		/* any IPv4 fragment or IPv6 fragment header */
	PKT_BAD_CSUM,		/* IPv4 header or TCP checksum wrong */
};

#define PKT_TH_FIN 0x01
#define PKT_TH_SYN 0x02
#define PKT_TH_RST 0x04
#define PKT_TH_PSH 0x08
#define PKT_TH_ACK 0x10
#define PKT_TH_URG 0x20

struct pkt_tcpopt {
	bool has_mss, has_wscale, sack_ok, has_ts;
	uint16_t mss;
	uint8_t wscale;
	uint32_t tsval, tsecr;
};

struct pkt {
	uint32_t mark;		/* the packet's mark: not parsed, the queue's (0 if none) */
	int family;		/* AF_INET or AF_INET6 */
	uint8_t src[16];	/* IPv4 uses the first 4 bytes */
	uint8_t dst[16];
	uint8_t ttl;		/* TTL or hop limit */
	size_t l4off;		/* offset of the TCP header in the buffer */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;		/* PKT_TH_* */
	uint16_t window;
	size_t payload_len;	/* TCP payload length per the IP length fields */
	bool csum_verified;	/* whole segment captured and TCP checksum checked */
	struct pkt_tcpopt opt;
};

/* Parse caplen captured bytes starting at the IP header.  On PKT_OK every
 * field of *p is set; on other results *p is partially filled (family and
 * addresses when they were reachable) and must not be answered. */
enum pkt_status pkt_parse(const uint8_t *buf, size_t caplen, struct pkt *p);
const char *pkt_status_str(enum pkt_status s);

/* The connection of a parsed packet: pkt_tuple for one the client sent
 * (source = client), pkt_tuple_from_server for one the server sent. */
void pkt_tuple(const struct pkt *p, struct sg_tuple *t);
void pkt_tuple_from_server(const struct pkt *p, struct sg_tuple *t);

/* What a SYN+ACK answering a SYN carries: mss 0 means no options. */
struct pkt_synack {
	uint32_t seq, ack;
	uint16_t mss, window;
};

/* Build into out (size outlen) a SYN+ACK answering the parsed SYN *syn:
 * addresses and ports swapped, a's seq, ack, MSS option and window, TTL/hop
 * limit 64, valid IP and TCP checksums.  Returns the packet length, or 0 if
 * outlen is too small. */
size_t pkt_build_synack(uint8_t *out, size_t outlen, const struct pkt *syn,
			const struct pkt_synack *a);

#define PKT_NO_WSCALE 0xff

/* A TCP segment to build: addresses are 16-byte buffers (IPv4 in the first
 * 4), options only where set, no payload. */
struct pkt_out {
	int family;
	const uint8_t *src, *dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;			/* PKT_TH_* */
	uint16_t window;
	uint16_t mss;			/* 0: no MSS option */
	uint8_t wscale;			/* PKT_NO_WSCALE: no window-scale option */
	bool sack_ok;
};

/* Build the segment with valid checksums, TTL/hop limit 64.  Returns its
 * length, or 0 if outlen is too small. */
size_t pkt_build(uint8_t *out, size_t outlen, const struct pkt_out *po);

/* Recompute the IPv4 header and TCP checksums of a captured packet of len
 * bytes parsed into *p (a queued copy may carry a partial checksum under
 * GSO).  The segment is what the IP length says: bytes after it (link
 * padding) stay out of the sum.  0, or -1 if the capture ends before the
 * segment does. */
int pkt_fix_csum(uint8_t *buf, size_t len, const struct pkt *p);

/* Internet checksum helpers (RFC 1071), exposed for tests.  pkt_csum_add
 * adds data as big-endian 16-bit words (an odd last byte is padded with a
 * zero) to a running sum; chain calls with even-length chunks.
 * pkt_csum_fold folds and complements: the result, in host order, is what
 * to store big-endian in a checksum field, and is 0 over data that already
 * holds a correct checksum. */
uint32_t pkt_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t pkt_csum_fold(uint32_t sum);

#endif
