/* accel: the fast path's loader (see accel.h). */
#include "accel.h"

#include "siphash.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#define ACCEL_IFACES_MAX 16

struct accel {
	struct bpf_object *obj;
	int prog, tc_prog, keys, active, cfg_fd, ports, services, verified4, verified6, stats;
	int lists[SG_BPF_GENS][2][2];	/* [generation][deny][v6] */
	int ncpus;
	uint64_t *percpu;		/* one per-CPU value's copies */
	/* The generation the program uses, and the one being written between
	 * accel_stage and accel_commit (-1: none, writes go to gen). */
	int gen, staging;
	struct sg_bpf_cfg cfg[SG_BPF_GENS];	/* as last written; lists, svc_addr ours */
	uint8_t ports_set[SG_BPF_GENS][65536 / 8];	/* sg_ports entries written */
	int catchall_ports;		/* sg_catchall_ports */
	int svc_opts;			/* sg_svc_opts */
	uint64_t catchall_bits[SG_BPF_GENS][SG_BPF_PORT_WORDS];	/* as written */
	int retrans_passed, svc_stats;
	int qdiscs;			/* sg_qdiscs */
	uint64_t fp_k0, fp_k1;		/* the program's fingerprint keys */
	uint32_t retrans_mask, victim_mask;	/* the tables' sizes, less one */
	struct ring_buffer *events;	/* sg_events */
	accel_event_fn ev_fn;		/* while accel_events runs */
	void *ev_arg;
	unsigned ev_n;
	uint32_t tc_id;			/* sg_tc's id: the filter at our slot is ours */
	unsigned nattached;
	/* Where the program is: XDP in mode flags, or TC (in a clsact qdisc
	 * that we created: then it goes at detach, if nothing else is in it). */
	struct { int ifindex; uint32_t flags; bool tc, qdisc; } attached[ACCEL_IFACES_MAX];
	unsigned adopted;		/* verified sources taken from a stale program */
	char pin_dir[256];		/* "" : nothing pinned */
	char pin_err[512];
	bool reused;			/* the pinned tables were taken over */
	/* The programs a killed synguardd pinned (sg_xdp, sg_tc), 0: none. */
	uint32_t stale_xdp_id, stale_tc_id;
	/* Their fds, from the pins (-1: none): a daemon without CAP_SYS_ADMIN
	 * (the systemd unit's) cannot open a program by its id. */
	int stale_xdp_fd, stale_tc_fd;
};

static int map_fd(struct accel *a, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(a->obj, name);

	return m ? bpf_map__fd(m) : -1;
}

static int find_maps(struct accel *a)
{
	static const char *const lists[SG_BPF_GENS][2][2] = {
		{ { "sg_allow4_0", "sg_allow6_0" }, { "sg_deny4_0", "sg_deny6_0" } },
		{ { "sg_allow4_1", "sg_allow6_1" }, { "sg_deny4_1", "sg_deny6_1" } },
	};
	int bad = 0;

	for (int g = 0; g < SG_BPF_GENS; g++)
		for (int d = 0; d < 2; d++)
			for (int v6 = 0; v6 < 2; v6++)
				bad |= (a->lists[g][d][v6] = map_fd(a, lists[g][d][v6])) < 0;
	a->keys = map_fd(a, "sg_keys");
	a->active = map_fd(a, "sg_active");
	a->cfg_fd = map_fd(a, "sg_cfg");
	a->ports = map_fd(a, "sg_ports");
	a->services = map_fd(a, "sg_services");
	a->catchall_ports = map_fd(a, "sg_catchall_ports");
	a->svc_opts = map_fd(a, "sg_svc_opts");
	a->verified4 = map_fd(a, "sg_verified4");
	a->verified6 = map_fd(a, "sg_verified6");
	a->stats = map_fd(a, "sg_stats");
	a->retrans_passed = map_fd(a, "sg_retrans_passed");
	a->svc_stats = map_fd(a, "sg_svc_stats");
	a->qdiscs = map_fd(a, "sg_qdiscs");
	return bad || a->keys < 0 || a->active < 0 || a->cfg_fd < 0 || a->ports < 0 ||
	       a->services < 0 || a->catchall_ports < 0 || a->verified4 < 0 || a->verified6 < 0 || a->stats < 0 ||
	       a->retrans_passed < 0 || a->svc_stats < 0 || a->qdiscs < 0 || a->svc_opts < 0 ? -1 : 0;
}

static void count_one(void *arg, int family, const uint8_t addr[16], uint64_t until_ns)
{
	(void)arg, (void)family, (void)addr, (void)until_ns;
}

/* The tables pinned: state a crash must not lose. */
static const char *const pinned_maps[] = {
	"sg_verified4", "sg_verified6", "sg_retrans", "sg_retrans_passed",
	"sg_victims", "sg_total", "sg_rst_limits", "sg_trip", "sg_qdiscs",
};
#define NPINNED (sizeof(pinned_maps) / sizeof(pinned_maps[0]))

static int pin_path(const struct accel *a, const char *name, char *path, size_t size)
{
	int n = snprintf(path, size, "%s/%s", a->pin_dir, name);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Whether the pinned map fd is the one m would create: the same type,
 * key, value and size (a config with other sizes starts afresh). */
static bool same_map(int fd, const struct bpf_map *m)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
	       info.type == (uint32_t)bpf_map__type(m) && info.key_size == bpf_map__key_size(m) &&
	       info.value_size == bpf_map__value_size(m) &&
	       info.max_entries == bpf_map__max_entries(m);
}

/* The program (name) a synguardd pinned in pin_dir: its fd and *id, or
 * -1 (and 0) if none. */
static int pinned_prog(const struct accel *a, const char *name, uint32_t *id)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	char path[320];
	int fd;

	*id = 0;
	if (!a->pin_dir[0] || pin_path(a, name, path, sizeof(path)) < 0 ||
	    (fd = bpf_obj_get(path)) < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0) {
		close(fd);
		return -1;
	}
	*id = info.id;
	return fd;
}

/* Before load: take over the tables a killed synguardd pinned in dir (or
 * note why not, and pin nothing). */
static void pin_reuse(struct accel *a, const char *dir)
{
	struct statfs fs;

	a->pin_dir[0] = 0;
	if (!dir || !dir[0])
		return;
	if (snprintf(a->pin_dir, sizeof(a->pin_dir), "%s", dir) >= (int)sizeof(a->pin_dir)) {
		snprintf(a->pin_err, sizeof(a->pin_err), "%s: path too long", dir);
		a->pin_dir[0] = 0;
		return;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(a->pin_err, sizeof(a->pin_err), "%s: %s", dir, strerror(errno));
		a->pin_dir[0] = 0;
		return;
	}
	if (statfs(dir, &fs) < 0 || fs.f_type != BPF_FS_MAGIC) {
		snprintf(a->pin_err, sizeof(a->pin_err), "%s is not on a bpf filesystem", dir);
		a->pin_dir[0] = 0;
		return;
	}
	/* Before ours take the pins. */
	a->stale_xdp_fd = pinned_prog(a, "sg_xdp", &a->stale_xdp_id);
	a->stale_tc_fd = pinned_prog(a, "sg_tc", &a->stale_tc_id);
	for (size_t i = 0; i < NPINNED; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(a->obj, pinned_maps[i]);
		char path[320];
		int fd;

		if (!m || pin_path(a, pinned_maps[i], path, sizeof(path)) < 0)
			continue;
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		if (same_map(fd, m) && bpf_map__reuse_fd(m, fd) == 0)
			a->reused = true;
		else
			unlink(path);	/* another layout: this run starts it afresh */
		close(fd);
	}
}

/* After load: pin the tables that are new. */
static void pin_maps(struct accel *a)
{
	if (!a->pin_dir[0])
		return;
	for (size_t i = 0; i < NPINNED; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(a->obj, pinned_maps[i]);
		char path[320];

		if (!m || pin_path(a, pinned_maps[i], path, sizeof(path)) < 0)
			continue;
		if (access(path, F_OK) == 0)
			continue;	/* taken over: pinned already */
		if (bpf_obj_pin(bpf_map__fd(m), path) < 0) {
			snprintf(a->pin_err, sizeof(a->pin_err), "cannot pin %s: %s", path,
				 strerror(errno));
			accel_unpin(a);
			return;
		}
	}
}

/* The program (XDP, or TC), pinned once attached: the next synguardd
 * knows its own. */
static void pin_prog(struct accel *a, bool tc)
{
	const char *name = tc ? "sg_tc" : "sg_xdp";
	char path[320];

	if (!a->pin_dir[0] || pin_path(a, name, path, sizeof(path)) < 0)
		return;
	unlink(path);
	if (bpf_obj_pin(tc ? a->tc_prog : a->prog, path) < 0)
		snprintf(a->pin_err, sizeof(a->pin_err), "cannot pin %s: %s", path, strerror(errno));
}

const char *accel_pin_error(const struct accel *a)
{
	return a->pin_err[0] ? a->pin_err : NULL;
}

void accel_unpin(struct accel *a)
{
	char path[320];

	if (!a || !a->pin_dir[0])
		return;
	for (size_t i = 0; i < NPINNED; i++)
		if (pin_path(a, pinned_maps[i], path, sizeof(path)) == 0)
			unlink(path);
	if (pin_path(a, "sg_xdp", path, sizeof(path)) == 0)
		unlink(path);
	if (pin_path(a, "sg_tc", path, sizeof(path)) == 0)
		unlink(path);
	rmdir(a->pin_dir);
	a->pin_dir[0] = 0;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct accel *a = ctx;
	const struct sg_bpf_event *ev = data;

	if (size < sizeof(*ev))
		return 0;	/* not ours to know: skipped */
	if (ev->type == SG_BPF_EV_VERIFIED && ev->family != AF_INET && ev->family != AF_INET6)
		return 0;
	if (ev->type == SG_BPF_EV_TRIPPED && ev->svc >= SG_BPF_SVC_MAX)
		return 0;
	a->ev_n++;
	if (a->ev_fn)
		a->ev_fn(a->ev_arg, ev);
	return 0;
}

static int open_events(struct accel *a)
{
	int fd = map_fd(a, "sg_events");

	a->events = fd < 0 ? NULL : ring_buffer__new(fd, on_event, a, NULL);
	return a->events ? 0 : -1;
}

int accel_events_fd(struct accel *a)
{
	return ring_buffer__epoll_fd(a->events);
}

int accel_events(struct accel *a, accel_event_fn fn, void *arg)
{
	int rc;

	a->ev_fn = fn;
	a->ev_arg = arg;
	a->ev_n = 0;
	rc = ring_buffer__consume(a->events);
	a->ev_fn = NULL;
	return rc < 0 ? rc : (int)a->ev_n;
}

/* The smallest power of two >= n (n <= 2^31), at least 1. */
static uint32_t pow2(uint32_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* The program's fallback entries for the daemon's retransmit_table:
 * SG_BPF_RETRANS_SLACK times as many, at most SG_BPF_RETRANS_MAX (sg_bpf.h
 * says why). */
static uint32_t retrans_entries(uint32_t table)
{
	uint64_t n = (uint64_t)table * SG_BPF_RETRANS_SLACK;

	return n > SG_BPF_RETRANS_MAX ? SG_BPF_RETRANS_MAX : (uint32_t)n;
}

/* The tables' sizes from sz (the daemon's caps), before the kernel
 * allocates them; 0 or a positive errno. */
static int size_maps(struct accel *a, const struct accel_sizes *sz)
{
	static const char *const verified[] = { "sg_verified4", "sg_verified6" };
	uint32_t sets = SG_BPF_RETRANS_SETS, slots = SG_BPF_VICTIM_SLOTS;
	struct bpf_map *m;

	if (sz) {
		sets = pow2(retrans_entries(sz->retrans) / SG_BPF_RETRANS_WAYS);
		slots = pow2(sz->victims);
		for (int i = 0; i < 2; i++) {
			m = bpf_object__find_map_by_name(a->obj, verified[i]);
			if (!m || bpf_map__set_max_entries(m, sz->verified))
				return EPROTO;
		}
		m = bpf_object__find_map_by_name(a->obj, "sg_retrans");
		if (!m || bpf_map__set_max_entries(m, sets))
			return EPROTO;
		m = bpf_object__find_map_by_name(a->obj, "sg_victims");
		if (!m || bpf_map__set_max_entries(m, slots))
			return EPROTO;
		m = bpf_object__find_map_by_name(a->obj, "sg_rst_limits");
		if (!m || bpf_map__set_max_entries(m, slots))
			return EPROTO;
	}
	a->retrans_mask = sets - 1;
	a->victim_mask = slots - 1;
	return 0;
}

static int prog_id(int fd, uint32_t *id)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return -1;
	*id = info.id;
	return 0;
}

struct accel *accel_open(const char *path, const struct accel_sizes *sz, char *err,
			 size_t errlen)
{
	struct accel *a = calloc(1, sizeof(*a));
	struct bpf_program *p;
	int rc;

	if (!a) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	a->stale_xdp_fd = a->stale_tc_fd = -1;
	libbpf_set_print(NULL);	/* errors come back as codes, reported once */
	a->obj = bpf_object__open_file(path, NULL);
	if (!a->obj) {
		rc = errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(rc));
		goto fail;
	}
	rc = size_maps(a, sz);
	if (rc) {
		snprintf(err, errlen, "%s: not a synguard fast-path object", path);
		goto fail;
	}
	pin_reuse(a, sz ? sz->pin_dir : NULL);
	rc = bpf_object__load(a->obj);
	if (rc) {
		rc = -rc;
		snprintf(err, errlen, "the kernel refused %s: %s", path, strerror(rc));
		goto fail;
	}
	p = bpf_object__find_program_by_name(a->obj, "sg_xdp");
	a->prog = p ? bpf_program__fd(p) : -1;
	p = bpf_object__find_program_by_name(a->obj, "sg_tc");
	a->tc_prog = p ? bpf_program__fd(p) : -1;
	a->staging = -1;
	a->ncpus = libbpf_num_possible_cpus();
	/* Room for the largest per-CPU value (struct sg_bpf_svc_stats). */
	a->percpu = a->ncpus > 0 ? calloc((size_t)a->ncpus * 3, sizeof(*a->percpu)) : NULL;
	if (a->prog < 0 || a->tc_prog < 0 || prog_id(a->tc_prog, &a->tc_id) < 0 || find_maps(a) < 0 ||
	    !a->percpu || open_events(a) < 0) {
		rc = EPROTO;
		snprintf(err, errlen, "%s: not a synguard fast-path object", path);
		goto fail;
	}
	pin_maps(a);
	if (a->reused)	/* the sources a killed synguardd verified are ours now */
		a->adopted = (unsigned)accel_walk_verified(a, count_one, NULL);
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
	if (a->stale_xdp_fd >= 0)
		close(a->stale_xdp_fd);
	if (a->stale_tc_fd >= 0)
		close(a->stale_tc_fd);
	ring_buffer__free(a->events);
	bpf_object__close(a->obj);
	free(a->percpu);
	free(a);
}

static int put0(int fd, const void *value)
{
	uint32_t zero = 0;

	return bpf_map_update_elem(fd, &zero, value, BPF_ANY) ? -1 : 0;
}

/* A key of the program's own, derived from fp with a label: what the
 * program's hashes could give away is never the daemon's key. */
static uint64_t derive(const struct siphash_key *fp, const char *label)
{
	return siphash24(fp, label, strlen(label));
}

int accel_set_keys(struct accel *a, const struct cookie_ctx *c, const struct siphash_key *fp)
{
	struct sg_bpf_keys k = {
		.cur_k0 = c->key_cur.k0, .cur_k1 = c->key_cur.k1,
		.prev_k0 = c->key_prev.k0, .prev_k1 = c->key_prev.k1,
		.fp_k0 = derive(fp, "synguard fast path fingerprint 0"),
		.fp_k1 = derive(fp, "synguard fast path fingerprint 1"),
		.bucket_seed = derive(fp, "synguard fast path victim buckets"),
		.parity = (uint32_t)(c->epoch & 1), .valid = 1,
	};

	a->fp_k0 = k.fp_k0;
	a->fp_k1 = k.fp_k1;
	return put0(a->keys, &k);
}

uint64_t accel_fingerprint(const struct accel *a, const struct pkt *p)
{
	return sg_bpf_syn_hash(a->fp_k0, a->fp_k1, p->src, p->dst, p->family == AF_INET6 ? 4 : 1,
			       p->sport, p->dport, p->seq);
}

/* The generation writes go to. */
static int target(const struct accel *a)
{
	return a->staging >= 0 ? a->staging : a->gen;
}

static int put_cfg(struct accel *a, int g)
{
	uint32_t key = (uint32_t)g;

	a->cfg[g].retrans_mask = a->retrans_mask;
	a->cfg[g].victim_mask = a->victim_mask;
	return bpf_map_update_elem(a->cfg_fd, &key, &a->cfg[g], BPF_ANY) ? -1 : 0;
}

int accel_set_cfg(struct accel *a, const struct sg_bpf_cfg *cfg)
{
	int g = target(a);
	uint8_t lists = a->cfg[g].lists, svc_addr = a->cfg[g].svc_addr;

	a->cfg[g] = *cfg;
	a->cfg[g].lists = lists;
	a->cfg[g].svc_addr = svc_addr;
	return put_cfg(a, g);
}

int accel_set_catchall(struct accel *a, uint8_t action, uint8_t flags)
{
	int g = target(a);

	a->cfg[g].catchall = action;
	a->cfg[g].catchall_flags = flags;
	return put_cfg(a, g);
}

int accel_set_svc_opts(struct accel *a, unsigned index, const struct sg_bpf_svc_opts *o)
{
	uint32_t key = (uint32_t)target(a) * SG_BPF_SVC_MAX + index;

	if (index >= SG_BPF_SVC_MAX) {
		errno = EINVAL;
		return -1;
	}
	return bpf_map_update_elem(a->svc_opts, &key, o, BPF_ANY) ? -1 : 0;
}

int accel_set_service(struct accel *a, const struct sg_bpf_svc_key *k, const struct sg_bpf_svc *v)
{
	int g = target(a);
	struct sg_bpf_svc val = *v;
	struct sg_bpf_svc_key key = *k;

	val.set = 1;
	if (!k->family) {
		uint32_t i = (uint32_t)g * 65536 + k->port;

		a->ports_set[g][k->port / 8] |= (uint8_t)(1 << k->port % 8);
		return bpf_map_update_elem(a->ports, &i, &val, BPF_ANY) ? -1 : 0;
	}
	key.gen = (uint8_t)g;
	if (bpf_map_update_elem(a->services, &key, &val, BPF_ANY))
		return -1;
	if (a->cfg[g].svc_addr)
		return 0;
	a->cfg[g].svc_addr = 1;	/* the program looks addresses up from now on */
	return put_cfg(a, g);
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

/* The words of the catch-all's port bitmap that differ from bits. */
static int put_catchall(struct accel *a, int g, const uint64_t *bits)
{
	int rc = 0;

	for (uint32_t w = 0; w < SG_BPF_PORT_WORDS; w++) {
		uint32_t key = (uint32_t)g * SG_BPF_PORT_WORDS + w;

		if (a->catchall_bits[g][w] == bits[w])
			continue;
		if (bpf_map_update_elem(a->catchall_ports, &key, &bits[w], BPF_ANY))
			rc = -1;
		else
			a->catchall_bits[g][w] = bits[w];
	}
	return rc;
}

int accel_set_catchall_port(struct accel *a, unsigned lo, unsigned hi)
{
	int g = target(a);
	uint64_t bits[SG_BPF_PORT_WORDS];

	if (lo < 1 || hi > 65535 || lo > hi) {
		errno = EINVAL;
		return -1;
	}
	memcpy(bits, a->catchall_bits[g], sizeof(bits));
	for (unsigned p = lo; p <= hi; p++)
		bits[p / 64] |= 1ULL << (p % 64);
	return put_catchall(a, g, bits);
}

void accel_clear_services(struct accel *a)
{
	int g = target(a);
	struct sg_bpf_svc_key key, next;
	struct sg_bpf_svc none = { 0 };
	uint64_t zero[SG_BPF_PORT_WORDS] = { 0 };
	void *prev = NULL;

	put_catchall(a, g, zero);

	for (uint32_t port = 0; port < 65536; port++)
		if (a->ports_set[g][port / 8] & 1 << port % 8) {
			uint32_t i = (uint32_t)g * 65536 + port;

			bpf_map_update_elem(a->ports, &i, &none, BPF_ANY);
		}
	memset(a->ports_set[g], 0, sizeof(a->ports_set[g]));
	a->cfg[g].svc_addr = 0;
	put_cfg(a, g);
	/* The other generation's keys stay: step over them. */
	for (int i = 0; i < 1 << 12 && bpf_map_get_next_key(a->services, prev, &next) == 0; i++) {
		key = next;
		if (key.gen == g) {
			bpf_map_delete_elem(a->services, &key);
			continue;	/* deleted: the next key is the first one left */
		}
		prev = &key;
	}
}

void accel_clear_lists(struct accel *a)
{
	int g = target(a);

	for (int d = 0; d < 2; d++) {
		clear_map(a->lists[g][d][0], sizeof(struct sg_bpf_lpm4));
		clear_map(a->lists[g][d][1], sizeof(struct sg_bpf_lpm6));
	}
	a->cfg[g].lists = 0;
	put_cfg(a, g);
}

void accel_stage(struct accel *a)
{
	a->staging = !a->gen;
	a->cfg[a->staging] = a->cfg[a->gen];
	accel_clear_services(a);
	accel_clear_lists(a);
}

int accel_commit(struct accel *a)
{
	uint32_t zero = 0, g;

	if (a->staging < 0)
		return 0;
	g = (uint32_t)a->staging;
	a->staging = -1;
	if (bpf_map_update_elem(a->active, &zero, &g, BPF_ANY))
		return -1;
	a->gen = (int)g;
	return 0;
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

bool accel_take_retransmission(struct accel *a, const struct pkt *p)
{
	uint64_t when, fp = accel_fingerprint(a, p);

	return bpf_map_lookup_and_delete_elem(a->retrans_passed, &fp, &when) == 0;
}

int accel_set_listed(struct accel *a, int deny, int family, const uint8_t *addr, unsigned plen)
{
	struct sg_bpf_lpm6 k = { .prefixlen = plen };
	uint8_t one = 1;
	int v6 = family == AF_INET6;

	int g = target(a);
	uint8_t bit = deny ? (v6 ? SG_BPF_LIST_DENY6 : SG_BPF_LIST_DENY4)
			   : (v6 ? SG_BPF_LIST_ALLOW6 : SG_BPF_LIST_ALLOW4);

	memcpy(k.addr, addr, v6 ? 16 : 4);
	if (bpf_map_update_elem(a->lists[g][!!deny][v6], &k, &one, BPF_ANY))
		return -1;
	/* The program looks a list up only once it has entries. */
	if (a->cfg[g].lists & bit)
		return 0;
	a->cfg[g].lists |= bit;
	return put_cfg(a, g);
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

/* The fd of program id (a new one: the caller closes it) if it is a
 * synguardd's, else -1: the one pinned (pinned: its id, pinned_fd), or
 * without a pin one of our type and name.  The pin's fd needs no
 * CAP_SYS_ADMIN; opening a program by id does (measured: EPERM with the
 * unit's capabilities), so a daemon without it knows its own by the pin. */
static int own_by_id(uint32_t id, enum bpf_prog_type type, const char *name, uint32_t pinned,
		     int pinned_fd)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	int fd;

	if (id && pinned && id == pinned && pinned_fd >= 0)
		return fcntl(pinned_fd, F_DUPFD_CLOEXEC, 0);
	if (!id || (fd = bpf_prog_get_fd_by_id(id)) < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.type == type &&
	    (pinned ? info.id == pinned : strcmp(info.name, name) == 0))
		return fd;
	close(fd);
	return -1;
}

/* The fd of the program on ifindex if it is one a synguardd left there
 * (killed before it could detach), else -1: the one it pinned in pin_dir,
 * or without a pin, one named sg_xdp. */
static int stale_own(const struct accel *a, int ifindex)
{
	uint32_t id = 0;

	if (bpf_xdp_query_id(ifindex, 0, &id) < 0)
		return -1;
	return own_by_id(id, BPF_PROG_TYPE_XDP, "sg_xdp", a->stale_xdp_id, a->stale_xdp_fd);
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

	if (a->reused)
		return;	/* its tables are ours already: pinned */
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

static void remember(struct accel *a, int ifindex, uint32_t flags, bool qdisc)
{
	a->attached[a->nattached].ifindex = ifindex;
	a->attached[a->nattached].flags = flags;
	a->attached[a->nattached].tc = !flags;
	a->attached[a->nattached].qdisc = qdisc;
	a->nattached++;
	pin_prog(a, !flags);
}

/* A program a killed synguardd left in the other XDP mode (it ran with
 * another accel_mode): REPLACE cannot cross modes, so it is detached first
 * (for that instant SYNs pass on to the queue) and ours attached.  o holds
 * its fd.  0 or -errno. */
static int replace_across_modes(struct accel *a, int ifindex, uint32_t flags,
				const struct bpf_xdp_attach_opts *o)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	uint32_t mode;

	if (bpf_xdp_query(ifindex, 0, &q) < 0 || !q.prog_id)
		return -EEXIST;
	mode = q.attach_mode == XDP_ATTACHED_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	if (flags & mode)
		return -EEXIST;		/* the same mode: not this case */
	if (bpf_xdp_detach(ifindex, mode | XDP_FLAGS_REPLACE, o) < 0)
		return -EEXIST;
	return bpf_xdp_attach(ifindex, a->prog, flags | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
}

static int attach_flags(struct accel *a, int ifindex, uint32_t flags, bool *replaced)
{
	/* UPDATE_IF_NOEXIST: a foreign program is never replaced; one a
	 * killed synguardd left is, atomically (REPLACE with its fd). */
	int rc = bpf_xdp_attach(ifindex, a->prog, flags | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);

	if (rc == -EBUSY || rc == -EEXIST) {
		int old = stale_own(a, ifindex);
		LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = old);

		if (old >= 0)
			adopt_verified(a, old);
		rc = old < 0 ? -EEXIST : bpf_xdp_attach(ifindex, a->prog, flags | XDP_FLAGS_REPLACE, &o);
		if (old >= 0 && rc < 0)
			rc = replace_across_modes(a, ifindex, flags, &o);
		if (old >= 0)
			close(old);
		*replaced = rc == 0;
	}
	if (rc < 0) {
		errno = -rc == EBUSY ? EEXIST : -rc;
		return -1;
	}
	remember(a, ifindex, flags, false);
	return 0;
}

/* --- TC ingress: our filter in the clsact qdisc --------------------------------- */

/* The fd of the filter's program at our slot on hook if a synguardd left
 * it there, else -1 (another program, or a filter that is not eBPF). */
static int stale_tc(const struct accel *a, const struct bpf_tc_hook *hook)
{
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = ACCEL_TC_HANDLE, .priority = ACCEL_TC_PRIORITY);

	if (bpf_tc_query(hook, &q) < 0)
		return -1;
	return own_by_id(q.prog_id, BPF_PROG_TYPE_SCHED_CLS, "sg_tc", a->stale_tc_id,
			 a->stale_tc_fd);
}

/* The filters (anyone's) in the clsact qdisc on ifindex, at ingress and
 * egress, as an RTM_GETTFILTER dump lists them (the entries without a
 * handle are the priorities' heads, not filters); -1 if the kernel does
 * not say. */
static int tc_filters(int ifindex)
{
	static const uint32_t parents[] = { TC_H_MIN_INGRESS, TC_H_MIN_EGRESS };
	struct timeval tv = { .tv_sec = 1 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), n = 0;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		n = -1;
	for (size_t p = 0; p < 2 && n >= 0; p++) {
		struct { struct nlmsghdr nh; struct tcmsg tc; } req = {
			.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETTFILTER,
				.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = (uint32_t)p + 1 },
			.tc = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex,
				.tcm_parent = TC_H_MAKE(TC_H_CLSACT, parents[p]) },
		};
		bool done = false;

		if (send(fd, &req, sizeof(req), 0) < 0)
			n = -1;
		for (int i = 0; i < 1024 && n >= 0 && !done; i++) {
			uint32_t buf[2048];	/* aligned for the headers */
			ssize_t len = recv(fd, buf, sizeof(buf), 0);
			struct nlmsghdr *h = (void *)buf;

			if (len < 0)
				n = -1;
			for (; n >= 0 && !done && NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
				const struct tcmsg *t = NLMSG_DATA(h);

				if (h->nlmsg_type == NLMSG_DONE)
					done = true;
				else if (h->nlmsg_type == NLMSG_ERROR)
					n = -1;
				else if (h->nlmsg_type == RTM_NEWTFILTER && t->tcm_handle)
					n++;
			}
		}
		if (!done)
			n = -1;
	}
	if (fd >= 0)
		close(fd);
	return n;
}

/* Whether a synguardd (this one, or a killed one before it) made the
 * clsact qdisc on ifindex; qdisc_mark records it or forgets it. */
static bool qdisc_ours(const struct accel *a, int ifindex)
{
	uint32_t k = (uint32_t)ifindex;
	uint8_t v;

	return bpf_map_lookup_elem(a->qdiscs, &k, &v) == 0 && v;
}

static void qdisc_mark(struct accel *a, int ifindex, bool ours)
{
	uint32_t k = (uint32_t)ifindex;
	uint8_t v = 1;

	if (ours)
		bpf_map_update_elem(a->qdiscs, &k, &v, BPF_ANY);
	else
		bpf_map_delete_elem(a->qdiscs, &k);
}

/* The clsact qdisc on ifindex removed if a synguardd made it and no
 * filter (anyone's) is left in it. */
static void qdisc_drop(struct accel *a, int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	if (tc_filters(ifindex) != 0)
		return;
	bpf_tc_hook_destroy(&hook);
	qdisc_mark(a, ifindex, false);
}

/* Our filter at ACCEL_TC_HANDLE/ACCEL_TC_PRIORITY in the device's clsact
 * qdisc (made if there is none).  A filter at that slot is never replaced,
 * except one a killed synguardd left: its verified sources are taken over. */
static int attach_tc(struct accel *a, int ifindex, bool *replaced)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .prog_fd = a->tc_prog, .handle = ACCEL_TC_HANDLE,
		    .priority = ACCEL_TC_PRIORITY);
	int rc = bpf_tc_hook_create(&hook), old;
	bool created = rc == 0;

	if (rc < 0 && rc != -EEXIST) {
		errno = -rc;
		return -1;
	}
	rc = bpf_tc_attach(&hook, &o);
	if (rc == -EEXIST && (old = stale_tc(a, &hook)) >= 0) {
		adopt_verified(a, old);
		o.flags = BPF_TC_F_REPLACE;
		o.prog_id = 0;
		rc = bpf_tc_attach(&hook, &o);
		close(old);
		*replaced = rc == 0;
	}
	if (rc < 0) {
		if (created) {		/* ours, and empty */
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
		errno = -rc;
		return -1;
	}
	if (created)
		qdisc_mark(a, ifindex, true);
	else
		created = qdisc_ours(a, ifindex);	/* a killed synguardd's */
	remember(a, ifindex, 0, created);
	return 0;
}

/* Our filter removed if it is still ours, and the qdisc if we made it and
 * nothing else went into it since. */
static void detach_tc(struct accel *a, int ifindex, bool qdisc)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = ACCEL_TC_HANDLE, .priority = ACCEL_TC_PRIORITY);

	if (bpf_tc_query(&hook, &o) == 0 && o.prog_id == a->tc_id) {
		o.prog_id = 0;
		bpf_tc_detach(&hook, &o);
	}
	if (qdisc)
		qdisc_drop(a, ifindex);
}

/* A program a killed synguardd left in the other hook (it ran in another
 * mode) would go on behind ours with its own maps, never updated again
 * (challenging sources verified since): its verified sources are taken
 * over and it goes. */
static void drop_stale_other(struct accel *a, int ifindex, bool tc, bool *replaced)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, o, .handle = ACCEL_TC_HANDLE, .priority = ACCEL_TC_PRIORITY);
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int old = tc ? stale_own(a, ifindex) : stale_tc(a, &hook);

	if (old < 0)
		return;
	adopt_verified(a, old);
	if (!tc) {
		*replaced |= bpf_tc_detach(&hook, &o) == 0;
		if (qdisc_ours(a, ifindex))
			qdisc_drop(a, ifindex);
	} else if (bpf_xdp_query(ifindex, 0, &q) == 0) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, x, .old_prog_fd = old);
		uint32_t mode = q.attach_mode == XDP_ATTACHED_SKB ? XDP_FLAGS_SKB_MODE
								  : XDP_FLAGS_DRV_MODE;

		*replaced |= bpf_xdp_detach(ifindex, mode | XDP_FLAGS_REPLACE, &x) == 0;
	}
	close(old);
}

/* auto: native XDP where the driver has it; TC where it has not (generic
 * XDP would copy every packet not in one linear buffer, most of a NIC's,
 * and turn the device's LRO off; TC takes the skb as it is), generic XDP
 * if TC cannot attach either; generic XDP on veth.  A foreign program in
 * the way is never a reason to try the next: the attach fails (EEXIST). */
static int attach_how(struct accel *a, int ifindex, enum accel_attach how, bool generic,
		      const char **used, bool *replaced)
{
	if (how == ACCEL_TC)
		return attach_tc(a, ifindex, replaced);
	if (!generic) {
		if (attach_flags(a, ifindex, XDP_FLAGS_DRV_MODE, replaced) == 0)
			return 0;
		if (how == ACCEL_NATIVE || errno == EEXIST)
			return -1;
		*used = "tc";
		if (attach_tc(a, ifindex, replaced) == 0)
			return 0;
		if (errno == EEXIST)
			return -1;
	}
	*used = "xdp-generic";
	return attach_flags(a, ifindex, XDP_FLAGS_SKB_MODE, replaced);
}

int accel_attach(struct accel *a, const char *name, enum accel_attach how, const char **used,
		 bool *replaced)
{
	int ifindex = (int)if_nametoindex(name);
	bool generic = how == ACCEL_GENERIC || (how == ACCEL_AUTO && is_veth(name));

	*replaced = false;
	*used = how == ACCEL_TC ? "tc" : generic ? "xdp-generic" : "xdp";
	if (!ifindex)
		return -1;
	if (a->nattached == ACCEL_IFACES_MAX) {
		errno = ENOSPC;
		return -1;
	}
	if (attach_how(a, ifindex, how, generic, used, replaced) < 0)
		return -1;
	drop_stale_other(a, ifindex, a->attached[a->nattached - 1].tc, replaced);
	return 0;
}

void accel_detach_all(struct accel *a)
{
	for (unsigned i = 0; i < a->nattached; i++) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, o, .old_prog_fd = a->prog);

		if (a->attached[i].tc) {
			detach_tc(a, a->attached[i].ifindex, a->attached[i].qdisc);
			continue;
		}
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

int accel_prog_fd(const struct accel *a)
{
	return a->prog;
}

int accel_test_run(struct accel *a, struct accel_run *r)
{
	int prog = r->tc ? a->tc_prog : a->prog;

	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = r->in, .data_size_in = (uint32_t)r->inlen,
		    .data_out = r->out, .data_size_out = (uint32_t)r->outlen,
		    .repeat = r->repeat ? r->repeat : 1);

	if (bpf_prog_test_run_opts(prog, &o))
		return -1;
	r->outlen = o.data_size_out;
	r->action = o.retval;
	r->ns = o.duration;
	return 0;
}
