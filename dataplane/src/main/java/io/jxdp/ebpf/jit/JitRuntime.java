package io.jxdp.ebpf.jit;

import io.jxdp.ebpf.helper.CallContext;
import io.jxdp.ebpf.helper.Helper;
import io.jxdp.ebpf.helper.HelperRegistry;
import io.jxdp.ebpf.interp.VmException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * What generated code links against: the address-space segment and layouts as {@code static final}
 * fields (so C2 folds them into plain loads and stores), and small static methods for the operations
 * that are more than a bytecode or two. Every method here is tiny so the JVM inlines it.
 *
 * <p>Semantics follow the interpreter ({@code io.jxdp.ebpf.interp.Interpreter}) and RFC 9669
 * section 4: division by zero gives 0, modulo by zero leaves the dividend, signed MIN / -1 = MIN and
 * MIN % -1 = 0 (exactly Java's {@code ldiv}/{@code lrem}, which do not throw for these).
 */
final class JitRuntime {
    /** The whole address space; program pointers are real native addresses. */
    static final MemorySegment MEM = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /**
     * Atomics need natural alignment, as the kernel's verifier demands of BPF_ATOMIC. Coordinates
     * (MemorySegment, long address); generated code calls them directly (Translator.atomic).
     */
    static final VarHandle ATOMIC32 = ValueLayout.JAVA_INT.varHandle();
    static final VarHandle ATOMIC64 = ValueLayout.JAVA_LONG.varHandle();
    /**
     * What generated code ANDs every address with before it accesses MEM: the low 56 bits, all a
     * user-space address on x86-64 or arm64 can have (even with 5-level paging), so it never changes
     * an address a verified program forms. It gives C2 the address's range [0, 2^56), which is inside
     * MEM, so the segment's bounds check folds away (one AND instead of a compare and a branch per
     * access). Safety comes from the verifier, as in the kernel; an address outside that range (which
     * no verified program forms) is no longer an IndexOutOfBoundsException but an access elsewhere.
     */
    static final long ADDRESS_MASK = (1L << 56) - 1;

    private JitRuntime() {
    }

    // --- division and modulo (RFC 9669 4.1: unsigned unless off = 1) ---

    static long udiv64(long a, long b) {
        return b == 0 ? 0 : Long.divideUnsigned(a, b);
    }

    static long sdiv64(long a, long b) {
        return b == 0 ? 0 : a / b;
    }

    static long umod64(long a, long b) {
        return b == 0 ? a : Long.remainderUnsigned(a, b);
    }

    static long smod64(long a, long b) {
        return b == 0 ? a : a % b;
    }

    static int udiv32(int a, int b) {
        return b == 0 ? 0 : Integer.divideUnsigned(a, b);
    }

    static int sdiv32(int a, int b) {
        return b == 0 ? 0 : a / b;
    }

    static int umod32(int a, int b) {
        return b == 0 ? a : Integer.remainderUnsigned(a, b);
    }

    static int smod32(int a, int b) {
        return b == 0 ? a : a % b;
    }

    // --- legacy packet loads ---

    /**
     * Big-endian packet bytes [o, o + size) of the context's packet, or -1 when out of range
     * (kernel bpf_skb_load_helper: the offset is a signed 32-bit value checked against the length).
     * The caller ends the program with r0 = 0 on -1.
     */
    static long loadPacket(CallContext ctx, long o, int size) {
        int ofs = (int) o;
        long data = ctx.packetData();
        if (ofs < 0 || (long) ofs + size > ctx.packetLength() || data == 0) {
            return -1;
        }
        long p = data + ofs;
        return switch (size) {
            case 1 -> MEM.get(U8, p) & 0xffL;
            case 2 -> MEM.get(BE16, p) & 0xffffL;
            default -> MEM.get(BE32, p) & 0xffff_ffffL;
        };
    }

    // --- calls ---

    /** callx: as the conformance suite (uBPF) defines it, the register holds a helper id. */
    static long callx(HelperRegistry helpers, CallContext ctx, long id, long r1, long r2, long r3, long r4, long r5,
                      int pc, int dst) {
        Helper h = id < 0 || id > Integer.MAX_VALUE ? null : helpers.get((int) id);
        if (h == null) {
            throw new VmException(pc, "callx r" + dst, "callx r" + dst + ": " + helpers.unavailable(id));
        }
        return h.call(ctx, r1, r2, r3, r4, r5);
    }

    /** The fault for entering a function at a pc where none starts (a bad tail-call entry or callback). */
    static VmException noFunction(int pc) {
        return new VmException(pc, null, "no function of the program starts at instruction " + pc);
    }

    /** The fault for a callback beyond the kernel's MAX_CALL_FRAMES (as the interpreter words it). */
    static VmException callbackDepthExceeded(int pc) {
        return new VmException(pc, null, "call depth limit of " + JitCompiler.MAX_FRAMES
                + " frames exceeded by a callback");
    }

    /**
     * The depth a tail call made by a function at {@code calleeDepth} (a subprogram or callback)
     * runs its target at: the next multiple of MAX_FRAMES, past every frame in use (see
     * Translator.spillLongs). Beyond the spill file's frames (more tail calls from subprograms than
     * the kernel's 33 allow) it is a VmException.
     */
    static int tailCallDepth(int calleeDepth, long[] spill) {
        int depth = (calleeDepth | (JitCompiler.MAX_FRAMES - 1)) + 1;
        int frames = (spill.length - Translator.FRAMES_AT) / Translator.FRAME_SLOTS;
        if (depth + JitCompiler.MAX_FRAMES > frames) {
            throw new VmException(-1, null, "stack of " + frames + " frames exhausted by tail calls from subprograms");
        }
        return depth;
    }

    /** The fault for a bpf-to-bpf call beyond the kernel's MAX_CALL_FRAMES. */
    static VmException callDepthExceeded(int pc) {
        return new VmException(pc, null, "call depth limit of " + JitCompiler.MAX_FRAMES + " frames exceeded");
    }
}
