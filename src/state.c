/* state: "synguard-state 1", then "address/prefix expiry-unix-ms" lines, then
 * "end N".  The trailer makes truncation detectable; the file is parsed in
 * full before any entry is used, so a bad file changes nothing. */
#include "state.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define STATE_LINE_MAX 128
#define STATE_ENTRIES_MAX (64u << 20)	/* verified_max's upper bound */

struct save_ctx {
	FILE *f;
	uint8_t prefix4, prefix6;
	uint64_t now_mono, now_wall;
	int n;
};

static void save_entry(const void *key, uint64_t value, uint64_t expires, void *arg)
{
	struct save_ctx *s = arg;
	const uint8_t *k = key;
	char addr[INET6_ADDRSTRLEN];
	int family = k[0] == 6 ? AF_INET6 : AF_INET;

	if (!inet_ntop(family, k + 1, addr, sizeof(addr)))
		return;
	fprintf(s->f, "%s/%u %" PRIu64 "\n", addr, family == AF_INET6 ? s->prefix6 : s->prefix4,
		s->now_wall + (expires - s->now_mono));
	s->n++;
}

int state_save(const char *path, const struct table *verified, uint8_t prefix4,
	       uint8_t prefix6, uint64_t now_mono_ms, uint64_t now_wall_ms)
{
	char tmp[300];
	struct save_ctx s = { NULL, prefix4, prefix6, now_mono_ms, now_wall_ms, 0 };
	int bad;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	s.f = fopen(tmp, "we");
	if (!s.f)
		return -1;
	fprintf(s.f, "%s\n# verified sources: address/prefix, expiry in unix ms\n", STATE_MAGIC);
	table_foreach(verified, now_mono_ms, save_entry, &s);
	fprintf(s.f, "end %d\n", s.n);
	bad = fflush(s.f) != 0 || fsync(fileno(s.f)) != 0;
	bad |= fclose(s.f) != 0;
	/* rename() is atomic: a crash leaves the old file or the new one. */
	if (bad || rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		errno = e;
		return -1;
	}
	return s.n;
}

struct entry {
	int family;
	uint8_t addr[16];
	uint64_t expiry;
};

/* "192.0.2.0/24 1732390000123" -> entry; false if malformed. */
static bool parse_entry(char *line, struct entry *e)
{
	char *slash = strchr(line, '/'), *sp, *end;
	unsigned long prefix;

	if (!slash || !(sp = strchr(slash, ' ')))
		return false;
	*slash = *sp = '\0';
	memset(e, 0, sizeof(*e));
	e->family = strchr(line, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(e->family, line, e->addr) != 1)
		return false;
	errno = 0;
	prefix = strtoul(slash + 1, &end, 10);
	if (errno || *end || prefix > (e->family == AF_INET6 ? 128u : 32u))
		return false;
	e->expiry = strtoull(sp + 1, &end, 10);
	return !errno && *end == '\0' && sp[1] >= '0' && sp[1] <= '9';
}

/* One load: where from, the wall clock, where to deliver, where errors go. */
struct load {
	const char *path;
	uint64_t now;
	state_entry_fn fn;
	void *arg;
	char *err;
	size_t errlen;
};

static int fail(const struct load *ld, unsigned line, const char *what)
{
	if (line)
		snprintf(ld->err, ld->errlen, "%s:%u: %s", ld->path, line, what);
	else
		snprintf(ld->err, ld->errlen, "%s: %s", ld->path, what);
	return -1;
}

/* Pass 1 validates the whole file; pass 2 (valid files only) delivers. */
static int scan(FILE *f, const struct load *ld, bool deliver)
{
	char line[STATE_LINE_MAX];
	unsigned lineno = 0, entries = 0;
	int loaded = 0, ended = 0;

	while (fgets(line, sizeof(line), f)) {
		struct entry e;
		size_t len = strlen(line);

		lineno++;
		if (len == 0 || line[len - 1] != '\n')
			return fail(ld, lineno, "line too long or cut off");
		line[len - 1] = '\0';
		if (ended)
			return fail(ld, lineno, "data after the end line");
		if (lineno == 1) {
			if (strcmp(line, STATE_MAGIC) != 0)
				return fail(ld, 1, "not a synguard state file (version 1)");
			continue;
		}
		if (line[0] == '#')
			continue;
		if (strncmp(line, "end ", 4) == 0) {
			if (strtoul(line + 4, NULL, 10) != entries)
				return fail(ld, lineno, "entry count does not match");
			ended = 1;
			continue;
		}
		if (!parse_entry(line, &e) || ++entries > STATE_ENTRIES_MAX)
			return fail(ld, lineno, "malformed entry");
		if (deliver && e.expiry > ld->now) {
			ld->fn(ld->arg, e.family, e.addr, e.expiry - ld->now);
			loaded++;
		}
	}
	if (!ended)
		return fail(ld, 0, "truncated (no end line)");
	return loaded;
}

int state_load(const char *path, uint64_t now_wall_ms, state_entry_fn fn, void *arg,
	       char *err, size_t errlen)
{
	const struct load ld = { path, now_wall_ms, fn, arg, err, errlen };
	FILE *f = fopen(path, "re");
	int rc;

	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = scan(f, &ld, false);
	if (rc >= 0) {
		rewind(f);
		rc = scan(f, &ld, true);
	}
	fclose(f);
	return rc;
}
