package io.jxdp.ebpf.helper;

/** An eBPF helper function, called by {@code call imm} with the kernel's helper id. */
@FunctionalInterface
public interface Helper {
    /** r1..r5 are the argument registers; the result goes to r0. */
    long call(CallContext ctx, long r1, long r2, long r3, long r4, long r5);
}
