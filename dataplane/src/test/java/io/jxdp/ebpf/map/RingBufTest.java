package io.jxdp.ebpf.map;

import static io.jxdp.ebpf.map.KernelProgram.insn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.Mmap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * RINGBUF: the same bpf_ringbuf_output sequence in a kernel XDP program (BPF_PROG_TEST_RUN) and in
 * jxdp gives the same results, the same producer positions and byte-identical record headers and
 * samples in the kernel's mmap'd ring; reserve/discard/submit ordering; many producers and one
 * consumer; no allocation.
 */
class RingBufTest {
    private static final int PAGE = 4096;

    /** XDP: copy the first 64 packet bytes to the stack, bpf_ringbuf_output(map, stack, pkt[0] & 63, pkt[1] & 7). */
    private static long[] outputProgram(int mapFd) {
        List<Long> p = new ArrayList<>();
        p.add(insn(0x61, 6, 1, 0, 0));       // r6 = data
        p.add(insn(0x61, 7, 1, 4, 0));       // r7 = data_end
        p.add(insn(0xbf, 8, 6, 0, 0));       // r8 = r6
        p.add(insn(0x07, 8, 0, 0, 64));      // r8 += 64
        p.add(insn(0x2d, 8, 7, 26, 0));      // if r8 > r7 goto out
        for (int i = 0; i < 8; i++) {
            p.add(insn(0x79, 2, 6, 8 * i, 0));       // r2 = *(u64 *)(r6 + 8i)
            p.add(insn(0x7b, 10, 2, -64 + 8 * i, 0)); // *(u64 *)(r10 - 64 + 8i) = r2
        }
        p.add(insn(0x71, 3, 6, 0, 0));       // r3 = *(u8 *)(r6 + 0)    size
        p.add(insn(0x57, 3, 0, 0, 63));      // r3 &= 63
        p.add(insn(0x71, 4, 6, 1, 0));       // r4 = *(u8 *)(r6 + 1)    flags
        p.add(insn(0x57, 4, 0, 0, 7));       // r4 &= 7
        p.add(insn(0x18, 1, 1, 0, mapFd));   // r1 = map
        p.add(0L);
        p.add(insn(0xbf, 2, 10, 0, 0));      // r2 = r10
        p.add(insn(0x07, 2, 0, 0, -64));     // r2 += -64
        p.add(insn(0x85, 0, 0, 0, 130));     // call bpf_ringbuf_output
        p.add(insn(0x95, 0, 0, 0, 0));       // exit
        p.add(insn(0xb7, 0, 0, 0, 99));      // out: r0 = 99
        p.add(insn(0x95, 0, 0, 0, 0));       // exit
        return p.stream().mapToLong(Long::longValue).toArray();
    }

    @Test
    void outputMatchesTheKernelRecordForRecord() {
        int size = PAGE;
        MapDefinition def = MapDefinition.of("rb_parity", MapType.RINGBUF, 0, 0, size);
        Random rnd = new Random(3);
        try (KernelMap km = KernelMap.create(def); KernelProgram prog = KernelProgram.of(outputProgram(km.fd));
                RingBuf j = (RingBuf) Maps.create(def, 1); Arena a = Arena.ofConfined()) {
            MemorySegment kCons = Mmap.map(PAGE, Mmap.PROT_READ | Mmap.PROT_WRITE, Mmap.MAP_SHARED, km.fd, 0);
            MemorySegment kProd = Mmap.map(PAGE + 2L * size, Mmap.PROT_READ, Mmap.MAP_SHARED, km.fd, PAGE);
            try {
                MemorySegment src = a.allocate(64, 8);
                int eagain = 0;
                for (int op = 0; op < 3000; op++) {
                    byte[] pkt = new byte[64];
                    rnd.nextBytes(pkt);
                    pkt[1] = (byte) (rnd.nextInt(8) == 0 ? rnd.nextInt(8) : 0);
                    int kernel = prog.run(pkt);
                    MemorySegment.copy(pkt, 0, src, ValueLayout.JAVA_BYTE, 0, 64);
                    int ours = j.output(src.address(), pkt[0] & 63, pkt[1] & 7);
                    assertEquals(kernel, ours, "op " + op + " output of " + (pkt[0] & 63) + " bytes, flags " + (pkt[1] & 7));
                    if (ours == -Errno.EAGAIN) {
                        eagain++;
                    }
                    assertEquals(kProd.get(ValueLayout.JAVA_LONG, 0), j.query(RingBuf.BPF_RB_PROD_POS), "producer_pos op " + op);
                    if (rnd.nextInt(150) == 0) { // consume both, comparing each record byte for byte
                        List<byte[]> ourRecords = new ArrayList<>();
                        j.poll((addr, len) -> ourRecords.add(Native.ALL.asSlice(addr - 8, 8 + len).toArray(ValueLayout.JAVA_BYTE)),
                                Integer.MAX_VALUE);
                        long cons = kCons.get(ValueLayout.JAVA_LONG, 0);
                        long prod = kProd.get(ValueLayout.JAVA_LONG, 0);
                        int i = 0;
                        while (cons < prod) {
                            long off = PAGE + (cons & (size - 1));
                            int len = kProd.get(ValueLayout.JAVA_INT, off);
                            assertEquals(0, len & (RingBuf.BUSY_BIT | RingBuf.DISCARD_BIT));
                            byte[] rec = kProd.asSlice(off, 8 + len).toArray(ValueLayout.JAVA_BYTE);
                            assertArrayEquals(rec, ourRecords.get(i), "record " + i + " at " + cons + " (header: len, pg_off)");
                            cons += (len + 8 + 7) & ~7;
                            i++;
                        }
                        kCons.set(ValueLayout.JAVA_LONG, 0, cons);
                        assertEquals(ourRecords.size(), i, "records consumed");
                        assertEquals(cons, j.query(RingBuf.BPF_RB_CONS_POS));
                    }
                }
                assertTrue(eagain > 10, "the ring was full " + eagain + " times");
                assertEquals(size, j.query(RingBuf.BPF_RB_RING_SIZE));
            } finally {
                Mmap.unmap(kCons);
                Mmap.unmap(kProd);
            }
        }
    }

    @Test
    void elementOperationsAreNotSupportedAsInTheKernel() {
        MapDefinition def = MapDefinition.of("rb", MapType.RINGBUF, 0, 0, PAGE);
        try (KernelMap km = KernelMap.create(def); BpfMap j = Maps.create(def, 1)) {
            long kernel = km.lookup(null, new byte[8]);
            int ours;
            try {
                j.lookup(new byte[0]);
                ours = 0;
            } catch (MapException e) {
                ours = -e.errno();
            }
            assertEquals(kernel, ours);
            assertFalse(j.supports(MapOp.LOOKUP));
            assertTrue(j.supports(MapOp.RINGBUF));
        }
    }

    /** A reserved record holds back the consumer until submitted; discarded records are skipped. */
    @Test
    void reserveSubmitDiscardOrdering() {
        try (RingBuf rb = (RingBuf) Maps.create(MapDefinition.of("rb", MapType.RINGBUF, 0, 0, PAGE), 1)) {
            long r1 = rb.reserve(10, 0);
            long r2 = rb.reserve(20, 0);
            long r3 = rb.reserve(30, 0);
            assertTrue(r1 != 0 && r2 != 0 && r3 != 0);
            assertEquals(0, rb.reserve(8, 1), "flags must be 0");
            assertEquals(0, rb.reserve(PAGE, 0), "a record as large as the ring never fits");
            Native.putLong(r2, 2222);
            Native.putLong(r3, 3333);
            RingBuf.submit(r2, 0);
            RingBuf.submit(r3, RingBuf.BPF_RB_NO_WAKEUP);
            List<Long> got = new ArrayList<>();
            assertEquals(0, rb.poll((addr, len) -> got.add(Native.getLong(addr)), 100), "r1 is still busy");
            RingBuf.discard(r1, 0);
            assertEquals(2, rb.poll((addr, len) -> got.add(Native.getLong(addr) * 100 + len), 100));
            assertEquals(List.of(2222L * 100 + 20, 3333L * 100 + 30), got);
            assertEquals(0, rb.available());
            // fill: len 8 + 8 per record, ring of 4096 holds 255 (prod - cons must stay <= mask)
            int n = 0;
            long rec;
            while ((rec = rb.reserve(8, 0)) != 0) {
                RingBuf.submit(rec, 0);
                n++;
            }
            assertEquals(255, n);
            assertEquals(255, rb.poll((addr, len) -> { }, 1000));
            assertTrue(rb.reserve(8, 0) != 0, "space is reusable once consumed");
        }
    }

    /** Producers on four workers, one consumer: every record arrives once, each producer's in order. */
    @Test
    void manyProducersOneConsumer() throws Exception {
        int producers = 3;
        int perProducer = 200_000;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (RingBuf rb = (RingBuf) Maps.create(MapDefinition.of("rb_mt", MapType.RINGBUF, 0, 0, 64 * 1024), producers)) {
            long deadline = System.nanoTime() + 60_000_000_000L;
            List<Thread> all = new ArrayList<>();
            for (int t = 0; t < producers; t++) {
                int id = t;
                Thread th = new Thread(() -> {
                    try {
                        for (int i = 0; i < perProducer && System.nanoTime() < deadline; ) {
                            int extra = i % 5 * 8;
                            long rec = rb.reserve(16 + extra, 0);
                            if (rec == 0) {
                                Thread.onSpinWait();
                                continue;
                            }
                            Native.putLong(rec, id);
                            Native.putLong(rec + 8, i);
                            if (i % 7 == 3) {
                                RingBuf.discard(rec, 0);
                            } else {
                                RingBuf.submit(rec, 0);
                            }
                            i++;
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                }, "rb-producer-" + t);
                all.add(th);
                th.start();
            }
            long expected = 0;
            for (int i = 0; i < perProducer; i++) {
                expected += i % 7 == 3 ? 0 : 1;
            }
            long[] next = new long[producers];
            AtomicLong received = new AtomicLong();
            RingBuf.RecordHandler h = (addr, len) -> {
                int id = (int) Native.getLong(addr);
                long i = Native.getLong(addr + 8);
                assertEquals(16 + i % 5 * 8, len, "length of record " + i);
                assertTrue(i >= next[id], "producer " + id + " record " + i + " after " + next[id]);
                assertTrue(i % 7 != 3, "discarded record " + i + " delivered");
                next[id] = i + 1;
                received.incrementAndGet();
            };
            while (received.get() < producers * expected && System.nanoTime() < deadline && failure.get() == null) {
                if (rb.poll(h, 256) == 0) {
                    Thread.onSpinWait();
                }
            }
            for (Thread th : all) {
                th.join(10_000);
                assertFalse(th.isAlive());
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertEquals(producers * expected, received.get());
        }
    }

    @Test
    void producerAndConsumerAllocateNothing() {
        AllocationCounter mx = new AllocationCounter();
        long[] sum = new long[1];
        RingBuf.RecordHandler h = (addr, len) -> sum[0] += Native.getLong(addr) + len;
        try (Arena a = Arena.ofConfined(); RingBuf rb = (RingBuf) Maps.create(MapDefinition.of("rb_za", MapType.RINGBUF, 0, 0, PAGE), 1)) {
            MemorySegment src = a.allocate(32, 8);
            for (int round = 0; round < 2; round++) {
                long before = mx.allocatedBytes();
                for (int i = 0; i < 300_000; i++) {
                    src.set(ValueLayout.JAVA_LONG, 0, i);
                    if ((i & 1) == 0) {
                        rb.output(src.address(), 8 + (i & 24), 0);
                    } else {
                        long rec = rb.reserve(16, 0);
                        if (rec != 0) {
                            Native.putLong(rec, i);
                            if ((i & 2) == 0) {
                                RingBuf.submit(rec, 0);
                            } else {
                                RingBuf.discard(rec, 0);
                            }
                        }
                    }
                    if ((i & 31) == 0) {
                        rb.poll(h, 64);
                    }
                }
                long grew = mx.allocatedBytes() - before;
                if (round == 1) {
                    assertTrue(grew < 4096, "300000 ring buffer operations allocated " + grew + " bytes");
                }
            }
            assertTrue(sum[0] > 0);
        }
    }
}
