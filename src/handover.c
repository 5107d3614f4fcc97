/* handover: the I/O side of the full SYN proxy.  After the
 * client's ACK proves the cookie: a SYN to the server with the client's
 * options; on the server's SYN+ACK, in this order: the conntrack entry with
 * sequence adjustment, the final ACK to the server, a window update to the
 * client, and the client's early data re-injected through conntrack (which
 * fixes its acknowledgment numbers).  Every failure resets the client. */
#include "handover.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "ct.h"
#include "fastpath.h"
#include "log.h"
#include "pkt.h"
#include "seed.h"
#include "policy.h"
#include "synguard.h"
#include "tx.h"

#define CT_ESTABLISHED_TIMEOUT_S 432000	/* the kernel's own for ESTABLISHED */
#define PKT_BUF 128

/* A segment between the connection's ends: from the client (to_server) or
 * from the server, through the marked (notracked) socket. */
static void send_seg(struct synguard *sg, const struct proxy_conn *c, bool to_server,
		     struct pkt_out *o)
{
	uint8_t buf[PKT_BUF];
	size_t len;

	o->family = c->tuple.family;
	o->src = to_server ? c->tuple.client : c->tuple.server;
	o->dst = to_server ? c->tuple.server : c->tuple.client;
	o->sport = to_server ? c->tuple.client_port : c->tuple.server_port;
	o->dport = to_server ? c->tuple.server_port : c->tuple.client_port;
	len = pkt_build(buf, sizeof(buf), o);
	if (!len || tx_send_now(sg->ptx, c->tuple.family, o->dst, buf, len) < 0) {
		sg->stats.proxy_send_errors++;
		log_kind_at(LOG_WARNING, errno, "proxy: cannot send a %s segment: %s",
			    to_server ? "server" : "client", strerror(errno));
	}
}

static void reset_client(struct synguard *sg, const struct proxy_conn *c)
{
	struct pkt_out o = { .seq = c->proxy_isn + 1, .ack = c->client_isn + 1,
			     .flags = PKT_TH_RST | PKT_TH_ACK, .wscale = PKT_NO_WSCALE };

	send_seg(sg, c, false, &o);
}

static void reset_server(struct synguard *sg, const struct proxy_conn *c)
{
	struct pkt_out o = { .seq = c->client_isn + 1, .flags = PKT_TH_RST,
			     .wscale = PKT_NO_WSCALE };

	send_seg(sg, c, true, &o);
}

/* Early client data: kept whole (the re-injected copy must be the packet
 * the client sent), within proxy_early_data. */
static void hold(struct synguard *sg, const struct pkt *p, const uint8_t *buf, size_t len,
		 struct proxy_conn *c)
{
	if (!p->payload_len)
		return;
	if (!p->csum_verified || !proxy_hold(&sg->proxy, c, buf, len)) {
		sg->stats.proxy_early_dropped++;
		return;
	}
	sg->stats.proxy_early_held++;
}

/* A new connection on ports an earlier one used: that one's conntrack entry
 * lingers (TIME_WAIT) and would catch the server's SYN+ACK (no longer
 * INVALID, so never queued; translated by the old offset).  The client has
 * started anew, so the old entry is gone for good: remove it first. */
static void clear_stale_entry(struct synguard *sg, const struct proxy_conn *c)
{
	if (sg->ctl && ct_ctl_delete(sg->ctl, &c->tuple) == 0)
		sg->stats.proxy_ct_replaced++;
}

static void connect_server(struct synguard *sg, struct proxy_conn *c)
{
	clear_stale_entry(sg, c);
	struct pkt_out o = { .seq = c->client_isn, .flags = PKT_TH_SYN, .window = 65535,
			     .mss = c->client_mss, .wscale = c->client_wscale,
			     .sack_ok = c->sack };

	send_seg(sg, c, true, &o);
}

/* The seqadj entry: from now on the kernel translates server->client
 * sequence numbers by K - S (and acknowledgments back), and the done bit
 * keeps the connection out of the queue. */
static int create_entry(struct synguard *sg, const struct proxy_conn *c, const struct pkt *sa)
{
	struct ct_proxy e = {
		.tuple = c->tuple,
		.server_isn = sa->seq,
		.proxy_isn = c->proxy_isn,
		.client_wscale = CT_NO_WSCALE,
		.server_wscale = CT_NO_WSCALE,
		.sack = c->sack && sa->opt.sack_ok,
		.mark = sg->conf.done_mark,
		.timeout_s = CT_ESTABLISHED_TIMEOUT_S,
	};

	/* Scaling is on only if both ends announced it (RFC 7323 §2.2). */
	if (c->client_wscale != PKT_NO_WSCALE && sa->opt.has_wscale) {
		e.client_wscale = c->client_wscale;
		e.server_wscale = sa->opt.wscale;
	}
	int rc;

	if (!sg->ctl)
		return -ENOTCONN;
	rc = ct_ctl_create(sg->ctl, &e);
	/* An earlier connection on the same ports (its entry lingers in
	 * TIME_WAIT; the new SYN never reached conntrack): replace it. */
	if (rc == -EEXIST && ct_ctl_delete(sg->ctl, &c->tuple) == 0) {
		sg->stats.proxy_ct_replaced++;
		rc = ct_ctl_create(sg->ctl, &e);
	}
	return rc;
}

/* A client packet sent on to the server through conntrack, which
 * translates its acknowledgment numbers.  Returns 0 or -1. */
static int forward(struct synguard *sg, const struct proxy_conn *c, uint8_t *pk, size_t len)
{
	struct pkt p;
	enum pkt_status st = pkt_parse(pk, len, &p);

	/* A queued copy may carry a partial checksum (GSO): redo it. */
	if (st == PKT_OK || st == PKT_BAD_CSUM)
		pkt_fix_csum(pk, len, &p);
	if (tx_send_now(sg->ptx_plain, c->tuple.family, c->tuple.server, pk, len) < 0) {
		sg->stats.proxy_send_errors++;
		return -1;
	}
	return 0;
}

/* All held packets back to back, in their order, before the client learns
 * the real window: new data must not overtake them. */
static void reinject(struct synguard *sg, struct proxy_conn *c)
{
	uint32_t pos = 0;
	size_t len;
	uint8_t *pk;

	while ((pk = (uint8_t *)proxy_held_next(c, &pos, &len)) != NULL)
		if (forward(sg, c, pk, len) == 0)
			sg->stats.proxy_reinjected++;
	c->early_len = 0;
}

static void reack(struct synguard *sg, const struct proxy_conn *c)
{
	struct pkt_out ack = { .seq = c->client_isn + 1, .ack = c->server_isn + 1,
			       .flags = PKT_TH_ACK, .window = c->client_window,
			       .wscale = PKT_NO_WSCALE };

	send_seg(sg, c, true, &ack);
}

/* auto: the source of a completed proxied handshake becomes verified. */
static void verify_source(struct synguard *sg, const struct proxy_conn *c)
{
	policy_verify_source(&sg->policy, c->tuple.family, c->tuple.client, clock_mono_ms());
	fastpath_verified(&sg->fast, c->tuple.family, c->tuple.client, sg->conf.verified_ttl_ms);
}

/* Returns false if the attempt failed (and is to be removed). */
static bool complete(struct synguard *sg, struct proxy_conn *c, const struct pkt *sa)
{
	uint8_t ws = c->proxy_wscale == PKT_NO_WSCALE ? 0 : c->proxy_wscale;
	struct pkt_out ack = { .seq = c->client_isn + 1, .ack = sa->seq + 1, .flags = PKT_TH_ACK,
			       .window = c->client_window, .wscale = PKT_NO_WSCALE };
	/* The server's receive window, in the scale the client was told. */
	struct pkt_out upd = { .seq = c->proxy_isn + 1, .ack = c->client_isn + 1,
			       .flags = PKT_TH_ACK, .window = (uint16_t)(sa->window >> ws),
			       .wscale = PKT_NO_WSCALE };
	int rc = create_entry(sg, c, sa);

	if (rc < 0) {
		sg->stats.proxy_failed_ct++;
		log_kind_at(LOG_WARNING, -rc, "proxy: conntrack refused the connection's entry: "
			    "%s; resetting both sides", strerror(-rc));
		reset_server(sg, c);
		reset_client(sg, c);
		return false;
	}
	send_seg(sg, c, true, &ack);
	reinject(sg, c);
	send_seg(sg, c, false, &upd);
	sg->stats.proxy_completed++;
	/* Kept a little: client packets already past conntrack are passed on
	 * (PROXY_FORWARD), a repeated server SYN+ACK gets its ACK again. */
	c->state = PROXY_ST_HANDED;
	c->server_isn = sa->seq;
	c->expires_us = clock_mono_us() + (uint64_t)sg->conf.proxy_timeout_ms * 1000;
	/* auto: the source has proven itself; its next connections go direct. */
	if (conf_service_challenge(&sg->conf, c->svc) == CONF_CHALLENGE_AUTO)
		verify_source(sg, c);
	return true;
}

void handover_act(struct synguard *sg, const struct pkt *p, const uint8_t *buf, size_t len,
		  struct policy_result *r)
{
	struct proxy_conn *c = r->conn;

	if (r->evicted.key)
		reset_client(sg, &r->evicted);
	switch (r->proxy_action) {
	case PROXY_CONNECT:
		connect_server(sg, c);
		hold(sg, p, buf, len, c);
		return;
	case PROXY_HOLD:
		hold(sg, p, buf, len, c);
		return;
	case PROXY_HANDOVER:
		if (complete(sg, c, p))
			return;
		break;
	case PROXY_FORWARD:
		/* Only whole packets; else the client retransmits. */
		if (!p->csum_verified)
			sg->stats.proxy_early_dropped++;
		else if (forward(sg, c, (uint8_t *)buf, len) == 0)
			sg->stats.proxy_forwarded++;
		return;
	case PROXY_REACK:
		reack(sg, c);
		return;
	case PROXY_REFUSED:
		sg->stats.proxy_failed_refused++;
		reset_client(sg, c);
		break;
	case PROXY_ABORTED:
		sg->stats.proxy_aborted++;
		reset_server(sg, c);
		break;
	default:
		return;
	}
	proxy_remove(&sg->proxy, c);
}

/* The server never answered within proxy_timeout. */
static void expired(const struct proxy_conn *c, void *arg)
{
	struct synguard *sg = arg;

	if (c->state == PROXY_ST_HANDED)
		return;		/* its grace time is over: forget it quietly */
	sg->stats.proxy_failed_timeout++;
	reset_client(sg, c);
}

void handover_sweep(struct synguard *sg, uint64_t now_us, size_t max_buckets)
{
	proxy_sweep(&sg->proxy, now_us, max_buckets, expired, sg);
}

static bool proxy_wanted(const struct conf *c)
{
	for (unsigned i = 0; i < c->nservices; i++)
		if (conf_service_challenge(c, i) != CONF_CHALLENGE_AUTH)
			return true;
	return c->challenge != CONF_CHALLENGE_AUTH;
}

int handover_ensure_table(struct synguard *sg)
{
	struct siphash_key seed;

	if (sg->proxy.slots || !proxy_wanted(&sg->conf))
		return 0;
	if (seed_key(&seed) < 0 ||
	    proxy_init(&sg->proxy, sg->conf.proxy_max, sg->conf.proxy_early_data, &seed) < 0) {
		log_err("cannot allocate the proxy table: %s", strerror(errno));
		return -1;
	}
	sg->policy.proxy = &sg->proxy;
	log_info("proxy table: %zu handshakes, %u bytes of early data each",
		 proxy_capacity(&sg->proxy), sg->conf.proxy_early_data);
	return 0;
}
