package io.jxdp.ebpf.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.kernel.KernelXdpEngine;
import io.jxdp.ebpf.map.MapException;
import io.jxdp.ebpf.xdp.InterpreterXdpEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link MapSpec#setMaxEntries} sizes a map before load, as libbpf's bpf_map__set_max_entries: the
 * firewall's 16-entry deny list takes 2,000 prefixes once resized, in jxdp and in the kernel, and
 * refuses the 17th without it; bad sizes are refused with the map's name.
 */
class MapResizeTest {
    private static Path firewall() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path o = p.resolve("programs/obj/xdp_firewall.o");
            if (Files.isRegularFile(o)) {
                return o;
            }
        }
        throw new IllegalStateException("programs/obj/xdp_firewall.o not found above the working directory");
    }

    private static MapSpec deny4(BpfObject obj) {
        return obj.maps().stream().filter(m -> m.name().equals("deny4")).findFirst().orElseThrow();
    }

    private static byte[] prefix(int i) {
        // {prefixlen = 32, addr = 10.x.y.z}: distinct /32s
        return new byte[] {32, 0, 0, 0, 10, (byte) (i >> 16), (byte) (i >> 8), (byte) i};
    }

    private static void fill(XdpEngine e, int n) {
        for (int i = 0; i < n; i++) {
            e.updateMap("deny4", prefix(i), List.of(new byte[] {1, 0, 0, 0}));
        }
    }

    @Test
    void aResizedMapTakesMoreEntriesInJxdpAndInTheKernel() throws Exception {
        BpfObject obj = BpfObjectLoader.load(firewall());
        assertEquals(16, deny4(obj).maxEntries());
        deny4(obj).setMaxEntries(2_000);
        try (XdpEngine j = InterpreterXdpEngine.create(obj, "xdp_firewall");
             XdpEngine k = KernelXdpEngine.load(obj, "xdp_firewall")) {
            fill(j, 2_000);
            fill(k, 2_000);
            assertEquals(2_000, j.dumpMap("deny4").size());
            assertEquals(2_000, k.dumpMap("deny4").size());
        }
    }

    @Test
    void withoutResizeThe17thPrefixIsRefused() throws Exception {
        BpfObject obj = BpfObjectLoader.load(firewall());
        try (XdpEngine j = InterpreterXdpEngine.create(obj, "xdp_firewall")) {
            fill(j, 16);
            RuntimeException e = assertThrows(RuntimeException.class, () -> fill(j, 17));
            assertTrue(e instanceof MapException || e instanceof EngineException, e.toString());
            assertTrue(e.getMessage().contains("deny4"), e.getMessage());
        }
    }

    @Test
    void badSizesAreRefusedNamingTheMap() throws Exception {
        BpfObject obj = BpfObjectLoader.load(firewall());
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> deny4(obj).setMaxEntries(0));
        assertTrue(zero.getMessage().contains("deny4"), zero.getMessage());
        assertThrows(IllegalArgumentException.class, () -> deny4(obj).setMaxEntries(1L << 32));
        assertEquals(16, deny4(obj).maxEntries(), "a refused size leaves the map as it was");
    }
}
