package io.jxdp.ebpf.xdp;

import io.jxdp.ebpf.asm.Disassembler;
import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.isa.Program;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * The load-time context rewrite: finds every load that reads {@code struct xdp_md} and turns it into
 * a load from jxdp's native context ({@link XdpLayout}), as the kernel's verifier does with
 * {@code xdp_convert_ctx_access()} (net/core/filter.c), so that {@code data}, {@code data_end} and
 * {@code data_meta} become full 64-bit pointers.
 *
 * <p>Which registers hold the context is found by a forward dataflow over the control-flow graph:
 * r1 holds it at entry; register copies ({@code rX = rY}) and 8-byte spills to and fills from the
 * frame's own stack ({@code *(u64 *)(r10 + off)}) carry it; bpf-to-bpf calls pass r1-r5 to the
 * callee (joined over all call sites) and clobber r0-r5. Each register and 8-byte stack slot is one
 * of: not reached, context, modified context (after arithmetic), something else, or ambiguous.
 *
 * <p>Refused with an error naming the instruction, as the kernel's verifier refuses them
 * ({@code xdp_is_valid_access()}): a context access that is not a 4-byte aligned load of a field,
 * {@code egress_ifindex} (readable only by BPF_XDP_DEVMAP programs), any store or atomic to the
 * context, a dereference of a modified context pointer, and a load through a register that holds
 * the context on some paths only. Not tracked (limits of this pass, which the verifier will replace):
 * the context stored through a stack pointer other than r10, or passed through a caller's stack.
 */
final class CtxRewriter {
    private static final byte BOT = 0;
    private static final byte CTX = 1;
    private static final byte CTX_MOD = 2;
    private static final byte OTHER = 3;
    private static final byte TOP = 4;

    private static final int REGS = 11;
    private static final int SLOTS = 64;
    private static final int WIDTH = REGS + SLOTS;

    private final long[] slots;
    private final int n;
    private final byte[][] in;
    private final boolean[] second;
    private final boolean[] ctxLoad;
    private final ArrayDeque<Integer> work = new ArrayDeque<>();

    private CtxRewriter(long[] slots) {
        this.slots = slots;
        this.n = slots.length;
        this.in = new byte[n][];
        this.second = new boolean[n];
        this.ctxLoad = new boolean[n];
    }

    /**
     * Rewrites the context loads of {@code slots} in place (same instruction count, so no jump
     * moves) and returns how many loads were rewritten.
     *
     * @throws EngineException naming the instruction index and its disassembly on a refused access
     */
    static int rewrite(long[] slots) {
        CtxRewriter r = new CtxRewriter(slots);
        r.analyse();
        return r.apply();
    }

    private static int code(long s) {
        return (int) (s & 0xff);
    }

    private static int dst(long s) {
        return (int) ((s >>> 8) & 0xf);
    }

    private static int src(long s) {
        return (int) ((s >>> 12) & 0xf);
    }

    private static int off(long s) {
        return (short) (s >>> 16);
    }

    private static int imm(long s) {
        return (int) (s >>> 32);
    }

    private static byte join(byte a, byte b) {
        if (a == b || b == BOT) {
            return a;
        }
        return a == BOT ? b : TOP;
    }

    private void analyse() {
        for (int pc = 0; pc + 1 < n; pc++) {
            if (code(slots[pc]) == 0x18) {
                second[++pc] = true;
            }
        }
        byte[] entry = new byte[WIDTH];
        Arrays.fill(entry, OTHER);
        entry[1] = CTX;
        flow(0, entry);
        while (!work.isEmpty()) {
            int pc = work.poll();
            step(pc, in[pc].clone());
        }
    }

    private void flow(int pc, byte[] state) {
        if (pc < 0 || pc >= n || second[pc]) {
            return; // the interpreter rejects such targets with its own error
        }
        byte[] cur = in[pc];
        if (cur == null) {
            in[pc] = state.clone();
            work.add(pc);
            return;
        }
        boolean changed = false;
        for (int i = 0; i < WIDTH; i++) {
            byte j = join(cur[i], state[i]);
            if (j != cur[i]) {
                cur[i] = j;
                changed = true;
            }
        }
        if (changed) {
            work.add(pc);
        }
    }

    private void step(int pc, byte[] s) {
        long insn = slots[pc];
        int code = code(insn);
        int cls = code & 7;
        int d = dst(insn);
        int sr = src(insn);
        int off = off(insn);
        switch (cls) {
            case 0 -> { // LD: lddw or legacy packet loads
                if (code == 0x18) {
                    set(s, d, OTHER);
                    flow(pc + 2, s);
                    return;
                }
                for (int r = 0; r <= 5; r++) {
                    s[r] = OTHER;
                }
            }
            case 1 -> { // LDX
                int mode = code & 0xe0;
                if (sr == 10) {
                    int slot = slot(off);
                    set(s, d, (code & 0x18) == 0x18 && mode == 0x60 && slot >= 0 ? s[REGS + slot] : OTHER);
                } else {
                    byte base = s[sr];
                    if (base == CTX) {
                        checkCtxLoad(pc, insn);
                        ctxLoad[pc] = true;
                    } else if (base == CTX_MOD) {
                        throw error(pc, "dereference of a modified context pointer r" + sr
                                + " (the kernel's verifier refuses it)");
                    } else if (base == TOP) {
                        throw error(pc, "r" + sr + " holds the context on some paths only; cannot rewrite this load");
                    }
                    set(s, d, OTHER);
                }
            }
            case 2, 3 -> { // ST, STX (and atomics)
                byte base = s[d];
                if (d != 10 && (base == CTX || base == CTX_MOD || base == TOP)) {
                    throw error(pc, (base == TOP ? "r" + d + " may hold the context: " : "")
                            + "writes to the XDP context are not allowed (kernel xdp_is_valid_access)");
                }
                boolean atomic = cls == 3 && (code & 0xe0) == 0xc0;
                if (d == 10) {
                    int size = switch (code & 0x18) {
                        case 0x00 -> 4;
                        case 0x08 -> 2;
                        case 0x10 -> 1;
                        default -> 8;
                    };
                    int slot = slot(off);
                    if (!atomic && cls == 3 && size == 8 && slot >= 0) {
                        s[REGS + slot] = s[sr];
                    } else {
                        clobberStack(s, off, size);
                    }
                }
                if (atomic) {
                    int op = imm(insn);
                    if (op == 0xf1) { // cmpxchg writes r0
                        s[0] = OTHER;
                    } else if ((op & 0x01) != 0) { // BPF_FETCH and xchg write src
                        set(s, sr, OTHER);
                    }
                }
            }
            case 4, 7 -> { // ALU, ALU64
                int op = code & 0xf0;
                boolean reg = (code & 0x08) != 0;
                if (cls == 7 && op == 0xb0 && reg && off == 0) {
                    set(s, d, s[sr]); // rD = rS carries the context
                } else if (cls == 7 && op != 0xb0 && op != 0xd0 && (s[d] == CTX || s[d] == CTX_MOD)) {
                    set(s, d, CTX_MOD);
                } else {
                    set(s, d, s[d] == TOP && cls == 7 && op != 0xb0 ? TOP : OTHER);
                }
            }
            case 5, 6 -> { // JMP, JMP32
                int op = code & 0xf0;
                if (op == 0x90) { // exit
                    return;
                }
                if (op == 0x80 && cls == 5) { // call
                    if (sr == 1) {
                        int target = pc + 1 + imm(insn);
                        byte[] callee = new byte[WIDTH];
                        Arrays.fill(callee, OTHER);
                        System.arraycopy(s, 1, callee, 1, 5);
                        flow(target, callee);
                    }
                    for (int r = 0; r <= 5; r++) {
                        s[r] = OTHER;
                    }
                } else if (op == 0x00) { // ja (JMP: off, JMP32: imm)
                    flow(pc + 1 + (cls == 5 ? off : imm(insn)), s);
                    return;
                } else {
                    flow(pc + 1 + off, s);
                }
            }
            default -> throw new AssertionError(cls);
        }
        flow(pc + 1, s);
    }

    private static void set(byte[] s, int reg, byte v) {
        if (reg < REGS) {
            s[reg] = v;
        }
    }

    /** The 8-byte slot index of fp+off, or -1 when it is not one aligned slot of the 512-byte frame. */
    private static int slot(int off) {
        if (off >= 0 || off < -512 || (off & 7) != 0) {
            return -1;
        }
        return (512 + off) / 8;
    }

    private static void clobberStack(byte[] s, int off, int size) {
        for (int b = off; b < off + size; b++) {
            if (b >= -512 && b < 0) {
                s[REGS + (512 + b) / 8] = OTHER;
            }
        }
    }

    private void checkCtxLoad(int pc, long insn) {
        int code = code(insn);
        int off = off(insn);
        if ((code & 0xe0) != 0x60) {
            throw error(pc, "sign-extending load from the XDP context (kernel xdp_is_valid_access allows u32 loads)");
        }
        if ((code & 0x18) != 0x00) {
            throw error(pc, "invalid XDP context access off=" + off + " size=" + size(code)
                    + ": struct xdp_md fields are read as u32 (kernel xdp_is_valid_access)");
        }
        switch (off) {
            case XdpLayout.MD_DATA, XdpLayout.MD_DATA_END, XdpLayout.MD_DATA_META, XdpLayout.MD_INGRESS_IFINDEX,
                    XdpLayout.MD_RX_QUEUE_INDEX -> { }
            case XdpLayout.MD_EGRESS_IFINDEX -> throw error(pc,
                    "egress_ifindex is readable only by BPF_XDP_DEVMAP programs (kernel xdp_is_valid_access)");
            default -> throw error(pc, "invalid XDP context access off=" + off + " size=4: struct xdp_md has "
                    + "fields at 0, 4, 8, 12, 16, 20");
        }
    }

    private static int size(int code) {
        return switch (code & 0x18) {
            case 0x00 -> 4;
            case 0x08 -> 2;
            case 0x10 -> 1;
            default -> 8;
        };
    }

    private int apply() {
        int count = 0;
        for (int pc = 0; pc < n; pc++) {
            if (!ctxLoad[pc]) {
                continue;
            }
            long insn = slots[pc];
            int newCode;
            int newOff;
            switch (off(insn)) {
                case XdpLayout.MD_DATA -> { newCode = 0x79; newOff = XdpLayout.CTX_DATA; }
                case XdpLayout.MD_DATA_END -> { newCode = 0x79; newOff = XdpLayout.CTX_DATA_END; }
                case XdpLayout.MD_DATA_META -> { newCode = 0x79; newOff = XdpLayout.CTX_DATA_META; }
                case XdpLayout.MD_INGRESS_IFINDEX -> { newCode = 0x61; newOff = XdpLayout.CTX_INGRESS_IFINDEX; }
                case XdpLayout.MD_RX_QUEUE_INDEX -> { newCode = 0x61; newOff = XdpLayout.CTX_RX_QUEUE_INDEX; }
                default -> throw new AssertionError(off(insn));
            }
            slots[pc] = (insn & ~0xffff_00ffL) | newCode | ((long) (newOff & 0xffff) << 16);
            count++;
        }
        return count;
    }

    private EngineException error(int pc, String message) {
        String text;
        try {
            text = Disassembler.format(Program.ofSlots(slots), pc);
        } catch (RuntimeException e) {
            text = "?";
        }
        return new EngineException("insn " + pc + " (" + text + "): " + message);
    }
}
