package io.jxdp.ffi.bpf;

import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.FileDescriptors;
import io.jxdp.ffi.sys.LibC;
import io.jxdp.ffi.sys.NativeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/**
 * The bpf(2) system call over FFM: maps, program load, test run, links, pinning and object info.
 *
 * <p>Every call fills a zeroed {@code union bpf_attr} ({@link BpfAttr}) and calls libc's
 * {@code syscall(321, cmd, &attr, size)}. These are control-plane calls: they allocate a small
 * confined arena per call. The allocation-free path for repeated map access is {@link MapAccess}.
 *
 * <p>Failures throw {@link NativeException} carrying the errno, except program and BTF loads,
 * which throw {@link BpfLoadException} with the verifier log. "Not found" outcomes that are part
 * of normal use (lookup of an absent key, end of iteration) return {@code false} instead.
 *
 * <p>Map keys and values may be heap or native segments; heap ones are copied through native
 * memory because the kernel reads user addresses. Sizes are checked against the map's own
 * key and value size (read with BPF_OBJ_GET_INFO_BY_FD) before the kernel writes into a buffer,
 * so a short buffer is an {@link IllegalArgumentException}, never a JVM crash.
 */
public final class Bpf {
    private Bpf() {}

    /** __NR_bpf on x86_64 (arch/x86/entry/syscalls/syscall_64.tbl). */
    static final long NR_BPF = 321;

    private static final MethodHandle SYSCALL = LibC.downcallErrnoVariadic("syscall",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_INT), 1);

    /** Verifier log size when the caller asked for none and a failed load is retried for its reason. */
    static final int DEFAULT_LOG_SIZE = 1 << 20;
    /** The kernel caps log_size below UINT_MAX >> 2 (kernel/bpf/log.c); jxdp stops growing at 64 MiB. */
    static final int MAX_LOG_SIZE = 64 << 20;

    // ---------------------------------------------------------------- the system call

    /**
     * One bpf(2) call: the result (>= 0) or {@code -errno}, as Netty's native calls return it.
     * Allocation-free given a preallocated {@code attr} and {@code capture}.
     */
    static long sys(int cmd, MemorySegment attr, MemorySegment capture) {
        try {
            long rc = (long) SYSCALL.invokeExact(capture, NR_BPF, cmd, attr, BpfAttr.SIZE);
            return rc < 0 ? -LibC.errno(capture) : rc;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** A call whose failure is an exception naming the command and what it was applied to. */
    private static long sysOrThrow(int cmd, MemorySegment attr, MemorySegment capture, String what) {
        long rc = sys(cmd, attr, capture);
        if (rc < 0) {
            throw new NativeException(BpfCmd.name(cmd) + "(" + what + ")", (int) -rc);
        }
        return rc;
    }

    private static MemorySegment newAttr(Arena arena) {
        return arena.allocate(BpfAttr.SIZE, 8); // Arena.allocate zeroes
    }

    private static int toFd(long rc) {
        return (int) rc;
    }

    // ---------------------------------------------------------------- maps

    /** BPF_MAP_CREATE; returns the new map's file descriptor (close it with {@link #close(int)}). */
    public static int mapCreate(MapCreateAttr a) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = newAttr(arena);
            attr.set(ValueLayout.JAVA_INT, BpfAttr.MAP_TYPE, a.mapType());
            attr.set(ValueLayout.JAVA_INT, BpfAttr.KEY_SIZE, a.keySize());
            attr.set(ValueLayout.JAVA_INT, BpfAttr.VALUE_SIZE, a.valueSize());
            attr.set(ValueLayout.JAVA_INT, BpfAttr.MAX_ENTRIES, a.maxEntries());
            attr.set(ValueLayout.JAVA_INT, BpfAttr.MAP_FLAGS, a.mapFlags());
            attr.set(ValueLayout.JAVA_INT, BpfAttr.INNER_MAP_FD, a.innerMapFd());
            attr.set(ValueLayout.JAVA_INT, BpfAttr.NUMA_NODE, a.numaNode());
            putName(attr, BpfAttr.MAP_NAME, a.name());
            attr.set(ValueLayout.JAVA_INT, BpfAttr.BTF_FD, a.btfFd());
            attr.set(ValueLayout.JAVA_INT, BpfAttr.BTF_KEY_TYPE_ID, a.btfKeyTypeId());
            attr.set(ValueLayout.JAVA_INT, BpfAttr.BTF_VALUE_TYPE_ID, a.btfValueTypeId());
            attr.set(ValueLayout.JAVA_LONG, BpfAttr.MAP_EXTRA, a.mapExtra());
            return toFd(sysOrThrow(BpfCmd.BPF_MAP_CREATE, attr, LibC.newErrnoCapture(arena),
                    MapType.name(a.mapType()) + " key " + a.keySize() + " value " + a.valueSize()
                            + " max_entries " + a.maxEntries()));
        }
    }

    /** BPF_MAP_UPDATE_ELEM with {@code flags} ({@link BpfFlags#BPF_ANY}, NOEXIST, EXIST, F_LOCK). */
    public static void mapUpdate(int fd, MemorySegment key, MemorySegment value, long flags) {
        MapSizes s = MapSizes.of(fd);
        s.checkKey(key);
        s.checkValue(value, "value");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = elemAttr(arena, fd, copyIn(arena, key, s.keySize), copyIn(arena, value, s.valueSize));
            attr.set(ValueLayout.JAVA_LONG, BpfAttr.ELEM_FLAGS, flags);
            sysOrThrow(BpfCmd.BPF_MAP_UPDATE_ELEM, attr, LibC.newErrnoCapture(arena), "map fd " + fd);
        }
    }

    /** BPF_MAP_LOOKUP_ELEM into {@code valueOut}; false when the key is absent (ENOENT). */
    public static boolean mapLookup(int fd, MemorySegment key, MemorySegment valueOut) {
        return lookupLike(BpfCmd.BPF_MAP_LOOKUP_ELEM, fd, key, valueOut);
    }

    /** BPF_MAP_LOOKUP_AND_DELETE_ELEM: pops a QUEUE/STACK (key null) or takes a hash element; false when empty/absent. */
    public static boolean mapLookupAndDelete(int fd, MemorySegment key, MemorySegment valueOut) {
        return lookupLike(BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_ELEM, fd, key, valueOut);
    }

    private static boolean lookupLike(int cmd, int fd, MemorySegment key, MemorySegment valueOut) {
        MapSizes s = MapSizes.of(fd);
        s.checkKey(key);
        s.checkValue(valueOut, "valueOut");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nativeValue = valueOut.isNative() ? valueOut : arena.allocate(s.valueSize, 8);
            MemorySegment attr = elemAttr(arena, fd, copyIn(arena, key, s.keySize), nativeValue);
            long rc = sys(cmd, attr, LibC.newErrnoCapture(arena));
            if (rc == -Errno.ENOENT) {
                return false;
            }
            if (rc < 0) {
                throw new NativeException(BpfCmd.name(cmd) + "(map fd " + fd + ")", (int) -rc);
            }
            if (nativeValue != valueOut) {
                MemorySegment.copy(nativeValue, 0, valueOut, 0, s.valueSize);
            }
            return true;
        }
    }

    /** BPF_MAP_DELETE_ELEM; false when the key was absent (ENOENT). */
    public static boolean mapDelete(int fd, MemorySegment key) {
        MapSizes s = MapSizes.of(fd);
        s.checkKey(key);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = elemAttr(arena, fd, copyIn(arena, key, s.keySize), MemorySegment.NULL);
            long rc = sys(BpfCmd.BPF_MAP_DELETE_ELEM, attr, LibC.newErrnoCapture(arena));
            if (rc == -Errno.ENOENT) {
                return false;
            }
            if (rc < 0) {
                throw new NativeException("BPF_MAP_DELETE_ELEM(map fd " + fd + ")", (int) -rc);
            }
            return true;
        }
    }

    /**
     * BPF_MAP_GET_NEXT_KEY: the first key when {@code keyOrNull} is null (or absent from a hash
     * map), else the one after it; false at the end (ENOENT).
     */
    public static boolean mapGetNextKey(int fd, MemorySegment keyOrNull, MemorySegment nextKeyOut) {
        MapSizes s = MapSizes.of(fd);
        if (keyOrNull != null) {
            s.checkKey(keyOrNull);
        }
        if (nextKeyOut.byteSize() < s.keySize) {
            throw new IllegalArgumentException("nextKeyOut holds " + nextKeyOut.byteSize() + " bytes, map fd " + fd
                    + " has " + s.keySize + "-byte keys");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = keyOrNull == null ? MemorySegment.NULL : copyIn(arena, keyOrNull, s.keySize);
            MemorySegment out = nextKeyOut.isNative() ? nextKeyOut : arena.allocate(Math.max(1, s.keySize), 8);
            MemorySegment attr = elemAttr(arena, fd, in, out);
            long rc = sys(BpfCmd.BPF_MAP_GET_NEXT_KEY, attr, LibC.newErrnoCapture(arena));
            if (rc == -Errno.ENOENT) {
                return false;
            }
            if (rc < 0) {
                throw new NativeException("BPF_MAP_GET_NEXT_KEY(map fd " + fd + ")", (int) -rc);
            }
            if (out != nextKeyOut) {
                MemorySegment.copy(out, 0, nextKeyOut, 0, s.keySize);
            }
            return true;
        }
    }

    /** BPF_MAP_FREEZE: the map becomes read-only for user space (programs may still write). */
    public static void mapFreeze(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = newAttr(arena);
            attr.set(ValueLayout.JAVA_INT, BpfAttr.ELEM_MAP_FD, fd);
            sysOrThrow(BpfCmd.BPF_MAP_FREEZE, attr, LibC.newErrnoCapture(arena), "map fd " + fd);
        }
    }

    private static MemorySegment elemAttr(Arena arena, int fd, MemorySegment key, MemorySegment value) {
        MemorySegment attr = newAttr(arena);
        attr.set(ValueLayout.JAVA_INT, BpfAttr.ELEM_MAP_FD, fd);
        attr.set(ValueLayout.ADDRESS, BpfAttr.ELEM_KEY, key);
        attr.set(ValueLayout.ADDRESS, BpfAttr.ELEM_VALUE, value);
        return attr;
    }

    /** A native view of the first {@code size} bytes of {@code seg}, copied when {@code seg} is on the heap. */
    private static MemorySegment copyIn(Arena arena, MemorySegment seg, int size) {
        if (seg == null || size == 0) {
            return MemorySegment.NULL;
        }
        if (seg.isNative()) {
            return seg;
        }
        MemorySegment n = arena.allocate(size, 8);
        MemorySegment.copy(seg, 0, n, 0, size);
        return n;
    }

    /** A map's key size and user-space value size, read from the kernel so buffers can be checked. */
    record MapSizes(int fd, int type, int keySize, int valueSize) {
        static MapSizes of(int fd) {
            BpfInfo.MapInfo info = mapInfo(fd);
            return new MapSizes(fd, info.type(), info.keySize(), info.userValueSize());
        }

        void checkKey(MemorySegment key) {
            if (keySize == 0) {
                return; // QUEUE, STACK, BLOOM_FILTER: no key
            }
            if (key == null || key.byteSize() < keySize) {
                throw new IllegalArgumentException("key holds " + (key == null ? "null" : key.byteSize() + " bytes")
                        + ", map fd " + fd + " (" + MapType.name(type) + ") has " + keySize + "-byte keys");
            }
        }

        void checkValue(MemorySegment value, String what) {
            if (value == null || value.byteSize() < valueSize) {
                throw new IllegalArgumentException(what + " holds " + (value == null ? "null" : value.byteSize() + " bytes")
                        + ", map fd " + fd + " (" + MapType.name(type) + ") needs " + valueSize + " bytes"
                        + (isPerCpu(type) ? " (" + numPossibleCpus() + " possible CPUs x 8-byte-rounded value)" : ""));
            }
        }
    }

    // ---------------------------------------------------------------- per-CPU values

    private static volatile int possibleCpus;

    /**
     * The number of possible CPUs, from {@code /sys/devices/system/cpu/possible} (e.g. {@code 0-3}
     * or {@code 0,2-5}), as libbpf's {@code libbpf_num_possible_cpus} reads it: per-CPU maps
     * exchange one value slot per possible CPU with user space.
     */
    public static int numPossibleCpus() {
        int n = possibleCpus;
        if (n == 0) {
            try {
                n = parseCpuList(Files.readString(Path.of("/sys/devices/system/cpu/possible")));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read /sys/devices/system/cpu/possible", e);
            }
            possibleCpus = n;
        }
        return n;
    }

    /** Counts the CPUs in a kernel cpu list such as {@code 0-3,8,10-11}. */
    static int parseCpuList(String list) {
        String s = list.strip();
        if (s.isEmpty()) {
            throw new IllegalArgumentException("empty cpu list");
        }
        int count = 0;
        for (String part : s.split(",")) {
            int dash = part.indexOf('-');
            try {
                if (dash < 0) {
                    Integer.parseInt(part);
                    count++;
                } else {
                    int lo = Integer.parseInt(part.substring(0, dash));
                    int hi = Integer.parseInt(part.substring(dash + 1));
                    if (hi < lo) {
                        throw new IllegalArgumentException("bad cpu range '" + part + "' in '" + s + "'");
                    }
                    count += hi - lo + 1;
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad cpu list '" + s + "'", e);
            }
        }
        return count;
    }

    /** Whether lookups and updates of this map type exchange one value per possible CPU. */
    public static boolean isPerCpu(int mapType) {
        return mapType == MapType.BPF_MAP_TYPE_PERCPU_HASH || mapType == MapType.BPF_MAP_TYPE_PERCPU_ARRAY
                || mapType == MapType.BPF_MAP_TYPE_LRU_PERCPU_HASH
                || mapType == MapType.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
    }

    /**
     * The user-space value buffer size for a map: {@code valueSize} for ordinary maps, and
     * {@code possible_cpus * round_up(valueSize, 8)} for per-CPU maps (kernel/bpf/syscall.c,
     * {@code bpf_map_value_size}).
     */
    public static int userValueSize(int mapType, int valueSize) {
        return isPerCpu(mapType) ? numPossibleCpus() * ((valueSize + 7) & ~7) : valueSize;
    }

    // ---------------------------------------------------------------- programs

    /**
     * BPF_PROG_LOAD; returns the program fd. On failure throws {@link BpfLoadException} with the
     * verifier log: when the caller asked for no log, the load is repeated once at log level 1
     * to obtain the reason (as libbpf does); a log that filled its buffer (ENOSPC) is retried
     * with a larger one.
     */
    public static int progLoad(ProgLoadAttr a) {
        return progLoadWithLog(a).fd();
    }

    /**
     * BPF_PROG_LOAD that also returns the verifier log of a successful load (at the attribute's
     * log level; level 1 ends with the kernel's {@code processed N insns} line). Failures are
     * handled as by {@link #progLoad}; a log that does not fit (ENOSPC, which since Linux 6.4
     * fails even an accepted program) is retried with a larger buffer, up to 64 MiB.
     */
    public static ProgLoadResult progLoadWithLog(ProgLoadAttr a) {
        int level = a.logLevel();
        int size = a.logSize() > 0 ? a.logSize() : DEFAULT_LOG_SIZE;
        String label = "BPF_PROG_LOAD(" + ProgType.name(a.progType()) + (a.name() == null ? "" : " " + a.name())
                + ", " + a.insnCount() + " insns)";
        while (true) {
            LoadOutcome out = progLoadOnce(a, level, level == 0 ? 0 : size);
            if (out.rc() >= 0) {
                return new ProgLoadResult(toFd(out.rc()), out.log());
            }
            int errno = (int) -out.rc();
            if (level == 0) {
                level = 1; // retry for the reason
                continue;
            }
            if (errno == Errno.ENOSPC && size < MAX_LOG_SIZE) {
                size = Math.min(MAX_LOG_SIZE, size * 4);
                continue;
            }
            throw new BpfLoadException(label, errno, out.log());
        }
    }

    private record LoadOutcome(long rc, String log) {}

    private static LoadOutcome progLoadOnce(ProgLoadAttr a, int logLevel, int logSize) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = newAttr(arena);
            MemorySegment insns = arena.allocate(a.insns().byteSize(), 8);
            MemorySegment.copy(a.insns(), 0, insns, 0, a.insns().byteSize());
            MemorySegment log = logSize > 0 ? arena.allocate(logSize) : MemorySegment.NULL;
            attr.set(ValueLayout.JAVA_INT, BpfAttr.PROG_TYPE, a.progType());
            attr.set(ValueLayout.JAVA_INT, BpfAttr.INSN_CNT, a.insnCount());
            attr.set(ValueLayout.ADDRESS, BpfAttr.INSNS, insns);
            attr.set(ValueLayout.ADDRESS, BpfAttr.LICENSE, arena.allocateFrom(a.license()));
            attr.set(ValueLayout.JAVA_INT, BpfAttr.LOG_LEVEL, logSize > 0 ? logLevel : 0);
            attr.set(ValueLayout.JAVA_INT, BpfAttr.LOG_SIZE, logSize);
            attr.set(ValueLayout.ADDRESS, BpfAttr.LOG_BUF, log);
            attr.set(ValueLayout.JAVA_INT, BpfAttr.KERN_VERSION, a.kernVersion());
            attr.set(ValueLayout.JAVA_INT, BpfAttr.PROG_FLAGS, a.progFlags());
            putName(attr, BpfAttr.PROG_NAME, a.name());
            attr.set(ValueLayout.JAVA_INT, BpfAttr.PROG_IFINDEX, a.progIfindex());
            attr.set(ValueLayout.JAVA_INT, BpfAttr.EXPECTED_ATTACH_TYPE, a.expectedAttachType());
            attr.set(ValueLayout.JAVA_INT, BpfAttr.PROG_BTF_FD, a.btfFd());
            if (a.funcInfo() != null && a.funcInfo().length > 0) {
                checkRecords("func_info", a.funcInfo(), a.funcInfoRecSize());
                attr.set(ValueLayout.JAVA_INT, BpfAttr.FUNC_INFO_REC_SIZE, a.funcInfoRecSize());
                attr.set(ValueLayout.ADDRESS, BpfAttr.FUNC_INFO, arena.allocateFrom(ValueLayout.JAVA_BYTE, a.funcInfo()));
                attr.set(ValueLayout.JAVA_INT, BpfAttr.FUNC_INFO_CNT, a.funcInfo().length / a.funcInfoRecSize());
            }
            if (a.lineInfo() != null && a.lineInfo().length > 0) {
                checkRecords("line_info", a.lineInfo(), a.lineInfoRecSize());
                attr.set(ValueLayout.JAVA_INT, BpfAttr.LINE_INFO_REC_SIZE, a.lineInfoRecSize());
                attr.set(ValueLayout.ADDRESS, BpfAttr.LINE_INFO, arena.allocateFrom(ValueLayout.JAVA_BYTE, a.lineInfo()));
                attr.set(ValueLayout.JAVA_INT, BpfAttr.LINE_INFO_CNT, a.lineInfo().length / a.lineInfoRecSize());
            }
            attr.set(ValueLayout.JAVA_INT, BpfAttr.ATTACH_BTF_ID, a.attachBtfId());
            attr.set(ValueLayout.JAVA_INT, BpfAttr.ATTACH_PROG_FD, a.attachProgFd());
            MemorySegment capture = LibC.newErrnoCapture(arena);
            long rc;
            int tries = 0;
            do { // the kernel may return EAGAIN under memory pressure; libbpf retries 5 times
                rc = sys(BpfCmd.BPF_PROG_LOAD, attr, capture);
            } while (rc == -Errno.EAGAIN && ++tries < 5);
            return new LoadOutcome(rc, logSize > 0 ? log.getString(0, StandardCharsets.UTF_8) : "");
        }
    }

    private static void checkRecords(String what, byte[] records, int recSize) {
        if (recSize <= 0 || records.length % recSize != 0) {
            throw new IllegalArgumentException(what + ": " + records.length + " bytes is not a whole number of "
                    + recSize + "-byte records");
        }
    }

    /**
     * BPF_PROG_TEST_RUN: runs the program on {@code a.dataIn()} in the kernel. A data_out or
     * ctx_out smaller than what the program produced is an error naming both sizes (the kernel
     * reports ENOSPC and the size it needed).
     */
    public static TestRunResult progTestRun(int progFd, TestRunAttr a) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = newAttr(arena);
            MemorySegment dataIn = arena.allocateFrom(ValueLayout.JAVA_BYTE, a.dataIn());
            MemorySegment dataOut = a.dataOutCapacity() > 0 ? arena.allocate(a.dataOutCapacity()) : MemorySegment.NULL;
            MemorySegment ctxIn = a.ctxIn() != null && a.ctxIn().length > 0
                    ? arena.allocateFrom(ValueLayout.JAVA_BYTE, a.ctxIn()) : MemorySegment.NULL;
            MemorySegment ctxOut = a.ctxOutCapacity() > 0 ? arena.allocate(a.ctxOutCapacity()) : MemorySegment.NULL;
            attr.set(ValueLayout.JAVA_INT, BpfAttr.TEST_PROG_FD, progFd);
            attr.set(ValueLayout.JAVA_INT, BpfAttr.TEST_DATA_SIZE_IN, a.dataIn().length);
            attr.set(ValueLayout.JAVA_INT, BpfAttr.TEST_DATA_SIZE_OUT, a.dataOutCapacity());
            attr.set(ValueLayout.ADDRESS, BpfAttr.TEST_DATA_IN, dataIn);
            attr.set(ValueLayout.ADDRESS, BpfAttr.TEST_DATA_OUT, dataOut);
            attr.set(ValueLayout.JAVA_INT, BpfAttr.TEST_REPEAT, a.repeat());
            attr.set(ValueLayout.JAVA_INT, BpfAttr.TEST_CTX_SIZE_IN, (int) ctxIn.byteSize());
            attr.set(ValueLayout.JAVA_INT, BpfAttr.TEST_CTX_SIZE_OUT, a.ctxOutCapacity());
            attr.set(ValueLayout.ADDRESS, BpfAttr.TEST_CTX_IN, ctxIn);
            attr.set(ValueLayout.ADDRESS, BpfAttr.TEST_CTX_OUT, ctxOut);
            attr.set(ValueLayout.JAVA_INT, BpfAttr.TEST_FLAGS, a.flags());
            attr.set(ValueLayout.JAVA_INT, BpfAttr.TEST_CPU, a.cpu());
            attr.set(ValueLayout.JAVA_INT, BpfAttr.TEST_BATCH_SIZE, a.batchSize());
            long rc = sys(BpfCmd.BPF_PROG_TEST_RUN, attr, LibC.newErrnoCapture(arena));
            int dataSizeOut = attr.get(ValueLayout.JAVA_INT, BpfAttr.TEST_DATA_SIZE_OUT);
            int ctxSizeOut = attr.get(ValueLayout.JAVA_INT, BpfAttr.TEST_CTX_SIZE_OUT);
            if (rc == -Errno.ENOSPC) {
                throw new NativeException("BPF_PROG_TEST_RUN(prog fd " + progFd + "): output needs data " + dataSizeOut
                        + " / ctx " + ctxSizeOut + " bytes, capacity data " + a.dataOutCapacity() + " / ctx "
                        + a.ctxOutCapacity(), Errno.ENOSPC);
            }
            if (rc < 0) {
                throw new NativeException("BPF_PROG_TEST_RUN(prog fd " + progFd + ", " + a.dataIn().length
                        + "-byte packet)", (int) -rc);
            }
            byte[] outData = dataOut == MemorySegment.NULL ? new byte[0]
                    : dataOut.asSlice(0, Math.min(dataSizeOut, a.dataOutCapacity())).toArray(ValueLayout.JAVA_BYTE);
            byte[] outCtx = ctxOut == MemorySegment.NULL ? new byte[0]
                    : ctxOut.asSlice(0, Math.min(ctxSizeOut, a.ctxOutCapacity())).toArray(ValueLayout.JAVA_BYTE);
            return new TestRunResult(attr.get(ValueLayout.JAVA_INT, BpfAttr.TEST_RETVAL),
                    Integer.toUnsignedLong(attr.get(ValueLayout.JAVA_INT, BpfAttr.TEST_DURATION)), outData, outCtx);
        }
    }

    // ---------------------------------------------------------------- links, pins, ids

    /**
     * BPF_LINK_CREATE; returns the link fd. For XDP, {@code targetFd} is the ifindex (in the
     * calling thread's network namespace), {@code attachType} is {@link AttachType#BPF_XDP} and
     * {@code flags} are {@link XdpFlags} mode bits. Closing the last link fd detaches the program
     * unless the link is pinned.
     */
    public static int linkCreate(int progFd, int targetFd, int attachType, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = newAttr(arena);
            attr.set(ValueLayout.JAVA_INT, BpfAttr.LINK_PROG_FD, progFd);
            attr.set(ValueLayout.JAVA_INT, BpfAttr.LINK_TARGET_FD, targetFd);
            attr.set(ValueLayout.JAVA_INT, BpfAttr.LINK_ATTACH_TYPE, attachType);
            attr.set(ValueLayout.JAVA_INT, BpfAttr.LINK_FLAGS, flags);
            return toFd(sysOrThrow(BpfCmd.BPF_LINK_CREATE, attr, LibC.newErrnoCapture(arena),
                    "prog fd " + progFd + ", target " + targetFd + ", " + AttachType.name(attachType)
                            + ", flags 0x" + Integer.toHexString(flags)));
        }
    }

    /** BPF_OBJ_PIN: pins a map, program or link fd at {@code path} inside a bpffs mount. */
    public static void objPin(int fd, String path) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = newAttr(arena);
            attr.set(ValueLayout.ADDRESS, BpfAttr.PATHNAME, arena.allocateFrom(path));
            attr.set(ValueLayout.JAVA_INT, BpfAttr.OBJ_BPF_FD, fd);
            sysOrThrow(BpfCmd.BPF_OBJ_PIN, attr, LibC.newErrnoCapture(arena), "fd " + fd + " at " + path);
        }
    }

    /** BPF_OBJ_GET: opens a new fd for the object pinned at {@code path}. */
    public static int objGet(String path) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = newAttr(arena);
            attr.set(ValueLayout.ADDRESS, BpfAttr.PATHNAME, arena.allocateFrom(path));
            return toFd(sysOrThrow(BpfCmd.BPF_OBJ_GET, attr, LibC.newErrnoCapture(arena), path));
        }
    }

    /** BPF_PROG_GET_FD_BY_ID: a new fd for the program with kernel id {@code id}. */
    public static int progGetFdById(int id) {
        return getFdById(BpfCmd.BPF_PROG_GET_FD_BY_ID, id);
    }

    /** BPF_MAP_GET_FD_BY_ID: a new fd for the map with kernel id {@code id}. */
    public static int mapGetFdById(int id) {
        return getFdById(BpfCmd.BPF_MAP_GET_FD_BY_ID, id);
    }

    /** BPF_LINK_GET_FD_BY_ID: a new fd for the link with kernel id {@code id}. */
    public static int linkGetFdById(int id) {
        return getFdById(BpfCmd.BPF_LINK_GET_FD_BY_ID, id);
    }

    private static int getFdById(int cmd, int id) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = newAttr(arena);
            attr.set(ValueLayout.JAVA_INT, BpfAttr.GET_ID, id);
            return toFd(sysOrThrow(cmd, attr, LibC.newErrnoCapture(arena), "id " + id));
        }
    }

    /** close(2) of a map, program, link or BTF fd. */
    public static void close(int fd) {
        FileDescriptors.close(fd);
    }

    // ---------------------------------------------------------------- object info

    /**
     * BPF_OBJ_GET_INFO_BY_FD for a map, program, link or BTF fd. The kind comes from the fd's
     * anonymous inode name ({@code anon_inode:bpf-map}, {@code bpf-prog}, {@code bpf_link},
     * {@code btf}); any other fd is an {@link IllegalArgumentException}.
     */
    public static BpfInfo objInfo(int fd) {
        String target;
        try {
            target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        } catch (IOException e) {
            throw new NativeException("BPF_OBJ_GET_INFO_BY_FD(fd " + fd + "): no such descriptor", Errno.EBADF);
        }
        return switch (target) {
            case "anon_inode:bpf-map" -> mapInfo(fd);
            case "anon_inode:bpf-prog" -> progInfo(fd);
            case "anon_inode:bpf_link" -> linkInfo(fd);
            case "anon_inode:btf" -> btfInfo(fd);
            default -> throw new IllegalArgumentException("fd " + fd + " is not a BPF object: " + target);
        };
    }

    /** BPF_OBJ_GET_INFO_BY_FD of a map fd. */
    public static BpfInfo.MapInfo mapInfo(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment i = info(arena, fd, BpfInfoLayout.MAP_INFO_SIZE, "map");
            return new BpfInfo.MapInfo(
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.MAP_TYPE),
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.MAP_ID),
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.MAP_KEY_SIZE),
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.MAP_VALUE_SIZE),
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.MAP_MAX_ENTRIES),
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.MAP_FLAGS),
                    getName(i, BpfInfoLayout.MAP_NAME),
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.MAP_IFINDEX),
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.MAP_BTF_ID),
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.MAP_BTF_KEY_TYPE_ID),
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.MAP_BTF_VALUE_TYPE_ID),
                    i.get(ValueLayout.JAVA_LONG, BpfInfoLayout.MAP_EXTRA));
        }
    }

    /** BPF_OBJ_GET_INFO_BY_FD of a program fd. */
    public static BpfInfo.ProgInfo progInfo(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment i = info(arena, fd, BpfInfoLayout.PROG_INFO_SIZE, "prog");
            byte[] tag = i.asSlice(BpfInfoLayout.PROG_TAG, BpfInfoLayout.PROG_TAG_SIZE).toArray(ValueLayout.JAVA_BYTE);
            return new BpfInfo.ProgInfo(
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.PROG_TYPE),
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.PROG_ID),
                    HexFormat.of().formatHex(tag),
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.PROG_JITED_LEN),
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.PROG_XLATED_LEN),
                    i.get(ValueLayout.JAVA_LONG, BpfInfoLayout.PROG_LOAD_TIME),
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.PROG_CREATED_BY_UID),
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.PROG_NR_MAP_IDS),
                    getName(i, BpfInfoLayout.PROG_NAME),
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.PROG_IFINDEX),
                    (i.get(ValueLayout.JAVA_INT, BpfInfoLayout.PROG_GPL_COMPATIBLE) & 1) != 0,
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.PROG_BTF_ID),
                    i.get(ValueLayout.JAVA_LONG, BpfInfoLayout.PROG_RUN_TIME_NS),
                    i.get(ValueLayout.JAVA_LONG, BpfInfoLayout.PROG_RUN_CNT),
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.PROG_VERIFIED_INSNS));
        }
    }

    /** BPF_OBJ_GET_INFO_BY_FD of a link fd. */
    public static BpfInfo.LinkInfo linkInfo(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment i = info(arena, fd, BpfInfoLayout.LINK_INFO_SIZE, "link");
            return new BpfInfo.LinkInfo(
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.LINK_TYPE),
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.LINK_ID),
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.LINK_PROG_ID),
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.LINK_XDP_IFINDEX));
        }
    }

    /** BPF_OBJ_GET_INFO_BY_FD of a BTF fd. */
    public static BpfInfo.BtfInfo btfInfo(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment i = info(arena, fd, BpfInfoLayout.BTF_INFO_SIZE, "btf");
            return new BpfInfo.BtfInfo(i.get(ValueLayout.JAVA_INT, BpfInfoLayout.BTF_ID),
                    i.get(ValueLayout.JAVA_INT, BpfInfoLayout.BTF_SIZE));
        }
    }

    private static MemorySegment info(Arena arena, int fd, int size, String kind) {
        MemorySegment info = arena.allocate(size, 8);
        MemorySegment attr = newAttr(arena);
        attr.set(ValueLayout.JAVA_INT, BpfAttr.INFO_BPF_FD, fd);
        attr.set(ValueLayout.JAVA_INT, BpfAttr.INFO_LEN, size);
        attr.set(ValueLayout.ADDRESS, BpfAttr.INFO, info);
        sysOrThrow(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, attr, LibC.newErrnoCapture(arena), kind + " fd " + fd);
        return info;
    }

    // ---------------------------------------------------------------- BTF

    /** BPF_BTF_LOAD of raw BTF (header, types, strings); returns the BTF fd. */
    public static int btfLoad(byte[] btf) {
        return btfLoad(btf, 0, 0);
    }

    /**
     * BPF_BTF_LOAD with a log; on failure throws {@link BpfLoadException} with the BTF verifier's
     * log (a load without a log is repeated with one to obtain the reason).
     */
    public static int btfLoad(byte[] btf, int logLevel, int logSize) {
        if (btf == null || btf.length == 0) {
            throw new IllegalArgumentException("empty BTF");
        }
        int level = logLevel;
        int size = logSize > 0 ? logSize : DEFAULT_LOG_SIZE;
        while (true) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment attr = newAttr(arena);
                int bufSize = level == 0 ? 0 : size;
                MemorySegment log = bufSize > 0 ? arena.allocate(bufSize) : MemorySegment.NULL;
                attr.set(ValueLayout.ADDRESS, BpfAttr.BTF, arena.allocateFrom(ValueLayout.JAVA_BYTE, btf));
                attr.set(ValueLayout.ADDRESS, BpfAttr.BTF_LOG_BUF, log);
                attr.set(ValueLayout.JAVA_INT, BpfAttr.BTF_SIZE, btf.length);
                attr.set(ValueLayout.JAVA_INT, BpfAttr.BTF_LOG_SIZE, bufSize);
                attr.set(ValueLayout.JAVA_INT, BpfAttr.BTF_LOG_LEVEL, bufSize > 0 ? level : 0);
                long rc = sys(BpfCmd.BPF_BTF_LOAD, attr, LibC.newErrnoCapture(arena));
                if (rc >= 0) {
                    return toFd(rc);
                }
                if (level == 0) {
                    level = 1;
                    continue;
                }
                if (rc == -Errno.ENOSPC && size < MAX_LOG_SIZE) {
                    size = Math.min(MAX_LOG_SIZE, size * 4);
                    continue;
                }
                throw new BpfLoadException("BPF_BTF_LOAD(" + btf.length + " bytes)", (int) -rc,
                        log.getString(0, StandardCharsets.UTF_8));
            }
        }
    }

    // ---------------------------------------------------------------- names

    /** Object names: at most 15 bytes (BPF_OBJ_NAME_LEN 16 with NUL) of [A-Za-z0-9_.] (kernel bpf_obj_name_cpy). */
    static void checkObjectName(String name) {
        if (name == null) {
            return;
        }
        if (name.length() >= BpfAttr.OBJ_NAME_LEN) {
            throw new IllegalArgumentException("BPF object name '" + name + "' is " + name.length()
                    + " characters; the kernel allows at most " + (BpfAttr.OBJ_NAME_LEN - 1));
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
            if (!ok) {
                throw new IllegalArgumentException("BPF object name '" + name + "' has '" + c + "' at " + i
                        + "; the kernel allows only letters, digits, '_' and '.'");
            }
        }
    }

    private static void putName(MemorySegment attr, int offset, String name) {
        if (name != null && !name.isEmpty()) {
            byte[] b = name.getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(b, 0, attr, ValueLayout.JAVA_BYTE, offset, b.length);
        }
    }

    private static String getName(MemorySegment info, int offset) {
        return info.asSlice(offset, BpfAttr.OBJ_NAME_LEN).getString(0, StandardCharsets.US_ASCII);
    }
}
