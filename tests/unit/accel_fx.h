/* accel_fx: what the tests that drive the fast path program through
 * BPF_PROG_TEST_RUN share (tests/unit/check_accel.c, tests/fuzz/fuzz_bpf.c;
 * header-only, one copy per test): where the built object is, the daemon's
 * side of the program (its config, policy and fastpath module writing the
 * settings, services and proxy options into the program, as the daemon
 * does), the Ethernet header around an IP packet, and the SYN+ACKs the
 * daemon would send, byte for byte, for the program's answers to be
 * compared with.  No assertions: each caller checks in its own way. */
#ifndef SYNGUARD_ACCEL_FX_H
#define SYNGUARD_ACCEL_FX_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "accel.h"
#include "conf.h"
#include "cookie.h"
#include "fastpath.h"
#include "pkt.h"
#include "policy.h"

/* The hooks' return codes (linux/bpf.h, linux/pkt_cls.h), without their
 * headers' clash with the userspace ones. */
#define XDP_ABORTED_ 0
#define XDP_DROP_ 1
#define XDP_PASS_ 2
#define XDP_TX_ 3
#define TC_ACT_OK_ 0
#define TC_ACT_SHOT_ 2
#define TC_ACT_REDIRECT_ 7
#include "proxy.h"
#include "stats.h"
#include "table.h"

#define ACCEL_FX_ETH_LEN 14

/* The program's object in the build tree: $SG_BPF_OBJECT, else under
 * $top_builddir (make check sets it), else under ACCEL_FX_BUILDDIR (the
 * build tree's absolute path, where the Makefile gives it), else ".". */
static inline const char *accel_fx_object(void)
{
	static char path[1024];
	const char *o = getenv("SG_BPF_OBJECT"), *b = getenv("top_builddir");

	if (o && *o)
		return o;
#ifdef ACCEL_FX_BUILDDIR
	if (!b)
		b = ACCEL_FX_BUILDDIR;
#endif
	snprintf(path, sizeof(path), "%s/src/bpf/synguard.bpf.o", b ? b : ".");
	return path;
}

/* The daemon's side: its config (the caller fills conf, after
 * conf_defaults), counters, tables, policy and fastpath module. */
struct accel_fx {
	struct conf conf;
	struct stats stats;
	struct table verified, retrans;
	struct proxy_table pt;
	struct policy_ctx pc;
	struct fastpath fp;
};

/* Tables and policy over cookies, and the settings, services, lists and
 * proxy options written into program a by the daemon's fastpath_sync.
 * 0, or -1 (a table could not be made). */
static inline int accel_fx_init(struct accel_fx *x, struct accel *a,
				const struct cookie_ctx *cookies)
{
	struct siphash_key s1 = { 3, 4 }, s2 = { 5, 6 }, s3 = { 7, 8 };

	if (table_init(&x->verified, 1024, POLICY_SRCKEY_LEN, &s1) ||
	    table_init(&x->retrans, 1024, POLICY_RETRANS_KEYLEN, &s2) ||
	    proxy_init(&x->pt, 64, x->conf.proxy_early_data, &s3))
		return -1;
	x->pc.conf = &x->conf;
	x->pc.cookies = cookies;
	x->pc.verified = &x->verified;
	x->pc.retrans = &x->retrans;
	x->pc.proxy = &x->pt;
	x->pc.stats = &x->stats;
	policy_init(&x->pc, 0);
	x->fp.accel = a;
	x->fp.conf = &x->conf;
	x->fp.stats = &x->stats;
	fastpath_sync(&x->fp, &x->pc);
	return 0;
}

static inline void accel_fx_free(struct accel_fx *x)
{
	proxy_free(&x->pt);
	table_free(&x->verified);
	table_free(&x->retrans);
	conf_free(&x->conf);
}

/* An Ethernet header from the client's MAC to the gateway's, vlans (0..2)
 * tags between the MACs and the type (802.1ad outer, 802.1Q inner), the
 * type IPv4's or IPv6's (family); its length. */
static inline size_t accel_fx_eth(uint8_t *f, int family, unsigned vlans)
{
	static const uint8_t mac_g[6] = { 2, 0, 0, 0, 0, 2 }, mac_c[6] = { 2, 0, 0, 0, 0, 1 };
	static const uint8_t tags[2][4] = { { 0x88, 0xa8, 0x00, 0x64 }, { 0x81, 0x00, 0x00, 0x0a } };
	size_t n = 12;

	memcpy(f, mac_g, 6);
	memcpy(f + 6, mac_c, 6);
	for (unsigned i = vlans > 2 ? 0 : 2 - vlans; i < 2 && vlans; i++, n += 4)
		memcpy(f + n, tags[i], 4);
	f[n] = family == AF_INET6 ? 0x86 : 0x08;
	f[n + 1] = family == AF_INET6 ? 0xdd : 0x00;
	return n + 2;
}

/* The daemon's auth cookie SYN+ACK for SYN syn (pkt_build_synack: its
 * cookie, the program's fingerprint as sequence number, the MSS and window
 * fastpath_sync gives the program) into out; its length (0: no room).
 * *cookie: the cookie. */
static inline size_t accel_fx_auth_synack(uint8_t *out, size_t outlen, const struct accel *a,
					  const struct cookie_ctx *cookies, const struct pkt *syn,
					  uint32_t *cookie)
{
	struct sg_tuple t;

	pkt_tuple(syn, &t);
	*cookie = cookie_make(cookies, &t, syn->seq);
	return pkt_build_synack(out, outlen, syn, &(struct pkt_synack){
		(uint32_t)(accel_fingerprint(a, syn) >> 32), *cookie,
		syn->family == AF_INET6 ? 1440 : 1460, 65535 });
}

/* The daemon's proxy SYN+ACK for SYN syn: what policy_decide (at now_us)
 * decides for it, built by policy_proxy_synack; its length, 0 if the
 * daemon does not challenge it with the proxy cookie. */
static inline size_t accel_fx_proxy_synack(struct accel_fx *x, const struct pkt *syn,
					   uint64_t now_us, uint8_t *out, size_t outlen)
{
	struct policy_result r;

	policy_decide(&x->pc, PKT_OK, syn, now_us, &r);
	if (!r.challenge || !r.proxy)
		return 0;
	return policy_proxy_synack(out, outlen, &x->conf, syn, &r);
}

#endif
