package io.jxdp.ebpf.verifier;

/**
 * Conditional jumps on scalars (kernel {@code reg_set_min_max()} and {@code is_branch_taken()}):
 * {@link #refine} narrows two scalars to the values for which {@code a COND b} holds and reports
 * whether any remain; a branch whose condition (or its negation) leaves no values is never (or
 * always) taken, so the verifier explores only the feasible side, which is how bounded loops end.
 */
final class Branch {
    enum Cond {
        EQ, NE, GT, GE, LT, LE, SGT, SGE, SLT, SLE, SET, NSET;

        Cond negate() {
            return switch (this) {
                case EQ -> NE;
                case NE -> EQ;
                case GT -> LE;
                case GE -> LT;
                case LT -> GE;
                case LE -> GT;
                case SGT -> SLE;
                case SGE -> SLT;
                case SLT -> SGE;
                case SLE -> SGT;
                case SET -> NSET;
                case NSET -> SET;
            };
        }

        /** The condition with its operands swapped: a OP b == b swap(OP) a. */
        Cond swap() {
            return switch (this) {
                case GT -> LT;
                case GE -> LE;
                case LT -> GT;
                case LE -> GE;
                case SGT -> SLT;
                case SGE -> SLE;
                case SLT -> SGT;
                case SLE -> SGE;
                default -> this;
            };
        }
    }

    private Branch() {
    }

    /** Outcome of a branch: 1 always taken, 0 never taken, -1 unknown. */
    static int taken(Reg a, Reg b, Cond c, boolean is32) {
        if (!refine(a.copy(), b.copy(), c, is32)) {
            return 0;
        }
        if (!refine(a.copy(), b.copy(), c.negate(), is32)) {
            return 1;
        }
        return -1;
    }

    /** Narrows a and b (scalars) to {@code a c b}; false when no values satisfy it. */
    static boolean refine(Reg a, Reg b, Cond c, boolean is32) {
        if (is32) {
            refine32(a, b, c);
        } else {
            refine64(a, b, c);
        }
        if (a.isEmpty() || b.isEmpty()) {
            return false;
        }
        a.sync();
        b.sync();
        return !a.isEmpty() && !b.isEmpty();
    }

    private static void refine64(Reg a, Reg b, Cond c) {
        switch (c) {
            case EQ -> {
                long umin = Reg.umax64(a.umin, b.umin);
                long umax = Reg.umin64(a.umax, b.umax);
                long smin = Math.max(a.smin, b.smin);
                long smax = Math.min(a.smax, b.smax);
                if (((a.var.value() ^ b.var.value()) & ~(a.var.mask() | b.var.mask())) != 0) {
                    a.smin = 1; // known bits disagree: impossible
                    a.smax = 0;
                    return;
                }
                Tnum t = a.var.intersect(b.var);
                for (Reg r : new Reg[] {a, b}) {
                    r.umin = umin;
                    r.umax = umax;
                    r.smin = smin;
                    r.smax = smax;
                    r.var = t;
                }
                int u32min = Reg.umax32(a.u32min, b.u32min);
                int u32max = Reg.umin32(a.u32max, b.u32max);
                int s32min = Math.max(a.s32min, b.s32min);
                int s32max = Math.min(a.s32max, b.s32max);
                for (Reg r : new Reg[] {a, b}) {
                    r.u32min = u32min;
                    r.u32max = u32max;
                    r.s32min = s32min;
                    r.s32max = s32max;
                }
            }
            case NE -> {
                if (b.isConst()) {
                    ne64(a, b.var.value());
                } else if (a.isConst()) {
                    ne64(b, a.var.value());
                }
            }
            case GT, GE -> {
                long k = c == Cond.GT ? 1 : 0;
                if (c == Cond.GT && (b.umin == -1L || a.umax == 0)) {
                    a.umin = 1;
                    a.umax = 0;
                    return;
                }
                a.umin = Reg.umax64(a.umin, b.umin + k);
                b.umax = Reg.umin64(b.umax, a.umax - k);
            }
            case LT, LE -> refine64(b, a, c.swap());
            case SGT, SGE -> {
                long k = c == Cond.SGT ? 1 : 0;
                if (c == Cond.SGT && (b.smin == Long.MAX_VALUE || a.smax == Long.MIN_VALUE)) {
                    a.smin = 1;
                    a.smax = 0;
                    return;
                }
                a.smin = Math.max(a.smin, b.smin + k);
                b.smax = Math.min(b.smax, a.smax - k);
            }
            case SLT, SLE -> refine64(b, a, c.swap());
            case SET -> {
                if (b.isConst()) {
                    long v = b.var.value();
                    if ((a.var.value() & v) == 0 && ((a.var.value() | a.var.mask()) & v) == 0) {
                        a.umin = 1; // no bit of the mask can be set
                        a.umax = 0;
                    } else if (Long.bitCount(v) == 1) {
                        a.var = new Tnum(a.var.value() | v, a.var.mask() & ~v);
                    }
                }
            }
            case NSET -> {
                if (b.isConst()) {
                    long v = b.var.value();
                    if ((a.var.value() & v) != 0) {
                        a.umin = 1;
                        a.umax = 0;
                    } else {
                        a.var = new Tnum(a.var.value(), a.var.mask() & ~v);
                    }
                }
            }
        }
    }

    private static void ne64(Reg a, long k) {
        if (a.isConst()) {
            if (a.var.value() == k) {
                a.umin = 1;
                a.umax = 0;
            }
            return;
        }
        if (a.umin == k) {
            a.umin++;
        } else if (a.umax == k) {
            a.umax--;
        }
        if (a.smin == k) {
            a.smin++;
        } else if (a.smax == k) {
            a.smax--;
        }
    }

    private static void refine32(Reg a, Reg b, Cond c) {
        switch (c) {
            case EQ -> {
                Tnum as = a.var.subreg();
                Tnum bs = b.var.subreg();
                if (((as.value() ^ bs.value()) & ~(as.mask() | bs.mask())) != 0) {
                    a.s32min = 1;
                    a.s32max = 0;
                    return;
                }
                Tnum t = as.intersect(bs);
                int u32min = Reg.umax32(a.u32min, b.u32min);
                int u32max = Reg.umin32(a.u32max, b.u32max);
                int s32min = Math.max(a.s32min, b.s32min);
                int s32max = Math.min(a.s32max, b.s32max);
                for (Reg r : new Reg[] {a, b}) {
                    r.var = r.var.withSubreg(t);
                    r.u32min = u32min;
                    r.u32max = u32max;
                    r.s32min = s32min;
                    r.s32max = s32max;
                }
            }
            case NE -> {
                if (b.isConst32()) {
                    ne32(a, (int) b.var.value());
                } else if (a.isConst32()) {
                    ne32(b, (int) a.var.value());
                }
            }
            case GT, GE -> {
                int k = c == Cond.GT ? 1 : 0;
                if (c == Cond.GT && (b.u32min == -1 || a.u32max == 0)) {
                    a.s32min = 1;
                    a.s32max = 0;
                    return;
                }
                a.u32min = Reg.umax32(a.u32min, b.u32min + k);
                b.u32max = Reg.umin32(b.u32max, a.u32max - k);
            }
            case LT, LE -> refine32(b, a, c.swap());
            case SGT, SGE -> {
                int k = c == Cond.SGT ? 1 : 0;
                if (c == Cond.SGT && (b.s32min == Integer.MAX_VALUE || a.s32max == Integer.MIN_VALUE)) {
                    a.s32min = 1;
                    a.s32max = 0;
                    return;
                }
                a.s32min = Math.max(a.s32min, b.s32min + k);
                b.s32max = Math.min(b.s32max, a.s32max - k);
            }
            case SLT, SLE -> refine32(b, a, c.swap());
            case SET -> {
                if (b.isConst32()) {
                    long v = b.var.value() & Reg.U32_MAX;
                    if (((a.var.value() | a.var.mask()) & v) == 0) {
                        a.s32min = 1;
                        a.s32max = 0;
                    } else if (Long.bitCount(v) == 1) {
                        a.var = new Tnum(a.var.value() | v, a.var.mask() & ~v);
                    }
                }
            }
            case NSET -> {
                if (b.isConst32()) {
                    long v = b.var.value() & Reg.U32_MAX;
                    if ((a.var.value() & v) != 0) {
                        a.s32min = 1;
                        a.s32max = 0;
                    } else {
                        a.var = new Tnum(a.var.value(), a.var.mask() & ~v);
                    }
                }
            }
        }
    }

    private static void ne32(Reg a, int k) {
        if (a.isConst32()) {
            if ((int) a.var.value() == k) {
                a.s32min = 1;
                a.s32max = 0;
            }
            return;
        }
        if (a.u32min == k) {
            a.u32min++;
        } else if (a.u32max == k) {
            a.u32max--;
        }
        if (a.s32min == k) {
            a.s32min++;
        } else if (a.s32max == k) {
            a.s32max--;
        }
    }
}
