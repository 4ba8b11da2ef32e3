// SPDX-License-Identifier: GPL-2.0
/*
 * Exercises the callback and queue helpers and records every result per packet in the ARRAY map
 * "results" (row = packet sequence number, at most 16 packets are recorded):
 *   [0] bpf_loop(n, hash_step, &st, 0) with n from the frame's last byte and a stop index from
 *       byte 0 (the callback returns 1 there): the number of calls; [1] the folded hash
 *   [2] bpf_loop(1, ..., flags 1): -EINVAL; [3] bpf_loop(BPF_MAX_LOOPS + 1, ...): -E2BIG
 *   [4] bpf_for_each_map_elem over the ARRAY "slots" (8 counters, slot byte 1 % 8 incremented
 *       first) stopping at key byte 2 % 8: elements visited; [5] the sum of the values seen
 *   [6] bpf_for_each_map_elem over the HASH "lengths" (frame length -> count): elements visited
 *       (order-independent: no early stop); [7] the sum of their counts
 *   [8] bpf_map_push_elem into the 4-entry QUEUE "lens" (BPF_EXIST on odd packets: overwrite the
 *       oldest when full); [9] bpf_map_peek_elem result, [10] the value peeked; [11] pop result on
 *       every third packet, [12] the value popped
 *   [13] bpf_map_lookup_percpu_elem("pcpu", 0, cpu 0) value, or ~0 when NULL; [14] the same for
 *       CPU 4096 (beyond nr_cpu_ids: NULL); [15] bpf_get_numa_node_id()
 * Verdict: XDP_DROP when the loop stopped early, else XDP_PASS.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define ROWS 16
#define MAX_LOOPS (8 * 1024 * 1024)

struct row {
	__s64 v[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ROWS);
	__type(key, __u32);
	__type(value, struct row);
} results SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32);
	__type(key, __u32);
	__type(value, __u64);
} lengths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__uint(key_size, 0);
	__type(value, __u32);
} lens SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} pcpu SEC(".maps");

__u32 seq;

struct loop_state {
	__u64 hash;
	__u32 stop_at;
	__u32 pad;
};

static long hash_step(__u64 index, void *ctx)
{
	struct loop_state *st = ctx;

	st->hash = st->hash * 31 + (index ^ 0x5a);
	return index == st->stop_at ? 1 : 0;
}

struct walk_state {
	__u64 sum;
	__u32 stop_key;
	__u32 pad;
};

static long array_step(void *map, __u32 *key, __u64 *value, void *ctx)
{
	struct walk_state *w = ctx;

	w->sum += *value;
	return *key == w->stop_key ? 1 : 0;
}

static long hash_sum(void *map, __u32 *key, __u64 *value, void *ctx)
{
	struct walk_state *w = ctx;

	w->sum += *value;
	return 0;
}

SEC("xdp")
int xdp_loop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u32 len = data_end - data;
	__u32 zero = 0;

	if (p + 3 > (__u8 *)data_end)
		return XDP_ABORTED;
	__u32 row_idx = seq++;
	if (row_idx >= ROWS)
		return XDP_PASS;
	struct row *r = bpf_map_lookup_elem(&results, &row_idx);
	if (!r)
		return XDP_ABORTED;

	struct loop_state st = { .hash = 7, .stop_at = p[0] };
	__u32 n = len & 0x3f;
	r->v[0] = bpf_loop(n, hash_step, &st, 0);
	r->v[1] = st.hash;
	r->v[2] = bpf_loop(1, hash_step, &st, 1);
	r->v[3] = bpf_loop(MAX_LOOPS + (len > 0), hash_step, &st, 0);

	__u32 slot = p[1] & 7;
	__u64 *c = bpf_map_lookup_elem(&slots, &slot);
	if (c)
		*c += 1;
	struct walk_state w = { .stop_key = p[2] & 7 };
	r->v[4] = bpf_for_each_map_elem(&slots, array_step, &w, 0);
	r->v[5] = w.sum;

	__u64 one = 1;
	__u64 *lc = bpf_map_lookup_elem(&lengths, &len);
	if (lc)
		*lc += 1;
	else
		bpf_map_update_elem(&lengths, &len, &one, BPF_NOEXIST);
	struct walk_state h = {};
	r->v[6] = bpf_for_each_map_elem(&lengths, hash_sum, &h, 0);
	r->v[7] = h.sum;

	r->v[8] = bpf_map_push_elem(&lens, &len, (row_idx & 1) ? BPF_EXIST : 0);
	__u32 peeked = 0xffffffff;
	r->v[9] = bpf_map_peek_elem(&lens, &peeked);
	r->v[10] = peeked;
	if (row_idx % 3 == 2) {
		__u32 popped = 0xffffffff;
		r->v[11] = bpf_map_pop_elem(&lens, &popped);
		r->v[12] = popped;
	}

	__u64 *pc0 = bpf_map_lookup_elem(&pcpu, &zero);
	if (pc0)
		*pc0 += len;
	__u64 *v0 = bpf_map_lookup_percpu_elem(&pcpu, &zero, 0);
	r->v[13] = v0 ? (__s64)*v0 : -1;
	__u64 *vfar = bpf_map_lookup_percpu_elem(&pcpu, &zero, 4096);
	r->v[14] = vfar ? (__s64)*vfar : -1;
	r->v[15] = bpf_get_numa_node_id();

	return r->v[0] < n ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
