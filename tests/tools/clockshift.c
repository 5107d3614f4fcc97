/*
 * clockshift — an LD_PRELOAD shim that steps one process's wall clock
 * without touching the machine's (the e2e tests share the machine).
 *
 * CLOCKSHIFT_FILE names a file holding an offset in seconds (a signed
 * integer).  clock_gettime(CLOCK_REALTIME, CLOCK_REALTIME_COARSE),
 * gettimeofday() and time() return the real wall time plus that offset;
 * every other clock (CLOCK_MONOTONIC, CLOCK_BOOTTIME ...) is untouched.
 * The file is looked at again at most every 10 ms of monotonic time and
 * re-read when it changed (inode, size or mtime), so a test steps the clock
 * by renaming a new file over it, and a call costs one vDSO read of the
 * coarse monotonic clock on top of the real one.  No file, or no number in
 * it: offset 0.  CLOCKSHIFT_COUNT (optional) names a file the shim writes
 * the offset it applied to whenever it changes, for the test to check the
 * shim is in effect.
 *
 * Built as a shared object for the tests only (never installed); preloaded
 * into an AddressSanitizer build it comes before the sanitizer's runtime,
 * so the caller sets ASAN_OPTIONS=verify_asan_link_order=0.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);
typedef int (*gettimeofday_fn)(struct timeval *, void *);

static clock_gettime_fn real_clock_gettime;
static gettimeofday_fn real_gettimeofday;
static long long offset_s;
static long long next_check_ms;
static struct stat seen;

static void resolve(void)
{
	if (!real_clock_gettime)
		real_clock_gettime = (clock_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
	if (!real_gettimeofday)
		real_gettimeofday = (gettimeofday_fn)dlsym(RTLD_NEXT, "gettimeofday");
}

static void report(void)
{
	const char *path = getenv("CLOCKSHIFT_COUNT");
	char buf[32];
	int fd, n;

	if (!path || !*path)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%lld\n", offset_s);
	if (write(fd, buf, (size_t)n) != n) {
		/* nothing to do: the test sees the old figure */
	}
	close(fd);
}

static void reread(const char *path)
{
	char buf[64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long long v = 0;

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			v = strtoll(buf, NULL, 10);
		}
	}
	if (v != offset_s) {
		offset_s = v;
		report();
	}
}

/* The offset now: the file is stat()ed at most every 10 ms. */
static long long current_offset(void)
{
	const char *path = getenv("CLOCKSHIFT_FILE");
	struct timespec m;
	struct stat st;
	long long now_ms;

	if (!path || !*path)
		return 0;
	resolve();
	if (!real_clock_gettime || real_clock_gettime(CLOCK_MONOTONIC_COARSE, &m) != 0)
		return offset_s;
	now_ms = (long long)m.tv_sec * 1000 + m.tv_nsec / 1000000;
	if (now_ms < next_check_ms)
		return offset_s;
	next_check_ms = now_ms + 10;
	if (stat(path, &st) != 0) {
		if (offset_s != 0) {
			offset_s = 0;
			report();
		}
		memset(&seen, 0, sizeof(seen));
		return 0;
	}
	if (st.st_ino != seen.st_ino || st.st_size != seen.st_size ||
	    st.st_mtim.tv_sec != seen.st_mtim.tv_sec || st.st_mtim.tv_nsec != seen.st_mtim.tv_nsec) {
		seen = st;
		reread(path);
	}
	return offset_s;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	int rc;

	resolve();
	if (!real_clock_gettime)
		return -1;
	rc = real_clock_gettime(id, ts);
	if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += (time_t)current_offset();
	return rc;
}

int gettimeofday(struct timeval *tv, void *tz)
{
	int rc;

	resolve();
	if (!real_gettimeofday)
		return -1;
	rc = real_gettimeofday(tv, tz);
	if (rc == 0)
		tv->tv_sec += (time_t)current_offset();
	return rc;
}

time_t time(time_t *out)
{
	struct timespec ts;
	time_t t;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return (time_t)-1;
	t = ts.tv_sec;
	if (out)
		*out = t;
	return t;
}
