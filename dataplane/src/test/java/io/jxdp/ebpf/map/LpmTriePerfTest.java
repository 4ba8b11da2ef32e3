package io.jxdp.ebpf.map;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A million IPv4 prefixes (/8 to /32, random) and program-side lookups of random addresses: prints
 * ns per lookup for the perf notes and fails only if a lookup is slower than a generous bound (a
 * binary trie walk is at most 33 nodes, each likely a cache miss at this size). Not a benchmark
 * harness: JIT warm-up is one pass, and shared CI cores inflate the figure.
 */
class LpmTriePerfTest {
    private static final int PREFIXES = 1_000_000;
    private static final int LOOKUPS = 1_000_000;
    private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    @Test
    void millionPrefixLookups() {
        Random rnd = new Random(1);
        try (Arena a = Arena.ofConfined(); BpfMap m = Maps.create(new MapDefinition("lpm_1m", MapType.LPM_TRIE, 8, 8,
                PREFIXES, MapFlags.BPF_F_NO_PREALLOC), 1)) {
            MemorySegment key = a.allocate(8, 8);
            MemorySegment val = a.allocate(8, 8);
            long t0 = System.nanoTime();
            int stored = 0;
            for (int i = 0; i < PREFIXES; i++) {
                int plen = 8 + rnd.nextInt(25);
                key.set(ValueLayout.JAVA_INT, 0, plen);
                key.set(BE32, 4, rnd.nextInt() & (-1 << (32 - plen)));
                val.set(ValueLayout.JAVA_LONG, 0, i);
                if (m.update(key.address(), val.address(), MapFlags.BPF_ANY, 0) == 0) {
                    stored++;
                }
            }
            long insertNs = System.nanoTime() - t0;
            key.set(ValueLayout.JAVA_INT, 0, 32);
            long found = 0;
            long ns = 0;
            for (int pass = 0; pass < 2; pass++) {
                long start = System.nanoTime();
                for (int i = 0; i < LOOKUPS; i++) {
                    key.set(BE32, 4, rnd.nextInt());
                    if (m.lookup(key.address(), 0) != 0) {
                        found++;
                    }
                }
                ns = System.nanoTime() - start;
            }
            double perLookup = (double) ns / LOOKUPS;
            System.out.printf("LPM_TRIE %d prefixes (%d distinct): insert %.0f ns/prefix, lookup %.1f ns (found %d)%n",
                    PREFIXES, stored, (double) insertNs / PREFIXES, perLookup, found);
            assertTrue(stored > PREFIXES / 2, "stored " + stored);
            assertTrue(found > 0);
            assertTrue(perLookup < 50_000, "lookup took " + perLookup + " ns");
        }
    }
}
