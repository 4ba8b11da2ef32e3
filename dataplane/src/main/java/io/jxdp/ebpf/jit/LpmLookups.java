package io.jxdp.ebpf.jit;

import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;

import io.jxdp.ebpf.map.BpfMap.LpmLookup;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;

/**
 * Emits the body of an LPM_TRIE's lookup specialised for one map with 4 (IPv4) or 16 (IPv6) data
 * bytes, {@code (long key) -> long value address or 0}: the kernel's {@code trie_lookup_elem} walk,
 * node for node as {@code LpmTrie}'s walks for those sizes, with the root slot, the node layout and
 * the value offset as constants. The key's address is read once as one big-endian int (two longs);
 * per node, the matching leading bits are numberOfLeadingZeros of the XOR with the node's data,
 * capped by both prefixlens, and the branch bit is a shift of the key. Child and root links are
 * loaded with acquire, as {@code LpmTrie}'s readers do, so the walk is safe against concurrent
 * writers under the same RCU scheme. Other data sizes keep the map's own {@code lookup}.
 */
final class LpmLookups {
    static final MethodTypeDesc MTD = MethodTypeDesc.of(CD_long, CD_long);

    private static final int KEY = 0;
    private static final int KPLEN = 2;
    /** 4 data bytes: the key's address as a big-endian int; 16: the high long (and LO the low one). */
    private static final int K = 3;
    private static final int LO = 5;
    private static final int FOUND = 7;
    private static final int NODE = 9;
    private static final int PLEN = 11;
    private static final int TMP = 12;

    private static final ClassDesc CD_Integer = ClassDesc.of("java.lang.Integer");
    private static final ClassDesc CD_Long = ClassDesc.of("java.lang.Long");
    private static final ClassDesc CD_Math = ClassDesc.of("java.lang.Math");

    private final CodeBuilder cb;
    private final LpmLookup l;

    private LpmLookups(CodeBuilder cb, LpmLookup l) {
        this.cb = cb;
        this.l = l;
    }

    /** Whether {@link #emit} handles this trie's data size. */
    static boolean supports(LpmLookup l) {
        return l.dataSize() == 4 || l.dataSize() == 16;
    }

    static void emit(CodeBuilder cb, LpmLookup l) {
        if (!supports(l)) {
            throw new IllegalArgumentException("no specialised LPM lookup for " + l.dataSize() + " data bytes");
        }
        new LpmLookups(cb, l).body();
    }

    private void body() {
        boolean v4 = l.dataSize() == 4;
        int bits = 8 * l.dataSize();
        Label miss = cb.newLabel();
        Label loop = cb.newLabel();
        Label done = cb.newLabel();
        // keyPlen = u32 at key; above the data's bits: no match
        loadInt(KEY, 0);
        cb.istore(KPLEN);
        cb.iload(KPLEN);
        cb.loadConstant(bits);
        cb.invokestatic(CD_Integer, "compareUnsigned", MethodTypeDesc.of(CD_int, CD_int, CD_int));
        cb.ifgt(miss);
        if (v4) {
            loadInt(KEY, 4);
            reverseInt();
            cb.istore(K);
        } else {
            loadLong(KEY, 4);
            reverseLong();
            cb.lstore(K);
            loadLong(KEY, 12);
            reverseLong();
            cb.lstore(LO);
        }
        cb.lconst_0();
        cb.lstore(FOUND);
        cb.loadConstant(l.rootSlot());
        acquire64();
        cb.lstore(NODE);
        cb.labelBinding(loop);
        cb.lload(NODE);
        cb.lconst_0();
        cb.lcmp();
        cb.ifeq(done);
        loadInt(NODE, LpmLookup.PREFIXLEN);
        cb.istore(PLEN);
        // matchlen = min(min(plen, keyPlen), same), left on the stack as TMP (an int)
        cb.iload(PLEN);
        cb.iload(KPLEN);
        min();
        if (v4) {
            cb.iload(K);
            loadInt(NODE, LpmLookup.DATA);
            reverseInt();
            cb.ixor();
            cb.invokestatic(CD_Integer, "numberOfLeadingZeros", MethodTypeDesc.of(CD_int, CD_int));
        } else {
            Label high = cb.newLabel();
            Label same = cb.newLabel();
            cb.lload(K);
            loadLong(NODE, LpmLookup.DATA);
            reverseLong();
            cb.lxor();
            cb.dup2();
            cb.lconst_0();
            cb.lcmp();
            cb.ifne(high);
            cb.pop2();
            cb.lload(LO);
            loadLong(NODE, LpmLookup.DATA + 8);
            reverseLong();
            cb.lxor();
            cb.invokestatic(CD_Long, "numberOfLeadingZeros", MethodTypeDesc.of(CD_int, CD_long));
            cb.loadConstant(64);
            cb.iadd();
            cb.goto_(same);
            cb.labelBinding(high);
            cb.invokestatic(CD_Long, "numberOfLeadingZeros", MethodTypeDesc.of(CD_int, CD_long));
            cb.labelBinding(same);
        }
        min();
        cb.istore(TMP);
        // the whole data matched: this node (never intermediate: its prefixlen is the data's bits)
        Label partial = cb.newLabel();
        cb.iload(TMP);
        cb.loadConstant(bits);
        cb.if_icmpne(partial);
        cb.lload(NODE);
        cb.loadConstant(l.valueOffset());
        cb.ladd();
        cb.lreturn();
        cb.labelBinding(partial);
        cb.iload(TMP);
        cb.iload(PLEN);
        cb.if_icmplt(done);
        Label im = cb.newLabel();
        loadInt(NODE, LpmLookup.FLAGS);
        cb.loadConstant(LpmLookup.FLAG_IM);
        cb.iand();
        cb.ifne(im);
        cb.lload(NODE);
        cb.lstore(FOUND);
        cb.labelBinding(im);
        // node = child[bit plen of the key, most significant first] (plen < bits here), 8 bytes each
        cb.lload(NODE);
        if (v4) {
            cb.iload(K);
            cb.loadConstant(31);
            cb.iload(PLEN);
            cb.isub();
            cb.iushr();
            cb.iconst_1();
            cb.iand();
            cb.i2l();
        } else {
            Label low = cb.newLabel();
            Label bit = cb.newLabel();
            cb.iload(PLEN);
            cb.loadConstant(64);
            cb.if_icmpge(low);
            cb.lload(K);
            cb.loadConstant(63);
            cb.iload(PLEN);
            cb.isub();
            cb.lushr();
            cb.goto_(bit);
            cb.labelBinding(low);
            cb.lload(LO);
            cb.loadConstant(127);
            cb.iload(PLEN);
            cb.isub();
            cb.lushr();
            cb.labelBinding(bit);
            cb.lconst_1();
            cb.land();
        }
        cb.loadConstant(3);
        cb.lshl();
        cb.ladd();
        acquire64();
        cb.lstore(NODE);
        cb.goto_(loop);
        // the longest value node on the way, if any
        cb.labelBinding(done);
        cb.lload(FOUND);
        cb.lconst_0();
        cb.lcmp();
        cb.ifeq(miss);
        cb.lload(FOUND);
        cb.loadConstant(l.valueOffset());
        cb.ladd();
        cb.lreturn();
        cb.labelBinding(miss);
        cb.lconst_0();
        cb.lreturn();
    }

    private void min() {
        cb.invokestatic(CD_Math, "min", MethodTypeDesc.of(CD_int, CD_int, CD_int));
    }

    private void reverseInt() {
        cb.invokestatic(CD_Integer, "reverseBytes", MethodTypeDesc.of(CD_int, CD_int));
    }

    private void reverseLong() {
        cb.invokestatic(CD_Long, "reverseBytes", MethodTypeDesc.of(CD_long, CD_long));
    }

    /** Pushes the little-endian int at the long local base + off. */
    private void loadInt(int base, int off) {
        cb.getstatic(Translator.CD_JitRuntime, "MEM", Translator.CD_MemorySegment);
        cb.getstatic(Translator.CD_JitRuntime, "U32", Translator.CD_OfInt);
        address(base, off);
        cb.invokeinterface(Translator.CD_MemorySegment, "get", MethodTypeDesc.of(CD_int, Translator.CD_OfInt, CD_long));
    }

    /** Pushes the little-endian long at the long local base + off. */
    private void loadLong(int base, int off) {
        cb.getstatic(Translator.CD_JitRuntime, "MEM", Translator.CD_MemorySegment);
        cb.getstatic(Translator.CD_JitRuntime, "U64", Translator.CD_OfLong);
        address(base, off);
        cb.invokeinterface(Translator.CD_MemorySegment, "get", MethodTypeDesc.of(CD_long, Translator.CD_OfLong, CD_long));
    }

    private void address(int base, int off) {
        cb.lload(base);
        if (off != 0) {
            cb.loadConstant((long) off);
            cb.ladd();
        }
    }

    /** Replaces the address on the stack by the u64 there, loaded with acquire (JitRuntime.ATOMIC64, 8-aligned). */
    private void acquire64() {
        cb.lstore(TMP + 1);
        cb.getstatic(Translator.CD_JitRuntime, "ATOMIC64", Translator.CD_VarHandle);
        cb.getstatic(Translator.CD_JitRuntime, "MEM", Translator.CD_MemorySegment);
        cb.lload(TMP + 1);
        cb.invokevirtual(Translator.CD_VarHandle, "getAcquire", MethodTypeDesc.of(CD_long, Translator.CD_MemorySegment, CD_long));
    }
}
