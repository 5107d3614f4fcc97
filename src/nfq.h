/* nfq: NFQUEUE I/O over libmnl.  Reads queued packets in batches, hands
 * each to a callback, and returns verdicts in FIFO order, one batch verdict
 * per run of equal verdicts.  The only module that talks to the queue. */
#ifndef SYNGUARD_NFQ_H
#define SYNGUARD_NFQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lat.h"
#include "stats.h"

enum nfq_verdict { NFQ_ACCEPT, NFQ_DROP };

struct nfq_params {
	uint16_t queue;
	uint32_t copy_range;
	uint32_t queue_maxlen;
	uint32_t rcvbuf;		/* 0 = leave the kernel default */
	bool fail_open;
	enum nfq_verdict error_verdict;	/* for packets whose handling failed */
	/* NULL, or where each verdict's latency goes: from the kernel's
	 * receipt of the packet (its NFQA_TIMESTAMP, wall clock) to the
	 * verdict's send. */
	struct lat_hist *lat;
};

/* Called once per queued packet with the copied bytes (from the IP header).
 * tag identifies the packet until the next on_flush returns.  *mark holds
 * the packet's mark; a changed value is set by the verdict. */
typedef enum nfq_verdict (*nfq_packet_fn)(void *arg, const uint8_t *pkt, size_t len,
					  uint32_t tag, uint32_t *mark);
/* Called after each received batch, before its verdicts go out; it may still
 * change verdicts with nfq_override_verdict (e.g. when a reply failed to send). */
typedef void (*nfq_flush_fn)(void *arg);

struct nfq;

/* Open, bind and configure the queue.  Logs and returns NULL on failure. */
struct nfq *nfq_bind(const struct nfq_params *p, struct stats *st, nfq_packet_fn on_packet,
		     nfq_flush_fn on_flush, void *arg);
int nfq_get_fd(const struct nfq *q);
#define NFQ_BATCH 64	/* packets per recvmmsg() round */

/* Drain up to max_rounds batches of NFQ_BATCH packets (stopping early when
 * the socket runs dry); call when the fd is readable.  Returns the number
 * of packets handled. */
size_t nfq_read(struct nfq *q, unsigned max_rounds);
void nfq_override_verdict(struct nfq *q, uint32_t tag, enum nfq_verdict v);
/* Update settings that can change while bound (error verdict, fail_open,
 * queue_maxlen).  Returns 0 or -1. */
int nfq_reconfigure(struct nfq *q, const struct nfq_params *p);
/* Unbind the queue and free everything. */
void nfq_unbind(struct nfq *q);

/* The kernel's figures for one queue, from /proc/net/netfilter/
 * nfnetlink_queue (a line per bound queue: number, portid, waiting, copy
 * mode, copy range, dropped, user dropped, id sequence, 1). */
struct nfq_proc {
	uint64_t waiting;	/* packets in the queue now */
	uint64_t dropped;	/* dropped because the queue was full (not with fail_open) */
	uint64_t user_dropped;	/* dropped because the socket's buffer was full */
};
/* Pure: the line for queue in text (NUL-terminated); 0 if found, -1 if
 * not (or malformed). */
int nfq_proc_parse(const char *text, unsigned queue, struct nfq_proc *out);

/* A queue without a socket, for tests and fuzzing: nfq_feed hands it one
 * datagram as the kernel would send it (netlink messages: packets, errors)
 * and then flushes, as nfq_read does after each batch; the verdict
 * messages go to send (nl_batch's callback: the batch, its length and
 * message count; 0 or -1) instead of the socket.  nfq_unbind frees it. */
struct nfq *nfq_detached(const struct nfq_params *p, struct stats *st, nfq_packet_fn on_packet,
			 nfq_flush_fn on_flush, void *arg,
			 int (*send)(void *arg, const void *buf, size_t len, unsigned msgs),
			 void *send_arg);
void nfq_feed(struct nfq *q, const uint8_t *buf, size_t len);

/* The messages the module sends, built into size bytes: their length, or 0
 * if size cannot hold them (nothing is written past size).  A config
 * command (NFQNL_CFG_CMD_*), the queue's parameters, and a batch verdict
 * for every id <= id (with the packet mark if set_mark). */
#define NFQ_CFG_MSG 512		/* bytes that hold any config message */
#define NFQ_VERDICT_MSG 64	/* bytes that hold any verdict message */
size_t nfq_build_cmd(void *buf, size_t size, uint16_t queue, uint8_t cmd);
size_t nfq_build_params(void *buf, size_t size, const struct nfq_params *p);
/* One batch verdict: packets up to id of queue get verdict (and mark). */
struct nfq_verdict_msg {
	uint16_t queue;
	uint32_t id;
	enum nfq_verdict verdict;
	bool set_mark;
	uint32_t mark;
};
size_t nfq_build_verdict(void *buf, size_t size, const struct nfq_verdict_msg *v);

#endif
