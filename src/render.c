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
	{ "verified_sources", "sources currently verified", 0 },
	{ "verified_capacity", "verified-source table capacity", 0 },
	{ "challenged_syns", "challenged SYNs remembered for the retransmission fallback", 0 },
	{ "uptime_s", "seconds since the daemon started", 0 },
	{ NULL, NULL, 0 },
};

static const struct metric_info *find_metric(const char *name)
{
	for (const struct metric_info *m = metrics; m->name; m++)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

static int is_number(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
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
	fputs("# HELP ", out);
	put_metric_name(name, suffix, out);
	fprintf(out, " %s\n# TYPE ", m ? m->help : name);
	put_metric_name(name, suffix, out);
	fprintf(out, " %s\n", m ? (m->counter ? "counter" : "gauge") : "untyped");
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

int render_body(char *body, enum render_format fmt, FILE *out)
{
	int first = 1;
	char *save = NULL;

	if (fmt == RENDER_JSON)
		fputc('{', out);
	for (char *line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *val = strchr(line, ' ');

		if (val)
			*val++ = '\0';
		if (fmt == RENDER_JSON)
			json_pair(line, val, &first, out);
		else if (fmt == RENDER_PROMETHEUS && val)
			prom_line(line, val, out);
		else if (fmt == RENDER_TEXT && val)
			fprintf(out, "%-24s %s\n", line, val);
		else if (fmt == RENDER_TEXT)
			fprintf(out, "%s\n", line);
	}
	if (fmt == RENDER_JSON)
		fputs("}\n", out);
	return 0;
}
