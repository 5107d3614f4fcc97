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

/* A call site's refusals by kind (errno): the first of each kind is
 * logged at once, repeats are only counted, and a repeat at least
 * LOG_KIND_PERIOD_MS after the kind's last line logs it again with the
 * count of those in between.  So a refusal on every packet writes one line
 * per kind and minute, not one per packet.  Kinds past LOG_KINDS share the
 * last slot (err -1: "other"). */
#define LOG_KINDS 4
#define LOG_KIND_PERIOD_MS 60000

struct log_kind_slot {
	int err;
	uint64_t logged_ms;	/* when this kind's last line went out */
	uint64_t repeats;	/* since then, not logged */
};

struct log_kinds {
	unsigned used;
	struct log_kind_slot k[LOG_KINDS];
};

enum log_kind_action { LOG_KIND_QUIET, LOG_KIND_FIRST, LOG_KIND_SUMMARY };

void log_set_level(int level);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_rl(struct log_ratelimit *rl, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Pure: what one refusal of kind err at now_ms calls for; with
 * LOG_KIND_SUMMARY, *repeats is how many went unlogged since the kind's
 * last line (their count restarts). */
enum log_kind_action log_kind_note(struct log_kinds *lk, int err, uint64_t now_ms,
				   uint64_t *repeats);
/* log_kind_note, then the line (fmt should name the error), a summary
 * with the count appended. */
void log_kind(struct log_kinds *lk, int level, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

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

/* One line per kind of error per call site (see struct log_kinds). */
#define log_kind_at(level, err, ...) do { \
		static struct log_kinds lk_; \
		log_kind(&lk_, level, err, __VA_ARGS__); \
	} while (0)

#endif
