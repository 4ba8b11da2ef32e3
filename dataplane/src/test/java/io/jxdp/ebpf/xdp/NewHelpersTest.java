package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ebpf.interp.MemoryRegions;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.map.BpfMap;
import io.jxdp.ebpf.map.MapDefinition;
import io.jxdp.ebpf.map.MapType;
import io.jxdp.ebpf.map.Maps;
import io.jxdp.ebpf.map.RingBuf;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The helpers added for issue 4 where the kernel comparison (corpus xdp_loop / xdp_ringbuf,
 * TailCallRedirectTest) cannot reach: what user space consumes from the ring, faults for maps of
 * the wrong type and for values that are not callbacks, the callback frame limit, the clocks.
 */
class NewHelpersTest {
    private static final MemorySegment MEM = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    @Test
    void ringbufRecordsReachTheConsumerInOrderWithoutTheDiscardedOnes() throws Exception {
        Path obj = Corpus.root().resolve("obj/xdp_ringbuf.o");
        try (InterpreterXdpEngine e = InterpreterXdpEngine.create(BpfObjectLoader.load(obj), "xdp_ringbuf",
                Interpreter.Mode.CHECKED, 1)) {
            RingBuf rb = (RingBuf) e.map("events");
            Random rnd = new Random(42);
            for (int round = 0; round < 20; round++) {
                byte[] f = new byte[60 + rnd.nextInt(200)];
                rnd.nextBytes(f);
                f[0] = (byte) rnd.nextInt(4); // valid output flags
                f[1] = (byte) (round % 3 == 0 ? 1 : 0); // every third record discarded
                e.updateMap(".bss", new byte[4], List.of(new byte[4])); // keep recording rows
                assertEquals(2, e.run(f, 1).action(), "round " + round + ": reserve succeeds while consumed");
                List<byte[]> got = new ArrayList<>();
                rb.poll((addr, len) -> got.add(MEM.asSlice(addr, len).toArray(ValueLayout.JAVA_BYTE)), 10);
                assertEquals(f[1] == 1 ? 1 : 2, got.size(), "round " + round + ": output record, then the reserved one");
                assertEquals(java.util.HexFormat.of().formatHex(f, 0, 16), java.util.HexFormat.of().formatHex(got.get(0)));
                if (f[1] == 0) {
                    byte[] rec = got.get(1);
                    assertEquals(1000, rec.length);
                    assertEquals(f.length, (rec[0] & 0xff) | (rec[1] & 0xff) << 8, "frame length");
                    assertEquals(java.util.HexFormat.of().formatHex(f, 0, 8), java.util.HexFormat.of().formatHex(rec, 8, 16));
                }
                assertEquals(0, rb.available(), "all consumed");
            }
        }
    }

    @Test
    void perfEventSamplesReachTheConsumerWithTheFrameBytes() throws Exception {
        Path obj = Corpus.root().resolve("obj/xdp_perf.o");
        try (InterpreterXdpEngine e = InterpreterXdpEngine.create(BpfObjectLoader.load(obj), "xdp_perf",
                Interpreter.Mode.CHECKED, 1)) {
            io.jxdp.ebpf.map.PerfEventArray pa = (io.jxdp.ebpf.map.PerfEventArray) e.map("events");
            pa.open(0, 4096); // the run's CPU is 0: BPF_F_CURRENT_CPU and index 0 now reach a buffer
            byte[] f = new byte[42];
            new Random(7).nextBytes(f);
            assertEquals(2, e.run(f, 1).action());
            byte[] row = e.dumpMap("results").get(0).values().get(0);
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(row).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            long[] v = {b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong()};
            assertEquals("[0, -22, -7, -14, 0]", java.util.Arrays.toString(v), "opened: the two outputs succeed");
            List<byte[]> got = new ArrayList<>();
            pa.poll(0, (addr, len) -> got.add(MEM.asSlice(addr, len).toArray(ValueLayout.JAVA_BYTE)), 10);
            assertEquals(2, got.size());
            long sample = 0x1122334455667788L ^ f.length;
            assertEquals(sample, java.nio.ByteBuffer.wrap(got.get(0)).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong());
            byte[] second = got.get(1);
            assertEquals(java.util.HexFormat.of().formatHex(f),
                    java.util.HexFormat.of().formatHex(second, 8, 8 + f.length), "the frame follows the sample");
        }
    }

    @Test
    void helpersOnMapsOfTheWrongTypeFaultNamingTheMap() {
        try (Arena a = Arena.ofConfined();
                BpfMap hash = Maps.create(MapDefinition.of("h", MapType.HASH, 4, 8, 4), 1)) {
            XdpContext c = new XdpContext(a, new BpfMap[] {hash});
            MemorySegment stack = a.allocate(64, 8);
            c.checked(true, stack.address(), stack.address() + 64);
            MemoryRegions regions = new MemoryRegions();
            c.regionLayout(regions, regions.add("packet", 0, 0, true), 1);
            c.regions(regions);
            long h = c.mapHandles;
            long v = stack.address();
            for (Runnable r : new Runnable[] {
                () -> c.mapPush(h, v, 0), () -> c.mapPop(h, v), () -> c.mapPeek(h, v),
                () -> c.ringbufOutput(h, v, 8, 0), () -> c.ringbufReserve(h, 8, 0), () -> c.ringbufQuery(h, 0),
                () -> c.redirectMap(h, 0, 0), () -> c.tailCall(0, h, 0), () -> c.perfEventOutput(h, 0, v, 8)}) {
                HelperFault f = assertThrows(HelperFault.class, r::run);
                assertTrue(f.getMessage().contains("'h'") && f.getMessage().contains("BPF_MAP_TYPE_HASH"), f.getMessage());
            }
            HelperFault f = assertThrows(HelperFault.class, () -> c.loop(1, 0x1234, 0, 0));
            assertTrue(f.getMessage().contains("bpf_loop") && f.getMessage().contains("not a callback"), f.getMessage());
            f = assertThrows(HelperFault.class, () -> c.forEachMapElem(h, Callbacks.encode(3), 0, 0));
            assertTrue(f.getMessage().contains("not a callback"), "no interpreter: " + f.getMessage());
            f = assertThrows(HelperFault.class, () -> c.ringbufCommit(0, 0, false));
            assertTrue(f.getMessage().contains("NULL"), f.getMessage());
        }
    }

    @ParameterizedTest(name = "callback nesting {0}")
    @ValueSource(ints = {1, 6, 7, 8})
    void callbacksCountAgainstTheFrameLimit(int depth) {
        // main: r6 = depth; call sub. sub(r1 = level): if level == depth: r0 = 0 exit;
        // else bpf_loop(1, sub, ctx = level + 1, 0) with the callback reading ctx as its level.
        // Frames: main + one per nested callback; the 8-frame limit allows 7 callbacks.
        Insns p = new Insns();
        p.movImm(1, 1);                       // 0: nr_loops
        p.raw(0x18, 2, 4, 0, 6);              // 1: r2 = callback at insn 8
        p.raw(0, 0, 0, 0, 0);                 // 2
        p.movImm(3, 1);                       // 3: ctx = level 1
        p.movImm(4, 0);                       // 4: flags
        p.call(181);                          // 5
        p.movImm(0, 2);                       // 6: XDP_PASS
        p.exit();                             // 7
        p.raw(0x55, 2, 0, 2, depth);          // 8: callback(index r1, ctx r2): if r2 != depth goto 11
        p.movImm(0, 0);                       // 9
        p.exit();                             // 10
        p.mov(3, 2);                          // 11: ctx = level + 1
        p.raw(0x07, 3, 0, 0, 1);              // 12
        p.movImm(1, 1);                       // 13
        p.raw(0x18, 2, 4, 0, -7);             // 14: r2 = callback at insn 8 (14 + 1 - 8 + 1 = 8)
        p.raw(0, 0, 0, 0, 0);                 // 15
        p.movImm(4, 0);                       // 16
        p.call(181);                          // 17
        p.movImm(0, 0);                       // 18
        p.exit();                             // 19
        long[] s = p.build();
        try (InterpreterXdpEngine e = InterpreterXdpEngine.ofInstructions(s, Interpreter.Mode.CHECKED)) {
            if (depth < Interpreter.MAX_FRAMES) {
                assertEquals(2, e.run(new byte[60], 1).action());
            } else {
                String m = assertThrows(EngineException.class, () -> e.run(new byte[60], 1)).getMessage();
                assertTrue(m.contains("call depth limit"), m);
            }
        }
    }

    @Test
    void coarseClockIsBetweenTwoReadingsOfCLOCK_MONOTONIC_COARSE() {
        try (Arena a = Arena.ofConfined()) {
            XdpContext c = new XdpContext(a, new BpfMap[0]);
            MemorySegment ts = a.allocate(16, 8);
            long before = Clocks.nanos(Clocks.MONOTONIC_COARSE, ts);
            long t = c.ktimeGetCoarseNs();
            long after = Clocks.nanos(Clocks.MONOTONIC_COARSE, ts);
            assertTrue(before <= t && t <= after, before + " <= " + t + " <= " + after);
            assertEquals(Numa.nodeOf(0), c.numaNodeId());
        }
    }

    @Test
    void numaTopologyParsesCpuLists(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        java.nio.file.Files.createDirectories(dir.resolve("node0"));
        java.nio.file.Files.createDirectories(dir.resolve("node1"));
        java.nio.file.Files.writeString(dir.resolve("node0/cpulist"), "0-1,4\n");
        java.nio.file.Files.writeString(dir.resolve("node1/cpulist"), "2-3,5-6\n");
        int[] n = Numa.read(dir);
        assertEquals("[0, 0, 1, 1, 0, 1, 1]", java.util.Arrays.toString(n));
        assertEquals(0, Numa.read(dir.resolve("missing")).length);
    }
}
