package io.jxdp.ebpf.interp;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The native memory a program may touch in checked mode: a small list of [start, start + length)
 * regions, each readable and optionally writable. The interpreter keeps its own stack apart; callers
 * add the input memory, context and packet; helpers may add regions they hand out (map values).
 * Regions are kept in flat arrays and can be re-pointed with {@link #set} so a per-packet caller
 * allocates nothing; {@link #truncate} drops regions added after a mark.
 */
public final class MemoryRegions {
    private long[] start = new long[8];
    private long[] end = new long[8];
    private boolean[] writable = new boolean[8];
    private String[] names = new String[8];
    private int count;

    /** Adds a region and returns its index. */
    public int add(String name, long address, long length, boolean writable) {
        if (length < 0 || address + length < address) {
            throw new IllegalArgumentException("region " + name + ": bad range 0x" + Long.toHexString(address)
                    + " + " + length);
        }
        if (count == start.length) {
            int n = count * 2;
            start = Arrays.copyOf(start, n);
            end = Arrays.copyOf(end, n);
            this.writable = Arrays.copyOf(this.writable, n);
            names = Arrays.copyOf(names, n);
        }
        start[count] = address;
        end[count] = address + length;
        this.writable[count] = writable;
        names[count] = name;
        return count++;
    }

    /** Adds the whole of a native segment as a region. */
    public int add(String name, MemorySegment segment, boolean writable) {
        return add(name, segment.address(), segment.byteSize(), writable);
    }

    /** Re-points region index (e.g. at the next packet). */
    public void set(int index, long address, long length) {
        if (index < 0 || index >= count) {
            throw new IndexOutOfBoundsException("region " + index + " of " + count);
        }
        start[index] = address;
        end[index] = address + length;
    }

    /** Number of regions. */
    public int count() {
        return count;
    }

    /** Drops every region with index >= mark. */
    public void truncate(int mark) {
        if (mark < 0 || mark > count) {
            throw new IndexOutOfBoundsException("mark " + mark + " of " + count);
        }
        Arrays.fill(names, mark, count, null);
        count = mark;
    }

    /** Drops all regions. */
    public void clear() {
        truncate(0);
    }

    /** True if [address, address + size) lies inside one region, and that region is writable if write. */
    public boolean allows(long address, int size, boolean write) {
        long last = address + size;
        for (int i = 0; i < count; i++) {
            if (address >= start[i] && last <= end[i] && last >= address && (!write || writable[i])) {
                return true;
            }
        }
        return false;
    }

    /** Describes where address falls, for error messages. */
    public String describe(long address) {
        for (int i = 0; i < count; i++) {
            if (address >= start[i] && address < end[i]) {
                return "in region " + names[i] + " [0x" + Long.toHexString(start[i]) + ", 0x"
                        + Long.toHexString(end[i]) + ")" + (writable[i] ? "" : " read-only");
            }
        }
        return "outside every region";
    }
}
