package io.jxdp.ebpf.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.MapEntry;
import io.jxdp.ebpf.engine.XdpAction;
import io.jxdp.ebpf.engine.XdpResult;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.loader.MapReloc;
import io.jxdp.ffi.bpf.Bpf;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The kernel engine against this machine's kernel (needs root, as every bpf(2) test here). */
class KernelXdpEngineTest {
    /** The committed corpus objects (surefire runs in dataplane/). */
    static final Path PROGRAMS = Path.of("..", "programs", "obj");

    static BpfObject corpus(String file) throws Exception {
        return BpfObjectLoader.load(PROGRAMS.resolve(file));
    }

    static BpfObject fixture(String resource) throws Exception {
        try (InputStream in = KernelXdpEngineTest.class.getResourceAsStream(resource)) {
            return BpfObjectLoader.load(resource.substring(resource.lastIndexOf('/') + 1), in.readAllBytes());
        }
    }

    static byte[] frame(int length, long seed) {
        byte[] f = new byte[length];
        new Random(seed).nextBytes(f);
        if (length >= 14) {
            f[12] = 0x08; // IPv4 EtherType; the rest is noise
            f[13] = 0x00;
        }
        return f;
    }

    @Test
    void passReturnsTheFrameUnchanged() throws Exception {
        try (KernelXdpEngine e = KernelXdpEngine.load(corpus("xdp_pass.o"), "xdp_pass")) {
            assertEquals("kernel", e.name());
            assertEquals(Bpf.numPossibleCpus(), e.cpus());
            for (int len : new int[] {14, 60, 1500}) {
                byte[] f = frame(len, len);
                XdpResult r = e.run(f, 1);
                assertEquals(XdpAction.PASS, r.action());
                assertArrayEquals(f, r.output(), "length " + len);
            }
        }
    }

    @Test
    void txSwapsMacsAndRepeatsRunOnTheSameBuffer() throws Exception {
        try (KernelXdpEngine e = KernelXdpEngine.load(corpus("xdp_tx.o"), "xdp_tx")) {
            byte[] f = frame(64, 7);
            XdpResult r = e.run(f, 1);
            assertEquals(XdpAction.TX, r.action());
            // the kernel repeats on the same buffer (bpf_test_run, net/bpf/test_run.c): two swaps undo each other
            assertArrayEquals(f, e.run(f, 2).output());
            assertArrayEquals(r.output(), e.run(f, 3).output());
            assertArrayEquals(Arrays.copyOfRange(f, 0, 6), Arrays.copyOfRange(r.output(), 6, 12));
            assertArrayEquals(Arrays.copyOfRange(f, 6, 12), Arrays.copyOfRange(r.output(), 0, 6));
            assertArrayEquals(Arrays.copyOfRange(f, 12, 64), Arrays.copyOfRange(r.output(), 12, 64));
        }
    }

    @Test
    void framesShorterThanEthHlenAreEinval() throws Exception {
        try (KernelXdpEngine e = KernelXdpEngine.load(corpus("xdp_parser.o"), "xdp_parser")) {
            List<MapEntry> before = e.dumpMap("proto_count");
            for (int len : new int[] {0, 1, 10, 13}) {
                EngineException ex = assertThrows(EngineException.class, () -> e.run(new byte[len], 1));
                assertTrue(ex.getMessage().startsWith("EINVAL"), ex.getMessage());
            }
            assertEntriesEqual(before, e.dumpMap("proto_count"));
            assertThrows(EngineException.class, () -> e.run(frame(60, 1), 0));
        }
    }

    @Test
    void globalDataMapsUseSectionNamesRodataIsFrozenDataIsWritable() throws Exception {
        BpfObject obj = corpus("xdp_config.o");
        try (KernelXdpEngine e = KernelXdpEngine.load(obj, "xdp_config")) {
            assertTrue(e.mapNames().containsAll(List.of(".rodata", ".data", ".bss")), e.mapNames().toString());
            List<MapEntry> ro = e.dumpMap(".rodata");
            assertEquals(1, ro.size());
            assertArrayEquals(new byte[4], ro.get(0).key());
            assertArrayEquals(obj.map("xdp_conf.rodata").orElseThrow().initialData().orElseThrow(), ro.get(0).values().get(0));
            byte[] roValue = ro.get(0).values().get(0);
            EngineException frozen = assertThrows(EngineException.class,
                    () -> e.updateMap(".rodata", new byte[4], List.of(roValue)));
            assertTrue(frozen.getMessage().contains("EPERM"), frozen.getMessage());

            byte[] data = e.dumpMap(".data").get(0).values().get(0).clone();
            data[0] ^= 0x55;
            e.updateMap(".data", new byte[4], List.of(data));
            assertArrayEquals(data, e.dumpMap(".data").get(0).values().get(0));
        }
    }

    @Test
    void mapValueRelocationsReachTheRightBytes() throws Exception {
        BpfObject obj = fixture("/kernel/reject.o");
        try (KernelXdpEngine e = KernelXdpEngine.load(obj, "xdp_globals")) {
            assertEquals(XdpAction.PASS, e.run(frame(60, 3), 1).action());
            assertEquals(XdpAction.PASS, e.run(frame(60, 4), 5).action());
            assertEquals(6, le64(e.dumpMap(".bss").get(0).values().get(0), 0));
        }
        obj.setGlobal("verdict", le32(XdpAction.DROP));
        try (KernelXdpEngine e = KernelXdpEngine.load(obj, "xdp_globals")) {
            assertEquals(XdpAction.DROP, e.run(frame(60, 3), 1).action());
        }
    }

    @Test
    void perCpuValuesAreSplitAndTheRunLandsOnCpu0() throws Exception {
        try (KernelXdpEngine e = KernelXdpEngine.load(corpus("xdp_stats.o"), "xdp_stats")) {
            java.util.BitSet before = io.jxdp.ffi.affinity.Affinity.currentThread();
            XdpResult r = e.run(frame(100, 9), 1);
            assertEquals(XdpAction.PASS, r.action());
            assertEquals(before, io.jxdp.ffi.affinity.Affinity.currentThread(), "affinity restored after the run");
            List<MapEntry> stats = e.dumpMap("stats");
            long packetsCpu0 = 0;
            long packetsOthers = 0;
            for (MapEntry m : stats) {
                assertEquals(e.cpus(), m.values().size());
                for (int c = 0; c < e.cpus(); c++) {
                    assertEquals(24, m.values().get(c).length);
                    long p = le64(m.values().get(c), 0);
                    if (c == 0) {
                        packetsCpu0 += p;
                    } else {
                        packetsOthers += p;
                    }
                }
            }
            assertEquals(1, packetsCpu0);
            assertEquals(0, packetsOthers);
        }
    }

    @Test
    void perCpuUpdateTakesOneValuePerCpu() throws Exception {
        try (KernelXdpEngine e = KernelXdpEngine.load(corpus("xdp_flow_counter.o"), "xdp_flow_counter")) {
            byte[] key = le32(17);
            List<byte[]> values = new ArrayList<>();
            for (int c = 0; c < e.cpus(); c++) {
                values.add(new byte[16]);
                values.get(c)[0] = (byte) (c + 1);
            }
            e.updateMap("proto_stats", key, values);
            List<MapEntry> dump = e.dumpMap("proto_stats");
            assertEquals(1, dump.size());
            for (int c = 0; c < e.cpus(); c++) {
                assertArrayEquals(values.get(c), dump.get(0).values().get(c));
            }
            EngineException few = assertThrows(EngineException.class,
                    () -> e.updateMap("proto_stats", key, List.of(new byte[16])));
            assertTrue(few.getMessage().contains("one per possible CPU"), few.getMessage());
            EngineException size = assertThrows(EngineException.class,
                    () -> e.updateMap("blocklist", le32(1), List.of(new byte[8])));
            assertTrue(size.getMessage().contains("values have 4"), size.getMessage());
            EngineException keySize = assertThrows(EngineException.class,
                    () -> e.updateMap("blocklist", new byte[3], List.of(new byte[4])));
            assertTrue(keySize.getMessage().contains("keys have 4"), keySize.getMessage());
            EngineException none = assertThrows(EngineException.class, () -> e.dumpMap("nosuch"));
            assertTrue(none.getMessage().contains("no map 'nosuch'"), none.getMessage());
        }
    }

    @Test
    void hashDumpListsEveryEntry() throws Exception {
        BpfObject obj = corpus("xdp_flow_counter.o");
        long max = obj.map("blocklist").orElseThrow().maxEntries();
        try (KernelXdpEngine e = KernelXdpEngine.load(obj, "xdp_flow_counter")) {
            Random rnd = new Random(42);
            List<byte[]> keys = new ArrayList<>();
            for (int i = 0; i < Math.min(50, max); i++) {
                byte[] k = new byte[4];
                rnd.nextBytes(k);
                keys.add(k);
                e.updateMap("blocklist", k, List.of(le32(i)));
            }
            List<MapEntry> dump = e.dumpMap("blocklist");
            assertEquals(keys.stream().map(Arrays::toString).distinct().count(), dump.size());
            for (MapEntry m : dump) {
                assertTrue(keys.stream().anyMatch(k -> Arrays.equals(k, m.key())));
            }
        }
    }

    @Test
    void verifierRejectionCarriesTheLog() throws Exception {
        EngineException ex = assertThrows(EngineException.class,
                () -> KernelXdpEngine.load(fixture("/kernel/reject.o"), "xdp_unchecked"));
        assertTrue(ex.getMessage().contains("xdp_unchecked"), ex.getMessage());
        assertTrue(ex.getMessage().contains("invalid access to packet"), ex.getMessage());
    }

    @Test
    void unknownProgramsAreRefusedByName() throws Exception {
        EngineException none = assertThrows(EngineException.class,
                () -> KernelXdpEngine.load(corpus("xdp_pass.o"), "nope"));
        assertTrue(none.getMessage().contains("no program 'nope'"), none.getMessage());
    }

    @Test
    void mapInMapIsBuiltWithItsStaticSlots() throws Exception {
        BpfObject mim = fixture("/elf/mapinmap.o");
        try (KernelXdpEngine e = KernelXdpEngine.load(mim, mim.programs().get(0).name())) {
            // outer[1] = inner_b (static slot): inner_b[0] = 2 makes the program return XDP_PASS
            assertEquals(XdpAction.ABORTED, e.run(frame(60, 1), 1).action(), "inner_b[0] is 0");
            e.updateMap("inner_b", new byte[4], List.of(new byte[] {2, 0, 0, 0}));
            assertEquals(XdpAction.PASS, e.run(frame(60, 1), 1).action(), "the slot holds inner_b");
            assertEquals(2, e.dumpMap("outer").size(), "slots 1 and 3 are set");
        }
    }

    @Test
    void closedEngineRefusesAndCloseIsIdempotent() throws Exception {
        KernelXdpEngine e = KernelXdpEngine.load(corpus("xdp_pass.o"), "xdp_pass");
        e.close();
        assertDoesNotThrow(e::close);
        assertThrows(EngineException.class, () -> e.run(frame(60, 1), 1));
        assertThrows(EngineException.class, () -> e.dumpMap(".bss"));
    }

    @Test
    void patchWritesFdAndOffsetIntoTheLdImm64Pair() {
        // r1 = 0 ll (src_reg already 2 from the loader) followed by exit
        long[] insns = {0x0000_0000_0000_2118L, 0x0000_0007_0000_0000L, 0x95L};
        KernelXdpEngine.patch(insns, new MapReloc(0, 1, MapReloc.Kind.MAP_VALUE, 12), new int[] {5, 42}, "p");
        assertEquals(0x18, insns[0] & 0xff);
        assertEquals(1, (insns[0] >>> 8) & 0xf, "dst_reg kept");
        assertEquals(KernelXdpEngine.BPF_PSEUDO_MAP_VALUE, (insns[0] >>> 12) & 0xf);
        assertEquals(42, insns[0] >>> 32);
        assertEquals(12, insns[1] >>> 32);
        long[] fd = {0x0000_0000_0000_1218L, 0L, 0x95L};
        KernelXdpEngine.patch(fd, new MapReloc(0, 0, MapReloc.Kind.MAP_FD, 0), new int[] {9}, "p");
        assertEquals(KernelXdpEngine.BPF_PSEUDO_MAP_FD, (fd[0] >>> 12) & 0xf);
        assertEquals(2, (fd[0] >>> 8) & 0xf);
        assertEquals(9, fd[0] >>> 32);
        assertThrows(EngineException.class,
                () -> KernelXdpEngine.patch(new long[] {0x95L, 0L}, new MapReloc(0, 0, MapReloc.Kind.MAP_FD, 0),
                        new int[] {9}, "p"));
        assertThrows(EngineException.class,
                () -> KernelXdpEngine.patch(fd.clone(), new MapReloc(0, 3, MapReloc.Kind.MAP_FD, 0), new int[] {9}, "p"));
    }

    static void assertEntriesEqual(List<MapEntry> a, List<MapEntry> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).key(), b.get(i).key());
            for (int c = 0; c < a.get(i).values().size(); c++) {
                assertArrayEquals(a.get(i).values().get(c), b.get(i).values().get(c));
            }
        }
    }

    static long le64(byte[] b, int off) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(off);
    }

    static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }
}
