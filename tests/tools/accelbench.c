/*
 * accelbench — the kernel fast path program's own cost per packet.
 *
 * Usage: accelbench OBJECT WRAPPER [RUNS]
 * Loads synguard's XDP program (OBJECT), gives it keys, the default limits
 * and one challenging service, and times it in BPF_PROG_TEST_RUN on warm
 * caches over many different packets: each case is a set of frames (65536
 * spoofed sources, as a flood has) that the wrapper program (WRAPPER,
 * tests/tools/benchwrap.bpf.o) writes over the packet one after the other
 * before it tail-calls synguard's program; the same wrapper around a
 * program that returns at once is timed too and subtracted.  RUNS runs per
 * trial (default 1000000), the best of 5 trials.  Cases: an IPv4 and an
 * IPv6 SYN answered with a cookie SYN+ACK, an established connection's
 * ACK, a SYN from a verified source; the same service screened (where the
 * daemon enforces): an established connection's ACK (conntrack looked
 * up, found: passed), an ACK of no connection (dropped); proxied: a SYN
 * answered with the proxy cookie SYN+ACK, an ACK of no connection.  Runs
 * in a network namespace of its own (the conntrack entries it makes).
 * Root (CAP_BPF, CAP_NET_ADMIN) needed.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sched.h>
#include <sys/socket.h>

#include "accel.h"
#include "ct.h"
#include "pkt.h"
#include "tool.h"

#define BW_FRAME_MAX 124	/* benchwrap.bpf.c's */
#define FRAMES 65536
#define TRIALS 5

struct bw_frame {
	uint32_t len;
	uint8_t data[BW_FRAME_MAX];
};

struct wrap {
	struct bpf_object *obj;
	int prog, progs, frames, cursor;
};

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* Frame i of a case: a source per i (198.18.0.0/15, 2001:db8:ff::/48). */
static void source(int family, uint32_t i, uint8_t *a)
{
	if (family == AF_INET6) {
		static const uint8_t p[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff };

		memcpy(a, p, 16);
		a[6] = (uint8_t)(i >> 8);	/* a /64 per source: limit_prefix6 */
		a[7] = (uint8_t)i;
		a[15] = 7;
	} else {
		a[0] = 198;
		a[1] = (uint8_t)(18 + ((i >> 16) & 1));
		a[2] = (uint8_t)(i >> 8);
		a[3] = (uint8_t)i;
	}
}

static void frame(struct bw_frame *f, int family, uint8_t flags, uint32_t i)
{
	static const uint8_t server4[4] = { 203, 0, 113, 2 };
	static const uint8_t server6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 3, [15] = 2 };
	int v6 = family == AF_INET6;
	uint8_t src[16];
	struct pkt_out o = {
		.family = family, .src = src, .dst = v6 ? server6 : server4,
		.sport = (uint16_t)(1024 + i % 60000), .dport = 8080, .seq = i * 2654435761u,
		.ack = flags & PKT_TH_ACK ? 1 : 0, .flags = flags, .window = 64240,
		.mss = flags == PKT_TH_SYN ? 1460 : 0,
		.wscale = flags == PKT_TH_SYN ? 7 : PKT_NO_WSCALE, .sack_ok = flags == PKT_TH_SYN,
	};

	source(family, i, src);
	memset(f, 0, sizeof(*f));
	f->data[12] = v6 ? 0x86 : 0x08;
	f->data[13] = v6 ? 0xdd : 0x00;
	f->len = (uint32_t)(14 + pkt_build(f->data + 14, BW_FRAME_MAX - 14, &o));
}

static void load_frames(struct wrap *w, int family, uint8_t flags, uint32_t n)
{
	struct bw_frame f;
	uint32_t zero = 0, one = 1;

	for (uint32_t i = 0; i < n; i++) {
		frame(&f, family, flags, i);
		if (bpf_map_update_elem(w->frames, &i, &f, BPF_ANY))
			die("accelbench: frames");
	}
	if (bpf_map_update_elem(w->cursor, &zero, &n, BPF_ANY) ||
	    bpf_map_update_elem(w->cursor, &one, &zero, BPF_ANY))
		die("accelbench: cursor");
}

/* The best mean ns per run of the wrapper around prog. */
static double timed(struct wrap *w, int prog, uint32_t runs)
{
	uint8_t in[BW_FRAME_MAX] = { 0 }, out[256];
	uint32_t zero = 0;
	double best = 1e12;

	if (bpf_map_update_elem(w->progs, &zero, &prog, BPF_ANY))
		die("accelbench: tail call map");
	for (int t = 0; t < TRIALS; t++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = sizeof(in),
			    .data_out = out, .data_size_out = sizeof(out), .repeat = runs);

		if (bpf_prog_test_run_opts(w->prog, &o))
			die("accelbench: BPF_PROG_TEST_RUN");
		if (o.retval == XDP_ABORTED) {
			fprintf(stderr, "accelbench: the wrapper aborted\n");
			exit(1);
		}
		if (o.duration < best)
			best = o.duration;
	}
	return best;
}

static void measure(struct wrap *w, struct accel *a, int null, const char *what, uint32_t runs)
{
	double base = timed(w, null, runs), full = timed(w, accel_prog_fd(a), runs);

	printf("%-36s %6.0f ns per packet (wrapper %.0f ns subtracted)\n", what, full - base, base);
}

static void wrap_open(struct wrap *w, const char *path, int *null)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *p;

	if (!obj || bpf_object__load(obj))
		die("accelbench: loading the wrapper");
	w->obj = obj;
	p = bpf_object__find_program_by_name(obj, "bench_wrap");
	w->prog = p ? bpf_program__fd(p) : -1;
	p = bpf_object__find_program_by_name(obj, "bench_null");
	*null = p ? bpf_program__fd(p) : -1;
	w->progs = bpf_object__find_map_fd_by_name(obj, "bw_prog");
	w->frames = bpf_object__find_map_fd_by_name(obj, "bw_frames");
	w->cursor = bpf_object__find_map_fd_by_name(obj, "bw_cursor");
	if (w->prog < 0 || *null < 0 || w->progs < 0 || w->frames < 0 || w->cursor < 0) {
		fprintf(stderr, "accelbench: %s is not the benchmark wrapper\n", path);
		exit(1);
	}
}

#define CONNS 4096	/* established connections of the screened case */

int main(int argc, char **argv)
{
	struct siphash_key master = { 1, 2 }, fp = { 3, 4 };
	/* The daemon's defaults, but for limit_synack_total: a benchmark
	 * answering millions of SYNs per second times the answer. */
	struct sg_bpf_cfg cfg = {
		.prefix4 = 32, .prefix6 = 64, .mss4 = 1460, .mss6 = 1440, .window = 65535,
		.retransmit_min_ms = 500, .retransmit_max_ms = 5000,
		.limit_prefix4 = 32, .limit_prefix6 = 64,
		.synack_dest_rate = 100, .synack_dest_burst = 200,
		.synack_total_rate = 10000000, .synack_total_burst = 10000000,
	};
	struct sg_bpf_svc auth = { .action = SG_BPF_SVC_AUTH },
			  screened = { .action = SG_BPF_SVC_AUTH, .flags = SG_BPF_SVCF_SCREEN },
			  proxied = { .action = SG_BPF_SVC_AUTH,
				      .flags = SG_BPF_SVCF_SCREEN | SG_BPF_SVCF_PROXIED };
	/* What the daemon writes for a service before its first sample. */
	struct sg_bpf_svc_opts opts = { .mss4 = 1460, .mss6 = 1440, .wscale = 7, .sack = 1 };
	struct ct_ctl *ctl;
	struct sg_bpf_svc_key k = { .port = 8080 };
	/* The daemon's default verified_max, retransmit_table, limit_table. */
	struct accel_sizes sizes = { .verified = 1 << 20, .retrans = 1 << 20, .victims = 1 << 18 };
	struct cookie_ctx cookies;
	struct accel *a;
	struct wrap w;
	char err[256];
	uint32_t runs, verified = 4096;
	int null;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: accelbench OBJECT WRAPPER [RUNS]\n");
		return 2;
	}
	runs = argc == 4 ? (uint32_t)tool_num(argv[3], 1000, 100000000, "runs") : 1000000;
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "accelbench: unshare: %s\n", strerror(errno));
		return 1;
	}
	a = accel_open(argv[1], &sizes, err, sizeof(err));
	if (!a) {
		fprintf(stderr, "accelbench: %s\n", err);
		return 1;
	}
	wrap_open(&w, argv[2], &null);
	cookie_init(&cookies, &master, 1000);
	if (accel_set_keys(a, &cookies, &fp) < 0 || accel_set_cfg(a, &cfg) < 0 ||
	    accel_set_service(a, &k, &auth) < 0)	/* port 8080 on every address */
		die("accelbench: map update");
	cfg.synack_dest_rate = 0;	/* one source: its burst would be gone at once */
	if (accel_set_cfg(a, &cfg) < 0)
		die("accelbench: map update");
	load_frames(&w, AF_INET, PKT_TH_SYN, 1);
	measure(&w, a, null, "IPv4 SYN -> SYN+ACK, one source", runs);
	cfg.synack_dest_rate = 100;
	if (accel_set_cfg(a, &cfg) < 0)
		die("accelbench: map update");
	load_frames(&w, AF_INET, PKT_TH_SYN, FRAMES);
	measure(&w, a, null, "IPv4 SYN -> cookie SYN+ACK", runs);
	load_frames(&w, AF_INET6, PKT_TH_SYN, FRAMES);
	measure(&w, a, null, "IPv6 SYN -> cookie SYN+ACK", runs);
	load_frames(&w, AF_INET, PKT_TH_ACK, FRAMES);
	measure(&w, a, null, "IPv4 ACK (established) -> pass", runs);
	for (uint32_t i = 0; i < verified; i++) {
		uint8_t src[16];

		source(AF_INET, i, src);
		if (accel_set_verified(a, AF_INET, src, UINT64_MAX) < 0)
			die("accelbench: map update");
	}
	load_frames(&w, AF_INET, PKT_TH_SYN, verified);
	measure(&w, a, null, "IPv4 SYN, verified source -> pass", runs);
	/* Port 8080 screened: the ACKs of established connections (conntrack
	 * entries made through ctnetlink) are looked up and passed. */
	if (accel_set_service(a, &k, &screened) < 0)
		die("accelbench: map update");
	ctl = ct_ctl_open();
	if (!ctl)
		die("accelbench: ctnetlink");
	for (uint32_t i = 0; i < CONNS; i++) {
		struct ct_proxy c = { .server_isn = 1, .proxy_isn = 1, .timeout_s = 600,
				      .client_wscale = CT_NO_WSCALE, .server_wscale = CT_NO_WSCALE };
		struct bw_frame f;
		struct pkt seg;

		frame(&f, AF_INET, PKT_TH_ACK, i);
		if (pkt_parse(f.data + 14, f.len - 14, &seg) != PKT_OK)
			die("accelbench: frame");
		pkt_tuple(&seg, &c.tuple);
		if (ct_ctl_create(ctl, &c) < 0)
			die("accelbench: conntrack entry");
	}
	load_frames(&w, AF_INET, PKT_TH_ACK, CONNS);
	measure(&w, a, null, "IPv4 ACK, screened, of a conn. -> pass", runs);
	ct_ctl_close(ctl);
	load_frames(&w, AF_INET, PKT_TH_ACK, FRAMES);
	measure(&w, a, null, "IPv4 ACK, screened, no conn. -> drop", runs);
	/* Port 8080 proxied: its SYNs get the proxy's SYN+ACK; an ACK of no
	 * connection whose acknowledgment is no proxy cookie is dropped. */
	if (accel_set_service(a, &k, &proxied) < 0 || accel_set_svc_opts(a, 0, &opts) < 0)
		die("accelbench: map update");
	load_frames(&w, AF_INET, PKT_TH_SYN, FRAMES);
	measure(&w, a, null, "IPv4 SYN, proxied -> proxy SYN+ACK", runs);
	load_frames(&w, AF_INET6, PKT_TH_SYN, FRAMES);
	measure(&w, a, null, "IPv6 SYN, proxied -> proxy SYN+ACK", runs);
	load_frames(&w, AF_INET, PKT_TH_ACK, FRAMES);
	measure(&w, a, null, "IPv4 ACK, proxied, no conn. -> drop", runs);
	load_frames(&w, AF_INET6, PKT_TH_ACK, FRAMES);
	measure(&w, a, null, "IPv6 ACK, proxied, no conn. -> drop", runs);
	bpf_object__close(w.obj);
	accel_close(a);
	return 0;
}
