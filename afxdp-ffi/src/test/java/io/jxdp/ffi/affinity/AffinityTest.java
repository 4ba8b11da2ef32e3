package io.jxdp.ffi.affinity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.sys.NativeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AffinityTest {
    /** Cpus_allowed_list of the calling thread as the kernel reports it, e.g. "0-1" or "1". */
    private static String allowedList() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
            if (line.startsWith("Cpus_allowed_list:")) {
                return line.substring(line.indexOf(':') + 1).strip();
            }
        }
        throw new IllegalStateException("no Cpus_allowed_list in /proc/thread-self/status");
    }

    @Test
    void pinsOnlyTheCallingThreadToEachAllowedCpu() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread worker = Thread.ofPlatform().start(() -> {
            try {
                BitSet original = Affinity.currentThread();
                assertTrue(original.cardinality() >= 1, original.toString());
                for (int cpu = original.nextSetBit(0); cpu >= 0; cpu = original.nextSetBit(cpu + 1)) {
                    Affinity.pinCurrentThread(cpu);
                    BitSet now = Affinity.currentThread();
                    assertEquals(1, now.cardinality(), now.toString());
                    assertTrue(now.get(cpu), now.toString());
                    assertEquals(Integer.toString(cpu), allowedList());
                }
                Affinity.setCurrentThread(original);
                assertEquals(original, Affinity.currentThread());
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        worker.join(10_000);
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        // The test thread itself was never restricted by the worker's pinning.
        assertEquals(Runtime.getRuntime().availableProcessors(), Affinity.currentThread().cardinality());
    }

    @Test
    void badCpuSetsAreRejectedWithTheSetNamed() {
        assertThrows(IllegalArgumentException.class, () -> Affinity.setCurrentThread(new BitSet()));
        BitSet offline = new BitSet();
        offline.set(1000); // within cpu_set_t, but no such CPU here
        NativeException e = assertThrows(NativeException.class, () -> Affinity.setCurrentThread(offline));
        assertTrue(e.getMessage().contains("1000"), e.getMessage());
    }
}
