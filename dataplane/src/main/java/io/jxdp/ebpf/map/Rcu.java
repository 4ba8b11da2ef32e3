package io.jxdp.ebpf.map;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * Quiescent-state based reclamation, jxdp's stand-in for the kernel's RCU: memory unlinked from a
 * shared structure (a replaced or deleted hash element) is reused only after every registered
 * worker has passed a quiescent state since the unlink.
 *
 * <p>Kernel analogy: a worker's handling of one packet (or one batch) is an RCU read-side critical
 * section, as an XDP program runs under {@code rcu_read_lock()}; {@link #quiescent(int)} between
 * packets is the context switch that reports a quiescent state ({@code rcu_qs()});
 * {@link #offline(int)} is an extended quiescent state (an idle CPU); {@link #synchronize(long)} is
 * {@code synchronize_rcu()} and the hash map's deferred free is {@code call_rcu()}.
 *
 * <p>Mechanism: a global epoch counter. Retiring memory increments it and tags the memory with the
 * new value {@code E}. A worker's quiescent state copies the current epoch into its own padded slot
 * (a volatile read, then a release store). Memory tagged {@code E} may be reused once every slot
 * holds at least {@code E}: each worker then read the epoch after the unlink happened, so its
 * current read-side section started after the unlink and cannot reach the memory, and its earlier
 * sections, which might have, are over. Slots of unregistered or offline workers hold
 * {@code Long.MAX_VALUE} and never hold reclamation back; with no registered workers at all,
 * memory is reusable at once (single-threaded use, as a kernel with one CPU).
 *
 * <p>Cost: {@link #quiescent(int)} is one volatile load and one release store to a cache line the
 * worker owns; {@link #quiescent(int, long)} stores only when the epoch moved since the worker's
 * last report: wait-free, no allocation. Registering, unregistering and {@link #synchronize} are
 * control-plane operations.
 */
public final class Rcu {
    /** Longs per slot: one 64-byte cache line, plus a line of padding against adjacent prefetch. */
    private static final int SLOT_STRIDE = 16;
    private static final long OFFLINE = Long.MAX_VALUE;
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle EPOCH;

    static {
        try {
            EPOCH = MethodHandles.lookup().findVarHandle(Rcu.class, "epoch", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int maxWorkers;
    /** Worker {@code w}'s last observed epoch at index {@code (w + 1) * SLOT_STRIDE}; first line is padding. */
    private final long[] slots;
    private final boolean[] registered;
    @SuppressWarnings("unused") // accessed through EPOCH
    private volatile long epoch = 1;

    /** A domain for up to {@code maxWorkers} worker threads (ids 0..maxWorkers-1). */
    public Rcu(int maxWorkers) {
        if (maxWorkers <= 0) {
            throw new IllegalArgumentException("maxWorkers must be positive: " + maxWorkers);
        }
        this.maxWorkers = maxWorkers;
        this.slots = new long[(maxWorkers + 2) * SLOT_STRIDE];
        this.registered = new boolean[maxWorkers];
        for (int w = 0; w < maxWorkers; w++) {
            SLOTS.setVolatile(slots, slotIndex(w), OFFLINE);
        }
    }

    public int maxWorkers() {
        return maxWorkers;
    }

    /** Registers worker {@code workerId} (e.g. the engine's worker index), online from now. */
    public synchronized void register(int workerId) {
        checkId(workerId);
        if (registered[workerId]) {
            throw new IllegalStateException("RCU worker " + workerId + " is already registered");
        }
        registered[workerId] = true;
        SLOTS.setVolatile(slots, slotIndex(workerId), (long) EPOCH.getVolatile(this));
    }

    /** Registers the lowest free worker id and returns it. */
    public synchronized int register() {
        for (int w = 0; w < maxWorkers; w++) {
            if (!registered[w]) {
                register(w);
                return w;
            }
        }
        throw new IllegalStateException("all " + maxWorkers + " RCU worker slots are registered");
    }

    /** Unregisters a worker: it holds no references any more and never again holds reclamation back. */
    public synchronized void unregister(int workerId) {
        checkId(workerId);
        registered[workerId] = false;
        SLOTS.setVolatile(slots, slotIndex(workerId), OFFLINE);
    }

    /**
     * Reports that worker {@code workerId} holds no reference obtained from a map (called between
     * packets or batches). Wait-free, allocation-free. The volatile epoch read orders the worker's
     * next lookups after any unlink that preceded the epoch it saw.
     */
    public void quiescent(int workerId) {
        SLOTS.setRelease(slots, (workerId + 1) * SLOT_STRIDE, (long) EPOCH.getVolatile(this));
    }

    /**
     * {@link #quiescent(int)} for a worker that remembers the epoch it last reported here
     * ({@code reported}, the value this method returned last time; 0 at first): reads the epoch
     * (volatile, as there) and stores it in the worker's slot only when it differs from
     * {@code reported}; returns it. Skipping the store when the epoch has not moved publishes
     * nothing less: the slot already holds that epoch (only {@link #online(int)} writes it besides,
     * with an epoch at least as new). Per packet, with the epoch still: one volatile load, no
     * store, and a caller can test {@code returned != reported} to do work only when some memory
     * was retired ({@link #advance()}) since its last report. Wait-free, allocation-free.
     */
    public long quiescent(int workerId, long reported) {
        long e = (long) EPOCH.getVolatile(this);
        if (e != reported) {
            SLOTS.setRelease(slots, (workerId + 1) * SLOT_STRIDE, e);
        }
        return e;
    }

    /**
     * Moves the epoch on, as retiring memory does, without memory of this domain to free: every
     * worker's next {@link #quiescent(int, long)} then returns a new epoch. For callers that queue
     * work of their own for the workers (after queueing it) and check the queue only when the
     * epoch moved.
     */
    public void advance() {
        retire();
    }

    /** Extended quiescent state: the worker is idle and holds nothing until {@link #online(int)}. */
    public void offline(int workerId) {
        SLOTS.setVolatile(slots, (workerId + 1) * SLOT_STRIDE, OFFLINE);
    }

    /** Ends an extended quiescent state; the worker may take references again after this returns. */
    public void online(int workerId) {
        // A volatile store, so the later epoch-ordered reads of the worker cannot move above it.
        SLOTS.setVolatile(slots, (workerId + 1) * SLOT_STRIDE, (long) EPOCH.getVolatile(this));
    }

    /**
     * Starts a grace period: called after memory was unlinked; returns the tag {@code E} with which
     * to {@link #isGracePeriodOver(long) ask} when the memory is reusable.
     */
    long retire() {
        return (long) EPOCH.getAndAdd(this, 1L) + 1;
    }

    /** The smallest epoch any registered online worker has observed ({@code Long.MAX_VALUE} if none). */
    long minObservedEpoch() {
        long min = OFFLINE;
        for (int w = 0; w < maxWorkers; w++) {
            long s = (long) SLOTS.getAcquire(slots, (w + 1) * SLOT_STRIDE);
            if (s < min) {
                min = s;
            }
        }
        return min;
    }

    /** Whether every registered worker passed a quiescent state after the retirement tagged {@code tag}. */
    boolean isGracePeriodOver(long tag) {
        return minObservedEpoch() >= tag;
    }

    /**
     * {@code synchronize_rcu()}: waits until every registered worker has passed a quiescent state
     * after this call began, or the timeout elapsed. Returns whether the grace period completed.
     */
    public boolean synchronize(long timeoutNanos) {
        long tag = retire();
        long deadline = System.nanoTime() + timeoutNanos;
        while (!isGracePeriodOver(tag)) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            LockSupport.parkNanos(50_000);
        }
        return true;
    }

    private static int slotIndex(int workerId) {
        return (workerId + 1) * SLOT_STRIDE;
    }

    private void checkId(int workerId) {
        if (workerId < 0 || workerId >= maxWorkers) {
            throw new IllegalArgumentException("RCU worker id " + workerId + " out of range 0.." + (maxWorkers - 1));
        }
    }
}
