package io.jxdp.ebpf.map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * HashTab's lookup index (what program-side lookups and the JIT's generated lookups walk) holds
 * exactly the elements of the kernel-ordered buckets: after every operation of a seeded random
 * sequence (program-side and user-side updates with every flag, deletes, lookup-and-delete, LRU
 * evictions, per-CPU in-place updates), every key of the sequence's universe is found through the
 * index at the same element as through its jhash bucket, or through neither. Small maps put many
 * keys in one chain of both; key sizes cover every piece shape of the index hash (8-byte words and
 * 4-, 2-, 1-byte tails).
 */
class HashIndexTest {
    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        for (MapType type : new MapType[] {MapType.HASH, MapType.PERCPU_HASH, MapType.LRU_HASH, MapType.LRU_PERCPU_HASH}) {
            for (int keySize : new int[] {1, 2, 3, 4, 5, 7, 8, 12, 16, 40, 64}) {
                out.add(Arguments.of(type, keySize, keySize == 1 ? 4 : 2));
                out.add(Arguments.of(type, keySize, 48));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} key {1} max {2}")
    @MethodSource("shapes")
    void indexFindsWhatTheBucketsHold(MapType type, int keySize, int max) {
        Random rnd = new Random(type.ordinal() * 10_000L + keySize * 100L + max);
        int nCpus = 2;
        try (Arena a = Arena.ofConfined();
                BpfMap m = Maps.create(new MapDefinition("idx", type, keySize, 8, max, 0), nCpus)) {
            HashTab t = (HashTab) m;
            // keys from a small alphabet, so that they share words and differ in single pieces
            byte[][] keys = new byte[Math.min(3 * max, keySize == 1 ? 8 : 3 * max)][];
            byte[] alphabet = {0, 1, (byte) 0x80, (byte) 0xff};
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (int i = 0; i < keys.length; ) {
                byte[] key = new byte[keySize];
                for (int j = 0; j < keySize; j++) {
                    key[j] = rnd.nextInt(4) == 0 ? (byte) rnd.nextInt() : alphabet[rnd.nextInt(alphabet.length)];
                }
                if (seen.add(java.util.HexFormat.of().formatHex(key))) {
                    keys[i++] = key;
                }
            }
            MemorySegment k = a.allocate(keySize, 8);
            MemorySegment v = a.allocate(8L * nCpus, 8);
            long found = 0;
            for (int op = 0; op < 1500; op++) {
                byte[] key = keys[rnd.nextInt(keys.length)];
                MemorySegment.copy(key, 0, k, ValueLayout.JAVA_BYTE, 0, keySize);
                v.set(ValueLayout.JAVA_LONG, 0, op);
                int cpu = rnd.nextInt(nCpus);
                switch (rnd.nextInt(6)) {
                    case 0, 1, 2 -> m.update(k.address(), v.address(), rnd.nextInt(3), cpu);
                    case 3 -> m.delete(k.address(), cpu);
                    case 4 -> {
                        byte[] val = new byte[type.perCpu() ? 8 * nCpus : 8];
                        try {
                            m.update(key, val, rnd.nextInt(3));
                        } catch (MapException e) {
                            // EEXIST / ENOENT / E2BIG: the flags said no, as in the kernel
                        }
                    }
                    default -> m.lookupAndDelete(key);
                }
                long live = 0;
                for (byte[] q : keys) {
                    MemorySegment.copy(q, 0, k, ValueLayout.JAVA_BYTE, 0, keySize);
                    long byBucket = t.bucketFind(k.address());
                    assertEquals(byBucket, t.indexFind(k.address()), "op " + op + " key " + java.util.HexFormat.of().formatHex(q));
                    live += byBucket != 0 ? 1 : 0;
                }
                assertEquals(t.count(), live, "op " + op + ": live elements");
                found += live;
            }
            assertTrue(found > 1000, "keys present over the sequence: " + found);
        }
    }
}
