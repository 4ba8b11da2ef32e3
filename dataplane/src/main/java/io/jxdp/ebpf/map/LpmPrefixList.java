package io.jxdp.ebpf.map;

import java.lang.invoke.VarHandle;

/**
 * The prefixes of a small IPv4 LPM_TRIE as a flat list, longest first, for lookups that scan it
 * instead of walking the trie: per prefix one XOR and shift of the key against the prefix's bits,
 * from one array, instead of a dependent load per trie node. The first prefix no longer than the
 * key's prefixlen whose bits the key's address shares is the longest such prefix, which is what
 * the kernel's {@code trie_lookup_elem} walk finds (prefixes of one length are disjoint, so the
 * order among them does not matter).
 *
 * <p>{@link LpmTrie} rewrites the list under its trie lock after every change that succeeds, in
 * place (no allocation), as a sequence lock: the sequence is odd while the list is being written
 * and while the trie holds more than {@link #MAX} prefixes; a lookup that starts on an odd
 * sequence or ends on a different one answers {@link #WALK} and the caller walks the trie. A lookup
 * racing a change thus sees the prefixes before or after it, as a walk does; the nodes it names are
 * retired under the trie's RCU grace period, so the value address stays valid as for a walk.
 *
 * <p>Public for the JIT, whose generated LPM lookups call {@link #find} (which C2 inlines) and walk
 * the trie only on {@link #WALK}.
 */
public final class LpmPrefixList {
    /** At most this many prefixes are kept as a list; a bigger trie is walked. */
    public static final int MAX = 16;
    /** What {@link #find} answers when there is no valid list: walk the trie. Never a value address. */
    public static final long WALK = -1;

    /**
     * Per prefix, longest first, two longs: {@code (bits << 32) | prefixlen}, bits being the
     * prefix's 4 data bytes as a big-endian u32; then the node's value address.
     */
    private final long[] prefixes = new long[2 * MAX];
    /** Prefixes in the list (writers: under the trie lock). */
    private int count;
    /** Even: the list is valid. Odd: being written, or the trie is too big. */
    private volatile long seq;

    LpmPrefixList() {
    }

    /**
     * The value address of the longest prefix containing the key {@code {u32 prefixlen; u8 data[4]}}
     * at keyAddr, 0 when none does (or the key's prefixlen is above 32), or {@link #WALK}.
     */
    public long find(long keyAddr) {
        long s = seq;
        if ((s & 1) != 0) {
            return WALK;
        }
        int keyPlen = Native.getInt(keyAddr);
        if (Integer.compareUnsigned(keyPlen, 32) > 0) {
            return 0;
        }
        long k = Integer.toUnsignedLong(Integer.reverseBytes(Native.getInt(keyAddr + 4)));
        long[] p = prefixes;
        int n = Math.min(count, MAX);
        long found = 0;
        for (int i = 0; i < n; i++) {
            long w = p[2 * i];
            int plen = (int) w;
            // a long shift by 32 - plen: plen 0 (a shift by 32) matches every key
            if (plen <= keyPlen && ((k ^ (w >>> 32)) >>> (32 - plen)) == 0) {
                found = p[2 * i + 1];
                break;
            }
        }
        VarHandle.acquireFence(); // the list's reads before the second read of seq (StampedLock.validate)
        return seq == s ? found : WALK;
    }

    /** Whether the list is valid now (false: {@link #find} answers {@link #WALK}); for tests. */
    boolean active() {
        return (seq & 1) == 0;
    }

    /** Starts rewriting the list (trie lock held): lookups walk until {@link #end}. */
    void begin() {
        long s = seq;
        if ((s & 1) == 0) {
            seq = s + 1;
        }
        VarHandle.storeStoreFence(); // the odd sequence before the list's writes
        count = 0;
    }

    /**
     * Adds a value node (trie lock held, between {@link #begin} and {@link #end}); false when the
     * list is full.
     */
    boolean add(int plen, int dataLe, long valueAddr) {
        if (count == MAX) {
            return false;
        }
        long w = Integer.toUnsignedLong(Integer.reverseBytes(dataLe)) << 32 | plen;
        int j = count++;
        for (; j > 0 && (int) prefixes[2 * (j - 1)] < plen; j--) { // insertion sort, longest first
            prefixes[2 * j] = prefixes[2 * (j - 1)];
            prefixes[2 * j + 1] = prefixes[2 * (j - 1) + 1];
        }
        prefixes[2 * j] = w;
        prefixes[2 * j + 1] = valueAddr;
        return true;
    }

    /** Ends a rewrite (trie lock held): valid publishes the list (a release store), else lookups keep walking. */
    void end(boolean valid) {
        if (valid) {
            seq = seq + 1;
        }
    }
}
