/* tx: raw-socket output of the packets the daemon emits (cookie SYN+ACKs),
 * marked with SO_MARK so the ruleset can notrack them, sent in batches with
 * sendmmsg().  Frames carry a caller tag so failures can be reported back. */
#ifndef SYNGUARD_TX_H
#define SYNGUARD_TX_H

#include <stddef.h>
#include <stdint.h>

#define TX_FRAME_MAX 128
#define TX_BATCH 64

struct tx;

struct tx *tx_open(uint32_t mark);
void tx_close(struct tx *t);
int tx_set_mark(struct tx *t, uint32_t mark);

/* Buffer for the next frame (TX_FRAME_MAX bytes); NULL if the batch is full
 * (call tx_flush first). */
uint8_t *tx_frame(struct tx *t);
/* Queue the frame just written: family, destination address, length, tag. */
void tx_commit(struct tx *t, int family, const uint8_t dst[16], size_t len, uint32_t tag);

/* Send everything queued.  For each frame that could not be sent, fail(arg,
 * tag, errno) is called.  Returns the number of frames sent. */
typedef void (*tx_fail_fn)(void *arg, uint32_t tag, int err);
size_t tx_flush(struct tx *t, tx_fail_fn fail, void *arg);

/* Send one packet of any size at once (the proxy's few packets per
 * connection, and re-injected client data).  0, or -1 with errno. */
int tx_send_now(struct tx *t, int family, const uint8_t dst[16], const uint8_t *pkt, size_t len);

#endif
