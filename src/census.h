/* census: the periodic conntrack census (TCP entries per service and
 * state).  It runs in the loop one receive buffer at a time, at the lowest
 * priority, so a large conntrack table never stalls the packet path; a
 * deadline bounds it in time and census_max in entries. */
#ifndef SYNGUARD_CENSUS_H
#define SYNGUARD_CENSUS_H

#include <stdbool.h>
#include <stdint.h>

#include "ct.h"
#include "policy.h"

struct conf;
struct ev_loop;
struct stats;
struct census;

/* What the last completed (or failed) census found. */
struct census_figures {
	uint64_t count[POLICY_SVC_MAX][CT_NSTATES];	/* TCP entries per service, state */
	uint64_t generation;		/* censuses completed or failed since start */
	uint64_t entries, tcp_entries, duration_ms, done_ms;
	bool truncated, failed;
	int error;			/* the failure's errno */
};

/* Open the ctnetlink socket: NULL (logged) if it cannot, and then there
 * is no census.  conf (services, census_interval, census_max) and st
 * (census_runs, census_errors) stay the caller's and must outlive it. */
struct census *census_open(struct ev_loop *loop, const struct conf *conf, struct stats *st);
void census_close(struct census *c);
/* Start a census now (or right after the running one). */
void census_start(struct census *c);
/* Once a second: start one when census_interval has passed. */
void census_tick(struct census *c, uint64_t now_ms);
bool census_running(const struct census *c);
/* The generation that will hold a census started after this call. */
uint64_t census_next_generation(const struct census *c);
const struct census_figures *census_figures(const struct census *c);

#endif
