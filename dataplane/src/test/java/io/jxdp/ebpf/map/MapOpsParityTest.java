package io.jxdp.ebpf.map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Differential: the same seeded random sequence of user-side operations on a kernel map and a jxdp
 * map; every result code, value and next key must agree, and so must the final iteration order
 * (hash maps use BPF_F_ZERO_SEED so the kernel's bucket order is reproducible).
 */
class MapOpsParityTest {
    private static final int OPS = 3000;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (long seed : new long[] {1, 2, 3}) {
            out.add(Arguments.of(MapType.ARRAY, 4, 12, 16, seed));
            out.add(Arguments.of(MapType.PERCPU_ARRAY, 4, 12, 16, seed));
            out.add(Arguments.of(MapType.HASH, 6, 12, 16, seed));
            out.add(Arguments.of(MapType.HASH, 8, 16, 100, seed));
            out.add(Arguments.of(MapType.HASH, 4, 8, 8, seed));
            out.add(Arguments.of(MapType.PERCPU_HASH, 13, 4, 16, seed));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} key {1} value {2} max {3} seed {4}")
    @MethodSource("cases")
    void sameResultsAsKernel(MapType type, int keySize, int valueSize, int maxEntries, long seed) throws Exception {
        int nCpus = possibleCpus();
        int flags = type == MapType.HASH || type == MapType.PERCPU_HASH ? MapFlags.BPF_F_ZERO_SEED : 0;
        MapDefinition def = new MapDefinition("ops_parity", type, keySize, valueSize, maxEntries, flags);
        Random rnd = new Random(seed);
        boolean array = keySize == 4 && (type == MapType.ARRAY || type == MapType.PERCPU_ARRAY);
        int keySpace = maxEntries + maxEntries / 2 + 2; // some keys beyond capacity: E2BIG, missing keys
        try (KernelMap k = KernelMap.create(def); BpfMap j = Maps.create(def, nCpus)) {
            int vlen = j.userValueSize();
            for (int op = 0; op < OPS; op++) {
                byte[] key = key(rnd.nextInt(keySpace), keySize, array);
                String where = "op " + op + " seed " + seed;
                switch (rnd.nextInt(6)) {
                    case 5 -> {
                        byte[] kv = new byte[vlen];
                        long krc = k.lookupAndDelete(key, kv);
                        long jrc;
                        byte[] jv = null;
                        try {
                            Optional<byte[]> got = j.lookupAndDelete(key);
                            jrc = got.isPresent() ? 0 : -io.jxdp.ffi.sys.Errno.ENOENT;
                            jv = got.orElse(null);
                        } catch (MapException e) {
                            jrc = -e.errno();
                        }
                        assertEquals(krc, jrc, where + " lookup_and_delete");
                        if (krc == 0) {
                            assertArrayEquals(kv, jv, where + " lookup_and_delete value");
                        }
                    }
                    case 0, 1 -> {
                        byte[] v = new byte[vlen];
                        rnd.nextBytes(v);
                        long fl = rnd.nextInt(10) == 0 ? rnd.nextInt(8) : rnd.nextInt(3);
                        assertEquals(k.update(key, v, fl), rc(() -> j.update(key, v, fl)), where + " update flags " + fl);
                    }
                    case 2 -> assertEquals(k.delete(key), rc(() -> j.delete(key)), where + " delete");
                    case 3 -> {
                        byte[] kv = new byte[vlen];
                        long krc = k.lookup(key, kv);
                        Optional<byte[]> jv = j.lookup(key);
                        assertEquals(krc, jv.isPresent() ? 0 : -io.jxdp.ffi.sys.Errno.ENOENT, where + " lookup");
                        if (krc == 0) {
                            assertArrayEquals(kv, jv.get(), where + " lookup value");
                        }
                    }
                    default -> {
                        byte[] from = rnd.nextInt(4) == 0 ? null : key;
                        byte[] kn = new byte[keySize];
                        long krc = k.getNextKey(from, kn);
                        Optional<byte[]> jn = j.getNextKey(from);
                        assertEquals(krc, jn.isPresent() ? 0 : -io.jxdp.ffi.sys.Errno.ENOENT, where + " get_next_key");
                        if (krc == 0) {
                            assertArrayEquals(kn, jn.get(), where + " next key");
                        }
                    }
                }
            }
            // Whole iteration order.
            byte[] kc = null;
            Optional<byte[]> jc = j.getNextKey(null);
            int n = 0;
            while (true) {
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
        }
    }

    private static byte[] key(int i, int size, boolean array) {
        byte[] k = new byte[size];
        if (array) {
            k[0] = (byte) i;
            return k;
        }
        for (int b = 0; b < size; b++) {
            k[b] = (byte) (i * 31 + b * 7);
        }
        return k;
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

    /** num_possible_cpus(): per-CPU user-side values have one slot per possible CPU. */
    static int possibleCpus() throws Exception {
        String s = Files.readString(Path.of("/sys/devices/system/cpu/possible")).trim();
        int n = 0;
        for (String part : s.split(",")) {
            String[] r = part.split("-");
            n += r.length == 1 ? 1 : Integer.parseInt(r[1]) - Integer.parseInt(r[0]) + 1;
        }
        return n;
    }
}
