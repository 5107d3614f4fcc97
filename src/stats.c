/* stats: walk the counter list by name, for the control socket. */
#include "stats.h"

void stats_foreach(const struct stats *s, stats_visit_fn fn, void *arg)
{
#define STATS_VISIT(name, help) fn(#name, help, s->name, arg);
	STATS_COUNTERS(STATS_VISIT)
#undef STATS_VISIT
}
