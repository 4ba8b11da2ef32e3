package io.jxdp.ebpf.map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The program-side path allocates nothing: a million lookups, updates (hash: replacements that
 * link new elements and retire old ones through RCU) and delete/insert pairs, measured with the
 * thread's allocation counter.
 */
class ZeroAllocationTest {
    private static final int OPS = 1_000_000;
    private static final long SLACK_BYTES = 4096; // the measuring calls themselves, not per operation

    @ParameterizedTest
    @EnumSource(value = MapType.class, names = {"ARRAY", "PERCPU_ARRAY", "HASH", "PERCPU_HASH", "LRU_HASH", "LRU_PERCPU_HASH"})
    void millionProgramSideOperationsAllocateNothing(MapType type) {
        AllocationCounter mx = new AllocationCounter();
        Rcu rcu = new Rcu(2);
        int worker = rcu.register();
        try (Arena a = Arena.ofConfined(); BpfMap m = Maps.create(MapDefinition.of("za", type, 4, 16, 1024), 2, rcu)) {
            MemorySegment key = a.allocate(4, 8);
            MemorySegment val = a.allocate(16, 8);
            long k = key.address();
            long v = val.address();
            run(m, rcu, worker, k, v, OPS / 4); // warm up: let the JIT compile the path
            long before = mx.allocatedBytes();
            long sum = run(m, rcu, worker, k, v, OPS);
            long grew = mx.allocatedBytes() - before;
            assertTrue(sum > 0, "sum " + sum);
            assertTrue(grew < SLACK_BYTES, type + ": " + OPS + " operations allocated " + grew + " bytes");
        }
    }

    /**
     * bpf_perf_event_output's path and the consumer's: a million samples into a one-page perf ring
     * with a poll every 48 outputs, so that records wrap around the ring's end, samples are lost to
     * a full ring and PERF_RECORD_LOST records are written and read.
     */
    @org.junit.jupiter.api.Test
    void millionPerfEventOutputsAndPollsAllocateNothing() {
        AllocationCounter mx = new AllocationCounter();
        try (Arena a = Arena.ofConfined();
                PerfEventArray m = (PerfEventArray) Maps.create(MapDefinition.of("za", MapType.PERF_EVENT_ARRAY, 4, 4, 2), 2)) {
            m.open(1, 4096);
            MemorySegment data = a.allocate(64, 8);
            MemorySegment pkt = a.allocate(200, 8);
            long[] seen = new long[3]; // samples, bytes, lost
            RingBuf.RecordHandler samples = (addr, len) -> {
                seen[0]++;
                seen[1] += len;
            };
            PerfEventArray.LostHandler lost = n -> seen[2] += n;
            perf(m, data.address(), pkt.address(), samples, lost, OPS / 4);
            long before = mx.allocatedBytes();
            long refused = perf(m, data.address(), pkt.address(), samples, lost, OPS);
            long grew = mx.allocatedBytes() - before;
            assertTrue(refused > 0 && seen[2] > 0, "samples lost to a full ring: refused " + refused + ", reported " + seen[2]);
            assertTrue(seen[0] > OPS / 2, "samples read: " + seen[0]);
            assertTrue(grew < SLACK_BYTES, "PERF_EVENT_ARRAY: " + OPS + " outputs allocated " + grew + " bytes");
        }
    }

    private static long perf(PerfEventArray m, long data, long pkt, RingBuf.RecordHandler samples,
            PerfEventArray.LostHandler lost, int ops) {
        long refused = 0;
        for (int i = 0; i < ops; i++) {
            long ctxLen = (i * 7L) % 150;
            int rc = m.output(PerfEventArray.BPF_F_CURRENT_CPU | ctxLen << 32, data, 1 + (i & 63), pkt, 200, 1);
            if (rc != 0) {
                refused++;
            }
            if (i % 48 == 47) {
                m.poll(1, samples, lost, 1000);
            }
        }
        return refused;
    }

    private static long run(BpfMap m, Rcu rcu, int worker, long k, long v, int ops) {
        long sum = 0;
        boolean hash = m.supportsDelete();
        for (int i = 0; i < ops; i++) {
            Native.putInt(k, (i >>> 2) & 1023); // one update, then lookups (or a delete and insert) of that key
            Native.putLong(v, i);
            int cpu = i & 1;
            if ((i & 3) == 0) {
                assertEquals(0, m.update(k, v, MapFlags.BPF_ANY, cpu));
            } else if (hash && (i & 63) == 1) {
                m.delete(k, cpu);
                assertEquals(0, m.update(k, v, MapFlags.BPF_NOEXIST, cpu));
            } else {
                long addr = m.lookup(k, cpu);
                if (addr != 0) {
                    sum += Native.getLong(addr) + 1;
                }
            }
            if ((i & 15) == 0) {
                rcu.quiescent(worker); // between "packets"
            }
        }
        return sum;
    }
}
