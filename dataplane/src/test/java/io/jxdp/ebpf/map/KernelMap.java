package io.jxdp.ebpf.map;

import io.jxdp.ffi.sys.FileDescriptors;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;

/**
 * The kernel's own map, through bpf(2), for differential tests: the oracle jxdp's maps are compared
 * with. Attribute offsets follow {@code union bpf_attr} in include/uapi/linux/bpf.h.
 */
final class KernelMap implements AutoCloseable {
    private static final long SYS_BPF = 321; // arch/x86/entry/syscalls/syscall_64.tbl
    private static final int BPF_MAP_CREATE = 0;
    private static final int BPF_MAP_LOOKUP_ELEM = 1;
    private static final int BPF_MAP_UPDATE_ELEM = 2;
    private static final int BPF_MAP_DELETE_ELEM = 3;
    private static final int BPF_MAP_GET_NEXT_KEY = 4;
    private static final int BPF_MAP_LOOKUP_AND_DELETE_ELEM = 21;
    private static final long ATTR_SIZE = 128;

    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SYSCALL = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("syscall").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
            Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));

    final int fd;
    final int keySize;
    final int valueSize;

    private KernelMap(int fd, int keySize, int valueSize) {
        this.fd = fd;
        this.keySize = keySize;
        this.valueSize = valueSize;
    }

    /** bpf(cmd, attr): the result, or -errno. */
    static long bpf(int cmd, MemorySegment attr) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(CAPTURE);
            long rc = (long) SYSCALL.invokeExact(cap, SYS_BPF, cmd, attr, (int) ATTR_SIZE);
            return rc < 0 ? -(int) ERRNO.get(cap, 0L) : rc;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** BPF_MAP_CREATE: the fd, or -errno. */
    static long createRaw(MapDefinition d) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment attr = a.allocate(ATTR_SIZE, 8);
            attr.set(ValueLayout.JAVA_INT, 0, d.type().id());
            attr.set(ValueLayout.JAVA_INT, 4, d.keySize());
            attr.set(ValueLayout.JAVA_INT, 8, d.valueSize());
            attr.set(ValueLayout.JAVA_INT, 12, d.maxEntries());
            attr.set(ValueLayout.JAVA_INT, 16, d.flags());
            byte[] name = d.name().getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(name, 0, attr, ValueLayout.JAVA_BYTE, 28, Math.min(15, name.length));
            return bpf(BPF_MAP_CREATE, attr);
        }
    }

    static KernelMap create(MapDefinition d) {
        long fd = createRaw(d);
        if (fd < 0) {
            throw new IllegalStateException("kernel refused " + d + ": errno " + -fd);
        }
        return new KernelMap((int) fd, d.keySize(), d.valueSize());
    }

    /** Wraps an fd created elsewhere (e.g. a map-in-map with inner_map_fd). */
    static KernelMap adopt(int fd, int keySize, int valueSize) {
        return new KernelMap(fd, keySize, valueSize);
    }

    private long elemOp(int cmd, byte[] key, MemorySegment value, long flags, Arena a) {
        MemorySegment attr = a.allocate(ATTR_SIZE, 8);
        attr.set(ValueLayout.JAVA_INT, 0, fd);
        if (key != null) {
            MemorySegment k = a.allocate(key.length, 8);
            MemorySegment.copy(key, 0, k, ValueLayout.JAVA_BYTE, 0, key.length);
            attr.set(ValueLayout.JAVA_LONG, 8, k.address());
        }
        attr.set(ValueLayout.JAVA_LONG, 16, value.address());
        attr.set(ValueLayout.JAVA_LONG, 24, flags);
        return bpf(cmd, attr);
    }

    /** 0 or -errno; {@code out} receives the value (userValueSize bytes). */
    long lookup(byte[] key, byte[] out) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(out.length, 8);
            long rc = elemOp(BPF_MAP_LOOKUP_ELEM, key, v, 0, a);
            MemorySegment.copy(v, ValueLayout.JAVA_BYTE, 0, out, 0, out.length);
            return rc;
        }
    }

    long update(byte[] key, byte[] value, long flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(value.length, 8);
            MemorySegment.copy(value, 0, v, ValueLayout.JAVA_BYTE, 0, value.length);
            return elemOp(BPF_MAP_UPDATE_ELEM, key, v, flags, a);
        }
    }

    long delete(byte[] key) {
        try (Arena a = Arena.ofConfined()) {
            return elemOp(BPF_MAP_DELETE_ELEM, key, MemorySegment.NULL, 0, a);
        }
    }

    /** 0 or -errno; {@code out} receives the value of the deleted element. */
    long lookupAndDelete(byte[] key, byte[] out) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(out.length, 8);
            long rc = elemOp(BPF_MAP_LOOKUP_AND_DELETE_ELEM, key, v, 0, a);
            MemorySegment.copy(v, ValueLayout.JAVA_BYTE, 0, out, 0, out.length);
            return rc;
        }
    }

    /** 0 or -errno; {@code next} receives the key. */
    long getNextKey(byte[] keyOrNull, byte[] next) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(next.length, 8);
            long rc = elemOp(BPF_MAP_GET_NEXT_KEY, keyOrNull, n, 0, a);
            MemorySegment.copy(n, ValueLayout.JAVA_BYTE, 0, next, 0, next.length);
            return rc;
        }
    }

    @Override
    public void close() {
        FileDescriptors.close(fd);
    }
}
