/* policy: the pure decision for one queued packet.  Given the parse result,
 * the mode, the lists, the rate limits and the tables it says ACCEPT or
 * DROP, whether to send a cookie SYN+ACK and which mark bits the verdict
 * sets; the caller does the I/O.  Counters are updated here so that what is
 * counted is exactly what was decided. */
#ifndef SYNGUARD_POLICY_H
#define SYNGUARD_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "bucket.h"
#include "conf.h"
#include "cookie.h"
#include "halfopen.h"
#include "hh.h"
#include "pkt.h"
#include "proxy.h"
#include "stats.h"
#include "table.h"

#define POLICY_SRCKEY_LEN 17	/* family byte + 16 address bytes, masked */
#define POLICY_RETRANS_KEYLEN 8	/* keyed fingerprint of 4-tuple + ISN */
#define POLICY_SVC_MAX (CONF_SERVICES_MAX + 1)
#define POLICY_SVC_CATCHALL CONF_SERVICES_MAX	/* fixed slot of undeclared services */

/* A service's TCP options as its server's SYN+ACKs show them (n: how many
 * were seen); the proxy announces them in its own SYN+ACKs. */
struct policy_opts {
	uint64_t n;
	uint16_t mss;
	uint8_t wscale;			/* PKT_NO_WSCALE: the server does not scale */
	bool sack, ts;
};

/* Per-service figures.  attack is the detector's output (set by the
 * caller); the win_ counts cover the current one-second window and are
 * reset by the caller. */
struct policy_svc {
	bool attack;
	struct policy_opts learned;
	struct bucket limit;		/* limit_syn_service */
	uint64_t syn, syn_unverified, challenges, accepted, limited;
	uint64_t win_syn, win_unverified, win_challenges, win_accepted;
};

struct policy_ctx {
	const struct conf *conf;
	const struct cookie_ctx *cookies;
	struct table *verified;		/* source prefix -> (unused), expiry */
	struct table *retrans;		/* SYN fingerprint -> first seen (ms) */
	struct stats *stats;
	struct siphash_key fp_key;	/* keys fingerprints and SYN+ACK seqs */
	/* Optional (NULL: feature off): */
	struct halfopen *halfopen;	/* handshakes of accepted SYNs */
	struct bucket_table *limits;	/* per-prefix token buckets */
	struct hh *top;			/* heavy hitters by SYN source */
	struct proxy_table *proxy;	/* in-flight proxied handshakes */
	struct bucket synack_total;	/* limit_synack_total */
	/* Optional: whether the kernel fast path passed SYN p on as a
	 * retransmission it had challenged; the fallback then accepts it as
	 * if it had challenged it itself. */
	bool (*retrans_passed)(void *arg, const struct pkt *p);
	void *retrans_arg;
	struct policy_svc svc[POLICY_SVC_MAX];
};

enum policy_verdict { POLICY_ACCEPT, POLICY_DROP };

/* What the caller must do for the full SYN proxy. */
enum policy_proxy {
	PROXY_NONE,
	PROXY_CONNECT,		/* valid cookie ACK: SYN to the server (and hold any data) */
	PROXY_HOLD,		/* early client data: hold the packet */
	PROXY_HANDOVER,		/* server SYN+ACK: conntrack entry, ACK, window update, data */
	PROXY_REFUSED,		/* server RST: reset the client */
	PROXY_ABORTED,		/* client RST: forget the attempt */
	PROXY_FORWARD,		/* late client packet of a handed-over connection: re-inject */
	PROXY_REACK,		/* server SYN+ACK again after the handover: ACK it again */
};

struct policy_result {
	enum policy_verdict verdict;
	bool challenge;			/* send a cookie SYN+ACK */
	bool proxy;			/* ... a valid one (the proxy's), with options */
	uint16_t synack_mss;		/* proxy SYN+ACK options */
	uint8_t synack_wscale;
	bool synack_sack;
	enum policy_proxy proxy_action;
	struct proxy_conn *conn;	/* the entry the action is about */
	struct proxy_conn evicted;	/* key != 0: an attempt pushed out; reset its client */
	bool verified;			/* the source became verified (cookie or handshake) */
	bool ct_restore;		/* restore the conntrack entry's timeout (an inexact RST) */
	bool completed;			/* a tracked handshake completed */
	uint32_t mark_set;		/* mark bits the verdict sets (track/done) */
	unsigned svc;			/* service index (SYNs and handshake packets) */
	uint64_t handshake_us;		/* when completed: SYN to completing ACK */
	uint32_t synack_seq, synack_ack;
	enum stats_reason reason;	/* the leaf that decided (counted once) */
};

/* Fill the buckets (call once the conf and tables are in place). */
void policy_init(struct policy_ctx *pc, uint64_t now_ms);

/* now_us: monotonic microseconds. */
void policy_decide(struct policy_ctx *pc, enum pkt_status st, const struct pkt *p,
		   uint64_t now_us, struct policy_result *r);

/* Build the verified-table key of a source address under the configured
 * prefix lengths. */
void policy_source_key(const struct conf *c, int family, const uint8_t addr[16],
		       uint8_t key[POLICY_SRCKEY_LEN]);

/* Mark a source verified until now + verified_ttl. */
void policy_verify_source(struct policy_ctx *pc, int family, const uint8_t addr[16],
			  uint64_t now_ms);

/* The service a destination belongs to (POLICY_SVC_CATCHALL if none). */
unsigned policy_service_of(const struct conf *c, int family, const uint8_t dst[16],
			   uint16_t port);

/* The server options the proxy announces for service svc: the
 * configured ones, else the learned ones, else defaults. */
void policy_server_opts(const struct policy_ctx *pc, unsigned svc, int family,
			struct policy_opts *o);
/* The window of the proxy's SYN+ACK: it bounds what the client sends
 * before the server answered to what the daemon can hold
 * (proxy_early_data, headers included). */
uint16_t policy_proxy_window(const struct conf *c);
/* The proxy's SYN+ACK for SYN syn that policy_decide challenged with r (a
 * valid one: the server's options, no timestamps) into out; its length,
 * or 0 if it does not fit. */
size_t policy_proxy_synack(uint8_t *out, size_t outlen, const struct conf *c,
			   const struct pkt *syn, const struct policy_result *r);

/* Whether SYNs of service svc from unverified sources are challenged now. */
bool policy_challenging(const struct policy_ctx *pc, unsigned svc);

/* Whether the daemon drops anything (adaptive and always mode; off and
 * monitor only count). */
bool policy_enforcing(const struct policy_ctx *pc);

/* Whether service svc is behind the full SYN proxy (challenge = proxy or
 * auto, and a proxy table). */
bool policy_proxying(const struct policy_ctx *pc, unsigned svc);

#endif
