/* xdp_pass: an XDP program that is not synguard's (it passes everything),
 * for the tests: the daemon must leave it where it finds it. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("xdp")
int other_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}
