package io.jxdp.ebpf.map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class RcuTest {
    private static final long MS = 1_000_000L;

    @Test
    void noWorkersMeansGracePeriodsAreImmediate() {
        Rcu rcu = new Rcu(4);
        long tag = rcu.retire();
        assertTrue(rcu.isGracePeriodOver(tag));
        assertTrue(rcu.synchronize(0));
    }

    @Test
    void aRegisteredWorkerHoldsGracePeriodsUntilItIsQuiescent() {
        Rcu rcu = new Rcu(4);
        int w = rcu.register();
        assertEquals(0, w);
        rcu.quiescent(w);
        long tag = rcu.retire();
        assertFalse(rcu.isGracePeriodOver(tag), "worker has not passed a quiescent state since");
        assertFalse(rcu.synchronize(5 * MS), "synchronize times out while the worker is inside a section");
        rcu.quiescent(w);
        assertTrue(rcu.isGracePeriodOver(tag));
        long tag2 = rcu.retire();
        assertFalse(rcu.isGracePeriodOver(tag2));
        rcu.offline(w);
        assertTrue(rcu.isGracePeriodOver(tag2), "an offline worker holds nothing");
        rcu.online(w);
        assertTrue(rcu.isGracePeriodOver(tag2), "online after the retirement: cannot hold the old memory");
        assertFalse(rcu.isGracePeriodOver(rcu.retire()));
        rcu.unregister(w);
        assertTrue(rcu.synchronize(0));
    }

    @Test
    void aWorkerThatRemembersItsReportStoresOnlyWhenTheEpochMoved() {
        Rcu rcu = new Rcu(2);
        rcu.register(0);
        rcu.register(1);
        long reported = rcu.quiescent(0, 0);
        rcu.quiescent(1);
        assertEquals(reported, rcu.minObservedEpoch(), "the first report stores the epoch");
        assertEquals(reported, rcu.quiescent(0, reported), "epoch unchanged: the same value, nothing to store");
        long tag = rcu.retire();
        assertFalse(rcu.isGracePeriodOver(tag));
        rcu.quiescent(1);
        assertFalse(rcu.isGracePeriodOver(tag), "worker 0 has not reported since the retirement");
        long now = rcu.quiescent(0, reported);
        assertEquals(tag, now, "the report returns the moved epoch");
        assertTrue(rcu.isGracePeriodOver(tag), "and stored it");
        assertEquals(now, rcu.quiescent(0, now));
        assertTrue(rcu.isGracePeriodOver(tag), "a skipped store leaves the slot as it was");

        rcu.advance();
        long moved = rcu.quiescent(0, now);
        assertEquals(now + 1, moved, "advance moves the epoch without anything to free");
        rcu.quiescent(1);
        assertTrue(rcu.isGracePeriodOver(moved));

        // offline/online between reports (InnerMaps.reclaim): online stores an epoch at least as new
        rcu.offline(0);
        long tag2 = rcu.retire();
        rcu.online(0);
        rcu.quiescent(1);
        assertTrue(rcu.isGracePeriodOver(tag2));
        assertEquals(tag2, rcu.quiescent(0, moved));
        assertTrue(rcu.isGracePeriodOver(tag2));
    }

    @Test
    void synchronizeReturnsOnceAWorkerThreadReportsQuiescence() throws Exception {
        Rcu rcu = new Rcu(2);
        rcu.register(1);
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(1);
        Thread worker = new Thread(() -> {
            started.countDown();
            long deadline = System.nanoTime() + 10_000 * MS;
            while (!stop.get() && System.nanoTime() < deadline) {
                rcu.quiescent(1);
                Thread.onSpinWait();
            }
        });
        worker.start();
        try {
            assertTrue(started.await(5, TimeUnit.SECONDS));
            for (int i = 0; i < 100; i++) {
                assertTrue(rcu.synchronize(5_000 * MS), "grace period " + i);
            }
        } finally {
            stop.set(true);
            worker.join(10_000);
        }
        assertFalse(worker.isAlive());
    }

    @Test
    void registrationErrors() {
        Rcu rcu = new Rcu(1);
        rcu.register(0);
        assertThrows(IllegalStateException.class, () -> rcu.register(0));
        assertThrows(IllegalStateException.class, rcu::register);
        assertThrows(IllegalArgumentException.class, () -> rcu.register(1));
        assertThrows(IllegalArgumentException.class, () -> new Rcu(0));
    }

    /** The hash map reuses a deleted element only after the grace period; with no workers, at once. */
    @Test
    void deletedHashElementIsReusedOnlyAfterTheGracePeriod() {
        Rcu rcu = new Rcu(2);
        int w = rcu.register();
        try (Arena a = Arena.ofConfined(); BpfMap m = Maps.create(MapDefinition.of("gp", MapType.HASH, 8, 8, 4), 1, rcu)) {
            MemorySegment key = a.allocate(8, 8);
            MemorySegment val = a.allocate(8, 8);
            key.set(ValueLayout.JAVA_LONG, 0, 1);
            assertEquals(0, m.update(key.address(), val.address(), 0, 0));
            long held = m.lookup(key.address(), 0); // the worker holds this value address
            assertEquals(0, m.delete(key.address(), 0));
            Set<Long> reused = new HashSet<>();
            int enomemAt = -1;
            for (long k = 10; k < 1_000_000 && enomemAt < 0; k++) { // churn: 4 live at most, none reclaimable
                key.set(ValueLayout.JAVA_LONG, 0, k);
                int rc = m.update(key.address(), val.address(), 0, 0);
                if (rc == -io.jxdp.ffi.sys.Errno.ENOMEM) {
                    enomemAt = (int) k;
                    break;
                }
                assertEquals(0, rc);
                reused.add(m.lookup(key.address(), 0));
                assertEquals(0, m.delete(key.address(), 0));
            }
            assertTrue(enomemAt > 10 + 4, "the reserve for elements in their grace period ran out at " + enomemAt);
            assertFalse(reused.contains(held), "element reused while a registered worker may hold it");
            rcu.quiescent(w);
            key.set(ValueLayout.JAVA_LONG, 0, 5);
            assertEquals(0, m.update(key.address(), val.address(), 0, 0));
            // The free stack is LIFO over the FIFO of retirements: 'held' was retired first, so it is
            // reclaimed first and comes out last; reuse it by draining.
            Set<Long> after = new HashSet<>();
            for (long k = 1_000_000; k < 1_300_000 && !after.contains(held); k++) {
                key.set(ValueLayout.JAVA_LONG, 0, k);
                assertEquals(0, m.update(key.address(), val.address(), 0, 0));
                after.add(m.lookup(key.address(), 0));
                assertEquals(0, m.delete(key.address(), 0));
                rcu.quiescent(w);
            }
            assertTrue(after.contains(held), "element reused once the grace period is over");
        }
    }

    @Test
    void withoutWorkersAReplacedElementIsReusedAtOnce() {
        try (Arena a = Arena.ofConfined(); BpfMap m = Maps.create(MapDefinition.of("st", MapType.HASH, 8, 8, 4), 1)) {
            MemorySegment key = a.allocate(8, 8);
            MemorySegment val = a.allocate(8, 8);
            assertEquals(0, m.update(key.address(), val.address(), 0, 0));
            long first = m.lookup(key.address(), 0);
            assertEquals(0, m.update(key.address(), val.address(), 0, 0)); // replace: new element, old retired
            long second = m.lookup(key.address(), 0);
            assertNotEquals(first, second, "replacement links a new element");
            assertEquals(0, m.update(key.address(), val.address(), 0, 0));
            assertEquals(first, m.lookup(key.address(), 0), "the retired element came straight back");
        }
    }
}
