/* benchwrap: times an XDP program over many different packets in one
 * BPF_PROG_TEST_RUN.  A repeated test run hands the program the frame the
 * previous run left, and synguard's program rewrites a SYN into its SYN+ACK
 * in place; so each run of bench_wrap first writes the next frame of
 * bw_frames over the packet, then tail-calls the program in bw_prog[0].
 * The same wrapper around a program that returns at once gives the cost of
 * the wrapper, which accelbench subtracts. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define BW_FRAME_MAX 124
#define BW_FRAMES 65536

char LICENSE[] SEC("license") = "GPL";

struct bw_frame {
	__u32 len;
	__u8 data[BW_FRAME_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bw_prog SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, BW_FRAMES);
	__type(key, __u32);
	__type(value, struct bw_frame);
} bw_frames SEC(".maps");

/* How many frames bw_frames holds (a power of two), and the next one. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} bw_cursor SEC(".maps");

SEC("xdp")
int bench_wrap(struct xdp_md *ctx)
{
	__u32 zero = 0, one = 1, *n = bpf_map_lookup_elem(&bw_cursor, &zero), *next, idx, len;
	struct bw_frame *f;
	int cur;

	next = bpf_map_lookup_elem(&bw_cursor, &one);
	if (!n || !next)
		return XDP_ABORTED;
	idx = (*next)++ & (*n - 1);
	f = bpf_map_lookup_elem(&bw_frames, &idx);
	if (!f)
		return XDP_ABORTED;
	len = f->len;
	if (len < 14 || len > BW_FRAME_MAX)
		return XDP_ABORTED;
	cur = (int)bpf_xdp_get_buff_len(ctx);
	if (bpf_xdp_adjust_tail(ctx, (int)len - cur))
		return XDP_ABORTED;
	if (bpf_xdp_store_bytes(ctx, 0, f->data, len))
		return XDP_ABORTED;
	bpf_tail_call(ctx, &bw_prog, 0);
	return XDP_ABORTED;
}

/* The program that does nothing, for the wrapper's own cost. */
SEC("xdp")
int bench_null(struct xdp_md *ctx)
{
	return XDP_TX;
}
