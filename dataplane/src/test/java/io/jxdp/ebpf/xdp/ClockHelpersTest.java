package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.engine.MapEntry;
import io.jxdp.ebpf.engine.XdpAction;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.engine.XdpResult;
import io.jxdp.ebpf.kernel.KernelXdpEngine;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ffi.bpf.Bpf;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The values of ktime_get_ns (5), get_prandom_u32 (7), get_smp_processor_id (8), jiffies64 (118)
 * and ktime_get_boot_ns (125), from one clang-built program ({@code helpers/clocks.c}) that stores
 * each in ARRAY {@code values}, in jxdp's interpreter, jxdp's JIT and the kernel. Nothing here is
 * timed: every bound is an order between readings (a clock read before the run, the helper's value,
 * a clock read after it), so a preempted test is still right.
 */
class ClockHelpersTest {
    static final int MONO = 0;
    static final int BOOT = 1;
    static final int JIFFIES = 2;
    static final int CPU = 3;
    static final int RAND0 = 4;
    static final int RAND1 = 5;
    static final int RUNS = 8;

    static BpfObject object() throws Exception {
        try (InputStream in = ClockHelpersTest.class.getResourceAsStream("/helpers/clocks.o")) {
            return BpfObjectLoader.load("clocks.o", in.readAllBytes());
        }
    }

    static Stream<Arguments> engines() {
        Function<BpfObject, XdpEngine> interp = o -> InterpreterXdpEngine.create(o, "clocks");
        Function<BpfObject, XdpEngine> jit = o -> JitXdpEngine.create(o, "clocks", Bpf.numPossibleCpus(), 0);
        Function<BpfObject, XdpEngine> kernel = o -> KernelXdpEngine.load(o, "clocks");
        return Stream.of(Arguments.of("interp", interp), Arguments.of("jit", jit), Arguments.of("kernel", kernel));
    }

    /** The six u64 slots of {@code values}. */
    static long[] values(XdpEngine e) {
        long[] v = new long[6];
        List<MapEntry> entries = e.dumpMap("values");
        assertEquals(6, entries.size(), "ARRAY values has 6 slots");
        for (MapEntry m : entries) {
            int k = ByteBuffer.wrap(m.key()).order(ByteOrder.LITTLE_ENDIAN).getInt();
            v[k] = ByteBuffer.wrap(m.values().get(0)).order(ByteOrder.LITTLE_ENDIAN).getLong();
        }
        return v;
    }

    static byte[] frame() {
        byte[] f = new byte[60];
        f[12] = 0x08;
        return f;
    }

    /**
     * Per run: ktime_get_ns between two CLOCK_MONOTONIC readings taken around it (the project's
     * clock_gettime binding), ktime_get_boot_ns between two CLOCK_BOOTTIME readings and not below
     * ktime_get_ns, jiffies64 between the kernel's own bpf_jiffies64 read by a kernel program just
     * before and just after (one tick of slack after: the kernel's jiffies update may trail the tick
     * boundary by the interrupt's latency), the CPU id 0 (XdpEngine runs every packet as CPU 0; the
     * kernel engine pins its thread to CPU 0), and 16 prandom values that are all different.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void helperValuesAgreeWithTheKernelClocks(String name, Function<BpfObject, XdpEngine> factory) throws Exception {
        BpfObject o = object();
        Set<Long> random = new HashSet<>();
        long lastMono = 0;
        try (Arena a = Arena.ofConfined();
                XdpEngine e = factory.apply(o);
                KernelXdpEngine reference = KernelXdpEngine.load(o, "clocks")) {
            MemorySegment ts = a.allocate(16, 8);
            for (int run = 0; run < RUNS; run++) {
                reference.run(frame(), 1);
                long kernelBefore = values(reference)[JIFFIES];
                long mono0 = Clocks.nanos(Clocks.MONOTONIC, ts);
                long boot0 = Clocks.nanos(Clocks.BOOTTIME, ts);
                XdpResult r = e.run(frame(), 1);
                long mono1 = Clocks.nanos(Clocks.MONOTONIC, ts);
                long boot1 = Clocks.nanos(Clocks.BOOTTIME, ts);
                reference.run(frame(), 1);
                long kernelAfter = values(reference)[JIFFIES];
                long[] v = values(e);
                String at = name + " run " + run + ": ";
                assertEquals(XdpAction.PASS, r.action(), at + "verdict");
                assertTrue(mono0 <= v[MONO] && v[MONO] <= mono1,
                        at + "ktime_get_ns " + v[MONO] + " outside CLOCK_MONOTONIC [" + mono0 + ", " + mono1 + "]");
                assertTrue(v[MONO] > lastMono, at + "ktime_get_ns went back: " + v[MONO] + " after " + lastMono);
                lastMono = v[MONO];
                assertTrue(boot0 <= v[BOOT] && v[BOOT] <= boot1,
                        at + "ktime_get_boot_ns " + v[BOOT] + " outside CLOCK_BOOTTIME [" + boot0 + ", " + boot1 + "]");
                assertTrue(v[BOOT] >= v[MONO], at + "ktime_get_boot_ns " + v[BOOT] + " < ktime_get_ns " + v[MONO]);
                assertTrue(kernelBefore <= v[JIFFIES] && v[JIFFIES] <= kernelAfter + 1, at + "jiffies64 " + v[JIFFIES]
                        + " outside the kernel's [" + kernelBefore + ", " + kernelAfter + "] (+1 tick); base measured: "
                        + Clocks.JiffiesBase.MEASURED + " " + Clocks.JiffiesBase.UNMEASURED_CAUSE);
                assertEquals(0, v[CPU], at + "get_smp_processor_id");
                assertTrue(v[RAND0] <= 0xffff_ffffL && v[RAND1] <= 0xffff_ffffL, at + "prandom is a u32");
                random.add(v[RAND0]);
                random.add(v[RAND1]);
            }
        }
        assertEquals(2 * RUNS, random.size(), name + ": " + 2 * RUNS + " prandom values, some repeated: " + random);
    }

    /** Tests run as root here, so jxdp's jiffies base comes from the kernel, not the INITIAL_JIFFIES guess. */
    @org.junit.jupiter.api.Test
    void jiffiesBaseIsMeasuredInTheKernel() {
        assertTrue(Clocks.JiffiesBase.MEASURED, () -> "not measured: " + Clocks.JiffiesBase.UNMEASURED_CAUSE);
        assertTrue(Clocks.TICK_NSEC > 0 && Clocks.TICK_NSEC <= 10_000_000L, "TICK_NSEC " + Clocks.TICK_NSEC);
        // the kernel starts counting after CLOCK_MONOTONIC's zero, never before it
        assertTrue(Clocks.JiffiesBase.BASE <= Clocks.INITIAL_JIFFIES,
                Clocks.JiffiesBase.BASE + " > INITIAL_JIFFIES " + Clocks.INITIAL_JIFFIES);
    }
}
