package io.jxdp.ebpf.verifier;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.isa.Op;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Soundness of the abstract domain, by seeded random testing: abstract values are built as the
 * join of a few concrete values; every concrete result of an ALU operation must lie in the
 * abstract result, and branch refinement must keep every pair of values satisfying the condition
 * (and "never taken" must mean no pair does).
 */
class BoundsPropertyTest {
    static final Op[] OPS64 = {Op.ADD64_REG, Op.SUB64_REG, Op.MUL64_REG, Op.AND64_REG, Op.OR64_REG, Op.XOR64_REG,
        Op.LSH64_REG, Op.RSH64_REG, Op.ARSH64_REG, Op.DIV64_REG, Op.MOD64_REG, Op.MOV64_REG};
    static final Op[] OPS32 = {Op.ADD32_REG, Op.SUB32_REG, Op.MUL32_REG, Op.AND32_REG, Op.OR32_REG, Op.XOR32_REG,
        Op.LSH32_REG, Op.RSH32_REG, Op.ARSH32_REG, Op.DIV32_REG, Op.MOD32_REG, Op.MOV32_REG};

    static IntStream seeds() {
        return IntStream.range(0, 40);
    }

    /** A random value with a random "shape": small, near a power of two, negative, 32-bit, any. */
    static long sample(Random r, long center, int shape) {
        return switch (shape) {
            case 0 -> center + r.nextInt(16);
            case 1 -> center + r.nextInt(1 << 12) - (1 << 11);
            case 2 -> (center + r.nextInt(256)) & 0xffffffffL;
            case 3 -> (int) (center + r.nextInt(64) - 32);
            case 4 -> center ^ (r.nextLong() & 0xff00);
            default -> r.nextLong();
        };
    }

    static long[] values(Random r, int shift) {
        int shape = r.nextInt(6);
        long center = switch (r.nextInt(5)) {
            case 0 -> 0;
            case 1 -> r.nextInt(100) - 50;
            case 2 -> 1L << r.nextInt(64);
            case 3 -> -(1L << r.nextInt(63));
            default -> r.nextLong();
        };
        int n = 1 + r.nextInt(6);
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = shift >= 0 ? (r.nextInt(Math.max(1, shift))) : sample(r, center, shape);
        }
        return v;
    }

    /** The abstract value of exactly these concrete values (their join), then synced. */
    static Reg join(long[] vs) {
        Reg g = new Reg();
        g.markUnknown();
        long and = -1;
        long or = 0;
        long smin = Long.MAX_VALUE, smax = Long.MIN_VALUE, umin = -1, umax = 0;
        int s32min = Integer.MAX_VALUE, s32max = Integer.MIN_VALUE, u32min = -1, u32max = 0;
        for (long v : vs) {
            and &= v;
            or |= v;
            smin = Math.min(smin, v);
            smax = Math.max(smax, v);
            umin = Reg.umin64(umin, v);
            umax = Reg.umax64(umax, v);
            s32min = Math.min(s32min, (int) v);
            s32max = Math.max(s32max, (int) v);
            u32min = Reg.umin32(u32min, (int) v);
            u32max = Reg.umax32(u32max, (int) v);
        }
        g.var = new Tnum(and, and ^ or);
        g.smin = smin;
        g.smax = smax;
        g.umin = umin;
        g.umax = umax;
        g.s32min = s32min;
        g.s32max = s32max;
        g.u32min = u32min;
        g.u32max = u32max;
        g.sync();
        return g;
    }

    static boolean contains(Reg r, long v) {
        return r.smin <= v && v <= r.smax && Long.compareUnsigned(r.umin, v) <= 0 && Long.compareUnsigned(v, r.umax) <= 0
                && r.s32min <= (int) v && (int) v <= r.s32max && Integer.compareUnsigned(r.u32min, (int) v) <= 0
                && Integer.compareUnsigned((int) v, r.u32max) <= 0 && (v & ~r.var.mask()) == r.var.value();
    }

    static long concrete(Op op, long a, long b) {
        boolean w32 = op.width == 32;
        int mask = w32 ? 31 : 63;
        long x = w32 ? a & 0xffffffffL : a;
        long y = w32 ? b & 0xffffffffL : b;
        long r = switch (op.mnemonic.replace("32", "")) {
            case "add" -> x + y;
            case "sub" -> x - y;
            case "mul" -> x * y;
            case "and" -> x & y;
            case "or" -> x | y;
            case "xor" -> x ^ y;
            case "lsh" -> x << (y & mask);
            case "rsh" -> x >>> (y & mask);
            case "arsh" -> w32 ? (long) ((int) x >> (y & mask)) : x >> (y & mask);
            case "div" -> y == 0 ? 0 : w32 ? Long.divideUnsigned(x, y) : Long.divideUnsigned(x, y);
            case "mod" -> y == 0 ? x : Long.remainderUnsigned(x, y);
            case "mov" -> y;
            default -> throw new IllegalArgumentException(op.toString());
        };
        return w32 ? r & 0xffffffffL : r;
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void aluResultsContainEveryConcreteResult(int seed) {
        Random rnd = new Random(seed);
        for (int trial = 0; trial < 300; trial++) {
            boolean w32 = rnd.nextBoolean();
            Op op = (w32 ? OPS32 : OPS64)[rnd.nextInt(OPS64.length)];
            boolean shift = op.mnemonic.contains("sh");
            long[] as = values(rnd, -1);
            long[] bs = shift ? values(rnd, w32 ? 32 : 64) : values(rnd, -1);
            if (shift && rnd.nextBoolean()) {
                bs = new long[] {bs[0]}; // a constant shift, the case the verifier tracks precisely
            }
            Reg a = join(as);
            Reg b = join(bs);
            Reg res = a.copy();
            Alu.scalar(op, res, b.copy(), w32 ? 32 : 64);
            assertFalse(res.isEmpty(), () -> "empty result of " + op);
            for (long x : as) {
                for (long y : bs) {
                    long v = concrete(op, x, y);
                    assertTrue(contains(res, v), "seed " + seed + ": " + op + " " + x + ", " + y + " = " + v
                            + " is not in " + res + " (a=" + a + " b=" + b + ")");
                }
            }
        }
    }

    static boolean holds(Branch.Cond c, long x, long y, boolean w32) {
        long a = w32 ? x & 0xffffffffL : x;
        long b = w32 ? y & 0xffffffffL : y;
        long sa = w32 ? (int) x : x;
        long sb = w32 ? (int) y : y;
        return switch (c) {
            case EQ -> a == b;
            case NE -> a != b;
            case GT -> Long.compareUnsigned(a, b) > 0;
            case GE -> Long.compareUnsigned(a, b) >= 0;
            case LT -> Long.compareUnsigned(a, b) < 0;
            case LE -> Long.compareUnsigned(a, b) <= 0;
            case SGT -> sa > sb;
            case SGE -> sa >= sb;
            case SLT -> sa < sb;
            case SLE -> sa <= sb;
            case SET -> (a & b) != 0;
            case NSET -> (a & b) == 0;
        };
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void branchRefinementKeepsEverySatisfyingPair(int seed) {
        Random rnd = new Random(1000 + seed);
        Branch.Cond[] conds = Branch.Cond.values();
        for (int trial = 0; trial < 300; trial++) {
            boolean w32 = rnd.nextBoolean();
            Branch.Cond c = conds[rnd.nextInt(conds.length)];
            long[] as = values(rnd, -1);
            long[] bs = rnd.nextInt(3) == 0 ? as.clone() : values(rnd, -1);
            if (rnd.nextBoolean()) {
                bs = new long[] {bs[0]};
            }
            Reg a = join(as);
            Reg b = join(bs);
            Reg ra = a.copy();
            Reg rb = b.copy();
            boolean possible = Branch.refine(ra, rb, c, w32);
            int taken = Branch.taken(a, b, c, w32);
            boolean any = false;
            boolean all = true;
            for (long x : as) {
                for (long y : bs) {
                    boolean h = holds(c, x, y, w32);
                    any |= h;
                    all &= h;
                    if (h) {
                        assertTrue(possible, "seed " + seed + ": " + c + (w32 ? "32 " : " ") + x + ", " + y
                                + " holds but refinement found it impossible (a=" + a + " b=" + b + ")");
                        assertTrue(contains(ra, x) && contains(rb, y), "seed " + seed + ": " + c + (w32 ? "32 " : " ")
                                + x + ", " + y + " lost by refinement: " + ra + " / " + rb + " (a=" + a + " b=" + b + ")");
                    }
                }
            }
            if (taken == 1) {
                assertTrue(all, "seed " + seed + ": " + c + " said always taken for a=" + a + " b=" + b);
            }
            if (taken == 0) {
                assertFalse(any, "seed " + seed + ": " + c + " said never taken for a=" + a + " b=" + b);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void tnumOperationsAreSound(int seed) {
        Random rnd = new Random(2000 + seed);
        for (int trial = 0; trial < 300; trial++) {
            long[] as = values(rnd, -1);
            long[] bs = values(rnd, -1);
            Tnum a = join(as).var;
            Tnum b = join(bs).var;
            for (long x : as) {
                for (long y : bs) {
                    assertTrue(a.add(b).contains(Tnum.constant(x + y)), "add");
                    assertTrue(a.sub(b).contains(Tnum.constant(x - y)), "sub");
                    assertTrue(a.mul(b).contains(Tnum.constant(x * y)), "mul " + a + " " + b + " " + x + " " + y);
                    assertTrue(a.and(b).contains(Tnum.constant(x & y)), "and");
                    assertTrue(a.or(b).contains(Tnum.constant(x | y)), "or");
                    assertTrue(a.xor(b).contains(Tnum.constant(x ^ y)), "xor");
                }
                long lo = Math.min(x, as[0]);
                long hi = Math.max(x, as[0]);
                if (lo >= 0) {
                    assertTrue(Tnum.range(lo, hi).contains(Tnum.constant(x)), "range");
                }
                assertTrue(a.sext(32).contains(Tnum.constant((long) (int) x)) || (a.mask() & 0xffffffffL) == 0
                        && a.cast(4).value() != (x & 0xffffffffL), "sext");
            }
        }
    }
}
