/* detect: the per-service attack detector behind `mode = adaptive`.  A
 * two-threshold state machine with a hold time: an attack starts as soon
 * as either figure passes its high mark and ends only once both have
 * stayed below their low marks for hold_ms.  Pure: the caller gives time. */
#ifndef SYNGUARD_DETECT_H
#define SYNGUARD_DETECT_H

#include <stdbool.h>
#include <stdint.h>

#define DETECT_NEVER UINT64_MAX	/* calm_since_ms while not calm */

struct detect_cfg {
	uint64_t halfopen_high, halfopen_low, rate_high, rate_low, hold_ms;
};

enum detect_state { DETECT_PASSIVE = 0, DETECT_ATTACK = 1 };
enum detect_event { DETECT_EV_NONE = 0, DETECT_EV_START, DETECT_EV_END };

struct detect {
	enum detect_state state;
	uint64_t since_ms;		/* entered the current state */
	uint64_t calm_since_ms;		/* first calm window end of the current calm run */
	uint64_t peak_halfopen, peak_rate;	/* of the current (or last) attack */
	uint64_t start_halfopen, start_rate;	/* figures that triggered the start */
	uint64_t attacks;		/* count of starts */
};

void detect_init(struct detect *d, uint64_t now_ms);

/* halfopen: current half-open count; rate: unverified SYNs/s (at
 * window_end: the count over the last 1 s window; mid-window: the count so
 * far in the current window, which can only trigger a start).  Start when
 * halfopen > halfopen_high OR rate > rate_high (immediately, also
 * mid-window).  End only at window ends, when halfopen < halfopen_low AND
 * rate < rate_low have held continuously for hold_ms (any window end that
 * is not calm, or a mid-window halfopen >= halfopen_low, resets the calm
 * timer).  Peaks tracked during an attack. */
enum detect_event detect_update(struct detect *d, const struct detect_cfg *c, uint64_t halfopen,
				uint64_t rate, uint64_t now_ms, bool window_end);

/* The config is valid iff low < high for both (hold_ms is unsigned, so
 * always >= 0).  Returns a static message or NULL. */
const char *detect_cfg_check(const struct detect_cfg *c);

#endif
