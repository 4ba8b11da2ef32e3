package io.jxdp.ebpf.jit;

import io.jxdp.ebpf.map.BpfMap;

/**
 * The maps behind a program's linked map references, for the JIT to specialise map helper calls.
 * Where the map in r1 at a call of {@code bpf_map_lookup_elem} (helper 1), {@code bpf_map_update_elem}
 * (2) or {@code bpf_map_delete_elem} (3) is known at compile time (r1 was set by an {@code ld_imm64}
 * on every path to the call), the JIT calls that map's own {@link BpfMap#lookup}, {@link BpfMap#update}
 * or {@link BpfMap#delete} with {@code ctx.cpu()} instead of the registered helper, and computes an
 * ARRAY or PERCPU_ARRAY lookup inline ({@link BpfMap#arrayLookup()}), as the kernel's JIT inlines
 * {@code array_map_gen_lookup}.
 *
 * <p>Whoever passes one vouches that its helpers 1-3 are exactly those map calls for every context
 * the program runs with (an unchecked context: no argument validation, no per-run regions to add),
 * as XDP's helpers are in an unchecked {@code XdpContext}.
 */
@FunctionalInterface
public interface KnownMaps {
    /** The map an {@code ld_imm64} with this 64-bit value refers to, or null when it is not a map reference. */
    BpfMap map(long value);
}
