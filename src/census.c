/* census: the conntrack census driver (see census.h). */
#include "census.h"

#include <errno.h>
#include <ev.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "conf.h"
#include "log.h"
#include "stats.h"

#define CENSUS_DEADLINE_S 10.

struct census {
	struct ct_census *ct;
	struct ev_loop *loop;
	const struct conf *conf;
	struct stats *stats;
	ev_io io;
	ev_timer deadline;
	struct census_figures last;
	uint64_t work[POLICY_SVC_MAX][CT_NSTATES], work_tcp, started_ms;
	bool again;		/* asked for while one ran: start another after it */
};

static void count_entry(const struct ct_entry *e, void *arg)
{
	struct census *c = arg;
	unsigned svc = policy_service_of(c->conf, e->tuple.family, e->tuple.server,
					 e->tuple.server_port);

	c->work[svc][e->state]++;
	c->work_tcp++;
}

static void finish(struct census *c, int err)
{
	ev_io_stop(c->loop, &c->io);
	ev_timer_stop(c->loop, &c->deadline);
	c->last.done_ms = clock_mono_ms();
	c->last.duration_ms = c->last.done_ms - c->started_ms;
	c->last.error = err;
	c->last.failed = err != 0;
	if (err) {
		c->stats->census_errors++;
		log_kind_at(LOG_WARNING, err, "conntrack census failed: %s", strerror(err));
	} else {
		c->stats->census_runs++;
		memcpy(c->last.count, c->work, sizeof(c->last.count));
		c->last.entries = ct_census_seen(c->ct);
		c->last.tcp_entries = c->work_tcp;
		c->last.truncated = ct_census_truncated(c->ct);
	}
	c->last.generation++;
	if (c->again) {
		c->again = false;
		census_start(c);
	}
}

static void read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct census *c = w->data;
	int rc = ct_census_read(c->ct, count_entry, c);

	if (rc <= 0)
		finish(c, rc < 0 ? errno : 0);
}

static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct census *c = w->data;

	ct_census_abort(c->ct);
	finish(c, ETIMEDOUT);
}

void census_start(struct census *c)
{
	if (ct_census_running(c->ct)) {
		c->again = true;	/* the running one may predate the request */
		return;
	}
	c->started_ms = clock_mono_ms();
	memset(c->work, 0, sizeof(c->work));
	c->work_tcp = 0;
	if (ct_census_start(c->ct, c->conf->census_max) < 0) {
		finish(c, errno);
		return;
	}
	/* An aborted dump swaps in a fresh socket under the same number:
	 * set the fd again so libev registers the new one. */
	ev_io_set(&c->io, ct_census_fd(c->ct), EV_READ);
	ev_io_start(c->loop, &c->io);
	ev_timer_set(&c->deadline, CENSUS_DEADLINE_S, 0.);
	ev_timer_start(c->loop, &c->deadline);
}

void census_tick(struct census *c, uint64_t now_ms)
{
	if (c && c->conf->census_interval_ms && now_ms - c->started_ms >= c->conf->census_interval_ms)
		census_start(c);
}

struct census *census_open(struct ev_loop *loop, const struct conf *conf, struct stats *st)
{
	struct census *c = calloc(1, sizeof(*c));

	if (!c || !(c->ct = ct_census_open())) {
		log_warn("no conntrack census: %s", strerror(errno));
		free(c);
		return NULL;
	}
	c->loop = loop;
	c->conf = conf;
	c->stats = st;
	ev_io_init(&c->io, read_cb, ct_census_fd(c->ct), EV_READ);
	ev_set_priority(&c->io, EV_MINPRI);
	c->io.data = c;
	ev_init(&c->deadline, deadline_cb);
	c->deadline.data = c;
	/* The first census runs one interval after start. */
	c->started_ms = clock_mono_ms();
	return c;
}

void census_close(struct census *c)
{
	if (!c)
		return;
	ev_io_stop(c->loop, &c->io);
	ev_timer_stop(c->loop, &c->deadline);
	ct_census_close(c->ct);
	free(c);
}

bool census_running(const struct census *c)
{
	return ct_census_running(c->ct);
}

uint64_t census_next_generation(const struct census *c)
{
	return c->last.generation + 1 + c->again;
}

const struct census_figures *census_figures(const struct census *c)
{
	return &c->last;
}
