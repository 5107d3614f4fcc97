/* daemon: glue between the queue, the pure modules and the sockets.  One
 * explicit context (struct synguard), one libev loop, no globals beyond the
 * signal watchers' back pointer in the loop data. */
#include "daemon.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "control.h"
#include "cookie.h"
#include "ipset.h"
#include "log.h"
#include "nfq.h"
#include "pkt.h"
#include "policy.h"
#include "sdnotify.h"
#include "stats.h"
#include "synguard.h"
#include "table.h"
#include "handover.h"
#include "tx.h"
#include "watch.h"

#define SECRET_MAX 4096
#define SWEEP_BUCKETS_PER_TICK 4096
/* The half-open table is swept faster: its counts drive the detector and
 * expiries must show within a second.  64Ki buckets (512Ki entries, ~12 MiB
 * read per second at most) covers the default table in one tick; larger
 * tables take halfopen_max / 512Ki seconds. */
#define HALFOPEN_SWEEP_PER_TICK 65536

static int random_bytes(void *buf, size_t len)
{
	ssize_t n = getrandom(buf, len, 0);

	return n == (ssize_t)len ? 0 : -1;
}

static int random_key(struct siphash_key *k)
{
	do {
		if (random_bytes(k, sizeof(*k)) < 0)
			return -1;
	} while (k->k0 == 0 && k->k1 == 0);	/* a zero seed is never used */
	return 0;
}

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

	if (random_key(&s1) < 0 || random_key(&s2) < 0 || random_key(&s3) < 0)
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
				    : random_key(&master) < 0)
		return -1;
	cookie_init(&sg->cookies, &master,
		    cookie_epoch_of(clock_wall_s(), key_period_s(&sg->conf)));
	if (random_key(&seed1) < 0 || random_key(&seed2) < 0 ||
	    random_key(&sg->policy.fp_key) < 0)
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

	if (cookie_set_epoch(&sg->cookies, epoch)) {
		sg->stats.key_rotations++;
		log_debug("cookie keys rotated to epoch %llu", (unsigned long long)epoch);
	}
}

/* --- packet path ----------------------------------------------------------- */

static enum nfq_verdict to_nfq(enum policy_verdict v)
{
	return v == POLICY_ACCEPT ? NFQ_ACCEPT : NFQ_DROP;
}

enum nfq_verdict daemon_error_verdict(const struct synguard *sg)
{
	return sg->conf.error_verdict == CONF_VERDICT_ACCEPT ? NFQ_ACCEPT : NFQ_DROP;
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
		/* A valid SYN+ACK with the server's options.  Its window bounds
		 * what the client sends before the server answered to what the
		 * daemon can hold (proxy_early_data, headers included). */
		uint32_t win = sg->conf.proxy_early_data * 3 / 4;
		struct pkt_out o = {
			.family = p->family, .src = p->dst, .dst = p->src,
			.sport = p->dport, .dport = p->sport,
			.seq = r->synack_seq, .ack = r->synack_ack,
			.flags = PKT_TH_SYN | PKT_TH_ACK,
			.window = (uint16_t)(win > 65535 ? 65535 : win < 536 ? 536 : win),
			.mss = r->synack_mss, .wscale = r->synack_wscale, .sack_ok = r->synack_sack,
		};

		len = pkt_build(frame, TX_FRAME_MAX, &o);
	} else {
		/* MSS 1460 (1440 for v6): any plausible value; the client only
		 * answers this SYN+ACK with a RST. */
		len = pkt_build_synack(frame, TX_FRAME_MAX, p, r->synack_seq, r->synack_ack,
				       p->family == AF_INET6 ? 1440 : 1460, 65535);
	}
	tx_commit(sg->tx, p->family, p->src, len, tag);
}

/* Add (timeout_s > 0) or delete (0) a verified prefix in the kernel set. */
void daemon_fastpath_key(struct synguard *sg, int family, const uint8_t *key, uint32_t timeout_s)
{
	uint8_t cidr = family == AF_INET6 ? sg->conf.verified_prefix6 : sg->conf.verified_prefix4;

	if (timeout_s)
		ipset_add(sg->ipset, family, key + 1, cidr, timeout_s);
	else
		ipset_del(sg->ipset, family, key + 1, cidr);
}

/* Verified: from now on the kernel lets this prefix's SYNs bypass the queue. */
static void fastpath_add(struct synguard *sg, const struct pkt *p)
{
	uint8_t key[POLICY_SRCKEY_LEN];

	policy_source_key(&sg->conf, p->family, p->src, key);
	daemon_fastpath_key(sg, p->family, key, sg->conf.verified_ttl_ms / 1000);
}

static enum nfq_verdict on_packet(void *arg, const uint8_t *buf, size_t len, uint32_t tag,
				  uint32_t *mark)
{
	struct synguard *sg = ((struct sg_queue *)arg)->sg;
	struct policy_result r;
	struct pkt p;
	enum pkt_status st = pkt_parse(buf, len, &p);
	uint64_t now_us = clock_mono_us();

	policy_decide(&sg->policy, st, &p, now_us, &r);
	if (r.challenge)
		send_challenge(sg, &p, &r, tag);
	if (r.verified && sg->ipset)
		fastpath_add(sg, &p);
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
	nfq_override_verdict(sg->cur_q->nfq, tag, daemon_error_verdict(sg));
	log_rl_at(LOG_WARNING, "cannot send cookie SYN+ACK: %s", strerror(err));
}

void daemon_fastpath_flush(struct synguard *sg)
{
	struct ipset_tally t;
	int err = 0;
	unsigned refused;

	ipset_flush(sg->ipset, &t);
	refused = ipset_errors(sg->ipset, &err);
	sg->stats.ipset_adds += t.sent;
	sg->stats.ipset_errors += t.failed + refused;
	if (t.failed)
		err = t.last_errno;
	if (t.failed || refused)
		log_rl_at(LOG_WARNING, "kernel fast-path set update failed: %s (verified "
			  "sources still pass, through the queue)", strerror(err));
}

static void on_flush(void *arg)
{
	struct sg_queue *sq = arg;
	struct synguard *sg = sq->sg;

	sg->cur_q = sq;
	sg->stats.challenges_sent += tx_flush(sg->tx, on_tx_fail, sg);
	if (sg->ipset)
		daemon_fastpath_flush(sg);
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
		if (n < NFQ_BATCH)
			break;
	}
}

/* --- timers and signals ------------------------------------------------------- */

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct synguard *sg = w->data;
	uint64_t now = clock_mono_ms();

	rotate_keys(sg);
	/* Reclaim expired slots a slice at a time so the counts stay honest
	 * without ever walking a whole table in one go. */
	table_sweep(&sg->verified, now, SWEEP_BUCKETS_PER_TICK);
	table_sweep(&sg->retrans, now, SWEEP_BUCKETS_PER_TICK);
	bucket_table_sweep(&sg->limits, now, SWEEP_BUCKETS_PER_TICK);
	halfopen_sweep(&sg->halfopen, clock_mono_us(), HALFOPEN_SWEEP_PER_TICK);
	++sg->ticks;
	watch_tick(sg, now);
	if (sg->conf.census_interval_ms &&
	    now - sg->census.started_ms >= sg->conf.census_interval_ms)
		daemon_census_start(sg);
	if (sg->ticks % 10 == 0)
		daemon_notify_status(sg, "");
}

/* Ten times a second: attempts the server left unanswered for
 * proxy_timeout are reset within 100 ms of it (the table is small). */
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

void daemon_notify_status(struct synguard *sg, const char *prefix)
{
	char msg[256];

	unsigned attacked = watch_attacked(sg);

	snprintf(msg, sizeof(msg), "%sSTATUS=mode %s, %s, %zu verified sources, %llu SYNs, "
		 "%llu challenges, %llu valid cookies", prefix, conf_mode_name(sg->conf.mode),
		 attacked ? "UNDER ATTACK" : "no attack", sg->verified.count,
		 (unsigned long long)sg->stats.syn, (unsigned long long)sg->stats.challenges_sent,
		 (unsigned long long)sg->stats.cookies_valid);
	sdnotify_send(&sg->notify, msg);
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

/* --- conntrack census ------------------------------------------------------------ */

/* A census runs in the loop a receive buffer at a time, at the lowest
 * priority, so a large conntrack table never stalls the packet path; a
 * deadline bounds it in time and census_max in entries. */
#define CENSUS_DEADLINE_S 10.

static void census_entry(const struct ct_entry *e, void *arg)
{
	struct synguard *sg = arg;
	unsigned svc = policy_service_of(&sg->conf, e->tuple.family, e->tuple.server,
					 e->tuple.server_port);

	sg->census.work[svc][e->state]++;
	sg->census.work_tcp++;
}

static void census_finish(struct synguard *sg, int err)
{
	struct sg_census *c = &sg->census;

	ev_io_stop(sg->loop, &c->io);
	ev_timer_stop(sg->loop, &c->deadline);
	c->done_ms = clock_mono_ms();
	c->duration_ms = c->done_ms - c->started_ms;
	c->error = err;
	c->failed = err != 0;
	if (err) {
		sg->stats.census_errors++;
		log_rl_at(LOG_WARNING, "conntrack census failed: %s", strerror(err));
	} else {
		sg->stats.census_runs++;
		memcpy(c->count, c->work, sizeof(c->count));
		c->entries = ct_census_seen(c->ct);
		c->tcp_entries = c->work_tcp;
		c->truncated = ct_census_truncated(c->ct);
	}
	c->generation++;
	if (c->again) {
		c->again = false;
		daemon_census_start(sg);
	}
}

static void census_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct synguard *sg = w->data;
	int rc = ct_census_read(sg->census.ct, census_entry, sg);

	if (rc <= 0)
		census_finish(sg, rc < 0 ? errno : 0);
}

static void census_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct synguard *sg = w->data;

	ct_census_abort(sg->census.ct);
	census_finish(sg, ETIMEDOUT);
}

static bool proxy_wanted(const struct conf *c)
{
	for (unsigned i = 0; i < c->nservices; i++)
		if (conf_service_challenge(c, i) != CONF_CHALLENGE_AUTH)
			return true;
	return c->challenge != CONF_CHALLENGE_AUTH;
}

/* The proxy table is allocated once, when the configuration first asks for
 * the proxy (at start or on a reload), and kept. */
int daemon_proxy_ensure(struct synguard *sg)
{
	struct siphash_key seed;

	if (sg->proxy.slots || !proxy_wanted(&sg->conf))
		return 0;
	if (random_key(&seed) < 0 ||
	    proxy_init(&sg->proxy, sg->conf.proxy_max, sg->conf.proxy_early_data, &seed) < 0) {
		log_err("cannot allocate the proxy table: %s", strerror(errno));
		return -1;
	}
	sg->policy.proxy = &sg->proxy;
	log_info("proxy table: %zu handshakes, %u bytes of early data each",
		 proxy_capacity(&sg->proxy), sg->conf.proxy_early_data);
	return 0;
}

void daemon_census_start(struct synguard *sg)
{
	struct sg_census *c = &sg->census;

	if (!c->ct)
		return;
	if (ct_census_running(c->ct)) {
		c->again = true;	/* the running one may predate the request */
		return;
	}
	c->started_ms = clock_mono_ms();
	memset(c->work, 0, sizeof(c->work));
	c->work_tcp = 0;
	if (ct_census_start(c->ct, sg->conf.census_max) < 0) {
		census_finish(sg, errno);
		return;
	}
	/* An aborted dump swaps in a fresh socket under the same number:
	 * set the fd again so libev registers the new one. */
	ev_io_set(&c->io, ct_census_fd(c->ct), EV_READ);
	ev_io_start(sg->loop, &c->io);
	ev_timer_set(&c->deadline, CENSUS_DEADLINE_S, 0.);
	ev_timer_start(sg->loop, &c->deadline);
}

static void census_open(struct synguard *sg)
{
	struct sg_census *c = &sg->census;

	c->ct = ct_census_open();
	if (!c->ct) {
		log_warn("no conntrack census: %s", strerror(errno));
		return;
	}
	ev_io_init(&c->io, census_cb, ct_census_fd(c->ct), EV_READ);
	ev_set_priority(&c->io, EV_MINPRI);
	c->io.data = sg;
	ev_init(&c->deadline, census_deadline_cb);
	c->deadline.data = sg;
	/* The first census runs one interval after start. */
	c->started_ms = clock_mono_ms();
}

/* --- setup --------------------------------------------------------------------- */

static int open_queue(struct synguard *sg, struct sg_queue *sq, uint16_t num)
{
	struct nfq_params np = {
		.queue = num,
		.copy_range = sg->conf.copy_range,
		.queue_maxlen = sg->conf.queue_maxlen,
		.rcvbuf = sg->conf.rcvbuf,
		.fail_open = sg->conf.fail_open,
		.error_verdict = daemon_error_verdict(sg),
	};

	/* The priority queue carries the proxy's early client data: whole
	 * packets, to be re-injected as they came. */
	if (sq == &sg->rst_q)
		np.copy_range = 65535;
	sq->sg = sg;
	sq->nfq = nfq_bind(&np, &sg->stats, on_packet, on_flush, sq);
	return sq->nfq ? 0 : -1;
}

static void start_watchers(struct synguard *sg)
{
	ev_io_init(&sg->syn_q.io, nfq_cb, nfq_get_fd(sg->syn_q.nfq), EV_READ);
	sg->syn_q.io.data = &sg->syn_q;
	ev_io_start(sg->loop, &sg->syn_q.io);
	/* RSTs first when both are ready: they complete real clients. */
	ev_io_init(&sg->rst_q.io, nfq_cb, nfq_get_fd(sg->rst_q.nfq), EV_READ);
	ev_set_priority(&sg->rst_q.io, EV_MAXPRI);
	sg->rst_q.io.data = &sg->rst_q;
	ev_io_start(sg->loop, &sg->rst_q.io);
	ev_timer_init(&sg->tick, tick_cb, 1., 1.);
	sg->tick.data = sg;
	ev_timer_start(sg->loop, &sg->tick);
	ev_timer_init(&sg->proxy_tick, proxy_tick_cb, 0.1, 0.1);
	sg->proxy_tick.data = sg;
	ev_timer_start(sg->loop, &sg->proxy_tick);
	ev_signal_init(&sg->sig_term, stop_cb, SIGTERM);
	ev_signal_init(&sg->sig_int, stop_cb, SIGINT);
	ev_signal_init(&sg->sig_hup, hup_cb, SIGHUP);
	sg->sig_hup.data = sg;
	ev_signal_start(sg->loop, &sg->sig_term);
	ev_signal_start(sg->loop, &sg->sig_int);
	ev_signal_start(sg->loop, &sg->sig_hup);
	if (sg->notify.watchdog_usec) {
		double half = (double)sg->notify.watchdog_usec / 2e6;

		ev_timer_init(&sg->watchdog, watchdog_cb, half, half);
		sg->watchdog.data = sg;
		ev_timer_start(sg->loop, &sg->watchdog);
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

static void open_fastpath(struct synguard *sg)
{
	int rc = ipset_create_sets(sg->conf.verified_max, sg->conf.verified_ttl_ms / 1000);

	/* Sets made earlier with other sizes are used as they are: each add
	 * carries its own timeout; maxelem changes need synguard-rules remove. */
	if (rc == -IPSET_ERR_EXIST || rc == -EEXIST) {
		log_notice("fast-path sets exist with other parameters; using them as they are");
		rc = 0;
	}
	if (rc == 0)
		sg->ipset = ipset_open();
	if (!sg->ipset)
		log_warn("no kernel fast path for verified sources (ipset %s/%s: %s); their SYNs "
			 "keep going through the queue", IPSET_NAME4, IPSET_NAME6,
			 rc ? strerror(-rc > 4095 ? EPROTO : -rc) : strerror(errno));
}

static int setup(struct synguard *sg)
{
	sg->policy.conf = &sg->conf;
	sg->policy.cookies = &sg->cookies;
	sg->policy.verified = &sg->verified;
	sg->policy.retrans = &sg->retrans;
	sg->policy.stats = &sg->stats;
	if (keys_init(sg) < 0 || tables_init(sg) < 0)
		return -1;
	policy_init(&sg->policy, clock_mono_ms());
	watch_init(sg, clock_mono_ms());
	census_open(sg);
	sg->tx = tx_open(sg->conf.mark);
	sg->ptx = tx_open(sg->conf.mark);
	sg->ptx_plain = tx_open(0);
	if (!sg->tx || !sg->ptx || !sg->ptx_plain || daemon_proxy_ensure(sg) < 0 ||
	    open_queue(sg, &sg->syn_q, sg->conf.queue) < 0 ||
	    open_queue(sg, &sg->rst_q, sg->conf.rst_queue) < 0)
		return -1;
	sg->ctl = ct_ctl_open();
	if (!sg->ctl)
		log_warn("no ctnetlink socket for proxy entries: %s (the proxy cannot hand "
			 "connections over)", strerror(errno));
	open_fastpath(sg);
	sg->control = control_open(sg->loop, sg->conf.socket, admin_command, sg);
	if (!sg->control || admin_apply_groups(sg, &sg->conf) < 0)
		return -1;
	admin_load_state(sg);
	start_watchers(sg);
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
	ipset_close(sg->ipset);
	sdnotify_close(&sg->notify);
	table_free(&sg->verified);
	table_free(&sg->retrans);
	halfopen_free(&sg->halfopen);
	bucket_table_free(&sg->limits);
	hh_free(&sg->top);
	if (sg->census.ct)
		ct_census_close(sg->census.ct);
}

int daemon_run(const struct conf *conf, const char *conf_path)
{
	struct synguard *sg = calloc(1, sizeof(*sg));
	int rc = 1;

	if (!sg)
		return 1;
	sg->conf = *conf;
	sg->conf_path = conf_path;
	sg->started_ms = clock_mono_ms();
	log_set_level(conf->log_level);
	sg->loop = ev_default_loop(EVFLAG_AUTO);
	sdnotify_init(&sg->notify);
	if (sg->loop && setup(sg) == 0) {
		sg->running = 1;
		log_settings(sg);
		daemon_notify_status(sg, "READY=1\n");
		ev_run(sg->loop, 0);
		rc = 0;
	}
	teardown(sg);
	conf_free(&sg->conf);
	free(sg);
	return rc;
}
