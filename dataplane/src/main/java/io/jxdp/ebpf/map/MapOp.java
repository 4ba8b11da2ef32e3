package io.jxdp.ebpf.map;

/**
 * Program-side map operations, one per {@code struct bpf_map_ops} callback a helper reaches
 * ({@code include/linux/bpf.h}); {@link BpfMap#supports(MapOp)} says which a map implements, so the
 * verifier and helpers ask the map instead of switching on its type.
 */
public enum MapOp {
    /** bpf_map_lookup_elem: map_lookup_elem. */
    LOOKUP,
    /** bpf_map_update_elem: map_update_elem. */
    UPDATE,
    /** bpf_map_delete_elem: map_delete_elem. */
    DELETE,
    /** BPF_MAP_GET_NEXT_KEY (user space): map_get_next_key. */
    GET_NEXT_KEY,
    /** bpf_map_lookup_percpu_elem: map_lookup_percpu_elem. */
    LOOKUP_PERCPU,
    /** bpf_map_push_elem (QUEUE, STACK, BLOOM_FILTER): map_push_elem. */
    PUSH,
    /** bpf_map_pop_elem (QUEUE, STACK): map_pop_elem. */
    POP,
    /** bpf_map_peek_elem (QUEUE, STACK, BLOOM_FILTER): map_peek_elem. */
    PEEK,
    /** bpf_redirect_map (DEVMAP, DEVMAP_HASH, CPUMAP, XSKMAP): map_redirect. */
    REDIRECT,
    /** bpf_ringbuf_reserve/submit/discard/output/query (RINGBUF): {@link RingBuf}. */
    RINGBUF
}
