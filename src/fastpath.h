/* fastpath: what the kernel does for the daemon.  Each verified source
 * prefix (verified_prefix4/6) goes into the kernel set with its TTL; the raw
 * PREROUTING rule then lets that prefix's SYNs past the SYN queue, so a
 * verified client never waits behind a flood.  Updates are buffered and
 * sent once per receive batch (fastpath_flush).  With accel_interfaces, the
 * XDP program there (accel.c) answers unverified SYNs itself: this module
 * keeps its keys, settings, services, lists and verified sources those of
 * the daemon, and folds its counters into the daemon's. */
#ifndef SYNGUARD_FASTPATH_H
#define SYNGUARD_FASTPATH_H

#include <stdbool.h>
#include <stdint.h>

#include "bpf/sg_bpf.h"
#include "policy.h"

struct accel;
struct conf;
struct cookie_ctx;
struct ipset;
struct stats;

struct fastpath {
	struct ipset *set;		/* NULL: no kernel fast path */
	struct accel *accel;		/* NULL: no XDP program */
	const struct conf *conf;	/* prefix lengths and TTL, read at each call */
	struct stats *stats;		/* ipset_adds, ipset_errors, accel_* */
	uint64_t accel_last[SG_BPF_NSTATS];	/* the program's counters, last folded */
	struct sg_bpf_svc_stats svc_last[POLICY_SVC_MAX];
	/* The proxy SYN+ACK options in the generation in use, as written. */
	struct sg_bpf_svc_opts svc_opts[POLICY_SVC_MAX];
	bool svc_opts_set[POLICY_SVC_MAX];
};

/* Create the kernel sets if missing and open a session; without them
 * (no ipset support, no permission) verified SYNs keep using the queue. */
void fastpath_open(struct fastpath *fp, const struct conf *c, struct stats *st);
void fastpath_close(struct fastpath *fp);
/* Source addr (16 bytes, v4 in the first 4) is verified for ttl_ms more. */
void fastpath_verified(struct fastpath *fp, int family, const uint8_t *addr, uint64_t ttl_ms);
/* Source addr is no longer verified. */
void fastpath_forget(struct fastpath *fp, int family, const uint8_t *addr);
/* Send the buffered updates; count what the kernel took and refused. */
void fastpath_flush(struct fastpath *fp);

/* The XDP program, when configured: */
bool fastpath_accel(const struct fastpath *fp);
/* The cookie keys of the current and previous epoch and the SYN
 * fingerprint key: at start and at every rotation. */
void fastpath_keys(struct fastpath *fp, const struct cookie_ctx *c, const struct siphash_key *fpk);
/* Settings, services (challenging or not, now), lists: at start and on
 * reload; the services alone at every attack start and end. */
void fastpath_sync(struct fastpath *fp, const struct policy_ctx *pc);
void fastpath_sync_services(struct fastpath *fp, const struct policy_ctx *pc);
/* Once a second: the program's counters into the daemon's, its SYNs into
 * the per-service figures the attack detector reads. */
void fastpath_tick(struct fastpath *fp, struct policy_ctx *pc);
/* The verified sources taken over from a program a killed synguardd left,
 * if any: fn(arg, family, addr, ms_left) for each; returns how many. */
typedef void (*fastpath_source_fn)(void *arg, int family, const uint8_t addr[16],
				   uint64_t ms_left);
int fastpath_adopted(struct fastpath *fp, fastpath_source_fn fn, void *arg);
/* The sources the program verified (RSTs echoing valid cookies) into
 * the daemon's table, the kernel set and the state it keeps: when
 * fastpath_events_fd (-1 without the program) is readable.  Returns how
 * many. */
int fastpath_events_fd(struct fastpath *fp);
/* trip(arg, svc): the program's tripwire turned service svc to
 * challenging (adaptive mode); the caller starts the attack. */
typedef void (*fastpath_trip_fn)(void *arg, unsigned svc);
int fastpath_events(struct fastpath *fp, struct policy_ctx *pc, fastpath_trip_fn trip, void *arg);
/* policy's retrans_passed hook (arg: the fastpath). */
bool fastpath_retrans_passed(void *arg, const struct pkt *p);

#endif
