package io.jxdp.ebpf.xdp;

/**
 * Callback function pointers, as {@code ld_imm64 rX, <func>} ({@code src_reg} BPF_PSEUDO_FUNC,
 * include/uapi/linux/bpf.h) loads them for bpf_loop and bpf_for_each_map_elem. The kernel puts the
 * callee's address there; jxdp puts a tagged instruction index that the helpers turn back into the
 * interpreter's entry point. A program can only pass the value on (the verifier types it
 * PTR_TO_FUNC); any other value reaching a callback argument is a fault naming the helper.
 */
final class Callbacks {
    /** High bits of every callback value: not a user-space address, so a stray use stands out. */
    static final long TAG = 0xcb00_0000_0000_0000L;
    private static final long TAG_MASK = 0xffff_ffff_0000_0000L;

    private Callbacks() {
    }

    /** The value {@code ld_imm64} of the function starting at instruction {@code pc} loads. */
    static long encode(int pc) {
        return TAG | (pc & 0xffff_ffffL);
    }

    /** The instruction index of a callback value, or -1 when the value is not one. */
    static int pc(long value) {
        return (value & TAG_MASK) == TAG && (int) value >= 0 ? (int) value : -1;
    }
}
