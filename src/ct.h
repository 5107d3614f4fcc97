/* ct: conntrack through ctnetlink.  The connection-state census: one dump
 * of the conntrack table (IPv4 and IPv6) is read piece by piece from the
 * caller's event loop, with one fixed receive buffer and no per-entry
 * allocation; each TCP entry is handed to a callback as its
 * ORIGINAL-direction tuple and state.  And the full proxy's hand-off: the
 * entry, with sequence adjustment, of a proxied connection.  This is the
 * only module that speaks ctnetlink. */
#ifndef SYNGUARD_CT_H
#define SYNGUARD_CT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tuple.h"

/* The kernel's TCP_CONNTRACK_SYN_SENT2 (simultaneous open) is folded into
 * CT_SYN_SENT; entries in state NONE or an unknown state are skipped. */
enum ct_state {
	CT_SYN_SENT,
	CT_SYN_RECV,
	CT_ESTABLISHED,
	CT_FIN_WAIT,
	CT_CLOSE_WAIT,
	CT_LAST_ACK,
	CT_TIME_WAIT,
	CT_CLOSE,
	CT_NSTATES
};

/* "syn_sent", "syn_recv", "established", "fin_wait", "close_wait",
 * "last_ack", "time_wait", "close"; "?" for anything else. */
const char *ct_state_name(enum ct_state s);

struct ct_entry {
	struct sg_tuple tuple;	/* ORIGINAL direction: client = the originator */
	enum ct_state state;
	bool seqadj;		/* a REPLY-direction sequence adjustment */
	uint32_t seqadj_pos;	/* its correction position */
	int32_t seqadj_offset;	/* its offset after that position */
};

/* Pure: parse one IPCTNL_MSG_CT_NEW message (as received in a dump or as
 * the answer to a get) of len bytes.  Returns 1 and fills *e for a TCP
 * entry with a known state, 0 for an entry to skip (not TCP, no TCP
 * protoinfo, state NONE or unknown), -1 if malformed (every length is
 * checked; nothing past len is read). */
int ct_parse_msg(const void *nlmsg, size_t len, struct ct_entry *e);

/* Pure: build the dump request (IPCTNL_MSG_CT_GET, NLM_F_REQUEST|NLM_F_DUMP,
 * AF_UNSPEC: both families) into buf.  Returns its length, 0 if size is
 * too small. */
size_t ct_build_dump(void *buf, size_t size, uint32_t seq);

/* Asynchronous dump, driven by the caller's event loop on ct_census_fd().
 *
 * Discarding the rest of a dump (truncation, abort, error) replaces the
 * socket behind the descriptor with a fresh one, under the same number
 * (dup3): the descriptor stays valid, but a loop that caches registrations
 * must re-register it before the next start (libev: ev_io_set() or
 * ev_io_init() before ev_io_start()). */
struct ct_census;
typedef void (*ct_entry_fn)(const struct ct_entry *e, void *arg);

/* A non-blocking, close-on-exec NETLINK_NETFILTER socket; NULL + errno. */
struct ct_census *ct_census_open(void);
int ct_census_fd(const struct ct_census *c);

/* Sends the dump request.  max_entries bounds the entries (of any
 * protocol) read before the census stops as truncated; 0 means no bound.
 * Returns 0, or -1 with errno (EBUSY if a dump is running). */
int ct_census_start(struct ct_census *c, uint64_t max_entries);

/* On readable: processes at most one receive buffer, calling fn for every
 * TCP entry.  Returns 1 while the dump goes on (also on EINTR/EAGAIN: wait
 * for the next readable event), 0 when it ended (or none runs), or -1 with
 * errno (ENOBUFS: messages were lost, the census is incomplete; the
 * kernel's error for an NLMSG_ERROR or a failed dump; EBADMSG for a
 * malformed message).  After -1 the dump is over and its rest discarded.
 * An entry beyond max_entries ends the dump early: 0, truncated set, and
 * the rest is discarded so that a later start is clean. */
int ct_census_read(struct ct_census *c, ct_entry_fn fn, void *arg);

bool ct_census_running(const struct ct_census *c);
/* Entries (all protocols) seen in the current or last dump. */
uint64_t ct_census_seen(const struct ct_census *c);
bool ct_census_truncated(const struct ct_census *c);
/* Ends a running dump (e.g. its deadline passed) and discards the rest. */
void ct_census_abort(struct ct_census *c);
void ct_census_close(struct ct_census *c);

/* --- the proxied connection's entry --------------------------------------
 *
 * After a full proxy handshake (client ISN c, our cookie ISN K, server ISN
 * S) the kernel takes the connection over: one IPCTNL_MSG_CT_NEW creates an
 * ESTABLISHED, confirmed entry whose REPLY-direction sequence adjustment
 * adds K - S to the server's sequence numbers (and takes it off the
 * client's acks and SACK blocks).  Without CONFIRMED in the status the
 * kernel answers EBUSY; without the adjustment the connection hangs. */

#define CT_NO_WSCALE 0xff

struct ct_proxy {			/* one proxied connection */
	struct sg_tuple tuple;
	uint32_t server_isn;		/* S: correction position of the reply direction */
	uint32_t proxy_isn;		/* K: the ISN the client got from the proxy */
	uint8_t client_wscale, server_wscale;	/* CT_NO_WSCALE if not negotiated */
	bool sack;
	bool liberal;			/* set IP_CT_TCP_FLAG_BE_LIBERAL both ways */
	uint32_t mark;			/* conntrack mark to set (CTA_MARK) */
	uint32_t timeout_s;		/* CTA_TIMEOUT */
};

/* Pure: the IPCTNL_MSG_CT_NEW request (NLM_F_REQUEST|NLM_F_CREATE|
 * NLM_F_EXCL|NLM_F_ACK) into buf; returns its length, 0 if size is too
 * small or the family is neither AF_INET nor AF_INET6.  Attributes, nests
 * flagged NLA_F_NESTED, numbers in network order:
 *   CTA_TUPLE_ORIG (client -> server), CTA_TUPLE_REPLY (server -> client),
 *   CTA_STATUS (SEEN_REPLY|ASSURED|CONFIRMED), CTA_TIMEOUT, CTA_MARK,
 *   CTA_PROTOINFO/CTA_PROTOINFO_TCP: state ESTABLISHED; WSCALE_ORIGINAL =
 *     client_wscale and WSCALE_REPLY = server_wscale only when both are
 *     negotiated; FLAGS_ORIGINAL = FLAGS_REPLY = { WINDOW_SCALE (both
 *     negotiated) | SACK_PERM (sack) | BE_LIBERAL (liberal), mask: those
 *     three bits },
 *   CTA_SEQ_ADJ_REPLY: CORRECTION_POS = server_isn, OFFSET_BEFORE =
 *     OFFSET_AFTER = proxy_isn - server_isn (mod 2^32).
 * Window scales are passed as given (the kernel does not cap them). */
size_t ct_build_proxy_new(void *buf, size_t size, uint32_t seq, const struct ct_proxy *p);

/* A request socket, separate from the census socket (a running dump must
 * never be mixed with request answers). */
struct ct_ctl;
struct ct_ctl *ct_ctl_open(void);	/* NULL + errno */
void ct_ctl_close(struct ct_ctl *c);

/* Creates the entry.  The kernel handles the request inside sendto(), so
 * its answer is queued when sendto returns: one send, then non-blocking
 * receives that skip leftovers of earlier requests (bounded: never
 * blocks).  Returns 0, or -errno: -EEXIST (an entry for either tuple
 * exists), -EBUSY, -ENOENT, -EPERM (no CAP_NET_ADMIN), -EINVAL (bad
 * family), -ETIMEDOUT (no answer queued: cannot happen with a kernel that
 * answers synchronously), or a socket error. */
int ct_ctl_create(struct ct_ctl *c, const struct ct_proxy *p);

/* Delete the entry of a tuple (orig direction client->server): a stale one
 * (TIME_WAIT of an earlier connection on the same ports) that keeps a new
 * proxied connection's entry from being created.  0 or -errno. */
int ct_ctl_delete(struct ct_ctl *c, const struct sg_tuple *t);
/* Pure: the update (IPCTNL_MSG_CT_NEW without NLM_F_CREATE: an existing
 * entry only) that gives the entry whose ORIGINAL tuple is t the timeout
 * timeout_s back after an inexact RST, and clears the originator's
 * "data unacknowledged" flag that RST's sequence set. */
size_t ct_build_restore(void *buf, size_t size, uint32_t seq, const struct sg_tuple *t,
			uint32_t timeout_s);
/* If the entry whose ORIGINAL tuple is t is ESTABLISHED, send it: 1 (sent
 * and acknowledged), 0 (in another state, e.g. CLOSE after the exact RST:
 * left alone), or -errno (-ENOENT: no such entry; as ct_ctl_create). */
int ct_ctl_restore_established(struct ct_ctl *c, const struct sg_tuple *t, uint32_t timeout_s);
/* For tests and diagnostics: looks up the entry of a tuple (ORIGINAL
 * direction client -> server, TCP, IPCTNL_MSG_CT_GET) and reports whether
 * it has a REPLY-direction sequence adjustment.  Returns 1 (it has, and
 * *offset is set to its offset), 0 (entry without one), or -errno
 * (-ENOENT: no entry; -EBADMSG: malformed answer; as ct_ctl_create). */
int ct_ctl_seqadj(struct ct_ctl *c, const struct sg_tuple *t, int32_t *offset);

#endif
