/* fastpath: the one place that turns "this source is verified" into a
 * kernel set update (see fastpath.h). */
#include "fastpath.h"

#include <errno.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <string.h>
#include <sys/socket.h>

#include "conf.h"
#include "ipset.h"
#include "log.h"
#include "policy.h"
#include "stats.h"

void fastpath_open(struct fastpath *fp, const struct conf *c, struct stats *st)
{
	int rc = ipset_create_sets(c->verified_max, c->verified_ttl_ms / 1000);

	fp->conf = c;
	fp->stats = st;
	fp->set = NULL;
	/* Sets made earlier with other sizes are used as they are: each add
	 * carries its own timeout; maxelem changes need synguard-rules remove. */
	if (rc == -IPSET_ERR_EXIST || rc == -EEXIST) {
		log_notice("fast-path sets exist with other parameters; using them as they are");
		rc = 0;
	}
	if (rc == 0)
		fp->set = ipset_open();
	if (!fp->set)
		log_warn("no kernel fast path for verified sources (ipset %s/%s: %s); their SYNs "
			 "keep going through the queue", IPSET_NAME4, IPSET_NAME6,
			 rc ? strerror(-rc > 4095 ? EPROTO : -rc) : strerror(errno));
}

void fastpath_close(struct fastpath *fp)
{
	ipset_close(fp->set);
	fp->set = NULL;
}

static uint8_t prefix_len(const struct fastpath *fp, int family)
{
	return family == AF_INET6 ? fp->conf->verified_prefix6 : fp->conf->verified_prefix4;
}

void fastpath_verified(struct fastpath *fp, int family, const uint8_t *addr, uint64_t ttl_ms)
{
	uint8_t key[POLICY_SRCKEY_LEN];
	/* Rounded up: a timeout of 0 would make the kernel entry permanent. */
	uint64_t ttl_s = (ttl_ms + 999) / 1000;

	if (!fp->set)
		return;
	policy_source_key(fp->conf, family, addr, key);
	ipset_add(fp->set, family, key + 1, prefix_len(fp, family),
		  (uint32_t)(ttl_s > UINT32_MAX ? UINT32_MAX : ttl_s ? ttl_s : 1));
}

void fastpath_forget(struct fastpath *fp, int family, const uint8_t *addr)
{
	uint8_t key[POLICY_SRCKEY_LEN];

	if (!fp->set)
		return;
	policy_source_key(fp->conf, family, addr, key);
	ipset_del(fp->set, family, key + 1, prefix_len(fp, family));
}

void fastpath_flush(struct fastpath *fp)
{
	struct ipset_tally t;
	int err = 0;
	unsigned refused;

	if (!fp->set)
		return;
	ipset_flush(fp->set, &t);
	refused = ipset_errors(fp->set, &err);
	fp->stats->ipset_adds += t.sent;
	fp->stats->ipset_errors += t.failed + refused;
	if (t.failed)
		err = t.last_errno;
	if (t.failed || refused)
		log_rl_at(LOG_WARNING, "kernel fast-path set update failed: %s (verified "
			  "sources still pass, through the queue)", strerror(err));
}
