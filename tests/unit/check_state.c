/* Unit tests: the state file (save, load, expiry, truncation, corruption). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "state.h"
#include "unit.h"

static char path[64];
static const struct siphash_key seed = { 11, 12 };

struct seen {
	int n, v4, v6;
	uint64_t last_left;
};

static void collect(void *arg, int family, const uint8_t addr[16], uint64_t ms_left)
{
	struct seen *s = arg;

	s->n++;
	if (family == AF_INET && addr[0] == 192 && addr[3] == 2)
		s->v4++;
	if (family == AF_INET6 && addr[0] == 0x20 && addr[1] == 0x01)
		s->v6++;
	s->last_left = ms_left;
}

static void setup(void)
{
	snprintf(path, sizeof(path), "/tmp/sg-state-test.%d", (int)getpid());
}

static void teardown(void)
{
	unlink(path);
}

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(state_roundtrip_skips_expired)
{
	struct table t;
	uint8_t k4[17] = { 4, 192, 0, 2, 2 }, k6[17] = { 6, 0x20, 0x01, 0x0d, 0xb8 };
	uint8_t old[17] = { 4, 192, 0, 2, 9 };
	struct seen s = { 0 };
	char err[200] = "";

	ck_assert_int_eq(table_init(&t, 64, 17, &seed), 0);
	table_insert(&t, k4, 0, 1000 + 60000, 1000);	/* 60 s left */
	table_insert(&t, k6, 0, 1000 + 30000, 1000);
	table_insert(&t, old, 0, 1000 + 500, 1000);	/* 0.5 s left */
	ck_assert_int_eq(state_save(path, &t, 32, 64, 1000, 5000000), 3);
	/* Loaded 10 s of wall time later: the 0.5 s entry is gone. */
	ck_assert_int_eq(state_load(path, 5010000, collect, &s, err, sizeof(err)), 2);
	ck_assert_int_eq(s.v4, 1);
	ck_assert_int_eq(s.v6, 1);
	table_free(&t);
}
END_TEST

START_TEST(state_missing_file_is_empty)
{
	struct seen s = { 0 };
	char err[200] = "";

	ck_assert_int_eq(state_load("/nonexistent/x.state", 0, collect, &s, err, sizeof(err)), 0);
}
END_TEST

static void expect_bad(const char *text, const char *want)
{
	struct seen s = { 0 };
	char err[200] = "", full[120];

	write_file(text);
	ck_assert_int_eq(state_load(path, 0, collect, &s, err, sizeof(err)), -1);
	ck_assert_int_eq(s.n, 0);	/* nothing used from a bad file */
	snprintf(full, sizeof(full), "%s%s", path, want);
	ck_assert_str_eq(err, full);
}

START_TEST(state_bad_files_rejected_whole)
{
	expect_bad("synguard-state 1\n192.0.2.2/32 99\n", ": truncated (no end line)");
	expect_bad("synguard-state 1\n192.0.2.2/32 99\nend 2\n", ":3: entry count does not match");
	expect_bad("synguard-state 2\nend 0\n", ":1: not a synguard state file (version 1)");
	expect_bad("synguard-state 1\n192.0.2.2/33 99\nend 1\n", ":2: malformed entry");
	expect_bad("synguard-state 1\n192.0.2.300/32 99\nend 1\n", ":2: malformed entry");
	expect_bad("synguard-state 1\n192.0.2.2/32 x9\nend 1\n", ":2: malformed entry");
	expect_bad("synguard-state 1\nend 0\n10.0.0.1/8 5\n", ":3: data after the end line");
	expect_bad("synguard-state 1\n192.0.2.2/32 99", ":2: line too long or cut off");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = unit_tcase("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, state_roundtrip_skips_expired);
	tcase_add_test(tc, state_missing_file_is_empty);
	tcase_add_test(tc, state_bad_files_rejected_whole);
	suite_add_tcase(s, tc);
	return s;
}
