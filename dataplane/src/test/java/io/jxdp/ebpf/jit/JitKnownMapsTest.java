package io.jxdp.ebpf.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.asm.Assembler;
import io.jxdp.ebpf.helper.CallContext;
import io.jxdp.ebpf.helper.HelperRegistry;
import io.jxdp.ebpf.isa.Program;
import io.jxdp.ebpf.map.BpfMap;
import io.jxdp.ebpf.map.MapDefinition;
import io.jxdp.ebpf.map.MapFlags;
import io.jxdp.ebpf.map.MapType;
import io.jxdp.ebpf.map.Maps;
import io.jxdp.ffi.sys.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Map helper calls on a map known at compile time ({@link KnownMaps}) run the map's own code (an
 * array lookup inline) instead of the registered helper, with the helper's results; where r1 is not
 * the same lddw on every path, the helper is called as before.
 */
class JitKnownMapsTest {
    private static final long ARRAY = 0x1000;
    private static final long PERCPU = 0x1008;
    private static final long HASH = 0x1010;

    private Arena arena;
    private BpfMap array;
    private BpfMap percpu;
    private BpfMap hash;
    /** Calls that reached the registered helpers 1-3. */
    private final AtomicInteger helperCalls = new AtomicInteger();
    private HelperRegistry helpers;
    private KnownMaps known;

    @BeforeEach
    void setUp() {
        arena = Arena.ofConfined();
        array = Maps.create(MapDefinition.of("a", MapType.ARRAY, 4, 12, 4), 1);
        percpu = Maps.create(MapDefinition.of("p", MapType.PERCPU_ARRAY, 4, 8, 3), 4);
        hash = Maps.create(MapDefinition.of("h", MapType.HASH, 4, 8, 8), 1);
        known = v -> v == ARRAY ? array : v == PERCPU ? percpu : v == HASH ? hash : null;
        // what XdpContext's helpers do in an unchecked context, counted
        helpers = new HelperRegistry()
                .register(1, (c, r1, r2, r3, r4, r5) -> {
                    helperCalls.incrementAndGet();
                    return known.map(r1).lookup(r2, c.cpu());
                })
                .register(2, (c, r1, r2, r3, r4, r5) -> {
                    helperCalls.incrementAndGet();
                    return known.map(r1).update(r2, r3, r4, c.cpu());
                })
                .register(3, (c, r1, r2, r3, r4, r5) -> {
                    helperCalls.incrementAndGet();
                    return known.map(r1).delete(r2, c.cpu());
                });
    }

    @AfterEach
    void tearDown() {
        array.close();
        percpu.close();
        hash.close();
        arena.close();
    }

    /** r0 = lookup(map, key at r1). */
    private static Program lookup(long map) {
        return Assembler.assemble("""
                mov %r2, %r1
                lddw %r1, MAP
                call 1
                exit
                """.replace("MAP", "0x" + Long.toHexString(map)));
    }

    /**
     * r0 = lookup(map, key at r1) five times: the first four emitted inline, the fifth a call of the
     * map's generated lookup method (Translator's INLINE_LOOKUPS); 1 (never a value address) when
     * the fifth disagrees with the first.
     */
    private static Program lookupFiveTimes(long map) {
        String one = """
                mov %r2, %r6
                lddw %r1, MAP
                call 1
                """;
        return Assembler.assemble(("mov %r6, %r1\n" + one + "mov %r7, %r0\n" + one.repeat(4) + """
                jeq %r0, %r7, same
                mov %r0, 1
                same:
                exit
                """).replace("MAP", "0x" + Long.toHexString(map)));
    }

    private long run(CompiledProgram p, CallContext ctx, MemorySegment arg) {
        return p.run(ctx, arg.address(), 0, 0, 0, 0);
    }

    private MemorySegment u32(int v) {
        MemorySegment s = arena.allocate(8, 8);
        s.set(ValueLayout.JAVA_INT, 0, v);
        return s;
    }

    private static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    @Test
    void anArrayLookupIsInlineAndGivesTheMapsAddresses() {
        CompiledProgram jit = JitCompiler.compile(lookup(ARRAY), new int[0], helpers, JitOptions.defaults().withVerify(true), known);
        CallContext ctx = new CallContext();
        for (int key : new int[] {0, 1, 3, 4, 5, -1, Integer.MIN_VALUE}) {
            MemorySegment k = u32(key);
            assertEquals(array.lookup(k.address(), 0), run(jit, ctx, k), "key " + Integer.toUnsignedString(key));
        }
        assertTrue(array.lookup(u32(3).address(), 0) != 0);
        assertEquals(0, helperCalls.get(), "the helper is not called");
    }

    @Test
    void aPerCpuArrayLookupUsesTheContextsCpu() {
        CompiledProgram jit = JitCompiler.compile(lookup(PERCPU), new int[0], helpers, JitOptions.defaults().withVerify(true), known);
        CallContext ctx = new CallContext();
        for (int cpu = 0; cpu < 4; cpu++) {
            ctx.cpu(cpu);
            for (int key : new int[] {0, 2, 3, -1}) {
                MemorySegment k = u32(key);
                assertEquals(percpu.lookup(k.address(), cpu), run(jit, ctx, k), "cpu " + cpu + ", key " + key);
            }
        }
        assertEquals(0, helperCalls.get());
    }

    @Test
    void aHashLookupCallsTheMapDirectly() {
        hash.update(le32(7), new byte[8], MapFlags.BPF_ANY);
        CompiledProgram jit = JitCompiler.compile(lookup(HASH), new int[0], helpers, JitOptions.defaults(), known);
        CallContext ctx = new CallContext();
        MemorySegment hit = u32(7);
        assertTrue(hash.lookup(hit.address(), 0) != 0);
        assertEquals(hash.lookup(hit.address(), 0), run(jit, ctx, hit));
        assertEquals(0, run(jit, ctx, u32(8)));
        assertEquals(0, helperCalls.get());
    }

    /**
     * The specialised hash lookups (the lookup index's hash unrolled for the key size, chain walk,
     * key compare in pieces) find what the map's own lookup finds, for key sizes around the
     * 8/4/2/1-byte pieces and past the 16 pieces the generated code keeps in locals (135 bytes: 19),
     * in every hash type, with enough keys for shared chains; every other key differs from the one
     * before only in its last byte, so every piece's compare decides somewhere.
     */
    @ParameterizedTest(name = "{0}, key {1}")
    @MethodSource("hashCases")
    void specialisedHashLookupsFindWhatTheMapFinds(MapType type, int keySize) {
        java.util.Random rnd = new java.util.Random(keySize * 31L + type.ordinal());
        BpfMap m = Maps.create(MapDefinition.of("k" + keySize, type, keySize, 8, 16), 2);
        try {
            java.util.List<byte[]> keys = new java.util.ArrayList<>();
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (int i = 0; i < 24; i++) {
                byte[] k = new byte[keySize];
                do {
                    if (i % 2 == 1) {
                        System.arraycopy(keys.get(i - 1), 0, k, 0, keySize);
                        k[keySize - 1] = (byte) rnd.nextInt();
                    } else {
                        rnd.nextBytes(k);
                    }
                } while (!seen.add(java.util.HexFormat.of().formatHex(k)));
                keys.add(k);
                if (i < 12) {
                    byte[] v = new byte[m.userValueSize()];
                    rnd.nextBytes(v);
                    m.update(k, v, MapFlags.BPF_ANY);
                }
            }
            KnownMaps one = v -> v == HASH ? m : null;
            CompiledProgram jit = JitCompiler.compile(lookupFiveTimes(HASH), new int[0], helpers, JitOptions.defaults().withVerify(true), one);
            assertTrue(JitCompiler.methodSizes(jit.classBytes()).keySet().stream().anyMatch(n -> n.startsWith("lookup")),
                    "a specialised lookup method for the fifth lookup");
            CallContext ctx = new CallContext();
            ctx.cpu(1);
            MemorySegment key = arena.allocate(Math.max(8, keySize), 8);
            int found = 0;
            for (byte[] k : keys) {
                MemorySegment.copy(k, 0, key, ValueLayout.JAVA_BYTE, 0, keySize);
                long expected = m.lookup(key.address(), 1);
                found += expected != 0 ? 1 : 0;
                assertEquals(expected, run(jit, ctx, key), "key " + java.util.HexFormat.of().formatHex(k));
            }
            assertEquals(12, found, "the inserted keys are found, the others not");
            assertEquals(0, helperCalls.get());
        } finally {
            m.close();
        }
    }

    /**
     * A hash lookup whose key the program wrote onto its stack in stores of mixed widths (zeroed
     * with 8-byte stores first, then overwritten in 4-, 2- and 1-byte pieces, as clang builds a
     * struct key): the generated hash reads the key's pieces split where those stores begin and end
     * (Decoded.keyStoreCuts) and must find what the map finds, for seeded random keys (half stored)
     * and every hash type; the key sizes of xdp_firewall's 5-tuple (16), xdp_flow_counter's (40) and
     * odd ones.
     */
    @ParameterizedTest(name = "{0}, key {1}")
    @MethodSource("stackKeyCases")
    void hashLookupOfAKeyStoredInMixedWidths(MapType type, int keySize) {
        java.util.Random rnd = new java.util.Random(keySize * 7L + type.ordinal());
        BpfMap m = Maps.create(MapDefinition.of("s" + keySize, type, keySize, 8, 64), 2);
        try {
            // r6 = the key's bytes (the argument); copy them to r10 - size in widths 4, 2, 1, 1, 4, 2, ...
            int base = -((keySize + 7) & ~7);
            StringBuilder asm = new StringBuilder("mov %r6, %r1\nmov %r3, 0\n");
            for (int o = 0; o < keySize - keySize % 8; o += 8) {
                asm.append("stxdw [%r10").append(base + o).append("], %r3\n");
            }
            int[] widths = {4, 2, 1, 1, 4, 2, 2, 8, 1, 2, 1};
            for (int o = 0, w = 0; o < keySize; w++) {
                int width = widths[w % widths.length];
                while (o + width > keySize) {
                    width /= 2;
                }
                String sfx = switch (width) {
                    case 1 -> "b";
                    case 2 -> "h";
                    case 4 -> "w";
                    default -> "dw";
                };
                asm.append("ldx").append(sfx).append(" %r3, [%r6+").append(o).append("]\n");
                asm.append("stx").append(sfx).append(" [%r10").append(base + o).append("], %r3\n");
                o += width;
            }
            asm.append("mov %r2, %r10\nadd %r2, ").append(base).append("\nlddw %r1, MAP\ncall 1\nexit\n");
            Program p = Assembler.assemble(asm.toString().replace("MAP", "0x" + Long.toHexString(HASH)));
            Decoded d = new Decoded(p, helpers);
            int call = d.length - 2;
            assertEquals(base, d.keyOnStack(call), "the key's place on the stack");
            boolean[] cuts = d.keyStoreCuts(call, base, keySize);
            int inside = 0;
            for (int i = 1; i < keySize; i++) {
                inside += cuts[i] ? 1 : 0;
            }
            assertTrue(inside > 0, "the stores' edges inside the key");
            KnownMaps one = v -> v == HASH ? m : null;
            CompiledProgram jit = JitCompiler.compile(p, new int[0], helpers, JitOptions.defaults().withVerify(true), one);
            CallContext ctx = new CallContext();
            ctx.cpu(1);
            MemorySegment key = arena.allocate(Math.max(8, keySize), 8);
            int found = 0;
            for (int i = 0; i < 48; i++) {
                byte[] k = new byte[keySize];
                rnd.nextBytes(k);
                if (i % 2 == 0) {
                    byte[] v = new byte[m.userValueSize()];
                    rnd.nextBytes(v);
                    m.update(k, v, MapFlags.BPF_ANY);
                }
                MemorySegment.copy(k, 0, key, ValueLayout.JAVA_BYTE, 0, keySize);
                long expected = m.lookup(key.address(), 1);
                found += expected != 0 ? 1 : 0;
                assertEquals(expected, run(jit, ctx, key), "key " + java.util.HexFormat.of().formatHex(k));
            }
            assertEquals(24, found, "the inserted keys are found, the others not");
            assertEquals(0, helperCalls.get());
        } finally {
            m.close();
        }
    }

    static java.util.stream.Stream<Arguments> stackKeyCases() {
        java.util.List<Arguments> out = new java.util.ArrayList<>();
        for (MapType t : new MapType[] {MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH, MapType.LRU_PERCPU_HASH}) {
            for (int size : new int[] {3, 13, 16, 40, 64}) {
                out.add(Arguments.of(t, size));
            }
        }
        return out.stream();
    }

    static java.util.stream.Stream<Arguments> hashCases() {
        java.util.List<Arguments> out = new java.util.ArrayList<>();
        for (MapType t : new MapType[] {MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH, MapType.LRU_PERCPU_HASH}) {
            for (int size : new int[] {1, 3, 4, 7, 12, 13, 16, 40, 64, 135}) {
                out.add(Arguments.of(t, size));
            }
        }
        return out.stream();
    }

    /**
     * The specialised LPM_TRIE lookups (IPv4 and IPv6 data sizes; 8 data bytes keeps the map's own
     * lookup) find what the trie finds and what a brute-force longest-prefix model says, seeded:
     * rounds of random inserts and deletes of prefixes clustered around a few bases (deep tries,
     * intermediate nodes, nodes turned intermediate by deletes), each followed by lookups of random
     * keys, keys inside stored prefixes, and key prefixlens from 0 to past the data's bits. IPv4
     * tries kept at most LpmPrefixList.MAX prefixes take the prefix list's scan, bigger ones the walk.
     */
    @ParameterizedTest(name = "{0} data bytes, seed {1}, at most {2} prefixes")
    @MethodSource("lpmCases")
    void specialisedLpmLookupsFindTheLongestPrefix(int dataSize, long seed, int maxPrefixes) {
        java.util.Random rnd = new java.util.Random(seed);
        int bits = 8 * dataSize;
        int keySize = 4 + dataSize;
        BpfMap m = Maps.create(new MapDefinition("lpm" + dataSize, MapType.LPM_TRIE, keySize, 4, 256,
                MapFlags.BPF_F_NO_PREALLOC), 1);
        try {
            KnownMaps one = v -> v == HASH ? m : null;
            CompiledProgram jit = JitCompiler.compile(lookupFiveTimes(HASH), new int[0], helpers, JitOptions.defaults().withVerify(true), one);
            boolean specialised = JitCompiler.methodSizes(jit.classBytes()).keySet().stream().anyMatch(n -> n.startsWith("lpm"));
            assertEquals(dataSize == 4 || dataSize == 16, specialised, "a specialised LPM lookup method for the fifth lookup");
            // split into regions (registers in the spill file between them): the inline form there too
            // (with 8 data bytes, calls of the map's lookup only, the program fits the budget whole)
            CompiledProgram split = JitCompiler.compile(lookupFiveTimes(HASH), new int[0], helpers,
                    JitOptions.defaults().withVerify(true).withMethodBudget(500), one);
            assertTrue(!specialised || JitCompiler.methodSizes(split.classBytes()).size() > JitCompiler.methodSizes(jit.classBytes()).size(),
                    "the budget splits the program with its inline lookups");
            // model: prefix (plen + masked data, as hex) -> {plen, data, value}
            java.util.Map<String, Object[]> model = new java.util.HashMap<>();
            byte[][] bases = new byte[4][dataSize];
            for (byte[] b : bases) {
                rnd.nextBytes(b);
            }
            MemorySegment key = arena.allocate(keySize, 8);
            CallContext ctx = new CallContext();
            int hits = 0;
            int checks = 0;
            for (int round = 0; round < 40; round++) {
                for (int op = 0; op < 12; op++) {
                    int plen = rnd.nextInt(4) == 0 ? bits : rnd.nextInt(bits + 1);
                    byte[] data = mask(near(bases, rnd, bits), plen);
                    String id = plen + "/" + java.util.HexFormat.of().formatHex(data);
                    byte[] k = lpmKey(plen, data);
                    if (rnd.nextInt(3) == 0 && !model.isEmpty()) {
                        Object[] victim = model.values().stream().skip(rnd.nextInt(model.size())).findFirst().orElseThrow();
                        m.delete(lpmKey((Integer) victim[0], (byte[]) victim[1]));
                        model.remove(victim[0] + "/" + java.util.HexFormat.of().formatHex((byte[]) victim[1]));
                    } else if (model.size() < maxPrefixes || model.containsKey(id)) {
                        int value = rnd.nextInt();
                        m.update(k, le32(value), MapFlags.BPF_ANY);
                        model.put(id, new Object[] {plen, data, value});
                    }
                }
                for (int q = 0; q < 64; q++) {
                    int keyPlen = switch (rnd.nextInt(6)) {
                        case 0 -> rnd.nextInt(bits + 1);
                        case 1 -> bits + 1 + rnd.nextInt(3);
                        case 2 -> rnd.nextInt() | 0x8000_0000;
                        default -> bits;
                    };
                    byte[] data = near(bases, rnd, bits);
                    MemorySegment.copy(lpmKey(keyPlen, data), 0, key, ValueLayout.JAVA_BYTE, 0, keySize);
                    long got = run(jit, ctx, key);
                    String what = "round " + round + ", key " + Integer.toUnsignedString(keyPlen) + "/"
                            + java.util.HexFormat.of().formatHex(data);
                    assertEquals(m.lookup(key.address(), 0), got, what);
                    assertEquals(got, run(split, ctx, key), what + ", split");
                    Object[] best = null;
                    if (Integer.compareUnsigned(keyPlen, bits) <= 0) {
                        for (Object[] e : model.values()) {
                            int plen = (Integer) e[0];
                            if (plen <= keyPlen && java.util.Arrays.equals(mask(data, plen), (byte[]) e[1])
                                    && (best == null || plen > (Integer) best[0])) {
                                best = e;
                            }
                        }
                    }
                    if (best == null) {
                        assertEquals(0, got, what);
                    } else {
                        assertTrue(got != 0, what);
                        assertEquals((int) (Integer) best[2], MemorySegment.NULL.reinterpret(Long.MAX_VALUE)
                                .get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), got), what);
                        hits++;
                    }
                    checks++;
                }
            }
            assertTrue(hits > checks / 4 && hits < checks, "hits and misses both exercised: " + hits + " of " + checks);
            assertEquals(0, helperCalls.get());
        } finally {
            m.close();
        }
    }

    static java.util.stream.Stream<Arguments> lpmCases() {
        // IPv4 tries of at most LpmPrefixList.MAX prefixes: the generated lookup asks the prefix list
        // (and walks only while a change is being written); bigger ones: the walk
        int small = io.jxdp.ebpf.map.LpmPrefixList.MAX;
        return java.util.stream.Stream.of(Arguments.of(4, 1L, 256), Arguments.of(4, 2L, 256), Arguments.of(4, 3L, 256),
                Arguments.of(4, 8L, small), Arguments.of(4, 9L, small / 2),
                Arguments.of(16, 4L, 256), Arguments.of(16, 5L, 256), Arguments.of(16, 6L, 256), Arguments.of(8, 7L, 256));
    }

    /** One of the bases with its bits past a random point (mostly near the end) randomised. */
    private static byte[] near(byte[][] bases, java.util.Random rnd, int bits) {
        byte[] d = bases[rnd.nextInt(bases.length)].clone();
        int from = rnd.nextInt(3) == 0 ? rnd.nextInt(bits) : bits - 1 - rnd.nextInt(Math.min(bits, 12));
        for (int b = from; b < bits; b++) {
            if (rnd.nextBoolean()) {
                d[b >>> 3] ^= (byte) (0x80 >>> (b & 7));
            }
        }
        return d;
    }

    /** data with every bit from plen on cleared (a copy). */
    private static byte[] mask(byte[] data, int plen) {
        byte[] out = data.clone();
        for (int b = plen; b < 8 * out.length; b++) {
            out[b >>> 3] &= (byte) ~(0x80 >>> (b & 7));
        }
        return out;
    }

    private static byte[] lpmKey(int plen, byte[] data) {
        return ByteBuffer.allocate(4 + data.length).order(ByteOrder.LITTLE_ENDIAN).putInt(plen).put(data).array();
    }

    /** update then delete on the hash map: the maps' return codes, sign-extended as the helpers return them. */
    @Test
    void updateAndDeleteReturnTheMapsErrnos() {
        Program p = Assembler.assemble("""
                mov %r6, %r1
                mov %r7, %r2
                lddw %r1, MAP
                mov %r2, %r6
                mov %r3, %r6
                add %r3, 8
                mov %r4, %r7
                call 2
                jne %r0, 0, out
                lddw %r1, MAP
                mov %r2, %r6
                call 3
                out:
                exit
                """.replace("MAP", "0x" + Long.toHexString(HASH)));
        CompiledProgram jit = JitCompiler.compile(p, new int[0], helpers, JitOptions.defaults().withVerify(true), known);
        MemorySegment kv = arena.allocate(16, 8);
        kv.set(ValueLayout.JAVA_INT, 0, 42);
        kv.set(ValueLayout.JAVA_LONG, 8, 0x1122334455667788L);
        CallContext ctx = new CallContext();
        // insert (NOEXIST) succeeds, then the delete removes it: r0 = 0
        assertEquals(0, jit.run(ctx, kv.address(), MapFlags.BPF_NOEXIST, 0, 0, 0));
        assertEquals(0, hash.lookup(kv.address(), 0));
        // BPF_EXIST on a missing key: -ENOENT from the update, delete skipped
        assertEquals(-Errno.ENOENT, jit.run(ctx, kv.address(), MapFlags.BPF_EXIST, 0, 0, 0));
        // an existing key with NOEXIST: -EEXIST
        hash.update(le32(42), new byte[8], MapFlags.BPF_ANY);
        assertEquals(-Errno.EEXIST, jit.run(ctx, kv.address(), MapFlags.BPF_NOEXIST, 0, 0, 0));
        // BPF_ANY replaces and the delete succeeds
        assertEquals(0, jit.run(ctx, kv.address(), MapFlags.BPF_ANY, 0, 0, 0));
        assertEquals(0, hash.lookup(kv.address(), 0));
        assertEquals(0, helperCalls.get());
    }

    /**
     * The call is a jump target, so r1 is not proven to come from one lddw: the helper runs. The same
     * for an r1 changed after the lddw, and for maps the resolver does not know.
     */
    @Test
    void whereR1IsNotOneKnownLddwTheHelperRuns() {
        Program joined = Assembler.assemble("""
                mov %r2, %r1
                lddw %r1, 0x1000
                jeq %r3, 0, join
                lddw %r1, 0x1000
                join:
                call 1
                exit
                """);
        Program changed = Assembler.assemble("""
                mov %r2, %r1
                lddw %r1, 0xff8
                add %r1, 8
                call 1
                exit
                """);
        CallContext ctx = new CallContext();
        MemorySegment k = u32(1);
        long expected = array.lookup(k.address(), 0);
        for (Program p : new Program[] {joined, changed}) {
            CompiledProgram jit = JitCompiler.compile(p, new int[0], helpers, JitOptions.defaults(), known);
            int before = helperCalls.get();
            assertEquals(expected, jit.run(ctx, k.address(), 0, 0, 0, 0));
            assertEquals(before + 1, helperCalls.get(), "the helper ran");
        }
        // without a resolver every call is the helper's
        CompiledProgram plain = JitCompiler.compile(lookup(ARRAY), new int[0], helpers, JitOptions.defaults(), null);
        int before = helperCalls.get();
        assertEquals(expected, run(plain, ctx, k));
        assertEquals(before + 1, helperCalls.get());
    }
}
