package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.interp.MemoryRegions;
import io.jxdp.ebpf.map.BpfMap;
import io.jxdp.ebpf.map.MapDefinition;
import io.jxdp.ebpf.map.MapFlags;
import io.jxdp.ebpf.map.MapType;
import io.jxdp.ebpf.map.Maps;
import io.jxdp.ffi.sys.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The map helpers on an XdpContext: handles, checked pointers, value regions, read-only maps. */
class MapHelpersTest {
    @Test
    void handlesDecodeToTheirMapAndAnythingElseFaults() {
        try (Arena a = Arena.ofConfined();
                BpfMap hash = Maps.create(MapDefinition.of("h", MapType.HASH, 4, 8, 4), 1);
                BpfMap ro = Maps.create(new MapDefinition("ro", MapType.ARRAY, 4, 8, 1, MapFlags.BPF_F_RDONLY_PROG), 1)) {
            XdpContext c = new XdpContext(a, new BpfMap[] {hash, ro});
            MemoryRegions regions = new MemoryRegions();
            MemorySegment stack = a.allocate(64, 8);
            c.checked(true, stack.address(), stack.address() + 64);
            c.regionLayout(regions, regions.add("packet", 0, 0, true), 1);
            c.regions(regions);
            long key = stack.address();
            long value = stack.address() + 8;
            stack.set(ValueLayout.JAVA_INT, 0, 7);
            stack.set(ValueLayout.JAVA_LONG, 8, 0x1122334455667788L);

            assertSame(hash, c.map("t", c.mapHandles));
            assertSame(ro, c.map("t", c.mapHandles + 8));
            for (long bad : new long[] {0, c.mapHandles - 8, c.mapHandles + 4, c.mapHandles + 16}) {
                HelperFault f = assertThrows(HelperFault.class, () -> c.mapLookup(bad, key));
                assertTrue(f.getMessage().contains("is not a map of this program"), f.getMessage());
            }

            assertEquals(0, c.mapLookup(c.mapHandles, key), "missing key");
            assertEquals(0, c.mapUpdate(c.mapHandles, key, value, MapFlags.BPF_NOEXIST));
            assertEquals(-Errno.EEXIST, c.mapUpdate(c.mapHandles, key, value, MapFlags.BPF_NOEXIST));
            long v = c.mapLookup(c.mapHandles, key);
            assertTrue(v != 0);
            assertEquals(0x1122334455667788L, MemorySegment.NULL.reinterpret(Long.MAX_VALUE).get(ValueLayout.JAVA_LONG_UNALIGNED, v));
            assertTrue(regions.allows(v, 8, true), "a looked-up value is writable for the program");
            int count = regions.count();
            c.mapLookup(c.mapHandles, key);
            assertEquals(count, regions.count(), "the same value is not added twice");

            long rv = c.mapLookup(c.mapHandles + 8, stack.address() + 32); // key 0 of the read-only array
            assertTrue(rv != 0 && regions.allows(rv, 8, false) && !regions.allows(rv, 8, true));
            assertEquals(-Errno.EPERM, c.mapUpdate(c.mapHandles + 8, stack.address() + 32, value, MapFlags.BPF_ANY));

            assertEquals(0, c.mapDelete(c.mapHandles, key));
            assertEquals(-Errno.ENOENT, c.mapDelete(c.mapHandles, key));

            HelperFault f = assertThrows(HelperFault.class, () -> c.mapLookup(c.mapHandles, 0x1000));
            assertTrue(f.getMessage().startsWith("bpf_map_lookup_elem: key 0x1000 (4 bytes)"), f.getMessage());
            c.beginRun();
            assertFalse(regions.allows(v, 8, false), "value regions end with the run");
        }
    }

    private static void assertSame(Object a, Object b) {
        org.junit.jupiter.api.Assertions.assertSame(a, b);
    }
}
