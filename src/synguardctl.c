/* synguardctl: talk to synguardd over its control socket and render the
 * answers for people (aligned text, the live top view) or programs (JSON,
 * Prometheus). */
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "control.h"
#include "render.h"

#define REPLY_MAX (CONTROL_OUT_MAX + 1)

static void usage(FILE *out)
{
	fprintf(out,
		"usage: synguardctl [-s SOCKET] COMMAND [ARGUMENT] [--json | --prometheus]\n"
		"  -s SOCKET  control socket (default " CONF_DEFAULT_SOCKET ")\n"
		"read-only commands:\n"
		"  stats [--json | --prometheus]  counters, gauges and per-service figures\n"
		"  census [--json | --prometheus] count conntrack TCP entries per service and\n"
		"                     state now (waits for the daemon's census, at most 15 s)\n"
		"  top [COUNT]        live view, refreshed every second: per-service SYN/s,\n"
		"                     challenges/s, half-open, completion, attack state, and\n"
		"                     the top sources; COUNT screens then exit (default: until\n"
		"                     interrupted); plain frames when not on a terminal\n"
		"  ping               check that the daemon answers\n"
		"  version            daemon and protocol version\n"
		"state-changing commands (root and admin_group):\n"
		"  reload             re-read the configuration file\n"
		"  verify ADDRESS     trust a source for verified_ttl\n"
		"  unverify ADDRESS   stop trusting a source\n"
		"  clear-counters     reset the counters\n");
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "synguardctl: socket path too long: %s\n", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "synguardctl: cannot connect to %s: %s (is synguardd running?)\n",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Send one request and read its reply up to the terminating empty line. */
static int request(const char *path, const char *line, char *reply, size_t cap)
{
	int fd = connect_to(path);
	size_t len = 0;

	if (fd < 0)
		return -1;
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "synguardctl: send: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	while (len + 1 < cap) {
		ssize_t n = recv(fd, reply + len, cap - 1 - len, 0);

		if (n <= 0)
			break;
		len += (size_t)n;
		reply[len] = '\0';
		if (strstr(reply, "\n\n"))
			break;
	}
	close(fd);
	reply[len] = '\0';
	return 0;
}

/* Split "synguard/1 ok\nbody\n\n": returns the body or NULL on error. */
static char *reply_body(char *reply)
{
	size_t plen = strlen(CONTROL_PROTO);
	char *nl = strchr(reply, '\n');
	char *end;

	if (strncmp(reply, CONTROL_PROTO " ", plen + 1) != 0 || !nl) {
		fprintf(stderr, "synguardctl: unexpected reply (protocol mismatch?)\n");
		return NULL;
	}
	*nl = '\0';
	if (strncmp(reply + plen + 1, "ok", 2) != 0) {
		fprintf(stderr, "synguardctl: daemon says: %s\n", reply + plen + 1);
		return NULL;
	}
	end = strstr(nl + 1, "\n\n");
	if (end)
		end[1] = '\0';
	return nl + 1;
}

/* --- top ------------------------------------------------------------------ */

#define TOP_SVC_MAX 65
#define TOP_SRC_MAX 20

struct top_svc {
	char name[64];
	unsigned long long attack, syn_rate, challenge_rate, halfopen;
	double ratio;		/* < 0: none */
};

struct top_view {
	char mode[16];
	unsigned long long uptime, verified, window_syns;
	struct top_svc svc[TOP_SVC_MAX];
	unsigned nsvc;
	char src[TOP_SRC_MAX][64];
	unsigned long long src_syns[TOP_SRC_MAX], src_min[TOP_SRC_MAX];
	unsigned nsrc;
};

/* 'family{key="value"} number' -> value of the only label, number. */
static int labelled(const char *line, const char *family, char *label, size_t size, double *v)
{
	size_t fl = strlen(family);
	const char *q, *end;

	if (strncmp(line, family, fl) != 0 || line[fl] != '{' || !(q = strchr(line, '"')) ||
	    !(end = strchr(q + 1, '"')) || (size_t)(end - q - 1) >= size || !strstr(end, "} "))
		return 0;
	snprintf(label, size, "%.*s", (int)(end - q - 1), q + 1);
	*v = strtod(strstr(end, "} ") + 2, NULL);
	return 1;
}

static struct top_svc *top_find(struct top_view *t, const char *name)
{
	for (unsigned i = 0; i < t->nsvc; i++)
		if (strcmp(t->svc[i].name, name) == 0)
			return &t->svc[i];
	if (t->nsvc == TOP_SVC_MAX)
		return NULL;
	t->svc[t->nsvc] = (struct top_svc){ .ratio = -1 };
	snprintf(t->svc[t->nsvc].name, sizeof(t->svc[0].name), "%s", name);
	return &t->svc[t->nsvc++];
}

/* 'key number': *v = number (the daemon's own stats lines; a value that
 * does not parse leaves *v as it was). */
static void stat_u64(const char *line, const char *key, unsigned long long *v)
{
	size_t kl = strlen(key);
	unsigned long long x;
	char *end;

	if (strncmp(line, key, kl) != 0 || line[kl] != ' ')
		return;
	errno = 0;
	x = strtoull(line + kl + 1, &end, 10);
	if (!errno && end != line + kl + 1)
		*v = x;
}

static void top_line(struct top_view *t, const char *line)
{
	static const char *const fams[] = { "svc_attack", "svc_syn_rate", "svc_challenge_rate",
					    "svc_halfopen", "svc_completion_ratio" };
	char label[64];
	struct top_svc *sv;
	double v;

	sscanf(line, "mode %15s", t->mode);
	stat_u64(line, "uptime_s", &t->uptime);
	stat_u64(line, "verified_sources", &t->verified);
	stat_u64(line, "top_window_syns", &t->window_syns);
	if (labelled(line, "top_source_min", label, sizeof(label), &v)) {
		for (unsigned i = 0; i < t->nsrc; i++)
			if (strcmp(t->src[i], label) == 0)
				t->src_min[i] = (unsigned long long)v;
		return;
	}
	if (labelled(line, "top_source", label, sizeof(label), &v) && t->nsrc < TOP_SRC_MAX) {
		snprintf(t->src[t->nsrc], sizeof(t->src[0]), "%s", label);
		t->src_syns[t->nsrc++] = (unsigned long long)v;
		return;
	}
	for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		if (!labelled(line, fams[i], label, sizeof(label), &v) || !(sv = top_find(t, label)))
			continue;
		switch (i) {
		case 0: sv->attack = (unsigned long long)v; break;
		case 1: sv->syn_rate = (unsigned long long)v; break;
		case 2: sv->challenge_rate = (unsigned long long)v; break;
		case 3: sv->halfopen = (unsigned long long)v; break;
		default: sv->ratio = v; break;
		}
	}
}

static void top_draw(const struct top_view *t, int tty)
{
	char when[16], ratio[16];
	time_t now = time(NULL);

	strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
	if (tty)
		fputs("\033[H\033[2J", stdout);
	printf("synguard top - %s  mode %s  up %llus  %llu verified sources  %llu SYN/s\n\n",
	       when, t->mode, t->uptime, t->verified, t->window_syns);
	printf("%-20s %-8s %10s %10s %10s %10s\n", "SERVICE", "STATE", "SYN/s", "CHALL/s",
	       "HALF-OPEN", "COMPLETE");
	for (unsigned i = 0; i < t->nsvc; i++) {
		const struct top_svc *sv = &t->svc[i];

		if (sv->ratio < 0)
			snprintf(ratio, sizeof(ratio), "-");
		else
			snprintf(ratio, sizeof(ratio), "%.1f%%", sv->ratio * 100.);
		printf("%-20s %-8s %10llu %10llu %10llu %10s\n", sv->name,
		       sv->attack ? "ATTACK" : "passive", sv->syn_rate, sv->challenge_rate,
		       sv->halfopen, ratio);
	}
	/* Space-Saving: at most COUNT, at least CERTAIN; far apart under a widely
	 * spoofed flood, where no single source is heavy. */
	printf("\n%-44s %10s %10s\n", "TOP SOURCES (last second)", "SYN/s", "CERTAIN");
	for (unsigned i = 0; i < t->nsrc; i++)
		printf("%-44s %10llu %10llu\n", t->src[i], t->src_syns[i], t->src_min[i]);
	if (!tty)
		putchar('\n');
	fflush(stdout);
}

static volatile sig_atomic_t stop_top;

static void on_stop(int sig)
{
	stop_top = 1;
}

static int cmd_top(const char *path, long count)
{
	static char reply[REPLY_MAX];
	int tty = isatty(STDOUT_FILENO);
	struct timespec tick = { 1, 0 };

	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	for (long n = 0; !stop_top && (count <= 0 || n < count); n++) {
		struct top_view t = { .mode = "?" };
		char *body, *save = NULL;

		if (n > 0)
			nanosleep(&tick, NULL);
		if (request(path, "top\n", reply, sizeof(reply)) < 0 || !(body = reply_body(reply)))
			return 1;
		for (char *l = strtok_r(body, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			top_line(&t, l);
		top_draw(&t, tty);
	}
	return 0;
}

/* --- census ---------------------------------------------------------------- */

static unsigned long long body_value(const char *body, const char *name)
{
	size_t nl = strlen(name);

	for (const char *p = body; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, name, nl) == 0 && p[nl] == ' ')
			return strtoull(p + nl + 1, NULL, 10);
	return 0;
}

/* Ask for a fresh census and wait for it: the daemon runs it in its loop
 * and answers at once, so poll until the generation moves on. */
static char *census_wait(const char *path, char *reply, size_t cap)
{
	struct timespec pause = { 0, 50L * 1000 * 1000 };
	unsigned long long gen;
	char *body;

	if (request(path, "census refresh\n", reply, cap) < 0 || !(body = reply_body(reply)))
		return NULL;
	gen = body_value(body, "census_wait_generation");
	for (int i = 0; i < 300; i++) {
		nanosleep(&pause, NULL);
		if (request(path, "census\n", reply, cap) < 0 || !(body = reply_body(reply)))
			return NULL;
		if (body_value(body, "census_generation") >= gen &&
		    !body_value(body, "census_running")) {
			if (body_value(body, "census_failed")) {
				fprintf(stderr, "synguardctl: the census failed (see the daemon's log)\n");
				return NULL;
			}
			return body;
		}
	}
	fprintf(stderr, "synguardctl: no census result within 15 s\n");
	return NULL;
}

int main(int argc, char **argv)
{
	const char *path = CONF_DEFAULT_SOCKET;
	static char reply[REPLY_MAX];
	enum render_format fmt = RENDER_TEXT;
	int opt;
	char line[CONTROL_LINE_MAX];
	size_t len;
	char *body;

	while ((opt = getopt(argc, argv, "+s:h")) != -1) {
		switch (opt) {
		case 's': path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	/* Each word keeps a byte free for the newline ending the request. */
	if ((size_t)snprintf(line, sizeof(line), "%s", argv[optind]) >= sizeof(line) - 1) {
		fprintf(stderr, "synguardctl: command too long\n");
		return 2;
	}
	for (int i = optind + 1; i < argc; i++) {
		len = strlen(line);

		if (strcmp(argv[i], "--json") == 0) {
			fmt = RENDER_JSON;
		} else if (strcmp(argv[i], "--prometheus") == 0) {
			fmt = RENDER_PROMETHEUS;
		} else if (strpbrk(argv[i], " \t\r\n") ||
			   (size_t)snprintf(line + len, sizeof(line) - len, " %s", argv[i]) >=
				   sizeof(line) - len - 1) {
			fprintf(stderr, "synguardctl: invalid argument '%s'\n", argv[i]);
			return 2;
		}
	}
	/* Other words go to the daemon as they are: it knows its commands (and
	 * a newer daemon may know more) and answers unknown ones with an error. */
	if (strpbrk(argv[optind], " \t\r\n")) {
		fprintf(stderr, "synguardctl: invalid command '%s'\n", argv[optind]);
		return 2;
	}
	if (strcmp(argv[optind], "top") == 0) {
		char *end = NULL;
		long count = optind + 1 < argc ? strtol(argv[optind + 1], &end, 10) : 0;

		if (optind + 2 < argc || (end && (*end || end == argv[optind + 1] || count < 0))) {
			fprintf(stderr, "synguardctl: top takes one optional COUNT of screens\n");
			return 2;
		}
		return cmd_top(path, count);
	}
	len = strlen(line);
	memcpy(line + len, "\n", 2);
	if (strcmp(line, "census\n") == 0)
		body = census_wait(path, reply, sizeof(reply));
	else if (request(path, line, reply, sizeof(reply)) < 0)
		return 1;
	else
		body = reply_body(reply);
	if (!body)
		return 1;
	render_body(body, fmt, stdout);
	return 0;
}
