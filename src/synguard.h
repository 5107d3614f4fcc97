/* synguard: the daemon's explicit context.  The loop owner (daemon.c)
 * builds it and hands it to the modules that act for it: admin (control
 * commands, reload, state), handover (the proxy's I/O) and watch (detection,
 * status).  They call down into the modules below, never back up into
 * daemon.c; the pure and I/O modules never see this struct, only the pieces
 * they need. */
#ifndef SYNGUARD_SYNGUARD_H
#define SYNGUARD_SYNGUARD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bucket.h"
#include "census.h"
#include "conf.h"
#include "cookie.h"
#include "ct.h"
#include "detect.h"
#include "fastpath.h"
#include "halfopen.h"
#include "hh.h"
#include "proxy.h"
#include "nfq.h"
#include "policy.h"
#include "sdnotify.h"
#include "stats.h"
#include "table.h"

struct control;
struct ev_loop;
struct control_reply;
struct tx;

/* One bound queue: SYNs, or the clients' RSTs (which get their own queue so
 * that a flood filling the SYN queue never delays a real client's answer). */
struct sg_queue {
	struct synguard *sg;
	struct nfq *nfq;
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
	struct census *census;		/* NULL: no conntrack census */
	struct proxy_table proxy;	/* slots NULL: no proxy in use */
	struct ct_ctl *ctl;		/* ctnetlink requests (proxy entries, timeouts) */
	uint32_t ct_established_s;	/* conntrack's ESTABLISHED timeout (seconds) */
	struct tx *ptx, *ptx_plain;	/* proxy segments: notracked / through conntrack */
	struct policy_ctx policy;
	struct sg_queue syn_q, rst_q;
	/* Both queues' figures from the kernel, summed; read every tick
	 * from qproc_fd (opened once: a tick allocates nothing). */
	struct nfq_proc qproc;
	int qproc_fd;
	struct lat_hist lat;		/* verdict latency, both queues */
	struct sg_queue *cur_q;		/* queue whose batch is being handled */
	struct tx *tx;
	struct fastpath fast;		/* verified sources in the kernel set */
	struct control *control;
	struct ev_loop *loop;
	struct sdnotify notify;
	uint64_t started_ms;
	unsigned ticks;
	int running;		/* setup completed: the state file may be written */
	pid_t state_writer;	/* the child writing the state file, 0 = none */
	uint64_t state_due_ms;	/* monotonic: the next periodic write */
};

/* The verdict for a packet the daemon could not handle (error_verdict). */
static inline enum nfq_verdict sg_error_verdict(const struct conf *c)
{
	return c->error_verdict == CONF_VERDICT_ACCEPT ? NFQ_ACCEPT : NFQ_DROP;
}

/* admin.c */
void admin_command(void *arg, const char *cmd, const char *args, struct control_reply *r);
int admin_reload(struct synguard *sg, char *errs, size_t errlen);
int admin_apply_groups(struct synguard *sg, const struct conf *c);
void admin_load_state(struct synguard *sg);
void admin_adopt_sources(struct synguard *sg);
void admin_save_state(struct synguard *sg);
pid_t admin_state_tick(struct synguard *sg, uint64_t now_ms);
void admin_state_written(struct synguard *sg, int status);

#endif
