/* accel: the loader of the kernel fast path (src/bpf/synguard.bpf.c).  It
 * opens and loads the BPF object and keeps its maps current: the cookie
 * keys, the settings, the services, the verified sources.  The only module
 * that includes libbpf. */
#ifndef SYNGUARD_ACCEL_H
#define SYNGUARD_ACCEL_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/sg_bpf.h"
#include "cookie.h"

struct accel;

/* Open and load the object at path (verifier included): NULL with the
 * reason in err (and errno) if the kernel or the file does not allow it. */
struct accel *accel_open(const char *path, char *err, size_t errlen);
void accel_close(struct accel *a);

/* The epoch keys of c and the SYN+ACK sequence key fp; 0 or -1 (errno). */
int accel_set_keys(struct accel *a, const struct cookie_ctx *c, const struct siphash_key *fp);
int accel_set_cfg(struct accel *a, const struct sg_bpf_cfg *cfg);
int accel_set_service(struct accel *a, const struct sg_bpf_svc_key *k, const struct sg_bpf_svc *v);
/* Source prefix addr (masked as the program masks it) verified until
 * until_ns (CLOCK_MONOTONIC nanoseconds). */
int accel_set_verified(struct accel *a, int family, const uint8_t *addr, uint64_t until_ns);
/* One list entry (deny: 1, allow: 0). */
int accel_set_listed(struct accel *a, int deny, int family, const uint8_t *addr, unsigned plen);
/* A counter, summed over the CPUs. */
int accel_stat(struct accel *a, enum sg_bpf_stat s, uint64_t *sum);

/* Run the program once over frame (BPF_PROG_TEST_RUN): its return code in
 * *action, the frame it leaves in out (*outlen: in, its size; out, the
 * length).  repeat > 1 runs it that many times and *ns is the mean time. */
struct accel_run {
	const void *in;
	size_t inlen;
	void *out;
	size_t outlen;
	uint32_t action, repeat, ns;
};
int accel_test_run(struct accel *a, struct accel_run *r);

#endif
