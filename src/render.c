/* render: counters come from the shared STATS_COUNTERS list (with their
 * help text) so the Prometheus output can say which series are counters;
 * the daemon's gauges are listed here.  Unknown numeric names become
 * untyped samples, non-numeric values become labels of an info gauge. */
#include "render.h"

#include <string.h>

#include "stats.h"

struct metric_info {
	const char *name, *help;
	int counter;
};

static const struct metric_info metrics[] = {
#define RENDER_COUNTER(name, help) { #name, help, 1 },
	STATS_COUNTERS(RENDER_COUNTER)
#undef RENDER_COUNTER
	{ "packets_by_reason", "queued packets by the decision's reason, each counted once", 1 },
	{ "verified_sources", "sources currently verified", 0 },
	{ "verified_capacity", "verified-source table capacity", 0 },
	{ "challenged_syns", "challenged SYNs remembered for the retransmission fallback", 0 },
	{ "uptime_s", "seconds since the daemon started", 0 },
	{ "halfopen_entries", "handshakes being followed", 0 },
	{ "halfopen_capacity", "capacity of the half-open table", 0 },
	{ "halfopen_evictions", "followed handshakes evicted from a full table", 1 },
	{ "limit_buckets", "rate-limit buckets in use", 0 },
	{ "limit_evictions", "rate-limit buckets evicted from a full table", 1 },
	{ "control_evicted", "control clients closed to make room for a new one", 1 },
	{ "queue_waiting", "packets waiting in both kernel queues (last tick)", 0 },
	{ "queue_full_dropped", "packets the kernel dropped because a queue was full (not with fail_open)", 1 },
	{ "queue_socket_dropped", "packets the kernel dropped because the daemon's socket buffer was full", 1 },
	{ "verdict_latency_p50_us", "median time from the kernel's receipt of a queued packet to its verdict, microseconds (~10-20 s window)", 0 },
	{ "verdict_latency_p99_us", "99th percentile of the same", 0 },
	{ "verdict_latency_samples", "queued packets the verdict latency quantiles are over", 0 },
	{ "services_under_attack", "services whose detector says attack", 0 },
	{ "svc_attack", "1 while the service is under attack", 0 },
	{ "svc_challenging", "1 while unverified sources of the service are challenged", 0 },
	{ "svc_halfopen", "handshakes of the service being followed (half-open)", 0 },
	{ "svc_syn_rate", "SYNs per second (last second)", 0 },
	{ "svc_unverified_rate", "SYNs per second from unverified sources (last second)", 0 },
	{ "svc_challenge_rate", "cookie challenges per second (last second)", 0 },
	{ "svc_completed_rate", "handshakes completed per second (last second)", 0 },
	{ "svc_expired_rate", "half-open handshakes expired per second (last second)", 0 },
	{ "svc_completion_ratio", "completed / (completed + expired + reset), ~10 s average", 0 },
	{ "svc_handshake_p50_us", "median SYN-to-ACK handshake time, microseconds", 0 },
	{ "svc_handshake_p99_us", "99th percentile SYN-to-ACK handshake time, microseconds", 0 },
	{ "svc_syns", "SYNs to the service", 1 },
	{ "svc_syns_unverified", "SYNs from unverified sources", 1 },
	{ "svc_syns_accepted", "SYNs let through", 1 },
	{ "svc_syns_limited", "SYNs dropped by a rate limit", 1 },
	{ "svc_challenges", "cookie challenges sent", 1 },
	{ "svc_handshakes_completed", "followed handshakes completed", 1 },
	{ "svc_handshakes_expired", "followed handshakes that timed out half-open", 1 },
	{ "svc_handshakes_reset", "followed handshakes ended by a RST", 1 },
	{ "svc_handshakes_evicted", "followed handshakes evicted from a full table", 1 },
	{ "svc_attacks", "attack starts", 1 },
	{ "svc_server_samples", "server SYN+ACKs the service's options were learned from", 1 },
	{ "svc_server_mss", "server MSS the proxy announces (learned, configured or default)", 0 },
	{ "svc_server_wscale", "server window scale the proxy announces (15: none)", 0 },
	{ "svc_server_sack", "1 if the proxy announces SACK for the server", 0 },
	{ "svc_server_ts", "1 if the server's SYN+ACKs carried timestamps (the proxy drops them)", 0 },
	{ "svc_proxy", "1 if the service is challenged by the proxy (challenge proxy or auto)", 0 },
	{ "census", "conntrack TCP entries per service and state (last census)", 0 },
	{ "census_generation", "censuses completed or failed since start", 0 },
	{ "census_running", "1 while a census runs", 0 },
	{ "census_age_ms", "milliseconds since the last census ended", 0 },
	{ "census_duration_ms", "duration of the last census", 0 },
	{ "census_failed", "1 if the last census failed", 0 },
	{ "census_entries", "conntrack entries seen by the last census", 0 },
	{ "census_tcp_entries", "TCP entries counted by the last census", 0 },
	{ "census_truncated", "1 if the last census stopped at census_max", 0 },
	{ "top_source", "SYNs of the heaviest sources in the last second (may overestimate)", 0 },
	{ "top_source_min", "SYNs of the heaviest sources in the last second, certain part", 0 },
	{ "census_wait_generation", "census generation that answers a refresh request", 0 },
	{ "top_window_syns", "SYNs in the last second (heavy-hitter window)", 0 },
	{ "syn_total", "SYNs seen since start", 1 },
	{ NULL, NULL, 0 },
};

static const struct metric_info *find_metric(const char *name)
{
	for (const struct metric_info *m = metrics; m->name; m++)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

/* Digits with at most one decimal point ("12", "0.9850"). */
static int is_number(const char *s)
{
	int dots = 0;

	if (*s < '0' || *s > '9')
		return 0;
	for (; *s; s++) {
		if (*s == '.' && dots++ == 0)
			continue;
		if (*s < '0' || *s > '9')
			return 0;
	}
	return 1;
}

/* Escape for a JSON string or a Prometheus label value (same rules for
 * backslash and quote; newlines cannot occur: the body is split on them). */
static void put_quoted(const char *s, FILE *out)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", *s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

/* Metric names allow [a-zA-Z0-9_:]; anything else becomes '_'. */
static void put_metric_name(const char *name, const char *suffix, FILE *out)
{
	fputs("synguard_", out);
	for (; *name; name++)
		fputc((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z') ||
		      (*name >= '0' && *name <= '9') || *name == '_' ? *name : '_', out);
	fputs(suffix, out);
}

static void prom_help(const char *family, FILE *out)
{
	const struct metric_info *m = find_metric(family);
	const char *suffix = m && m->counter ? "_total" : "";

	fputs("# HELP ", out);
	put_metric_name(family, suffix, out);
	fprintf(out, " %s\n# TYPE ", m ? m->help : family);
	put_metric_name(family, suffix, out);
	fprintf(out, " %s\n", m ? (m->counter ? "counter" : "gauge") : "untyped");
}

static void prom_line(const char *name, const char *val, FILE *out)
{
	const struct metric_info *m = find_metric(name);
	const char *suffix = m && m->counter ? "_total" : "";

	if (!is_number(val)) {	/* "mode always" -> synguard_mode{mode="always"} 1 */
		fprintf(out, "# HELP synguard_%s current %s\n# TYPE synguard_%s gauge\n", name, name,
			name);
		put_metric_name(name, "", out);
		fprintf(out, "{%s=", name);
		put_quoted(val, out);
		fputs("} 1\n", out);
		return;
	}
	prom_help(name, out);
	put_metric_name(name, suffix, out);
	fprintf(out, " %s\n", val);
}

static void json_pair(const char *name, const char *val, int *first, FILE *out)
{
	fputs(*first ? "" : ",", out);
	put_quoted(name, out);
	fputc(':', out);
	if (!val)
		fputs("true", out);	/* a bare word ("pong") */
	else if (is_number(val))
		fputs(val, out);
	else
		put_quoted(val, out);
	*first = 0;
}

/* A labelled line: family{k="v",...} value.  The family and the label text
 * (without braces) are split out; 0 if the line has no labels. */
static int split_labels(char *line, char **labels)
{
	char *open = strchr(line, '{'), *close;

	if (!open || !(close = strrchr(open, '}')) || close[1] != '\0')
		return 0;
	*open = '\0';
	*close = '\0';
	*labels = open + 1;
	return 1;
}

/* The label values of a line: the first one (the group, e.g. the
 * service) and the others joined by '_' (e.g. a census state). */
static void label_values(const char *labels, char *first, size_t fsize, char *rest, size_t rsize)
{
	size_t nf = 0, nr = 0;
	int idx = 0;

	first[0] = rest[0] = '\0';
	for (const char *p = labels; *p; p++) {
		const char *q, *end;

		if (*p != '"')
			continue;
		q = p + 1;
		end = strchr(q, '"');
		if (!end)
			break;
		if (idx > 0 && nr > 0 && nr + 1 < rsize)
			rest[nr++] = '_';
		for (; q < end; q++) {
			if (idx == 0 && nf + 1 < fsize)
				first[nf++] = *q;
			else if (idx > 0 && nr + 1 < rsize)
				rest[nr++] = *q;
		}
		idx++;
		p = end;
	}
	first[nf] = '\0';
	rest[nr] = '\0';
}

static void render_json(char *body, FILE *out)
{
	int first = 1, in_groups = 0, gfirst = 1;
	char *save = NULL, gkey[128] = "";

	fputc('{', out);
	for (char *line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *val = strchr(line, ' '), *labels, key[128], rest[128], member[256];

		if (val)
			*val++ = '\0';
		if (!val || !split_labels(line, &labels)) {
			if (in_groups)	/* unlabelled lines after groups: rare, keep valid JSON */
				continue;
			json_pair(line, val, &first, out);
			continue;
		}
		label_values(labels, key, sizeof(key), rest, sizeof(rest));
		if (!in_groups) {
			fputs(first ? "" : ",", out);
			fputs("\"groups\":{", out);
			in_groups = 1;
		}
		if (strcmp(gkey, key) != 0) {
			fputs(gkey[0] || !gfirst ? "}," : "", out);
			put_quoted(key, out);
			fputs(":{", out);
			snprintf(gkey, sizeof(gkey), "%s", key);
			gfirst = 1;
		}
		snprintf(member, sizeof(member), "%s%s%s", line, rest[0] ? "_" : "", rest);
		json_pair(member, val, &gfirst, out);
	}
	if (in_groups)
		fputs(gkey[0] || !gfirst ? "}}" : "}", out);
	fputs("}\n", out);
}


/* Prometheus wants every sample of a family in one group: labelled lines
 * come service by service, so they are gathered family by family. */
struct prom_sample {
	const char *family, *labels, *val;
};

#define RENDER_LABELLED_MAX 8192

static void prom_labelled(struct prom_sample *ls, size_t n, FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		const char *family = ls[i].family;
		const struct metric_info *m;

		if (!family)
			continue;
		m = find_metric(family);
		prom_help(family, out);
		for (size_t j = i; j < n; j++) {
			if (!ls[j].family || strcmp(ls[j].family, family) != 0)
				continue;
			put_metric_name(family, m && m->counter ? "_total" : "", out);
			fprintf(out, "{%s} %s\n", ls[j].labels, ls[j].val);
			ls[j].family = NULL;
		}
	}
}

static void render_prom(char *body, FILE *out)
{
	static struct prom_sample ls[RENDER_LABELLED_MAX];
	size_t n = 0;
	char *save = NULL;

	for (char *line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *val = strchr(line, ' '), *labels;

		if (!val)
			continue;
		*val++ = '\0';
		if (!split_labels(line, &labels))
			prom_line(line, val, out);
		else if (n < RENDER_LABELLED_MAX && is_number(val))
			ls[n++] = (struct prom_sample){ line, labels, val };
	}
	prom_labelled(ls, n, out);
}

int render_body(char *body, enum render_format fmt, FILE *out)
{
	char *save = NULL;

	if (fmt == RENDER_JSON) {
		render_json(body, out);
		return 0;
	}
	if (fmt == RENDER_PROMETHEUS) {
		render_prom(body, out);
		return 0;
	}
	for (char *line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *val = strchr(line, ' ');

		if (val)
			*val++ = '\0';
		if (val)
			fprintf(out, "%-24s %s\n", line, val);
		else
			fprintf(out, "%s\n", line);
	}
	return 0;
}
