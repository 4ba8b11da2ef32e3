package io.jxdp.ffi.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The ring protocol against a simulated kernel side on ordinary memory laid out as the kernel lays
 * it out (producer, consumer and flags on their own cache lines, then the entries). Indices start
 * just below 2^32 so that every test crosses the u32 wrap.
 */
class RingTest {
    private static final long PROD = 0;
    private static final long CONS = 64;
    private static final long FLAGS = 128;
    private static final long DESC = 192;

    private static MemorySegment ring(Arena arena, int size, int entrySize, int start) {
        MemorySegment m = arena.allocate(DESC + (long) size * entrySize, 64);
        m.set(ValueLayout.JAVA_INT, PROD, start);
        m.set(ValueLayout.JAVA_INT, CONS, start);
        return m;
    }

    @Test
    void producerRefreshesTheConsumerOnlyWhenTheCacheLooksFull() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = ring(arena, 8, 8, -3);
            ProducerRing p = new ProducerRing(m, PROD, CONS, FLAGS, DESC, 8, 8);
            assertEquals(8, p.reserve(8));
            p.submit(8);
            assertEquals(-3 + 8, m.get(ValueLayout.JAVA_INT, PROD), "producer published with the wrapped index");
            assertEquals(0, p.reserve(1), "full");
            m.set(ValueLayout.JAVA_INT, CONS, -3 + 5); // kernel consumed 5
            assertEquals(2, p.reserve(2), "refresh on looking full finds 5 free");
            m.set(ValueLayout.JAVA_INT, CONS, -3 + 8); // kernel consumed the rest
            assertEquals(3, p.free(1), "cache still shows 3 free: no refresh needed for 1");
            assertEquals(6, p.free(4), "asking for more than the cache shows refreshes");
            p.cancel(2);
            assertEquals(8, p.free(8));
        }
    }

    @Test
    void consumerRefreshesTheProducerOnlyWhenTheCacheIsEmpty() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = ring(arena, 16, 16, -2);
            ConsumerRing c = new ConsumerRing(m, PROD, CONS, FLAGS, DESC, 16, 16);
            for (int i = 0; i < 5; i++) {
                m.set(ValueLayout.JAVA_LONG, DESC + (long) ((-2 + i) & 15) * 16, 1000 + i);
                m.set(ValueLayout.JAVA_INT, DESC + (long) ((-2 + i) & 15) * 16 + 8, 60 + i);
            }
            m.set(ValueLayout.JAVA_INT, PROD, -2 + 5);
            int start = c.nextIndex();
            assertEquals(2, c.peek(2));
            assertEquals(1000, c.address(start));
            assertEquals(61, c.length(start + 1));
            m.set(ValueLayout.JAVA_INT, PROD, -2 + 9); // 4 more arrive
            assertEquals(3, c.peek(10), "the cache still holds 3: they come first, without a refresh");
            assertEquals(4, c.peek(10), "cache empty: refresh");
            assertEquals(-2, m.get(ValueLayout.JAVA_INT, CONS), "nothing released yet");
            c.release(9);
            assertEquals(-2 + 9, m.get(ValueLayout.JAVA_INT, CONS));
            assertEquals(0, c.peek(1));
        }
    }

    @Test
    void availableCountsWaitingEntriesWithoutClaimingThem() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = ring(arena, 8, 16, -1);
            ConsumerRing c = new ConsumerRing(m, PROD, CONS, FLAGS, DESC, 16, 8);
            assertEquals(0, c.available());
            m.set(ValueLayout.JAVA_INT, PROD, -1 + 3);
            assertEquals(3, c.available(), "empty cache: refreshed");
            assertEquals(3, c.available(), "nothing claimed");
            int start = c.nextIndex();
            assertEquals(2, c.peek(2));
            assertEquals(start + 2, c.nextIndex());
            m.set(ValueLayout.JAVA_INT, PROD, -1 + 6);
            assertEquals(1, c.available(), "the cache still holds 1: no refresh");
            assertEquals(1, c.peek(8));
            assertEquals(3, c.available(), "cache empty: refresh finds 3 more");
            assertEquals(-1, m.get(ValueLayout.JAVA_INT, CONS), "available never moves the consumer");
        }
    }

    @Test
    void needWakeupFollowsTheFlagsWord() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = ring(arena, 4, 8, 0);
            ProducerRing p = new ProducerRing(m, PROD, CONS, FLAGS, DESC, 8, 4);
            ConsumerRing c = new ConsumerRing(m, PROD, CONS, FLAGS, DESC, 8, 4);
            assertFalse(p.needsWakeup());
            assertFalse(c.needsWakeup());
            m.set(ValueLayout.JAVA_INT, FLAGS, IfXdp.XDP_RING_NEED_WAKEUP);
            assertTrue(p.needsWakeup());
            assertTrue(c.needsWakeup());
        }
    }

    /**
     * Random batches through a producer ring and a consumer ring sharing memory (the producer's
     * consumer is the simulated kernel, and vice versa): every value arrives once, in order, and
     * the producer never overwrites an unconsumed slot.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void randomBatchesKeepFifoOrderAcrossTheWrap(long seed) {
        Random r = new Random(seed);
        int size = 1 << (1 + r.nextInt(6));
        int entry = r.nextBoolean() ? 8 : 16;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = ring(arena, size, entry, -r.nextInt(1000));
            ProducerRing p = new ProducerRing(m, PROD, CONS, FLAGS, DESC, entry, size);
            ConsumerRing c = new ConsumerRing(m, PROD, CONS, FLAGS, DESC, entry, size);
            ArrayDeque<Long> inFlight = new ArrayDeque<>();
            long next = 0;
            for (int step = 0; step < 20_000; step++) {
                if (r.nextBoolean()) {
                    int start = p.nextIndex();
                    int n = p.reserve(1 + r.nextInt(size));
                    assertTrue(inFlight.size() + n <= size, "reserved past the consumer");
                    for (int i = 0; i < n; i++) {
                        if (entry == 8) {
                            p.putAddress(start + i, next);
                        } else {
                            p.putDescriptor(start + i, next, (int) (next & 0xffff), 0);
                        }
                        inFlight.add(next++);
                    }
                    p.submit(n);
                } else {
                    int start = c.nextIndex();
                    int n = c.peek(1 + r.nextInt(size));
                    for (int i = 0; i < n; i++) {
                        long want = inFlight.remove();
                        assertEquals(want, c.address(start + i));
                        if (entry == 16) {
                            assertEquals((int) (want & 0xffff), c.length(start + i));
                        }
                    }
                    c.release(n);
                }
                assertEquals(inFlight.size(), p.outstanding());
            }
        }
    }

    /** The data path addresses entries absolutely: a ring whose entries would not fit its mapping is refused. */
    @Test
    void aRingLargerThanItsMappingIsRefused() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = ring(arena, 8, 16, 0);
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> new ConsumerRing(m, PROD, CONS, FLAGS, DESC, 16, 16));
            assertTrue(e.getMessage().contains("256 bytes at offset 192 do not fit in a mapping of 320 bytes"),
                    e.getMessage());
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> new ProducerRing(m, PROD, CONS, FLAGS, DESC, 16, 12));
        }
    }
}
