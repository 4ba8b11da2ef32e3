package io.jxdp.ebpf.map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.engine.MapEntry;
import io.jxdp.ebpf.engine.XdpAction;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.kernel.KernelXdpEngine;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.xdp.InterpreterXdpEngine;
import io.jxdp.ebpf.xdp.LinkedXdpEngine;
import io.jxdp.ebpf.xdp.JitXdpEngine;
import io.jxdp.ffi.bpf.Bpf;
import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.PerfEvent;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * bpf_perf_event_output's data path against the kernel's: {@code helpers/perf.c} (clang-19) runs
 * through BPF_PROG_TEST_RUN on CPU 0 with real PERF_COUNT_SW_BPF_OUTPUT events (perf_event_open on
 * CPUs 0 and 1, their fds stored at PERF_EVENT_ARRAY indexes 0 and 1, their mmap'd rings read back),
 * and through jxdp's interpreter and JIT with {@link PerfEventArray#open} at the same indexes. Per
 * frame: the same helper results, and the same samples in the same order, each compared as the
 * kernel's raw record (u32 size, then size bytes: the program's data, the frame bytes appended
 * after it, the padding that makes size + 4 a multiple of 8) against what {@link PerfEventArray#poll}
 * hands (address and size of the same bytes); nothing reaches index 1 in either.
 */
class PerfEventKernelTest {
    static final MemorySegment MEM = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    /** Frame lengths: the shortest frame a test run takes, a minimum Ethernet frame, odd ones. */
    static final int[] LENGTHS = {14, 60, 101, 333, 1500};
    /** Per call of perf.c: sample bytes and frame bytes appended (-1: the whole frame), or no sample. */
    static final int[][] CALLS = {{8, 0}, {13, 0}, {4, 0}, {5, -1}, {1, 3}, {0, 2}};

    record Sample(int size, byte[] raw) {
        @Override
        public String toString() {
            return size + ":" + HexFormat.of().formatHex(raw);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Sample s && s.size == size && Arrays.equals(s.raw, raw);
        }

        @Override
        public int hashCode() {
            return size * 31 + Arrays.hashCode(raw);
        }
    }

    record Run(long action, long[] rc, List<Sample> samples, int elsewhere) {}

    static BpfObject object() throws Exception {
        try (InputStream in = PerfEventKernelTest.class.getResourceAsStream("/helpers/perf.o")) {
            return BpfObjectLoader.load("perf.o", in.readAllBytes());
        }
    }

    static byte[] frame(int len) {
        byte[] f = new byte[len];
        new Random(len).nextBytes(f);
        return f;
    }

    static long[] rc(XdpEngine e) {
        long[] v = new long[8];
        for (MapEntry m : e.dumpMap("rc")) {
            int k = ByteBuffer.wrap(m.key()).order(ByteOrder.LITTLE_ENDIAN).getInt();
            v[k] = ByteBuffer.wrap(m.values().get(0)).order(ByteOrder.LITTLE_ENDIAN).getLong();
        }
        return v;
    }

    static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    /** The kernel: events on CPUs 0 and 1 at indexes 0 and 1, each frame's samples read from CPU 0's ring. */
    static List<Run> kernel(BpfObject o) {
        List<Run> runs = new ArrayList<>();
        try (KernelXdpEngine k = KernelXdpEngine.load(o, "perf");
                PerfEvent ev0 = PerfEvent.openBpfOutput(0, 8);
                PerfEvent ev1 = PerfEvent.openBpfOutput(1, 8)) {
            k.updateMap("events", le32(0), List.of(le32(ev0.fd())));
            k.updateMap("events", le32(1), List.of(le32(ev1.fd())));
            for (int len : LENGTHS) {
                long action = k.run(frame(len), 1).action();
                List<Sample> samples = new ArrayList<>();
                for (PerfEvent.Record r : ev0.read()) {
                    assertEquals(PerfEvent.PERF_RECORD_SAMPLE, r.type(), "kernel record type, frame " + len);
                    assertEquals(PerfEventArray.PERF_RECORD_MISC_KERNEL, r.misc(), "kernel record misc, frame " + len);
                    ByteBuffer b = ByteBuffer.wrap(r.body()).order(ByteOrder.LITTLE_ENDIAN);
                    int size = b.getInt();
                    assertEquals(r.body().length, 4 + size, "the raw size fills the record, frame " + len);
                    samples.add(new Sample(size, Arrays.copyOfRange(r.body(), 4, 4 + size)));
                }
                runs.add(new Run(action, rc(k), samples, ev1.read().size()));
            }
        }
        return runs;
    }

    static Stream<Arguments> engines() {
        Function<BpfObject, XdpEngine> interp = o -> InterpreterXdpEngine.create(o, "perf");
        Function<BpfObject, XdpEngine> jit = o -> JitXdpEngine.create(o, "perf", Bpf.numPossibleCpus(), 0);
        return Stream.of(Arguments.of("interp", interp), Arguments.of("jit", jit));
    }

    static PerfEventArray events(XdpEngine e) {
        return (PerfEventArray) ((LinkedXdpEngine) e).map("events");
    }

    static List<Sample> poll(PerfEventArray pa, int index) {
        List<Sample> got = new ArrayList<>();
        pa.poll(index, (addr, len) -> got.add(new Sample((int) len, MEM.asSlice(addr, len).toArray(ValueLayout.JAVA_BYTE))),
                1000);
        return got;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void samplesAsTheKernelDeliversThem(String name, Function<BpfObject, XdpEngine> factory) throws Exception {
        assertTrue(Bpf.numPossibleCpus() >= 2, "needs two CPUs: index 1's event is on CPU 1");
        BpfObject o = object();
        List<Run> kernel = kernel(o);
        try (XdpEngine e = factory.apply(o)) {
            PerfEventArray pa = events(e);
            pa.open(0, 8 * 4096);
            pa.open(1, 8 * 4096);
            for (int i = 0; i < LENGTHS.length; i++) {
                int len = LENGTHS[i];
                byte[] f = frame(len);
                String at = name + " frame " + len + ": ";
                long action = e.run(f, 1).action();
                Run k = kernel.get(i);
                assertEquals(XdpAction.PASS, k.action(), at + "kernel verdict");
                assertEquals(k.action(), action, at + "verdict");
                assertEquals(Arrays.toString(new long[] {0, 0, 0, 0, 0, 0, -Errno.EOPNOTSUPP, -Errno.ENOENT}),
                        Arrays.toString(k.rc()), at + "kernel helper results");
                assertArrayEquals(k.rc(), rc(e), at + "helper results");
                assertEquals(expected(f), k.samples(), at + "kernel samples as perf.c writes them");
                assertEquals(k.samples(), poll(pa, 0), at + "samples at index 0");
                assertEquals(0, k.elsewhere(), at + "kernel samples at CPU 1's event");
                assertEquals(List.of(), poll(pa, 1), at + "samples at index 1");
            }
        }
    }

    /** One step of the full-ring run: a frame's helper results and what was read after it (samples, lost counts). */
    record Step(long[] rc, List<Object> read) {
        @Override
        public String toString() {
            return Arrays.toString(rc) + " " + read;
        }
    }

    static final int STEPS = 40;

    static byte[] stepFrame(int step) {
        return frame(new int[] {1500, 1200, 333, 1000, 60, 14, 101}[step % 7]);
    }

    /** Reads after every fourth frame: the one-page rings fill, lose samples and wrap. */
    static boolean readsAfter(int step) {
        return step % 4 == 3 || step == STEPS - 1;
    }

    static List<Step> kernelFullRing(BpfObject o) {
        List<Step> steps = new ArrayList<>();
        try (KernelXdpEngine k = KernelXdpEngine.load(o, "perf");
                PerfEvent ev0 = PerfEvent.openBpfOutput(0, 1);
                PerfEvent ev1 = PerfEvent.openBpfOutput(1, 1)) {
            k.updateMap("events", le32(0), List.of(le32(ev0.fd())));
            k.updateMap("events", le32(1), List.of(le32(ev1.fd())));
            for (int step = 0; step < STEPS; step++) {
                k.run(stepFrame(step), 1);
                List<Object> read = new ArrayList<>();
                if (readsAfter(step)) {
                    for (PerfEvent.Record r : ev0.read()) {
                        ByteBuffer b = ByteBuffer.wrap(r.body()).order(ByteOrder.LITTLE_ENDIAN);
                        if (r.type() == PerfEvent.PERF_RECORD_LOST) {
                            assertEquals(16, r.body().length, "PERF_RECORD_LOST body: id, lost");
                            b.getLong(); // the event's id: the kernel's own numbering
                            read.add(b.getLong());
                        } else {
                            assertEquals(PerfEvent.PERF_RECORD_SAMPLE, r.type(), "record type at step " + step);
                            int size = b.getInt();
                            read.add(new Sample(size, Arrays.copyOfRange(r.body(), 4, 4 + size)));
                        }
                    }
                    assertEquals(List.of(), ev1.read(), "nothing at CPU 1's event");
                }
                steps.add(new Step(rc(k), read));
            }
        }
        return steps;
    }

    /**
     * One-page rings read after every fourth frame: the kernel's ring fills (helper results
     * -ENOSPC), reports the lost samples in a PERF_RECORD_LOST before the next sample that fits,
     * and wraps records around its end; jxdp's rings give the same helper results, the same lost
     * counts in the same places and the same samples, byte for byte (padding included: neither
     * writes it, and both rings held the same bytes there).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aFullRingLosesAndWrapsAsTheKernels(String name, Function<BpfObject, XdpEngine> factory) throws Exception {
        BpfObject o = object();
        List<Step> kernel = kernelFullRing(o);
        assertTrue(kernel.stream().anyMatch(s -> Arrays.stream(s.rc()).anyMatch(v -> v == -Errno.ENOSPC)),
                "the kernel's ring filled: " + kernel);
        assertTrue(kernel.stream().anyMatch(s -> s.read().stream().anyMatch(r -> r instanceof Long)),
                "the kernel reported lost samples: " + kernel);
        try (XdpEngine e = factory.apply(o)) {
            PerfEventArray pa = events(e);
            pa.open(0, 4096);
            pa.open(1, 4096);
            long written = 0;
            for (int step = 0; step < STEPS; step++) {
                e.run(stepFrame(step), 1);
                List<Object> read = new ArrayList<>();
                if (readsAfter(step)) {
                    pa.poll(0, (addr, len) -> read.add(new Sample(len, MEM.asSlice(addr, len).toArray(ValueLayout.JAVA_BYTE))),
                            read::add, 1000);
                    assertEquals(List.of(), poll(pa, 1), "nothing at index 1");
                }
                Step j = new Step(rc(e), read);
                assertEquals(kernel.get(step).toString(), j.toString(), name + " step " + step);
                for (Object r : read) {
                    written += r instanceof Sample s ? 12 + s.size() : 24;
                }
            }
            assertTrue(written > 3 * 4096, "the rings wrapped: " + written + " bytes written");
        }
    }

    /** perf.c's samples for frame {@code f}: buf[i] = len + 37 i, then frame bytes, then zero padding. */
    static List<Sample> expected(byte[] f) {
        List<Sample> out = new ArrayList<>();
        for (int[] c : CALLS) {
            int ctx = c[1] < 0 ? f.length : c[1];
            int size = ((c[0] + ctx + 4 + 7) & ~7) - 4;
            byte[] raw = new byte[size];
            for (int i = 0; i < c[0]; i++) {
                raw[i] = (byte) (f.length + 37 * i);
            }
            System.arraycopy(f, 0, raw, c[0], ctx);
            out.add(new Sample(size, raw));
        }
        return out;
    }
}
