package io.jxdp.ebpf.map;

import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.Mmap;
import java.lang.foreign.MemorySegment;

/**
 * BPF_MAP_TYPE_LPM_TRIE ({@code kernel/bpf/lpm_trie.c}): longest-prefix match over keys
 * {@code struct bpf_lpm_trie_key_u8 { u32 prefixlen; u8 data[]; }} (prefixlen in host order, data in
 * network order, data[0] most significant), as an unbalanced binary trie of the kernel's exact
 * shape, so that {@code get_next_key} returns keys in the kernel's post-order (more specific first).
 *
 * <pre>
 * node (nodeSize bytes, 8-aligned), in a pool of 2 * max_entries + reserve slots of anonymous mmap
 * (a pinned trie: of its file):
 *   +0  child[0]   u64 address, 0 = none
 *   +8  child[1]   u64 address
 *   +16 prefixlen  u32
 *   +20 flags      u32   LPM_TREE_NODE_FLAG_IM (1): an intermediate node, no value, two children;
 *                        FLAG_LIVE (2, jxdp's): a value node linked in the trie (pinned reopen uses it)
 *   +24 data       round_up(data_size, 8)
 *   +24+D value    round_up(value_size, 8)   (unused by intermediate nodes)
 * header: +0 root u64, +8 writer lock u32
 * </pre>
 *
 * <p>Readers (program-side and user-side lookup, get_next_key) take no lock: they load the root
 * and child pointers with acquire, pairing with the writers' release stores of fully written
 * nodes. Writers take the one trie lock, as the kernel's {@code trie->lock}. Replaced and deleted
 * nodes are reused only after an {@link Rcu} grace period ({@code kfree_rcu} in the kernel), so a
 * value address a program holds stays valid until its worker's next quiescent state.
 *
 * <p>Update follows the kernel since 6.14: flags above BPF_EXIST are EINVAL, a prefixlen above
 * {@code 8 * data_size} EINVAL, BPF_NOEXIST on an existing prefix EEXIST, BPF_EXIST on a missing one
 * ENOENT, a new prefix in a full trie ENOSPC. Every node is preallocated (lazily touched) although
 * the kernel requires BPF_F_NO_PREALLOC, which {@link Maps#create} checks as the kernel does.
 *
 * <p>Pinned ({@link Maps#createPinned}): only the node pool is in the file. A value node carries
 * FLAG_LIVE from the moment it is linked until it is unlinked, replaced or turned intermediate
 * (written under the trie lock, after the release store that links it). On reopen the live nodes
 * are copied aside and inserted again, which rebuilds the trie, the pool and its free lists at this
 * process's addresses; the previous run's child pointers are never followed, as for
 * {@link HashTab}. A crash between linking a replacement and clearing the replaced node leaves both
 * live: reopen keeps the one later in the pool, which for a replacement made from the free stack
 * may be the old value.
 */
final class LpmTrie extends BpfMap {
    private static final long N_CHILD0 = LpmLookup.CHILD0;
    private static final long N_CHILD1 = LpmLookup.CHILD1;
    private static final long N_PREFIXLEN = LpmLookup.PREFIXLEN;
    private static final long N_FLAGS = LpmLookup.FLAGS;
    private static final long N_DATA = LpmLookup.DATA;
    private static final int FLAG_IM = LpmLookup.FLAG_IM;
    private static final int FLAG_LIVE = 2;
    private static final long H_ROOT = 0;
    private static final long H_LOCK = 8;
    private static final long MIN_RESERVE = 4096;

    private final int dataSize;
    private final int maxPrefixlen;
    private final int valueSize;
    private final long valueOffset;
    private final long nodeSize;
    private final long poolSize;
    private final MemorySegment header;
    private final long root;
    private final long lock;
    private final MemorySegment nodeMem;
    private final long nodes;
    /** Free stack (poolSize u64) then retire FIFO (poolSize x {address, tag}); guarded by the trie lock. */
    private final MemorySegment bookMem;
    private final long freeStack;
    private final long retireRing;
    private long bumped;
    private long freeTop;
    private long retireHead;
    private long retireTail;
    private long entries;
    private final Backing backing;
    /** IPv4 tries: the prefixes as a list while there are few (LpmPrefixList); else null. */
    private final LpmPrefixList prefixList;
    /** rebuildPrefixList's walk stack (trie lock held): a trie of MAX prefixes has at most 2 * MAX - 1 nodes. */
    private final long[] listWalk = new long[2 * LpmPrefixList.MAX];

    LpmTrie(MapDefinition def, int nCpus, Rcu rcu, Backing backing) {
        super(def, nCpus, rcu);
        this.backing = backing;
        this.dataSize = def.keySize() - 4;
        this.maxPrefixlen = dataSize * 8;
        this.valueSize = def.valueSize();
        this.valueOffset = N_DATA + Native.roundUp8(dataSize);
        this.nodeSize = valueOffset + Native.roundUp8(valueSize);
        long max = def.maxEntries();
        // at most max_entries value nodes and max_entries - 1 intermediate ones, plus nodes in their grace period
        this.poolSize = 2 * max + Math.max(MIN_RESERVE, Math.min(1L << 20, max));
        this.header = backing.region(def, 64, false);
        MemorySegment nm = null;
        try {
            nm = backing.region(def, poolSize * nodeSize, true);
            this.bookMem = backing.region(def, poolSize * 24, false);
        } catch (RuntimeException e) {
            backing.release(header);
            if (nm != null) {
                backing.release(nm);
            }
            backing.close();
            throw e;
        }
        this.nodeMem = nm;
        this.root = header.address() + H_ROOT;
        this.lock = header.address() + H_LOCK;
        this.nodes = nodeMem.address();
        this.freeStack = bookMem.address();
        this.retireRing = freeStack + poolSize * 8;
        this.prefixList = dataSize == 4 ? new LpmPrefixList() : null;
        if (backing.reopened()) {
            try {
                relink();
            } catch (RuntimeException e) {
                free();
                throw e;
            }
        }
    }

    /**
     * A pinned trie after a restart: the live value nodes are copied aside (prefixlen moved next to
     * the data so that the copy is a key), every slot is forgotten, and the prefixes are inserted
     * again. Runs before the map is published, so no reader sees the empty trie.
     */
    private void relink() {
        long live = 0;
        for (long i = 0; i < poolSize; i++) {
            if ((Native.getInt(nodes + i * nodeSize + N_FLAGS) & (FLAG_LIVE | FLAG_IM)) == FLAG_LIVE) {
                live++;
            }
        }
        if (live == 0) {
            return;
        }
        MemorySegment aside = Maps.mmap(def, live * nodeSize);
        try {
            long n = 0;
            for (long i = 0; i < poolSize && n < live; i++) {
                long node = nodes + i * nodeSize;
                int flags = Native.getInt(node + N_FLAGS);
                if ((flags & (FLAG_LIVE | FLAG_IM)) == FLAG_LIVE) {
                    long rec = aside.address() + n++ * nodeSize;
                    Native.copy(node, rec, nodeSize);
                    Native.putInt(rec + N_FLAGS, Native.getInt(node + N_PREFIXLEN)); // key = {prefixlen, data}
                    // cleared here, not in a sweep that would write every page of the sparse file: a crash
                    // during the re-insertion then finds each prefix once (in the slot it went back to)
                    Native.putInt(node + N_FLAGS, flags & ~FLAG_LIVE);
                }
            }
            for (long i = 0; i < n; i++) {
                long rec = aside.address() + i * nodeSize;
                int rc = doUpdate(rec + N_FLAGS, rec + valueOffset, MapFlags.BPF_ANY);
                if (rc != 0) {
                    throw new MapException(name(), -rc, "re-inserting prefix " + i + " (prefixlen "
                            + Native.getInt(rec + N_FLAGS) + ") of a pinned trie failed");
                }
            }
        } finally {
            Mmap.unmap(aside);
        }
    }

    /** Offset of the value in a node, for tests. */
    long valueOffset() {
        return valueOffset;
    }

    @Override
    public boolean supportsDelete() {
        return true;
    }

    /** Prefixes stored (the kernel's n_entries), for tests. */
    long entries() {
        Native.lock(lock);
        try {
            return entries;
        } finally {
            Native.unlock(lock);
        }
    }

    // ------------------------------------------------------------------ the trie

    /** extract_bit(): bit {@code index} of data, most significant first. */
    private static int bit(long data, int index) {
        return (Native.getByte(data + (index >>> 3)) >>> (7 - (index & 7))) & 1;
    }

    /** longest_prefix_match(): matching leading bits of node and key, at most min of their prefixlens. */
    private int match(long node, long keyAddr) {
        int limit = Math.min(Native.getInt(node + N_PREFIXLEN), Native.getInt(keyAddr));
        long a = node + N_DATA;
        long b = keyAddr + 4;
        int prefix = 0;
        int i = 0;
        for (; i + 8 <= dataSize; i += 8) {
            long diff = Long.reverseBytes(Native.getLong(a + i) ^ Native.getLong(b + i));
            if (diff != 0) {
                return Math.min(limit, prefix + Long.numberOfLeadingZeros(diff));
            }
            prefix += 64;
            if (prefix >= limit) {
                return limit;
            }
        }
        for (; i < dataSize; i++) {
            int diff = (Native.getByte(a + i) ^ Native.getByte(b + i)) & 0xff;
            if (diff != 0) {
                return Math.min(limit, prefix + Integer.numberOfLeadingZeros(diff) - 24);
            }
            prefix += 8;
            if (prefix >= limit) {
                return limit;
            }
        }
        return Math.min(limit, prefix);
    }

    private static long child(long node, int bit) {
        return Native.getLongAcquire(node + (bit == 0 ? N_CHILD0 : N_CHILD1));
    }

    private static boolean intermediate(long node) {
        return (Native.getInt(node + N_FLAGS) & FLAG_IM) != 0;
    }

    /**
     * trie_lookup_elem(): the longest prefix containing the key's address, or 0. IPv4 (4 data
     * bytes) and IPv6 (16) keys take a walk specialised for their size; every other size (and
     * {@link #longestMatchBytes}, kept for tests) the general one. All three are the kernel's walk,
     * node for node: only how the matching leading bits and the branch bit are computed differs.
     */
    private long longestMatch(long keyAddr) {
        return dataSize == 4 ? longestMatch4(root, keyAddr)
                : dataSize == 16 ? longestMatch16(root, keyAddr) : longestMatchBytes(keyAddr);
    }

    /**
     * The walk for 4 data bytes: the key's address is read once as a big-endian int; per node, the
     * matching leading bits are numberOfLeadingZeros of the XOR with the node's data (32 when equal),
     * capped by both prefixlens, and the branch bit is a shift of the key word.
     */
    private static long longestMatch4(long rootSlot, long keyAddr) {
        int keyPlen = Native.getInt(keyAddr);
        if (Integer.compareUnsigned(keyPlen, 32) > 0) {
            return 0;
        }
        int k = Integer.reverseBytes(Native.getInt(keyAddr + 4));
        long found = 0;
        for (long node = Native.getLongAcquire(rootSlot); node != 0; ) {
            int plen = Native.getInt(node + N_PREFIXLEN);
            int same = Integer.numberOfLeadingZeros(k ^ Integer.reverseBytes(Native.getInt(node + N_DATA)));
            int matchlen = Math.min(Math.min(plen, keyPlen), same);
            if (matchlen == 32) {
                return node;
            }
            if (matchlen < plen) {
                break;
            }
            if ((Native.getInt(node + N_FLAGS) & FLAG_IM) == 0) {
                found = node;
            }
            // plen = matchlen < 32 here: child[bit plen of the key, most significant first], 8 bytes each
            node = Native.getLongAcquire(node + (((k >>> (31 - plen)) & 1) << 3));
        }
        return found;
    }

    /** The walk for 16 data bytes (IPv6): as {@link #longestMatch4} on two big-endian longs. */
    private static long longestMatch16(long rootSlot, long keyAddr) {
        int keyPlen = Native.getInt(keyAddr);
        if (Integer.compareUnsigned(keyPlen, 128) > 0) {
            return 0;
        }
        long hi = Long.reverseBytes(Native.getLong(keyAddr + 4));
        long lo = Long.reverseBytes(Native.getLong(keyAddr + 12));
        long found = 0;
        for (long node = Native.getLongAcquire(rootSlot); node != 0; ) {
            int plen = Native.getInt(node + N_PREFIXLEN);
            long dh = hi ^ Long.reverseBytes(Native.getLong(node + N_DATA));
            int same = dh != 0 ? Long.numberOfLeadingZeros(dh)
                    : 64 + Long.numberOfLeadingZeros(lo ^ Long.reverseBytes(Native.getLong(node + N_DATA + 8)));
            int matchlen = Math.min(Math.min(plen, keyPlen), same);
            if (matchlen == 128) {
                return node;
            }
            if (matchlen < plen) {
                break;
            }
            if ((Native.getInt(node + N_FLAGS) & FLAG_IM) == 0) {
                found = node;
            }
            long b = plen < 64 ? hi >>> (63 - plen) : lo >>> (127 - plen);
            node = Native.getLongAcquire(node + ((b & 1) << 3));
        }
        return found;
    }

    /** The general walk, any data size: {@link #match} byte- and word-wise, {@link #bit} per step. */
    long longestMatchBytes(long keyAddr) {
        if (Integer.compareUnsigned(Native.getInt(keyAddr), maxPrefixlen) > 0) {
            return 0;
        }
        long found = 0;
        for (long node = Native.getLongAcquire(root); node != 0; ) {
            int matchlen = match(node, keyAddr);
            if (matchlen == maxPrefixlen) {
                return node;
            }
            int plen = Native.getInt(node + N_PREFIXLEN);
            if (matchlen < plen) {
                break;
            }
            if (!intermediate(node)) {
                found = node;
            }
            node = child(node, bit(keyAddr + 4, plen));
        }
        return found;
    }

    // ------------------------------------------------------------------ program side

    @Override
    public long lookup(long keyAddr, int cpu) {
        if (prefixList != null) {
            long v = prefixList.find(keyAddr);
            if (v != LpmPrefixList.WALK) {
                return v;
            }
        }
        long node = longestMatch(keyAddr);
        return node == 0 ? 0 : node + valueOffset;
    }

    @Override
    public LpmLookup lpmLookup() {
        return new LpmLookup(root, dataSize, valueOffset, prefixList);
    }

    @Override
    public int update(long keyAddr, long valueAddr, long flags, int cpu) {
        return rdonlyProg ? -Errno.EPERM : doUpdate(keyAddr, valueAddr, flags);
    }

    @Override
    public int delete(long keyAddr, int cpu) {
        return rdonlyProg ? -Errno.EPERM : doDelete(keyAddr);
    }

    /** trie_update_elem(). */
    private int doUpdate(long keyAddr, long valueAddr, long flags) {
        if (Long.compareUnsigned(flags, MapFlags.BPF_EXIST) > 0) {
            return -Errno.EINVAL;
        }
        int keyPlen = Native.getInt(keyAddr);
        if (Integer.compareUnsigned(keyPlen, maxPrefixlen) > 0) {
            return -Errno.EINVAL;
        }
        Native.lock(lock);
        try {
            stopPrefixList();
            try {
                return updateLocked(keyAddr, valueAddr, flags, keyPlen);
            } finally {
                rebuildPrefixList();
            }
        } finally {
            Native.unlock(lock);
        }
    }

    /** The change itself, trie lock held. */
    private int updateLocked(long keyAddr, long valueAddr, long flags, int keyPlen) {
        long slot = root;
        long node;
        int matchlen = 0;
        while ((node = Native.getLong(slot)) != 0) {
            matchlen = match(node, keyAddr);
            int plen = Native.getInt(node + N_PREFIXLEN);
            if (plen != matchlen || plen == keyPlen) {
                break;
            }
            slot = node + (bit(keyAddr + 4, plen) == 0 ? N_CHILD0 : N_CHILD1);
        }
        if (node == 0) {
            int rc = checkAdd(flags);
            if (rc != 0) {
                return rc;
            }
            return link(slot, newNode(keyAddr, valueAddr));
        }
        if (Native.getInt(node + N_PREFIXLEN) == matchlen) { // the prefix exists: replace the node
            if (!intermediate(node)) {
                if (flags == MapFlags.BPF_NOEXIST) {
                    return -Errno.EEXIST;
                }
            } else {
                int rc = checkAdd(flags);
                if (rc != 0) {
                    return rc;
                }
            }
            long n = newNode(keyAddr, valueAddr);
            if (n == 0) {
                if (intermediate(node)) {
                    entries--;
                }
                return -Errno.ENOMEM;
            }
            Native.putLong(n + N_CHILD0, Native.getLong(node + N_CHILD0));
            Native.putLong(n + N_CHILD1, Native.getLong(node + N_CHILD1));
            Native.putLongRelease(slot, n);
            live(n);
            retire(node);
            return 0;
        }
        int rc = checkAdd(flags);
        if (rc != 0) {
            return rc;
        }
        long n = newNode(keyAddr, valueAddr);
        if (n == 0) {
            entries--;
            return -Errno.ENOMEM;
        }
        if (matchlen == keyPlen) { // the new prefix is an ancestor of node
            Native.putLong(n + (bit(node + N_DATA, matchlen) == 0 ? N_CHILD0 : N_CHILD1), node);
            Native.putLongRelease(slot, n);
            live(n);
            return 0;
        }
        long im = alloc();
        if (im == 0) {
            entries--;
            free(n);
            return -Errno.ENOMEM;
        }
        Native.putInt(im + N_PREFIXLEN, matchlen);
        Native.putInt(im + N_FLAGS, FLAG_IM);
        Native.copy(node + N_DATA, im + N_DATA, dataSize);
        boolean right = bit(keyAddr + 4, matchlen) == 1;
        Native.putLong(im + N_CHILD0, right ? node : n);
        Native.putLong(im + N_CHILD1, right ? n : node);
        Native.putLongRelease(slot, im);
        live(n);
        return 0;
    }

    /**
     * Before a change (trie lock held), before any node is retired: lookups walk the trie from here
     * until {@link #rebuildPrefixList} publishes the list again.
     */
    private void stopPrefixList() {
        if (prefixList != null) {
            prefixList.begin();
        }
    }

    /**
     * Rewrites the prefix list from the trie (trie lock held, after a change, {@link #stopPrefixList}
     * called before it): the value nodes of a trie of at most LpmPrefixList.MAX prefixes, else no
     * list. Allocates nothing.
     */
    private void rebuildPrefixList() {
        if (prefixList == null) {
            return;
        }
        if (entries > LpmPrefixList.MAX) {
            prefixList.end(false);
            return;
        }
        int top = 0;
        long r = Native.getLong(root);
        if (r != 0) {
            listWalk[top++] = r;
        }
        boolean ok = true;
        while (top > 0 && ok) {
            long n = listWalk[--top];
            long c0 = Native.getLong(n + N_CHILD0);
            long c1 = Native.getLong(n + N_CHILD1);
            if (top + 2 > listWalk.length) {
                ok = false;
                break;
            }
            if (c0 != 0) {
                listWalk[top++] = c0;
            }
            if (c1 != 0) {
                listWalk[top++] = c1;
            }
            if (!intermediate(n)) {
                ok = prefixList.add(Native.getInt(n + N_PREFIXLEN), Native.getInt(n + N_DATA), n + valueOffset);
            }
        }
        prefixList.end(ok);
    }

    /** Whether lookups scan the prefix list now (LpmPrefixList), for tests. */
    boolean prefixListActive() {
        return prefixList != null && prefixList.active();
    }

    /** trie_check_add_elem(): a new prefix needs room and no BPF_EXIST. */
    private int checkAdd(long flags) {
        if (flags == MapFlags.BPF_EXIST) {
            return -Errno.ENOENT;
        }
        if (entries == def.maxEntries()) {
            return -Errno.ENOSPC;
        }
        entries++;
        return 0;
    }

    private int link(long slot, long n) {
        if (n == 0) {
            entries--;
            return -Errno.ENOMEM;
        }
        Native.putLongRelease(slot, n);
        live(n);
        return 0;
    }

    /**
     * Marks a linked value node live, after the release store that linked it (trie lock held).
     * Readers look only at FLAG_IM, which this plain store of the whole word leaves as it is.
     */
    private static void live(long n) {
        Native.putInt(n + N_FLAGS, Native.getInt(n + N_FLAGS) | FLAG_LIVE);
    }

    /** A value node for the key, children empty; 0 if the pool is spent (trie lock held). */
    private long newNode(long keyAddr, long valueAddr) {
        long n = alloc();
        if (n == 0) {
            return 0;
        }
        Native.putInt(n + N_PREFIXLEN, Native.getInt(keyAddr));
        Native.copy(keyAddr + 4, n + N_DATA, dataSize);
        Native.copy(valueAddr, n + valueOffset, valueSize);
        return n;
    }

    /** trie_delete_elem(). */
    private int doDelete(long keyAddr) {
        int keyPlen = Native.getInt(keyAddr);
        if (Integer.compareUnsigned(keyPlen, maxPrefixlen) > 0) {
            return -Errno.EINVAL;
        }
        Native.lock(lock);
        try {
            stopPrefixList();
            try {
                return deleteLocked(keyAddr, keyPlen);
            } finally {
                rebuildPrefixList();
            }
        } finally {
            Native.unlock(lock);
        }
    }

    /** The change itself, trie lock held. */
    private int deleteLocked(long keyAddr, int keyPlen) {
        long trim = root;
        long trim2 = trim;
        long parent = 0;
        long node;
        int matchlen = 0;
        while ((node = Native.getLong(trim)) != 0) {
            matchlen = match(node, keyAddr);
            int plen = Native.getInt(node + N_PREFIXLEN);
            if (plen != matchlen || plen == keyPlen) {
                break;
            }
            parent = node;
            trim2 = trim;
            trim = node + (bit(keyAddr + 4, plen) == 0 ? N_CHILD0 : N_CHILD1);
        }
        if (node == 0 || Native.getInt(node + N_PREFIXLEN) != keyPlen
                || Native.getInt(node + N_PREFIXLEN) != matchlen || intermediate(node)) {
            return -Errno.ENOENT;
        }
        entries--;
        long c0 = Native.getLong(node + N_CHILD0);
        long c1 = Native.getLong(node + N_CHILD1);
        if (c0 != 0 && c1 != 0) { // two children: the node becomes intermediate
            Native.putIntRelease(node + N_FLAGS, (Native.getInt(node + N_FLAGS) | FLAG_IM) & ~FLAG_LIVE);
            return 0;
        }
        if (parent != 0 && intermediate(parent) && c0 == 0 && c1 == 0) {
            // drop the intermediate parent too and promote the sibling: intermediate nodes keep two children
            long sibling = Native.getLong(parent + N_CHILD0) == node ? Native.getLong(parent + N_CHILD1)
                    : Native.getLong(parent + N_CHILD0);
            Native.putLongRelease(trim2, sibling);
            retire(parent);
            retire(node);
            return 0;
        }
        Native.putLongRelease(trim, c0 != 0 ? c0 : c1);
        retire(node);
        return 0;
    }

    // ------------------------------------------------------------------ node pool (trie lock held)

    private long alloc() {
        if (freeTop == 0 && retireHead != retireTail) {
            reclaim();
        }
        long n;
        if (freeTop > 0) {
            n = Native.getLong(freeStack + --freeTop * 8);
        } else if (bumped < poolSize) {
            n = nodes + bumped++ * nodeSize;
        } else {
            return 0;
        }
        Native.putLong(n + N_CHILD0, 0);
        Native.putLong(n + N_CHILD1, 0);
        Native.putInt(n + N_FLAGS, 0);
        return n;
    }

    /** A node never published: straight back to the free stack. */
    private void free(long n) {
        Native.putLong(freeStack + freeTop++ * 8, n);
    }

    /** kfree_rcu(): reused after a grace period; the node keeps its children for readers on it. */
    private void retire(long n) {
        Native.putInt(n + N_FLAGS, Native.getInt(n + N_FLAGS) & ~FLAG_LIVE); // FLAG_IM stays for readers on it
        long slot = retireRing + (retireTail % poolSize) * 16;
        Native.putLong(slot, n);
        Native.putLong(slot + 8, rcu.retire());
        retireTail++;
    }

    private void reclaim() {
        long safe = rcu.minObservedEpoch();
        while (retireHead != retireTail) {
            long slot = retireRing + (retireHead % poolSize) * 16;
            if (Native.getLong(slot + 8) > safe) {
                return;
            }
            Native.putLong(freeStack + freeTop++ * 8, Native.getLong(slot));
            retireHead++;
        }
    }

    // ------------------------------------------------------------------ user side

    @Override
    int userLookup(long keyAddr, long out) {
        long node = longestMatch(keyAddr);
        if (node == 0) {
            return -Errno.ENOENT;
        }
        Native.copy(node + valueOffset, out, valueSize);
        return 0;
    }

    @Override
    int userUpdate(long keyAddr, long value, long flags) {
        return doUpdate(keyAddr, value, flags);
    }

    @Override
    int userDelete(long keyAddr) {
        return doDelete(keyAddr);
    }

    /**
     * trie_get_next_key(): post-order, more specific prefixes first. A missing, intermediate or
     * out-of-range key starts again from the leftmost node. Takes the trie lock (the kernel walks
     * under RCU; user space here need not be a registered worker).
     */
    @Override
    int userGetNextKey(long keyAddr, long nextOut) {
        Native.lock(lock);
        try {
            long searchRoot = Native.getLong(root);
            if (searchRoot == 0) {
                return -Errno.ENOENT;
            }
            if (keyAddr != 0 && Integer.compareUnsigned(Native.getInt(keyAddr), maxPrefixlen) <= 0) {
                long[] stack = new long[maxPrefixlen + 1];
                int sp = -1;
                long node = searchRoot;
                int matchlen = 0;
                int keyPlen = Native.getInt(keyAddr);
                while (node != 0) {
                    stack[++sp] = node;
                    matchlen = match(node, keyAddr);
                    int plen = Native.getInt(node + N_PREFIXLEN);
                    if (plen != matchlen || plen == keyPlen) {
                        break;
                    }
                    node = Native.getLong(node + (bit(keyAddr + 4, plen) == 0 ? N_CHILD0 : N_CHILD1));
                }
                if (node != 0 && Native.getInt(node + N_PREFIXLEN) == matchlen && matchlen == keyPlen
                        && !intermediate(node)) {
                    // the exact node: the next one in post-order
                    node = stack[sp];
                    searchRoot = 0;
                    while (sp > 0) {
                        long parent = stack[sp - 1];
                        if (Native.getLong(parent + N_CHILD0) == node && Native.getLong(parent + N_CHILD1) != 0) {
                            searchRoot = Native.getLong(parent + N_CHILD1);
                            break;
                        }
                        if (!intermediate(parent)) {
                            copyKey(parent, nextOut);
                            return 0;
                        }
                        node = parent;
                        sp--;
                    }
                    if (searchRoot == 0) {
                        return -Errno.ENOENT;
                    }
                }
            }
            // the leftmost non-intermediate node: intermediate nodes always have two children
            long next = 0;
            for (long node = searchRoot; node != 0; ) {
                if (intermediate(node)) {
                    node = Native.getLong(node + N_CHILD0);
                } else {
                    next = node;
                    node = Native.getLong(node + N_CHILD0);
                    if (node == 0) {
                        node = Native.getLong(next + N_CHILD1);
                    }
                }
            }
            copyKey(next, nextOut);
            return 0;
        } finally {
            Native.unlock(lock);
        }
    }

    private void copyKey(long node, long out) {
        Native.putInt(out, Native.getInt(node + N_PREFIXLEN));
        Native.copy(node + N_DATA, out + 4, dataSize);
    }

    @Override
    void free() {
        backing.release(header);
        backing.release(nodeMem);
        backing.release(bookMem);
        backing.close();
    }
}
