/* watch: the operator's view of the protected services.  One-second
 * windows of per-service rates, the attack detector that drives adaptive
 * mode (with one log line at each attack start and end), and the periodic
 * half-open statistics lines. */
#ifndef SYNGUARD_WATCH_H
#define SYNGUARD_WATCH_H

#include <stdint.h>

#include "detect.h"

struct conf;
struct synguard;

void watch_init(struct synguard *sg, uint64_t now_ms);
/* The kernel fast path's tripwire turned service svc to challenging: the
 * attack starts now (adaptive mode), and ends as the detector decides. */
void watch_trip(struct synguard *sg, unsigned svc, uint64_t now_ms);
/* After each SYN of service svc: an attack may start mid-window. */
void watch_syn(struct synguard *sg, unsigned svc, uint64_t now_ms);
/* Once a second: close the window, run the detector, log if due. */
void watch_tick(struct synguard *sg, uint64_t now_ms);
/* Services under attack now. */
unsigned watch_attacked(const struct synguard *sg);
/* Whether a service slot is shown (declared, or the catch-all with traffic). */
int watch_shown(const struct synguard *sg, unsigned svc);
/* Completion ratio (0..1) of a service, -1 with no finished handshakes. */
double watch_ratio(const struct synguard *sg, unsigned svc);

/* The systemd status line (prefix: e.g. "READY=1\n" or ""), every ten
 * seconds, at start, on reload and at each attack start and end. */
void watch_status(struct synguard *sg, const char *prefix);

#endif
