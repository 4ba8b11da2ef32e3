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
 * value address or 0}: the kernel's jhash ({@code io.jxdp.ebpf.map.Jhash}) unrolled for the map's
 * key size with its seed folded in, the chain walk with acquire loads of the links, the key compared
 * in 8-, 4-, 2- and 1-byte pieces of constant offsets, the value offset (and per-CPU stride) as
 * constants. Exactly {@code HashTab.lookup}, following {@link HashLookup}'s layout; the generic code
 * loops over the key size and reads the layout from fields at every call.
 */
final class HashLookups {
    static final MethodTypeDesc MTD = MethodTypeDesc.of(CD_long, CD_long, CD_int);

    private static final int KEY = 0;
    private static final int CPU = 2;
    private static final int A = 3;
    private static final int B = 4;
    private static final int C = 5;
    private static final int E = 6;
    private static final int JHASH_INITVAL = 0xdeadbeef;

    private final CodeBuilder cb;
    private final HashLookup h;

    private HashLookups(CodeBuilder cb, HashLookup h) {
        this.cb = cb;
        this.h = h;
    }

    static void emit(CodeBuilder cb, HashLookup h) {
        new HashLookups(cb, h).body();
    }

    private void body() {
        int length = h.keySize();
        cb.loadConstant(JHASH_INITVAL + length + h.seed());
        cb.dup();
        cb.dup();
        cb.istore(A);
        cb.istore(B);
        cb.istore(C);
        int at = 0;
        while (length > 12) {
            addWord(A, KEY, at);
            addWord(B, KEY, at + 4);
            addWord(C, KEY, at + 8);
            mix();
            length -= 12;
            at += 12;
        }
        if (length > 0) {
            // jhash's fall-through tail: byte j of the rest adds at bit 8 * (j % 4) of a, b or c
            for (int j = 0; j < length; ) {
                int reg = j < 4 ? A : j < 8 ? B : C;
                if (j % 4 == 0 && j + 4 <= length) {
                    addWord(reg, KEY, at + j); // four bytes at their little-endian positions: one u32
                    j += 4;
                } else {
                    cb.iload(reg);
                    load(KEY, at + j, 1);
                    cb.l2i();
                    if (j % 4 != 0) {
                        cb.loadConstant(8 * (j % 4));
                        cb.ishl();
                    }
                    cb.iadd();
                    cb.istore(reg);
                    j++;
                }
            }
            fin();
        }
        // bucket head, acquire
        cb.iload(C);
        cb.loadConstant((int) h.bucketMask());
        cb.iand();
        cb.i2l();
        cb.loadConstant(4);
        cb.lshl();
        cb.loadConstant(h.buckets());
        cb.ladd();
        acquire();
        cb.lstore(E);
        Label loop = cb.newLabel();
        Label next = cb.newLabel();
        Label miss = cb.newLabel();
        cb.labelBinding(loop);
        cb.lload(E);
        cb.lconst_0();
        cb.lcmp();
        cb.ifeq(miss);
        load(E, HashLookup.HASH, 4);
        cb.l2i();
        cb.iload(C);
        cb.if_icmpne(next);
        for (int at2 = 0; at2 < h.keySize(); ) {
            int size = h.keySize() - at2 >= 8 ? 8 : h.keySize() - at2 >= 4 ? 4 : h.keySize() - at2 >= 2 ? 2 : 1;
            load(E, HashLookup.KEY + at2, size);
            load(KEY, at2, size);
            cb.lcmp();
            cb.ifne(next);
            at2 += size;
        }
        if (h.lru()) {
            Label referenced = cb.newLabel();
            load(E, HashLookup.REF, 1);
            cb.lconst_0();
            cb.lcmp();
            cb.ifne(referenced);
            cb.getstatic(Translator.CD_JitRuntime, "MEM", Translator.CD_MemorySegment);
            cb.getstatic(Translator.CD_JitRuntime, "U8", Translator.CD_OfByte);
            address(E, HashLookup.REF);
            cb.iconst_1();
            cb.invokeinterface(Translator.CD_MemorySegment, "set",
                    MethodTypeDesc.of(java.lang.constant.ConstantDescs.CD_void, Translator.CD_OfByte, CD_long,
                            java.lang.constant.ConstantDescs.CD_byte));
            cb.labelBinding(referenced);
        }
        cb.lload(E);
        cb.loadConstant(h.valueOffset());
        cb.ladd();
        if (h.perCpu()) {
            cb.iload(CPU);
            cb.i2l();
            cb.loadConstant(h.valueStride());
            cb.lmul();
            cb.ladd();
        }
        cb.lreturn();
        cb.labelBinding(next);
        cb.lload(E);
        acquire(); // e.next at offset 0
        cb.lstore(E);
        cb.goto_(loop);
        cb.labelBinding(miss);
        cb.lconst_0();
        cb.lreturn();
    }

    /** Pushes base (a long local) + off. */
    private void address(int base, int off) {
        cb.lload(base);
        if (off != 0) {
            cb.loadConstant((long) off);
            cb.ladd();
        }
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

    /** Replaces the address on the stack by the u64 there, loaded with acquire (JitRuntime.ATOMIC64, 8-aligned). */
    private void acquire() {
        int tmp = E + 2;
        cb.lstore(tmp);
        cb.getstatic(Translator.CD_JitRuntime, "ATOMIC64", Translator.CD_VarHandle);
        cb.getstatic(Translator.CD_JitRuntime, "MEM", Translator.CD_MemorySegment);
        cb.lload(tmp);
        cb.invokevirtual(Translator.CD_VarHandle, "getAcquire", MethodTypeDesc.of(CD_long, Translator.CD_MemorySegment, CD_long));
    }

    /** reg += the u32 at base + off. */
    private void addWord(int reg, int base, int off) {
        cb.iload(reg);
        load(base, off, 4);
        cb.l2i();
        cb.iadd();
        cb.istore(reg);
    }

    /** Pushes rol32(local x, n). */
    private void rol(int x, int n) {
        cb.iload(x);
        cb.loadConstant(n);
        cb.ishl();
        cb.iload(x);
        cb.loadConstant(32 - n);
        cb.iushr();
        cb.ior();
    }

    /** x -= y. */
    private void sub(int x, int y) {
        cb.iload(x);
        cb.iload(y);
        cb.isub();
        cb.istore(x);
    }

    /** x += y. */
    private void add(int x, int y) {
        cb.iload(x);
        cb.iload(y);
        cb.iadd();
        cb.istore(x);
    }

    /** x ^= rol(y, n). */
    private void xorRol(int x, int y, int n) {
        cb.iload(x);
        rol(y, n);
        cb.ixor();
        cb.istore(x);
    }

    /** x ^= y. */
    private void xor(int x, int y) {
        cb.iload(x);
        cb.iload(y);
        cb.ixor();
        cb.istore(x);
    }

    /** x -= rol(y, n). */
    private void subRol(int x, int y, int n) {
        cb.iload(x);
        rol(y, n);
        cb.isub();
        cb.istore(x);
    }

    /** __jhash_mix(a, b, c). */
    private void mix() {
        sub(A, C); xorRol(A, C, 4); add(C, B);
        sub(B, A); xorRol(B, A, 6); add(A, C);
        sub(C, B); xorRol(C, B, 8); add(B, A);
        sub(A, C); xorRol(A, C, 16); add(C, B);
        sub(B, A); xorRol(B, A, 19); add(A, C);
        sub(C, B); xorRol(C, B, 4); add(B, A);
    }

    /** __jhash_final(a, b, c). */
    private void fin() {
        xor(C, B); subRol(C, B, 14);
        xor(A, C); subRol(A, C, 11);
        xor(B, A); subRol(B, A, 25);
        xor(C, B); subRol(C, B, 16);
        xor(A, C); subRol(A, C, 4);
        xor(B, A); subRol(B, A, 14);
        xor(C, B); subRol(C, B, 24);
    }
}
