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
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "control.h"
#include "ipset.h"
#include "log.h"
#include "nfq.h"
#include "policy.h"
#include "sdnotify.h"
#include "state.h"
#include "synguard.h"
#include "tx.h"

static void put_stat(const char *name, const char *help, uint64_t value, void *arg)
{
	control_printf(arg, "%s %llu\n", name, (unsigned long long)value);
}

static void cmd_stats(struct synguard *sg, struct control_reply *r)
{
	uint64_t now = clock_mono_ms();

	stats_foreach(&sg->stats, put_stat, r);
	control_printf(r, "verified_sources %zu\n", sg->verified.count);
	control_printf(r, "verified_capacity %zu\n", table_capacity(&sg->verified));
	control_printf(r, "challenged_syns %zu\n", sg->retrans.count);
	control_printf(r, "uptime_s %llu\n", (unsigned long long)((now - sg->started_ms) / 1000));
	control_printf(r, "mode %s\n", sg->conf.mode == CONF_MODE_MONITOR ? "monitor" : "always");
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
	policy_source_key(&sg->conf, family, addr, key);
	if (add) {
		policy_verify_source(&sg->policy, family, addr, clock_mono_ms());
		if (sg->ipset)
			daemon_fastpath_key(sg, family, key, sg->conf.verified_ttl_ms / 1000);
	} else {
		if (table_remove(&sg->verified, key) < 0) {
			control_error(r, "%.64s is not verified", args);
			return;
		}
		if (sg->ipset)
			daemon_fastpath_key(sg, family, key, 0);
	}
	if (sg->ipset)
		daemon_fastpath_flush(sg);
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
		control_error(r, "unknown command '%.40s' (known: stats, ping, version, reload, "
			      "verify, unverify, clear-counters)", cmd);
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

int admin_apply_groups(struct synguard *sg, const struct conf *c)
{
	unsigned sock_gid, admin_gid;

	if (resolve_group(c->socket_group, &sock_gid) < 0 ||
	    resolve_group(c->admin_group, &admin_gid) < 0)
		return -1;
	if (sock_gid == (unsigned)-1)
		sock_gid = (unsigned)getegid();	/* back to the daemon's own group */
	if (
	    control_set_groups(sg->control, sock_gid, admin_gid) < 0)
		return -1;
	memcpy(sg->conf.socket_group, c->socket_group, sizeof(sg->conf.socket_group));
	memcpy(sg->conf.admin_group, c->admin_group, sizeof(sg->conf.admin_group));
	return 0;
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
	if (sg->ipset)
		daemon_fastpath_key(sg, family, key, (uint32_t)((ms_left + 999) / 1000));
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
	if (sg->ipset)
		daemon_fastpath_flush(sg);
	log_info("state: %d verified sources loaded from %s", n, sg->conf.state_file);
}

void admin_save_state(struct synguard *sg)
{
	int n;

	if (!sg->conf.state_file[0] || !sg->running)
		return;
	n = state_save(sg->conf.state_file, &sg->verified, sg->conf.verified_prefix4,
		       sg->conf.verified_prefix6, clock_mono_ms(), clock_wall_ms());
	if (n < 0)
		log_err("state: cannot write %s: %s", sg->conf.state_file, strerror(errno));
	else
		log_info("state: %d verified sources saved to %s", n, sg->conf.state_file);
}

/* Append one error line to errs ("; "-separated) and log it. */
static void add_error(char *errs, size_t errlen, const char *line)
{
	log_err("reload: %s", line);
	if (errs[0] && strlen(errs) + 2 < errlen)
		strcat(errs, "; ");
	strncat(errs, line, errlen - strlen(errs) - 1);
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

/* Settings bound to allocated state, to the queues or to the cookie key
 * schedule (changing key_rotate would invalidate cookies in flight) stay
 * as they are until a restart. */
static int restart_only_changed(const struct conf *cur, const struct conf *next)
{
	return next->queue != cur->queue || next->rst_queue != cur->rst_queue ||
	       next->copy_range != cur->copy_range || next->rcvbuf != cur->rcvbuf ||
	       next->verified_max != cur->verified_max ||
	       next->retransmit_table != cur->retransmit_table ||
	       next->key_rotate_ms != cur->key_rotate_ms ||
	       strcmp(next->socket, cur->socket) != 0 ||
	       strcmp(next->secret_file, cur->secret_file) != 0 ||
	       next->verified_prefix4 != cur->verified_prefix4 ||
	       next->verified_prefix6 != cur->verified_prefix6;
}

static void apply_live(struct synguard *sg, const struct conf *next)
{
	struct nfq_params np;

	sg->conf.mode = next->mode;
	sg->conf.fail_open = next->fail_open;
	sg->conf.queue_maxlen = next->queue_maxlen;
	sg->conf.error_verdict = next->error_verdict;
	sg->conf.verified_ttl_ms = next->verified_ttl_ms;
	sg->conf.retransmit_min_ms = next->retransmit_min_ms;
	sg->conf.retransmit_max_ms = next->retransmit_max_ms;
	sg->conf.log_level = next->log_level;
	memcpy(sg->conf.state_file, next->state_file, sizeof(sg->conf.state_file));
	if (sg->conf.mark != next->mark && tx_set_mark(sg->tx, next->mark) == 0)
		sg->conf.mark = next->mark;
	log_set_level(sg->conf.log_level);
	memset(&np, 0, sizeof(np));
	np.error_verdict = daemon_error_verdict(sg);
	np.fail_open = sg->conf.fail_open;
	np.queue_maxlen = sg->conf.queue_maxlen;
	if (nfq_reconfigure(sg->syn_q.nfq, &np) < 0 || nfq_reconfigure(sg->rst_q.nfq, &np) < 0)
		log_warn("reload: cannot update queue settings: %s", strerror(errno));
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
		return errors;
	}
	notify_reloading(sg);
	if (restart_only_changed(&sg->conf, &next))
		log_warn("reload: queue, rst_queue, copy_range, rcvbuf, table sizes, prefixes, "
			 "key_rotate, socket and secret_file change only on restart; kept the "
			 "running values");
	apply_live(sg, &next);
	log_notice("reloaded %s: mode %s", sg->conf_path,
		   sg->conf.mode == CONF_MODE_MONITOR ? "monitor" : "always");
	daemon_notify_status(sg, "READY=1\n");
	return 0;
}
