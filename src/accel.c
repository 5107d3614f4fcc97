/* accel: the fast path's loader (see accel.h). */
#include "accel.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct accel {
	struct bpf_object *obj;
	int prog, keys, cfg_fd, services, verified4, verified6, stats;
	int lists[2][2];		/* [deny][v6] */
	int ncpus;
	uint64_t *percpu;		/* one per-CPU counter's values */
	struct sg_bpf_cfg cfg;		/* as last written, lists bits ours */
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
	a->lists[0][0] = map_fd(a, "sg_allow4");
	a->lists[0][1] = map_fd(a, "sg_allow6");
	a->lists[1][0] = map_fd(a, "sg_deny4");
	a->lists[1][1] = map_fd(a, "sg_deny6");
	return a->keys < 0 || a->cfg_fd < 0 || a->services < 0 || a->verified4 < 0 ||
	       a->verified6 < 0 || a->stats < 0 || a->lists[0][0] < 0 || a->lists[0][1] < 0 ||
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
	a->percpu = a->ncpus > 0 ? calloc((size_t)a->ncpus, sizeof(*a->percpu)) : NULL;
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

int accel_set_verified(struct accel *a, int family, const uint8_t *addr, uint64_t until_ns)
{
	int fd = family == AF_INET6 ? a->verified6 : a->verified4;

	return bpf_map_update_elem(fd, addr, &until_ns, BPF_ANY) ? -1 : 0;
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
