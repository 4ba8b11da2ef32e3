package io.jxdp.ebpf.verifier;

import java.util.Arrays;

/**
 * One function's registers and 512-byte stack (kernel {@code struct bpf_func_state}). Each stack
 * byte is {@link #INVALID} (never written), {@link #MISC} (some data), {@link #ZERO} (known zero) or
 * part of a {@link #SPILL}: a register stored whole, or a scalar stored at an 8-byte aligned offset,
 * whose abstract value is kept so that filling it back loses nothing.
 */
final class Frame {
    static final int STACK_SIZE = 512;
    static final int SLOTS = STACK_SIZE / 8;
    static final byte INVALID = 0;
    static final byte MISC = 1;
    static final byte ZERO = 2;
    static final byte SPILL = 3;

    final Reg[] regs = new Reg[11];
    /** Byte i describes fp - 512 + i. */
    final byte[] stack = new byte[STACK_SIZE];
    /** Slot s covers fp - 512 + 8s .. +7; the spilled register when its bytes are SPILL. */
    final Reg[] spilled = new Reg[SLOTS];
    /** Size in bytes of the spill in each slot (8, or narrower for a scalar). */
    final byte[] spillSize = new byte[SLOTS];
    /** Instruction that called this function, -1 for the main program. */
    int callsite = -1;
    /** Index of this frame in the call chain. */
    final int frameNo;
    /** Entry instruction of this function. */
    int funcStart;
    /**
     * bpf_func_state.callback_depth: bpf_loop callback iterations verified on this path from the
     * current call site; not compared when pruning, as in the kernel.
     */
    long callbackDepth;

    Frame(int frameNo) {
        this.frameNo = frameNo;
        for (int i = 0; i < regs.length; i++) {
            regs[i] = new Reg();
            regs[i].markNotInit();
        }
    }

    Frame copy() {
        Frame f = new Frame(frameNo);
        for (int i = 0; i < regs.length; i++) {
            f.regs[i].copyFrom(regs[i]);
        }
        System.arraycopy(stack, 0, f.stack, 0, STACK_SIZE);
        for (int s = 0; s < SLOTS; s++) {
            if (spilled[s] != null) {
                f.spilled[s] = spilled[s].copy();
            }
        }
        System.arraycopy(spillSize, 0, f.spillSize, 0, SLOTS);
        f.callsite = callsite;
        f.funcStart = funcStart;
        f.callbackDepth = callbackDepth;
        return f;
    }

    /** Forgets a spill in slot s: its bytes become plain data. */
    void clearSpill(int s) {
        if (spilled[s] != null) {
            for (int i = 0; i < 8; i++) {
                if (stack[s * 8 + i] == SPILL) {
                    stack[s * 8 + i] = MISC;
                }
            }
            spilled[s] = null;
            spillSize[s] = 0;
        }
    }

    /** stacksafe() + regsafe() for this frame; {@code live} is the registers live here (bit per reg). */
    boolean covers(Frame cur, IdMap ids, int live, int relevant) {
        if (callsite != cur.callsite) {
            return false;
        }
        for (int r = 0; r < regs.length; r++) {
            if ((live & (1 << r)) == 0) {
                continue;
            }
            Reg o = regs[r];
            Reg c = cur.regs[r];
            if ((relevant & (1 << r)) == 0 && o.type == RegType.SCALAR && c.type == RegType.SCALAR) {
                continue; // an irrelevant scalar: any value is as safe as the explored one
            }
            if (!o.covers(c, ids)) {
                return false;
            }
        }
        for (int i = 0; i < STACK_SIZE; i++) {
            byte o = stack[i];
            byte c = cur.stack[i];
            if (o == INVALID) {
                continue; // the explored path never read this byte as initialised data
            }
            if (o == MISC) {
                if (c == INVALID) {
                    return false;
                }
                continue; // any initialised data matches "some data"
            }
            if (o == ZERO) {
                if (c == ZERO) {
                    continue;
                }
                if (c == SPILL) {
                    Reg cr = cur.spilled[i / 8];
                    if (cr.isNullConst()) {
                        continue;
                    }
                }
                return false;
            }
            // o == SPILL
            if (c != SPILL) {
                return false;
            }
            if (i % 8 == 0 || stack[i - 1] != SPILL) {
                int s = i / 8;
                if (spillSize[s] != cur.spillSize[s] || !spilled[s].covers(cur.spilled[s], ids)) {
                    return false;
                }
            }
        }
        return true;
    }

    boolean sameAs(Frame o) {
        if (callsite != o.callsite || !Arrays.equals(stack, o.stack) || !Arrays.equals(spillSize, o.spillSize)) {
            return false;
        }
        for (int r = 0; r < regs.length; r++) {
            if (!regs[r].sameAs(o.regs[r])) {
                return false;
            }
        }
        for (int s = 0; s < SLOTS; s++) {
            if ((spilled[s] == null) != (o.spilled[s] == null) || spilled[s] != null && !spilled[s].sameAs(o.spilled[s])) {
                return false;
            }
        }
        return true;
    }
}
