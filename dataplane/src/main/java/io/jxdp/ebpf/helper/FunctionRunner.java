package io.jxdp.ebpf.helper;

/**
 * Runs a bpf-to-bpf function of the program that is running now, on behalf of a helper that takes
 * a callback ({@code bpf_loop}, {@code bpf_for_each_map_elem}; kernel/bpf/bpf_iter.c). Both engines
 * implement it: the interpreter and the JIT's compiled program.
 *
 * <p>The callee runs as one more call frame directly below the frame that is calling the helper, as
 * the kernel's verifier models a callback (it counts against MAX_CALL_FRAMES, 8): the caller's
 * stack stays intact, so a callback may read and write it through the pointer it is given. Only
 * valid from inside a helper during a run; the caller's callee-saved registers r6-r9 are preserved.
 */
public interface FunctionRunner {
    /**
     * Calls the function whose first instruction is {@code pc} with r1-r5 as its arguments and
     * returns its r0. Throws {@code io.jxdp.ebpf.interp.VmException} when pc is not a function of the
     * program or the call would exceed the call-depth limit.
     */
    long callFunction(CallContext ctx, int pc, long r1, long r2, long r3, long r4, long r5);
}
