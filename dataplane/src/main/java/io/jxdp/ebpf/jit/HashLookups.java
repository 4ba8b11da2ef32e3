package io.jxdp.ebpf.jit;

import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;

import io.jxdp.ebpf.map.BpfMap.HashLookup;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;

/**
 * Emits the body of a hash map's lookup specialised for one map, {@code (long key, int cpu) -> long
 * value address or 0}: the walk of the map's lookup index ({@link HashLookup}), with the index hash
 * unrolled for the map's key size (one multiply-add per 8-, 4-, 2- or 1-byte piece of the key, its
 * salts and multipliers as constants), acquire loads of the chain links, the key compared in the
 * same pieces at constant offsets, the value offset (and per-CPU stride) as constants. Exactly
 * {@code HashTab.lookup}; the generic code loops over the key size and reads the layout from fields
 * at every call.
 */
final class HashLookups extends LookupEmitter {
    static final MethodTypeDesc MTD = MethodTypeDesc.of(CD_long, CD_long, CD_int);

    private static final int L_KEY = 0;
    private static final int L_CPU = 2;
    private static final int L_H = 3;
    private static final int L_S = 5;
    private static final int L_E = 6;
    private static final int L_TMP = 8;
    /** The key's first pieces, loaded once for the hash and kept for the compares: local base + 10 + 2 * i. */
    private static final int L_PIECES = 10;
    private static final int KEPT = 16;

    /** Locals the inline form uses from its base on: the key pieces' last slot, plus one. */
    static final int LOCALS = L_PIECES + 2 * KEPT;

    private final HashLookup h;
    /** Where the stores that wrote the key begin and end (Decoded.keyStoreCuts), or null: unknown. */
    private final boolean[] cuts;
    private final int keySlot;
    private final int cpuSlot;
    private final int hSlot;
    private final int sSlot;
    private final int eSlot;
    private final int tmpSlot;
    private final int piecesSlot;

    private HashLookups(CodeBuilder cb, HashLookup h, boolean[] cuts, int base, Label end) {
        super(cb, end);
        this.h = h;
        this.cuts = cuts;
        this.keySlot = base + L_KEY;
        this.cpuSlot = base + L_CPU;
        this.hSlot = base + L_H;
        this.sSlot = base + L_S;
        this.eSlot = base + L_E;
        this.tmpSlot = base + L_TMP;
        this.piecesSlot = base + L_PIECES;
    }

    /** The method form: {@link #MTD}, the key and cpu in locals 0 and 2. */
    static void emit(CodeBuilder cb, HashLookup h) {
        new HashLookups(cb, h, null, 0, null).body();
    }

    /**
     * The inline form, in a method whose locals from {@code base} to {@code base +} {@link #LOCALS}
     * are free: consumes the key address (a long) and the cpu (an int) from the stack and leaves the
     * value address or 0 there, at {@code end}, which the caller binds right after. {@code cuts}
     * (or null): where the stores that wrote the key begin and end ({@link Decoded#keyStoreCuts});
     * a piece of the key that spans one is read as the sub-pieces between them, combined, so that
     * each read is forwarded from one store instead of waiting for all of them to reach the cache.
     */
    static void emitInline(CodeBuilder cb, HashLookup h, boolean[] cuts, int base, Label end) {
        HashLookups g = new HashLookups(cb, h, cuts, base, end);
        cb.istore(g.cpuSlot);
        cb.lstore(g.keySlot);
        g.body();
    }

    /** Size of each piece of the key, in order: 8-byte words, then a 4-, 2-, 1-byte tail. */
    private static int[] pieces(int keySize) {
        int[] out = new int[keySize / 8 + Integer.bitCount(keySize & 7)];
        int i = 0;
        for (int at = 0; at < keySize; ) {
            int left = keySize - at;
            int size = left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
            out[i++] = size;
            at += size;
        }
        return out;
    }

    private void body() {
        int[] pieces = pieces(h.keySize());
        // h = sum of (piece + salt[i]) * mult[i]
        cb.lconst_0();
        cb.lstore(hSlot);
        for (int i = 0, at = 0; i < pieces.length; at += pieces[i], i++) {
            cb.lload(hSlot);
            loadKeyPiece(at, pieces[i]);
            if (i < KEPT) {
                cb.dup2();
                cb.lstore(piecesSlot + 2 * i);
            }
            cb.loadConstant(h.salt()[i]);
            cb.ladd();
            cb.loadConstant(h.mult()[i]);
            cb.lmul();
            cb.ladd();
            cb.lstore(hSlot);
        }
        // s = head, acquire
        cb.lload(hSlot);
        cb.loadConstant(32);
        cb.lushr();
        cb.l2i();
        cb.loadConstant((int) h.indexMask());
        cb.iand();
        cb.i2l();
        cb.loadConstant(3);
        cb.lshl();
        cb.loadConstant(h.heads());
        cb.ladd();
        acquire32();
        cb.istore(sSlot);
        Label loop = cb.newLabel();
        Label next = cb.newLabel();
        Label miss = cb.newLabel();
        cb.labelBinding(loop);
        cb.iload(sSlot);
        cb.ifeq(miss);
        // e = elems + s * elemSize
        cb.iload(sSlot);
        cb.i2l();
        cb.loadConstant(h.elemSize());
        cb.lmul();
        cb.loadConstant(h.elems());
        cb.ladd();
        cb.lstore(eSlot);
        for (int i = 0, at = 0; i < pieces.length; at += pieces[i], i++) {
            load(eSlot, HashLookup.KEY + at, pieces[i]);
            if (i < KEPT) {
                cb.lload(piecesSlot + 2 * i);
            } else {
                load(keySlot, at, pieces[i]);
            }
            cb.lcmp();
            cb.ifne(next);
        }
        if (h.lru()) {
            Label referenced = cb.newLabel();
            load(eSlot, HashLookup.REF, 1);
            cb.lconst_0();
            cb.lcmp();
            cb.ifne(referenced);
            cb.getstatic(Translator.CD_JitRuntime, "MEM", Translator.CD_MemorySegment);
            cb.getstatic(Translator.CD_JitRuntime, "U8", Translator.CD_OfByte);
            address(eSlot, HashLookup.REF);
            cb.iconst_1();
            cb.invokeinterface(Translator.CD_MemorySegment, "set",
                    MethodTypeDesc.of(java.lang.constant.ConstantDescs.CD_void, Translator.CD_OfByte, CD_long,
                            java.lang.constant.ConstantDescs.CD_byte));
            cb.labelBinding(referenced);
        }
        cb.lload(eSlot);
        cb.loadConstant(h.valueOffset());
        cb.ladd();
        if (h.perCpu()) {
            cb.iload(cpuSlot);
            cb.i2l();
            cb.loadConstant(h.valueStride());
            cb.lmul();
            cb.ladd();
        }
        ret();
        cb.labelBinding(next);
        // s = the u32 at links + s * 4, acquire
        cb.iload(sSlot);
        cb.i2l();
        cb.loadConstant(2);
        cb.lshl();
        cb.loadConstant(h.links());
        cb.ladd();
        acquire32();
        cb.istore(sSlot);
        cb.goto_(loop);
        cb.labelBinding(miss);
        cb.lconst_0();
        ret();
    }

    /**
     * Pushes the key's piece of size bytes at at, as {@link #load}; where a cut lies inside it, as
     * the OR of its sub-pieces between the cuts (each 4, 2 or 1 bytes), shifted into place.
     */
    private void loadKeyPiece(int at, int size) {
        boolean split = false;
        for (int i = at + 1; cuts != null && i < at + size; i++) {
            split |= cuts[i];
        }
        if (!split) {
            load(keySlot, at, size);
            return;
        }
        boolean first = true;
        for (int c = at; c < at + size; ) {
            int next = c + 1;
            while (next < at + size && !cuts[next]) {
                next++;
            }
            for (int p = c; p < next; ) {
                int left = next - p;
                int n = left >= 4 ? 4 : left >= 2 ? 2 : 1;
                load(keySlot, p, n);
                if (p > at) {
                    cb.loadConstant(8 * (p - at));
                    cb.lshl();
                }
                if (!first) {
                    cb.lor();
                }
                first = false;
                p += n;
            }
            c = next;
        }
    }

    /** Pushes base (a long local) + off. */
    private void address(int base, int off) {
        cb.lload(base);
        if (off != 0) {
            cb.loadConstant((long) off);
            cb.ladd();
        }
        maskAddress(cb);
    }

    /** Pushes the zero-extended little-endian value of size bytes (1, 2, 4 or 8) at base + off, as a long. */
    private void load(int base, int off, int size) {
        int i = Integer.numberOfTrailingZeros(size);
        ClassDesc layout = LOAD_LAYOUT[i];
        cb.getstatic(Translator.CD_JitRuntime, "MEM", Translator.CD_MemorySegment);
        cb.getstatic(Translator.CD_JitRuntime, LOAD_FIELD[i], layout);
        address(base, off);
        cb.invokeinterface(Translator.CD_MemorySegment, "get", MethodTypeDesc.of(LOAD_TYPE[i], layout, CD_long));
        switch (size) {
            case 1, 2 -> {
                cb.loadConstant(size == 1 ? 0xff : 0xffff);
                cb.iand();
                cb.i2l();
            }
            case 4 -> {
                cb.i2l();
                cb.loadConstant(0xffff_ffffL);
                cb.land();
            }
            default -> { }
        }
    }

    /** By log2(size): JitRuntime's layout field, its ClassDesc and the Java type {@code get} returns. */
    private static final String[] LOAD_FIELD = {"U8", "U16", "U32", "U64"};
    private static final ClassDesc[] LOAD_LAYOUT = {Translator.CD_OfByte, Translator.CD_OfShort, Translator.CD_OfInt,
        Translator.CD_OfLong};
    private static final ClassDesc[] LOAD_TYPE = {java.lang.constant.ConstantDescs.CD_byte,
        java.lang.constant.ConstantDescs.CD_short, CD_int, CD_long};

    /** Replaces the address on the stack by the u32 there, loaded with acquire (JitRuntime.ATOMIC32, 4-aligned). */
    private void acquire32() {
        cb.lstore(tmpSlot);
        cb.getstatic(Translator.CD_JitRuntime, "ATOMIC32", Translator.CD_VarHandle);
        cb.getstatic(Translator.CD_JitRuntime, "MEM", Translator.CD_MemorySegment);
        cb.lload(tmpSlot);
        maskAddress(cb);
        cb.invokevirtual(Translator.CD_VarHandle, "getAcquire", MethodTypeDesc.of(CD_int, Translator.CD_MemorySegment, CD_long));
    }
}
