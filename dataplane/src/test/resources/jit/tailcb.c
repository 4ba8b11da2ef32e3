// Tail calls and callbacks for the JIT-vs-interpreter tests (JitTailCallCallbackTest).
// Frame bytes steer the programs:
//   xdp_tail:  hits[0]++, bpf_tail_call(jmp, p[0]); XDP_PASS when the slot is empty
//   xdp_chain: hits[1]++, bpf_tail_call(jmp, p[1]); XDP_DROP when that falls through
//   xdp_cb:    bpf_loop(p[4] & 15, outer) stopping at index p[5]; outer runs a nested
//              bpf_loop whose callback adds to the outer callback's stack; for_each over the
//              ARRAY "arr" stopping at key p[6] & 7; when p[7] != 0, inserts key p[7] into the
//              HASH "hash" and walks it; results in out[0..5]; XDP_TX when the loop stopped early
//   xdp_bad:   reads the packet without a bounds check: the verifier rejects it
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} jmp SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_ZERO_SEED); // the same walk order in every engine: hash_cb is order-dependent
	__type(key, __u32);
	__type(value, __u64);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 6);
	__type(key, __u32);
	__type(value, __s64);
} out SEC(".maps");

struct loop_ctx {
	__u64 sum;
	__u32 n;
	__u32 stop;
};

static __always_inline void bump(__u32 k)
{
	__u64 *h = bpf_map_lookup_elem(&hits, &k);
	if (h)
		*h += 1;
}

static __always_inline void put(__u32 k, __s64 v)
{
	__s64 *o = bpf_map_lookup_elem(&out, &k);
	if (o)
		*o = v;
}

SEC("xdp")
int xdp_tail(struct xdp_md *ctx)
{
	__u8 *p = (void *)(long)ctx->data;
	if (p + 8 > (__u8 *)(long)ctx->data_end)
		return XDP_ABORTED;
	bump(0);
	bpf_tail_call(ctx, &jmp, p[0]);
	return XDP_PASS;
}

SEC("xdp")
int xdp_chain(struct xdp_md *ctx)
{
	__u8 *p = (void *)(long)ctx->data;
	if (p + 8 > (__u8 *)(long)ctx->data_end)
		return XDP_ABORTED;
	bump(1);
	bpf_tail_call(ctx, &jmp, p[1]);
	return XDP_DROP;
}

static long inner(__u64 i, void *data)
{
	__u64 *acc = data;
	acc[0] = acc[0] * 3 + i + 1;
	acc[1] ^= acc[0] << (i & 7);
	acc[2] += acc[1] | i;
	return 0;
}

static long outer(__u64 i, void *data)
{
	struct loop_ctx *c = data;
	// On this callback's own stack, as large as main's loop_ctx: the nested callback writes it, and
	// a callback frame laid over its caller's would clobber the caller's state.
	__u64 local[3] = { c->sum, i, c->n };
	bpf_loop(i + 1, inner, local, 0);
	c->sum = local[0] + (local[1] ^ local[2]);
	c->n++;
	return i == c->stop ? 1 : 0;
}

static long arr_cb(void *map, __u32 *key, __u64 *val, void *data)
{
	struct loop_ctx *c = data;
	c->sum += *val * (*key + 1);
	*val += *key + 1;
	return *key == c->stop ? 1 : 0;
}

static long hash_cb(void *map, __u32 *key, __u64 *val, void *data)
{
	struct loop_ctx *c = data;
	c->sum = c->sum * 7 + *val + *key;
	return 0;
}

SEC("xdp")
int xdp_cb(struct xdp_md *ctx)
{
	__u8 *p = (void *)(long)ctx->data;
	if (p + 8 > (__u8 *)(long)ctx->data_end)
		return XDP_ABORTED;
	struct loop_ctx c = { .sum = 5, .stop = p[5] };
	__u32 n = p[4] & 15;
	long a = bpf_loop(n, outer, &c, 0);
	put(0, a);
	put(1, c.sum);
	put(2, c.n);
	c.stop = p[6] & 7;
	put(3, bpf_for_each_map_elem(&arr, arr_cb, &c, 0));
	if (p[7]) {
		__u32 k = p[7];
		__u64 one = 1;
		__u64 *v = bpf_map_lookup_elem(&hash, &k);
		if (v)
			*v += 1;
		else
			bpf_map_update_elem(&hash, &k, &one, BPF_NOEXIST);
		put(4, bpf_for_each_map_elem(&hash, hash_cb, &c, 0));
	}
	put(5, c.sum);
	return a < n ? XDP_TX : XDP_PASS;
}

SEC("xdp")
int xdp_bad(struct xdp_md *ctx)
{
	__u8 *p = (void *)(long)ctx->data;
	return p[40] ? XDP_DROP : XDP_PASS; // no bounds check: rejected
}

char LICENSE[] SEC("license") = "GPL";
