/* admin: what operators do to a running daemon: the control-socket
 * commands (read-only ones for everybody on the socket, state-changing ones
 * for root and admin_group), configuration reload that keeps every table,
 * and the verified sources saved across restarts. */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "census.h"
#include "clock.h"
#include "control.h"
#include "fastpath.h"
#include "handover.h"
#include "log.h"
#include "nfq.h"
#include "policy.h"
#include "sdnotify.h"
#include "state.h"
#include "synguard.h"
#include "tx.h"
#include "watch.h"

static void put_stat(const char *name, const char *help, uint64_t value, void *arg)
{
	control_printf(arg, "%s %llu\n", name, (unsigned long long)value);
}

static void put_service(struct synguard *sg, unsigned i, struct control_reply *r);

static void put_reason(const char *name, const char *help, uint64_t value, void *arg)
{
	(void)help;
	control_printf(arg, "packets_by_reason{reason=\"%s\"} %llu\n", name,
		       (unsigned long long)value);
}

static void cmd_stats(struct synguard *sg, struct control_reply *r)
{
	uint64_t now = clock_mono_ms();

	stats_foreach(&sg->stats, put_stat, r);
	control_printf(r, "verified_sources %zu\n", sg->verified.count);
	control_printf(r, "verified_capacity %zu\n", table_capacity(&sg->verified));
	control_printf(r, "challenged_syns %zu\n", sg->retrans.count);
	control_printf(r, "halfopen_entries %zu\n", sg->halfopen.t.count);
	control_printf(r, "halfopen_capacity %zu\n", table_capacity(&sg->halfopen.t));
	control_printf(r, "halfopen_evictions %llu\n", (unsigned long long)sg->halfopen.t.evictions);
	control_printf(r, "limit_buckets %zu\n", sg->limits.t.count);
	control_printf(r, "limit_evictions %llu\n", (unsigned long long)sg->limits.t.evictions);
	control_printf(r, "control_evicted %llu\n", control_evictions(sg->control));
	control_printf(r, "queue_waiting %llu\n", (unsigned long long)sg->qproc.waiting);
	control_printf(r, "queue_full_dropped %llu\n", (unsigned long long)sg->qproc.dropped);
	control_printf(r, "queue_socket_dropped %llu\n", (unsigned long long)sg->qproc.user_dropped);
	control_printf(r, "verdict_latency_p50_us %llu\n",
		       (unsigned long long)lat_quantile(&sg->lat, 0.5));
	control_printf(r, "verdict_latency_p99_us %llu\n",
		       (unsigned long long)lat_quantile(&sg->lat, 0.99));
	control_printf(r, "verdict_latency_samples %llu\n", (unsigned long long)lat_count(&sg->lat));
	control_printf(r, "services_under_attack %u\n", watch_attacked(sg));
	control_printf(r, "uptime_s %llu\n", (unsigned long long)((now - sg->started_ms) / 1000));
	control_printf(r, "mode %s\n", conf_mode_name(sg->conf.mode));
	/* Labelled lines after every plain one (JSON groups them at the end). */
	stats_foreach_reason(&sg->stats, put_reason, r);
	for (unsigned i = 0; i < POLICY_SVC_MAX; i++)
		if (watch_shown(sg, i))
			put_service(sg, i, r);
}

/* "NAME{service="web"} value" lines, the service-major order people read;
 * the renderer regroups them for Prometheus. */
static void put_svc(struct control_reply *r, const char *svc, const char *name, uint64_t v)
{
	control_printf(r, "svc_%s{service=\"%s\"} %llu\n", name, svc, (unsigned long long)v);
}

/* The server options the proxy announces for the service: learned from the
 * server's SYN+ACKs (samples > 0) or configured, else the defaults. */
static void put_server_opts(struct synguard *sg, unsigned i, const char *n,
			    struct control_reply *r)
{
	struct policy_opts o;

	policy_server_opts(&sg->policy, i, AF_INET, &o);
	put_svc(r, n, "server_samples", o.n);
	put_svc(r, n, "server_mss", o.mss);
	put_svc(r, n, "server_wscale", o.wscale == PKT_NO_WSCALE ? 15 : o.wscale);
	put_svc(r, n, "server_sack", o.sack);
	put_svc(r, n, "server_ts", o.ts);
	put_svc(r, n, "proxy", conf_service_challenge(&sg->conf, i) != CONF_CHALLENGE_AUTH);
}

static void put_service(struct synguard *sg, unsigned i, struct control_reply *r)
{
	const struct ho_svc *h = &sg->halfopen.svc[i];
	const struct policy_svc *p = &sg->policy.svc[i];
	const struct sg_svc *s = &sg->svc[i];
	const char *n = conf_service_name(&sg->conf, i < sg->conf.nservices ? i : 1000);
	double ratio = watch_ratio(sg, i);

	put_svc(r, n, "attack", s->det.state == DETECT_ATTACK);
	put_svc(r, n, "challenging", policy_challenging(&sg->policy, i));
	put_svc(r, n, "halfopen", h->halfopen);
	put_svc(r, n, "syn_rate", s->syn_rate);
	put_svc(r, n, "unverified_rate", s->unverified_rate);
	put_svc(r, n, "challenge_rate", s->challenge_rate);
	put_svc(r, n, "completed_rate", s->completed_rate);
	put_svc(r, n, "expired_rate", s->expired_rate);
	if (ratio >= 0)
		control_printf(r, "svc_completion_ratio{service=\"%s\"} %.4f\n", n, ratio);
	put_svc(r, n, "handshake_p50_us", halfopen_quantile(&sg->halfopen, i, 0.5));
	put_svc(r, n, "handshake_p99_us", halfopen_quantile(&sg->halfopen, i, 0.99));
	put_svc(r, n, "syns", p->syn);
	put_svc(r, n, "syns_unverified", p->syn_unverified);
	put_svc(r, n, "syns_accepted", p->accepted);
	put_svc(r, n, "syns_limited", p->limited);
	put_svc(r, n, "challenges", p->challenges);
	put_svc(r, n, "handshakes_completed", h->completed);
	put_svc(r, n, "handshakes_expired", h->expired);
	put_svc(r, n, "handshakes_reset", h->reset);
	put_svc(r, n, "handshakes_evicted", h->evicted);
	put_svc(r, n, "attacks", s->det.attacks);
	put_server_opts(sg, i, n, r);
}

/* The last completed census; "census refresh" starts a new one (the reply
 * comes at once: synguardctl polls for the next generation). */
static void cmd_census(struct synguard *sg, const char *args, struct control_reply *r)
{
	const struct census_figures *f;

	if (!sg->census) {
		control_error(r, "no conntrack census: the ctnetlink socket could not be opened");
		return;
	}
	if (strcmp(args, "refresh") == 0) {
		census_start(sg->census);
		control_printf(r, "census_wait_generation %llu\n",
			       (unsigned long long)census_next_generation(sg->census));
	} else if (args[0]) {
		control_error(r, "unknown census argument '%.40s' (known: refresh)", args);
		return;
	}
	f = census_figures(sg->census);
	control_printf(r, "census_generation %llu\n", (unsigned long long)f->generation);
	control_printf(r, "census_running %d\n", census_running(sg->census));
	control_printf(r, "census_age_ms %llu\n", (unsigned long long)(f->generation ?
		       clock_mono_ms() - f->done_ms : 0));
	control_printf(r, "census_duration_ms %llu\n", (unsigned long long)f->duration_ms);
	control_printf(r, "census_failed %d\n", f->failed);
	control_printf(r, "census_entries %llu\n", (unsigned long long)f->entries);
	control_printf(r, "census_tcp_entries %llu\n", (unsigned long long)f->tcp_entries);
	control_printf(r, "census_truncated %d\n", f->truncated);
	for (unsigned i = 0; i < POLICY_SVC_MAX; i++) {
		if (i >= sg->conf.nservices && i != POLICY_SVC_CATCHALL)
			continue;
		for (unsigned st = 0; st < CT_NSTATES; st++)
			control_printf(r, "census{service=\"%s\",state=\"%s\"} %llu\n",
				       conf_service_name(&sg->conf, i < sg->conf.nservices ? i : 1000),
				       ct_state_name(st), (unsigned long long)f->count[i][st]);
	}
}

static void put_source(const struct conf *c, const struct hh_entry *e, struct control_reply *r)
{
	char a[INET6_ADDRSTRLEN];
	int v6 = (e->key[0] & 0x0f) == 6;

	inet_ntop(v6 ? AF_INET6 : AF_INET, e->key + 1, a, sizeof(a));
	/* count may overestimate by error (Space-Saving); count - error is
	 * certain.  Under a widely spoofed flood they differ: the list is noise. */
	control_printf(r, "top_source{source=\"%s/%u\"} %llu\n", a,
		       v6 ? c->limit_prefix6 : c->limit_prefix4, (unsigned long long)e->count);
	control_printf(r, "top_source_min{source=\"%s/%u\"} %llu\n", a,
		       v6 ? c->limit_prefix6 : c->limit_prefix4,
		       (unsigned long long)(e->count - e->error));
}

/* The last one-second window: what synguardctl top draws. */
static void cmd_top(struct synguard *sg, struct control_reply *r)
{
	control_printf(r, "mode %s\n", conf_mode_name(sg->conf.mode));
	control_printf(r, "uptime_s %llu\n",
		       (unsigned long long)((clock_mono_ms() - sg->started_ms) / 1000));
	control_printf(r, "verified_sources %zu\n", sg->verified.count);
	control_printf(r, "syn_total %llu\n", (unsigned long long)sg->stats.syn);
	control_printf(r, "top_window_syns %llu\n", (unsigned long long)sg->top_total_last);
	for (unsigned i = 0; i < POLICY_SVC_MAX; i++) {
		const struct sg_svc *s = &sg->svc[i];
		const char *n = conf_service_name(&sg->conf, i < sg->conf.nservices ? i : 1000);
		double ratio = watch_ratio(sg, i);

		if (!watch_shown(sg, i))
			continue;
		put_svc(r, n, "attack", s->det.state == DETECT_ATTACK);
		put_svc(r, n, "syn_rate", s->syn_rate);
		put_svc(r, n, "challenge_rate", s->challenge_rate);
		put_svc(r, n, "halfopen", sg->halfopen.svc[i].halfopen);
		if (ratio >= 0)
			control_printf(r, "svc_completion_ratio{service=\"%s\"} %.4f\n", n, ratio);
	}
	for (size_t i = 0; i < sg->ntop_last; i++)
		put_source(&sg->conf, &sg->top_last[i], r);
}

/* "192.0.2.7" or "2001:db8::1" -> family and 16 address bytes. */
static int parse_addr(const char *s, int *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	*family = strchr(s, ':') ? AF_INET6 : AF_INET;
	return inet_pton(*family, s, addr) == 1 ? 0 : -1;
}

static void cmd_verify(struct synguard *sg, const char *args, int add, struct control_reply *r)
{
	uint8_t addr[16], key[POLICY_SRCKEY_LEN];
	int family;

	if (parse_addr(args, &family, addr) < 0) {
		control_error(r, "'%.64s' is not an IPv4 or IPv6 address", args);
		return;
	}
	if (add) {
		policy_verify_source(&sg->policy, family, addr, clock_mono_ms());
		fastpath_verified(&sg->fast, family, addr, sg->conf.verified_ttl_ms);
	} else {
		policy_source_key(&sg->conf, family, addr, key);
		if (table_remove(&sg->verified, key) < 0) {
			control_error(r, "%.64s is not verified", args);
			return;
		}
		fastpath_forget(&sg->fast, family, addr);
	}
	fastpath_flush(&sg->fast);
	control_printf(r, "%s %s\n", add ? "verified" : "unverified", args);
}

static void cmd_reload(struct synguard *sg, struct control_reply *r)
{
	char errs[1024] = "";
	int n = admin_reload(sg, errs, sizeof(errs));

	if (n)
		control_error(r, "%d error%s, running configuration kept: %s", n, n == 1 ? "" : "s",
			      errs);
	else
		control_printf(r, "reloaded %s\n", sg->conf_path);
}

static const char *const admin_cmds[] = { "reload", "verify", "unverify", "clear-counters", NULL };

static int is_admin_cmd(const char *cmd)
{
	for (const char *const *c = admin_cmds; *c; c++)
		if (strcmp(*c, cmd) == 0)
			return 1;
	return 0;
}

void admin_command(void *arg, const char *cmd, const char *args, struct control_reply *r)
{
	struct synguard *sg = arg;

	if (is_admin_cmd(cmd) && !r->admin) {
		control_error(r, "'%s' changes state: only root and members of admin_group may", cmd);
		return;
	}
	if (strcmp(cmd, "stats") == 0)
		cmd_stats(sg, r);
	else if (strcmp(cmd, "census") == 0)
		cmd_census(sg, args, r);
	else if (strcmp(cmd, "top") == 0)
		cmd_top(sg, r);
	else if (strcmp(cmd, "ping") == 0)
		control_printf(r, "pong\n");
	else if (strcmp(cmd, "version") == 0)
		control_printf(r, "version %s\nprotocol %s\n", PACKAGE_VERSION, CONTROL_PROTO);
	else if (strcmp(cmd, "reload") == 0)
		cmd_reload(sg, r);
	else if (strcmp(cmd, "verify") == 0 || strcmp(cmd, "unverify") == 0)
		cmd_verify(sg, args, cmd[0] == 'v', r);
	else if (strcmp(cmd, "clear-counters") == 0) {
		memset(&sg->stats, 0, sizeof(sg->stats));
		control_printf(r, "counters cleared\n");
	} else
		control_error(r, "unknown command '%.40s' (known: stats, census, top, ping, version, "
			      "reload, verify, unverify, clear-counters)", cmd);
}

static void notify_reloading(struct synguard *sg)
{
	char msg[80];
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	sdnotify_send(&sg->notify, msg);
}

/* "" -> (unsigned)-1 (none), a number, or a group name from the system. */
static int resolve_group(const char *name, unsigned *gid)
{
	const struct group *g;
	char *end;

	*gid = (unsigned)-1;
	if (!name[0])
		return 0;
	*gid = (unsigned)strtoul(name, &end, 10);
	if (*end == '\0')
		return 0;
	g = getgrnam(name);
	if (!g) {
		log_err("group '%s' does not exist", name);
		return -1;
	}
	*gid = g->gr_gid;
	return 0;
}

/* Hands the control socket to c's socket_group and admin_group: c is
 * sg->conf at start, and on reload the new configuration before it
 * replaces sg->conf (a group that does not exist fails the reload). */
int admin_apply_groups(struct synguard *sg, const struct conf *c)
{
	unsigned sock_gid, admin_gid;

	if (resolve_group(c->socket_group, &sock_gid) < 0 ||
	    resolve_group(c->admin_group, &admin_gid) < 0)
		return -1;
	if (sock_gid == (unsigned)-1)
		sock_gid = (unsigned)getegid();	/* back to the daemon's own group */
	return control_set_groups(sg->control, sock_gid, admin_gid);
}

/* --- state across restarts ------------------------------------------------------ */

static void load_entry(void *arg, int family, const uint8_t addr[16], uint64_t ms_left)
{
	struct synguard *sg = arg;
	uint8_t key[POLICY_SRCKEY_LEN];
	uint64_t now = clock_mono_ms();

	/* A TTL shortened since the save applies to saved entries too. */
	if (ms_left > sg->conf.verified_ttl_ms)
		ms_left = sg->conf.verified_ttl_ms;
	policy_source_key(&sg->conf, family, addr, key);
	table_insert(&sg->verified, key, 0, now + ms_left, now);
	fastpath_verified(&sg->fast, family, addr, ms_left);
}

/* After a kill -9 the program it left kept the verified sources: they are
 * the daemon's again (and so the state file's). */
void admin_adopt_sources(struct synguard *sg)
{
	int n = fastpath_adopted(&sg->fast, load_entry, sg);

	if (n > 0) {
		fastpath_flush(&sg->fast);
		log_info("kernel fast path: %d verified sources taken over from the program a "
			 "stopped synguardd left", n);
	}
}

void admin_load_state(struct synguard *sg)
{
	char err[400];
	int n;

	if (!sg->conf.state_file[0])
		return;
	n = state_load(sg->conf.state_file, clock_wall_ms(), load_entry, sg, err, sizeof(err));
	if (n < 0) {
		log_err("state: %s; ignored, starting with no verified sources", err);
		return;
	}
	fastpath_flush(&sg->fast);
	log_info("state: %d verified sources loaded from %s", n, sg->conf.state_file);
}

/* The periodic writer ended with this wait status (the loop owner reaps
 * it: libev's default loop reaps every child through its SIGCHLD watcher). */
void admin_state_written(struct synguard *sg, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		sg->stats.state_saves++;
	else
		sg->stats.state_save_errors++;
	sg->state_writer = 0;
}

/* At exit: wait for a writer still running (the loop no longer reaps). */
static void wait_writer(struct synguard *sg)
{
	int status;
	pid_t r;

	if (sg->state_writer <= 0)
		return;
	do
		r = waitpid(sg->state_writer, &status, 0);
	while (r < 0 && errno == EINTR);
	if (r == sg->state_writer)
		admin_state_written(sg, status);
	sg->state_writer = 0;	/* ECHILD: reaped by the loop, its event lost */
}

static int write_state(struct synguard *sg)
{
	int n = state_save(sg->conf.state_file, &sg->verified, sg->conf.verified_prefix4,
			   sg->conf.verified_prefix6, clock_mono_ms(), clock_wall_ms());

	if (n < 0)
		log_err("state: cannot write %s: %s", sg->conf.state_file, strerror(errno));
	return n;
}

/* At exit (after the periodic writer, which writes the same temporary
 * file). */
void admin_save_state(struct synguard *sg)
{
	int n;

	if (!sg->conf.state_file[0] || !sg->running)
		return;
	wait_writer(sg);
	n = write_state(sg);
	if (n < 0) {
		sg->stats.state_save_errors++;
		return;
	}
	sg->stats.state_saves++;
	log_info("state: %d verified sources saved to %s", n, sg->conf.state_file);
}

/* Closes every descriptor from 'first' on. */
static void close_from(int first)
{
	long max;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)first, ~0u, 0u) == 0)
		return;
#endif
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = first; fd < max; fd++)
		(void)close(fd);
}

/* Every state_interval the verified sources are written by a forked child:
 * it writes a copy-on-write snapshot of the table while the loop goes on
 * (a table of a million sources takes a second to write), so a kill -9
 * loses at most one interval's verifications.  The child holds nothing but
 * the file (every other descriptor closed: no queue stays bound through
 * it) and dies with its parent; the file is replaced atomically by
 * state_save (temporary file, fsync, rename). */
pid_t admin_state_tick(struct synguard *sg, uint64_t now_ms)
{
	pid_t pid, parent;

	if (!sg->conf.state_file[0] || !sg->conf.state_interval_ms || !sg->running)
		return 0;
	if (!sg->state_due_ms)
		sg->state_due_ms = now_ms + sg->conf.state_interval_ms;
	if (now_ms < sg->state_due_ms || sg->state_writer > 0)
		return 0;
	sg->state_due_ms = now_ms + sg->conf.state_interval_ms;
	parent = getpid();
	pid = fork();
	if (pid < 0) {
		sg->stats.state_save_errors++;
		log_rl_at(LOG_WARNING, "state: cannot fork the writer: %s", strerror(errno));
		return 0;
	}
	if (pid == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)	/* it died before the line above */
			_exit(1);
		close_from(3);
		_exit(write_state(sg) < 0 ? 1 : 0);
	}
	sg->state_writer = pid;
	return pid;
}

/* Append one error line to errs ("; "-separated) and log it. */
static void add_error(char *errs, size_t errlen, const char *line)
{
	size_t used = strlen(errs);

	log_err("reload: %s", line);
	if (used + 1 < errlen)	/* what does not fit is cut (the log has it whole) */
		snprintf(errs + used, errlen - used, "%s%s", used ? "; " : "", line);
}

/* Parse the file into *next; returns the number of errors (into errs). */
static int parse_next(struct synguard *sg, struct conf *next, char *errs, size_t errlen)
{
	char *text = NULL;
	size_t textlen = 0;
	FILE *mem = open_memstream(&text, &textlen);
	int errors;

	conf_defaults(next);
	errors = conf_load(next, sg->conf_path, mem ? mem : stderr);
	if (mem)
		fclose(mem);
	for (char *line = errors && text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n"))
		add_error(errs, errlen, line);
	free(text);
	return errors < 0 ? 1 : errors;
}

static int services_changed(const struct conf *cur, const struct conf *next)
{
	return cur->nservices != next->nservices ||
	       memcmp(cur->services, next->services, sizeof(cur->services[0]) * cur->nservices) != 0;
}

/* What the rest of the daemon must be told of the new configuration (now
 * sg->conf; old is the one it replaced).  When the service list changes,
 * per-service figures start again (an index may now name another service). */
static void apply_watch(struct synguard *sg, const struct conf *old)
{
	if (services_changed(old, &sg->conf)) {
		log_notice("reload: services changed; per-service figures start again");
		memset(sg->policy.svc, 0, sizeof(sg->policy.svc));
		memset(sg->svc, 0, sizeof(sg->svc));
		memset(sg->halfopen.svc, 0, sizeof(sg->halfopen.svc));
		watch_init(sg, clock_mono_ms());
	}
	halfopen_set_timeout(&sg->halfopen, (uint64_t)sg->conf.halfopen_timeout_ms * 1000);
	if (handover_ensure_table(sg) < 0)
		log_err("reload: the proxy is not available; proxied services use auth");
}

/* A mark the sockets refuse leaves the running one in place (on both the
 * cookie and the proxy socket: the rules exempt one mark from tracking). */
static void apply_live(struct synguard *sg, const struct conf *old)
{
	struct nfq_params np;

	if (sg->conf.mark != old->mark && (tx_set_mark(sg->tx, sg->conf.mark) < 0 ||
					   tx_set_mark(sg->ptx, sg->conf.mark) < 0)) {
		tx_set_mark(sg->tx, old->mark);
		sg->conf.mark = old->mark;
	}
	log_set_level(sg->conf.log_level);
	memset(&np, 0, sizeof(np));
	np.error_verdict = sg_error_verdict(&sg->conf);
	np.fail_open = sg->conf.fail_open;
	np.queue_maxlen = sg->conf.queue_maxlen;
	if (nfq_reconfigure(sg->syn_q.nfq, &np) < 0 || nfq_reconfigure(sg->rst_q.nfq, &np) < 0)
		log_warn("reload: cannot update queue settings: %s", strerror(errno));
}

/* The running values of the restart-only keys go into next, which then
 * replaces the running configuration as a whole; the old one's lists are
 * freed with it. */
static void swap_in(struct synguard *sg, struct conf *next)
{
	char changed[512];
	struct conf old;
	int n = conf_keep_restart_only(&sg->conf, next, changed, sizeof(changed));

	if (n)
		log_warn("reload: %s changed: restart-only, running value%s kept until restart",
			 changed, n == 1 ? "" : "s");
	old = sg->conf;
	sg->conf = *next;
	apply_live(sg, &old);
	apply_watch(sg, &old);
	fastpath_sync(&sg->fast, &sg->policy);
	conf_free(&old);
}

/* Parse into a new struct; apply only if it is valid (groups included).
 * Returns the number of errors (their text, joined by "; ", in errs). */
int admin_reload(struct synguard *sg, char *errs, size_t errlen)
{
	struct conf next;
	int errors = parse_next(sg, &next, errs, errlen);

	if (errors == 0 && admin_apply_groups(sg, &next) < 0) {
		add_error(errs, errlen, "socket_group or admin_group: no such group, or the "
			  "socket cannot be given to it");
		errors = 1;
	}
	if (errors) {
		log_err("reload: %s has errors; keeping the running configuration", sg->conf_path);
		conf_free(&next);
		return errors;
	}
	notify_reloading(sg);
	swap_in(sg, &next);
	log_notice("reloaded %s: mode %s", sg->conf_path, conf_mode_name(sg->conf.mode));
	watch_status(sg, "READY=1\n");
	return 0;
}
