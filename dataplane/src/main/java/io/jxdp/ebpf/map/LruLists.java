package io.jxdp.ebpf.map;

import io.jxdp.ffi.sys.Mmap;
import java.lang.foreign.MemorySegment;

/**
 * The LRU bookkeeping of LRU_HASH and LRU_PERCPU_HASH, after the kernel's {@code kernel/bpf/bpf_lru_list.c}
 * (6.16+: {@code target_free}), step for step, so that which entries survive a sequence of updates,
 * lookups and deletes driven from given CPUs is the kernel's.
 *
 * <pre>
 * common LRU (default): one LRU list {active, inactive, free} shared by all CPUs, and per CPU a local
 *   list {free, pending}. An update on CPU c takes a node from c's local free list; when that is empty
 *   it flushes c's pending nodes into the LRU list (referenced ones to active), rotates, and moves up
 *   to target_free = clamp(max_entries / nCpus / 2, 1, LOCAL_FREE_TARGET) nodes from the global free
 *   list, shrinking the inactive list (evicting) for the rest; failing that it steals a free or
 *   pending node of any CPU, round robin. A new node waits on c's pending list.
 * BPF_F_NO_COMMON_LRU: one LRU list per CPU holding max_entries / nCpus nodes (max_entries rounded up
 *   to a multiple of nCpus); CPU c evicts from its own list only (PERCPU_FREE_TARGET at a time), so it
 *   evicts while other CPUs' lists still have room, as the kernel does.
 * </pre>
 *
 * <p>Nodes on free lists carry nothing observable, so free lists are counters here; a node leaving a
 * free list gets an element slot from the table's pool and a node going back to one returns its slot
 * through the table's RCU retirement, so a value address a program holds stays valid until its
 * worker's next quiescent state (the kernel reuses an LRU element at once; jxdp does not). Live nodes
 * (active, inactive, pending) are doubly linked by slot index in an off-heap node array, with one
 * sentinel per list head:
 *
 * <pre>
 * node (16 bytes): +0 prev u32  +4 next u32  +8 cpu u32 (pending: the local list; NO_COMMON_LRU: the
 *                  list)  +12 type u8 (ACTIVE 0, INACTIVE 1, PENDING 4 as enum bpf_lru_list_type)
 * </pre>
 *
 * The reference bit is the element's (program-side lookups set it without a lock). Every method runs
 * under the table's LRU lock; the kernel's finer per-CPU locks change contention, not outcomes.
 */
final class LruLists {
    static final byte ACTIVE = 0;
    static final byte INACTIVE = 1;
    static final byte PENDING = 4;
    static final int LOCAL_FREE_TARGET = 128;
    static final int PERCPU_FREE_TARGET = 4;

    private static final long NODE = 16;
    private static final long N_PREV = 0;
    private static final long N_NEXT = 4;
    private static final long N_CPU = 8;
    private static final long N_TYPE = 12;

    /** What the LRU asks of its table (the kernel's del_from_htab and the element memory). */
    interface Table {
        /** Unlinks the element of {@code slot} from its bucket if it is linked there; whether it was. */
        boolean delFromHtab(int slot);

        /** Whether the element of {@code slot} has its reference bit set. */
        boolean isRef(int slot);

        void clearRef(int slot);

        /** A free element slot for a new node, or -1 when the pool's reserve is spent. */
        int allocSlot(int hash);

        /** Returns the slot of a node that went back to a free list (after a grace period). */
        void releaseSlot(int slot);
    }

    private final Table table;
    private final boolean percpu;
    private final int nCpus;
    private final int nrScans;
    private final int targetFree;
    private final MemorySegment mem;
    private final long nodes;

    // Per LRU list (one, or one per CPU with NO_COMMON_LRU): sentinel indices, counts, free counter.
    private final int[] activeHead;
    private final int[] inactiveHead;
    private final int[] nActive;
    private final int[] nInactive;
    private final int[] free;
    private final int[] nextInactiveRotation;
    // Per local list (common LRU only).
    private final int[] pendingHead;
    private final int[] localFree;
    private final int[] nextSteal;

    /**
     * @param slots element slots of the table's pool (node indices 0..slots-1)
     * @param nrElems the nodes in circulation: max_entries (NO_COMMON_LRU: already rounded to nCpus)
     */
    LruLists(Table table, MapDefinition def, boolean percpu, int nCpus, long slots, int nrElems) {
        if (slots + 3L * nCpus + 2 > Integer.MAX_VALUE) {
            throw new MapException(def.name(), io.jxdp.ffi.sys.Errno.E2BIG,
                    "LRU map of " + slots + " element slots is beyond the u32 node index");
        }
        this.table = table;
        this.percpu = percpu;
        this.nCpus = nCpus;
        int lists = percpu ? nCpus : 1;
        int locals = percpu ? 0 : nCpus;
        int sentinels = 2 * lists + locals;
        this.mem = Maps.mmap(def, (slots + sentinels) * NODE);
        this.nodes = mem.address();
        int s = (int) slots;
        activeHead = new int[lists];
        inactiveHead = new int[lists];
        nActive = new int[lists];
        nInactive = new int[lists];
        free = new int[lists];
        nextInactiveRotation = new int[lists];
        for (int l = 0; l < lists; l++) {
            activeHead[l] = initHead(s++);
            inactiveHead[l] = initHead(s++);
            nextInactiveRotation[l] = inactiveHead[l];
            free[l] = percpu ? nrElems / nCpus : nrElems; // bpf_percpu_lru_populate(): equal shares
        }
        pendingHead = new int[locals];
        localFree = new int[locals];
        nextSteal = new int[locals];
        for (int c = 0; c < locals; c++) {
            pendingHead[c] = initHead(s++);
            nextSteal[c] = c;
        }
        this.nrScans = percpu ? PERCPU_FREE_TARGET : LOCAL_FREE_TARGET;
        this.targetFree = Math.clamp((nrElems / nCpus) / 2, 1, LOCAL_FREE_TARGET);
    }

    void free() {
        Mmap.unmap(mem);
    }

    // ------------------------------------------------------------------ list primitives (list.h)

    private int initHead(int h) {
        setNext(h, h);
        setPrev(h, h);
        return h;
    }

    private long node(int i) {
        return nodes + i * NODE;
    }

    private int next(int i) {
        return Native.getInt(node(i) + N_NEXT);
    }

    private int prev(int i) {
        return Native.getInt(node(i) + N_PREV);
    }

    private void setNext(int i, int v) {
        Native.putInt(node(i) + N_NEXT, v);
    }

    private void setPrev(int i, int v) {
        Native.putInt(node(i) + N_PREV, v);
    }

    private byte type(int i) {
        return Native.getByte(node(i) + N_TYPE);
    }

    private void setType(int i, byte t) {
        Native.putByte(node(i) + N_TYPE, t);
    }

    private int cpu(int i) {
        return Native.getInt(node(i) + N_CPU);
    }

    /** list_add(): right after the head. */
    private void listAdd(int i, int head) {
        int n = next(head);
        setNext(i, n);
        setPrev(i, head);
        setPrev(n, i);
        setNext(head, i);
    }

    private void listDel(int i) {
        int p = prev(i);
        int n = next(i);
        setNext(p, n);
        setPrev(n, p);
    }

    private void listMove(int i, int head) {
        listDel(i);
        listAdd(i, head);
    }

    private int head(int l, byte type) {
        return type == ACTIVE ? activeHead[l] : inactiveHead[l];
    }

    private void countDec(int l, byte type) {
        if (type == ACTIVE) {
            nActive[l]--;
        } else if (type == INACTIVE) {
            nInactive[l]--;
        }
    }

    private void countInc(int l, byte type) {
        if (type == ACTIVE) {
            nActive[l]++;
        } else if (type == INACTIVE) {
            nInactive[l]++;
        }
    }

    // ------------------------------------------------------------------ node moves

    /** __bpf_lru_node_move(): between or within active and inactive, ref bit cleared. */
    private void move(int l, int i, byte tgt) {
        byte t = type(i);
        if (t != tgt) {
            countDec(l, t);
            countInc(l, tgt);
            setType(i, tgt);
        }
        table.clearRef(i);
        if (i == nextInactiveRotation[l]) {
            nextInactiveRotation[l] = prev(i);
        }
        listMove(i, head(l, tgt));
    }

    /**
     * __bpf_lru_node_move_to_free() (and __bpf_lru_node_move() to FREE): the node leaves list
     * {@code l}; {@code dest} &lt; 0 credits l's free list, else CPU dest's local free list.
     */
    private void moveToFree(int l, int i, int dest) {
        if (i == nextInactiveRotation[l]) {
            nextInactiveRotation[l] = prev(i);
        }
        countDec(l, type(i));
        listDel(i);
        table.releaseSlot(i);
        if (dest < 0) {
            free[l]++;
        } else {
            localFree[dest]++;
        }
    }

    /** __bpf_lru_node_move_in(): a pending node joins the LRU list. */
    private void moveIn(int l, int i, byte tgt) {
        countInc(l, tgt);
        setType(i, tgt);
        table.clearRef(i);
        listMove(i, head(l, tgt));
    }

    // ------------------------------------------------------------------ rotation and shrinking

    private void rotateActive(int l) {
        int h = activeHead[l];
        int first = next(h);
        int i = 0;
        for (int n = prev(h); n != h;) {
            int tmp = prev(n);
            move(l, n, table.isRef(n) ? ACTIVE : INACTIVE);
            if (++i == nrScans || n == first) {
                break;
            }
            n = tmp;
        }
    }

    private void rotateInactive(int l) {
        int h = inactiveHead[l];
        if (next(h) == h) {
            return;
        }
        int last = next(nextInactiveRotation[l]);
        if (last == h) {
            last = next(last);
        }
        int cur = nextInactiveRotation[l];
        int nxt = h;
        int i = 0;
        while (i < nrScans) {
            if (cur == h) {
                cur = prev(cur);
                continue;
            }
            nxt = prev(cur);
            if (table.isRef(cur)) {
                move(l, cur, ACTIVE);
            }
            if (cur == last) {
                break;
            }
            cur = nxt;
            i++;
        }
        nextInactiveRotation[l] = nxt;
    }

    private void rotate(int l) {
        if (nInactive[l] < nActive[l]) {
            rotateActive(l);
        }
        rotateInactive(l);
    }

    private int shrinkInactive(int l, int tgt, int dest) {
        int h = inactiveHead[l];
        int shrunk = 0;
        int i = 0;
        for (int n = prev(h); n != h;) {
            int tmp = prev(n);
            if (table.isRef(n)) {
                move(l, n, ACTIVE);
            } else if (table.delFromHtab(n)) {
                moveToFree(l, n, dest);
                if (++shrunk == tgt) {
                    break;
                }
            }
            if (++i == nrScans) {
                break;
            }
            n = tmp;
        }
        return shrunk;
    }

    /** __bpf_lru_list_shrink(): unreferenced inactive nodes, else one node by force (inactive first). */
    private int shrink(int l, int tgt, int dest) {
        int shrunk = shrinkInactive(l, tgt, dest);
        if (shrunk > 0) {
            return shrunk;
        }
        int h = next(inactiveHead[l]) != inactiveHead[l] ? inactiveHead[l] : activeHead[l];
        for (int n = prev(h); n != h;) {
            int tmp = prev(n);
            if (table.delFromHtab(n)) {
                moveToFree(l, n, dest);
                return 1;
            }
            n = tmp;
        }
        return 0;
    }

    // ------------------------------------------------------------------ pop and push

    /**
     * bpf_lru_pop_free() on {@code cpu}: a new node's element slot with {@code hash} written, linked
     * in the LRU bookkeeping; -1 when no node could be had (the kernel's ENOMEM), -2 when the pool's
     * grace-period reserve is spent.
     */
    int popFree(int cpu, int hash) {
        return percpu ? percpuPopFree(cpu, hash) : commonPopFree(cpu, hash);
    }

    private int percpuPopFree(int cpu, int hash) {
        rotate(cpu);
        if (free[cpu] == 0) {
            shrink(cpu, PERCPU_FREE_TARGET, -1);
        }
        if (free[cpu] == 0) {
            return -1;
        }
        int i = table.allocSlot(hash);
        if (i < 0) {
            return -2;
        }
        free[cpu]--;
        Native.putInt(node(i) + N_CPU, cpu);
        setType(i, INACTIVE);
        nInactive[cpu]++;
        table.clearRef(i);
        listAdd(i, inactiveHead[cpu]);
        return i;
    }

    private int commonPopFree(int cpu, int hash) {
        if (localFree[cpu] == 0) {
            popFreeToLocal(cpu);
        }
        if (localFree[cpu] > 0) {
            localFree[cpu]--;
            return addPending(cpu, hash);
        }
        // No free node locally nor in the LRU list: steal a free or pending node, round robin.
        int first = nextSteal[cpu];
        int steal = first;
        boolean got = false;
        do {
            if (localFree[steal] > 0) {
                localFree[steal]--;
                got = true;
            } else {
                got = popPending(steal);
            }
            steal = steal + 1 == nCpus ? 0 : steal + 1;
        } while (!got && steal != first);
        nextSteal[cpu] = steal;
        return got ? addPending(cpu, hash) : -1;
    }

    private void popFreeToLocal(int cpu) {
        int ph = pendingHead[cpu];
        for (int n = prev(ph); n != ph;) { // __local_list_flush(): oldest first
            int tmp = prev(n);
            moveIn(0, n, table.isRef(n) ? ACTIVE : INACTIVE);
            n = tmp;
        }
        rotate(0);
        int nfree = Math.min(free[0], targetFree);
        free[0] -= nfree;
        localFree[cpu] += nfree;
        if (nfree < targetFree) {
            shrink(0, targetFree - nfree, cpu);
        }
    }

    /** __local_list_pop_pending(): the oldest unreferenced pending node still in the table, else any. */
    private boolean popPending(int cpu) {
        int ph = pendingHead[cpu];
        for (int force = 0; force < 2; force++) {
            for (int n = prev(ph); n != ph; n = prev(n)) {
                if ((force == 1 || !table.isRef(n)) && table.delFromHtab(n)) {
                    listDel(n);
                    table.releaseSlot(n);
                    return true;
                }
            }
        }
        return false;
    }

    private int addPending(int cpu, int hash) {
        int i = table.allocSlot(hash);
        if (i < 0) {
            localFree[cpu]++;
            return -2;
        }
        Native.putInt(node(i) + N_CPU, cpu);
        setType(i, PENDING);
        table.clearRef(i);
        listAdd(i, pendingHead[cpu]);
        return i;
    }

    /** bpf_lru_push_free(): the node of {@code slot} (already out of the table) goes back to a free list. */
    void pushFree(int slot) {
        if (percpu) {
            moveToFree(cpu(slot), slot, -1);
        } else if (type(slot) == PENDING) {
            listDel(slot);
            table.releaseSlot(slot);
            localFree[cpu(slot)]++;
        } else {
            moveToFree(0, slot, -1);
        }
    }
}
