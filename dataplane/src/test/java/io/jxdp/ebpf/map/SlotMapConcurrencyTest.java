package io.jxdp.ebpf.map;

import static io.jxdp.ebpf.map.MapConcurrencyTest.le32;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.sys.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Several user-space writers and several program-side readers on PROG_ARRAY, DEVMAP, CPUMAP, XSKMAP
 * and HASH_OF_MAPS at once. Where the kernel makes an outcome exact it is asserted exactly: racing
 * deletes of a PROG_ARRAY slot or a HASH_OF_MAPS key succeed once ({@code xchg} in
 * fd_array_map_delete_elem(), the bucket lock in htab_map_delete_elem()), racing BPF_NOEXIST inserts
 * into an XSKMAP slot or a HASH_OF_MAPS key succeed once (xsk_map_update_elem() under m->lock), and the
 * winner's value is what readers then see. Elsewhere readers check that every value they see is
 * whole and one some writer wrote. Rounds and loops are bounded in count, threads joined with a timeout.
 */
class SlotMapConcurrencyTest {
    private static final int WRITERS = 3;
    private static final int READERS = 2;
    private static final int ROUNDS = 300;
    private static final long JOIN_MS = 90_000;

    /**
     * Writers in lockstep rounds (a barrier between phases) run {@code round(writer, round, phase)};
     * readers (registered RCU workers 0..READERS-1) run {@code read(reader)} until the writers are done.
     */
    private static void run(int phases, Round round, Reader read, Rcu rcu) throws Exception {
        CyclicBarrier barrier = new CyclicBarrier(WRITERS);
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> writers = new ArrayList<>();
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < READERS; r++) {
            int id = r;
            readers.add(Thread.ofPlatform().name("reader-" + r).start(() -> {
                rcu.register(id);
                try {
                    for (long i = 0; i < 200_000_000L && !done.get() && failure.get() == null; i++) {
                        read.run(id);
                        rcu.quiescent(id);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                } finally {
                    rcu.unregister(id);
                }
            }));
        }
        for (int w = 0; w < WRITERS; w++) {
            int id = w;
            writers.add(Thread.ofPlatform().name("writer-" + w).start(() -> {
                try {
                    for (int n = 0; n < ROUNDS && failure.get() == null; n++) {
                        for (int p = 0; p < phases; p++) {
                            barrier.await(30, TimeUnit.SECONDS);
                            round.run(id, n, p);
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    barrier.reset(); // wake the others: they fail with BrokenBarrierException
                }
            }));
        }
        long deadline = System.currentTimeMillis() + JOIN_MS;
        try {
            for (Thread th : writers) {
                th.join(Math.max(1, deadline - System.currentTimeMillis()));
                assertTrue(!th.isAlive(), th.getName() + " did not finish in time");
            }
        } finally {
            done.set(true);
            for (Thread th : readers) {
                th.join(Math.max(1, deadline - System.currentTimeMillis()));
            }
        }
        for (Thread th : readers) {
            assertTrue(!th.isAlive(), th.getName() + " did not finish in time");
        }
        if (failure.get() != null) {
            throw new AssertionError("a thread failed", failure.get());
        }
    }

    private interface Round {
        void run(int writer, int round, int phase) throws Exception;
    }

    private interface Reader {
        void run(int reader) throws Exception;
    }

    private static long rc(Runnable op) {
        try {
            op.run();
            return 0;
        } catch (MapException e) {
            return -e.errno();
        }
    }

    /**
     * PROG_ARRAY slots swapped while tail calls resolve them: writer 0 fills every slot, then all
     * writers delete every slot at once and exactly one delete per slot succeeds; then every writer
     * swaps programs into the slots. A tail call (tailCallTarget) finds an empty slot or a program
     * id that was written.
     */
    @Test
    void progArraySlotsSwapWhileTailCallsResolve() throws Exception {
        int slots = 8;
        Rcu rcu = new Rcu(READERS);
        AtomicInteger deleted = new AtomicInteger();
        try (SlotArray jmp = (SlotArray) Maps.create(MapDefinition.of("jmp", MapType.PROG_ARRAY, 4, 4, slots), 1, rcu)) {
            run(3, (w, n, p) -> {
                switch (p) {
                    case 0 -> {
                        if (w == 0) {
                            assertEquals(slots * n, deleted.get(), "one successful delete per slot in every round");
                            for (int i = 0; i < slots; i++) {
                                jmp.update(le32(i), le32(progId(0, n, i)), MapFlags.BPF_ANY);
                            }
                        }
                    }
                    case 1 -> {
                        for (int i = 0; i < slots; i++) {
                            int slot = i;
                            long r = rc(() -> jmp.delete(le32(slot)));
                            if (r == 0) {
                                deleted.incrementAndGet();
                            } else {
                                assertEquals(-Errno.ENOENT, r, "a lost race deletes nothing");
                            }
                        }
                    }
                    default -> {
                        for (int i = 0; i < slots; i++) { // slot swaps, left in place for the readers
                            jmp.update(le32(i), le32(progId(w, n, i)), MapFlags.BPF_ANY);
                        }
                    }
                }
            }, reader -> {
                for (int i = 0; i < slots; i++) {
                    int id = jmp.tailCallTarget(i);
                    if (id != 0 && (id & 0xff) != i + 1) {
                        throw new AssertionError("slot " + i + " resolved to " + Integer.toHexString(id));
                    }
                }
            }, rcu);
            assertEquals(slots * ROUNDS, deleted.get(), "one successful delete per slot in every round");
        }
    }

    /**
     * Tail calls running in an engine while two writers swap the PROG_ARRAY slot they go through
     * (xdp_tail of jit/tailcb.o tail-calls slot 0): each run follows the slot as one tail call saw
     * it, never a mix. Slot 0 empty: no tail call, XDP_PASS; xdp_cb: XDP_TX (its loop stops early);
     * xdp_chain: XDP_DROP (its own tail call through the empty slot 3 falls through). The programs'
     * hit counters agree exactly: every run entered xdp_tail, and xdp_chain ran once per DROP.
     */
    @Test
    void tailCallsFollowSlotSwapsInARunningEngine() throws Exception {
        byte[] obj;
        try (var in = SlotMapConcurrencyTest.class.getResourceAsStream("/jit/tailcb.o")) {
            obj = in.readAllBytes();
        }
        byte[] frame = new byte[60];
        frame[0] = 0; // xdp_tail: slot 0
        frame[1] = 3; // xdp_chain: slot 3, never set
        frame[4] = 3; // xdp_cb: bpf_loop of 3 ...
        frame[5] = 0; // ... stopped after the first call: XDP_TX
        frame[12] = 0x08;
        int runs = 100_000;
        try (var e = io.jxdp.ebpf.xdp.InterpreterXdpEngine.create(
                io.jxdp.ebpf.loader.BpfObjectLoader.load("tailcb.o", obj), "xdp_tail")) {
            SlotArray jmp = (SlotArray) e.map("jmp");
            int cb = e.programId("xdp_cb");
            int chain = e.programId("xdp_chain");
            AtomicBoolean done = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                int id = w;
                writers.add(Thread.ofPlatform().name("swapper-" + w).start(() -> {
                    Random rnd = new Random(id);
                    try {
                        for (int i = 0; i < 50_000_000 && !done.get(); i++) {
                            switch (rnd.nextInt(3)) {
                                case 0 -> jmp.update(le32(0), le32(cb), MapFlags.BPF_ANY);
                                case 1 -> jmp.update(le32(0), le32(chain), MapFlags.BPF_ANY);
                                default -> rc(() -> jmp.delete(le32(0)));
                            }
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }));
            }
            long[] seen = new long[4];
            try {
                for (int i = 0; i < runs; i++) {
                    long verdict = e.runInPlace(frame, frame.length);
                    int calls = e.tailCalls();
                    boolean ok = verdict == 2 ? calls == 0 : (verdict == 3 || verdict == 1) && calls == 1;
                    if (!ok) {
                        throw new AssertionError("run " + i + ": verdict " + verdict + " after " + calls + " tail calls");
                    }
                    seen[(int) verdict]++;
                }
            } finally {
                done.set(true);
                for (Thread th : writers) {
                    th.join(JOIN_MS);
                }
            }
            for (Thread th : writers) {
                assertTrue(!th.isAlive(), th.getName() + " did not finish in time");
            }
            if (failure.get() != null) {
                throw new AssertionError("a writer failed", failure.get());
            }
            assertEquals(runs, seen[1] + seen[2] + seen[3]);
            assertEquals(runs, counter(e.map("hits"), 0), "every run entered xdp_tail");
            assertEquals(seen[1], counter(e.map("hits"), 1), "xdp_chain ran once per XDP_DROP");
        }
    }

    private static long counter(BpfMap hits, int index) {
        return MapConcurrencyTest.le64(hits.lookup(le32(index)).orElseThrow(), 0);
    }

    /** A program id naming its slot in the low byte (never 0). */
    private static int progId(int writer, int round, int slot) {
        return (writer << 24) | (round << 8) | (slot + 1);
    }

    /**
     * DEVMAP and CPUMAP slots rewritten and emptied by several writers while programs look them up
     * and redirect through them: a program sees an empty slot or a whole {ifindex/qsize, prog id}
     * pair that a writer stored (the pair is one 8-byte store), and redirect_map's target agrees
     * with the slot's key or ifindex; what the slots hold at the end passes the same check.
     */
    @ParameterizedTest
    @EnumSource(value = MapType.class, names = {"DEVMAP", "CPUMAP"})
    void devmapAndCpumapSlotsRewrittenByManyWriters(MapType type) throws Exception {
        int slots = 4;
        Rcu rcu = new Rcu(READERS);
        boolean dev = type == MapType.DEVMAP;
        // DEVMAP: ifindex 1 (lo exists in every namespace), prog id = writer tag; CPUMAP: qsize and a
        // prog id derived from it.
        try (SlotArray m = (SlotArray) Maps.create(MapDefinition.of("slots", type, 4, 8, slots), slots, rcu)) {
            run(1, (w, n, p) -> {
                Random rnd = new Random(w * 1000L + n);
                for (int k = 0; k < 64; k++) {
                    int i = rnd.nextInt(slots);
                    if (rnd.nextInt(8) == 0) {
                        if (dev) {
                            m.delete(le32(i));
                        } else {
                            m.update(le32(i), pair(0, 0), MapFlags.BPF_ANY); // qsize 0 deletes
                        }
                    } else {
                        int lo = dev ? 1 : 1 + rnd.nextInt(SlotArray.CPUMAP_MAX_QSIZE);
                        int hi = dev ? 2 * (w * 100_000 + n * 64 + k) : (lo * 3) & 0xffff;
                        m.update(le32(i), pair(lo, hi), MapFlags.BPF_ANY);
                    }
                }
            }, reader -> {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment key = a.allocate(4, 4);
                    for (int i = 0; i < slots; i++) {
                        key.set(ValueLayout.JAVA_INT, 0, i);
                        long v = m.lookup(key.address(), reader);
                        if (v != 0) {
                            checkPair(dev, Native.getLong(v), i);
                        }
                        long target = m.redirectTarget(i);
                        if (target != -1 && target != (dev ? 1 : i)) {
                            throw new AssertionError("slot " + i + " redirects to " + target);
                        }
                    }
                }
            }, rcu);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment key = a.allocate(4, 4);
                for (int i = 0; i < slots; i++) {
                    key.set(ValueLayout.JAVA_INT, 0, i);
                    long v = m.lookup(key.address(), 0);
                    if (v != 0) {
                        checkPair(dev, Native.getLong(v), i);
                    }
                }
            }
        }
    }

    private static void checkPair(boolean dev, long pair, int slot) {
        int lo = (int) pair;
        int hi = (int) (pair >>> 32);
        boolean ok = dev ? lo == 1 && hi % 2 == 0 : lo > 0 && lo <= SlotArray.CPUMAP_MAX_QSIZE && hi == ((lo * 3) & 0xffff);
        if (!ok) {
            throw new AssertionError("slot " + slot + " holds a torn or unwritten value " + Long.toHexString(pair));
        }
    }

    private static byte[] pair(int lo, int hi) {
        return java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(lo).putInt(hi).array();
    }

    /**
     * XSKMAP: every writer inserts its socket into every slot with BPF_NOEXIST at once; exactly one
     * insert per slot wins and the slot then holds the winner's socket; writer 0 then empties the
     * slots. Programs redirecting meanwhile find the slot's queue or nothing.
     */
    @Test
    void xskmapNoexistInsertsHaveOneWinnerPerSlot() throws Exception {
        int slots = 8;
        Rcu rcu = new Rcu(READERS);
        try (SlotArray m = (SlotArray) Maps.create(MapDefinition.of("xsks", MapType.XSKMAP, 4, 4, slots), 1, rcu)) {
            AtomicReferenceArray<Integer> winner = new AtomicReferenceArray<>(slots);
            AtomicInteger wins = new AtomicInteger();
            run(3, (w, n, p) -> {
                switch (p) {
                    case 0 -> {
                        for (int i = 0; i < slots; i++) {
                            int slot = i;
                            int sock = socket(w, n);
                            long r = rc(() -> m.update(le32(slot), le32(sock), MapFlags.BPF_NOEXIST));
                            if (r == 0) {
                                wins.incrementAndGet();
                                assertEquals(null, winner.getAndSet(i, sock), "a second winner for slot " + i);
                            } else {
                                assertEquals(-Errno.EEXIST, r);
                            }
                        }
                    }
                    case 1 -> {
                        if (w == 0) {
                            assertEquals(slots * (n + 1), wins.get(), "one winner per slot in round " + n);
                            try (Arena a = Arena.ofConfined()) {
                                MemorySegment key = a.allocate(4, 4);
                                for (int i = 0; i < slots; i++) {
                                    key.set(ValueLayout.JAVA_INT, 0, i);
                                    assertEquals((int) winner.get(i), Native.getInt(m.lookup(key.address(), 0)),
                                            "slot " + i + " holds the winner's socket");
                                }
                            }
                        }
                    }
                    default -> {
                        if (w == 0) {
                            for (int i = 0; i < slots; i++) {
                                m.delete(le32(i));
                                winner.set(i, null);
                            }
                        }
                    }
                }
            }, reader -> {
                for (int i = 0; i < slots; i++) {
                    long q = m.redirectTarget(i);
                    if (q != -1 && q != i) {
                        throw new AssertionError("slot " + i + " redirects to queue " + q);
                    }
                }
            }, rcu);
            assertEquals(slots * ROUNDS, wins.get());
        }
    }

    private static int socket(int writer, int round) {
        return 1 + writer + WRITERS * round;
    }

    /**
     * HASH_OF_MAPS: writers race BPF_NOEXIST inserts of their own inner map under every key (one
     * winner per key, EEXIST for the rest), then replace inner maps with BPF_EXIST, then race deletes
     * (one success per key). Programs looking a key up get an inner map whose own contents name it:
     * never a half-replaced or unregistered one.
     */
    @Test
    void hashOfMapsInnerMapsInsertedReplacedAndDeletedByManyWriters() throws Exception {
        int keys = 16;
        Rcu rcu = new Rcu(READERS);
        MapDefinition template = MapDefinition.of("inner", MapType.ARRAY, 4, 8, 1);
        List<BpfMap> inner = new ArrayList<>();
        try (MapInMap outer = Maps.createMapInMap(MapDefinition.of("outer", MapType.HASH_OF_MAPS, 4, 4, keys), 1, rcu,
                template)) {
            for (int w = 0; w < WRITERS; w++) {
                BpfMap m = Maps.create(template, 1, rcu);
                m.update(le32(0), MapConcurrencyTest.le64(MapHandles.id(m)), MapFlags.BPF_ANY); // names itself
                inner.add(m);
            }
            AtomicInteger inserted = new AtomicInteger();
            AtomicInteger deleted = new AtomicInteger();
            AtomicReferenceArray<Integer> winner = new AtomicReferenceArray<>(keys);
            run(4, (w, n, p) -> {
                switch (p) {
                    case 0 -> {
                        for (int k = 0; k < keys; k++) {
                            int key = k;
                            long r = rc(() -> outer.set(le32(key), inner.get(w), MapFlags.BPF_NOEXIST));
                            if (r == 0) {
                                inserted.incrementAndGet();
                                assertEquals(null, winner.getAndSet(k, w), "a second winner for key " + k);
                            } else {
                                assertEquals(-Errno.EEXIST, r);
                            }
                        }
                    }
                    case 1 -> {
                        if (w == 0) {
                            assertEquals(keys * (n + 1), inserted.get(), "one insert per key in round " + n);
                            for (int k = 0; k < keys; k++) {
                                assertEquals(inner.get(winner.get(k)), outer.get(le32(k)).orElseThrow(),
                                        "key " + k + " holds the winner's inner map");
                            }
                        }
                    }
                    case 2 -> {
                        for (int k = 0; k < keys; k++) { // replace in place while programs look up
                            outer.set(le32(k), inner.get((w + k) % WRITERS), MapFlags.BPF_EXIST);
                        }
                    }
                    default -> {
                        for (int k = 0; k < keys; k++) {
                            int key = k;
                            long r = rc(() -> outer.delete(le32(key)));
                            if (r == 0) {
                                deleted.incrementAndGet();
                                winner.set(k, null);
                            } else {
                                assertEquals(-Errno.ENOENT, r);
                            }
                        }
                    }
                }
            }, reader -> {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment key = a.allocate(4, 4);
                    MemorySegment zero = a.allocate(4, 4);
                    for (int k = 0; k < keys; k++) {
                        key.set(ValueLayout.JAVA_INT, 0, k);
                        long handle = outer.lookup(key.address(), reader);
                        if (handle != 0) {
                            BpfMap m = MapHandles.map(handle);
                            if (m == null || !inner.contains(m)) {
                                throw new AssertionError("key " + k + " gave handle " + Long.toHexString(handle)
                                        + " of no inner map");
                            }
                            long v = m.lookup(zero.address(), reader);
                            if (Native.getLong(v) != MapHandles.id(m)) {
                                throw new AssertionError("inner map " + m + " holds " + Native.getLong(v));
                            }
                        }
                    }
                }
            }, rcu);
            assertEquals(keys * ROUNDS, inserted.get());
            assertEquals(keys * ROUNDS, deleted.get(), "one successful delete per key in every round");
            assertTrue(outer.getNextKey(null).isEmpty(), "every key deleted");
        } finally {
            for (BpfMap m : inner) {
                m.close();
            }
        }
    }
}
