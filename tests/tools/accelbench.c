/*
 * accelbench — the kernel fast path program's own cost per packet.
 *
 * Usage: accelbench OBJECT [RUNS]
 * Loads the XDP program, gives it keys and one challenging service, and
 * runs it through BPF_PROG_TEST_RUN REPEAT times (default 200000) on each
 * of: an IPv4 SYN and an IPv6 SYN answered with a cookie SYN+ACK, an
 * established-connection ACK, and a SYN from a verified source.  Prints the
 * kernel's mean nanoseconds per run for each (its timer included).
 * Root (CAP_BPF) needed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "accel.h"
#include "pkt.h"
#include "tool.h"

#define FRAME_MAX 256

static const uint8_t client4[4] = { 198, 18, 0, 7 }, server4[4] = { 203, 0, 113, 2 };
static const uint8_t client6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7 };
static const uint8_t server6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

static size_t frame(uint8_t *f, int family, uint8_t flags)
{
	int v6 = family == AF_INET6;
	struct pkt_out o = {
		.family = family, .src = v6 ? client6 : client4, .dst = v6 ? server6 : server4,
		.sport = 40000, .dport = 8080, .seq = 0x11223344, .ack = flags & PKT_TH_ACK ? 1 : 0,
		.flags = flags, .window = 64240, .mss = flags == PKT_TH_SYN ? 1460 : 0,
		.wscale = flags == PKT_TH_SYN ? 7 : PKT_NO_WSCALE, .sack_ok = flags == PKT_TH_SYN,
	};

	memset(f, 0, 12);
	f[12] = v6 ? 0x86 : 0x08;
	f[13] = v6 ? 0xdd : 0x00;
	return 14 + pkt_build(f + 14, FRAME_MAX - 14, &o);
}

/* XDP_TX rewrites the frame in place, so a repeated test run would time the
 * SYN+ACK, not the SYN: one run per call, the kernel's time of each summed. */
static void measure(struct accel *a, const char *what, const uint8_t *in, size_t len,
		    uint32_t runs)
{
	uint8_t out[FRAME_MAX];
	uint64_t ns = 0;
	uint32_t action = 0;

	for (uint32_t i = 0; i < runs; i++) {
		struct accel_run r = { .in = in, .inlen = len, .out = out, .outlen = sizeof(out) };

		if (accel_test_run(a, &r) < 0) {
			perror("accelbench: BPF_PROG_TEST_RUN");
			exit(1);
		}
		ns += r.ns;
		action = r.action;
	}
	printf("%-36s %6.0f ns per packet (XDP action %u)\n", what, (double)ns / runs, action);
}

int main(int argc, char **argv)
{
	struct siphash_key master = { 1, 2 }, fp = { 3, 4 };
	struct sg_bpf_cfg cfg = { .prefix4 = 32, .prefix6 = 64, .mss4 = 1460, .mss6 = 1440,
				  .window = 65535 };
	struct sg_bpf_svc auth = { .action = SG_BPF_SVC_AUTH };
	struct sg_bpf_svc_key k = { .port = 8080 };
	struct cookie_ctx cookies;
	uint8_t f[FRAME_MAX];
	struct accel *a;
	char err[256];
	uint32_t repeat;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: accelbench OBJECT [RUNS]\n");
		return 2;
	}
	repeat = argc == 3 ? (uint32_t)tool_num(argv[2], 1, 100000000, "runs") : 200000;
	a = accel_open(argv[1], err, sizeof(err));
	if (!a) {
		fprintf(stderr, "accelbench: %s\n", err);
		return 1;
	}
	cookie_init(&cookies, &master, 1000);
	if (accel_set_keys(a, &cookies, &fp) < 0 || accel_set_cfg(a, &cfg) < 0 ||
	    accel_set_service(a, &k, &auth) < 0) {	/* port 8080 on every address */
		perror("accelbench: map update");
		return 1;
	}
	measure(a, "IPv4 SYN -> cookie SYN+ACK", f, frame(f, AF_INET, PKT_TH_SYN), repeat);
	measure(a, "IPv6 SYN -> cookie SYN+ACK", f, frame(f, AF_INET6, PKT_TH_SYN), repeat);
	measure(a, "IPv4 ACK (established) -> pass", f, frame(f, AF_INET, PKT_TH_ACK), repeat);
	if (accel_set_verified(a, AF_INET, client4, UINT64_MAX) < 0) {
		perror("accelbench: map update");
		return 1;
	}
	measure(a, "IPv4 SYN, verified source -> pass", f, frame(f, AF_INET, PKT_TH_SYN), repeat);
	accel_close(a);
	return 0;
}
