/* accel: the loader of the kernel fast path (src/bpf/synguard.bpf.c).  It
 * opens and loads the BPF object and keeps its maps current: the cookie
 * keys, the settings, the services, the verified sources.  The only module
 * that includes libbpf. */
#ifndef SYNGUARD_ACCEL_H
#define SYNGUARD_ACCEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/sg_bpf.h"
#include "cookie.h"
#include "pkt.h"

struct accel;

/* The caps of the program's tables: verified sources (each family), the
 * retransmission fallback's entries, the anti-reflection buckets (the
 * daemon's verified_max, retransmit_table, limit_table).  The last two
 * are rounded up to powers of two.  pin_dir: a directory on a bpffs where
 * the tables that must outlive a crash (verified sources, the fallback,
 * the limits) and the program are pinned; a later accel_open with the
 * same directory takes the tables over as they are (NULL or "": none). */
struct accel_sizes {
	uint32_t verified, retrans, victims;
	const char *pin_dir;
};

/* Open and load the object at path (verifier included), its tables sized
 * by sz (NULL: the object's own sizes): NULL with the reason in err (and
 * errno) if the kernel or the file does not allow it.  A pin_dir that
 * cannot be used is no error: accel_pin_error says why. */
struct accel *accel_open(const char *path, const struct accel_sizes *sz, char *err,
			 size_t errlen);
/* Why the tables are not pinned (NULL: they are, or no pin_dir). */
const char *accel_pin_error(const struct accel *a);
/* Remove the pins (a clean stop: nothing is left to take over). */
void accel_unpin(struct accel *a);
void accel_close(struct accel *a);

/* The epoch keys of c, and the program's fingerprint and bucket keys
 * (derived from fp); 0 or -1 (errno). */
int accel_set_keys(struct accel *a, const struct cookie_ctx *c, const struct siphash_key *fp);
/* The settings, the services and the lists come in generations: the
 * program uses one while the daemon writes the other.  Between
 * accel_stage (an empty new generation, the settings copied) and
 * accel_commit (the program switches to it in one step) every write below
 * goes to the new generation; outside, to the one in use. */
void accel_stage(struct accel *a);
int accel_commit(struct accel *a);
int accel_set_cfg(struct accel *a, const struct sg_bpf_cfg *cfg);
int accel_set_service(struct accel *a, const struct sg_bpf_svc_key *k, const struct sg_bpf_svc *v);
/* What the program does with the catch-all's SYNs (SG_BPF_SVC_*), and
 * its SG_BPF_SVCF_* (sg_bpf_svc.flags): its part of the services,
 * rewritten with them at every attack start and end (the tripwire turns
 * it to AUTH in the kernel). */
int accel_set_catchall(struct accel *a, uint8_t action, uint8_t flags);
/* The options of service index's proxy SYN+ACKs (sg_svc_opts). */
int accel_set_svc_opts(struct accel *a, unsigned index, const struct sg_bpf_svc_opts *o);
/* Ports lo..hi are the catch-all's (accel_ports): the program judges SYNs
 * and RSTs to destinations no service names only on those. */
int accel_set_catchall_port(struct accel *a, unsigned lo, unsigned hi);
/* Empty the services (the catch-all's ports too), or the four lists
 * (before writing new ones). */
void accel_clear_services(struct accel *a);
void accel_clear_lists(struct accel *a);
/* Source prefix addr (masked as the program masks it) verified until
 * until_ns (CLOCK_MONOTONIC nanoseconds). */
int accel_set_verified(struct accel *a, int family, const uint8_t *addr, uint64_t until_ns);
/* One list entry (deny: 1, allow: 0). */
int accel_set_listed(struct accel *a, int deny, int family, const uint8_t *addr, unsigned plen);
int accel_forget_verified(struct accel *a, int family, const uint8_t *addr);
/* Whether the program passed SYN p on as a retransmission (and forget
 * it: one SYN, one pass). */
bool accel_take_retransmission(struct accel *a, const struct pkt *p);
/* The program's fingerprint of SYN p (sg_bpf_syn_hash under the keys of
 * the last accel_set_keys): the key of that hand-off, and the sequence
 * number of the program's SYN+ACK. */
uint64_t accel_fingerprint(const struct accel *a, const struct pkt *p);
/* Every source prefix in the verified maps: fn(arg, family, addr, until_ns);
 * returns how many. */
typedef void (*accel_verified_fn)(void *arg, int family, const uint8_t addr[16], uint64_t until_ns);
int accel_walk_verified(struct accel *a, accel_verified_fn fn, void *arg);
/* Verified sources taken over from a program a killed synguardd left (its
 * pinned tables, or its maps copied). */
unsigned accel_adopted(const struct accel *a);
/* What the program tells the daemon, in order: a source it verified (a
 * RST echoed a valid cookie), a service its tripwire turned to
 * challenging.  fn(arg, event) for each one not yet handed over (family,
 * service index checked); returns how many (or a negative errno).
 * accel_events_fd is readable (epoll) when there are some. */
typedef void (*accel_event_fn)(void *arg, const struct sg_bpf_event *ev);
int accel_events(struct accel *a, accel_event_fn fn, void *arg);
int accel_events_fd(struct accel *a);
/* A counter, summed over the CPUs. */
int accel_stat(struct accel *a, enum sg_bpf_stat s, uint64_t *sum);
/* A service's figures (sg_svc_stats[index]), summed over the CPUs. */
int accel_svc_stats(struct accel *a, unsigned index, struct sg_bpf_svc_stats *sum);

/* Attach the program to interface name: natively (xdp), in the generic
 * hook, at TC ingress (a filter at ACCEL_TC_HANDLE and ACCEL_TC_PRIORITY
 * in the device's clsact qdisc, made if there is none), or (automatic)
 * natively where the driver can, at TC where it cannot (and generically if
 * TC fails too), generically on veth.  Another program is never replaced
 * (-1, errno EEXIST), except one a killed synguardd left there
 * (*replaced).  The mode used, or on failure the one tried last, goes to
 * *used ("xdp", "xdp-generic" or "tc"). */
enum accel_attach { ACCEL_AUTO, ACCEL_NATIVE, ACCEL_GENERIC, ACCEL_TC };
#define ACCEL_TC_HANDLE 0x5347	/* "SG" */
#define ACCEL_TC_PRIORITY 7
int accel_attach(struct accel *a, const char *name, enum accel_attach how, const char **used,
		 bool *replaced);
/* Detach from every interface it was attached to (only if still ours;
 * a clsact qdisc only if it made it and nothing else is in it). */
void accel_detach_all(struct accel *a);

/* Run the program (XDP's, or with tc TC's) once over frame
 * (BPF_PROG_TEST_RUN): its return code in
 * *action, the frame it leaves in out (*outlen: in, its size; out, the
 * length).  repeat > 1 runs it that many times and *ns is the mean time. */
struct accel_run {
	const void *in;
	size_t inlen;
	void *out;
	size_t outlen;
	uint32_t action, repeat, ns;
	bool tc;
};
int accel_test_run(struct accel *a, struct accel_run *r);
/* The program's file descriptor (for a benchmark's tail call). */
int accel_prog_fd(const struct accel *a);

#endif
