package io.jxdp.ebpf.map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Large maps cost resident memory only for the pages that are touched (anonymous mmap). Bounds
 * leave room for the JVM's own concurrent growth (JIT, heap) and stay far below the maps' sizes:
 * 268 MB for the array, about 3 GB for the three others.
 */
class MapMemoryTest {
    @Test
    void katranSizedArrayCostsAlmostNothingUntilTouched() throws Exception {
        int entries = 512 * 65537; // Katran's consistent-hash ring: 134 MB of u32 (268 MB at 8-byte slots)
        long before = residentKb();
        try (Arena a = Arena.ofConfined(); BpfMap m = Maps.create(MapDefinition.of("ch_rings", MapType.ARRAY, 4, 4, entries), 2)) {
            long created = residentKb();
            assertTrue(created - before < 32 * 1024, "creating grew RSS by " + (created - before) + " KiB");
            MemorySegment key = a.allocate(4, 8);
            MemorySegment val = a.allocate(4, 8);
            // Touch 100 entries spread over the whole array: at most 100 pages become resident.
            for (int i = 0; i < 100; i++) {
                int index = (int) ((long) i * (entries - 1) / 99);
                key.set(ValueLayout.JAVA_INT, 0, index);
                val.set(ValueLayout.JAVA_INT, 0, i + 1);
                assertEquals(0, m.update(key.address(), val.address(), 0, 0));
            }
            long touched = residentKb();
            assertTrue(touched - before < 48 * 1024, "100 updates grew RSS by " + (touched - before) + " KiB");
            key.set(ValueLayout.JAVA_INT, 0, entries - 1);
            assertEquals(100, Native.getInt(m.lookup(key.address(), 0)));
        }
    }

    @Test
    void largeHashAndPerCpuMapsAreLazyToo() throws Exception {
        long before = residentKb();
        try (BpfMap h = Maps.create(MapDefinition.of("flows", MapType.HASH, 16, 64, 2_000_000), 2);
                BpfMap p = Maps.create(MapDefinition.of("stats", MapType.PERCPU_HASH, 8, 64, 1_000_000), 8);
                BpfMap pa = Maps.create(MapDefinition.of("cnt", MapType.PERCPU_ARRAY, 4, 256, 1_000_000), 8)) {
            long grew = residentKb() - before;
            assertTrue(grew < 48 * 1024, "creating ~3 GB of maps grew RSS by " + grew + " KiB");
            for (int i = 0; i < 1000; i++) {
                byte[] k = new byte[16];
                k[0] = (byte) i;
                k[1] = (byte) (i >> 8);
                h.update(k, new byte[64], MapFlags.BPF_ANY);
            }
            grew = residentKb() - before;
            assertTrue(grew < 64 * 1024, "1000 hash inserts grew RSS by " + grew + " KiB");
        }
    }

    static long residentKb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
