/* Unit tests: text, JSON and Prometheus rendering of control replies.  The
 * Prometheus output is checked by a small parser of the text exposition
 * format (HELP/TYPE lines, metric and label syntax, one TYPE per family
 * before its samples, counters named *_total, numeric values). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "unit.h"

static char *render_str(const char *body, enum render_format fmt)
{
	char *copy = strdup(body), *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	render_body(copy, fmt, f);
	fclose(f);
	free(copy);
	return out;
}

/* --- a minimal exposition-format parser ------------------------------------ */

#define MAXFAM 128

struct prom {
	char fam[MAXFAM][96], type[MAXFAM][16];
	int nfam, samples, help;
	int nsamp[MAXFAM];
	int last;		/* family of the previous sample, -1 none */
};

static const char *metric_name(const char *s, char *name, size_t size)
{
	size_t n = 0;

	if (!(isalpha((unsigned char)*s) || *s == '_' || *s == ':'))
		return NULL;
	while (isalnum((unsigned char)s[n]) || s[n] == '_' || s[n] == ':')
		n++;
	if (n >= size)
		return NULL;
	memcpy(name, s, n);
	name[n] = '\0';
	return s + n;
}

static int find_fam(struct prom *p, const char *name)
{
	for (int i = 0; i < p->nfam; i++)
		if (strcmp(p->fam[i], name) == 0)
			return i;
	return -1;
}

/* {k="v",k2="v2"} with \\ \" escapes; returns the rest or NULL. */
static const char *labels(const char *s)
{
	if (*s != '{')
		return s;
	s++;
	while (*s != '}') {
		char key[64];

		if (!(s = metric_name(s, key, sizeof(key))) || *s++ != '=' || *s++ != '"')
			return NULL;
		while (*s && *s != '"')
			s += (*s == '\\' && s[1]) ? 2 : 1;
		if (*s++ != '"')
			return NULL;
		if (*s == ',')
			s++;
		else if (*s != '}')
			return NULL;
	}
	return s + 1;
}

static const char *parse_line(struct prom *p, const char *line)
{
	char name[96], type[16];
	const char *rest;
	int fam;

	if (strncmp(line, "# HELP ", 7) == 0) {
		p->help++;
		return metric_name(line + 7, name, sizeof(name)) ? NULL : "bad HELP name";
	}
	if (strncmp(line, "# TYPE ", 7) == 0) {
		rest = metric_name(line + 7, name, sizeof(name));
		if (!rest || sscanf(rest, " %15s", type) != 1)
			return "bad TYPE line";
		if (strcmp(type, "counter") && strcmp(type, "gauge") && strcmp(type, "untyped"))
			return "unknown type";
		if (find_fam(p, name) >= 0 || p->nfam == MAXFAM)
			return "second TYPE for a family";
		if (!strcmp(type, "counter") && (strlen(name) < 6 || strcmp(name + strlen(name) - 6, "_total")))
			return "counter not named *_total";
		strcpy(p->fam[p->nfam], name);
		strcpy(p->type[p->nfam++], type);
		return NULL;
	}
	rest = metric_name(line, name, sizeof(name));
	if (!rest || !(rest = labels(rest)) || *rest++ != ' ')
		return "bad sample syntax";
	if ((fam = find_fam(p, name)) < 0)
		return "sample before its TYPE";
	/* All samples of a family form one group. */
	if (fam != p->last && p->nsamp[fam] > 0)
		return "family split into two groups";
	p->last = fam;
	p->nsamp[fam]++;
	{
		char *end;

		strtod(rest, &end);
		if (end == rest || *end)
			return "value is not a number";
	}
	p->samples++;
	return NULL;
}

static void parse_all(const char *text, struct prom *p)
{
	char *copy = strdup(text), *save = NULL;

	memset(p, 0, sizeof(*p));
	p->last = -1;
	ck_assert_msg(text[strlen(text) - 1] == '\n', "exposition must end with a newline");
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		const char *err = parse_line(p, l);

		ck_assert_msg(err == NULL, "line '%s': %s", l, err);
	}
	free(copy);
}

static const char body[] =
	"packets 5\nsyn 3\ncookies_valid 1\nverified_sources 2\nuptime_s 10\n"
	"mode always\nsomething_new 7\n";

START_TEST(render_prometheus_is_valid_exposition)
{
	char *out = render_str(body, RENDER_PROMETHEUS);
	struct prom p;

	parse_all(out, &p);
	ck_assert_int_eq(p.samples, 7);
	ck_assert_int_eq(p.help, 7);
	ck_assert_int_ge(find_fam(&p, "synguard_packets_total"), 0);
	ck_assert_str_eq(p.type[find_fam(&p, "synguard_packets_total")], "counter");
	ck_assert_str_eq(p.type[find_fam(&p, "synguard_verified_sources")], "gauge");
	ck_assert_str_eq(p.type[find_fam(&p, "synguard_something_new")], "untyped");
	ck_assert_ptr_nonnull(strstr(out, "\nsynguard_packets_total 5\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nsynguard_mode{mode=\"always\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "# HELP synguard_syn_total TCP SYNs seen\n"));
	free(out);
}
END_TEST

START_TEST(render_prometheus_escapes_labels)
{
	char *out = render_str("mode a\"b\\c\n", RENDER_PROMETHEUS);
	struct prom p;

	parse_all(out, &p);
	ck_assert_ptr_nonnull(strstr(out, "synguard_mode{mode=\"a\\\"b\\\\c\"} 1\n"));
	free(out);
}
END_TEST

START_TEST(render_parser_rejects_bad_exposition)
{
	struct prom p;

	memset(&p, 0, sizeof(p));
	ck_assert_ptr_nonnull(parse_line(&p, "synguard_x 1"));	/* no TYPE */
	ck_assert_ptr_null(parse_line(&p, "# TYPE synguard_x_total counter"));
	ck_assert_ptr_nonnull(parse_line(&p, "# TYPE synguard_x_total gauge"));
	ck_assert_ptr_nonnull(parse_line(&p, "synguard_x_total abc"));
	ck_assert_ptr_nonnull(parse_line(&p, "synguard_x_total{a=\"b} 1"));
	ck_assert_ptr_nonnull(parse_line(&p, "# TYPE bad counter"));
	ck_assert_ptr_null(parse_line(&p, "synguard_x_total{a=\"b\"} 1"));
}
END_TEST

START_TEST(render_json_one_object)
{
	char *out = render_str("packets 5\nmode al\"ways\npong\n", RENDER_JSON);

	ck_assert_str_eq(out, "{\"packets\":5,\"mode\":\"al\\\"ways\",\"pong\":true}\n");
	free(out);
}
END_TEST

/* Per-service lines come service by service; Prometheus needs them family by
 * family, JSON nests them per service. */
static const char svc_body[] =
	"packets 9\n"
	"svc_attack{service=\"web\"} 1\nsvc_halfopen{service=\"web\"} 12\n"
	"svc_completion_ratio{service=\"web\"} 0.9500\nsvc_syns{service=\"web\"} 100\n"
	"svc_attack{service=\"other\"} 0\nsvc_halfopen{service=\"other\"} 0\n"
	"svc_syns{service=\"other\"} 7\n"
	"census{service=\"other\",state=\"established\"} 4\n"
	"census{service=\"other\",state=\"time_wait\"} 2\n";

START_TEST(render_prometheus_groups_labelled_families)
{
	char *out = render_str(svc_body, RENDER_PROMETHEUS);
	struct prom p;

	parse_all(out, &p);
	ck_assert_int_eq(p.samples, 10);
	ck_assert_str_eq(p.type[find_fam(&p, "synguard_svc_syns_total")], "counter");
	ck_assert_str_eq(p.type[find_fam(&p, "synguard_svc_halfopen")], "gauge");
	ck_assert_int_eq(p.nsamp[find_fam(&p, "synguard_svc_attack")], 2);
	ck_assert_ptr_nonnull(strstr(out, "synguard_svc_attack{service=\"web\"} 1\n"
				      "synguard_svc_attack{service=\"other\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(out, "synguard_svc_completion_ratio{service=\"web\"} 0.9500\n"));
	ck_assert_ptr_nonnull(strstr(out,
		"synguard_census{service=\"other\",state=\"established\"} 4\n"));
	free(out);
}
END_TEST

START_TEST(render_parser_rejects_split_family)
{
	struct prom p;

	memset(&p, 0, sizeof(p));
	p.last = -1;
	ck_assert_ptr_null(parse_line(&p, "# TYPE a gauge"));
	ck_assert_ptr_null(parse_line(&p, "# TYPE b gauge"));
	ck_assert_ptr_null(parse_line(&p, "a{s=\"x\"} 1"));
	ck_assert_ptr_null(parse_line(&p, "b{s=\"x\"} 1"));
	ck_assert_ptr_nonnull(parse_line(&p, "a{s=\"y\"} 1"));
}
END_TEST

START_TEST(render_json_nests_labelled_lines)
{
	char *out = render_str(svc_body, RENDER_JSON);

	ck_assert_str_eq(out, "{\"packets\":9,\"groups\":{"
		"\"web\":{\"svc_attack\":1,\"svc_halfopen\":12,\"svc_completion_ratio\":0.9500,"
		"\"svc_syns\":100},"
		"\"other\":{\"svc_attack\":0,\"svc_halfopen\":0,\"svc_syns\":7,"
		"\"census_established\":4,\"census_time_wait\":2}}}\n");
	free(out);
}
END_TEST

START_TEST(render_text_aligned)
{
	char *out = render_str("packets 5\npong\n", RENDER_TEXT);

	ck_assert_str_eq(out, "packets                  5\npong\n");
	free(out);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("render");
	TCase *tc = unit_tcase("core");

	tcase_add_test(tc, render_prometheus_is_valid_exposition);
	tcase_add_test(tc, render_prometheus_escapes_labels);
	tcase_add_test(tc, render_parser_rejects_bad_exposition);
	tcase_add_test(tc, render_json_one_object);
	tcase_add_test(tc, render_text_aligned);
	tcase_add_test(tc, render_prometheus_groups_labelled_families);
	tcase_add_test(tc, render_parser_rejects_split_family);
	tcase_add_test(tc, render_json_nests_labelled_lines);
	suite_add_tcase(s, tc);
	return s;
}
