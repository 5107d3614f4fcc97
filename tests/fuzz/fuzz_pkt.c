/* Fuzz target: the packet parser and the builders fed by what it parsed.
 * Properties: pkt_parse never reads past caplen (ASan); a SYN+ACK built for a
 * parsed SYN, and a segment built from a parsed packet's fields, parse back
 * as PKT_OK with the fields they were built from; pkt_fix_csum on a parsed
 * packet makes its checksums valid (it then parses as PKT_OK, or fails
 * for a reason other than its checksum). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t copy[65536], out[256];
	struct pkt p, q;
	struct sg_tuple t;
	enum pkt_status st;
	size_t n;

	if (size > sizeof(copy))
		return 0;
	memset(&p, 0, sizeof(p));
	st = pkt_parse(data, size, &p);
	(void)pkt_status_str(st);
	/* The checksums made valid, a packet whose only fault they were
	 * parses (the builders below get the rest). */
	memcpy(copy, data, size);
	st = fuzz_parse_fixed(copy, size, &p);
	if (st == PKT_BAD_CSUM)
		abort();
	if (st != PKT_OK)
		return 0;
	pkt_tuple(&p, &t);
	pkt_tuple_from_server(&p, &t);
	if (p.flags & PKT_TH_SYN) {
		struct pkt_synack a = { .seq = p.seq ^ 0x5a5a5a5a, .ack = p.seq + 1,
					.mss = p.opt.has_mss ? p.opt.mss : 0, .window = p.window };

		n = pkt_build_synack(out, sizeof(out), &p, &a);
		if (!n || pkt_parse(out, n, &q) != PKT_OK || q.seq != a.seq || q.ack != a.ack ||
		    q.sport != p.dport || q.dport != p.sport || q.family != p.family ||
		    memcmp(q.src, p.dst, 16) != 0 || q.opt.has_mss != (a.mss != 0))
			abort();
	}
	{
		struct pkt_out po = {
			.family = p.family, .src = p.dst, .dst = p.src, .sport = p.dport,
			.dport = p.sport, .seq = p.ack, .ack = p.seq, .flags = p.flags,
			.window = p.window, .mss = p.opt.has_mss ? p.opt.mss : 0,
			.wscale = p.opt.has_wscale ? p.opt.wscale : PKT_NO_WSCALE,
			.sack_ok = p.opt.sack_ok,
		};

		n = pkt_build(out, sizeof(out), &po);
		if (!n || pkt_parse(out, n, &q) != PKT_OK || q.flags != p.flags || q.seq != p.ack ||
		    q.window != p.window || q.opt.sack_ok != p.opt.sack_ok)
			abort();
	}
	return 0;
}
