/* proxy: the in-flight handshakes of the full SYN proxy.  Between the
 * client's ACK (which proves the cookie) and the server's SYN+ACK the
 * daemon has to remember the connection: a fixed table of entries with a
 * timeout and counted eviction, each with room for a bounded amount of early
 * client data.  Pure: no I/O, the caller gives the time. */
#ifndef SYNGUARD_PROXY_H
#define SYNGUARD_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siphash.h"
#include "tuple.h"

#define PROXY_WAYS 4

/* An attempt waits for the server (CONNECTING); once handed over it stays a
 * little (HANDED) so that client packets conntrack let through before its
 * entry existed, but the daemon reads only now, are passed on, not taken
 * for a new attempt. */
enum proxy_state { PROXY_ST_CONNECTING, PROXY_ST_HANDED };

/* Late client packets passed on per handed-over connection, at most: the
 * client sent them before it saw the server's window, so they fit in
 * proxy_early_data; past the cap they are dropped (the client retransmits
 * into the connection's own conntrack entry), so that a packet that keeps
 * coming back to the queue is never passed on without end. */
#define PROXY_FORWARD_MAX 64

struct proxy_conn {
	uint64_t key;			/* tuple fingerprint; 0 = free slot */
	uint64_t expires_us;
	enum proxy_state state;
	struct sg_tuple tuple;
	uint32_t client_isn;		/* c: the client's ISN */
	uint32_t proxy_isn;		/* K: ours, from the cookie */
	uint32_t server_isn;		/* S, once handed over */
	uint16_t client_mss;		/* from the cookie */
	uint8_t client_wscale;		/* PKT_NO_WSCALE if none */
	bool sack;
	uint16_t client_window;		/* raw window of the client's ACK */
	uint8_t proxy_wscale;		/* the scale our SYN+ACK announced */
	unsigned svc;
	uint16_t forwards;		/* late packets passed on after the handover */
	uint32_t early_len;		/* bytes held: [u16 length][packet]... */
	uint8_t *early;			/* early_cap bytes of the pool */
};

struct proxy_table {
	struct proxy_conn *slots;
	uint8_t *pool;
	size_t nbuckets, count, early_cap, sweep_pos;
	struct siphash_key seed;
	uint64_t evictions, expirations;
};

/* max_entries in-flight handshakes (at least PROXY_WAYS), early_cap bytes
 * of held client packets each (0: hold nothing).  Returns 0 or -1. */
int proxy_init(struct proxy_table *t, size_t max_entries, size_t early_cap,
	       const struct siphash_key *seed);
void proxy_free(struct proxy_table *t);
size_t proxy_capacity(const struct proxy_table *t);

/* The entry of a connection; NULL if none (an expired one is not
 * returned: proxy_expired reports it). */
struct proxy_conn *proxy_find(struct proxy_table *t, const struct sg_tuple *tuple,
			      uint64_t now_us);
/* A new entry (zeroed but for the tuple and expiry).  A full bucket evicts
 * the entry closest to expiry; *evicted receives a copy of it (key 0 if
 * none) so the caller can answer its client. */
struct proxy_conn *proxy_add(struct proxy_table *t, const struct sg_tuple *tuple,
			     uint64_t expires_us, struct proxy_conn *evicted);
void proxy_remove(struct proxy_table *t, struct proxy_conn *c);

/* Hold a client packet of len bytes until the connection is handed over.
 * false if it does not fit in what is left of early_cap. */
bool proxy_hold(struct proxy_table *t, struct proxy_conn *c, const uint8_t *pkt, size_t len);
/* Walk the held packets: returns the next one after *pos (start at 0). */
const uint8_t *proxy_held_next(const struct proxy_conn *c, uint32_t *pos, size_t *len);

/* Take out at most max_buckets buckets' worth of expired entries, calling
 * fn for each before it is freed (the caller resets its client). */
typedef void (*proxy_expired_fn)(const struct proxy_conn *c, void *arg);
size_t proxy_sweep(struct proxy_table *t, uint64_t now_us, size_t max_buckets,
		   proxy_expired_fn fn, void *arg);

#endif
