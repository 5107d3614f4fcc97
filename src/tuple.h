/* tuple: the 4-tuple of a TCP connection, the one type every module keys,
 * MACs and names connections by.  It is the connection as the client sees
 * it: client = the source of the SYN, server = its destination. */
#ifndef SYNGUARD_TUPLE_H
#define SYNGUARD_TUPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/* Addresses in network order, AF_INET in the first 4 bytes (the tail is
 * never read); ports in host order. */
struct sg_tuple {
	int family;			/* AF_INET or AF_INET6 */
	uint8_t client[16], server[16];
	uint16_t client_port, server_port;
};

/* The bytes of an address that belong to the family. */
static inline size_t sg_tuple_alen(const struct sg_tuple *t)
{
	return t->family == AF_INET6 ? 16 : 4;
}

/* Same family, ports and addresses (the family's bytes only). */
static inline bool sg_tuple_equal(const struct sg_tuple *a, const struct sg_tuple *b)
{
	size_t alen = sg_tuple_alen(a);

	return a->family == b->family && a->client_port == b->client_port &&
	       a->server_port == b->server_port && memcmp(a->client, b->client, alen) == 0 &&
	       memcmp(a->server, b->server, alen) == 0;
}

/* The same connection from the server's side (client and server swapped):
 * the direction of the server's packets, conntrack's REPLY tuple. */
static inline void sg_tuple_reverse(const struct sg_tuple *t, struct sg_tuple *out)
{
	out->family = t->family;
	memcpy(out->client, t->server, 16);
	memcpy(out->server, t->client, 16);
	out->client_port = t->server_port;
	out->server_port = t->client_port;
}

#define SG_TUPLE_BYTES (1 + 2 * 16 + 4)

/* The tuple as MAC input: the address length (which doubles as the
 * family), client and server address, client and server port big-endian;
 * at most SG_TUPLE_BYTES, returns the length.  The cookies are MACs over
 * these bytes and gateways sharing a secret must compute the same ones:
 * the layout never changes. */
static inline size_t sg_tuple_put(uint8_t *msg, const struct sg_tuple *t)
{
	size_t alen = sg_tuple_alen(t), n = 0;

	msg[n++] = (uint8_t)alen;
	memcpy(msg + n, t->client, alen);
	n += alen;
	memcpy(msg + n, t->server, alen);
	n += alen;
	msg[n++] = (uint8_t)(t->client_port >> 8);
	msg[n++] = (uint8_t)t->client_port;
	msg[n++] = (uint8_t)(t->server_port >> 8);
	msg[n++] = (uint8_t)t->server_port;
	return n;
}

#endif
