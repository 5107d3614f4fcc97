/* fastpath: the one place that turns "this source is verified" into a
 * kernel set update (see fastpath.h). */
#include "fastpath.h"

#include <errno.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <string.h>
#include <sys/socket.h>

#include "accel.h"
#include "acl.h"
#include "clock.h"
#include "conf.h"
#include "ipset.h"
#include "log.h"
#include "policy.h"
#include "stats.h"

#ifndef SG_BPF_OBJECT
#define SG_BPF_OBJECT "/usr/local/lib/synguard/synguard.bpf.o"
#endif

static void accel_start(struct fastpath *fp)
{
	const struct conf *c = fp->conf;
	const char *path = c->accel_object[0] ? c->accel_object : SG_BPF_OBJECT, *used;
	enum accel_attach how = c->accel_mode == CONF_ACCEL_XDP ? ACCEL_NATIVE
			      : c->accel_mode == CONF_ACCEL_XDP_GENERIC ? ACCEL_GENERIC
			      : c->accel_mode == CONF_ACCEL_TC ? ACCEL_TC : ACCEL_AUTO;
	char names[sizeof(c->accel_interfaces)], *save = NULL, err[512];
	unsigned attached = 0;
	bool replaced;

	if (!c->accel_interfaces[0] || c->accel_mode == CONF_ACCEL_OFF)
		return;
	fp->accel = accel_open(path, &(struct accel_sizes){ .verified = c->verified_max,
			       .retrans = c->retransmit_table, .victims = c->limit_table,
			       .pin_dir = c->accel_pin_dir }, err, sizeof(err));
	if (!fp->accel) {
		log_err("no kernel fast path: %s; every SYN goes through the queue", err);
		return;
	}
	if (accel_pin_error(fp->accel))
		log_warn("kernel fast path: nothing pinned (%s): after a crash, the restarted "
			 "daemon copies what it can from the program left behind",
			 accel_pin_error(fp->accel));
	memcpy(names, c->accel_interfaces, sizeof(names));
	for (char *n = strtok_r(names, " ", &save); n; n = strtok_r(NULL, " ", &save)) {
		if (accel_attach(fp->accel, n, how, &used, &replaced) == 0) {
			log_info("kernel fast path on %s (%s)%s", n, used,
				 replaced ? ", replacing the one a stopped synguardd left" : "");
			attached++;
		} else if (errno == EEXIST && strcmp(used, "tc") == 0) {
			log_err("kernel fast path: %s already has a TC ingress filter at synguard's "
				"handle %#x priority %d; left as it is, its SYNs go through the queue",
				n, ACCEL_TC_HANDLE, ACCEL_TC_PRIORITY);
		} else if (errno == EEXIST) {
			log_err("kernel fast path: %s already has an XDP program; left as it is, "
				"its SYNs go through the queue", n);
		} else {
			log_err("kernel fast path: cannot attach to %s (%s): %s; its SYNs go through "
				"the queue", n, used, strerror(errno));
		}
	}
	if (!attached) {
		accel_unpin(fp->accel);
		accel_close(fp->accel);
		fp->accel = NULL;
	}
}

void fastpath_open(struct fastpath *fp, const struct conf *c, struct stats *st)
{
	int rc = ipset_create_sets(c->verified_max, c->verified_ttl_ms / 1000);

	fp->conf = c;
	fp->stats = st;
	fp->set = NULL;
	fp->accel = NULL;
	accel_start(fp);
	/* Sets made earlier with other sizes are used as they are: each add
	 * carries its own timeout; maxelem changes need synguard-rules remove. */
	if (rc == -IPSET_ERR_EXIST || rc == -EEXIST) {
		log_notice("fast-path sets exist with other parameters; using them as they are");
		rc = 0;
	}
	if (rc == 0)
		fp->set = ipset_open();
	if (!fp->set)
		log_warn("no kernel fast path for verified sources (ipset %s/%s: %s); their SYNs "
			 "keep going through the queue", IPSET_NAME4, IPSET_NAME6,
			 rc ? strerror(-rc > 4095 ? EPROTO : -rc) : strerror(errno));
}

void fastpath_close(struct fastpath *fp)
{
	ipset_close(fp->set);
	fp->set = NULL;
	accel_unpin(fp->accel);	/* a clean stop leaves nothing to take over */
	accel_close(fp->accel);	/* detaches: the queue takes every SYN again */
	fp->accel = NULL;
}

bool fastpath_accel(const struct fastpath *fp)
{
	return fp->accel != NULL;
}

static uint8_t prefix_len(const struct fastpath *fp, int family)
{
	return family == AF_INET6 ? fp->conf->verified_prefix6 : fp->conf->verified_prefix4;
}

/* The source into the kernel set, and into the program's map unless the
 * program verified it itself (it wrote the map already). */
static void verified_in_kernel(struct fastpath *fp, int family, const uint8_t *addr,
			       uint64_t ttl_ms, bool to_accel)
{
	uint8_t key[POLICY_SRCKEY_LEN];
	/* Rounded up: a timeout of 0 would make the kernel entry permanent. */
	uint64_t ttl_s = (ttl_ms + 999) / 1000;

	policy_source_key(fp->conf, family, addr, key);
	if (fp->accel && to_accel)
		accel_set_verified(fp->accel, family, key + 1,
				   clock_mono_us() * 1000 + ttl_ms * 1000000);
	if (!fp->set)
		return;
	ipset_add(fp->set, family, key + 1, prefix_len(fp, family),
		  (uint32_t)(ttl_s > UINT32_MAX ? UINT32_MAX : ttl_s ? ttl_s : 1));
}

void fastpath_verified(struct fastpath *fp, int family, const uint8_t *addr, uint64_t ttl_ms)
{
	verified_in_kernel(fp, family, addr, ttl_ms, true);
}

void fastpath_forget(struct fastpath *fp, int family, const uint8_t *addr)
{
	uint8_t key[POLICY_SRCKEY_LEN];

	policy_source_key(fp->conf, family, addr, key);
	if (fp->accel)
		accel_forget_verified(fp->accel, family, key + 1);
	if (!fp->set)
		return;
	ipset_del(fp->set, family, key + 1, prefix_len(fp, family));
}

void fastpath_flush(struct fastpath *fp)
{
	struct ipset_tally t;
	int err = 0;
	unsigned refused;

	if (!fp->set)
		return;
	ipset_flush(fp->set, &t);
	refused = ipset_errors(fp->set, &err);
	fp->stats->ipset_adds += t.sent;
	fp->stats->ipset_errors += t.failed + refused;
	if (t.failed)
		err = t.last_errno;
	if (t.failed || refused)
		log_kind_at(LOG_WARNING, err, "kernel fast-path set update failed: %s (verified "
			    "sources still pass, through the queue)", ipset_strerror(err));
}

/* --- the XDP program ----------------------------------------------------------- */

void fastpath_keys(struct fastpath *fp, const struct cookie_ctx *c, const struct siphash_key *fpk)
{
	if (fp->accel && accel_set_keys(fp->accel, c, fpk) < 0)
		log_kind_at(LOG_WARNING, errno, "kernel fast path: cannot write the cookie keys: "
			    "%s", strerror(errno));
}

/* Service svc's SG_BPF_SVCF_*.  Where the daemon enforces, its segments
 * of no connection are judged in the kernel as the daemon's proxy_stray
 * and the rules' screen judge them (SCREEN); a proxied service's
 * challenged SYNs get the proxy's SYN+ACK (PROXIED). */
_Static_assert(POLICY_SVC_MAX <= SG_BPF_SVC_MAX, "the program's per-service tables are too small");

static uint8_t svc_flags(const struct policy_ctx *pc, unsigned svc)
{
	return (policy_enforcing(pc) ? SG_BPF_SVCF_SCREEN : 0) |
	       (policy_proxying(pc, svc) ? SG_BPF_SVCF_PROXIED : 0);
}

/* What the program does with unverified SYNs of service svc: answers them
 * where the daemon would challenge them (with the auth or the proxy
 * cookie: svc_flags); in adaptive mode before an attack, passes them
 * while its tripwire's budget lasts. */
static uint8_t action(const struct policy_ctx *pc, unsigned svc)
{
	if (policy_challenging(pc, svc))
		return SG_BPF_SVC_AUTH;
	return pc->conf->mode == CONF_MODE_ADAPTIVE ? SG_BPF_SVC_TRIP : SG_BPF_SVC_PASS;
}

/* The options service svc's proxy SYN+ACKs announce (policy_server_opts,
 * learned or configured), into the generation being written when they
 * differ from what it has (force: whatever it has). */
static void sync_svc_opts(struct fastpath *fp, const struct policy_ctx *pc, unsigned svc,
			  bool force)
{
	struct policy_opts o4, o6;
	struct sg_bpf_svc_opts o = { 0 };

	policy_server_opts(pc, svc, AF_INET, &o4);
	policy_server_opts(pc, svc, AF_INET6, &o6);
	o.mss4 = o4.mss;
	o.mss6 = o6.mss;
	o.wscale = o4.wscale;	/* PKT_NO_WSCALE is SG_BPF_NO_WSCALE */
	o.sack = o4.sack;
	if (!force && fp->svc_opts_set[svc] && !memcmp(&fp->svc_opts[svc], &o, sizeof(o)))
		return;
	if (accel_set_svc_opts(fp->accel, svc, &o) < 0) {
		log_kind_at(LOG_WARNING, errno, "kernel fast path: cannot write the proxy "
			    "options of a service: %s", strerror(errno));
		fp->svc_opts_set[svc] = false;
		return;
	}
	fp->svc_opts[svc] = o;
	fp->svc_opts_set[svc] = true;
}

static void sync_all_svc_opts(struct fastpath *fp, const struct policy_ctx *pc, bool force)
{
	for (unsigned i = 0; i < pc->conf->nservices; i++)
		sync_svc_opts(fp, pc, i, force);
	sync_svc_opts(fp, pc, POLICY_SVC_CATCHALL, force);
}

/* The services, first match first: a service never matched by the daemon
 * (an earlier one on the same port takes every address, or the same key)
 * is not given to the program either.  Written over the same keys as
 * before (at attack start and end only actions change), or into a new
 * generation (fastpath_sync). */
void fastpath_sync_services(struct fastpath *fp, const struct policy_ctx *pc)
{
	const struct conf *c = pc->conf;

	if (!fp->accel)
		return;
	if (accel_set_catchall(fp->accel, action(pc, POLICY_SVC_CATCHALL),
			       svc_flags(pc, POLICY_SVC_CATCHALL)) < 0)
		log_kind_at(LOG_WARNING, errno, "kernel fast path: cannot write the catch-all's "
			    "action: %s", strerror(errno));
	for (unsigned i = c->nservices; i-- > 0;) {
		const struct conf_service *s = &c->services[i];
		struct sg_bpf_svc_key k = { .family = (uint8_t)s->family, .port = s->port };
		struct sg_bpf_svc v = { .index = i, .action = action(pc, i),
					 .flags = svc_flags(pc, i) };

		if (s->family)
			memcpy(k.addr, s->addr, s->family == AF_INET6 ? 16 : 4);
		/* Last to first: an earlier service overwrites a later one. */
		accel_set_service(fp->accel, &k, &v);
		for (unsigned j = i + 1; j < c->nservices && !s->family; j++)
			if (c->services[j].port == s->port && c->services[j].family) {
				struct sg_bpf_svc_key kj = { .family = (uint8_t)c->services[j].family,
							     .port = s->port };

				memcpy(kj.addr, c->services[j].addr, 16);
				if (kj.family == AF_INET)
					memset(kj.addr + 4, 0, 12);
				accel_set_service(fp->accel, &kj, &v);
			}
	}
}

struct list_put {
	struct accel *accel;
	int deny;
};

static int put_prefix(void *arg, int family, const uint8_t addr[16], unsigned prefix)
{
	const struct list_put *l = arg;

	return accel_set_listed(l->accel, l->deny, family, addr, prefix);
}

static void sync_lists(struct fastpath *fp, const struct policy_ctx *pc)
{
	const struct conf *c = pc->conf;
	struct list_put deny = { fp->accel, 1 }, allow = { fp->accel, 0 };

	/* Denied sources are dropped only where the daemon enforces. */
	if (c->deny && policy_enforcing(pc) &&
	    acl_walk(c->deny, put_prefix, &deny) < 0)
		log_warn("kernel fast path: the deny list did not fit: %s", strerror(errno));
	if (c->allow && acl_walk(c->allow, put_prefix, &allow) < 0)
		log_warn("kernel fast path: the allow list did not fit: %s", strerror(errno));
}

static void catchall_range(void *arg, unsigned lo, unsigned hi)
{
	if (accel_set_catchall_port(arg, lo, hi) < 0)
		log_kind_at(LOG_WARNING, errno, "kernel fast path: cannot write accel_ports: %s",
			    strerror(errno));
}

void fastpath_sync(struct fastpath *fp, const struct policy_ctx *pc)
{
	const struct conf *c = pc->conf;
	const struct sg_bpf_cfg cfg = {
		.prefix4 = c->verified_prefix4, .prefix6 = c->verified_prefix6,
		.catchall = action(pc, POLICY_SVC_CATCHALL), .catchall_index = POLICY_SVC_CATCHALL,
		.catchall_flags = svc_flags(pc, POLICY_SVC_CATCHALL),
		.mss4 = 1460, .mss6 = 1440, .window = 65535,	/* as the daemon's (daemon.c) */
		.proxy_window = policy_proxy_window(c),
		.retransmit_min_ms = c->retransmit_min_ms, .retransmit_max_ms = c->retransmit_max_ms,
		.limit_prefix4 = c->limit_prefix4, .limit_prefix6 = c->limit_prefix6,
		.synack_dest_rate = c->limit_synack_dest.rate,
		.synack_dest_burst = c->limit_synack_dest.burst,
		.synack_total_rate = c->limit_synack_total.rate,
		.synack_total_burst = c->limit_synack_total.burst,
		.rst_rate = c->limit_rst_source.rate, .rst_burst = c->limit_rst_source.burst,
		.verified_ttl_ms = (uint32_t)(c->verified_ttl_ms > UINT32_MAX ? UINT32_MAX
									: c->verified_ttl_ms),
		/* The tripwire: the detector's rate, a tenth of a second's burst. */
		.trip_rate = c->attack_synrate_high,
		.trip_burst = c->attack_synrate_high / 10 > 16 ? c->attack_synrate_high / 10 : 16,
	};

	if (!fp->accel)
		return;
	/* A new generation, used from accel_commit on: a reload never shows
	 * the program half the old lists or services and half the new. */
	accel_stage(fp->accel);
	if (accel_set_cfg(fp->accel, &cfg) < 0)
		log_kind_at(LOG_WARNING, errno, "kernel fast path: cannot write its settings: %s",
			    strerror(errno));
	fastpath_sync_services(fp, pc);
	sync_all_svc_opts(fp, pc, true);
	/* The catch-all only where the rules protect it: the program never
	 * challenges a port nobody asked it to. */
	if (conf_ports_each(c->accel_ports, catchall_range, fp->accel) <= 0 && !c->nservices)
		log_warn("kernel fast path: no service and no accel_ports: the program judges "
			 "nothing, every SYN goes on to the rules");
	sync_lists(fp, pc);
	if (accel_commit(fp->accel) < 0)
		log_kind_at(LOG_WARNING, errno, "kernel fast path: cannot switch to the new "
			    "settings: %s", strerror(errno));
}

static uint64_t delta(struct fastpath *fp, enum sg_bpf_stat s)
{
	uint64_t now, d;

	if (accel_stat(fp->accel, s, &now) < 0)
		return 0;
	d = now - fp->accel_last[s];
	fp->accel_last[s] = now;
	return d;
}

static void fold_service(struct fastpath *fp, struct policy_ctx *pc, unsigned i)
{
	struct sg_bpf_svc_stats now, *last = &fp->svc_last[i];
	struct policy_svc *s = &pc->svc[i];
	uint64_t syn, unv, ch;

	if (accel_svc_stats(fp->accel, i, &now) < 0)
		return;
	syn = now.syn - last->syn;
	unv = now.unverified - last->unverified;
	ch = now.challenges - last->challenges;
	*last = now;
	s->syn += syn;
	s->win_syn += syn;
	s->syn_unverified += unv;
	s->win_unverified += unv;
	s->challenges += ch;
	s->win_challenges += ch;
}

void fastpath_tick(struct fastpath *fp, struct policy_ctx *pc)
{
	struct stats *st = fp->stats;

	if (!fp->accel)
		return;
	st->accel_packets += delta(fp, SG_BPF_packets);
	st->accel_syn += delta(fp, SG_BPF_syn);
	st->accel_challenges += delta(fp, SG_BPF_challenges);
	st->accel_proxy_challenges += delta(fp, SG_BPF_proxy_challenges);
	st->accel_syn_options += delta(fp, SG_BPF_syn_options);
	st->accel_syn_verified += delta(fp, SG_BPF_syn_verified);
	st->accel_syn_passed += delta(fp, SG_BPF_syn_passed);
	st->accel_unprotected += delta(fp, SG_BPF_unprotected);
	st->accel_trips += delta(fp, SG_BPF_trips);
	st->accel_syn_allowed += delta(fp, SG_BPF_syn_allowed);
	st->accel_syn_denied += delta(fp, SG_BPF_syn_denied);
	st->accel_retransmits += delta(fp, SG_BPF_syn_retransmit);
	st->accel_limited += delta(fp, SG_BPF_limited_synack_dest) +
			     delta(fp, SG_BPF_limited_synack_total);
	st->accel_bad_checksum += delta(fp, SG_BPF_bad_checksum);
	st->accel_malformed += delta(fp, SG_BPF_malformed) + delta(fp, SG_BPF_fragments);
	st->accel_errors += delta(fp, SG_BPF_no_keys) + delta(fp, SG_BPF_tx_errors);
	st->accel_rst_valid += delta(fp, SG_BPF_rst_valid);
	st->accel_rst_invalid += delta(fp, SG_BPF_rst_invalid);
	st->accel_rst_limited += delta(fp, SG_BPF_rst_limited);
	st->accel_rst_passed += delta(fp, SG_BPF_rst_conn);
	st->accel_ack_invalid += delta(fp, SG_BPF_ack_invalid);
	st->accel_ack_cookie += delta(fp, SG_BPF_ack_cookie);
	st->accel_stray_conn += delta(fp, SG_BPF_stray_conn);
	st->accel_events_lost += delta(fp, SG_BPF_events_lost);
	st->accel_syn_fragments += delta(fp, SG_BPF_syn_fragments);
	for (unsigned i = 0; i < POLICY_SVC_MAX; i++)
		fold_service(fp, pc, i);
	/* What the daemon learned from the servers' SYN+ACKs this second. */
	sync_all_svc_opts(fp, pc, false);
}

struct event_ctx {
	struct fastpath *fp;
	struct policy_ctx *pc;
	fastpath_trip_fn trip;
	void *trip_arg;
	uint64_t now_ms;
};

static void on_event(void *arg, const struct sg_bpf_event *ev)
{
	const struct event_ctx *e = arg;

	if (ev->type == SG_BPF_EV_VERIFIED) {
		policy_verify_source(e->pc, ev->family, ev->addr, e->now_ms);
		verified_in_kernel(e->fp, ev->family, ev->addr, e->fp->conf->verified_ttl_ms, false);
	} else if (ev->type == SG_BPF_EV_TRIPPED && ev->svc < POLICY_SVC_MAX && e->trip) {
		e->trip(e->trip_arg, ev->svc);
	}
}

int fastpath_events_fd(struct fastpath *fp)
{
	return fp->accel ? accel_events_fd(fp->accel) : -1;
}

int fastpath_events(struct fastpath *fp, struct policy_ctx *pc, fastpath_trip_fn trip, void *arg)
{
	struct event_ctx e = { fp, pc, trip, arg, clock_mono_ms() };
	int n;

	if (!fp->accel)
		return 0;
	n = accel_events(fp->accel, on_event, &e);
	if (n < 0)
		log_kind_at(LOG_WARNING, -n, "kernel fast path: cannot read its events: %s",
			    strerror(-n));
	return n;
}

bool fastpath_retrans_passed(void *arg, const struct pkt *p)
{
	struct fastpath *f = arg;

	return f->accel && accel_take_retransmission(f->accel, p);
}

struct adopt {
	fastpath_source_fn fn;
	void *arg;
	uint64_t now_ns;
};

static void adopt_one(void *arg, int family, const uint8_t addr[16], uint64_t until_ns)
{
	const struct adopt *ad = arg;

	if (until_ns > ad->now_ns)
		ad->fn(ad->arg, family, addr, (until_ns - ad->now_ns) / 1000000);
}

int fastpath_adopted(struct fastpath *fp, fastpath_source_fn fn, void *arg)
{
	struct adopt ad = { fn, arg, clock_mono_us() * 1000 };

	if (!fp->accel || !accel_adopted(fp->accel))
		return 0;
	return accel_walk_verified(fp->accel, adopt_one, &ad);
}
