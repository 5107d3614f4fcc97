/* log: leveled messages to stderr (journald adds time and unit), with a
 * per-call-site rate limiter for anything on the packet path. */
#ifndef SYNGUARD_LOG_H
#define SYNGUARD_LOG_H

#include <stdint.h>
#include <syslog.h>

struct log_ratelimit {
	uint64_t window_start_ms;
	unsigned emitted, suppressed;
};

#define LOG_RL_BURST 5
#define LOG_RL_WINDOW_MS 10000

void log_set_level(int level);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_rl(struct log_ratelimit *rl, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Rate-limited, one limiter per call site. */
#define log_rl_at(level, ...) do { \
		static struct log_ratelimit rl_; \
		log_rl(&rl_, level, __VA_ARGS__); \
	} while (0)

#endif
