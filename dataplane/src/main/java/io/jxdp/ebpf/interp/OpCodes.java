package io.jxdp.ebpf.interp;

import io.jxdp.ebpf.isa.Op;

/**
 * The interpreter's dispatch codes: {@link Op#ordinal()} of every opcode as a compile-time int constant,
 * so the interpreter's one flat switch is a {@code tableswitch} on a decoded {@code int[]} (no enum
 * ordinal load, no {@code $SwitchMap} indirection, no indy type switch). The names are those of {@link Op};
 * the class initializer checks every value against the enum, so a reordered {@link Op} fails at once
 * rather than dispatching wrongly. {@link #SLOT2} marks the second slot of an lddw.
 */
final class OpCodes {
    static final int ADD64_IMM = 0;
    static final int ADD64_REG = 1;
    static final int SUB64_IMM = 2;
    static final int SUB64_REG = 3;
    static final int MUL64_IMM = 4;
    static final int MUL64_REG = 5;
    static final int DIV64_IMM = 6;
    static final int DIV64_REG = 7;
    static final int SDIV64_IMM = 8;
    static final int SDIV64_REG = 9;
    static final int OR64_IMM = 10;
    static final int OR64_REG = 11;
    static final int AND64_IMM = 12;
    static final int AND64_REG = 13;
    static final int LSH64_IMM = 14;
    static final int LSH64_REG = 15;
    static final int RSH64_IMM = 16;
    static final int RSH64_REG = 17;
    static final int MOD64_IMM = 18;
    static final int MOD64_REG = 19;
    static final int SMOD64_IMM = 20;
    static final int SMOD64_REG = 21;
    static final int XOR64_IMM = 22;
    static final int XOR64_REG = 23;
    static final int MOV64_IMM = 24;
    static final int MOV64_REG = 25;
    static final int MOVSX8_64 = 26;
    static final int MOVSX16_64 = 27;
    static final int MOVSX32_64 = 28;
    static final int ARSH64_IMM = 29;
    static final int ARSH64_REG = 30;
    static final int NEG64 = 31;
    static final int ADD32_IMM = 32;
    static final int ADD32_REG = 33;
    static final int SUB32_IMM = 34;
    static final int SUB32_REG = 35;
    static final int MUL32_IMM = 36;
    static final int MUL32_REG = 37;
    static final int DIV32_IMM = 38;
    static final int DIV32_REG = 39;
    static final int SDIV32_IMM = 40;
    static final int SDIV32_REG = 41;
    static final int OR32_IMM = 42;
    static final int OR32_REG = 43;
    static final int AND32_IMM = 44;
    static final int AND32_REG = 45;
    static final int LSH32_IMM = 46;
    static final int LSH32_REG = 47;
    static final int RSH32_IMM = 48;
    static final int RSH32_REG = 49;
    static final int MOD32_IMM = 50;
    static final int MOD32_REG = 51;
    static final int SMOD32_IMM = 52;
    static final int SMOD32_REG = 53;
    static final int XOR32_IMM = 54;
    static final int XOR32_REG = 55;
    static final int MOV32_IMM = 56;
    static final int MOV32_REG = 57;
    static final int MOVSX8_32 = 58;
    static final int MOVSX16_32 = 59;
    static final int ARSH32_IMM = 60;
    static final int ARSH32_REG = 61;
    static final int NEG32 = 62;
    static final int LE16 = 63;
    static final int LE32 = 64;
    static final int LE64 = 65;
    static final int BE16 = 66;
    static final int BE32 = 67;
    static final int BE64 = 68;
    static final int BSWAP16 = 69;
    static final int BSWAP32 = 70;
    static final int BSWAP64 = 71;
    static final int JEQ64_IMM = 72;
    static final int JEQ64_REG = 73;
    static final int JGT64_IMM = 74;
    static final int JGT64_REG = 75;
    static final int JGE64_IMM = 76;
    static final int JGE64_REG = 77;
    static final int JSET64_IMM = 78;
    static final int JSET64_REG = 79;
    static final int JNE64_IMM = 80;
    static final int JNE64_REG = 81;
    static final int JSGT64_IMM = 82;
    static final int JSGT64_REG = 83;
    static final int JSGE64_IMM = 84;
    static final int JSGE64_REG = 85;
    static final int JLT64_IMM = 86;
    static final int JLT64_REG = 87;
    static final int JLE64_IMM = 88;
    static final int JLE64_REG = 89;
    static final int JSLT64_IMM = 90;
    static final int JSLT64_REG = 91;
    static final int JSLE64_IMM = 92;
    static final int JSLE64_REG = 93;
    static final int JEQ32_IMM = 94;
    static final int JEQ32_REG = 95;
    static final int JGT32_IMM = 96;
    static final int JGT32_REG = 97;
    static final int JGE32_IMM = 98;
    static final int JGE32_REG = 99;
    static final int JSET32_IMM = 100;
    static final int JSET32_REG = 101;
    static final int JNE32_IMM = 102;
    static final int JNE32_REG = 103;
    static final int JSGT32_IMM = 104;
    static final int JSGT32_REG = 105;
    static final int JSGE32_IMM = 106;
    static final int JSGE32_REG = 107;
    static final int JLT32_IMM = 108;
    static final int JLT32_REG = 109;
    static final int JLE32_IMM = 110;
    static final int JLE32_REG = 111;
    static final int JSLT32_IMM = 112;
    static final int JSLT32_REG = 113;
    static final int JSLE32_IMM = 114;
    static final int JSLE32_REG = 115;
    static final int JA = 116;
    static final int JA32 = 117;
    static final int CALL = 118;
    static final int CALL_LOCAL = 119;
    static final int CALL_KFUNC = 120;
    static final int CALLX = 121;
    static final int EXIT = 122;
    static final int LDXB = 123;
    static final int LDXH = 124;
    static final int LDXW = 125;
    static final int LDXDW = 126;
    static final int LDXSB = 127;
    static final int LDXSH = 128;
    static final int LDXSW = 129;
    static final int STB = 130;
    static final int STH = 131;
    static final int STW = 132;
    static final int STDW = 133;
    static final int STXB = 134;
    static final int STXH = 135;
    static final int STXW = 136;
    static final int STXDW = 137;
    static final int ATOMIC32_ADD = 138;
    static final int ATOMIC32_FETCH_ADD = 139;
    static final int ATOMIC32_OR = 140;
    static final int ATOMIC32_FETCH_OR = 141;
    static final int ATOMIC32_AND = 142;
    static final int ATOMIC32_FETCH_AND = 143;
    static final int ATOMIC32_XOR = 144;
    static final int ATOMIC32_FETCH_XOR = 145;
    static final int ATOMIC32_XCHG = 146;
    static final int ATOMIC32_CMPXCHG = 147;
    static final int ATOMIC64_ADD = 148;
    static final int ATOMIC64_FETCH_ADD = 149;
    static final int ATOMIC64_OR = 150;
    static final int ATOMIC64_FETCH_OR = 151;
    static final int ATOMIC64_AND = 152;
    static final int ATOMIC64_FETCH_AND = 153;
    static final int ATOMIC64_XOR = 154;
    static final int ATOMIC64_FETCH_XOR = 155;
    static final int ATOMIC64_XCHG = 156;
    static final int ATOMIC64_CMPXCHG = 157;
    static final int LDDW = 158;
    static final int LDDW_MAP_FD = 159;
    static final int LDDW_MAP_VALUE = 160;
    static final int LDDW_BTF_ID = 161;
    static final int LDDW_FUNC = 162;
    static final int LDDW_MAP_IDX = 163;
    static final int LDDW_MAP_IDX_VALUE = 164;
    static final int LDABSB = 165;
    static final int LDABSH = 166;
    static final int LDABSW = 167;
    static final int LDINDB = 168;
    static final int LDINDH = 169;
    static final int LDINDW = 170;
    /** The second slot of an lddw: executing it is a fault. */
    static final int SLOT2 = 171;

    static {
        Op[] ops = Op.values();
        if (ops.length != SLOT2) {
            throw new ExceptionInInitializerError("OpCodes lists " + SLOT2 + " opcodes, Op has " + ops.length);
        }
        for (Op op : ops) {
            int v;
            try {
                v = OpCodes.class.getDeclaredField(op.name()).getInt(null);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError("OpCodes has no " + op.name());
            }
            if (v != op.ordinal()) {
                throw new ExceptionInInitializerError("OpCodes." + op.name() + " = " + v + ", ordinal " + op.ordinal());
            }
        }
    }

    private OpCodes() {
    }
}
