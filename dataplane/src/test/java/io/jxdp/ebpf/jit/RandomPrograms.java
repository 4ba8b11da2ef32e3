package io.jxdp.ebpf.jit;

import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.isa.Op;
import io.jxdp.ebpf.isa.Program;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * A seeded generator of small programs that a verifier would accept and that both engines must
 * agree on: every ALU/ALU64 op (immediates include 0, -1, MIN and MAX so division and modulo by zero
 * and MIN / -1 come up), shifts, END/bswap, MOVSX, JMP/JMP32 forward branches and counted loops,
 * stack and input-memory loads and stores of every size (MEMSX too), atomics, lddw, helper calls and
 * bpf-to-bpf calls (main -> sub1 -> sub2, so at most three frames).
 *
 * <p>Entry: r1 = input memory of {@link #MEM_SIZE} bytes. The prologue keeps that pointer in r9 and
 * stores r10 at {@link #PROBE} in the input memory, so a test can find each engine's stack; no other
 * pointer value ever reaches a register the program computes with (pointers differ between engines).
 * r9 and r10 are only ever memory bases. After a call r1-r5 are rewritten before use, as the
 * kernel's verifier demands (the engines are free to differ in what they hold).
 */
final class RandomPrograms {
    static final int MEM_SIZE = 64;
    /** Offset in the input memory of the stack-top probe (8 bytes, not touched otherwise). */
    static final int PROBE = 56;
    /** The helper id the programs call; the test registers a pure function under it. */
    static final int HELPER = 1;

    private static final long[] SPECIAL = {0, 1, -1, 2, 7, 31, 32, 63, 64, Integer.MIN_VALUE, Integer.MAX_VALUE,
            0xffff_ffffL, 0x8000_0000L, Long.MIN_VALUE, Long.MAX_VALUE, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff};
    private static final Op[] ALU;
    private static final Op[] JUMPS;
    private static final Op[] ATOMICS;
    private static final Op[] LOADS = {Op.LDXB, Op.LDXH, Op.LDXW, Op.LDXDW, Op.LDXSB, Op.LDXSH, Op.LDXSW};
    private static final Op[] STORES = {Op.STB, Op.STH, Op.STW, Op.STDW, Op.STXB, Op.STXH, Op.STXW, Op.STXDW};

    static {
        List<Op> alu = new ArrayList<>();
        List<Op> jumps = new ArrayList<>();
        List<Op> atomics = new ArrayList<>();
        for (Op op : Op.values()) {
            switch (op.kind) {
                case ALU, NEG, MOVSX, END -> alu.add(op);
                case JUMP -> jumps.add(op);
                case ATOMIC -> atomics.add(op);
                default -> { }
            }
        }
        ALU = alu.toArray(Op[]::new);
        JUMPS = jumps.toArray(Op[]::new);
        ATOMICS = atomics.toArray(Op[]::new);
    }

    /** Kinds of body items. */
    private enum Item { ALU, LDDW, LOAD, STORE, ATOMIC, JUMP, JA, LOOP, CALL, HELPER }

    private final Random rnd;

    RandomPrograms(long seed) {
        this.rnd = new Random(seed);
    }

    /** One program: main (20-40 body items) and, sometimes, two subprograms. */
    Program next() {
        boolean subs = rnd.nextInt(4) == 0;
        List<List<Insn>> main = new ArrayList<>();
        main.add(List.of(Op.MOV64_REG.insn(9, 1, 0, 0)));
        main.add(List.of(Op.STXDW.insn(9, 10, PROBE, 0)));
        for (int r = 0; r <= 8; r++) {
            main.add(List.of(Op.MOV64_IMM.insn(r, 0, 0, (int) imm())));
        }
        Set<Item> mainItems = EnumSet.allOf(Item.class);
        if (!subs) {
            mainItems.remove(Item.CALL);
        }
        List<Insn> mainCode = body(main, 20 + rnd.nextInt(21), mainItems, true, 1);
        if (!subs) {
            return Program.of(mainCode);
        }
        Set<Item> subItems = EnumSet.allOf(Item.class);
        List<Insn> sub1 = body(subPrologue(), 5 + rnd.nextInt(10), subItems, false, 2);
        subItems.remove(Item.CALL);
        List<Insn> sub2 = body(subPrologue(), 5 + rnd.nextInt(10), subItems, false, 3);
        // call targets: main's CALL items say sub 1 or 2 in imm as a placeholder; fix them up now
        int sub1Start = mainCode.size();
        int sub2Start = sub1Start + sub1.size();
        List<Insn> all = new ArrayList<>();
        all.addAll(fixCalls(mainCode, 0, sub1Start, sub2Start));
        all.addAll(fixCalls(sub1, sub1Start, sub1Start, sub2Start));
        all.addAll(sub2);
        return Program.of(all);
    }

    private List<List<Insn>> subPrologue() {
        List<List<Insn>> items = new ArrayList<>();
        for (int r : new int[] {0, 6, 7, 8, 9}) {
            items.add(List.of(Op.MOV64_IMM.insn(r, 0, 0, (int) imm())));
        }
        return items;
    }

    private static List<Insn> fixCalls(List<Insn> code, int base, int sub1, int sub2) {
        List<Insn> out = new ArrayList<>(code.size());
        for (int i = 0; i < code.size(); i++) {
            Insn in = code.get(i);
            if (in.op() == Op.CALL_LOCAL) {
                int target = in.imm() == 1 ? sub1 : sub2;
                out.add(Op.CALL_LOCAL.insn(0, 0, 0, target - (base + i) - 1));
            } else {
                out.add(in);
            }
        }
        return out;
    }

    /**
     * Adds count random items to items, then an exit, and resolves jumps. Jump items are encoded
     * as an insn whose off is the number of items to skip forward; they are resolved to slots here.
     */
    private List<Insn> body(List<List<Insn>> items, int count, Set<Item> allowed, boolean main, int level) {
        Item[] kinds = allowed.toArray(Item[]::new);
        List<Integer> jumpItems = new ArrayList<>();
        for (int n = 0; n < count; n++) {
            Item kind = kinds[rnd.nextInt(kinds.length)];
            List<Insn> item = new ArrayList<>();
            switch (kind) {
                case ALU -> item.add(alu(-1));
                case LDDW -> {
                    long v = rnd.nextBoolean() ? rnd.nextLong() : SPECIAL[rnd.nextInt(SPECIAL.length)];
                    int d = reg();
                    item.add(Op.LDDW.insn(d, 0, 0, (int) v));
                    item.add(new Insn(0, 0, 0, 0, (int) (v >>> 32)));
                }
                case LOAD -> {
                    Op op = LOADS[rnd.nextInt(LOADS.length)];
                    boolean stack = !main || rnd.nextBoolean();
                    item.add(op.insn(reg(), stack ? 10 : 9, offset(stack, op.width, 1), 0));
                }
                case STORE -> {
                    Op op = STORES[rnd.nextInt(STORES.length)];
                    boolean stack = !main || rnd.nextBoolean();
                    item.add(op.insn(stack ? 10 : 9, reg(), offset(stack, op.width, 1), (int) imm()));
                }
                case ATOMIC -> {
                    Op op = ATOMICS[rnd.nextInt(ATOMICS.length)];
                    boolean stack = !main || rnd.nextBoolean();
                    item.add(op.insn(stack ? 10 : 9, reg(), offset(stack, op.width, op.width), 0));
                }
                case JUMP -> {
                    Op op = JUMPS[rnd.nextInt(JUMPS.length)];
                    boolean k = op.source == Op.Source.IMM;
                    item.add(op.insn(reg(), k ? 0 : reg(), 1 + rnd.nextInt(6), k ? (int) imm() : 0));
                    jumpItems.add(items.size());
                }
                case JA -> {
                    item.add((rnd.nextBoolean() ? Op.JA : Op.JA32).insn(0, 0, 1 + rnd.nextInt(3), 0));
                    jumpItems.add(items.size());
                }
                case LOOP -> {
                    // mov rC, n; body not writing rC; sub rC, 1; jne rC, 0, back (a counted loop)
                    int c = reg();
                    int trips = 1 + rnd.nextInt(4);
                    item.add(Op.MOV64_IMM.insn(c, 0, 0, trips));
                    int len = 1 + rnd.nextInt(4);
                    for (int i = 0; i < len; i++) {
                        item.add(alu(c));
                    }
                    item.add(Op.SUB64_IMM.insn(c, 0, 0, 1));
                    item.add(Op.JNE64_IMM.insn(c, 0, -(len + 2), 0));
                }
                case CALL -> {
                    int target = main ? 1 + rnd.nextInt(2) : 2; // placeholder: which subprogram
                    item.add(Op.CALL_LOCAL.insn(0, 0, 0, target));
                    clobberArgs(item);
                }
                case HELPER -> {
                    item.add(Op.CALL.insn(0, 0, 0, HELPER));
                    clobberArgs(item);
                }
            }
            items.add(item);
        }
        items.add(List.of(Op.EXIT.insn(0, 0, 0, 0)));
        // slot index of each item
        int[] at = new int[items.size() + 1];
        for (int i = 0; i < items.size(); i++) {
            at[i + 1] = at[i] + items.get(i).size();
        }
        for (int i : jumpItems) {
            Insn j = items.get(i).getFirst();
            int skip = Math.min(j.off(), items.size() - 1 - i - 1);
            int target = at[i + 1 + skip];
            int off = target - at[i] - 1;
            Op op = j.op();
            Insn fixedJump = op == Op.JA32 ? Op.JA32.insn(0, 0, 0, off) : new Insn(j.code(), j.dst(), j.src(), off, j.imm());
            items.set(i, List.of(fixedJump));
        }
        List<Insn> out = new ArrayList<>();
        for (List<Insn> item : items) {
            out.addAll(item);
        }
        return out;
    }

    /** After a call r1-r5 are dead (kernel verifier): give them fresh values. */
    private void clobberArgs(List<Insn> item) {
        for (int r = 1; r <= 5; r++) {
            item.add(Op.MOV64_IMM.insn(r, 0, 0, (int) imm()));
        }
    }

    /** A random ALU instruction on r0-r8 whose dst is not avoid. */
    private Insn alu(int avoid) {
        Op op = ALU[rnd.nextInt(ALU.length)];
        int d;
        do {
            d = reg();
        } while (d == avoid);
        int imm = (int) imm();
        boolean shift = op.name().contains("SH");
        if (shift && op.source == Op.Source.IMM && rnd.nextInt(4) != 0) {
            imm = rnd.nextInt(op.width == 32 ? 32 : 64);
        }
        return op.source == Op.Source.IMM ? op.insn(d, 0, 0, imm) : op.insn(d, reg(), 0, 0);
    }

    /** r0..r8: never a pointer. */
    private int reg() {
        return rnd.nextInt(9);
    }

    private long imm() {
        return switch (rnd.nextInt(3)) {
            case 0 -> SPECIAL[rnd.nextInt(SPECIAL.length)];
            case 1 -> rnd.nextInt(256) - 128;
            default -> rnd.nextInt();
        };
    }

    /** An offset for a size-byte access: stack [-512, -size], memory [0, PROBE - size]; aligned to align. */
    private int offset(boolean stack, int size, int align) {
        if (stack) {
            int o = -size - rnd.nextInt(512 - size + 1);
            return o & -align;
        }
        int o = rnd.nextInt(PROBE - size + 1);
        return o & -align;
    }
}
