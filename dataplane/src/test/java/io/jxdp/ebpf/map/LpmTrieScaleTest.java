package io.jxdp.ebpf.map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A million IPv4 prefixes (/8 to /32, seeded random) in one LPM_TRIE, and program-side lookups of
 * random addresses checked against a brute-force longest-prefix match over a hash map per length.
 * Correctness at the size issue 4 names; the speed at that size is measured by
 * perf's {@code LpmBenchmark} (against the kernel's trie), not here.
 */
class LpmTrieScaleTest {
    private static final int PREFIXES = 1_000_000;
    private static final int LOOKUPS = 200_000;
    private static final ValueLayout.OfInt BE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    @Test
    void millionPrefixesAnswerAsTheBruteForceModel() {
        Random rnd = new Random(1);
        Map<Long, Long> model = new HashMap<>(2 * PREFIXES);
        try (Arena a = Arena.ofConfined(); BpfMap m = Maps.create(new MapDefinition("lpm_1m", MapType.LPM_TRIE, 8, 8,
                PREFIXES, MapFlags.BPF_F_NO_PREALLOC), 1)) {
            MemorySegment key = a.allocate(8, 8);
            MemorySegment val = a.allocate(8, 8);
            for (int i = 0; i < PREFIXES; i++) {
                int plen = 8 + rnd.nextInt(25);
                int addr = rnd.nextInt() & (-1 << (32 - plen));
                key.set(ValueLayout.JAVA_INT, 0, plen);
                key.set(BE32, 4, addr);
                val.set(ValueLayout.JAVA_LONG, 0, i);
                assertEquals(0, m.update(key.address(), val.address(), MapFlags.BPF_ANY, 0), "insert " + i);
                model.put(((long) plen << 32) | (addr & 0xffff_ffffL), (long) i);
            }
            key.set(ValueLayout.JAVA_INT, 0, 32);
            int found = 0;
            for (int i = 0; i < LOOKUPS; i++) {
                int addr = rnd.nextInt();
                key.set(BE32, 4, addr);
                long v = m.lookup(key.address(), 0);
                Long want = null;
                for (int plen = 32; plen >= 8 && want == null; plen--) {
                    want = model.get(((long) plen << 32) | (addr & (-1 << (32 - plen)) & 0xffff_ffffL));
                }
                if (want == null) {
                    assertEquals(0, v, "address " + Integer.toUnsignedString(addr) + " matches no prefix");
                } else {
                    assertTrue(v != 0, "address " + Integer.toUnsignedString(addr) + " should match");
                    assertEquals(want.longValue(), MemorySegment.ofAddress(v).reinterpret(8).get(ValueLayout.JAVA_LONG, 0),
                            "longest prefix value for " + Integer.toUnsignedString(addr));
                    found++;
                }
            }
            assertTrue(found > LOOKUPS / 10, "found " + found); // /8-/15 prefixes cover much of the space
        }
    }
}
