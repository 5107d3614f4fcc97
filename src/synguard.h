/* synguard: the daemon's explicit context, shared by the loop owner
 * (daemon.c) and the operator's side (admin.c).  Nothing else includes it:
 * the pure modules get only the pieces they need. */
#ifndef SYNGUARD_SYNGUARD_H
#define SYNGUARD_SYNGUARD_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "bucket.h"
#include "conf.h"
#include "cookie.h"
#include "ct.h"
#include "detect.h"
#include "halfopen.h"
#include "hh.h"
#include "proxy.h"
#include "nfq.h"
#include "policy.h"
#include "sdnotify.h"
#include "stats.h"
#include "table.h"

struct control;
struct control_reply;
struct ipset;
struct tx;

/* One bound queue: SYNs, or the clients' RSTs (which get their own queue so
 * that a flood filling the SYN queue never delays a real client's answer). */
struct sg_queue {
	struct synguard *sg;
	struct nfq *nfq;
	ev_io io;
};

#define SG_TOP_MAX 20		/* top sources kept from each one-second window */
#define SG_HH_SLOTS 256		/* heavy-hitter slots (Space-Saving) */

/* Per-service figures of the last completed one-second window, and the
 * attack detector. */
struct sg_svc {
	struct detect det;
	uint64_t attack_since_ms;
	uint64_t syn_rate, unverified_rate, challenge_rate, accepted_rate;
	uint64_t completed_rate, expired_rate, reset_rate;
	uint64_t prev_completed, prev_expired, prev_reset;	/* cumulative, at the last tick */
	double ratio_done, ratio_all;	/* completion ratio, ~10 s moving average */
};

/* The last completed conntrack census, and the one being gathered. */
struct sg_census {
	struct ct_census *ct;
	ev_io io;
	ev_timer deadline;
	uint64_t count[POLICY_SVC_MAX][CT_NSTATES], work[POLICY_SVC_MAX][CT_NSTATES];
	uint64_t generation, entries, tcp_entries, work_tcp, duration_ms, started_ms, done_ms;
	bool truncated, failed;
	bool again;		/* asked for while one ran: start another after it */
	int error;
};

struct synguard {
	struct conf conf;
	const char *conf_path;
	struct stats stats;
	struct cookie_ctx cookies;
	struct table verified, retrans;
	struct halfopen halfopen;
	struct bucket_table limits;
	struct hh top;
	struct hh_entry top_last[SG_TOP_MAX];
	size_t ntop_last;
	uint64_t top_total_last;
	struct sg_svc svc[POLICY_SVC_MAX];
	struct sg_census census;
	struct proxy_table proxy;	/* slots NULL: no proxy in use */
	struct ct_ctl *ctl;		/* ctnetlink requests (proxy entries) */
	struct tx *ptx, *ptx_plain;	/* proxy segments: notracked / through conntrack */
	struct policy_ctx policy;
	struct sg_queue syn_q, rst_q;
	struct sg_queue *cur_q;		/* queue whose batch is being handled */
	struct tx *tx;
	struct ipset *ipset;		/* NULL: no kernel fast path */
	struct control *control;
	struct ev_loop *loop;
	ev_timer tick, watchdog, proxy_tick;
	ev_signal sig_term, sig_int, sig_hup;
	struct sdnotify notify;
	uint64_t started_ms;
	unsigned ticks;
	int running;		/* setup completed: the state file may be written */
};

/* daemon.c */
enum nfq_verdict daemon_error_verdict(const struct synguard *sg);
void daemon_fastpath_key(struct synguard *sg, int family, const uint8_t *key, uint32_t timeout_s);
void daemon_fastpath_flush(struct synguard *sg);
void daemon_notify_status(struct synguard *sg, const char *prefix);

/* daemon.c */
void daemon_census_start(struct synguard *sg);
int daemon_proxy_ensure(struct synguard *sg);


/* admin.c */
void admin_command(void *arg, const char *cmd, const char *args, struct control_reply *r);
int admin_reload(struct synguard *sg, char *errs, size_t errlen);
int admin_apply_groups(struct synguard *sg, const struct conf *c);
void admin_load_state(struct synguard *sg);
void admin_save_state(struct synguard *sg);

#endif
