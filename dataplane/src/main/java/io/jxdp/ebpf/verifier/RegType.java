package io.jxdp.ebpf.verifier;

/** What a register holds (kernel {@code enum bpf_reg_type}, the subset XDP programs meet). */
enum RegType {
    NOT_INIT("?"),
    SCALAR("scalar"),
    PTR_TO_CTX("ctx"),
    PTR_TO_PACKET("pkt"),
    PTR_TO_PACKET_META("pkt_meta"),
    PTR_TO_PACKET_END("pkt_end"),
    PTR_TO_STACK("fp"),
    PTR_TO_MAP_VALUE("map_value"),
    PTR_TO_MAP_VALUE_OR_NULL("map_value_or_null"),
    CONST_PTR_TO_MAP("map_ptr"),
    PTR_TO_MAP_KEY("map_key"),
    PTR_TO_MEM("mem"),
    PTR_TO_MEM_OR_NULL("mem_or_null"),
    /** A callback from an LD_IMM64 with src_reg 4 (BPF_PSEUDO_FUNC); {@code Reg.off} holds its first insn. */
    PTR_TO_FUNC("func");

    /** The kernel log's short name. */
    final String shortName;

    RegType(String shortName) {
        this.shortName = shortName;
    }

    boolean isPointer() {
        return this != NOT_INIT && this != SCALAR;
    }

    boolean isPacket() {
        return this == PTR_TO_PACKET || this == PTR_TO_PACKET_META;
    }

    boolean maybeNull() {
        return this == PTR_TO_MAP_VALUE_OR_NULL || this == PTR_TO_MEM_OR_NULL;
    }

    RegType nonNull() {
        return switch (this) {
            case PTR_TO_MAP_VALUE_OR_NULL -> PTR_TO_MAP_VALUE;
            case PTR_TO_MEM_OR_NULL -> PTR_TO_MEM;
            default -> this;
        };
    }

    @Override
    public String toString() {
        return shortName;
    }
}
