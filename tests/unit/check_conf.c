/* Unit tests for conf: defaults, every key and value syntax, the exact text
 * of every kind of error with its line number, the print -> parse round
 * trip, conf_load's file errors, conf_keys[], and the shipped example file
 * (conf/synguard.conf, found through $top_srcdir as exported by make check). */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* asprintf */
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "acl.h"
#include "conf.h"
#include "unit.h"

#define NKEYS 58

/* Parse text into *c (set to defaults first); *errs gets the messages. */
static int run(struct conf *c, const char *text, char **errs)
{
	size_t len;
	FILE *f = open_memstream(errs, &len);
	int n;

	ck_assert_ptr_nonnull(f);
	conf_defaults(c);
	n = conf_parse_text(c, "t.conf", text, f);
	fclose(f);
	return n;
}

/* Parse text that must be valid. */
static void run_ok(struct conf *c, const char *text)
{
	char *errs;
	int n = run(c, text, &errs);

	ck_assert_msg(n == 0, "%d errors for '%s': %s", n, text, errs);
	free(errs);
}

static void expect_errs(const char *text, int nerr, const char *want)
{
	struct conf c;
	char *errs;
	int n = run(&c, text, &errs);

	ck_assert_str_eq(errs, want);
	ck_assert_int_eq(n, nerr);
	free(errs);
}

/* conf_print's text of *c (malloc'd). */
static char *printed(const struct conf *c)
{
	char *text;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	conf_print(c, f);
	fclose(f);
	return text;
}

/* Equal when they print the same: every key and every service, so a key
 * that a parse or a round trip loses fails here; the allow and deny lists
 * by their sizes. */
static void assert_conf_eq(const struct conf *a, const struct conf *b)
{
	char *ta = printed(a), *tb = printed(b);

	ck_assert_str_eq(ta, tb);
	free(ta);
	free(tb);
}

/* print *c, parse the output, and compare */
static void assert_round_trip(const struct conf *c)
{
	struct conf back;
	char *text = printed(c);

	run_ok(&back, text);
	assert_conf_eq(c, &back);
	conf_free(&back);
	free(text);
}

/* --- valid input ----------------------------------------------------------- */

START_TEST(conf_defaults_set)
{
	struct conf c;

	memset(&c, 0xa5, sizeof(c));
	conf_defaults(&c);
	ck_assert_uint_eq(c.queue, 0);
	ck_assert_uint_eq(c.rst_queue, 1);
	ck_assert_int_eq(c.mode, CONF_MODE_ADAPTIVE);
	ck_assert_uint_eq(c.copy_range, 128);
	ck_assert_uint_eq(c.queue_maxlen, 2048);
	ck_assert_uint_eq(c.rcvbuf, 8u << 20);
	ck_assert(!c.fail_open);
	ck_assert_uint_eq(c.mark, 0x5347);
	ck_assert_int_eq(c.error_verdict, CONF_VERDICT_DROP);
	ck_assert_uint_eq(c.key_rotate_ms, 60000);
	ck_assert_str_eq(c.secret_file, "");
	ck_assert_uint_eq(c.verified_ttl_ms, 600000);
	ck_assert_uint_eq(c.verified_max, 1u << 20);
	ck_assert_uint_eq(c.verified_prefix4, 32);
	ck_assert_uint_eq(c.verified_prefix6, 64);
	ck_assert_uint_eq(c.retransmit_min_ms, 500);
	ck_assert_uint_eq(c.retransmit_max_ms, 5000);
	ck_assert_uint_eq(c.retransmit_table, 1u << 20);
	ck_assert_str_eq(c.socket, CONF_DEFAULT_SOCKET);
	ck_assert_str_eq(c.socket_group, "");
	ck_assert_str_eq(c.admin_group, "");
	ck_assert_str_eq(c.state_file, CONF_DEFAULT_STATE);
	ck_assert_int_eq(c.log_level, LOG_INFO);
}
END_TEST

START_TEST(conf_empty_text)
{
	struct conf c, d;

	run_ok(&c, "");
	conf_defaults(&d);
	assert_conf_eq(&c, &d);
}
END_TEST

static const char full_text[] =
	"queue = 7\n"
	"rst_queue = 9\n"
	"mode = monitor\n"
	"copy_range = 1500\n"
	"queue_maxlen = 100000\n"
	"rcvbuf = 0\n"
	"fail_open = yes\n"
	"mark = 0xdead\n"
	"error_verdict = accept\n"
	"key_rotate = 2h\n"
	"secret_file = /etc/synguard/secret\n"
	"verified_ttl = 30d\n"
	"verified_max = 64Mi\n"
	"verified_prefix4 = 24\n"
	"verified_prefix6 = 48\n"
	"retransmit_min = 0\n"
	"retransmit_max = 1ms\n"
	"retransmit_table = 1000\n"
	"socket = /tmp/sg test.sock\n"
	"socket_group = synguard\n"
	"admin_group = 4242\n"
	"state_file =\n"
	"state_interval = 0\n"
	"log_level = debug\n";

/* Every key full_text leaves out, each off its default, and services. */
static const char rest_text[] =
	"halfopen_max = 1Ki\n"
	"halfopen_timeout = 2m\n"
	"track_mark = 0x100\n"
	"done_mark = 0x200\n"
	"attack_halfopen_high = 900\n"
	"attack_halfopen_low = 90\n"
	"attack_synrate_high = 5000\n"
	"attack_synrate_low = 50\n"
	"attack_hold = 0\n"
	"limit_prefix4 = 24\n"
	"limit_prefix6 = 56\n"
	"limit_table = 64\n"
	"limit_syn_source = off\n"
	"limit_syn_service = 1000/s burst 5\n"
	"limit_synack_dest = 7/s\n"
	"limit_synack_total = 2000000/s burst 1000000\n"
	"limit_rst_source = 1/s burst 1\n"
	"stats_interval = 0\n"
	"census_interval = 90s\n"
	"census_max = 2Ki\n"
	"challenge = auto\n"
	"proxy_max = 64\n"
	"proxy_timeout = 100ms\n"
	"proxy_early_data = 0\n"
	"accel_interfaces = eth0  vlan.100\tbond0\n"
	"accel_mode = xdp-generic\n"
	"accel_object = /opt/sg/synguard.bpf.o\n"
	"accel_pin_dir = /run/sg-bpf\n"
	"accel_ports = 80, 443,8000:8080\n"
	"service = web 192.0.2.10:80 challenge=proxy mss=1400 wscale=7 sack=yes\n"
	"service = v6 [2001:db8::1]:443 wscale=none\n";

static void check_full(const struct conf *c)
{
	ck_assert_uint_eq(c->queue, 7);
	ck_assert_uint_eq(c->rst_queue, 9);
	ck_assert_int_eq(c->mode, CONF_MODE_MONITOR);
	ck_assert_uint_eq(c->copy_range, 1500);
	ck_assert_uint_eq(c->queue_maxlen, 100000);
	ck_assert_uint_eq(c->rcvbuf, 0);
	ck_assert(c->fail_open);
	ck_assert_uint_eq(c->mark, 0xdead);
	ck_assert_int_eq(c->error_verdict, CONF_VERDICT_ACCEPT);
	ck_assert_uint_eq(c->key_rotate_ms, 2 * 3600 * 1000);
	ck_assert_str_eq(c->secret_file, "/etc/synguard/secret");
	ck_assert_uint_eq(c->verified_ttl_ms, 2592000000u);
	ck_assert_uint_eq(c->verified_max, 64u << 20);
	ck_assert_uint_eq(c->verified_prefix4, 24);
	ck_assert_uint_eq(c->verified_prefix6, 48);
	ck_assert_uint_eq(c->retransmit_min_ms, 0);
	ck_assert_uint_eq(c->retransmit_max_ms, 1);
	ck_assert_uint_eq(c->retransmit_table, 1000);
	ck_assert_str_eq(c->socket, "/tmp/sg test.sock");
	ck_assert_str_eq(c->socket_group, "synguard");
	ck_assert_str_eq(c->admin_group, "4242");
	ck_assert_str_eq(c->state_file, "");
	ck_assert_uint_eq(c->state_interval_ms, 0);
	ck_assert_int_eq(c->log_level, LOG_DEBUG);
}

START_TEST(conf_full)
{
	struct conf c;

	run_ok(&c, full_text);
	check_full(&c);
}
END_TEST

START_TEST(conf_comments_blank)
{
	struct conf c, d;

	run_ok(&c,
	       "# a comment line\n"
	       "\n"
	       "   \t \n"
	       "\t  # indented comment\n"
	       "queue = 5 # trailing comment\n"
	       "  mode\t=\tmonitor  \n"
	       "copy_range=256#no space\n"
	       "socket = /a/b   # path with a comment\n"
	       "rcvbuf = 1Mi\r\n"
	       "###\n"
	       "log_level = notice");	/* no final newline */
	ck_assert_uint_eq(c.queue, 5);
	ck_assert_int_eq(c.mode, CONF_MODE_MONITOR);
	ck_assert_uint_eq(c.copy_range, 256);
	ck_assert_str_eq(c.socket, "/a/b");
	ck_assert_uint_eq(c.rcvbuf, 1u << 20);
	ck_assert_int_eq(c.log_level, LOG_NOTICE);
	/* only comments: the defaults stay */
	run_ok(&c, "# queue = 9\n#mode = monitor\n\n");
	conf_defaults(&d);
	assert_conf_eq(&c, &d);
}
END_TEST

START_TEST(conf_bool_words)
{
	static const struct { const char *word; bool value; } words[] = {
		{ "yes", true }, { "no", false }, { "true", true }, { "false", false },
		{ "on", true }, { "off", false }, { "1", true }, { "0", false },
	};
	char text[64];
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		struct conf c;

		snprintf(text, sizeof(text), "fail_open = %s\n", words[i].word);
		run_ok(&c, text);
		ck_assert_msg(c.fail_open == words[i].value, "%s", words[i].word);
	}
}
END_TEST

START_TEST(conf_enum_words)
{
	static const struct { const char *text; int level; } levels[] = {
		{ "log_level = error", LOG_ERR }, { "log_level = warning", LOG_WARNING },
		{ "log_level = notice", LOG_NOTICE }, { "log_level = info", LOG_INFO },
		{ "log_level = debug", LOG_DEBUG },
	};
	struct conf c;
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		run_ok(&c, levels[i].text);
		ck_assert_int_eq(c.log_level, levels[i].level);
	}
	run_ok(&c, "mode = monitor\nerror_verdict = accept");
	ck_assert_int_eq(c.mode, CONF_MODE_MONITOR);
	ck_assert_int_eq(c.error_verdict, CONF_VERDICT_ACCEPT);
	run_ok(&c, "mode = always\nerror_verdict = drop");
	ck_assert_int_eq(c.mode, CONF_MODE_ALWAYS);
	ck_assert_int_eq(c.error_verdict, CONF_VERDICT_DROP);
}
END_TEST

START_TEST(conf_number_syntax)
{
	struct conf c;

	run_ok(&c, "key_rotate = 1500ms\nverified_ttl = 90\nretransmit_min = 2s\n"
		   "retransmit_max = 1m\n");
	ck_assert_uint_eq(c.key_rotate_ms, 1500);
	ck_assert_uint_eq(c.verified_ttl_ms, 90000);
	ck_assert_uint_eq(c.retransmit_min_ms, 2000);
	ck_assert_uint_eq(c.retransmit_max_ms, 60000);
	run_ok(&c, "key_rotate = 1d\nverified_ttl = 1h\n");
	ck_assert_uint_eq(c.key_rotate_ms, 86400000);
	ck_assert_uint_eq(c.verified_ttl_ms, 3600000);
	run_ok(&c, "rcvbuf = 1Gi\nverified_max = 64\nretransmit_table = 64Ki\n");
	ck_assert_uint_eq(c.rcvbuf, 1u << 30);
	ck_assert_uint_eq(c.verified_max, 64);
	ck_assert_uint_eq(c.retransmit_table, 65536);
	run_ok(&c, "rcvbuf = 65536\nmark = 4294967295\nqueue = 65535\n");
	ck_assert_uint_eq(c.rcvbuf, 65536);
	ck_assert_uint_eq(c.mark, 0xffffffffu);
	ck_assert_uint_eq(c.queue, 65535);
	run_ok(&c, "mark = 0XfF\nqueue = 007\nverified_prefix6 = 128\nverified_prefix4 = 8\n");
	ck_assert_uint_eq(c.mark, 255);
	ck_assert_uint_eq(c.queue, 7);
	ck_assert_uint_eq(c.verified_prefix6, 128);
	ck_assert_uint_eq(c.verified_prefix4, 8);
	run_ok(&c, "queue_maxlen = 10000000\ncopy_range = 128\nmark = 1\n");
	ck_assert_uint_eq(c.queue_maxlen, 10000000);
	ck_assert_uint_eq(c.copy_range, 128);
	ck_assert_uint_eq(c.mark, 1);
}
END_TEST

START_TEST(conf_path_length)
{
	char text[600], path[300];
	struct conf c;

	/* socket: 107 bytes fit sun_path with its NUL, 108 do not */
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[107] = '\0';
	snprintf(text, sizeof(text), "socket = %s\n", path);
	run_ok(&c, text);
	ck_assert_str_eq(c.socket, path);

	path[107] = 'a';
	path[108] = '\0';
	snprintf(text, sizeof(text), "\nsocket = %s\n", path);
	{
		char want[600];

		snprintf(want, sizeof(want), "t.conf:2: value '%s' for 'socket' too long: "
			 "108 bytes, expected at most 107\n", path);
		expect_errs(text, 1, want);
	}

	memset(path, 'b', sizeof(path));
	path[0] = '/';
	path[255] = '\0';
	snprintf(text, sizeof(text), "secret_file = %s\n", path);
	run_ok(&c, text);
	ck_assert_str_eq(c.secret_file, path);

	path[255] = 'b';
	path[256] = '\0';
	snprintf(text, sizeof(text), "secret_file = %s\n", path);
	{
		char want[600];

		snprintf(want, sizeof(want), "t.conf:1: value '%s' for 'secret_file' too long: "
			 "256 bytes, expected at most 255\n", path);
		expect_errs(text, 1, want);
	}

	/* an empty secret_file is valid (random keys) and overrides a set one */
	run_ok(&c, "secret_file =\n");
	ck_assert_str_eq(c.secret_file, "");
}
END_TEST

START_TEST(conf_line_length)
{
	char text[1100], want[100];
	struct conf c;

	/* a 1024-byte line (a comment) is fine, 1025 bytes are not */
	memset(text, '#', 1024);
	strcpy(text + 1024, "\nqueue = 3\n");
	run_ok(&c, text);
	ck_assert_uint_eq(c.queue, 3);

	strcpy(text, "queue = 3\n");
	memset(text + 10, '#', 1025);
	strcpy(text + 10 + 1025, "\nmode = monitor\n");
	snprintf(want, sizeof(want), "t.conf:2: line too long: 1025 bytes, at most 1024 allowed\n");
	expect_errs(text, 1, want);
}
END_TEST

/* --- errors, one loop test per kind ---------------------------------------- */

struct err_case {
	const char *text;
	const char *errs;
};

#define ERR_TEST(name, cases) \
	START_TEST(name) \
	{ \
		expect_errs(cases[_i].text, 1, cases[_i].errs); \
	} \
	END_TEST


static const struct err_case syntax_cases[] = {
	{ "queue 5", "t.conf:1: expected 'key = value', got 'queue 5'\n" },
	{ "\n\nqueue 5 # five", "t.conf:3: expected 'key = value', got 'queue 5'\n" },
	{ "queue", "t.conf:1: expected 'key = value', got 'queue'\n" },
	{ "= 5", "t.conf:1: expected 'key = value', got '= 5'\n" },
	{ "queu = 5", "t.conf:1: unknown key 'queu'\n" },
	{ "Queue = 5", "t.conf:1: unknown key 'Queue'\n" },
	{ "que ue = 5", "t.conf:1: unknown key 'que ue'\n" },
	{ "queue =", "t.conf:1: empty value for 'queue': expected an integer 0..65535\n" },
	{ "queue =   # none", "t.conf:1: empty value for 'queue': expected an integer 0..65535\n" },
	{ "mode =", "t.conf:1: empty value for 'mode': expected off, monitor, adaptive or always\n" },
	{ "key_rotate = ", "t.conf:1: empty value for 'key_rotate': expected a duration 1s..1d: "
	  "an integer with optional unit ms, s, m, h or d (none = seconds)\n" },
	{ "socket =", "t.conf:1: empty value for 'socket': expected an absolute path of at most "
	  "107 bytes\n" },
	{ "queue = 3\nqueue = 2", "t.conf:2: duplicate key 'queue' (first set on line 1)\n" },
	{ "rst_queue = 0", "t.conf:1: value '0' for 'rst_queue' must differ from queue (0)\n" },
	{ "rst_queue = 5\nqueue = 5", "t.conf:2: value '5' for 'queue' must differ from rst_queue (5)\n" },
	{ "mode = monitor\n#\nmode = monitor",
	  "t.conf:3: duplicate key 'mode' (first set on line 1)\n" },
	{ "queue = 1\x01", "t.conf:1: control character 0x01 in column 10: only printable text, "
	  "tabs and spaces are allowed\n" },
	{ "#\n\x1b[2J = 1", "t.conf:2: control character 0x1b in column 1: only printable text, "
	  "tabs and spaces are allowed\n" },
};

static const struct err_case uint_cases[] = {
	{ "queue = 70000", "t.conf:1: value '70000' for 'queue' out of range: expected 0..65535\n" },
	{ "queue = 65536", "t.conf:1: value '65536' for 'queue' out of range: expected 0..65535\n" },
	{ "queue = 18446744073709551616",
	  "t.conf:1: value '18446744073709551616' for 'queue' out of range: expected 0..65535\n" },
	{ "queue = abc", "t.conf:1: invalid value 'abc' for 'queue': expected an integer 0..65535\n" },
	{ "queue = -1", "t.conf:1: invalid value '-1' for 'queue': expected an integer 0..65535\n" },
	{ "queue = +1", "t.conf:1: invalid value '+1' for 'queue': expected an integer 0..65535\n" },
	{ "queue = 0x10", "t.conf:1: invalid value '0x10' for 'queue': expected an integer 0..65535\n" },
	{ "queue = 5x", "t.conf:1: invalid value '5x' for 'queue': expected an integer 0..65535\n" },
	{ "queue = 5 6", "t.conf:1: invalid value '5 6' for 'queue': expected an integer 0..65535\n" },
	{ "queue = 1Ki", "t.conf:1: invalid value '1Ki' for 'queue': expected an integer 0..65535\n" },
	{ "copy_range = 127", "t.conf:1: value '127' for 'copy_range' out of range: expected 128..65535\n" },
	{ "copy_range = 65536",
	  "t.conf:1: value '65536' for 'copy_range' out of range: expected 128..65535\n" },
	{ "queue_maxlen = 0",
	  "t.conf:1: value '0' for 'queue_maxlen' out of range: expected 1..10000000\n" },
	{ "queue_maxlen = 10000001",
	  "t.conf:1: value '10000001' for 'queue_maxlen' out of range: expected 1..10000000\n" },
	{ "verified_prefix4 = 7",
	  "t.conf:1: value '7' for 'verified_prefix4' out of range: expected 8..32\n" },
	{ "verified_prefix4 = 33",
	  "t.conf:1: value '33' for 'verified_prefix4' out of range: expected 8..32\n" },
	{ "verified_prefix6 = 15",
	  "t.conf:1: value '15' for 'verified_prefix6' out of range: expected 16..128\n" },
	{ "verified_prefix6 = 129",
	  "t.conf:1: value '129' for 'verified_prefix6' out of range: expected 16..128\n" },
	{ "verified_prefix6 = 256",
	  "t.conf:1: value '256' for 'verified_prefix6' out of range: expected 16..128\n" },
};

#define MARK_EXPECTED "expected an integer 0x1..0xffffffff, decimal or 0x hex\n"
static const struct err_case hex_cases[] = {
	{ "mark = 0", "t.conf:1: value '0' for 'mark' out of range: expected 0x1..0xffffffff\n" },
	{ "mark = 0x0", "t.conf:1: value '0x0' for 'mark' out of range: expected 0x1..0xffffffff\n" },
	{ "mark = 0x100000000",
	  "t.conf:1: value '0x100000000' for 'mark' out of range: expected 0x1..0xffffffff\n" },
	{ "mark = 4294967296",
	  "t.conf:1: value '4294967296' for 'mark' out of range: expected 0x1..0xffffffff\n" },
	{ "mark = 0x1ffffffffffffffff",
	  "t.conf:1: value '0x1ffffffffffffffff' for 'mark' out of range: expected 0x1..0xffffffff\n" },
	{ "mark = 0xg", "t.conf:1: invalid value '0xg' for 'mark': " MARK_EXPECTED },
	{ "mark = 0x", "t.conf:1: invalid value '0x' for 'mark': " MARK_EXPECTED },
	{ "mark = 0x5347h", "t.conf:1: invalid value '0x5347h' for 'mark': " MARK_EXPECTED },
	{ "mark = -5", "t.conf:1: invalid value '-5' for 'mark': " MARK_EXPECTED },
};

#define SIZE_WHAT ": an integer with optional suffix Ki, Mi or Gi\n"
static const struct err_case size_cases[] = {
	{ "rcvbuf = 1000", "t.conf:1: value '1000' for 'rcvbuf' out of range: expected 0 or 64Ki..1Gi\n" },
	{ "rcvbuf = 65535", "t.conf:1: value '65535' for 'rcvbuf' out of range: expected 0 or 64Ki..1Gi\n" },
	{ "rcvbuf = 2Gi", "t.conf:1: value '2Gi' for 'rcvbuf' out of range: expected 0 or 64Ki..1Gi\n" },
	{ "rcvbuf = 1073741825",
	  "t.conf:1: value '1073741825' for 'rcvbuf' out of range: expected 0 or 64Ki..1Gi\n" },
	{ "rcvbuf = 8MB", "t.conf:1: invalid value '8MB' for 'rcvbuf': expected a size 0 or 64Ki..1Gi"
	  SIZE_WHAT },
	{ "rcvbuf = 8M", "t.conf:1: invalid value '8M' for 'rcvbuf': expected a size 0 or 64Ki..1Gi"
	  SIZE_WHAT },
	{ "rcvbuf = 8k", "t.conf:1: invalid value '8k' for 'rcvbuf': expected a size 0 or 64Ki..1Gi"
	  SIZE_WHAT },
	{ "rcvbuf = 8 Mi", "t.conf:1: invalid value '8 Mi' for 'rcvbuf': expected a size 0 or "
	  "64Ki..1Gi" SIZE_WHAT },
	{ "rcvbuf = Mi", "t.conf:1: invalid value 'Mi' for 'rcvbuf': expected a size 0 or 64Ki..1Gi"
	  SIZE_WHAT },
	{ "verified_max = 63", "t.conf:1: value '63' for 'verified_max' out of range: expected 64..64Mi\n" },
	{ "verified_max = 67108865",
	  "t.conf:1: value '67108865' for 'verified_max' out of range: expected 64..64Mi\n" },
	{ "verified_max = -64", "t.conf:1: invalid value '-64' for 'verified_max': expected a size "
	  "64..64Mi" SIZE_WHAT },
	{ "retransmit_table = 65Mi",
	  "t.conf:1: value '65Mi' for 'retransmit_table' out of range: expected 64..64Mi\n" },
	{ "retransmit_table = 99999999999Gi",
	  "t.conf:1: value '99999999999Gi' for 'retransmit_table' out of range: expected 64..64Mi\n" },
	{ "retransmit_table = 0x100", "t.conf:1: invalid value '0x100' for 'retransmit_table': "
	  "expected a size 64..64Mi" SIZE_WHAT },
};

#define DUR_WHAT ": an integer with optional unit ms, s, m, h or d (none = seconds)\n"
static const struct err_case duration_cases[] = {
	{ "key_rotate = 0", "t.conf:1: value '0' for 'key_rotate' out of range: expected 1s..1d\n" },
	{ "key_rotate = 999ms", "t.conf:1: value '999ms' for 'key_rotate' out of range: expected 1s..1d\n" },
	{ "key_rotate = 25h", "t.conf:1: value '25h' for 'key_rotate' out of range: expected 1s..1d\n" },
	{ "key_rotate = 86401", "t.conf:1: value '86401' for 'key_rotate' out of range: expected 1s..1d\n" },
	{ "key_rotate = 5x", "t.conf:1: invalid value '5x' for 'key_rotate': expected a duration "
	  "1s..1d" DUR_WHAT },
	{ "key_rotate = 1.5s", "t.conf:1: invalid value '1.5s' for 'key_rotate': expected a duration "
	  "1s..1d" DUR_WHAT },
	{ "key_rotate = 5 s", "t.conf:1: invalid value '5 s' for 'key_rotate': expected a duration "
	  "1s..1d" DUR_WHAT },
	{ "key_rotate = 5S", "t.conf:1: invalid value '5S' for 'key_rotate': expected a duration "
	  "1s..1d" DUR_WHAT },
	{ "key_rotate = -1s", "t.conf:1: invalid value '-1s' for 'key_rotate': expected a duration "
	  "1s..1d" DUR_WHAT },
	{ "key_rotate = s", "t.conf:1: invalid value 's' for 'key_rotate': expected a duration "
	  "1s..1d" DUR_WHAT },
	{ "verified_ttl = 31d", "t.conf:1: value '31d' for 'verified_ttl' out of range: expected 1s..30d\n" },
	{ "verified_ttl = 2592000001ms",
	  "t.conf:1: value '2592000001ms' for 'verified_ttl' out of range: expected 1s..30d\n" },
	/* overflow of uint32 ms, of uint64 by the unit, of uint64 in the digits */
	{ "verified_ttl = 50d", "t.conf:1: value '50d' for 'verified_ttl' out of range: expected 1s..30d\n" },
	{ "verified_ttl = 999999999999999d",
	  "t.conf:1: value '999999999999999d' for 'verified_ttl' out of range: expected 1s..30d\n" },
	{ "verified_ttl = 99999999999999999999",
	  "t.conf:1: value '99999999999999999999' for 'verified_ttl' out of range: expected 1s..30d\n" },
	{ "retransmit_min = 61s",
	  "t.conf:1: value '61s' for 'retransmit_min' out of range: expected 0..1m\n" },
	{ "retransmit_max = 0",
	  "t.conf:1: value '0' for 'retransmit_max' out of range: expected 1ms..1m\n" },
	{ "retransmit_max = 60001ms",
	  "t.conf:1: value '60001ms' for 'retransmit_max' out of range: expected 1ms..1m\n" },
};

static const struct err_case enum_cases[] = {
	{ "mode = fast", "t.conf:1: invalid value 'fast' for 'mode': expected off, monitor, adaptive or always\n" },
	{ "mode = Always", "t.conf:1: invalid value 'Always' for 'mode': expected off, monitor, adaptive or always\n" },
	{ "error_verdict = reject",
	  "t.conf:1: invalid value 'reject' for 'error_verdict': expected accept or drop\n" },
	{ "fail_open = maybe", "t.conf:1: invalid value 'maybe' for 'fail_open': "
	  "expected yes, no, true, false, on, off, 1 or 0\n" },
	{ "fail_open = 2", "t.conf:1: invalid value '2' for 'fail_open': "
	  "expected yes, no, true, false, on, off, 1 or 0\n" },
	{ "log_level = warn", "t.conf:1: invalid value 'warn' for 'log_level': "
	  "expected error, warning, notice, info or debug\n" },
	{ "log_level = 7", "t.conf:1: invalid value '7' for 'log_level': "
	  "expected error, warning, notice, info or debug\n" },
};

static const struct err_case path_cases[] = {
	{ "secret_file = etc/key", "t.conf:1: invalid value 'etc/key' for 'secret_file': "
	  "expected an absolute path of at most 255 bytes, or empty\n" },
	{ "socket_group = -wheel", "t.conf:1: invalid value '-wheel' for 'socket_group': expected a "
	  "group name or number (letters, digits, '_', '.', '-'; at most 31 bytes), or empty\n" },
	{ "admin_group = ad min", "t.conf:1: invalid value 'ad min' for 'admin_group': expected a "
	  "group name or number (letters, digits, '_', '.', '-'; at most 31 bytes), or empty\n" },
	{ "state_file = var/x", "t.conf:1: invalid value 'var/x' for 'state_file': expected an "
	  "absolute path of at most 255 bytes, or empty\n" },
	{ "socket = run/x.sock", "t.conf:1: invalid value 'run/x.sock' for 'socket': "
	  "expected an absolute path of at most 107 bytes\n" },
	{ "socket = ~/x.sock", "t.conf:1: invalid value '~/x.sock' for 'socket': "
	  "expected an absolute path of at most 107 bytes\n" },
#define IFACES_EXPECTED "expected up to 8 interface names separated by blanks (letters, " \
	"digits, '_', '.', '-', '@'; at most 15 bytes each), or empty\n"
	{ "accel_interfaces = eth0 a/b", "t.conf:1: invalid value 'eth0 a/b' for "
	  "'accel_interfaces': " IFACES_EXPECTED },
	{ "accel_interfaces = eth0 eth1 eth0", "t.conf:1: interface 'eth0' given twice in "
	  "'accel_interfaces': expected each interface once\n" },
	{ "accel_interfaces = a234567890123456", "t.conf:1: invalid value 'a234567890123456' for "
	  "'accel_interfaces': " IFACES_EXPECTED },
	{ "accel_interfaces = -x", "t.conf:1: invalid value '-x' for 'accel_interfaces': "
	  IFACES_EXPECTED },
	{ "accel_interfaces = a b c d e f g h i", "t.conf:1: invalid value 'a b c d e f g h i' for "
	  "'accel_interfaces': " IFACES_EXPECTED },
	{ "accel_mode = tcx", "t.conf:1: invalid value 'tcx' for 'accel_mode': expected auto, xdp, "
	  "xdp-generic, tc or off\n" },
	{ "accel_object = lib/x.o", "t.conf:1: invalid value 'lib/x.o' for 'accel_object': "
	  "expected an absolute path of at most 255 bytes, or empty\n" },
#define PORTS_EXPECTED "expected up to 32 TCP ports 1..65535 or ranges LOW:HIGH separated " \
	"by commas (e.g. 80,443,8000:8080), or empty\n"
	{ "accel_ports = 0", "t.conf:1: invalid value '0' for 'accel_ports': " PORTS_EXPECTED },
	{ "accel_ports = 80,65536", "t.conf:1: invalid value '80,65536' for 'accel_ports': "
	  PORTS_EXPECTED },
	{ "accel_ports = 90:80", "t.conf:1: invalid value '90:80' for 'accel_ports': " PORTS_EXPECTED },
	{ "accel_ports = 80,,443", "t.conf:1: invalid value '80,,443' for 'accel_ports': "
	  PORTS_EXPECTED },
	{ "accel_ports = http", "t.conf:1: invalid value 'http' for 'accel_ports': " PORTS_EXPECTED },
};

/* retransmit_max must exceed retransmit_min: checked after the whole file,
 * at the line of retransmit_max, or of retransmit_min if only it was set */
static const struct err_case retransmit_cases[] = {
	{ "retransmit_max = 500ms", "t.conf:1: value '500ms' for 'retransmit_max' must be greater "
	  "than retransmit_min (500ms)\n" },
	{ "retransmit_min = 2s\nretransmit_max = 1s", "t.conf:2: value '1s' for 'retransmit_max' "
	  "must be greater than retransmit_min (2s)\n" },
	{ "retransmit_max = 1s\n\nretransmit_min = 2s", "t.conf:1: value '1s' for 'retransmit_max' "
	  "must be greater than retransmit_min (2s)\n" },
	{ "#\nretransmit_min = 5s", "t.conf:2: value '5s' for 'retransmit_min' must be less than "
	  "retransmit_max (5s)\n" },
	{ "retransmit_min = 1m\nretransmit_max = 200ms", "t.conf:2: value '200ms' for "
	  "'retransmit_max' must be greater than retransmit_min (1m)\n" },
	/* an invalid value is reported once, not again by the cross-check */
	{ "retransmit_min = 1m\nretransmit_max = 61s",
	  "t.conf:2: value '61s' for 'retransmit_max' out of range: expected 1ms..1m\n" },
	{ "retransmit_min = 2x\nretransmit_max = 100ms", "t.conf:1: invalid value '2x' for "
	  "'retransmit_min': expected a duration 0..1m" DUR_WHAT },
};

ERR_TEST(conf_err_syntax, syntax_cases)
ERR_TEST(conf_err_uint, uint_cases)
ERR_TEST(conf_err_hex, hex_cases)
ERR_TEST(conf_err_size, size_cases)
ERR_TEST(conf_err_duration, duration_cases)
ERR_TEST(conf_err_enum, enum_cases)
ERR_TEST(conf_err_path, path_cases)
ERR_TEST(conf_err_retransmit, retransmit_cases)

START_TEST(conf_retransmit_ok)
{
	struct conf c;

	run_ok(&c, "retransmit_min = 0\nretransmit_max = 1ms\n");
	ck_assert_uint_eq(c.retransmit_max_ms, 1);
	run_ok(&c, "retransmit_min = 59999ms\n retransmit_max = 60s\n");
	run_ok(&c, "retransmit_min = 4s\n");	/* default max is 5s */
	run_ok(&c, "retransmit_max = 501ms\n");	/* default min is 500ms */
}
END_TEST

START_TEST(conf_errors_rejected_value_kept)
{
	struct conf c;
	char *errs;

	/* a rejected value leaves the field as it was, the first of a
	 * duplicate stays */
	ck_assert_int_eq(run(&c, "queue = 70000\nmode = monitor\nmode = always\n", &errs), 2);
	free(errs);
	ck_assert_uint_eq(c.queue, 0);
	ck_assert_int_eq(c.mode, CONF_MODE_MONITOR);
}
END_TEST

START_TEST(conf_errors_many)
{
	static const char text[] =
		"# several mistakes\n"		/* 1 */
		"queue = 70000\n"		/* 2 */
		"mode = fast\n"			/* 3 */
		"\n"				/* 4 */
		"copy_range = 256\n"		/* 5: valid */
		"queu = 1\n"			/* 6 */
		"log_level debug\n"		/* 7 */
		"retransmit_min = 10s\n"	/* 8: > default max, checked at the end */
		"mark = 0\n"			/* 9 */
		"queue = 3\n"			/* 10: duplicate of a rejected key */
		"rcvbuf = 8MB\n"		/* 11 */
		"fail_open = on # fine\n";	/* 12: valid */
	struct conf c;
	char *errs;
	int n = run(&c, text, &errs);

	ck_assert_str_eq(errs,
		"t.conf:2: value '70000' for 'queue' out of range: expected 0..65535\n"
		"t.conf:3: invalid value 'fast' for 'mode': expected off, monitor, adaptive or always\n"
		"t.conf:6: unknown key 'queu'\n"
		"t.conf:7: expected 'key = value', got 'log_level debug'\n"
		"t.conf:9: value '0' for 'mark' out of range: expected 0x1..0xffffffff\n"
		"t.conf:10: duplicate key 'queue' (first set on line 2)\n"
		"t.conf:11: invalid value '8MB' for 'rcvbuf': expected a size 0 or 64Ki..1Gi"
		SIZE_WHAT
		"t.conf:8: value '10s' for 'retransmit_min' must be less than retransmit_max (5s)\n");
	ck_assert_int_eq(n, 8);
	free(errs);
	/* the valid lines around the errors still took effect */
	ck_assert_uint_eq(c.copy_range, 256);
	ck_assert(c.fail_open);
	ck_assert_uint_eq(c.retransmit_min_ms, 10000);
	/* without a stream the count is the same */
	conf_defaults(&c);
	ck_assert_int_eq(conf_parse_text(&c, "t.conf", text, NULL), 8);
}
END_TEST

/* --- printing ---------------------------------------------------------------- */

START_TEST(conf_print_defaults)
{
	struct conf c;
	char *text;

	conf_defaults(&c);
	text = printed(&c);
	ck_assert_str_eq(text,
		"queue = 0\n"
		"rst_queue = 1\n"
		"mode = adaptive\n"
		"copy_range = 128\n"
		"queue_maxlen = 2048\n"
		"rcvbuf = 8Mi\n"
		"fail_open = no\n"
		"mark = 0x5347\n"
		"error_verdict = drop\n"
		"key_rotate = 1m\n"
		"secret_file =\n"
		"verified_ttl = 10m\n"
		"verified_max = 1Mi\n"
		"verified_prefix4 = 32\n"
		"verified_prefix6 = 64\n"
		"retransmit_min = 500ms\n"
		"retransmit_max = 5s\n"
		"retransmit_table = 1Mi\n"
		"socket = /run/synguard/synguard.sock\n"
		"socket_group =\n"
		"admin_group =\n"
		"state_file = /var/lib/synguard/verified.state\n"
		"state_interval = 1m\n"
		"log_level = info\n"
		"halfopen_max = 256Ki\n"
		"halfopen_timeout = 30s\n"
		"track_mark = 0x10000000\n"
		"done_mark = 0x20000000\n"
		"attack_halfopen_high = 500\n"
		"attack_halfopen_low = 100\n"
		"attack_synrate_high = 1000\n"
		"attack_synrate_low = 200\n"
		"attack_hold = 30s\n"
		"limit_prefix4 = 32\n"
		"limit_prefix6 = 64\n"
		"limit_table = 256Ki\n"
		"limit_syn_source = 200/s burst 400\n"
		"limit_syn_service = off\n"
		"limit_synack_dest = 100/s burst 200\n"
		"limit_synack_total = 200000/s burst 200000\n"
		"limit_rst_source = 20/s burst 40\n"
		"stats_interval = 1m\n"
		"census_interval = 1m\n"
		"census_max = 1Mi\n"
		"challenge = auth\n"
		"proxy_max = 4Ki\n"
		"proxy_timeout = 3s\n"
		"proxy_early_data = 4Ki\n"
		"accel_interfaces =\n"
		"accel_mode = auto\n"
		"accel_object =\n"
		"accel_pin_dir = /sys/fs/bpf/synguard\n"
		"accel_ports =\n"
		"# allow: 0 prefixes, deny: 0 prefixes (inline and from files)\n");
	free(text);
}
END_TEST

START_TEST(conf_print_canonical)
{
	struct conf c;
	char *text;

	run_ok(&c, "key_rotate = 90\nverified_ttl = 1440m\nretransmit_min = 1500ms\n"
		   "retransmit_max = 3600ms\nrcvbuf = 65537\nverified_max = 3072\n"
		   "retransmit_table = 1048576\nmark = 255\nfail_open = on\n");
	text = printed(&c);
	ck_assert_ptr_nonnull(strstr(text, "\nkey_rotate = 90s\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nverified_ttl = 1d\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nretransmit_min = 1500ms\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nretransmit_max = 3600ms\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nrcvbuf = 65537\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nverified_max = 3Ki\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nretransmit_table = 1Mi\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nmark = 0xff\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nfail_open = yes\n"));
	free(text);
}
END_TEST

START_TEST(conf_accel_keys)
{
	struct conf c;

	run_ok(&c, rest_text);
	ck_assert_str_eq(c.accel_interfaces, "eth0 vlan.100 bond0");	/* one blank apart */
	ck_assert_int_eq(c.accel_mode, CONF_ACCEL_XDP_GENERIC);
	ck_assert_str_eq(c.accel_object, "/opt/sg/synguard.bpf.o");
	ck_assert_str_eq(c.accel_pin_dir, "/run/sg-bpf");
	ck_assert_str_eq(c.accel_ports, "80,443,8000:8080");	/* without blanks */
	conf_free(&c);
	run_ok(&c, "accel_interfaces = \naccel_mode = off\n");
	ck_assert_str_eq(c.accel_interfaces, "");
	ck_assert_int_eq(c.accel_mode, CONF_ACCEL_OFF);
	conf_free(&c);
	run_ok(&c, "accel_mode = tc\n");
	ck_assert_int_eq(c.accel_mode, CONF_ACCEL_TC);
	conf_free(&c);
}
END_TEST

START_TEST(conf_round_trip)
{
	struct conf c;

	conf_defaults(&c);
	assert_round_trip(&c);
	run_ok(&c, full_text);
	assert_round_trip(&c);
	run_ok(&c, "rcvbuf = 1Gi\nmark = 0xffffffff\nkey_rotate = 86399999ms\n"
		   "verified_ttl = 30d\nretransmit_min = 59999ms\nretransmit_max = 1m\n"
		   "retransmit_table = 64Mi\nverified_max = 65\nlog_level = error\n"
		   "fail_open = false\nsecret_file = /x y/z\n");
	assert_round_trip(&c);
	run_ok(&c, "rcvbuf = 1000000\nkey_rotate = 7200\nlog_level = warning\nqueue = 65535\n");
	assert_round_trip(&c);
}
END_TEST

/* Every key, each off its default, survives print -> parse: a key the
 * round trip loses fails, and so does a key the two texts do not set. */
START_TEST(conf_round_trip_every_key)
{
	struct conf c, d;
	char *text, *got, *dflt, *sg = NULL, *sd = NULL, *lg, *ld;

	ck_assert_int_gt(asprintf(&text, "%s%s", full_text, rest_text), 0);
	run_ok(&c, text);
	assert_round_trip(&c);
	conf_defaults(&d);
	got = printed(&c);
	dflt = printed(&d);
	/* the key lines come first, in the same order; then the lists */
	for (lg = strtok_r(got, "\n", &sg), ld = strtok_r(dflt, "\n", &sd); lg && ld && ld[0] != '#';
	     lg = strtok_r(NULL, "\n", &sg), ld = strtok_r(NULL, "\n", &sd))
		ck_assert_msg(strcmp(lg, ld) != 0, "'%s': the test texts leave it at its default", ld);
	ck_assert_ptr_nonnull(ld);
	free(dflt);
	free(got);
	free(text);
}
END_TEST

/* --- reload merge ----------------------------------------------------------- */

/* A reload keeps the running value of a restart-only key and names it. */
START_TEST(conf_keep_restart_only_reverts)
{
	struct conf running, next, want;
	char changed[256];

	run_ok(&running, "queue = 3\nmode = always\nproxy_max = 8Ki\n");
	run_ok(&next, "queue = 4\ncopy_range = 1500\nmode = monitor\nsocket = /run/x.sock\n"
		   "proxy_max = 8Ki\n");
	ck_assert_int_eq(conf_keep_restart_only(&running, &next, changed, sizeof(changed)), 3);
	ck_assert_str_eq(changed, "queue, copy_range, socket");
	run_ok(&want, "queue = 3\nmode = monitor\nproxy_max = 8Ki\n");
	assert_conf_eq(&next, &want);
	/* nothing restart-only left to differ: nothing named */
	ck_assert_int_eq(conf_keep_restart_only(&running, &next, changed, sizeof(changed)), 0);
	ck_assert_str_eq(changed, "");
}
END_TEST

/* Live keys and the lists go through untouched and unnamed. */
START_TEST(conf_keep_restart_only_live)
{
	struct conf running, next;
	char changed[64], *before, *after;

	run_ok(&running, "");
	run_ok(&next, "mode = off\nmark = 0x77\nlimit_syn_source = 5/s\nstate_file =\n"
		   "service = web 192.0.2.1:80\nallow = 192.0.2.0/24\n");
	before = printed(&next);
	ck_assert_int_eq(conf_keep_restart_only(&running, &next, changed, sizeof(changed)), 0);
	ck_assert_str_eq(changed, "");
	after = printed(&next);
	ck_assert_str_eq(after, before);
	ck_assert_ptr_nonnull(next.allow);
	conf_free(&next);
	free(before);
	free(after);
}
END_TEST

/* Paths compare as strings, not by what follows the NUL; a short buffer
 * cuts the names, not the count. */
START_TEST(conf_keep_restart_only_edges)
{
	struct conf running, next;
	char small[8];

	run_ok(&running, "socket = /run/s\n");
	next = running;
	next.socket[sizeof(next.socket) - 1] = 'x';
	ck_assert_int_eq(conf_keep_restart_only(&running, &next, small, sizeof(small)), 0);
	run_ok(&next, "queue = 9\nrst_queue = 8\nkey_rotate = 2m\n");
	ck_assert_int_eq(conf_keep_restart_only(&running, &next, small, sizeof(small)), 4);
	ck_assert_str_eq(small, "queue, ");
	ck_assert_uint_eq(next.queue, 0);
	ck_assert_uint_eq(next.key_rotate_ms, 60000);
	ck_assert_str_eq(next.socket, "/run/s");
}
END_TEST

/* --- keys and files -------------------------------------------------------- */

START_TEST(conf_keys_listed)
{
	static const char *const expected[NKEYS] = {
		"queue", "rst_queue", "mode", "copy_range", "queue_maxlen", "rcvbuf", "fail_open", "mark",
		"error_verdict", "key_rotate", "secret_file", "verified_ttl", "verified_max",
		"verified_prefix4", "verified_prefix6", "retransmit_min", "retransmit_max",
		"retransmit_table", "socket", "socket_group", "admin_group", "state_file", "state_interval",
		"log_level",
		"halfopen_max", "halfopen_timeout", "track_mark", "done_mark", "attack_halfopen_high",
		"attack_halfopen_low", "attack_synrate_high", "attack_synrate_low", "attack_hold",
		"limit_prefix4", "limit_prefix6", "limit_table", "limit_syn_source",
		"limit_syn_service", "limit_synack_dest", "limit_synack_total", "limit_rst_source",
		"stats_interval", "census_interval", "census_max", "service", "allow", "allow_file",
		"deny", "deny_file", "challenge", "proxy_max", "proxy_timeout", "proxy_early_data",
		"accel_interfaces", "accel_mode", "accel_object", "accel_pin_dir",
		"accel_ports",
	};
	int seen[NKEYS] = { 0 };
	size_t i, j;

	for (i = 0; conf_keys[i]; i++) {
		for (j = 0; j < NKEYS; j++)
			if (strcmp(conf_keys[i], expected[j]) == 0)
				seen[j]++;
		ck_assert_msg(i < NKEYS, "more keys than expected");
	}
	ck_assert_uint_eq(i, NKEYS);
	for (j = 0; j < NKEYS; j++)
		ck_assert_msg(seen[j] == 1, "key %s listed %d times", expected[j], seen[j]);
}
END_TEST

/* Write data to a new temporary file; returns its malloc'd path. */
static char *write_temp(const char *data, size_t len)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	int fd;

	ck_assert_int_gt(asprintf(&path, "%s/check_conf.XXXXXX", dir ? dir : "/tmp"), 0);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static int load(struct conf *c, const char *path, char **errs)
{
	size_t len;
	FILE *f = open_memstream(errs, &len);
	int n;

	conf_defaults(c);
	n = conf_load(c, path, f);
	fclose(f);
	return n;
}

START_TEST(conf_load_missing)
{
	struct conf c;
	char *errs;

	ck_assert_int_eq(load(&c, "/nonexistent/synguard.conf", &errs), -1);
	ck_assert_str_eq(errs, "/nonexistent/synguard.conf: cannot open: No such file or directory\n");
	free(errs);
	ck_assert_int_eq(conf_load(&c, "/nonexistent/synguard.conf", NULL), -1);
}
END_TEST

START_TEST(conf_load_dir)
{
	struct conf c;
	char *errs;

	ck_assert_int_eq(load(&c, "/", &errs), -1);
	ck_assert_str_eq(errs, "/: cannot read: Is a directory\n");
	free(errs);
}
END_TEST

START_TEST(conf_load_file)
{
	static const char data[] = "queue = 9\nmode = fast\nlog_level = debug\n";
	char *path = write_temp(data, sizeof(data) - 1), *errs, *want;
	struct conf c;

	ck_assert_int_eq(load(&c, path, &errs), 1);
	ck_assert_int_gt(asprintf(&want, "%s:2: invalid value 'fast' for 'mode': "
				  "expected off, monitor, adaptive or always\n", path), 0);
	ck_assert_str_eq(errs, want);
	ck_assert_uint_eq(c.queue, 9);
	ck_assert_int_eq(c.log_level, LOG_DEBUG);
	unlink(path);
	free(path);
	free(errs);
	free(want);
}
END_TEST

START_TEST(conf_load_nul)
{
	static const char data[] = "queue = 9\nmode\0 = x\nlog_level = debug\n";
	char *path = write_temp(data, sizeof(data) - 1), *errs, *want;
	struct conf c;

	ck_assert_int_eq(load(&c, path, &errs), 1);
	ck_assert_int_gt(asprintf(&want, "%s:2: control character 0x00 in column 5: "
				  "only printable text, tabs and spaces are allowed\n", path), 0);
	ck_assert_str_eq(errs, want);
	ck_assert_int_eq(c.log_level, LOG_DEBUG);	/* lines after it still count */
	unlink(path);
	free(path);
	free(errs);
	free(want);
}
END_TEST

START_TEST(conf_load_size_limit)
{
	size_t max = 1024 * 1024, i;
	char *data = malloc(max + 1), *path, *errs, *want;
	struct conf c;

	ck_assert_ptr_nonnull(data);
	/* exactly 1 MiB of 64-byte comment lines loads */
	for (i = 0; i < max; i++)
		data[i] = (i % 64 == 63) ? '\n' : '#';
	path = write_temp(data, max);
	ck_assert_int_eq(load(&c, path, &errs), 0);
	ck_assert_str_eq(errs, "");
	unlink(path);
	free(path);
	free(errs);

	/* one byte more does not */
	data[max] = '\n';
	path = write_temp(data, max + 1);
	ck_assert_int_eq(load(&c, path, &errs), -1);
	ck_assert_int_gt(asprintf(&want, "%s: file too large: more than 1048576 bytes\n", path), 0);
	ck_assert_str_eq(errs, want);
	unlink(path);
	free(path);
	free(errs);
	free(want);
	free(data);
}
END_TEST

/* A list file that is no regular file (a FIFO: no size to go by) is read
 * whole as it arrives, through every step of the growing buffer: 4000
 * prefixes in ~120 KiB, all of them in the list. */
START_TEST(conf_list_file_from_fifo)
{
	const char *dir = getenv("TMPDIR");
	char *fifo, *text, *errs = NULL;
	size_t elen;
	struct conf c;
	pid_t pid;
	FILE *ef;
	int status;

	ck_assert_int_gt(asprintf(&fifo, "%s/check_conf.fifo.%d", dir ? dir : "/tmp", (int)getpid()), 0);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		FILE *w = fopen(fifo, "w");

		if (!w)
			_exit(1);
		for (unsigned i = 0; i < 4000; i++)
			fprintf(w, "# prefix %u\n10.%u.%u.0/24\n", i, i / 128, 2 * (i % 128));
		_exit(fclose(w) == 0 ? 0 : 1);
	}
	ck_assert_int_gt(asprintf(&text, "allow_file = %s\n", fifo), 0);
	ef = open_memstream(&errs, &elen);
	conf_defaults(&c);
	ck_assert_int_eq(conf_parse_text(&c, "t.conf", text, ef), 0);
	fclose(ef);
	ck_assert_str_eq(errs, "");
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_ptr_nonnull(c.allow);
	ck_assert_uint_eq(acl_count(c.allow), 4000);
	conf_free(&c);
	unlink(fifo);
	free(fifo);
	free(text);
	free(errs);
}
END_TEST

static char *example_path(void)
{
	const char *top = getenv("top_srcdir");
	char *path;

	ck_assert_int_gt(asprintf(&path, "%s/conf/synguard.conf", top ? top : "."), 0);
	return path;
}

START_TEST(conf_example_parses)
{
	char *path = example_path(), *errs;
	struct conf c, d;

	ck_assert_msg(load(&c, path, &errs) == 0, "%s", errs);
	conf_defaults(&d);
	assert_conf_eq(&c, &d);
	free(errs);
	free(path);
}
END_TEST

/* Every key appears in the example as "#key = default" exactly once:
 * uncommenting those lines must parse and give the defaults. */
START_TEST(conf_example_documents_defaults)
{
	char *path = example_path(), *text, *line, *save = NULL, *out;
	size_t len, i, n;
	int count[NKEYS] = { 0 };
	struct conf c, d;
	FILE *f = fopen(path, "r"), *o;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	text = calloc(1, 1024 * 1024 + 1);
	n = fread(text, 1, 1024 * 1024, f);
	fclose(f);
	ck_assert_uint_gt(n, 0);
	o = open_memstream(&out, &len);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		for (i = 0; conf_keys[i]; i++) {
			size_t kl = strlen(conf_keys[i]);

			if (line[0] == '#' && strncmp(line + 1, conf_keys[i], kl) == 0 &&
			    (line[1 + kl] == ' ' || line[1 + kl] == '=')) {
				count[i]++;
				fprintf(o, "%s\n", line + 1);
			}
		}
	}
	fclose(o);
	for (i = 0; i < NKEYS; i++)
		ck_assert_msg(count[i] == 1, "key %s documented %d times", conf_keys[i], count[i]);
	run_ok(&c, out);
	conf_defaults(&d);
	assert_conf_eq(&c, &d);
	free(out);
	free(text);
	free(path);
}
END_TEST

/* --- services, rates, lists --------------------------------------------------- */

START_TEST(conf_services)
{
	struct conf c;

	run_ok(&c, "service = web 192.0.2.10:80\n"
		   "service = tls [2001:db8::10]:443 challenge=proxy mss=1440 wscale=none sack=no\n"
		   "service = any-ssh *:22 wscale=9\n");
	ck_assert_int_eq(c.services[0].challenge, CONF_CHALLENGE_DEFAULT);
	ck_assert_uint_eq(c.services[0].mss, CONF_OPT_UNSET);
	ck_assert_int_eq(c.services[1].challenge, CONF_CHALLENGE_PROXY);
	ck_assert_uint_eq(c.services[1].mss, 1440);
	ck_assert_uint_eq(c.services[1].wscale, CONF_WSCALE_NONE);
	ck_assert_uint_eq(c.services[1].sack, 0);
	ck_assert_uint_eq(c.services[2].wscale, 9);
	ck_assert_int_eq(conf_service_challenge(&c, 1), CONF_CHALLENGE_PROXY);
	ck_assert_int_eq(conf_service_challenge(&c, 0), CONF_CHALLENGE_AUTH);
	ck_assert_uint_eq(c.nservices, 3);
	ck_assert_str_eq(c.services[0].name, "web");
	ck_assert_int_eq(c.services[0].family, AF_INET);
	ck_assert_uint_eq(c.services[0].addr[3], 10);
	ck_assert_uint_eq(c.services[0].port, 80);
	ck_assert_int_eq(c.services[1].family, AF_INET6);
	ck_assert_uint_eq(c.services[1].addr[15], 0x10);
	ck_assert_uint_eq(c.services[1].port, 443);
	ck_assert_int_eq(c.services[2].family, 0);
	/* First match wins; unmatched traffic is the catch-all. */
	ck_assert_uint_eq(conf_service_of(&c, AF_INET, c.services[0].addr, 80), 0);
	ck_assert_uint_eq(conf_service_of(&c, AF_INET, c.services[0].addr, 81), 3);
	ck_assert_uint_eq(conf_service_of(&c, AF_INET6, c.services[0].addr, 22), 2);
	ck_assert_str_eq(conf_service_name(&c, 3), "other");
	assert_round_trip(&c);
}
END_TEST

static const struct err_case list_cases[] = {
	{ "service = web", "t.conf:1: invalid value 'web' for 'service': expected 'NAME "
	  "ADDRESS:PORT [ATTR=VALUE...]': NAME of letters, digits, '_', '.', '-' (not 'other'), "
	  "ADDRESS an IPv4 address, [IPv6 address] or *, PORT 1..65535\n" },
	{ "service = web 192.0.2.1:80 challenge=maybe", "t.conf:1: invalid service attribute "
	  "'challenge=maybe': expected challenge=auth|proxy|auto, mss=536..65495, "
	  "wscale=0..14|none or sack=yes|no\n" },
	{ "service = web 192.0.2.1:80 wscale=15", NULL },
	{ "service = web 192.0.2.1:80 mss=100", NULL },
	{ "service = other 192.0.2.1:80", NULL },
	{ "service = web 192.0.2.1:0", NULL },
	{ "service = web 192.0.2.1:65536", NULL },
	{ "service = web 2001:db8::1:80", NULL },
	{ "service = web [2001:db8::1]", NULL },
	{ "service = web 192.0.2.1:80 extra", NULL },
	{ "service = w$b 192.0.2.1:80", NULL },
	{ "service = web 192.0.2.1:80\nservice = web 192.0.2.2:80",
	  "t.conf:2: duplicate service name 'web': each service needs its own name\n" },
	{ "allow = 192.0.2.1/24", "t.conf:1: host bits set in '192.0.2.1/24' for 'allow': did you "
	  "mean 192.0.2.0/24?\n" },
	{ "deny = 192.0.2.0/24 nonsense 2001:db8::/129",
	  "t.conf:1: invalid prefix 'nonsense' for 'deny': expected an IPv4 or IPv6 address with "
	  "optional /LENGTH (0..32, 0..128)\n"
	  "t.conf:1: invalid prefix '2001:db8::/129' for 'deny': expected an IPv4 or IPv6 address "
	  "with optional /LENGTH (0..32, 0..128)\n" },
	{ "allow_file = relative.list", NULL },
	{ "allow_file = /nonexistent/synguard.list",
	  "t.conf:1: cannot use '/nonexistent/synguard.list' for 'allow_file': cannot open: "
	  "No such file or directory\n" },
	{ "limit_syn_source = 10", "t.conf:1: invalid value '10' for 'limit_syn_source': expected "
	  "'off' or 'RATE/s [burst BURST]' with RATE 1..10000000 and BURST 1..1000000 "
	  "(default RATE)\n" },
	{ "limit_syn_source = 10/m", NULL },
	{ "limit_syn_source = 10/s burst", NULL },
	{ "limit_syn_source = 10/s bust 20", NULL },
	{ "limit_syn_source = -1/s", NULL },
	{ "limit_syn_source = 10/s burst 0", "t.conf:1: value '10/s burst 0' for "
	  "'limit_syn_source' out of range: expected 1..10000000\n" },
	{ "limit_syn_source = 20000000/s", NULL },
	/* Numbers past 64 bits are out of range, not wrapped or taken whole. */
	{ "limit_syn_source = 99999999999999999999999/s", "t.conf:1: value "
	  "'99999999999999999999999/s' for 'limit_syn_source' out of range: expected 1..10000000\n" },
	{ "limit_syn_source = 10/s burst 99999999999999999999999", "t.conf:1: value "
	  "'10/s burst 99999999999999999999999' for 'limit_syn_source' out of range: expected "
	  "1..10000000\n" },
	{ "limit_syn_source = 10/sburst 5", NULL },
	{ "limit_syn_source = 10/s burst 5x", NULL },
	{ "limit_syn_source = 10/s burst5", NULL },
	{ "limit_syn_source = 10/s burst -5", NULL },
	{ "attack_halfopen_low = 500", "t.conf:1: 'attack_halfopen_low' (500) must be less than "
	  "'attack_halfopen_high' (500)\n" },
	{ "attack_synrate_high = 50", "t.conf:1: 'attack_synrate_low' (200) must be less than "
	  "'attack_synrate_high' (50)\n" },
	{ "track_mark = 0x30000000", "t.conf:1: track_mark (0x30000000) and done_mark (0x20000000) "
	  "must not share bits\n" },
};

START_TEST(conf_err_lists)
{
	const struct err_case *e = &list_cases[_i];
	struct conf c;
	char *errs;
	int n = run(&c, e->text, &errs);

	ck_assert_msg(n >= 1, "no error for '%s'", e->text);
	if (e->errs)
		ck_assert_str_eq(errs, e->errs);
	else
		ck_assert_msg(strncmp(errs, "t.conf:", 7) == 0, "'%s' gave '%s'", e->text, errs);
	free(errs);
	conf_free(&c);
}
END_TEST

START_TEST(conf_rates)
{
	struct conf c;

	run_ok(&c, "limit_syn_source = 50/s\nlimit_synack_dest = 7/s burst 70\n"
		   "limit_rst_source = off\nlimit_syn_service = 0\n");
	ck_assert_uint_eq(c.limit_syn_source.rate, 50);
	ck_assert_uint_eq(c.limit_syn_source.burst, 50);
	ck_assert_uint_eq(c.limit_synack_dest.rate, 7);
	ck_assert_uint_eq(c.limit_synack_dest.burst, 70);
	ck_assert_uint_eq(c.limit_rst_source.rate, 0);
	ck_assert_uint_eq(c.limit_syn_service.rate, 0);
	assert_round_trip(&c);
	conf_free(&c);
	/* Blanks between the words: spaces or tabs, any number. */
	run_ok(&c, "limit_syn_source = 10/s \t burst\t\t20\n");
	ck_assert_uint_eq(c.limit_syn_source.rate, 10);
	ck_assert_uint_eq(c.limit_syn_source.burst, 20);
	/* The default burst is one second's worth, capped. */
	conf_free(&c);
	run_ok(&c, "limit_synack_total = 5000000/s\n");
	ck_assert_uint_eq(c.limit_synack_total.burst, 1000000);
	conf_free(&c);
}
END_TEST

START_TEST(conf_lists_inline_and_file)
{
	static const char data[] = "# blocked\n198.51.100.0/24 203.0.113.7\n\n2001:db8:bad::/48\n";
	char *path = write_temp(data, sizeof(data) - 1), *text;
	uint8_t a[16] = { 198, 51, 100, 9 }, b[16] = { 203, 0, 113, 8 }, v6[16] = { 0x20, 0x01,
		0x0d, 0xb8, 0x0b, 0xad, 0, 1 };
	struct conf c;

	ck_assert_int_gt(asprintf(&text, "deny_file = %s\nallow = 192.0.2.0/25\n"
				  "allow = 192.0.2.200\n", path), 0);
	run_ok(&c, text);
	ck_assert_uint_eq(c.ndeny, 3);
	ck_assert_uint_eq(c.nallow, 2);
	ck_assert(acl_match(c.deny, AF_INET, a));
	ck_assert(!acl_match(c.deny, AF_INET, b));
	b[3] = 7;
	ck_assert(acl_match(c.deny, AF_INET, b));
	ck_assert(acl_match(c.deny, AF_INET6, v6));
	a[0] = 192; a[1] = 0; a[2] = 2; a[3] = 200;
	ck_assert(acl_match(c.allow, AF_INET, a));
	a[3] = 199;
	ck_assert(!acl_match(c.allow, AF_INET, a));
	conf_free(&c);
	free(text);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(conf_list_file_errors_name_the_file)
{
	static const char data[] = "198.51.100.0/24\n\n198.51.100.1/24 # typo\n";
	char *path = write_temp(data, sizeof(data) - 1), *text, *errs, *want;
	struct conf c;

	ck_assert_int_gt(asprintf(&text, "# list\ndeny_file = %s\n", path), 0);
	ck_assert_int_eq(run(&c, text, &errs), 1);
	ck_assert_int_gt(asprintf(&want, "%s:3: host bits set in '198.51.100.1/24' for 'deny_file': "
				  "did you mean 198.51.100.0/24?\n", path), 0);
	ck_assert_str_eq(errs, want);
	conf_free(&c);
	free(text);
	free(errs);
	free(want);
	unlink(path);
	free(path);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = unit_tcase("valid");

	tcase_add_test(tc, conf_defaults_set);
	tcase_add_test(tc, conf_empty_text);
	tcase_add_test(tc, conf_full);
	tcase_add_test(tc, conf_comments_blank);
	tcase_add_test(tc, conf_bool_words);
	tcase_add_test(tc, conf_enum_words);
	tcase_add_test(tc, conf_number_syntax);
	tcase_add_test(tc, conf_path_length);
	tcase_add_test(tc, conf_line_length);
	tcase_add_test(tc, conf_retransmit_ok);
	tcase_add_test(tc, conf_services);
	tcase_add_test(tc, conf_rates);
	tcase_add_test(tc, conf_lists_inline_and_file);
	suite_add_tcase(s, tc);

	tc = unit_tcase("errors");
	tcase_add_loop_test(tc, conf_err_syntax, 0, NCASES(syntax_cases));
	tcase_add_loop_test(tc, conf_err_uint, 0, NCASES(uint_cases));
	tcase_add_loop_test(tc, conf_err_hex, 0, NCASES(hex_cases));
	tcase_add_loop_test(tc, conf_err_size, 0, NCASES(size_cases));
	tcase_add_loop_test(tc, conf_err_duration, 0, NCASES(duration_cases));
	tcase_add_loop_test(tc, conf_err_enum, 0, NCASES(enum_cases));
	tcase_add_loop_test(tc, conf_err_path, 0, NCASES(path_cases));
	tcase_add_loop_test(tc, conf_err_retransmit, 0, NCASES(retransmit_cases));
	tcase_add_test(tc, conf_errors_rejected_value_kept);
	tcase_add_test(tc, conf_errors_many);
	tcase_add_loop_test(tc, conf_err_lists, 0, NCASES(list_cases));
	tcase_add_test(tc, conf_list_file_errors_name_the_file);
	suite_add_tcase(s, tc);

	tc = unit_tcase("print");
	tcase_add_test(tc, conf_print_defaults);
	tcase_add_test(tc, conf_print_canonical);
	tcase_add_test(tc, conf_round_trip);
	tcase_add_test(tc, conf_accel_keys);
	tcase_add_test(tc, conf_round_trip_every_key);
	suite_add_tcase(s, tc);

	tc = unit_tcase("reload");
	tcase_add_test(tc, conf_keep_restart_only_reverts);
	tcase_add_test(tc, conf_keep_restart_only_live);
	tcase_add_test(tc, conf_keep_restart_only_edges);
	suite_add_tcase(s, tc);

	tc = unit_tcase("files");
	tcase_add_test(tc, conf_keys_listed);
	tcase_add_test(tc, conf_load_missing);
	tcase_add_test(tc, conf_load_dir);
	tcase_add_test(tc, conf_load_file);
	tcase_add_test(tc, conf_load_nul);
	tcase_add_test(tc, conf_load_size_limit);
	tcase_add_test(tc, conf_list_file_from_fifo);
	tcase_add_test(tc, conf_example_parses);
	tcase_add_test(tc, conf_example_documents_defaults);
	suite_add_tcase(s, tc);
	return s;
}
