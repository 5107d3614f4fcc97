/* synguard: the daemon's explicit context, shared by the loop owner
 * (daemon.c) and the operator's side (admin.c).  Nothing else includes it:
 * the pure modules get only the pieces they need. */
#ifndef SYNGUARD_SYNGUARD_H
#define SYNGUARD_SYNGUARD_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "cookie.h"
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

struct synguard {
	struct conf conf;
	const char *conf_path;
	struct stats stats;
	struct cookie_ctx cookies;
	struct table verified, retrans;
	struct policy_ctx policy;
	struct sg_queue syn_q, rst_q;
	struct sg_queue *cur_q;		/* queue whose batch is being handled */
	struct tx *tx;
	struct ipset *ipset;		/* NULL: no kernel fast path */
	struct control *control;
	struct ev_loop *loop;
	ev_timer tick, watchdog;
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

/* admin.c */
void admin_command(void *arg, const char *cmd, const char *args, struct control_reply *r);
int admin_reload(struct synguard *sg, char *errs, size_t errlen);
int admin_apply_groups(struct synguard *sg, const struct conf *c);
void admin_load_state(struct synguard *sg);
void admin_save_state(struct synguard *sg);

#endif
