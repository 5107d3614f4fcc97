/* watch: per-service windows, attack detection and half-open logging.
 * Runs from the loop's one-second tick and, for a fast start, after each
 * SYN; it only reads the policy's counters and sets each service's attack
 * flag, which the policy reads. */
#include "watch.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "fastpath.h"
#include "log.h"
#include "sdnotify.h"
#include "synguard.h"

#define RATIO_DECAY 0.9		/* per second: a ~10 s moving average */
#define HIST_WINDOW_S 60	/* handshake-time quantiles cover 60..120 s */
#define LAT_WINDOW_S 10		/* verdict-latency quantiles cover 10..20 s */

static struct detect_cfg detect_cfg_of(const struct conf *c)
{
	struct detect_cfg d = {
		.halfopen_high = c->attack_halfopen_high,
		.halfopen_low = c->attack_halfopen_low,
		.rate_high = c->attack_synrate_high,
		.rate_low = c->attack_synrate_low,
		.hold_ms = c->attack_hold_ms,
	};

	return d;
}

void watch_init(struct synguard *sg, uint64_t now_ms)
{
	for (unsigned i = 0; i < POLICY_SVC_MAX; i++)
		detect_init(&sg->svc[i].det, now_ms);
}

int watch_shown(const struct synguard *sg, unsigned svc)
{
	const struct ho_svc *h = &sg->halfopen.svc[svc];

	if (svc < sg->conf.nservices)
		return 1;
	return svc == POLICY_SVC_CATCHALL && (sg->policy.svc[svc].syn || h->halfopen || h->syns);
}

unsigned watch_attacked(const struct synguard *sg)
{
	unsigned n = 0;

	for (unsigned i = 0; i < POLICY_SVC_MAX; i++)
		n += sg->svc[i].det.state == DETECT_ATTACK;
	return n;
}

double watch_ratio(const struct synguard *sg, unsigned svc)
{
	const struct sg_svc *s = &sg->svc[svc];

	return s->ratio_all > 0.001 ? s->ratio_done / s->ratio_all : -1.;
}

/* "web 192.0.2.10:80" style description of a service slot. */
static void describe(const struct synguard *sg, unsigned svc, char *buf, unsigned size)
{
	const struct conf_service *cs;
	char a[INET6_ADDRSTRLEN] = "*";

	if (svc >= sg->conf.nservices) {
		snprintf(buf, size, "%s (undeclared services)", CONF_CATCHALL);
		return;
	}
	cs = &sg->conf.services[svc];
	if (cs->family)
		inet_ntop(cs->family, cs->addr, a, sizeof(a));
	snprintf(buf, size, "%s %s%s%s:%u", cs->name, cs->family == AF_INET6 ? "[" : "", a,
		 cs->family == AF_INET6 ? "]" : "", cs->port);
}

/* What the mode does about an attack, for the start line. */
static const char *attack_action(const struct conf *c)
{
	switch (c->mode) {
	case CONF_MODE_ADAPTIVE:
		return "challenging unverified sources";
	case CONF_MODE_MONITOR:
		return "monitor mode: adaptive would challenge unverified sources, nothing enforced";
	case CONF_MODE_ALWAYS:
		return "mode always: unverified sources are challenged anyway";
	default:
		return "mode off: nothing enforced";
	}
}

static void log_event(struct synguard *sg, unsigned svc, enum detect_event ev, uint64_t now_ms)
{
	const struct detect *d = &sg->svc[svc].det;
	const struct conf *c = &sg->conf;
	char name[96];

	describe(sg, svc, name, sizeof(name));
	if (ev == DETECT_EV_START) {
		sg->stats.attacks_started++;
		log_notice("attack start: service %s: half-open %llu (high %u), unverified SYNs "
			   "%llu/s (high %u); %s", name, (unsigned long long)d->start_halfopen,
			   c->attack_halfopen_high, (unsigned long long)d->start_rate,
			   c->attack_synrate_high, attack_action(c));
	} else {
		sg->stats.attacks_ended++;
		log_notice("attack end: service %s: half-open %llu (low %u) and unverified SYNs "
			   "%llu/s (low %u) for %us; lasted %llus, peak half-open %llu, peak "
			   "unverified SYNs %llu/s; back to passive", name,
			   (unsigned long long)sg->halfopen.svc[svc].halfopen, c->attack_halfopen_low,
			   (unsigned long long)sg->svc[svc].unverified_rate, c->attack_synrate_low,
			   c->attack_hold_ms / 1000,
			   (unsigned long long)((now_ms - sg->svc[svc].attack_since_ms) / 1000),
			   (unsigned long long)d->peak_halfopen, (unsigned long long)d->peak_rate);
	}
	watch_status(sg, "");
}

static void detect(struct synguard *sg, unsigned svc, uint64_t rate, uint64_t now_ms,
		   bool window_end)
{
	struct detect_cfg dc = detect_cfg_of(&sg->conf);
	struct sg_svc *s = &sg->svc[svc];
	enum detect_event ev;

	/* The detector runs in every mode: off and always only report. */
	ev = detect_update(&s->det, &dc, sg->halfopen.svc[svc].halfopen, rate, now_ms, window_end);
	if (ev == DETECT_EV_START)
		s->attack_since_ms = now_ms;
	sg->policy.svc[svc].attack = s->det.state == DETECT_ATTACK;
	if (ev != DETECT_EV_NONE) {
		fastpath_sync_services(&sg->fast, &sg->policy);	/* the kernel follows */
		log_event(sg, svc, ev, now_ms);
	}
}

void watch_trip(struct synguard *sg, unsigned svc, uint64_t now_ms)
{
	struct detect_cfg dc = detect_cfg_of(&sg->conf);
	struct sg_svc *s = &sg->svc[svc];
	char name[96];

	if (svc >= POLICY_SVC_MAX || s->det.state != DETECT_PASSIVE)
		return;		/* a second CPU's event, or already known */
	/* The program counted more unverified SYNs than the high mark allows:
	 * the detector starts as it would on that rate. */
	if (detect_update(&s->det, &dc, sg->halfopen.svc[svc].halfopen, dc.rate_high + 1, now_ms,
			  false) != DETECT_EV_START)
		return;
	s->attack_since_ms = now_ms;
	sg->policy.svc[svc].attack = true;
	fastpath_sync_services(&sg->fast, &sg->policy);
	sg->stats.attacks_started++;
	describe(sg, svc, name, sizeof(name));
	log_notice("attack start: service %s: unverified SYNs above %u/s, seen by the kernel "
		   "fast path's tripwire; %s", name, sg->conf.attack_synrate_high,
		   attack_action(&sg->conf));
	watch_status(sg, "");
}

void watch_syn(struct synguard *sg, unsigned svc, uint64_t now_ms)
{
	if (svc < POLICY_SVC_MAX && sg->svc[svc].det.state == DETECT_PASSIVE)
		detect(sg, svc, sg->policy.svc[svc].win_unverified, now_ms, false);
}

static void close_window(struct synguard *sg, unsigned svc)
{
	struct policy_svc *p = &sg->policy.svc[svc];
	const struct ho_svc *h = &sg->halfopen.svc[svc];
	struct sg_svc *s = &sg->svc[svc];
	uint64_t done, all;

	s->syn_rate = p->win_syn;
	s->unverified_rate = p->win_unverified;
	s->challenge_rate = p->win_challenges;
	s->accepted_rate = p->win_accepted;
	s->completed_rate = h->completed - s->prev_completed;
	s->expired_rate = h->expired - s->prev_expired;
	s->reset_rate = h->reset - s->prev_reset;
	s->prev_completed = h->completed;
	s->prev_expired = h->expired;
	s->prev_reset = h->reset;
	done = s->completed_rate;
	all = done + s->expired_rate + s->reset_rate;
	s->ratio_done = s->ratio_done * RATIO_DECAY + (double)done;
	s->ratio_all = s->ratio_all * RATIO_DECAY + (double)all;
	p->win_syn = p->win_unverified = p->win_challenges = p->win_accepted = 0;
}

static void fmt_us(uint64_t us, char *buf, size_t size)
{
	if (us == 0)
		snprintf(buf, size, "-");
	else if (us < 10000)
		snprintf(buf, size, "%.2fms", (double)us / 1000.);
	else
		snprintf(buf, size, "%llums", (unsigned long long)(us / 1000));
}

static void log_stats(struct synguard *sg)
{
	for (unsigned i = 0; i < POLICY_SVC_MAX; i++) {
		const struct sg_svc *s = &sg->svc[i];
		double ratio = watch_ratio(sg, i);
		char name[96], p50[32], p99[32], pct[16];

		if (!watch_shown(sg, i))
			continue;
		describe(sg, i, name, sizeof(name));
		fmt_us(halfopen_quantile(&sg->halfopen, i, 0.5), p50, sizeof(p50));
		fmt_us(halfopen_quantile(&sg->halfopen, i, 0.99), p99, sizeof(p99));
		snprintf(pct, sizeof(pct), ratio < 0 ? "-" : "%.1f%%", ratio * 100.);
		log_info("half-open: service %s: %llu half-open, %llu SYN/s (%llu unverified), "
			 "%llu completed/s, %llu expired/s, completion %s, handshake p50 %s p99 %s, %s",
			 name, (unsigned long long)sg->halfopen.svc[i].halfopen,
			 (unsigned long long)s->syn_rate, (unsigned long long)s->unverified_rate,
			 (unsigned long long)s->completed_rate, (unsigned long long)s->expired_rate,
			 pct, p50, p99, s->det.state == DETECT_ATTACK ? "UNDER ATTACK" : "passive");
	}
}

static void snapshot_top(struct synguard *sg)
{
	sg->ntop_last = hh_top(&sg->top, sg->top_last, SG_TOP_MAX);
	sg->top_total_last = hh_total(&sg->top);
	hh_reset(&sg->top);
}

void watch_tick(struct synguard *sg, uint64_t now_ms)
{
	for (unsigned i = 0; i < POLICY_SVC_MAX; i++) {
		close_window(sg, i);
		detect(sg, i, sg->svc[i].unverified_rate, now_ms, true);
	}
	snapshot_top(sg);
	if (sg->ticks % HIST_WINDOW_S == 0)
		halfopen_rotate_window(&sg->halfopen);
	if (sg->ticks % LAT_WINDOW_S == 0)
		lat_rotate(&sg->lat);
	if (sg->conf.stats_interval_ms && sg->ticks % (sg->conf.stats_interval_ms / 1000) == 0)
		log_stats(sg);
}

void watch_status(struct synguard *sg, const char *prefix)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "%sSTATUS=mode %s, %s, %zu verified sources, %llu SYNs, "
		 "%llu challenges, %llu valid cookies", prefix, conf_mode_name(sg->conf.mode),
		 watch_attacked(sg) ? "UNDER ATTACK" : "no attack", sg->verified.count,
		 (unsigned long long)sg->stats.syn, (unsigned long long)sg->stats.challenges_sent,
		 (unsigned long long)sg->stats.cookies_valid);
	sdnotify_send(&sg->notify, msg);
}
