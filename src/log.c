/* log: stderr logging with syslog-style "<N>" prefixes that journald turns
 * into priorities; plain text when stderr is a terminal. */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "clock.h"

static int log_level = LOG_INFO;

void log_set_level(int level)
{
	log_level = level;
}

static const char *level_name(int level)
{
	static const char *const names[] = { "emerg", "alert", "crit", "error",
					     "warning", "notice", "info", "debug" };

	return level >= 0 && level <= LOG_DEBUG ? names[level] : "?";
}

static void log_vmsg(int level, const char *fmt, va_list ap)
{
	static int tty = -1;

	if (level > log_level)
		return;
	if (tty < 0)
		tty = isatty(STDERR_FILENO);
	if (tty)
		fprintf(stderr, "synguardd: %s: ", level_name(level));
	else
		fprintf(stderr, "<%d>", level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

void log_rl(struct log_ratelimit *rl, int level, const char *fmt, ...)
{
	uint64_t now = clock_mono_ms();
	va_list ap;

	if (level > log_level)
		return;
	if (now - rl->window_start_ms >= LOG_RL_WINDOW_MS) {
		if (rl->suppressed)
			log_msg(level, "(%u similar messages suppressed)", rl->suppressed);
		rl->window_start_ms = now;
		rl->emitted = rl->suppressed = 0;
	}
	if (rl->emitted >= LOG_RL_BURST) {
		rl->suppressed++;
		return;
	}
	rl->emitted++;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

enum log_kind_action log_kind_note(struct log_kinds *lk, int err, uint64_t now_ms,
				   uint64_t *repeats)
{
	struct log_kind_slot *k = NULL;

	for (unsigned i = 0; i < lk->used && !k; i++)
		if (lk->k[i].err == err)
			k = &lk->k[i];
	if (!k && lk->used == LOG_KINDS)
		k = &lk->k[LOG_KINDS - 1];	/* other kinds: the shared last slot */
	if (!k) {
		k = &lk->k[lk->used++];
		/* The last slot, once taken, stands for every kind after it. */
		k->err = lk->used == LOG_KINDS ? -1 : err;
		k->logged_ms = now_ms;
		k->repeats = 0;
		return LOG_KIND_FIRST;
	}
	if (now_ms - k->logged_ms < LOG_KIND_PERIOD_MS) {
		k->repeats++;
		return LOG_KIND_QUIET;
	}
	*repeats = k->repeats;
	k->repeats = 0;
	k->logged_ms = now_ms;
	return LOG_KIND_SUMMARY;
}

void log_kind(struct log_kinds *lk, int level, int err, const char *fmt, ...)
{
	char line[512];
	uint64_t repeats = 0;
	enum log_kind_action a;
	va_list ap;

	if (level > log_level)
		return;
	a = log_kind_note(lk, err, clock_mono_ms(), &repeats);
	if (a == LOG_KIND_QUIET)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (a == LOG_KIND_FIRST)
		log_msg(level, "%s (repeats counted, logged again at most once a minute)", line);
	else
		log_msg(level, "%s (%llu more like it since this was last logged)", line,
			(unsigned long long)repeats);
}
