/* daemon: glue between the queue, the pure modules and the sockets.  One
 * explicit context (struct synguard), one libev loop, no globals beyond the
 * signal watchers' back pointer in the loop data. */
#include "daemon.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "census.h"
#include "clock.h"
#include "control.h"
#include "cookie.h"
#include "ct.h"
#include "fastpath.h"
#include "handover.h"
#include "log.h"
#include "nfq.h"
#include "pkt.h"
#include "policy.h"
#include "sdnotify.h"
#include "seed.h"
#include "stats.h"
#include "synguard.h"
#include "table.h"
#include "tx.h"
#include "watch.h"

/* The context and the loop's watchers, which only the loop owner sees. */
struct daemon {
	struct synguard sg;
	ev_io syn_io, rst_io, events_io;
	ev_timer tick, watchdog, proxy_tick;
	ev_signal sig_term, sig_int, sig_hup;
	ev_child state_writer;		/* the periodic state file writer */
};

#define SECRET_MAX 4096
#define SWEEP_BUCKETS_PER_TICK 4096
/* The half-open table is swept faster: its counts drive the detector and
 * expiries must show within a second.  64Ki buckets (512Ki entries, ~12 MiB
 * read per second at most) covers the default table in one tick; larger
 * tables take halfopen_max / 512Ki seconds. */
#define HALFOPEN_SWEEP_PER_TICK 65536

static int read_secret(const char *path, struct siphash_key *master)
{
	uint8_t buf[SECRET_MAX + 1];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		log_err("secret_file %s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 16 || n > SECRET_MAX) {
		log_err("secret_file %s: %zd bytes; expected 16..%d (e.g. head -c 32 /dev/urandom)",
			path, n, SECRET_MAX);
		return -1;
	}
	cookie_master_from_secret(master, buf, (size_t)n);
	memset(buf, 0, sizeof(buf));
	return 0;
}

static uint32_t key_period_s(const struct conf *c)
{
	return c->key_rotate_ms / 1000 ? c->key_rotate_ms / 1000 : 1;
}

static int tables_init(struct synguard *sg)
{
	struct siphash_key s1, s2, s3;
	const struct conf *c = &sg->conf;

	if (seed_key(&s1) < 0 || seed_key(&s2) < 0 || seed_key(&s3) < 0)
		return -1;
	if (halfopen_init(&sg->halfopen, c->halfopen_max, HALFOPEN_SVC_MAX,
			  (uint64_t)c->halfopen_timeout_ms * 1000, &s1) < 0 ||
	    bucket_table_init(&sg->limits, c->limit_table, &s2) < 0 ||
	    hh_init(&sg->top, SG_HH_SLOTS, &s3) < 0) {
		log_err("cannot allocate tables: %s", strerror(errno));
		return -1;
	}
	sg->policy.halfopen = &sg->halfopen;
	sg->policy.limits = &sg->limits;
	sg->policy.top = &sg->top;
	return 0;
}

static int keys_init(struct synguard *sg)
{
	struct siphash_key master, seed1, seed2;

	if (sg->conf.secret_file[0] ? read_secret(sg->conf.secret_file, &master) < 0
				    : seed_key(&master) < 0)
		return -1;
	cookie_init(&sg->cookies, &master,
		    cookie_epoch_of(clock_wall_s(), key_period_s(&sg->conf)));
	if (seed_key(&seed1) < 0 || seed_key(&seed2) < 0 ||
	    seed_key(&sg->policy.fp_key) < 0)
		return -1;
	if (table_init(&sg->verified, sg->conf.verified_max, POLICY_SRCKEY_LEN, &seed1) < 0 ||
	    table_init(&sg->retrans, sg->conf.retransmit_table, POLICY_RETRANS_KEYLEN, &seed2) < 0) {
		log_err("cannot allocate tables: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void rotate_keys(struct synguard *sg)
{
	uint64_t epoch = cookie_epoch_of(clock_wall_s(), key_period_s(&sg->conf));
	uint64_t was = sg->cookies.epoch;

	/* The epoch is the wall clock's: a step moves it straight to the new
	 * time's, one rotation whatever the distance (no burst of keys
	 * forwards; backwards, rotation goes on from the earlier epoch). */
	if (epoch != was && epoch != was + 1) {
		sg->stats.key_epoch_steps++;
		log_rl_at(LOG_WARNING, "wall clock stepped: cookie epoch %llu -> %llu (%+lld s); %s",
			  (unsigned long long)was, (unsigned long long)epoch,
			  (long long)(epoch - was) * key_period_s(&sg->conf),
			  epoch + 1 == was ? "cookies of the epoch left stay valid"
					   : "cookies issued before it are refused (clients retransmit)");
	}
	if (cookie_set_epoch(&sg->cookies, epoch)) {
		fastpath_keys(&sg->fast, &sg->cookies, &sg->policy.fp_key);
		sg->stats.key_rotations++;
		log_debug("cookie keys rotated to epoch %llu", (unsigned long long)epoch);
	}
}

/* --- packet path ----------------------------------------------------------- */

static enum nfq_verdict to_nfq(enum policy_verdict v)
{
	return v == POLICY_ACCEPT ? NFQ_ACCEPT : NFQ_DROP;
}

static void send_challenge(struct synguard *sg, const struct pkt *p,
			   const struct policy_result *r, uint32_t tag)
{
	uint8_t *frame = tx_frame(sg->tx);
	size_t len;

	if (!frame) {
		tx_flush(sg->tx, NULL, NULL);	/* cannot happen with TX_BATCH >= rx batch */
		frame = tx_frame(sg->tx);
	}
	if (r->proxy) {
		len = policy_proxy_synack(frame, TX_FRAME_MAX, &sg->conf, p, r);
	} else {
		/* MSS 1460 (1440 for v6): any plausible value; the client only
		 * answers this SYN+ACK with a RST. */
		const struct pkt_synack a = {
			.seq = r->synack_seq, .ack = r->synack_ack,
			.mss = p->family == AF_INET6 ? 1440 : 1460, .window = 65535,
		};

		len = pkt_build_synack(frame, TX_FRAME_MAX, p, &a);
	}
	tx_commit(sg->tx, p->family, p->src, len, tag);
}

/* An inexact RST left the connection's entry ESTABLISHED with conntrack's
 * 10 s timeout: give it its ESTABLISHED timeout back. */
static void restore_timeout(struct synguard *sg, const struct pkt *p)
{
	struct sg_tuple t;
	int err;

	pkt_tuple(p, &t);
	err = sg->ctl ? ct_ctl_restore_established(sg->ctl, &t, sg->ct_established_s) : -ENOTCONN;
	if (err >= 0) {
		sg->stats.ct_timeouts_restored += (uint64_t)err;
		return;
	}
	sg->stats.ct_restore_errors++;
	log_kind_at(LOG_WARNING, -err,
		    "cannot restore a conntrack entry's timeout after an inexact RST: %s",
		    strerror(-err));
}

static void on_trip(void *arg, unsigned svc)
{
	watch_trip(arg, svc, clock_mono_ms());
}

/* The sources the kernel fast path verified, at once: the client's next
 * SYN (its retransmission, a second later) must find them verified here. */
static void take_events(struct synguard *sg)
{
	if (fastpath_events(&sg->fast, &sg->policy, on_trip, sg) > 0)
		fastpath_flush(&sg->fast);
}

static enum nfq_verdict on_packet(void *arg, const uint8_t *buf, size_t len, uint32_t tag,
				  uint32_t *mark)
{
	struct synguard *sg = ((struct sg_queue *)arg)->sg;
	struct policy_result r;
	struct pkt p;
	enum pkt_status st = pkt_parse(buf, len, &p);
	uint64_t now_us = clock_mono_us();

	p.mark = *mark;
	/* A SYN: first what the kernel fast path verified since (its ring, a
	 * read of two positions when empty).  A new client's RST verifies it
	 * there, and its SYN, retransmitted ~2 ms later, can reach the daemon
	 * in the same batch (it does when its checksum is left to offload):
	 * not knowing yet, the daemon would challenge it once more. */
	if (st == PKT_OK && (p.flags & (PKT_TH_SYN | PKT_TH_ACK)) == PKT_TH_SYN)
		take_events(sg);
	policy_decide(&sg->policy, st, &p, now_us, &r);
	if (r.ct_restore)
		restore_timeout(sg, &p);
	if (r.challenge)
		send_challenge(sg, &p, &r, tag);
	if (r.verified)
		fastpath_verified(&sg->fast, p.family, p.src, sg->conf.verified_ttl_ms);
	if (r.proxy_action != PROXY_NONE || r.evicted.key)
		handover_act(sg, &p, buf, len, &r);
	if (r.verdict == POLICY_ACCEPT)
		*mark |= r.mark_set;
	if (st == PKT_OK && (p.flags & (PKT_TH_SYN | PKT_TH_ACK)) == PKT_TH_SYN)
		watch_syn(sg, r.svc, now_us / 1000);
	return to_nfq(r.verdict);
}

static void on_tx_fail(void *arg, uint32_t tag, int err)
{
	struct synguard *sg = arg;

	sg->stats.challenges_failed++;
	sg->stats.verdict_errors++;
	nfq_override_verdict(sg->cur_q->nfq, tag, sg_error_verdict(&sg->conf));
	log_kind_at(LOG_WARNING, err, "cannot send cookie SYN+ACK: %s", strerror(err));
}

static void on_flush(void *arg)
{
	struct sg_queue *sq = arg;
	struct synguard *sg = sq->sg;

	sg->cur_q = sq;
	sg->stats.challenges_sent += tx_flush(sg->tx, on_tx_fail, sg);
	fastpath_flush(&sg->fast);
}



static void events_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	take_events(w->data);
}

#define SYN_ROUNDS 8	/* SYN-queue batches per wake-up */

/* The priority queue (real clients' RSTs, verified SYNs, handshakes) is
 * drained between every batch of the SYN queue: under a flood the SYN
 * queue is never empty, and a client's RST waiting behind eight batches
 * would let its retransmitted SYN miss the fast path (a 1-2 s delay). */
static void nfq_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sg_queue *sq = w->data;
	struct synguard *sg = sq->sg;

	rotate_keys(sg);	/* one time() per batch keeps epochs exact */
	if (sq == &sg->rst_q) {
		nfq_read(sq->nfq, SYN_ROUNDS);
		return;
	}
	for (unsigned r = 0; r < SYN_ROUNDS; r++) {
		size_t n = nfq_read(sq->nfq, 1);

		nfq_read(sg->rst_q.nfq, SYN_ROUNDS);
		take_events(sg);
		if (n < NFQ_BATCH)
			break;
	}
}

/* --- timers and signals ------------------------------------------------------- */

/* The kernel's drop counters of both queues (their instances are this
 * daemon's: bound at start, so the counts start with it). */
static void read_queue_figures(struct synguard *sg)
{
	static char text[4096];
	struct nfq_proc a = { 0 }, b = { 0 };
	ssize_t n;

	if (sg->qproc_fd < 0)
		return;
	/* A read from offset 0 makes the seq_file start over. */
	n = pread(sg->qproc_fd, text, sizeof(text) - 1, 0);
	if (n < 0)
		return;
	text[n] = '\0';
	if (nfq_proc_parse(text, sg->conf.queue, &a) < 0)
		return;
	(void)nfq_proc_parse(text, sg->conf.rst_queue, &b);
	sg->qproc.waiting = a.waiting + b.waiting;
	sg->qproc.dropped = a.dropped + b.dropped;
	sg->qproc.user_dropped = a.user_dropped + b.user_dropped;
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct synguard *sg = w->data;
	uint64_t now = clock_mono_ms();
	pid_t writer;

	rotate_keys(sg);
	/* Reclaim expired slots a slice at a time so the counts stay honest
	 * without ever walking a whole table in one go. */
	table_sweep(&sg->verified, now, SWEEP_BUCKETS_PER_TICK);
	table_sweep(&sg->retrans, now, SWEEP_BUCKETS_PER_TICK);
	bucket_table_sweep(&sg->limits, now, SWEEP_BUCKETS_PER_TICK);
	halfopen_sweep(&sg->halfopen, clock_mono_us(), HALFOPEN_SWEEP_PER_TICK);
	++sg->ticks;
	fastpath_tick(&sg->fast, &sg->policy);	/* before the windows close */
	watch_tick(sg, now);
	census_tick(sg->census, now);
	read_queue_figures(sg);
	writer = admin_state_tick(sg, now);
	if (writer > 0) {
		struct daemon *d = (struct daemon *)sg;	/* sg is its first member */

		ev_child_set(&d->state_writer, writer, 0);
		ev_child_start(loop, &d->state_writer);
	}
	if (sg->ticks % 10 == 0)
		watch_status(sg, "");
}

/* Ten times a second: attempts the server left unanswered for
 * proxy_timeout are reset within 100 ms of it (the table is small). */
static void state_writer_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	ev_child_stop(loop, w);
	admin_state_written(w->data, w->rstatus);
}

static void proxy_tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct synguard *sg = w->data;

	if (sg->proxy.slots)
		handover_sweep(sg, clock_mono_us(), sg->proxy.nbuckets);
}

/* Pinged from the loop itself: a wedged loop stops pinging and systemd
 * restarts the daemon. */
static void watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct synguard *sg = w->data;

	sdnotify_send(&sg->notify, "WATCHDOG=1");
}

static void stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	log_notice("signal %d: stopping", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

static void hup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	char errs[1024] = "";

	admin_reload(w->data, errs, sizeof(errs));
}

/* --- setup --------------------------------------------------------------------- */

/* This network namespace's nf_conntrack_tcp_timeout_established (the
 * kernel's default, 5 days, if it cannot be read). */
static uint32_t read_ct_established(void)
{
	FILE *f = fopen("/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established", "re");
	unsigned long v = 0;
	char buf[32], *end;

	if (f) {
		if (fgets(buf, sizeof(buf), f)) {
			errno = 0;
			v = strtoul(buf, &end, 10);
			if (errno || end == buf || (*end != '\n' && *end != '\0'))
				v = 0;
		}
		fclose(f);
	}
	return v > 0 && v <= UINT32_MAX ? (uint32_t)v : 432000;
}

static int open_queue(struct synguard *sg, struct sg_queue *sq, uint16_t num)
{
	struct nfq_params np = {
		.queue = num,
		.copy_range = sg->conf.copy_range,
		.queue_maxlen = sg->conf.queue_maxlen,
		.rcvbuf = sg->conf.rcvbuf,
		.fail_open = sg->conf.fail_open,
		.error_verdict = sg_error_verdict(&sg->conf),
		.lat = &sg->lat,
	};

	/* The priority queue carries the proxy's early client data: whole
	 * packets, to be re-injected as they came. */
	if (sq == &sg->rst_q)
		np.copy_range = 65535;
	sq->sg = sg;
	sq->nfq = nfq_bind(&np, &sg->stats, on_packet, on_flush, sq);
	return sq->nfq ? 0 : -1;
}

static void start_watchers(struct daemon *d)
{
	struct synguard *sg = &d->sg;

	ev_io_init(&d->syn_io, nfq_cb, nfq_get_fd(sg->syn_q.nfq), EV_READ);
	d->syn_io.data = &sg->syn_q;
	ev_io_start(sg->loop, &d->syn_io);
	/* RSTs first when both are ready: they complete real clients. */
	ev_io_init(&d->rst_io, nfq_cb, nfq_get_fd(sg->rst_q.nfq), EV_READ);
	ev_set_priority(&d->rst_io, EV_MAXPRI);
	d->rst_io.data = &sg->rst_q;
	ev_io_start(sg->loop, &d->rst_io);
	if (fastpath_events_fd(&sg->fast) >= 0) {
		ev_io_init(&d->events_io, events_cb, fastpath_events_fd(&sg->fast), EV_READ);
		ev_set_priority(&d->events_io, EV_MAXPRI);
		d->events_io.data = sg;
		ev_io_start(sg->loop, &d->events_io);
	}
	ev_child_init(&d->state_writer, state_writer_cb, 0, 0);
	d->state_writer.data = sg;
	ev_timer_init(&d->tick, tick_cb, 1., 1.);
	d->tick.data = sg;
	ev_timer_start(sg->loop, &d->tick);
	ev_timer_init(&d->proxy_tick, proxy_tick_cb, 0.1, 0.1);
	d->proxy_tick.data = sg;
	ev_timer_start(sg->loop, &d->proxy_tick);
	ev_signal_init(&d->sig_term, stop_cb, SIGTERM);
	ev_signal_init(&d->sig_int, stop_cb, SIGINT);
	ev_signal_init(&d->sig_hup, hup_cb, SIGHUP);
	d->sig_hup.data = sg;
	ev_signal_start(sg->loop, &d->sig_term);
	ev_signal_start(sg->loop, &d->sig_int);
	ev_signal_start(sg->loop, &d->sig_hup);
	if (sg->notify.watchdog_usec) {
		double half = (double)sg->notify.watchdog_usec / 2e6;

		ev_timer_init(&d->watchdog, watchdog_cb, half, half);
		d->watchdog.data = sg;
		ev_timer_start(sg->loop, &d->watchdog);
	}
}

static void log_settings(const struct synguard *sg)
{
	const struct conf *c = &sg->conf;

	log_info("started: queue %u mode %s copy_range %u queue_maxlen %u fail_open %s mark 0x%x "
		 "rst_queue %u key_rotate %us keys %s verified_max %zu (%zu KiB) ttl %us prefix /%u /%u "
		 "retransmit %u..%ums table %zu socket %s",
		 c->queue, conf_mode_name(c->mode), c->copy_range,
		 c->queue_maxlen, c->fail_open ? "yes" : "no", c->mark, c->rst_queue, key_period_s(c),
		 c->secret_file[0] ? c->secret_file : "random", table_capacity(&sg->verified),
		 table_bytes(&sg->verified) / 1024, c->verified_ttl_ms / 1000, c->verified_prefix4,
		 c->verified_prefix6, c->retransmit_min_ms, c->retransmit_max_ms,
		 table_capacity(&sg->retrans), c->socket);
}

static int setup(struct daemon *d)
{
	struct synguard *sg = &d->sg;

	sg->policy.conf = &sg->conf;
	sg->policy.cookies = &sg->cookies;
	sg->policy.verified = &sg->verified;
	sg->policy.retrans = &sg->retrans;
	sg->policy.stats = &sg->stats;
	if (keys_init(sg) < 0 || tables_init(sg) < 0)
		return -1;
	policy_init(&sg->policy, clock_mono_ms());
	watch_init(sg, clock_mono_ms());
	sg->census = census_open(sg->loop, &sg->conf, &sg->stats);
	sg->tx = tx_open(sg->conf.mark);
	sg->ptx = tx_open(sg->conf.mark);
	sg->ptx_plain = tx_open(0);
	if (!sg->tx || !sg->ptx || !sg->ptx_plain || handover_ensure_table(sg) < 0 ||
	    open_queue(sg, &sg->syn_q, sg->conf.queue) < 0 ||
	    open_queue(sg, &sg->rst_q, sg->conf.rst_queue) < 0)
		return -1;
	sg->ct_established_s = read_ct_established();
	sg->ctl = ct_ctl_open();
	if (!sg->ctl)
		log_warn("no ctnetlink socket for proxy entries: %s (the proxy cannot hand "
			 "connections over)", strerror(errno));
	fastpath_open(&sg->fast, &sg->conf, &sg->stats);
	if (fastpath_accel(&sg->fast)) {
		/* The program's passed retransmissions are the fallback's too. */
		sg->policy.retrans_passed = fastpath_retrans_passed;
		sg->policy.retrans_arg = &sg->fast;
		fastpath_keys(&sg->fast, &sg->cookies, &sg->policy.fp_key);
		fastpath_sync(&sg->fast, &sg->policy);
	}
	sg->control = control_open(sg->loop, sg->conf.socket, admin_command, sg);
	if (!sg->control || admin_apply_groups(sg, &sg->conf) < 0)
		return -1;
	admin_load_state(sg);
	admin_adopt_sources(sg);
	start_watchers(d);
	return 0;
}

static void teardown(struct synguard *sg)
{
	sdnotify_send(&sg->notify, "STOPPING=1");
	/* Unbind first: with --queue-bypass the kernel then passes traffic
	 * instead of queueing it for a process that is going away. */
	nfq_unbind(sg->syn_q.nfq);
	nfq_unbind(sg->rst_q.nfq);
	control_close(sg->control);
	tx_close(sg->tx);
	tx_close(sg->ptx);
	tx_close(sg->ptx_plain);
	if (sg->ctl)
		ct_ctl_close(sg->ctl);
	proxy_free(&sg->proxy);
	admin_save_state(sg);
	fastpath_close(&sg->fast);
	sdnotify_close(&sg->notify);
	table_free(&sg->verified);
	table_free(&sg->retrans);
	halfopen_free(&sg->halfopen);
	bucket_table_free(&sg->limits);
	hh_free(&sg->top);
	census_close(sg->census);
}

int daemon_run(const struct conf *conf, const char *conf_path)
{
	struct daemon *d = calloc(1, sizeof(*d));
	struct synguard *sg;
	int rc = 1;

	if (!d)
		return 1;
	sg = &d->sg;
	sg->conf = *conf;
	sg->conf_path = conf_path;
	sg->started_ms = clock_mono_ms();
	/* The daemon's own network namespace's queues. */
	sg->qproc_fd = open("/proc/net/netfilter/nfnetlink_queue", O_RDONLY | O_CLOEXEC);
	log_set_level(conf->log_level);
	sg->loop = ev_default_loop(EVFLAG_AUTO);
	sdnotify_init(&sg->notify);
	if (sg->loop && setup(d) == 0) {
		sg->running = 1;
		log_settings(sg);
		watch_status(sg, "READY=1\n");
		ev_run(sg->loop, 0);
		rc = 0;
	}
	teardown(sg);
	if (sg->qproc_fd >= 0)
		close(sg->qproc_fd);
	conf_free(&sg->conf);
	free(d);
	return rc;
}
