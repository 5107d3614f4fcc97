/* detect: hysteresis between passive and attack.  Starting is immediate
 * because every second of a flood costs backlog slots; ending needs a
 * sustained calm so that a flood pulsing around the high mark cannot make
 * the daemon flap between modes faster than hold_ms. */
#include "detect.h"

#include <string.h>

void detect_init(struct detect *d, uint64_t now_ms)
{
	memset(d, 0, sizeof(*d));
	d->state = DETECT_PASSIVE;
	d->since_ms = now_ms;
	d->calm_since_ms = DETECT_NEVER;
}

static enum detect_event detect_start(struct detect *d, uint64_t halfopen, uint64_t rate,
				      uint64_t now_ms)
{
	d->state = DETECT_ATTACK;
	d->since_ms = now_ms;
	d->calm_since_ms = DETECT_NEVER;
	d->start_halfopen = d->peak_halfopen = halfopen;
	d->start_rate = d->peak_rate = rate;
	d->attacks++;
	return DETECT_EV_START;
}

static void detect_track_peaks(struct detect *d, uint64_t halfopen, uint64_t rate)
{
	if (halfopen > d->peak_halfopen)
		d->peak_halfopen = halfopen;
	if (rate > d->peak_rate)
		d->peak_rate = rate;
}

/* Only a full window's rate can show calm; a mid-window half-open count
 * at or above the low mark is a real reading, so it breaks the calm run. */
static enum detect_event detect_check_end(struct detect *d, const struct detect_cfg *c,
					  uint64_t halfopen, uint64_t rate, uint64_t now_ms,
					  bool window_end)
{
	bool calm = halfopen < c->halfopen_low && rate < c->rate_low;

	if (!window_end) {
		if (halfopen >= c->halfopen_low)
			d->calm_since_ms = DETECT_NEVER;
		return DETECT_EV_NONE;
	}
	if (!calm) {
		d->calm_since_ms = DETECT_NEVER;
		return DETECT_EV_NONE;
	}
	if (d->calm_since_ms == DETECT_NEVER)
		d->calm_since_ms = now_ms;
	if (now_ms < d->calm_since_ms || now_ms - d->calm_since_ms < c->hold_ms)
		return DETECT_EV_NONE;
	d->state = DETECT_PASSIVE;
	d->since_ms = now_ms;
	d->calm_since_ms = DETECT_NEVER;
	return DETECT_EV_END;
}

enum detect_event detect_update(struct detect *d, const struct detect_cfg *c, uint64_t halfopen,
				uint64_t rate, uint64_t now_ms, bool window_end)
{
	if (d->state == DETECT_PASSIVE) {
		if (halfopen > c->halfopen_high || rate > c->rate_high)
			return detect_start(d, halfopen, rate, now_ms);
		return DETECT_EV_NONE;
	}
	detect_track_peaks(d, halfopen, rate);
	return detect_check_end(d, c, halfopen, rate, now_ms, window_end);
}

const char *detect_cfg_check(const struct detect_cfg *c)
{
	if (c->halfopen_low >= c->halfopen_high)
		return "halfopen low mark must be below the high mark";
	if (c->rate_low >= c->rate_high)
		return "rate low mark must be below the high mark";
	return NULL;
}
