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
