package io.jxdp.ebpf.verifier;

/**
 * What the verifier proved about one instruction, for the loader and the JIT.
 *
 * @param visited false when no feasible path reaches the instruction (dead code after constant branches)
 * @param region the memory a load/store/atomic accesses on every path: packet accesses are all in
 *     range (proven against data_end), stack and map-value accesses in bounds
 * @param ctxField for a {@link Region#CTX} load, the {@code struct xdp_md} field offset (0 data,
 *     4 data_end, 8 data_meta, 12 ingress_ifindex, 16 rx_queue_index); the loader rewrites data,
 *     data_end and data_meta loads to 64-bit pointer loads as the kernel does; -1 otherwise
 * @param branch for a conditional jump: {@link Branch#ALWAYS}, {@link Branch#NEVER} or
 *     {@link Branch#BOTH} as seen on every explored path; {@link Branch#NONE} otherwise
 * @param mapIndex for an LD_IMM64 map reference, the map's index; -1 otherwise
 */
public record InsnFact(boolean visited, Region region, int ctxField, Branch branch, int mapIndex) {
    /** The memory an instruction accesses. */
    public enum Region { NONE, CTX, PACKET, STACK, MAP_VALUE, MEM, MIXED }

    /** How a conditional jump went. */
    public enum Branch { NONE, ALWAYS, NEVER, BOTH }
}
