package io.jxdp.ffi.bpf;

import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.LibC;
import io.jxdp.ffi.sys.NativeException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Repeated access to one map without allocation: the attr block, the errno capture and native
 * key and value buffers are allocated once, sized from the map's own info (per-CPU maps get
 * {@code possible_cpus * round_up(value_size, 8)} bytes). Callers write the key into
 * {@link #key()}, call an operation, and read {@link #value()}.
 *
 * <p>Not thread-safe: one instance per thread. {@link #close()} frees the buffers, not the map.
 */
public final class MapAccess implements AutoCloseable {
    private final int fd;
    private final BpfInfo.MapInfo info;
    private final Arena arena;
    private final MemorySegment attr;
    private final MemorySegment capture;
    private final MemorySegment key;
    private final MemorySegment nextKey;
    private final MemorySegment value;

    private MapAccess(int fd) {
        this.fd = fd;
        this.info = Bpf.mapInfo(fd);
        this.arena = Arena.ofShared();
        this.attr = arena.allocate(BpfAttr.SIZE, 8);
        this.capture = LibC.newErrnoCapture(arena);
        this.key = arena.allocate(Math.max(8, info.keySize()), 8).asSlice(0, info.keySize());
        this.nextKey = arena.allocate(Math.max(8, info.keySize()), 8).asSlice(0, info.keySize());
        this.value = arena.allocate(Math.max(8, info.userValueSize()), 8).asSlice(0, info.userValueSize());
    }

    /** Reads the map's sizes and allocates the buffers; the fd stays owned by the caller. */
    public static MapAccess of(int mapFd) {
        return new MapAccess(mapFd);
    }

    public int fd() {
        return fd;
    }

    public BpfInfo.MapInfo info() {
        return info;
    }

    /** The key buffer, exactly key_size bytes. */
    public MemorySegment key() {
        return key;
    }

    /** The next-key buffer written by {@link #nextKey(boolean)}, key_size bytes. */
    public MemorySegment nextKeyBuffer() {
        return nextKey;
    }

    /** The value buffer: value_size bytes, or one 8-byte-aligned slot per possible CPU for per-CPU maps. */
    public MemorySegment value() {
        return value;
    }

    /** Looks up {@link #key()} into {@link #value()}; false when absent. */
    public boolean lookup() {
        return ok(call(BpfCmd.BPF_MAP_LOOKUP_ELEM, key, value, 0), BpfCmd.BPF_MAP_LOOKUP_ELEM);
    }

    /** Stores {@link #value()} under {@link #key()}. */
    public void update(long flags) {
        long rc = call(BpfCmd.BPF_MAP_UPDATE_ELEM, key, value, flags);
        if (rc < 0) {
            throw new NativeException("BPF_MAP_UPDATE_ELEM(map fd " + fd + ")", (int) -rc);
        }
    }

    /** Deletes {@link #key()}; false when absent. */
    public boolean delete() {
        return ok(call(BpfCmd.BPF_MAP_DELETE_ELEM, key, MemorySegment.NULL, 0), BpfCmd.BPF_MAP_DELETE_ELEM);
    }

    /**
     * Writes the key after {@link #key()} (or the first key when {@code first}) into
     * {@link #nextKeyBuffer()}; false at the end.
     */
    public boolean nextKey(boolean first) {
        return ok(call(BpfCmd.BPF_MAP_GET_NEXT_KEY, first ? MemorySegment.NULL : key, nextKey, 0),
                BpfCmd.BPF_MAP_GET_NEXT_KEY);
    }

    /** Copying convenience: looks up {@code keyIn} and copies the value to {@code valueOut}. */
    public boolean lookup(MemorySegment keyIn, MemorySegment valueOut) {
        MemorySegment.copy(keyIn, 0, key, 0, key.byteSize());
        if (!lookup()) {
            return false;
        }
        MemorySegment.copy(value, 0, valueOut, 0, value.byteSize());
        return true;
    }

    /** Copying convenience: stores {@code valueIn} under {@code keyIn}. */
    public void update(MemorySegment keyIn, MemorySegment valueIn, long flags) {
        MemorySegment.copy(keyIn, 0, key, 0, key.byteSize());
        MemorySegment.copy(valueIn, 0, value, 0, value.byteSize());
        update(flags);
    }

    private long call(int cmd, MemorySegment k, MemorySegment v, long flags) {
        attr.fill((byte) 0);
        attr.set(ValueLayout.JAVA_INT, BpfAttr.ELEM_MAP_FD, fd);
        attr.set(ValueLayout.ADDRESS, BpfAttr.ELEM_KEY, k.byteSize() == 0 ? MemorySegment.NULL : k);
        attr.set(ValueLayout.ADDRESS, BpfAttr.ELEM_VALUE, v);
        attr.set(ValueLayout.JAVA_LONG, BpfAttr.ELEM_FLAGS, flags);
        return Bpf.sys(cmd, attr, capture);
    }

    private boolean ok(long rc, int cmd) {
        if (rc == -Errno.ENOENT) {
            return false;
        }
        if (rc < 0) {
            throw new NativeException(BpfCmd.name(cmd) + "(map fd " + fd + ")", (int) -rc);
        }
        return true;
    }

    @Override
    public void close() {
        arena.close();
    }
}
