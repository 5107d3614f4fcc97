/* state: the verified sources across restarts.  A small text file, written
 * atomically on stop and read on start; expiries are wall-clock so they
 * survive reboots, expired entries are skipped, and a corrupt or truncated
 * file is reported (file:line) and ignored as a whole. */
#ifndef SYNGUARD_STATE_H
#define SYNGUARD_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "table.h"

#define STATE_MAGIC "synguard-state 1"

/* Write every live entry of the verified table (keys as built by
 * policy_source_key) with its prefix length.  Returns entries written or -1
 * (errno). */
int state_save(const char *path, const struct table *verified, uint8_t prefix4,
	       uint8_t prefix6, uint64_t now_mono_ms, uint64_t now_wall_ms);

/* For each entry still valid at now_wall_ms: fn(arg, family, addr, ms left). */
typedef void (*state_entry_fn)(void *arg, int family, const uint8_t addr[16], uint64_t ms_left);

/* Returns entries loaded (expired ones not counted), 0 if the file does not
 * exist, or -1 with "path:line: problem" in err when the file is corrupt or
 * truncated, in which case fn was never called. */
int state_load(const char *path, uint64_t now_wall_ms, state_entry_fn fn, void *arg,
	       char *err, size_t errlen);

#endif
