// SPDX-License-Identifier: GPL-2.0
/*
 * The ring buffer helpers with no consumer running, so every position is deterministic. Per
 * packet (row = sequence number in "results", at most 16):
 *   [0] bpf_ringbuf_output(events, first 16 bytes, flags = byte 0 & 7): 0, -EINVAL (flags > 3),
 *       -EAGAIN when full
 *   [1] 1 when bpf_ringbuf_reserve(events, 1000, 0) gave a record, else 0; the record gets the
 *       frame length and its first 8 bytes, then is discarded when byte 1 is odd, else submitted
 *   [2..5] bpf_ringbuf_query AVAIL_DATA, RING_SIZE, CONS_POS, PROD_POS; [6] an unknown query (0)
 *   [7] bpf_ringbuf_reserve(events, 1000, 1): flags must be 0, so NULL (0)
 * Verdict: XDP_PASS when the reservation succeeded, XDP_DROP when the ring was full.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define ROWS 16

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct row {
	__s64 v[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ROWS);
	__type(key, __u32);
	__type(value, struct row);
} results SEC(".maps");

struct record {
	__u32 len;
	__u32 pad;
	__u8 head[8];
	__u8 rest[984];
};

__u32 seq;

SEC("xdp")
int xdp_ringbuf(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *p = data;

	if (p + 16 > (__u8 *)data_end)
		return XDP_ABORTED;
	__u32 row_idx = seq++;
	if (row_idx >= ROWS)
		return XDP_PASS;
	struct row *r = bpf_map_lookup_elem(&results, &row_idx);
	if (!r)
		return XDP_ABORTED;

	__u8 head[16];

	__builtin_memcpy(head, p, 16); /* helpers may not read the packet (check_helper_mem_access) */
	r->v[0] = bpf_ringbuf_output(&events, head, 16, p[0] & 7);
	struct record *rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	r->v[1] = rec ? 1 : 0;
	if (rec) {
		rec->len = (__u32)(data_end - data);
		__builtin_memcpy(rec->head, p, 8);
		if (p[1] & 1)
			bpf_ringbuf_discard(rec, 0);
		else
			bpf_ringbuf_submit(rec, 0);
	}
	r->v[2] = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	r->v[3] = bpf_ringbuf_query(&events, BPF_RB_RING_SIZE);
	r->v[4] = bpf_ringbuf_query(&events, BPF_RB_CONS_POS);
	r->v[5] = bpf_ringbuf_query(&events, BPF_RB_PROD_POS);
	r->v[6] = bpf_ringbuf_query(&events, 9);
	void *bad = bpf_ringbuf_reserve(&events, 1000, 1);
	r->v[7] = bad ? 1 : 0;
	if (bad)
		bpf_ringbuf_discard(bad, 0);
	return r->v[1] ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
