package io.jxdp.ebpf.verifier;

/**
 * The abstract value of one register (kernel {@code struct bpf_reg_state}). For a scalar the
 * tnum and the four pairs of bounds describe the value; for a pointer they describe its variable
 * offset, {@link #off} its fixed offset. Bounds are kept consistent by {@link #sync()}, which
 * follows the kernel's {@code reg_bounds_sync()}: bounds from the tnum, signed from unsigned and
 * back, 64-bit from 32-bit and back, then the tnum from the bounds.
 */
final class Reg {
    static final long S32_MIN = Integer.MIN_VALUE;
    static final long U32_MAX = 0xffffffffL;

    RegType type = RegType.NOT_INIT;
    /** Fixed offset of a pointer. */
    int off;
    Tnum var = Tnum.UNKNOWN;
    long smin;
    long smax;
    /** Unsigned 64-bit bounds, compared with Long.compareUnsigned. */
    long umin;
    long umax;
    int s32min;
    int s32max;
    /** Unsigned 32-bit bounds, compared with Integer.compareUnsigned. */
    int u32min;
    int u32max;
    /** Identity shared by copies: NULL checks and packet ranges propagate to every register with it. */
    int id;
    /** The acquired reference (ringbuf record) this pointer holds, 0 for none. */
    int refObjId;
    /** PTR_TO_PACKET: bytes proven in range from (packet base + variable part). */
    int range;
    /** Map pointer and map value: index into the verifier's map list. */
    int mapIndex = -1;
    /** PTR_TO_STACK: frame the stack belongs to. */
    int frameNo;
    /** PTR_TO_MEM: size of the memory region. */
    int memSize;

    Reg copy() {
        Reg r = new Reg();
        r.copyFrom(this);
        return r;
    }

    void copyFrom(Reg o) {
        type = o.type;
        off = o.off;
        var = o.var;
        smin = o.smin;
        smax = o.smax;
        umin = o.umin;
        umax = o.umax;
        s32min = o.s32min;
        s32max = o.s32max;
        u32min = o.u32min;
        u32max = o.u32max;
        id = o.id;
        refObjId = o.refObjId;
        range = o.range;
        mapIndex = o.mapIndex;
        frameNo = o.frameNo;
        memSize = o.memSize;
    }

    void markNotInit() {
        markUnknown();
        type = RegType.NOT_INIT;
    }

    /** An unknown scalar: any 64-bit value. */
    void markUnknown() {
        type = RegType.SCALAR;
        off = 0;
        id = 0;
        refObjId = 0;
        range = 0;
        mapIndex = -1;
        frameNo = 0;
        memSize = 0;
        setUnbounded();
    }

    void setUnbounded() {
        var = Tnum.UNKNOWN;
        smin = Long.MIN_VALUE;
        smax = Long.MAX_VALUE;
        umin = 0;
        umax = -1L;
        s32min = Integer.MIN_VALUE;
        s32max = Integer.MAX_VALUE;
        u32min = 0;
        u32max = -1;
    }

    void markConst(long v) {
        markUnknown();
        setConst(v);
    }

    /** Sets the value part (scalar value or pointer variable offset) to a constant. */
    void setConst(long v) {
        var = Tnum.constant(v);
        smin = smax = umin = umax = v;
        s32min = s32max = u32min = u32max = (int) v;
    }

    /** A pointer of the given type with a zero offset. */
    void markPtr(RegType t) {
        markUnknown();
        type = t;
        setConst(0);
    }

    boolean isConst() {
        return var.isConst();
    }

    boolean isConst32() {
        return var.subreg().isConst();
    }

    boolean isScalar() {
        return type == RegType.SCALAR;
    }

    boolean isNullConst() {
        return type == RegType.SCALAR && isConst() && var.value() == 0;
    }

    /** Value part known to be zero (pointer without a variable offset). */
    boolean varIsZero() {
        return var.isConst() && var.value() == 0;
    }

    // ------------------------------------------------------------- bounds

    /**
     * Completes an ALU32 result: the 32-bit bounds and the tnum's low half describe the result,
     * which is zero-extended into the whole register (the upper 32 bits become 0).
     */
    void zext32() {
        var = var.subreg();
        umin = u32min & U32_MAX;
        umax = u32max & U32_MAX;
        smin = umin;
        smax = umax;
        sync();
    }

    /** reg_bounds_sync(): propagate knowledge between tnum, signed/unsigned, 32/64 bounds. */
    void sync() {
        updateFromTnum();
        deduce();
        deduce();
        boundOffset();
        updateFromTnum();
    }

    private void updateFromTnum() {
        Tnum sub = var.subreg();
        s32min = Math.max(s32min, (int) (sub.value() | (sub.mask() & S32_MIN)));
        s32max = Math.min(s32max, (int) (sub.value() | (sub.mask() & Integer.MAX_VALUE)));
        u32min = umax32(u32min, (int) sub.value());
        u32max = umin32(u32max, (int) (sub.value() | sub.mask()));
        smin = Math.max(smin, var.value() | (var.mask() & Long.MIN_VALUE));
        smax = Math.min(smax, var.value() | (var.mask() & Long.MAX_VALUE));
        umin = umax64(umin, var.value());
        umax = umin64(umax, var.value() | var.mask());
    }

    private void deduce() {
        // 32-bit: signed and unsigned ranges agree when the range does not cross the sign bit
        if (s32min >= 0 || s32max < 0) {
            int lo = umax32(u32min, s32min);
            int hi = umin32(u32max, s32max);
            s32min = u32min = lo;
            s32max = u32max = hi;
        } else if ((int) u32min <= (int) u32max) {
            s32min = Math.max(s32min, u32min);
            s32max = Math.min(s32max, u32max);
        }
        // 32-bit from 64-bit when the upper halves of the bounds agree
        if ((umin >>> 32) == (umax >>> 32)) {
            u32min = umax32(u32min, (int) umin);
            u32max = umin32(u32max, (int) umax);
            if ((int) umin <= (int) umax) {
                s32min = Math.max(s32min, (int) umin);
                s32max = Math.min(s32max, (int) umax);
            }
        }
        if ((smin >> 32) == (smax >> 32)) {
            if ((int) smin <= (int) smax) {
                s32min = Math.max(s32min, (int) smin);
                s32max = Math.min(s32max, (int) smax);
            }
            if (Integer.compareUnsigned((int) smin, (int) smax) <= 0) {
                u32min = umax32(u32min, (int) smin);
                u32max = umin32(u32max, (int) smax);
            }
        }
        // 64-bit from 32-bit when the upper 32 bits are known
        if ((umin >>> 32) == (umax >>> 32)) {
            long hiBits = umin & 0xffffffff00000000L;
            umin = umax64(umin, hiBits | (u32min & U32_MAX));
            umax = umin64(umax, hiBits | (u32max & U32_MAX));
        }
        // 64-bit: signed and unsigned agree when the range does not cross the sign bit
        if (smin >= 0 || smax < 0) {
            long lo = umax64(umin, smin);
            long hi = umin64(umax, smax);
            smin = umin = lo;
            smax = umax = hi;
        } else if (umin <= umax) { // as signed: the unsigned range does not cross the sign bit
            smin = Math.max(smin, umin);
            smax = Math.min(smax, umax);
        }
    }

    private void boundOffset() {
        Tnum t64 = var.intersect(Tnum.range(umin, umax));
        Tnum t32 = t64.subreg().intersect(Tnum.range(u32min & U32_MAX, u32max & U32_MAX));
        var = t64.withSubreg(t32);
    }

    /** True when the bounds are contradictory: the path cannot happen. */
    boolean isEmpty() {
        return smin > smax || Long.compareUnsigned(umin, umax) > 0 || s32min > s32max
                || Integer.compareUnsigned(u32min, u32max) > 0 || (var.value() & var.mask()) != 0;
    }

    static long umin64(long a, long b) {
        return Long.compareUnsigned(a, b) <= 0 ? a : b;
    }

    static long umax64(long a, long b) {
        return Long.compareUnsigned(a, b) >= 0 ? a : b;
    }

    static int umin32(int a, int b) {
        return Integer.compareUnsigned(a, b) <= 0 ? a : b;
    }

    static int umax32(int a, int b) {
        return Integer.compareUnsigned(a, b) >= 0 ? a : b;
    }

    // ------------------------------------------------------------- pruning

    /**
     * regsafe(): every value {@code cur} may hold is one {@code this} (an explored, safe state)
     * covered. {@code ids} maps old ids to current ids consistently.
     */
    boolean covers(Reg cur, IdMap ids) {
        if (type == RegType.NOT_INIT) {
            return true; // the explored path never read it
        }
        if (type != cur.type) {
            return false;
        }
        switch (type) {
            case SCALAR -> {
                return rangeCovers(cur) && ids.check(id, cur.id, true);
            }
            case PTR_TO_PACKET, PTR_TO_PACKET_META -> {
                return off == cur.off && range <= cur.range && rangeCovers(cur) && ids.check(id, cur.id, false);
            }
            case PTR_TO_MAP_VALUE_OR_NULL, PTR_TO_MEM_OR_NULL -> {
                return off == cur.off && mapIndex == cur.mapIndex && memSize == cur.memSize && rangeCovers(cur)
                        && ids.check(id, cur.id, false) && ids.check(refObjId, cur.refObjId, false);
            }
            default -> {
                return off == cur.off && mapIndex == cur.mapIndex && frameNo == cur.frameNo && memSize == cur.memSize
                        && rangeCovers(cur) && ids.check(refObjId, cur.refObjId, false);
            }
        }
    }

    private boolean rangeCovers(Reg c) {
        return smin <= c.smin && smax >= c.smax && Long.compareUnsigned(umin, c.umin) <= 0
                && Long.compareUnsigned(umax, c.umax) >= 0 && s32min <= c.s32min && s32max >= c.s32max
                && Integer.compareUnsigned(u32min, c.u32min) <= 0 && Integer.compareUnsigned(u32max, c.u32max) >= 0
                && var.contains(c.var);
    }

    /** Exact equality, used to detect a loop that came back to the same state. */
    boolean sameAs(Reg o) {
        return type == o.type && (type == RegType.NOT_INIT || off == o.off && var.equals(o.var) && smin == o.smin
                && smax == o.smax && umin == o.umin && umax == o.umax && s32min == o.s32min && s32max == o.s32max
                && u32min == o.u32min && u32max == o.u32max && range == o.range && mapIndex == o.mapIndex
                && frameNo == o.frameNo && memSize == o.memSize);
    }

    int shapeHash() {
        if (type == RegType.NOT_INIT) {
            return 0;
        }
        long h = type.ordinal();
        h = h * 31 + off;
        h = h * 31 + var.value();
        h = h * 31 + var.mask();
        h = h * 31 + smin;
        h = h * 31 + smax;
        h = h * 31 + umin;
        h = h * 31 + umax;
        h = h * 31 + s32min;
        h = h * 31 + s32max;
        h = h * 31 + u32min;
        h = h * 31 + u32max;
        h = h * 31 + range;
        h = h * 31 + mapIndex;
        h = h * 31 + frameNo;
        h = h * 31 + memSize;
        return Long.hashCode(h);
    }

    // ------------------------------------------------------------- printing

    @Override
    public String toString() {
        if (type == RegType.NOT_INIT) {
            return "?";
        }
        StringBuilder sb = new StringBuilder();
        if (type == RegType.SCALAR && isConst()) {
            sb.append(var.value());
            return sb.toString();
        }
        sb.append(type.shortName).append('(');
        String sep = "";
        if (id != 0) {
            sb.append("id=").append(id);
            sep = ",";
        }
        if (refObjId != 0) {
            sb.append(sep).append("ref_obj_id=").append(refObjId);
            sep = ",";
        }
        if (type.isPointer()) {
            if (mapIndex >= 0) {
                sb.append(sep).append("map=").append(mapIndex);
                sep = ",";
            }
            if (type == RegType.PTR_TO_STACK && frameNo != 0) {
                sb.append(sep).append("frame=").append(frameNo);
                sep = ",";
            }
            sb.append(sep).append("off=").append(off);
            sep = ",";
            if (type.isPacket()) {
                sb.append(",r=").append(range);
            }
            if (memSize != 0) {
                sb.append(",size=").append(memSize);
            }
            if (varIsZero()) {
                return sb.append(')').toString();
            }
        }
        if (isConst()) {
            sb.append(sep).append("imm=").append(var.value());
        } else {
            sb.append(sep).append("smin=").append(smin).append(",smax=").append(smax)
                    .append(",umin=").append(Long.toUnsignedString(umin)).append(",umax=").append(Long.toUnsignedString(umax))
                    .append(",var_off=").append(var);
        }
        return sb.append(')').toString();
    }
}
