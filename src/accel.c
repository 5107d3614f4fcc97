/* accel: the fast path's loader (see accel.h). */
#include "accel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#define ACCEL_IFACES_MAX 16

struct accel {
	struct bpf_object *obj;
	int prog, keys, cfg_fd, services, verified4, verified6, stats;
	int lists[2][2];		/* [deny][v6] */
	int ncpus;
	uint64_t *percpu;		/* one per-CPU value's copies */
	struct sg_bpf_cfg cfg;		/* as last written, lists bits ours */
	int retrans_passed, svc_stats;
	unsigned nattached;
	struct { int ifindex; uint32_t flags; } attached[ACCEL_IFACES_MAX];
	unsigned adopted;		/* verified sources taken from a stale program */
};

static int map_fd(struct accel *a, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(a->obj, name);

	return m ? bpf_map__fd(m) : -1;
}

static int find_maps(struct accel *a)
{
	a->keys = map_fd(a, "sg_keys");
	a->cfg_fd = map_fd(a, "sg_cfg");
	a->services = map_fd(a, "sg_services");
	a->verified4 = map_fd(a, "sg_verified4");
	a->verified6 = map_fd(a, "sg_verified6");
	a->stats = map_fd(a, "sg_stats");
	a->retrans_passed = map_fd(a, "sg_retrans_passed");
	a->svc_stats = map_fd(a, "sg_svc_stats");
	a->lists[0][0] = map_fd(a, "sg_allow4");
	a->lists[0][1] = map_fd(a, "sg_allow6");
	a->lists[1][0] = map_fd(a, "sg_deny4");
	a->lists[1][1] = map_fd(a, "sg_deny6");
	return a->keys < 0 || a->cfg_fd < 0 || a->services < 0 || a->verified4 < 0 ||
	       a->verified6 < 0 || a->stats < 0 || a->retrans_passed < 0 || a->svc_stats < 0 || a->lists[0][0] < 0 || a->lists[0][1] < 0 ||
	       a->lists[1][0] < 0 || a->lists[1][1] < 0 ? -1 : 0;
}

struct accel *accel_open(const char *path, char *err, size_t errlen)
{
	struct accel *a = calloc(1, sizeof(*a));
	struct bpf_program *p;
	int rc;

	if (!a) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	libbpf_set_print(NULL);	/* errors come back as codes, reported once */
	a->obj = bpf_object__open_file(path, NULL);
	if (!a->obj) {
		rc = errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(rc));
		goto fail;
	}
	rc = bpf_object__load(a->obj);
	if (rc) {
		rc = -rc;
		snprintf(err, errlen, "the kernel refused %s: %s", path, strerror(rc));
		goto fail;
	}
	p = bpf_object__find_program_by_name(a->obj, "sg_xdp");
	a->prog = p ? bpf_program__fd(p) : -1;
	a->ncpus = libbpf_num_possible_cpus();
	/* Room for the largest per-CPU value (struct sg_bpf_svc_stats). */
	a->percpu = a->ncpus > 0 ? calloc((size_t)a->ncpus * 3, sizeof(*a->percpu)) : NULL;
	if (a->prog < 0 || find_maps(a) < 0 || !a->percpu) {
		rc = EPROTO;
		snprintf(err, errlen, "%s: not a synguard fast-path object", path);
		goto fail;
	}
	return a;
fail:
	accel_close(a);
	errno = rc;
	return NULL;
}

void accel_close(struct accel *a)
{
	if (!a)
		return;
	accel_detach_all(a);
	bpf_object__close(a->obj);
	free(a->percpu);
	free(a);
}

static int put0(int fd, const void *value)
{
	uint32_t zero = 0;

	return bpf_map_update_elem(fd, &zero, value, BPF_ANY) ? -1 : 0;
}

int accel_set_keys(struct accel *a, const struct cookie_ctx *c, const struct siphash_key *fp)
{
	struct sg_bpf_keys k = {
		.cur_k0 = c->key_cur.k0, .cur_k1 = c->key_cur.k1,
		.prev_k0 = c->key_prev.k0, .prev_k1 = c->key_prev.k1,
		.fp_k0 = fp->k0, .fp_k1 = fp->k1,
		.parity = (uint32_t)(c->epoch & 1), .valid = 1,
	};

	return put0(a->keys, &k);
}

int accel_set_cfg(struct accel *a, const struct sg_bpf_cfg *cfg)
{
	uint8_t lists = a->cfg.lists;

	a->cfg = *cfg;
	a->cfg.lists = lists;
	return put0(a->cfg_fd, &a->cfg);
}

int accel_set_service(struct accel *a, const struct sg_bpf_svc_key *k, const struct sg_bpf_svc *v)
{
	return bpf_map_update_elem(a->services, k, v, BPF_ANY) ? -1 : 0;
}

/* Delete every key of a map (bounded by its size: a map shrinks as we go). */
static void clear_map(int fd, size_t keysize)
{
	uint8_t key[64];

	if (keysize > sizeof(key))
		return;
	for (int i = 0; i < 1 << 17 && bpf_map_get_next_key(fd, NULL, key) == 0; i++)
		bpf_map_delete_elem(fd, key);
}

void accel_clear_services(struct accel *a)
{
	clear_map(a->services, sizeof(struct sg_bpf_svc_key));
}

void accel_clear_lists(struct accel *a)
{
	clear_map(a->lists[0][0], sizeof(struct sg_bpf_lpm4));
	clear_map(a->lists[1][0], sizeof(struct sg_bpf_lpm4));
	clear_map(a->lists[0][1], sizeof(struct sg_bpf_lpm6));
	clear_map(a->lists[1][1], sizeof(struct sg_bpf_lpm6));
	a->cfg.lists = 0;
	put0(a->cfg_fd, &a->cfg);
}

int accel_set_verified(struct accel *a, int family, const uint8_t *addr, uint64_t until_ns)
{
	int fd = family == AF_INET6 ? a->verified6 : a->verified4;

	return bpf_map_update_elem(fd, addr, &until_ns, BPF_ANY) ? -1 : 0;
}

int accel_forget_verified(struct accel *a, int family, const uint8_t *addr)
{
	int fd = family == AF_INET6 ? a->verified6 : a->verified4;

	return bpf_map_delete_elem(fd, addr) && errno != ENOENT ? -1 : 0;
}

int accel_walk_verified(struct accel *a, accel_verified_fn fn, void *arg)
{
	const int fds[2] = { a->verified4, a->verified6 }, fam[2] = { AF_INET, AF_INET6 };
	int n = 0;

	for (int f = 0; f < 2; f++) {
		size_t ks = f ? 16 : 4;
		uint8_t key[16], next[16];
		void *prev = NULL;
		uint64_t until;

		for (int i = 0; i < 1 << 21 && bpf_map_get_next_key(fds[f], prev, next) == 0; i++) {
			uint8_t addr[16] = { 0 };

			memcpy(key, next, ks);
			prev = key;
			if (bpf_map_lookup_elem(fds[f], key, &until) < 0)
				continue;
			memcpy(addr, key, ks);
			fn(arg, fam[f], addr, until);
			n++;
		}
	}
	return n;
}

unsigned accel_adopted(const struct accel *a)
{
	return a->adopted;
}

bool accel_take_retransmission(struct accel *a, uint64_t fp)
{
	uint64_t when;

	return bpf_map_lookup_and_delete_elem(a->retrans_passed, &fp, &when) == 0;
}

int accel_set_listed(struct accel *a, int deny, int family, const uint8_t *addr, unsigned plen)
{
	struct sg_bpf_lpm6 k = { .prefixlen = plen };
	uint8_t one = 1;
	int v6 = family == AF_INET6;

	memcpy(k.addr, addr, v6 ? 16 : 4);
	if (bpf_map_update_elem(a->lists[!!deny][v6], &k, &one, BPF_ANY))
		return -1;
	/* The program looks a list up only once it has entries. */
	a->cfg.lists |= deny ? (v6 ? SG_BPF_LIST_DENY6 : SG_BPF_LIST_DENY4)
			     : (v6 ? SG_BPF_LIST_ALLOW6 : SG_BPF_LIST_ALLOW4);
	return put0(a->cfg_fd, &a->cfg);
}

int accel_stat(struct accel *a, enum sg_bpf_stat s, uint64_t *sum)
{
	uint32_t key = s;

	if (bpf_map_lookup_elem(a->stats, &key, a->percpu))
		return -1;
	*sum = 0;
	for (int i = 0; i < a->ncpus; i++)
		*sum += a->percpu[i];
	return 0;
}

/* veth's native XDP_TX delivers only when its peer has an XDP program too. */
static bool is_veth(const char *name)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { .ifr_data = (void *)&info };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	rc = ioctl(fd, SIOCETHTOOL, &ifr);
	close(fd);
	return rc == 0 && strcmp(info.driver, "veth") == 0;
}

/* The fd of the program on ifindex if it is one a synguardd left there
 * (killed before it could detach), else -1. */
static int stale_own(int ifindex)
{
	struct bpf_prog_info info;
	uint32_t id = 0, len = sizeof(info);
	int fd;

	if (bpf_xdp_query_id(ifindex, 0, &id) < 0 || !id || (fd = bpf_prog_get_fd_by_id(id)) < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.type == BPF_PROG_TYPE_XDP &&
	    strcmp(info.name, "sg_xdp") == 0)
		return fd;
	close(fd);
	return -1;
}

/* Copy the unexpired entries of one map into another of the same layout. */
static unsigned copy_verified(int from, int to, size_t keysize, uint64_t now_ns)
{
	uint8_t key[16], next[16];
	uint64_t until;
	unsigned n = 0;
	void *prev = NULL;

	for (int i = 0; i < 1 << 21 && bpf_map_get_next_key(from, prev, next) == 0; i++) {
		memcpy(key, next, keysize);
		prev = key;
		if (bpf_map_lookup_elem(from, key, &until) == 0 && until > now_ns &&
		    bpf_map_update_elem(to, key, &until, BPF_ANY) == 0)
			n++;
	}
	return n;
}

/* The verified sources of the program a killed synguardd left (old: its
 * fd) go into ours before it is replaced: no source is challenged again. */
static void adopt_verified(struct accel *a, int old)
{
	struct bpf_prog_info info;
	uint32_t ids[64], len = sizeof(info);
	struct timespec ts;

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = 64;
	info.map_ids = (uint64_t)(uintptr_t)ids;
	if (bpf_obj_get_info_by_fd(old, &info, &len) < 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (uint32_t i = 0; i < info.nr_map_ids && i < 64; i++) {
		struct bpf_map_info mi;
		uint32_t mlen = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		memset(&mi, 0, sizeof(mi));
		if (bpf_obj_get_info_by_fd(fd, &mi, &mlen) == 0) {
			uint64_t now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;

			if (strcmp(mi.name, "sg_verified4") == 0 && mi.key_size == 4)
				a->adopted += copy_verified(fd, a->verified4, 4, now);
			else if (strcmp(mi.name, "sg_verified6") == 0 && mi.key_size == 16)
				a->adopted += copy_verified(fd, a->verified6, 16, now);
		}
		close(fd);
	}
}

static int attach_flags(struct accel *a, int ifindex, uint32_t flags, bool *replaced)
{
	/* UPDATE_IF_NOEXIST: a foreign program is never replaced; one a
	 * killed synguardd left is, atomically (REPLACE with its fd). */
	int rc = bpf_xdp_attach(ifindex, a->prog, flags | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);

	if (rc == -EBUSY || rc == -EEXIST) {
		int old = stale_own(ifindex);
		LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = old);

		if (old >= 0)
			adopt_verified(a, old);
		rc = old < 0 ? -EEXIST : bpf_xdp_attach(ifindex, a->prog, flags | XDP_FLAGS_REPLACE, &o);
		if (old >= 0)
			close(old);
		*replaced = rc == 0;
	}
	if (rc < 0) {
		errno = -rc == EBUSY ? EEXIST : -rc;
		return -1;
	}
	a->attached[a->nattached].ifindex = ifindex;
	a->attached[a->nattached].flags = flags;
	a->nattached++;
	return 0;
}

int accel_attach(struct accel *a, const char *name, enum accel_attach how, const char **used,
		 bool *replaced)
{
	int ifindex = (int)if_nametoindex(name);
	bool generic = how == ACCEL_GENERIC || (how == ACCEL_AUTO && is_veth(name));

	*replaced = false;

	if (!ifindex)
		return -1;
	if (a->nattached == ACCEL_IFACES_MAX) {
		errno = ENOSPC;
		return -1;
	}
	if (!generic) {
		if (attach_flags(a, ifindex, XDP_FLAGS_DRV_MODE, replaced) == 0) {
			*used = "xdp";
			return 0;
		}
		if (how == ACCEL_NATIVE || errno == EEXIST)
			return -1;
	}
	if (attach_flags(a, ifindex, XDP_FLAGS_SKB_MODE, replaced) < 0)
		return -1;
	*used = "xdp-generic";
	return 0;
}

void accel_detach_all(struct accel *a)
{
	for (unsigned i = 0; i < a->nattached; i++) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = a->prog);

		/* Only if it is still ours. */
		bpf_xdp_detach(a->attached[i].ifindex, a->attached[i].flags | XDP_FLAGS_REPLACE, &o);
	}
	a->nattached = 0;
}

int accel_svc_stats(struct accel *a, unsigned index, struct sg_bpf_svc_stats *sum)
{
	const struct sg_bpf_svc_stats *v = (const void *)a->percpu;
	uint32_t key = index;

	if (bpf_map_lookup_elem(a->svc_stats, &key, a->percpu))
		return -1;
	memset(sum, 0, sizeof(*sum));
	for (int i = 0; i < a->ncpus; i++) {
		sum->syn += v[i].syn;
		sum->unverified += v[i].unverified;
		sum->challenges += v[i].challenges;
	}
	return 0;
}

int accel_test_run(struct accel *a, struct accel_run *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = r->in, .data_size_in = (uint32_t)r->inlen,
		    .data_out = r->out, .data_size_out = (uint32_t)r->outlen,
		    .repeat = r->repeat ? r->repeat : 1);

	if (bpf_prog_test_run_opts(a->prog, &o))
		return -1;
	r->outlen = o.data_size_out;
	r->action = o.retval;
	r->ns = o.duration;
	return 0;
}
