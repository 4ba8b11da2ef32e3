package io.jxdp.ebpf.jit;

import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;

import io.jxdp.ebpf.map.BpfMap.LpmLookup;
import io.jxdp.ebpf.map.LpmPrefixList;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDesc;
import java.lang.constant.MethodTypeDesc;

/**
 * Emits the body of an LPM_TRIE's lookup specialised for one map with 4 (IPv4) or 16 (IPv6) data
 * bytes, {@code (long key) -> long value address or 0}: the kernel's {@code trie_lookup_elem} walk,
 * node for node as {@code LpmTrie}'s walks for those sizes, with the root slot, the node layout and
 * the value offset as constants. The key's address is read once as one big-endian int (two longs);
 * per node, the matching leading bits are numberOfLeadingZeros of the XOR with the node's data,
 * capped by both prefixlens, and the branch bit is a shift of the key. Child and root links are
 * loaded with acquire, as {@code LpmTrie}'s readers do, so the walk is safe against concurrent
 * writers under the same RCU scheme. Other data sizes keep the map's own {@code lookup}. An IPv4
 * trie's {@link LpmPrefixList} (few prefixes, longest first, scanned from one array) is asked
 * first, as {@code LpmTrie.lookup} does; the walk runs only when it answers {@code WALK}.
 */
final class LpmLookups extends LookupEmitter {
    static final MethodTypeDesc MTD = MethodTypeDesc.of(CD_long, CD_long);

    private static final int L_KEY = 0;
    private static final int L_KPLEN = 2;
    /** 4 data bytes: the key's address as a big-endian int; 16: the high long (and L_LO the low one). */
    private static final int L_K = 3;
    private static final int L_LO = 5;
    private static final int L_FOUND = 7;
    private static final int L_NODE = 9;
    private static final int L_PLEN = 11;
    private static final int L_TMP = 12;
    private static final int L_FLAGS = 15;

    private static final ClassDesc CD_Integer = ClassDesc.of("java.lang.Integer");
    private static final ClassDesc CD_Long = ClassDesc.of("java.lang.Long");
    private static final ClassDesc CD_Math = ClassDesc.of("java.lang.Math");
    static final ClassDesc CD_LpmPrefixList = ClassDesc.of("io.jxdp.ebpf.map.LpmPrefixList");

    /** Locals the inline form uses from its base on. */
    static final int LOCALS = L_FLAGS + 1;

    private final LpmLookup l;
    /** The trie's LpmPrefixList as a loadable constant, or null: walk only. */
    private final ConstantDesc prefixes;
    private final int keySlot;
    private final int kplenSlot;
    private final int kSlot;
    private final int loSlot;
    private final int foundSlot;
    private final int nodeSlot;
    private final int plenSlot;
    private final int tmpSlot;
    private final int flagsSlot;

    private LpmLookups(CodeBuilder cb, LpmLookup l, ConstantDesc prefixes, int base, Label end) {
        super(cb, end);
        this.l = l;
        this.prefixes = prefixes;
        this.keySlot = base + L_KEY;
        this.kplenSlot = base + L_KPLEN;
        this.kSlot = base + L_K;
        this.loSlot = base + L_LO;
        this.foundSlot = base + L_FOUND;
        this.nodeSlot = base + L_NODE;
        this.plenSlot = base + L_PLEN;
        this.tmpSlot = base + L_TMP;
        this.flagsSlot = base + L_FLAGS;
    }

    /** Whether {@link #emit} handles this trie's data size. */
    static boolean supports(LpmLookup l) {
        return l.dataSize() == 4 || l.dataSize() == 16;
    }

    static {
        if (LpmLookup.FLAGS != LpmLookup.PREFIXLEN + 4) {
            throw new ExceptionInInitializerError("LpmLookups reads a node's prefixlen and flags as one u64");
        }
    }

    private static void requireSupported(LpmLookup l) {
        if (!supports(l)) {
            throw new IllegalArgumentException("no specialised LPM lookup for " + l.dataSize() + " data bytes");
        }
    }

    /**
     * The method form, the key in local 0. {@code prefixes}: {@code l.prefixes()} as a constant the
     * class can load (null when it is null), asked first ({@link LpmPrefixList#find}, inlined by C2);
     * the walk runs when it answers {@link LpmPrefixList#WALK}.
     */
    static void emit(CodeBuilder cb, LpmLookup l, ConstantDesc prefixes) {
        requireSupported(l);
        new LpmLookups(cb, l, prefixes, 0, null).body();
    }

    /**
     * The inline form, in a method whose locals from {@code base} to {@code base +} {@link #LOCALS}
     * are free: consumes the key address (a long) from the stack and leaves the value address or 0
     * there, at {@code end}, which the caller binds right after.
     */
    static void emitInline(CodeBuilder cb, LpmLookup l, ConstantDesc prefixes, int base, Label end) {
        requireSupported(l);
        LpmLookups g = new LpmLookups(cb, l, prefixes, base, end);
        cb.lstore(g.keySlot);
        g.body();
    }

    private void body() {
        boolean v4 = l.dataSize() == 4;
        int bits = 8 * l.dataSize();
        Label miss = cb.newLabel();
        Label loop = cb.newLabel();
        Label done = cb.newLabel();
        if (prefixes != null) {
            // the prefix list's answer unless it is WALK
            Label walk = cb.newLabel();
            cb.ldc(prefixes);
            cb.lload(keySlot);
            cb.invokevirtual(CD_LpmPrefixList, "find", MethodTypeDesc.of(CD_long, CD_long));
            cb.dup2();
            cb.loadConstant(LpmPrefixList.WALK);
            cb.lcmp();
            cb.ifeq(walk);
            ret();
            cb.labelBinding(walk);
            cb.pop2();
        }
        // keyPlen = u32 at key; above the data's bits: no match
        loadInt(keySlot, 0);
        cb.istore(kplenSlot);
        cb.iload(kplenSlot);
        cb.loadConstant(bits);
        cb.invokestatic(CD_Integer, "compareUnsigned", MethodTypeDesc.of(CD_int, CD_int, CD_int));
        cb.ifgt(miss);
        if (v4) {
            loadInt(keySlot, 4);
            reverseInt();
            cb.istore(kSlot);
        } else {
            loadLong(keySlot, 4);
            reverseLong();
            cb.lstore(kSlot);
            loadLong(keySlot, 12);
            reverseLong();
            cb.lstore(loSlot);
        }
        cb.lconst_0();
        cb.lstore(foundSlot);
        cb.loadConstant(l.rootSlot());
        acquire64();
        cb.lstore(nodeSlot);
        cb.labelBinding(loop);
        cb.lload(nodeSlot);
        cb.lconst_0();
        cb.lcmp();
        cb.ifeq(done);
        // prefixlen and flags in one load: the u64 at +16 (little-endian: prefixlen low, flags high)
        loadLong(nodeSlot, LpmLookup.PREFIXLEN);
        cb.dup2();
        cb.l2i();
        cb.istore(plenSlot);
        cb.loadConstant(32);
        cb.lushr();
        cb.l2i();
        cb.istore(flagsSlot);
        // matchlen = min(min(plen, keyPlen), same), kept in TMP (an int)
        cb.iload(plenSlot);
        cb.iload(kplenSlot);
        min();
        if (v4) {
            cb.iload(kSlot);
            loadInt(nodeSlot, LpmLookup.DATA);
            reverseInt();
            cb.ixor();
            cb.invokestatic(CD_Integer, "numberOfLeadingZeros", MethodTypeDesc.of(CD_int, CD_int));
        } else {
            Label high = cb.newLabel();
            Label same = cb.newLabel();
            cb.lload(kSlot);
            loadLong(nodeSlot, LpmLookup.DATA);
            reverseLong();
            cb.lxor();
            cb.dup2();
            cb.lconst_0();
            cb.lcmp();
            cb.ifne(high);
            cb.pop2();
            cb.lload(loSlot);
            loadLong(nodeSlot, LpmLookup.DATA + 8);
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
        cb.istore(tmpSlot);
        // the whole data matched: this node (never intermediate: its prefixlen is the data's bits)
        Label partial = cb.newLabel();
        cb.iload(tmpSlot);
        cb.loadConstant(bits);
        cb.if_icmpne(partial);
        cb.lload(nodeSlot);
        cb.loadConstant(l.valueOffset());
        cb.ladd();
        ret();
        cb.labelBinding(partial);
        cb.iload(tmpSlot);
        cb.iload(plenSlot);
        cb.if_icmplt(done);
        Label im = cb.newLabel();
        cb.iload(flagsSlot);
        cb.loadConstant(LpmLookup.FLAG_IM);
        cb.iand();
        cb.ifne(im);
        cb.lload(nodeSlot);
        cb.lstore(foundSlot);
        cb.labelBinding(im);
        // node = child[bit plen of the key, most significant first] (plen < bits here), 8 bytes each
        cb.lload(nodeSlot);
        if (v4) {
            cb.iload(kSlot);
            cb.loadConstant(31);
            cb.iload(plenSlot);
            cb.isub();
            cb.iushr();
            cb.iconst_1();
            cb.iand();
            cb.i2l();
        } else {
            Label low = cb.newLabel();
            Label bit = cb.newLabel();
            cb.iload(plenSlot);
            cb.loadConstant(64);
            cb.if_icmpge(low);
            cb.lload(kSlot);
            cb.loadConstant(63);
            cb.iload(plenSlot);
            cb.isub();
            cb.lushr();
            cb.goto_(bit);
            cb.labelBinding(low);
            cb.lload(loSlot);
            cb.loadConstant(127);
            cb.iload(plenSlot);
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
        cb.lstore(nodeSlot);
        cb.goto_(loop);
        // the longest value node on the way, if any
        cb.labelBinding(done);
        cb.lload(foundSlot);
        cb.lconst_0();
        cb.lcmp();
        cb.ifeq(miss);
        cb.lload(foundSlot);
        cb.loadConstant(l.valueOffset());
        cb.ladd();
        ret();
        cb.labelBinding(miss);
        cb.lconst_0();
        ret();
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
        maskAddress(cb);
    }

    /** Replaces the address on the stack by the u64 there, loaded with acquire (JitRuntime.ATOMIC64, 8-aligned). */
    private void acquire64() {
        cb.lstore(tmpSlot + 1);
        cb.getstatic(Translator.CD_JitRuntime, "ATOMIC64", Translator.CD_VarHandle);
        cb.getstatic(Translator.CD_JitRuntime, "MEM", Translator.CD_MemorySegment);
        cb.lload(tmpSlot + 1);
        maskAddress(cb);
        cb.invokevirtual(Translator.CD_VarHandle, "getAcquire", MethodTypeDesc.of(CD_long, Translator.CD_MemorySegment, CD_long));
    }
}
