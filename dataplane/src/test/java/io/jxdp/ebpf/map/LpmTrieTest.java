package io.jxdp.ebpf.map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.sys.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * LPM_TRIE against this machine's kernel (every result code, value and next key of a seeded random
 * operation sequence, then the whole post-order iteration), against a brute-force longest-prefix
 * model, under concurrent writers and readers, and without allocation on the program side.
 */
class LpmTrieTest {
    private static final int NO_PREALLOC = MapFlags.BPF_F_NO_PREALLOC;

    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        for (long seed : new long[] {1, 2, 3, 4}) {
            out.add(Arguments.of(4, 8, 64, seed));   // IPv4
            out.add(Arguments.of(16, 4, 48, seed));  // IPv6
            out.add(Arguments.of(1, 3, 40, seed));   // one data byte
            out.add(Arguments.of(5, 16, 64, seed));  // odd size: byte tail after no 8-byte word
            out.add(Arguments.of(9, 8, 64, seed));   // one 8-byte word and a byte tail
        }
        return out.stream();
    }

    @ParameterizedTest(name = "data {0} value {1} max {2} seed {3}")
    @MethodSource("shapes")
    void sameResultsAsKernel(int dataSize, int valueSize, int max, long seed) {
        MapDefinition def = new MapDefinition("lpm_parity", MapType.LPM_TRIE, 4 + dataSize, valueSize, max, NO_PREALLOC);
        Random rnd = new Random(seed);
        int keySize = 4 + dataSize;
        try (KernelMap k = KernelMap.create(def); BpfMap j = Maps.create(def, 1)) {
            for (int op = 0; op < 4000; op++) {
                byte[] key = randomKey(rnd, dataSize);
                String where = "op " + op + " seed " + seed + " key " + show(key);
                switch (rnd.nextInt(7)) {
                    case 0, 1, 2 -> {
                        byte[] v = new byte[valueSize];
                        rnd.nextBytes(v);
                        long fl = rnd.nextInt(12) == 0 ? 3 + rnd.nextInt(3) : rnd.nextInt(3);
                        assertEquals(k.update(key, v, fl), rc(() -> j.update(key, v, fl)), where + " update " + fl);
                    }
                    case 3 -> assertEquals(k.delete(key), rc(() -> j.delete(key)), where + " delete");
                    case 4 -> {
                        byte[] kv = new byte[valueSize];
                        long krc = k.lookup(key, kv);
                        Optional<byte[]> jv = j.lookup(key);
                        assertEquals(krc, jv.isPresent() ? 0 : -Errno.ENOENT, where + " lookup");
                        if (krc == 0) {
                            assertArrayEquals(kv, jv.get(), where + " lookup value");
                        }
                    }
                    default -> {
                        byte[] from = rnd.nextInt(5) == 0 ? null : rnd.nextBoolean() ? key : anyStored(j, rnd);
                        byte[] kn = new byte[keySize];
                        long krc = k.getNextKey(from, kn);
                        Optional<byte[]> jn = j.getNextKey(from);
                        assertEquals(krc, jn.isPresent() ? 0 : -Errno.ENOENT, where + " get_next_key");
                        if (krc == 0) {
                            assertArrayEquals(kn, jn.get(), where + " next key");
                        }
                    }
                }
            }
            byte[] kc = null;
            Optional<byte[]> jc = j.getNextKey(null);
            int n = 0;
            while (n <= 2 * max) {
                byte[] kn = new byte[keySize];
                long krc = k.getNextKey(kc, kn);
                assertEquals(krc == 0, jc.isPresent(), "iteration length at " + n);
                if (krc != 0) {
                    break;
                }
                assertArrayEquals(kn, jc.get(), "iteration key " + n);
                kc = kn;
                jc = j.getNextKey(kn);
                n++;
            }
            assertEquals(((LpmTrie) j).entries(), n, "entries");
            assertTrue(n > Math.min(max / 4, 5), "trie held " + n + " prefixes at the end");
        }
    }

    /** Lookups of random addresses give the longest stored prefix containing them, as a linear scan finds. */
    @Test
    void longestPrefixAsABruteForceModel() {
        int dataSize = 4;
        Random rnd = new Random(11);
        List<byte[]> stored = new ArrayList<>();
        try (BpfMap m = Maps.create(new MapDefinition("lpm", MapType.LPM_TRIE, 8, 4, 5000, NO_PREALLOC), 1)) {
            for (int i = 0; i < 3000; i++) {
                byte[] key = randomKey(rnd, dataSize);
                if (plen(key) > 32) {
                    continue;
                }
                m.update(key, le32(i), MapFlags.BPF_ANY);
                stored.removeIf(s -> samePrefix(s, key));
                byte[] copy = key.clone();
                stored.add(copy);
                if (rnd.nextInt(5) == 0) {
                    byte[] victim = stored.remove(rnd.nextInt(stored.size()));
                    m.delete(victim);
                }
            }
            for (int q = 0; q < 20_000; q++) {
                byte[] addr = randomKey(rnd, dataSize);
                addr[0] = 32;
                byte[] best = null;
                for (byte[] s : stored) {
                    if (covers(s, addr) && (best == null || plen(s) > plen(best))) {
                        best = s;
                    }
                }
                Optional<byte[]> got = m.lookup(addr);
                assertEquals(best != null, got.isPresent(), "query " + show(addr));
                if (best != null) {
                    assertArrayEquals(m.lookup(best).orElseThrow(), got.get(), "query " + show(addr) + " best " + show(best));
                    assertTrue(covers(best, addr));
                }
            }
        }
    }

    @Test
    void refusalsNameTheProblem() {
        try (BpfMap m = Maps.create(new MapDefinition("lpm", MapType.LPM_TRIE, 8, 4, 2, NO_PREALLOC), 1)) {
            MapException e = org.junit.jupiter.api.Assertions.assertThrows(MapException.class,
                    () -> m.update(new byte[] {33, 0, 0, 0, 10, 0, 0, 0}, le32(1), MapFlags.BPF_ANY));
            assertEquals(Errno.EINVAL, e.errno());
            m.update(new byte[] {8, 0, 0, 0, 10, 0, 0, 0}, le32(1), MapFlags.BPF_ANY);
            m.update(new byte[] {16, 0, 0, 0, 10, 1, 0, 0}, le32(2), MapFlags.BPF_ANY);
            e = org.junit.jupiter.api.Assertions.assertThrows(MapException.class,
                    () -> m.update(new byte[] {24, 0, 0, 0, 10, 1, 2, 0}, le32(3), MapFlags.BPF_ANY));
            assertEquals(Errno.ENOSPC, e.errno());
            assertTrue(e.getMessage().contains("lpm"), e.getMessage());
            // replacing an existing prefix in a full trie is fine
            m.update(new byte[] {8, 0, 0, 0, 10, 9, 9, 9}, le32(4), MapFlags.BPF_EXIST);
            assertArrayEquals(le32(4), m.lookup(new byte[] {32, 0, 0, 0, 10, 2, 3, 4}).orElseThrow());
            assertArrayEquals(le32(2), m.lookup(new byte[] {32, 0, 0, 0, 10, 1, 3, 4}).orElseThrow());
        }
    }

    /**
     * Writers insert and delete prefixes of their own /16 while readers look up addresses: a value
     * found always belongs to a prefix that contains the address, and readers never see a reclaimed node.
     */
    @Test
    void concurrentWritersAndReaders() throws Exception {
        int threads = 4;
        Rcu rcu = new Rcu(threads);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (BpfMap m = Maps.create(new MapDefinition("lpm_mt", MapType.LPM_TRIE, 8, 8, 4096, NO_PREALLOC), threads, rcu)) {
            // a /8 everyone falls back to
            m.update(new byte[] {8, 0, 0, 0, 10, 0, 0, 0}, le64(0x0a000000L << 8 | 8), MapFlags.BPF_ANY);
            List<Thread> all = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                Thread th = new Thread(() -> {
                    rcu.register(id);
                    Random rnd = new Random(id);
                    try (Arena a = Arena.ofConfined()) {
                        MemorySegment key = a.allocate(8, 8);
                        MemorySegment val = a.allocate(8, 8);
                        for (int i = 0; i < 100_000; i++) {
                            int addr = 0x0a000000 | rnd.nextInt(4) << 16 | rnd.nextInt(1 << 16);
                            if (id < 2) {
                                int plen = 16 + rnd.nextInt(17);
                                int net = plen == 32 ? addr : addr & (-1 << (32 - plen));
                                key.set(ValueLayout.JAVA_INT, 0, plen);
                                key.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 4, net);
                                if (rnd.nextInt(3) == 0) {
                                    m.delete(key.address(), id);
                                } else {
                                    val.set(ValueLayout.JAVA_LONG, 0, (long) net << 8 | plen);
                                    int rc = m.update(key.address(), val.address(), MapFlags.BPF_ANY, id);
                                    if (rc != 0 && rc != -Errno.ENOSPC) {
                                        throw new AssertionError("update " + rc);
                                    }
                                }
                            } else {
                                key.set(ValueLayout.JAVA_INT, 0, 32);
                                key.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 4, addr);
                                long v = m.lookup(key.address(), id);
                                if (v == 0) {
                                    throw new AssertionError("no match for " + Integer.toHexString(addr) + " despite the /8");
                                }
                                long found = Native.getLong(v);
                                int plen = (int) (found & 0xff);
                                int net = (int) (found >>> 8);
                                int mask = plen == 0 ? 0 : -1 << (32 - plen);
                                if ((addr & mask) != net) {
                                    throw new AssertionError(Integer.toHexString(addr) + " matched " + Integer.toHexString(net)
                                            + "/" + plen);
                                }
                            }
                            rcu.quiescent(id);
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    } finally {
                        rcu.unregister(id);
                    }
                }, "lpm-" + t);
                all.add(th);
                th.start();
            }
            for (Thread th : all) {
                th.join(60_000);
                assertTrue(!th.isAlive(), th.getName() + " did not finish");
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            int n = 0;
            for (Optional<byte[]> k = m.getNextKey(null); k.isPresent() && n <= 5000; k = m.getNextKey(k.get())) {
                n++;
            }
            assertEquals(((LpmTrie) m).entries(), n);
        }
    }

    /**
     * The IPv4 and IPv6 walks ({@code LpmTrie.longestMatch4/16}, behind {@code lookup}) find the same
     * node as the general byte-wise walk for every query, over seeded random tries that grow and
     * shrink (nested prefixes, intermediate nodes made and removed), queries of every prefixlen
     * including the out-of-range ones, and addresses both stored and random.
     */
    @ParameterizedTest(name = "data {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {4, 16})
    void specialisedWalkFindsTheGeneralWalksNode(int dataSize) {
        Random rnd = new Random(31 + dataSize);
        int keySize = 4 + dataSize;
        int max = dataSize * 8;
        try (Arena a = Arena.ofConfined();
                BpfMap m = Maps.create(new MapDefinition("lpm_walk", MapType.LPM_TRIE, keySize, 8, 512, NO_PREALLOC), 1)) {
            LpmTrie t = (LpmTrie) m;
            MemorySegment q = a.allocate(keySize, 8);
            List<byte[]> stored = new ArrayList<>();
            long hits = 0;
            for (int round = 0; round < 400; round++) {
                for (int i = 0; i < 8; i++) {
                    byte[] key = randomKey(rnd, dataSize);
                    if (plen(key) > max) {
                        continue;
                    }
                    if (rnd.nextInt(3) == 0 && !stored.isEmpty()) {
                        byte[] victim = stored.remove(rnd.nextInt(stored.size()));
                        m.delete(victim);
                    } else if (stored.size() < 500) {
                        m.update(key, le64(round * 8L + i), MapFlags.BPF_ANY);
                        stored.removeIf(s -> samePrefix(s, key));
                        stored.add(key);
                    }
                }
                for (int i = 0; i < 50; i++) {
                    byte[] key = !stored.isEmpty() && rnd.nextBoolean() ? stored.get(rnd.nextInt(stored.size())).clone()
                            : randomKey(rnd, dataSize);
                    int plen = switch (rnd.nextInt(4)) {
                        case 0 -> max;
                        case 1 -> max + 1 + rnd.nextInt(40);
                        case 2 -> -1 - rnd.nextInt(3); // huge unsigned
                        default -> rnd.nextInt(max + 1);
                    };
                    ByteBuffer.wrap(key).order(ByteOrder.nativeOrder()).putInt(0, plen);
                    MemorySegment.copy(key, 0, q, ValueLayout.JAVA_BYTE, 0, keySize);
                    long general = t.longestMatchBytes(q.address());
                    long value = m.lookup(q.address(), 0);
                    assertEquals(general, value == 0 ? 0 : value - t.valueOffset(), "round " + round + " query " + show(key));
                    hits += general != 0 ? 1 : 0;
                }
            }
            assertTrue(hits > 2000, "queries that matched a prefix: " + hits);
        }
    }

    /**
     * An IPv4 trie's prefix list (LpmPrefixList, which {@code lookup} asks before walking) gives the
     * general walk's node for every query, over a seeded random sequence of updates (every flag,
     * failures included) and deletes that keeps the trie around LpmPrefixList.MAX prefixes, so the
     * list is dropped and rebuilt many times; queries of every prefixlen, out-of-range ones too,
     * and /0 prefixes. The list is checked to be in use (and out of use) for a good share of them.
     */
    @Test
    void prefixListFindsTheGeneralWalksNode() {
        Random rnd = new Random(77);
        try (Arena a = Arena.ofConfined();
                BpfMap m = Maps.create(new MapDefinition("lpm_list", MapType.LPM_TRIE, 8, 8, 64, NO_PREALLOC), 1)) {
            LpmTrie t = (LpmTrie) m;
            MemorySegment q = a.allocate(8, 8);
            MemorySegment v = a.allocate(8, 8);
            List<byte[]> stored = new ArrayList<>();
            int listed = 0;
            int walked = 0;
            long hits = 0;
            for (int round = 0; round < 3000; round++) {
                byte[] key = randomKey(rnd, 4);
                MemorySegment.copy(key, 0, q, ValueLayout.JAVA_BYTE, 0, 8);
                // grow up to ~1.5 MAX prefixes, then shrink below MAX, and again
                boolean grow = (round / 300) % 2 == 0;
                if (rnd.nextInt(4) < (grow ? 3 : 1)) {
                    v.set(ValueLayout.JAVA_LONG, 0, round);
                    if (t.entries() < LpmPrefixList.MAX * 3 / 2) {
                        long flags = rnd.nextInt(3);
                        if (m.update(q.address(), v.address(), flags, 0) == 0) {
                            stored.removeIf(s -> samePrefix(s, key));
                            stored.add(key);
                        }
                    }
                } else if (!stored.isEmpty() && rnd.nextInt(4) > 0) {
                    byte[] victim = stored.remove(rnd.nextInt(stored.size()));
                    MemorySegment.copy(victim, 0, q, ValueLayout.JAVA_BYTE, 0, 8);
                    assertEquals(0, m.delete(q.address(), 0), "round " + round + " delete " + show(victim));
                } else {
                    m.delete(q.address(), 0); // mostly ENOENT
                    stored.removeIf(s -> samePrefix(s, key));
                }
                for (int i = 0; i < 20; i++) {
                    int plen = switch (rnd.nextInt(5)) {
                        case 0, 1 -> 32;
                        case 2 -> 33 + rnd.nextInt(40);
                        default -> rnd.nextInt(33);
                    };
                    byte[] k = randomKey(rnd, 4);
                    ByteBuffer.wrap(k).order(ByteOrder.nativeOrder()).putInt(0, plen);
                    MemorySegment.copy(k, 0, q, ValueLayout.JAVA_BYTE, 0, 8);
                    long general = t.longestMatchBytes(q.address());
                    long value = m.lookup(q.address(), 0);
                    assertEquals(general, value == 0 ? 0 : value - t.valueOffset(),
                            "round " + round + " query " + show(k) + " list " + t.prefixListActive());
                    if (t.prefixListActive()) {
                        listed++;
                    } else {
                        walked++;
                    }
                    hits += general != 0 ? 1 : 0;
                }
                assertEquals(t.entries() <= LpmPrefixList.MAX, t.prefixListActive(), "round " + round);
            }
            assertTrue(listed > 10_000 && walked > 10_000, "queries on the list " + listed + ", walked " + walked);
            assertTrue(hits > 5_000, "queries that matched a prefix: " + hits);
        }
    }

    /** Program-side updates, deletes and lookups of a small IPv4 trie (its prefix list rewritten in place) allocate nothing. */
    @Test
    void smallIpv4TrieAllocatesNothing() {
        AllocationCounter mx = new AllocationCounter();
        Rcu rcu = new Rcu(1);
        int w = rcu.register();
        try (Arena a = Arena.ofConfined();
                BpfMap m = Maps.create(new MapDefinition("lpm_za4", MapType.LPM_TRIE, 8, 8, 16, NO_PREALLOC), 1, rcu)) {
            MemorySegment key = a.allocate(8, 8);
            MemorySegment val = a.allocate(8, 8);
            ValueLayout.OfInt be32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
            long sum = 0;
            for (int round = 0; round < 2; round++) {
                long before = mx.allocatedBytes();
                for (int i = 0; i < 200_000; i++) {
                    int addr = 0xc6120000 | ((i >> 3) & 15) << 8;
                    key.set(be32, 4, addr);
                    if ((i & 7) == 0) {
                        key.set(ValueLayout.JAVA_INT, 0, 24);
                        val.set(ValueLayout.JAVA_LONG, 0, i);
                        m.update(key.address(), val.address(), MapFlags.BPF_ANY, 0);
                    } else if ((i & 7) == 1 && ((i >> 3) & 1) == 0) {
                        key.set(ValueLayout.JAVA_INT, 0, 24);
                        m.delete(key.address(), 0);
                    } else {
                        key.set(ValueLayout.JAVA_INT, 0, 32);
                        long v = m.lookup(key.address(), 0);
                        sum += v == 0 ? 0 : Native.getLong(v) + 1;
                    }
                    if ((i & 15) == 0) {
                        rcu.quiescent(w);
                    }
                }
                long grew = mx.allocatedBytes() - before;
                if (round == 1) {
                    assertTrue(grew < 4096, "200000 LPM operations allocated " + grew + " bytes");
                }
            }
            assertTrue(sum > 0);
            assertTrue(((LpmTrie) m).prefixListActive());
        }
    }

    @Test
    void programSideAllocatesNothing() {
        AllocationCounter mx = new AllocationCounter();
        Rcu rcu = new Rcu(1);
        int w = rcu.register();
        try (Arena a = Arena.ofConfined();
                BpfMap m = Maps.create(new MapDefinition("lpm_za", MapType.LPM_TRIE, 20, 8, 4096, NO_PREALLOC), 1, rcu)) {
            MemorySegment key = a.allocate(20, 8);
            MemorySegment val = a.allocate(8, 8);
            Random rnd = new Random(5);
            long[] addrs = new long[1024];
            for (int i = 0; i < addrs.length; i++) {
                addrs[i] = rnd.nextLong();
            }
            long sum = 0;
            for (int round = 0; round < 2; round++) {
                long before = mx.allocatedBytes();
                for (int i = 0; i < 400_000; i++) {
                    // groups of 8: insert a prefix of the group's address, maybe delete it, look it up
                    key.set(ValueLayout.JAVA_LONG_UNALIGNED, 4, addrs[(i >> 3) & 1023]);
                    key.set(ValueLayout.JAVA_LONG_UNALIGNED, 12, 0L);
                    int plen = 48 + ((i >> 3) & 63);
                    if ((i & 7) == 0) {
                        key.set(ValueLayout.JAVA_INT, 0, plen);
                        val.set(ValueLayout.JAVA_LONG, 0, i);
                        m.update(key.address(), val.address(), MapFlags.BPF_ANY, 0);
                    } else if ((i & 7) == 1 && ((i >> 3) & 1) == 0) {
                        key.set(ValueLayout.JAVA_INT, 0, plen);
                        m.delete(key.address(), 0);
                    } else {
                        key.set(ValueLayout.JAVA_INT, 0, 128);
                        long v = m.lookup(key.address(), 0);
                        sum += v == 0 ? 0 : Native.getLong(v) + 1;
                    }
                    if ((i & 15) == 0) {
                        rcu.quiescent(w);
                    }
                }
                long grew = mx.allocatedBytes() - before;
                if (round == 1) { // round 0 warmed up the JIT
                    assertTrue(grew < 4096, "400000 LPM operations allocated " + grew + " bytes");
                }
            }
            assertTrue(sum > 0);
        }
    }

    // ------------------------------------------------------------------ keys

    /** Random prefixes drawn from a small alphabet so that prefixes nest and share paths. */
    static byte[] randomKey(Random rnd, int dataSize) {
        byte[] k = new byte[4 + dataSize];
        int max = dataSize * 8;
        int plen = rnd.nextInt(20) == 0 ? max + 1 + rnd.nextInt(3) : rnd.nextInt(max + 1);
        ByteBuffer.wrap(k).order(ByteOrder.nativeOrder()).putInt(0, plen);
        byte[] alphabet = {0x0a, 0x0b, (byte) 0xc0, (byte) 0x80, 0x00, (byte) 0xff};
        for (int i = 0; i < dataSize; i++) {
            k[4 + i] = i < 2 || rnd.nextInt(3) > 0 ? alphabet[rnd.nextInt(i < 2 ? 3 : alphabet.length)] : (byte) rnd.nextInt();
        }
        return k;
    }

    private static byte[] anyStored(BpfMap m, Random rnd) {
        Optional<byte[]> k = m.getNextKey(null);
        int steps = rnd.nextInt(8);
        for (int i = 0; i < steps && k.isPresent(); i++) {
            Optional<byte[]> n = m.getNextKey(k.get());
            if (n.isEmpty()) {
                break;
            }
            k = n;
        }
        return k.orElse(null);
    }

    private static int plen(byte[] k) {
        return ByteBuffer.wrap(k).order(ByteOrder.nativeOrder()).getInt(0);
    }

    /** Whether prefix {@code p} contains the first plen(p) bits of {@code addr}. */
    private static boolean covers(byte[] p, byte[] addr) {
        int n = plen(p);
        if (n > (p.length - 4) * 8) {
            return false;
        }
        for (int b = 0; b < n; b++) {
            int i = 4 + b / 8;
            int mask = 0x80 >>> (b % 8);
            if ((p[i] & mask) != (addr[i] & mask)) {
                return false;
            }
        }
        return true;
    }

    private static boolean samePrefix(byte[] a, byte[] b) {
        return plen(a) == plen(b) && covers(a, b);
    }

    private static String show(byte[] k) {
        StringBuilder sb = new StringBuilder().append(plen(k)).append(':');
        for (int i = 4; i < k.length; i++) {
            sb.append(String.format("%02x", k[i] & 0xff));
        }
        return sb.toString();
    }

    static byte[] le32(int v) {
        return MapConcurrencyTest.le32(v);
    }

    static byte[] le64(long v) {
        return MapConcurrencyTest.le64(v);
    }

    private interface Op {
        void run();
    }

    private static long rc(Op op) {
        try {
            op.run();
            return 0;
        } catch (MapException e) {
            return -e.errno();
        }
    }
}
