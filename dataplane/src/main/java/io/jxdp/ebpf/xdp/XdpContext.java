package io.jxdp.ebpf.xdp;

import io.jxdp.ebpf.helper.CallContext;
import io.jxdp.ebpf.helper.FunctionRunner;
import io.jxdp.ebpf.interp.MemoryRegions;
import io.jxdp.ebpf.map.BpfMap;
import io.jxdp.ebpf.map.MapOp;
import io.jxdp.ebpf.map.MapType;
import io.jxdp.ebpf.map.RingBuf;
import io.jxdp.ffi.sys.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The state of one XDP run that helpers see: the frame, jxdp's native context (the kernel's
 * {@code struct xdp_buff} as far as programs can tell, {@link XdpLayout}), the map table and the
 * trace sink. One instance per engine, allocated once; the packet path allocates nothing.
 *
 * <p>The native context is the single source of truth for data, data_end and data_meta: the
 * program's rewritten loads read it and the adjust helpers write it.
 */
final class XdpContext extends CallContext {
    static final MemorySegment MEM = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    final MemorySegment frame;
    final long hardStart;
    final MemorySegment ctx;
    private final MemorySegment headroom;
    /** Fragment i of a multi-buffer frame at i * FRAG_SIZE, fragSize[i] bytes long (frag_off 0). */
    private final MemorySegment frags;
    private final int[] fragSize = new int[XdpLayout.MAX_FRAGS];
    private int nrFrags;
    private int fragsLength;
    final long ctxAddress;
    final BpfMap[] maps;
    /** Map handle of map i (what an ld_imm64 map reference loads): {@code mapHandles + 8 * i}. */
    final long mapHandles;
    private final MemorySegment timespec;
    private final TracePrintk.Out traceOut = new TracePrintk.Out();
    private TraceSink trace = TraceSink.to(System.err);
    private long random;
    private boolean checked;
    private long stackBase;
    private long stackTop;
    private int packetRegion = -1;
    private int mark;
    /** The interpreter's regions in checked mode (null otherwise); CallContext.regions() is only set during a run. */
    private MemoryRegions runRegions;
    /** Runs callbacks (the interpreter or the JIT's compiled program); set by the engine once it exists. */
    private FunctionRunner functions;
    /** Per map, the key that bpf_for_each_map_elem passes its callback (the kernel's is on its stack). */
    private final MemorySegment[] callbackKeys;
    /** The callback key of inner maps (reached through a map-in-map). */
    private final MemorySegment innerKey;
    /** "name key" per map: the callback key's region name in checked mode, built once, not per callback. */
    private final String[] keyRegionNames;

    XdpContext(Arena arena, BpfMap[] maps) {
        this.frame = arena.allocate(XdpLayout.FRAME_SIZE, 4096);
        this.hardStart = frame.address();
        this.headroom = frame.asSlice(0, XdpLayout.HEADROOM);
        this.frags = arena.allocate((long) XdpLayout.MAX_FRAGS * XdpLayout.FRAG_SIZE, 4096);
        this.ctx = arena.allocate(XdpLayout.CTX_SIZE, 8);
        this.ctxAddress = ctx.address();
        this.maps = maps;
        MemorySegment handles = arena.allocate(8L * Math.max(1, maps.length), 8);
        for (int i = 0; i < maps.length; i++) {
            handles.set(ValueLayout.JAVA_LONG, 8L * i, i); // a descriptor holding the map table index
        }
        this.mapHandles = handles.address();
        this.innerKey = arena.allocate(512, 8);
        this.callbackKeys = new MemorySegment[maps.length];
        this.keyRegionNames = new String[maps.length];
        for (int i = 0; i < maps.length; i++) {
            callbackKeys[i] = arena.allocate(Math.max(8, maps[i].keySize()), 8);
            keyRegionNames[i] = maps[i].name() + " key";
        }
        this.timespec = arena.allocate(16, 8);
        this.random = System.nanoTime() ^ 0x9e3779b97f4a7c15L;
    }

    // ------------------------------------------------------------------ set-up

    void trace(TraceSink sink) {
        this.trace = sink;
    }

    void seedRandom(long seed) {
        this.random = seed == 0 ? 0x9e3779b97f4a7c15L : seed;
    }

    /** Checked mode: pointer arguments are validated against the stack and the run's regions. */
    void checked(boolean checked, long stackBase, long stackTop) {
        this.checked = checked;
        this.stackBase = stackBase;
        this.stackTop = stackTop;
    }

    /** The region index that follows [data_meta, data_end), and the mark that per-run regions start at. */
    void regionLayout(MemoryRegions regions, int packetRegion, int mark) {
        this.runRegions = regions;
        this.packetRegion = packetRegion;
        this.mark = mark;
        runStateChanged(); // the first run lays the regions out
    }

    int regionMark() {
        return mark;
    }

    /**
     * Whether a program may have written the headroom since the last reset: set when adjust_head or
     * adjust_meta moved data or data_meta below hard_start + 256, the only way a program reaches
     * it (packet pointers are bounded by data_meta/data and data_end, the verifier proved it).
     */
    private boolean headroomDirty = true;

    /** Places a fresh copy of the packet as the test run does: data = data_meta = hard_start + 256. */
    void reset(byte[] packet, int length) {
        // The kernel's test run packs the packet into a fresh kzalloc'ed buffer: headroom reads as
        // zeros. Only a run that moved data or data_meta into it can have changed it.
        if (headroomDirty) {
            headroom.fill((byte) 0);
            headroomDirty = false;
        }
        int linear = Math.min(length, XdpLayout.MAX_PACKET);
        MemorySegment.copy(packet, 0, frame, ValueLayout.JAVA_BYTE, XdpLayout.HEADROOM, linear);
        // bpf_prog_test_run_xdp(): the rest goes into page-sized fragments
        nrFrags = 0;
        fragsLength = 0;
        for (int at = linear; at < length; nrFrags++) {
            int n = Math.min(length - at, XdpLayout.FRAG_SIZE);
            MemorySegment.copy(packet, at, frags, ValueLayout.JAVA_BYTE, (long) nrFrags * XdpLayout.FRAG_SIZE, n);
            fragSize[nrFrags] = n;
            fragsLength += n;
            at += n;
        }
        long data = hardStart + XdpLayout.HEADROOM;
        // through MEM, as the JIT's own accesses: per packet, no bounds, alignment or arena checks
        // (the context's address and layout are fixed at construction)
        long c = ctxAddress;
        MEM.set(ValueLayout.JAVA_LONG_UNALIGNED, c + XdpLayout.CTX_DATA, data);
        MEM.set(ValueLayout.JAVA_LONG_UNALIGNED, c + XdpLayout.CTX_DATA_END, data + linear);
        MEM.set(ValueLayout.JAVA_LONG_UNALIGNED, c + XdpLayout.CTX_DATA_META, data);
        MEM.set(ValueLayout.JAVA_INT_UNALIGNED, c + XdpLayout.CTX_INGRESS_IFINDEX, XdpLayout.TEST_RUN_IFINDEX);
        MEM.set(ValueLayout.JAVA_INT_UNALIGNED, c + XdpLayout.CTX_RX_QUEUE_INDEX, 0);
        MEM.set(ValueLayout.JAVA_INT_UNALIGNED, c + XdpLayout.CTX_EGRESS_IFINDEX, 0);
    }

    /**
     * Called before each run of the program: clears the last run's redirect, tail-call count, stop
     * request and pending tail call, drops its map-value regions, re-points the packet. The clearing
     * is {@link #clearRun()}: every write of that state marks it changed
     * ({@link #runStateChanged()}), so a run that neither redirected nor tail called costs one load
     * here instead of nine stores (in the interpreter's checked mode every run lays out its regions
     * here).
     */
    void beginRun() {
        clearRun();
    }

    long data() {
        return ctx.get(ValueLayout.JAVA_LONG, XdpLayout.CTX_DATA);
    }

    long dataEnd() {
        return ctx.get(ValueLayout.JAVA_LONG, XdpLayout.CTX_DATA_END);
    }

    long dataMeta() {
        return ctx.get(ValueLayout.JAVA_LONG, XdpLayout.CTX_DATA_META);
    }

    private void updatePacketRegion() {
        MemoryRegions r = runRegions;
        if (r != null && packetRegion >= 0) {
            long meta = dataMeta();
            long start = Math.min(meta, data());
            r.set(packetRegion, start, dataEnd() - start);
        }
    }

    // ------------------------------------------------------------------ pointer checks

    /**
     * Checked mode: [address, address + length) must be stack or an allowed region (writable when
     * {@code write}); otherwise the run ends with a fault naming the helper and argument.
     */
    void checkMemory(String helper, String argument, long address, long length, boolean write) {
        if (!checked || length == 0) {
            return;
        }
        if (allowed(address, length, write)) {
            return;
        }
        throw new HelperFault(helper + ": " + argument + " 0x" + Long.toHexString(address) + " (" + length
                + " bytes" + (write ? ", written" : "") + ") is outside the program's memory ("
                + (regions() == null ? "no regions" : regions().describe(address)) + ")");
    }

    private boolean allowed(long address, long length, boolean write) {
        long end = address + length;
        if (end < address) {
            return false;
        }
        if (address >= stackBase && end <= stackTop) {
            return true;
        }
        return length <= Integer.MAX_VALUE && regions() != null && regions().allows(address, (int) length, write);
    }

    /** Whether one byte at address is readable (for %s in trace_printk). */
    boolean readable(long address) {
        return !checked || allowed(address, 1, false);
    }

    /** The map behind handle, or a fault when the value is not one of this program's map handles. */
    BpfMap map(String helper, long handle) {
        long rel = handle - mapHandles;
        if (rel < 0 || rel >= 8L * maps.length || (rel & 7) != 0) {
            // an inner map a map-in-map lookup returned (MapHandles: O(1), allocation-free)
            BpfMap inner = io.jxdp.ebpf.map.MapHandles.map(handle);
            if (inner != null) {
                return inner;
            }
            throw new HelperFault(helper + ": r1 0x" + Long.toHexString(handle) + " is not a map of this program");
        }
        return maps[(int) (rel >>> 3)];
    }

    /** The program's own map behind handle (what its ld_imm64 map references hold), or null. */
    BpfMap programMap(long handle) {
        int i = mapIndex(handle);
        return i < 0 ? null : maps[i];
    }

    /** The program's map table index of handle, or -1 for an inner map reached through a map-in-map. */
    private int mapIndex(long handle) {
        long rel = handle - mapHandles;
        return rel >= 0 && rel < 8L * maps.length && (rel & 7) == 0 ? (int) (rel >>> 3) : -1;
    }

    // ------------------------------------------------------------------ map helpers

    long mapLookup(long handle, long key) {
        BpfMap m = map("bpf_map_lookup_elem", handle);
        checkMemory("bpf_map_lookup_elem", "key", key, m.keySize(), false);
        long v = m.lookup(key, cpu());
        // a map-in-map gives an inner map's handle: a map pointer to pass to helpers, not memory
        if (v != 0 && checked && regions() != null && !(m instanceof io.jxdp.ebpf.map.MapInMap)) {
            // the verifier lets the program use the value (read-only for BPF_F_RDONLY_PROG maps)
            boolean writable = (m.flags() & io.jxdp.ebpf.map.MapFlags.BPF_F_RDONLY_PROG) == 0;
            if (!regions().allows(v, m.valueSize(), writable)) {
                regions().add(m.name(), v, m.valueSize(), writable);
            }
        }
        return v;
    }

    long mapUpdate(long handle, long key, long value, long flags) {
        BpfMap m = map("bpf_map_update_elem", handle);
        checkMemory("bpf_map_update_elem", "key", key, m.keySize(), false);
        checkMemory("bpf_map_update_elem", "value", value, m.valueSize(), false);
        return m.update(key, value, flags, cpu());
    }

    long mapDelete(long handle, long key) {
        BpfMap m = map("bpf_map_delete_elem", handle);
        checkMemory("bpf_map_delete_elem", "key", key, m.keySize(), false);
        return m.delete(key, cpu());
    }

    long mapLookupPercpu(long handle, long key, long targetCpu) {
        BpfMap m = map("bpf_map_lookup_percpu_elem", handle);
        checkMemory("bpf_map_lookup_percpu_elem", "key", key, m.keySize(), false);
        // kernel: cpu >= nr_cpu_ids returns NULL; r3 is a u32
        long v = m.lookupPercpu(key, (int) Math.min(targetCpu & 0xffff_ffffL, Integer.MAX_VALUE));
        if (v != 0) {
            allowValue(m, v);
        }
        return v;
    }

    private void allowValue(BpfMap m, long v) {
        if (checked && regions() != null) {
            boolean writable = (m.flags() & io.jxdp.ebpf.map.MapFlags.BPF_F_RDONLY_PROG) == 0;
            if (!regions().allows(v, m.valueSize(), writable)) {
                regions().add(m.name(), v, m.valueSize(), writable);
            }
        }
    }

    /** bpf_map_push_elem(): QUEUE/STACK (kernel queue_stack_map_push_elem); -EOPNOTSUPP... from the map otherwise. */
    long mapPush(long handle, long value, long flags) {
        BpfMap m = map("bpf_map_push_elem", handle);
        requireOp(m, MapOp.PUSH, "bpf_map_push_elem");
        checkMemory("bpf_map_push_elem", "value", value, m.valueSize(), false);
        return m.push(value, flags, cpu());
    }

    long mapPop(long handle, long value) {
        BpfMap m = map("bpf_map_pop_elem", handle);
        requireOp(m, MapOp.POP, "bpf_map_pop_elem");
        checkMemory("bpf_map_pop_elem", "value", value, m.valueSize(), true);
        return m.pop(value, cpu());
    }

    long mapPeek(long handle, long value) {
        BpfMap m = map("bpf_map_peek_elem", handle);
        requireOp(m, MapOp.PEEK, "bpf_map_peek_elem");
        checkMemory("bpf_map_peek_elem", "value", value, m.valueSize(), true);
        return m.peek(value, cpu());
    }

    /** The kernel's verifier refuses these calls on other map types; jxdp ends the run naming the map. */
    private static void requireOp(BpfMap m, MapOp op, String helper) {
        if (!m.supports(op)) {
            throw new HelperFault(helper + ": map '" + m.name() + "' (" + m.type().kernelName()
                    + ") does not support it");
        }
    }

    // ------------------------------------------------------------------ ring buffer

    private RingBuf ringbuf(String helper, long handle) {
        BpfMap m = map(helper, handle);
        if (!(m instanceof RingBuf rb)) {
            throw new HelperFault(helper + ": map '" + m.name() + "' (" + m.type().kernelName()
                    + ") is not a BPF_MAP_TYPE_RINGBUF");
        }
        return rb;
    }

    /** bpf_ringbuf_output() (kernel/bpf/ringbuf.c): 0, -EINVAL for unknown flags, -EAGAIN when full. */
    long ringbufOutput(long handle, long data, long size, long flags) {
        RingBuf rb = ringbuf("bpf_ringbuf_output", handle);
        checkMemory("bpf_ringbuf_output", "data", data, size, false);
        return rb.output(data, size, flags);
    }

    /** bpf_ringbuf_reserve(): the record's address (writable by the program until submitted), or 0. */
    long ringbufReserve(long handle, long size, long flags) {
        RingBuf rb = ringbuf("bpf_ringbuf_reserve", handle);
        long rec = rb.reserve(size, flags);
        if (rec != 0 && checked && regions() != null) {
            regions().add(rb.name() + " record", rec, size, true);
        }
        return rec;
    }

    /** bpf_ringbuf_submit()/discard(): the verifier proved {@code sample} is a live reservation. */
    long ringbufCommit(long sample, long flags, boolean discard) {
        String helper = discard ? "bpf_ringbuf_discard" : "bpf_ringbuf_submit";
        if (sample == 0) {
            throw new HelperFault(helper + ": NULL record (the verifier requires a reserved one)");
        }
        checkMemory(helper, "data", sample, 1, true);
        if (discard) {
            RingBuf.discard(sample, flags);
        } else {
            RingBuf.submit(sample, flags);
        }
        return 0;
    }

    long ringbufQuery(long handle, long flags) {
        return ringbuf("bpf_ringbuf_query", handle).query(flags);
    }

    // ------------------------------------------------------------------ redirect (net/core/filter.c)

    /** Redirect target kinds, as the kernel's bpf_redirect_info map_type says them. */
    static final int REDIRECT_NONE = 0;
    static final int REDIRECT_IFINDEX = 1;
    static final int REDIRECT_DEVMAP = 2;
    static final int REDIRECT_CPUMAP = 3;
    static final int REDIRECT_XSKMAP = 4;
    /** include/uapi/linux/bpf.h: BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS (DEVMAP only). */
    static final long BPF_F_BROADCAST = 1L << 3;
    static final long BPF_F_EXCLUDE_INGRESS = 1L << 4;
    private static final long XDP_ACTION_MASK = 3; // XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX
    static final long XDP_ABORTED = 0;
    static final long XDP_REDIRECT = 4;

    private int redirectKind;
    private long redirectTarget;
    private int redirectMap = -1;
    private long redirectFlags;

    int redirectKind() {
        return redirectKind;
    }

    long redirectTarget() {
        return redirectTarget;
    }

    int redirectMap() {
        return redirectMap;
    }

    long redirectFlags() {
        return redirectFlags;
    }

    /** The last run's redirect as a record (allocates unless there is none); mapNames by map index. */
    io.jxdp.ebpf.engine.XdpRedirect redirectRecord(String[] mapNames) {
        io.jxdp.ebpf.engine.XdpRedirect.Kind k = redirectKindOf(redirectKind);
        if (k == io.jxdp.ebpf.engine.XdpRedirect.Kind.NONE) {
            return io.jxdp.ebpf.engine.XdpRedirect.NONE;
        }
        return new io.jxdp.ebpf.engine.XdpRedirect(k, redirectTarget, redirectMap < 0 ? null : mapNames[redirectMap],
                redirectFlags);
    }

    static io.jxdp.ebpf.engine.XdpRedirect.Kind redirectKindOf(int kind) {
        return switch (kind) {
            case REDIRECT_IFINDEX -> io.jxdp.ebpf.engine.XdpRedirect.Kind.IFINDEX;
            case REDIRECT_DEVMAP -> io.jxdp.ebpf.engine.XdpRedirect.Kind.DEVMAP;
            case REDIRECT_CPUMAP -> io.jxdp.ebpf.engine.XdpRedirect.Kind.CPUMAP;
            case REDIRECT_XSKMAP -> io.jxdp.ebpf.engine.XdpRedirect.Kind.XSKMAP;
            default -> io.jxdp.ebpf.engine.XdpRedirect.Kind.NONE;
        };
    }

    /** The part of {@link #clearRun()} that is XDP's: no redirect, no tail calls counted. */
    @Override
    protected void clearRunState() {
        clearRedirect();
        tailCalls = 0;
        MemoryRegions r = runRegions;
        if (r != null) {
            r.truncate(mark);
            updatePacketRegion();
            runStateChanged(); // checked mode: the regions are per run, so every run starts here
        }
    }

    private void clearRedirect() {
        redirectKind = REDIRECT_NONE;
        redirectTarget = 0;
        redirectMap = -1;
        redirectFlags = 0;
    }

    /** bpf_xdp_redirect(ifindex, flags): XDP_ABORTED for any flag, else records the ifindex. */
    long redirect(long ifindex, long flags) {
        if (flags != 0) {
            return XDP_ABORTED;
        }
        runStateChanged();
        redirectKind = REDIRECT_IFINDEX;
        redirectTarget = ifindex & 0xffff_ffffL;
        redirectMap = -1;
        redirectFlags = 0;
        return XDP_REDIRECT;
    }

    /**
     * bpf_xdp_redirect_map(map, key, flags), as __bpf_xdp_redirect_map(): unknown flag bits give
     * XDP_ABORTED; a missing key (unless BPF_F_BROADCAST) clears the target and returns the
     * fallback action {@code flags & 3}; else the target is recorded and XDP_REDIRECT returned.
     * DEVMAP allows BPF_F_BROADCAST and BPF_F_EXCLUDE_INGRESS, CPUMAP and XSKMAP no flags.
     */
    long redirectMap(long handle, long key, long flags) {
        BpfMap m = map("bpf_redirect_map", handle);
        int kind;
        long flagMask;
        switch (m.type()) {
            case DEVMAP -> {
                kind = REDIRECT_DEVMAP;
                flagMask = BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS;
            }
            case CPUMAP -> {
                kind = REDIRECT_CPUMAP;
                flagMask = 0;
            }
            case DEVMAP_HASH -> {
                kind = REDIRECT_DEVMAP;
                flagMask = BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS;
            }
            case XSKMAP -> {
                kind = REDIRECT_XSKMAP;
                flagMask = 0;
            }
            default -> throw new HelperFault("bpf_redirect_map: map '" + m.name() + "' (" + m.type().kernelName()
                    + ") is not a DEVMAP, DEVMAP_HASH, CPUMAP or XSKMAP; the kernel's verifier refuses it");
        }
        if ((flags & ~(XDP_ACTION_MASK | flagMask)) != 0) {
            return XDP_ABORTED;
        }
        // lookup_elem(map, u32 key): the key is truncated to 32 bits
        long target = m.redirectTarget(key & 0xffff_ffffL);
        if (target < 0 && (flags & BPF_F_BROADCAST) == 0) {
            clearRedirect();
            return flags & XDP_ACTION_MASK;
        }
        runStateChanged();
        redirectKind = kind;
        redirectTarget = (flags & BPF_F_BROADCAST) != 0 ? key : target;
        redirectMap = mapIndex(handle);
        redirectFlags = (flags & BPF_F_BROADCAST) != 0 ? flags : 0;
        return XDP_REDIRECT;
    }

    // ------------------------------------------------------------------ perf events

    /**
     * bpf_perf_event_output(ctx, map, flags, data, size) for XDP (bpf_xdp_event_output(),
     * net/core/filter.c): the sample is {@code data} followed by the first {@code flags >> 32} bytes
     * of the frame; {@link io.jxdp.ebpf.map.PerfEventArray#output} gives the kernel's errors. Limit:
     * only the linear part can be appended (a longer ctx length is -EFAULT here; the kernel also
     * copies fragments).
     */
    long perfEventOutput(long handle, long flags, long data, long size) {
        BpfMap m = map("bpf_perf_event_output", handle);
        if (!(m instanceof io.jxdp.ebpf.map.PerfEventArray pa)) {
            throw new HelperFault("bpf_perf_event_output: map '" + m.name() + "' (" + m.type().kernelName()
                    + ") is not a BPF_MAP_TYPE_PERF_EVENT_ARRAY");
        }
        checkMemory("bpf_perf_event_output", "data", data, size, false);
        return pa.output(flags, data, size, data(), dataEnd() - data(), cpu());
    }

    // ------------------------------------------------------------------ tail calls (kernel/bpf/core.c)

    /** include/linux/bpf.h MAX_TAIL_CALL_CNT. */
    static final int MAX_TAIL_CALL_CNT = io.jxdp.ebpf.interp.Interpreter.MAX_TAIL_CALL_CNT;
    private int tailCalls;
    /** First instruction in the linked image of program id (PROG_ARRAY value), -1 when not linked. */
    private int[] tailCallEntries = {};
    /** Why program id was not linked (null when it was, or is no program of the object). */
    private String[] tailCallErrors = {};

    /** The engine's tail-call targets: entries[id] = first instruction of program id, or -1. */
    void tailCallTargets(int[] entries, String[] errors) {
        this.tailCallEntries = entries;
        this.tailCallErrors = errors;
    }

    int tailCalls() {
        return tailCalls;
    }

    /**
     * bpf_tail_call(ctx, prog_array, index): when the slot holds a program and fewer than
     * MAX_TAIL_CALL_CNT tail calls were made this run, ends the calling function and the engine
     * goes on in the target with r1 = ctx ({@link #tailCall(int, long)}): from the main function
     * the target's r0 ends the run, from a bpf-to-bpf subprogram it is the subprogram's return value
     * to its caller (the x86-64 JIT unwinds only the subprogram's frame). The count is one per run,
     * shared by the whole call chain (kernel 6.10+, "bpf, x64: Fix tailcall hierarchy": the counter
     * lives in the entry program's frame and subprograms get a pointer to it). Otherwise (empty
     * slot, index out of range, limit reached) execution goes on after the call; the kernel leaves
     * r0 as it was there (the verifier treats it as unknown), jxdp sets it to 0.
     */
    long tailCall(long r1, long handle, long index) {
        BpfMap m = map("bpf_tail_call", handle);
        if (m.type() != MapType.PROG_ARRAY) {
            throw new HelperFault("bpf_tail_call: map '" + m.name() + "' (" + m.type().kernelName()
                    + ") is not a BPF_MAP_TYPE_PROG_ARRAY");
        }
        int id = ((io.jxdp.ebpf.map.SlotArray) m).tailCallTarget(index & 0xffff_ffffL);
        if (id == 0 || tailCalls >= MAX_TAIL_CALL_CNT) {
            return 0;
        }
        int entry = id < tailCallEntries.length ? tailCallEntries[id] : -1;
        if (entry < 0) {
            String why = id < tailCallErrors.length && tailCallErrors[id] != null ? ": " + tailCallErrors[id] : "";
            throw new HelperFault("bpf_tail_call: program id " + id + " is not a program of this object"
                    + " that jxdp linked" + why);
        }
        tailCalls++; // tailCall(entry, r1) marks the run state changed
        tailCall(entry, r1);
        return 0;
    }

    // ------------------------------------------------------------------ callbacks (bpf_loop, for_each)

    /** kernel/bpf/bpf_iter.c BPF_MAX_LOOPS. */
    static final long BPF_MAX_LOOPS = 8L * 1024 * 1024;

    /** Sets what runs callbacks: the engine's interpreter or compiled program. */
    void functions(FunctionRunner runner) {
        this.functions = runner;
    }

    private int callbackPc(String helper, long fn) {
        int pc = Callbacks.pc(fn);
        if (pc < 0 || functions == null) {
            throw new HelperFault(helper + ": r2 0x" + Long.toHexString(fn) + " is not a callback function"
                    + " (ld_imm64 with BPF_PSEUDO_FUNC)");
        }
        return pc;
    }

    /**
     * bpf_loop() (kernel/bpf/bpf_iter.c): -EINVAL for flags, -E2BIG past BPF_MAX_LOOPS, else calls
     * callback(i, ctx) for i from 0 and returns the number of calls made; a non-zero callback result
     * (the verifier allows 0 or 1) stops after that call.
     */
    long loop(long nrLoops, long fn, long callbackCtx, long flags) {
        int pc = callbackPc("bpf_loop", fn);
        if (flags != 0) {
            return -Errno.EINVAL;
        }
        long n = nrLoops & 0xffff_ffffL;
        if (n > BPF_MAX_LOOPS) {
            // flags 0 is what lets the verifier inline bpf_loop (inline_bpf_loop() in
            // kernel/bpf/verifier.c), whose "BPF_MOV32_IMM(BPF_REG_0, -E2BIG)" zero-extends:
            // the program sees 0xfffffff9, not -7 (checked against this machine's kernel).
            return -Errno.E2BIG & 0xffff_ffffL;
        }
        FunctionRunner in = functions;
        for (long i = 0; i < n; i++) {
            if (in.callFunction(this, pc, i, callbackCtx, 0, 0, 0) != 0) {
                return i + 1;
            }
        }
        return n;
    }

    /**
     * bpf_for_each_map_elem() (kernel/bpf/bpf_iter.c and each map's map_for_each_callback):
     * -EINVAL for flags; arrays call callback(map, &key, value, ctx) for every index (this CPU's
     * slot for per-CPU arrays), hash maps for every element in get_next_key order (the kernel's
     * bucket walk); returns the number of elements visited, counting the one whose callback
     * returned non-zero and stopped the walk. Other map types are refused as the verifier does.
     */
    long forEachMapElem(long handle, long fn, long callbackCtx, long flags) {
        BpfMap m = map("bpf_for_each_map_elem", handle);
        int pc = callbackPc("bpf_for_each_map_elem", fn);
        if (flags != 0) {
            return -Errno.EINVAL;
        }
        MapType t = m.type();
        FunctionRunner in = functions;
        MemoryRegions r = checked ? regions() : null;
        int mapIndex = mapIndex(handle);
        String keyName = r == null ? null : mapIndex >= 0 ? keyRegionNames[mapIndex] : m.name() + " key";
        long visited = 0;
        if (t == MapType.ARRAY || t == MapType.PERCPU_ARRAY) {
            MemorySegment key = mapIndex >= 0 ? callbackKeys[mapIndex] : innerKey; // the u32 index
            for (int i = 0; i < m.maxEntries(); i++) {
                key.set(ValueLayout.JAVA_INT, 0, i);
                long v = m.lookup(key.address(), cpu());
                visited++;
                if (callElement(in, pc, r, keyName, m, handle, key.address(), v, callbackCtx) != 0) {
                    break;
                }
            }
            return visited;
        }
        if (t != MapType.HASH && t != MapType.PERCPU_HASH && t != MapType.LRU_HASH && t != MapType.LRU_PERCPU_HASH) {
            throw new HelperFault("bpf_for_each_map_elem: map '" + m.name() + "' (" + t.kernelName()
                    + ") has no map_for_each_callback; the kernel's verifier refuses it");
        }
        // The table in place (bpf_for_each_hash_elem): the callback gets the element's own key, as in
        // the kernel; nothing is copied or allocated and no LRU reference bit is set.
        int c = cpu();
        for (long e = m.firstElem(); e != 0; e = m.nextElem(e)) {
            visited++;
            if (callElement(in, pc, r, keyName, m, handle, m.elemKey(e), m.elemValue(e, c), callbackCtx) != 0) {
                break;
            }
        }
        return visited;
    }

    private long callElement(FunctionRunner in, int pc, MemoryRegions r, String keyName, BpfMap m, long handle, long key,
            long value, long callbackCtx) {
        int mark = r == null ? 0 : r.count();
        if (r != null) {
            r.add(keyName, key, m.keySize(), false);
            r.add(m.name(), value, m.valueSize(), (m.flags() & io.jxdp.ebpf.map.MapFlags.BPF_F_RDONLY_PROG) == 0);
        }
        try {
            return in.callFunction(this, pc, handle, key, value, callbackCtx, 0);
        } finally {
            if (r != null) {
                r.truncate(mark);
            }
        }
    }

    // ------------------------------------------------------------------ time, random, cpu

    long ktimeGetNs() {
        return Clocks.nanos(Clocks.MONOTONIC, timespec);
    }

    /** bpf_ktime_get_coarse_ns(): ktime_get_coarse_ns(), CLOCK_MONOTONIC_COARSE. */
    long ktimeGetCoarseNs() {
        return Clocks.nanos(Clocks.MONOTONIC_COARSE, timespec);
    }

    /** bpf_get_numa_node_id(): numa_node_id() of the CPU the program runs on. */
    long numaNodeId() {
        return Numa.nodeOf(cpu());
    }

    /** CLOCK_TAI, include/uapi/linux/time.h. */
    private static final int CLOCK_TAI = 11;

    /** bpf_ktime_get_tai_ns(): ktime_get_tai_fast_ns(), CLOCK_TAI (kernel/bpf/helpers.c). */
    long ktimeGetTaiNs() {
        return Clocks.nanos(CLOCK_TAI, timespec);
    }

    /**
     * bpf_strncmp(s1, s1_sz, s2) (kernel/bpf/helpers.c): lib/string.c's strncmp(s1, s2, s1_sz),
     * -1, 0 or 1 comparing bytes unsigned. s2 is a NUL-terminated string in read-only map memory
     * (the verifier's ARG_PTR_TO_CONST_STR), so the walk stops at its NUL at the latest.
     */
    long strncmp(long s1, long size, long s2) {
        long n = size & 0xffff_ffffL;
        checkMemory("bpf_strncmp", "s1", s1, n, false);
        for (long i = 0; i < n; i++) {
            int c1 = MEM.get(ValueLayout.JAVA_BYTE, s1 + i) & 0xff;
            int c2 = MEM.get(ValueLayout.JAVA_BYTE, s2 + i) & 0xff;
            if (c1 != c2) {
                return c1 < c2 ? -1 : 1;
            }
            if (c1 == 0) {
                break;
            }
        }
        return 0;
    }

    /** include/uapi/linux/bpf.h: BPF_MTU_CHK_RET_FRAG_NEEDED. */
    static final long BPF_MTU_CHK_RET_FRAG_NEEDED = 1;
    private final NetDevices devices = new NetDevices();

    /**
     * bpf_xdp_check_mtu(ctx, ifindex, mtu_len, len_diff, flags) (net/core/filter.c): flags != 0 is
     * -EINVAL, an ifindex with no device -ENODEV (both leave *mtu_len as it was, as this machine's
     * 6.18 kernel does); ifindex 0 is the ingress device (the loopback, as in the kernel's test
     * run), another the device of that index in jxdp's namespace. The frame's length is
     * data_end - data (fragments not counted), or {@code *mtu_len + hard_header_len} when *mtu_len
     * is set, plus len_diff (s32); more than mtu + hard_header_len is BPF_MTU_CHK_RET_FRAG_NEEDED,
     * else 0. *mtu_len gets the device's MTU.
     */
    long checkMtu(long ifindex, long mtuLen, long lenDiff, long flags) {
        checkMemory("bpf_check_mtu", "mtu_len", mtuLen, 4, true);
        if (flags != 0) {
            return -Errno.EINVAL;
        }
        int index = (int) ifindex == 0 ? ctx.get(ValueLayout.JAVA_INT, XdpLayout.CTX_INGRESS_IFINDEX) : (int) ifindex;
        int dev = devices.find(index);
        if (dev < 0) {
            return -Errno.ENODEV;
        }
        int mtu = devices.mtu(dev);
        int hh = devices.hardHeaderLen(dev);
        int given = MEM.get(ValueLayout.JAVA_INT_UNALIGNED, mtuLen);
        int len = given != 0 ? given + hh : (int) (dataEnd() - data());
        len += (int) lenDiff;
        MEM.set(ValueLayout.JAVA_INT_UNALIGNED, mtuLen, mtu);
        return len > mtu + hh ? BPF_MTU_CHK_RET_FRAG_NEEDED : 0;
    }

    long ktimeGetBootNs() {
        return Clocks.nanos(Clocks.BOOTTIME, timespec);
    }

    long jiffies64() {
        return Clocks.jiffies64(timespec);
    }

    /** bpf_get_prandom_u32(): xorshift64* (the kernel uses a per-CPU prandom state). */
    long prandomU32() {
        long x = random;
        x ^= x >>> 12;
        x ^= x << 25;
        x ^= x >>> 27;
        random = x;
        return ((x * 0x2545f4914f6cdd1dL) >>> 32) & 0xffff_ffffL;
    }

    long traceprintk(long fmt, long fmtSize, long a1, long a2, long a3) {
        int size = (int) Math.min(fmtSize & 0xffff_ffffL, Integer.MAX_VALUE);
        checkMemory("bpf_trace_printk", "fmt", fmt, size, false);
        int n = TracePrintk.format(this, fmt, size, a1, a2, a3, traceOut);
        if (n >= 0) {
            trace.write(traceOut.buf, Math.min(n, traceOut.buf.length - 1));
        }
        return n;
    }

    /** MAX_BPRINTF_VARARGS, include/linux/bpf.h. */
    static final int MAX_BPRINTF_VARARGS = 12;
    private final TracePrintk.Out snprintfOut = new TracePrintk.Out(new byte[SNPRINTF_BUF]);
    /** jxdp formats into this buffer first: a str_size above it gets at most this many bytes. */
    static final int SNPRINTF_BUF = 4096;

    /**
     * bpf_snprintf(str, str_size, fmt, data, data_len) (kernel/bpf/helpers.c): -EINVAL when data_len
     * is not a multiple of 8, over 12 * 8, or data is NULL with data_len > 0, or the format is bad
     * (the trace_printk rules, with data_len / 8 arguments); else writes at most str_size - 1 bytes
     * and a NUL and returns the untruncated length plus one. The verifier proved fmt is a
     * NUL-terminated string in a read-only map.
     */
    long snprintf(long str, long strSize, long fmt, long data, long dataLen) {
        long size = strSize & 0xffff_ffffL;
        long dl = dataLen & 0xffff_ffffL;
        if (dl % 8 != 0 || dl > MAX_BPRINTF_VARARGS * 8L || (dl != 0 && data == 0)) {
            return -Errno.EINVAL;
        }
        checkMemory("bpf_snprintf", "str", str, size, true);
        checkMemory("bpf_snprintf", "data", data, dl, false);
        checkMemory("bpf_snprintf", "fmt", fmt, 1, false);
        int n = (int) (dl / 8);
        long[] args = snprintfOut.args;
        for (int i = 0; i < n; i++) {
            args[i] = MEM.get(ValueLayout.JAVA_LONG_UNALIGNED, data + 8L * i);
        }
        int fmtLen = 0;
        while (fmtLen < SNPRINTF_BUF && MEM.get(ValueLayout.JAVA_BYTE, fmt + fmtLen) != 0) {
            fmtLen++;
            if (checked && !readable(fmt + fmtLen)) {
                throw new HelperFault("bpf_snprintf: fmt 0x" + Long.toHexString(fmt) + " is not NUL-terminated"
                        + " within the program's memory");
            }
        }
        int len = TracePrintk.format(this, fmt, fmtLen + 1, args, n, snprintfOut);
        if (len < 0) {
            return len;
        }
        if (size > 0) {
            int copy = (int) Math.min(Math.min(len, size - 1), SNPRINTF_BUF - 1);
            MemorySegment.copy(snprintfOut.buf, 0, MEM, ValueLayout.JAVA_BYTE, str, copy);
            MEM.set(ValueLayout.JAVA_BYTE, str + copy, (byte) 0);
        }
        return len + 1L;
    }

    // ------------------------------------------------------------------ checksum

    /**
     * bpf_csum_diff() (net/core/filter.c, kernel 6.12 and later): pushing ({@code to} only), pulling
     * ({@code from} only) or diffing both, any sizes, from {@code seed}; the result folded to 16 bits
     * by csum_from32to16(). Checked against this machine's kernel by HelperKernelTest.
     */
    long csumDiff(long from, long fromSize, long to, long toSize, long seed) {
        long fs = fromSize & 0xffff_ffffL;
        long ts = toSize & 0xffff_ffffL;
        checkMemory("bpf_csum_diff", "from", from, fs, false);
        checkMemory("bpf_csum_diff", "to", to, ts, false);
        int s = (int) seed;
        int ret = s;
        if (fs != 0 && ts != 0) {
            ret = Checksum.sub(Checksum.partial(to, (int) ts, s), Checksum.partial(from, (int) fs, 0));
        } else if (ts != 0) {
            ret = Checksum.partial(to, (int) ts, s);
        } else if (fs != 0) {
            ret = ~Checksum.partial(from, (int) fs, ~s);
        }
        return Checksum.from32to16(ret);
    }

    // ------------------------------------------------------------------ frame helpers

    /** bpf_xdp_adjust_head(): data moves by offset within [hard_start + 40 + metalen, data_end - ETH_HLEN]. */
    long adjustHead(long offset) {
        int off = (int) offset;
        long data = data();
        long meta = dataMeta();
        long end = dataEnd();
        long metalen = meta > data ? 0 : data - meta;
        long dataStart = hardStart + XdpLayout.XDP_FRAME_STRUCT + metalen;
        long newData = data + off;
        if (newData < dataStart || newData > end - XdpLayout.ETH_HLEN) {
            return -Errno.EINVAL;
        }
        if (metalen != 0) {
            MemorySegment.copy(frame, meta - hardStart, frame, meta + off - hardStart, metalen);
        }
        ctx.set(ValueLayout.JAVA_LONG, XdpLayout.CTX_DATA_META, meta + off);
        ctx.set(ValueLayout.JAVA_LONG, XdpLayout.CTX_DATA, newData);
        headroomDirty |= Math.min(newData, meta + off) < hardStart + XdpLayout.HEADROOM;
        updatePacketRegion();
        return 0;
    }

    /**
     * bpf_xdp_adjust_meta(): data_meta moves within [hard_start + 40, data]; the metadata length must
     * be a multiple of 4 and at most {@link #META_MAX} (-EACCES otherwise).
     */
    long adjustMeta(long offset) {
        int off = (int) offset;
        long data = data();
        long meta = dataMeta() + off;
        if (meta < hardStart + XdpLayout.XDP_FRAME_STRUCT || meta > data) {
            return -Errno.EINVAL;
        }
        long metalen = data - meta;
        if ((metalen & 3) != 0 || metalen > META_MAX) {
            return -Errno.EACCES;
        }
        ctx.set(ValueLayout.JAVA_LONG, XdpLayout.CTX_DATA_META, meta);
        headroomDirty |= meta < hardStart + XdpLayout.HEADROOM;
        updatePacketRegion();
        return 0;
    }

    /**
     * The largest metadata length: type_max of skb_shared_info.meta_len, a u8 since kernel 6.x
     * (xdp_metalen_invalid() in include/net/xdp.h); checked against this machine's kernel by a test.
     */
    static final long META_MAX = 255;

    /** bpf_xdp_adjust_tail(): data_end moves within [data + ETH_HLEN, hard_start + frame_sz - tailroom]; growth is zeroed. */
    long adjustTail(long offset) {
        int off = (int) offset;
        if (nrFrags > 0) {
            return off < 0 ? fragsShrinkTail(-off) : fragsIncreaseTail(off);
        }
        long end = dataEnd();
        long newEnd = end + off;
        if (newEnd > hardStart + XdpLayout.FRAME_SIZE - XdpLayout.TAILROOM) {
            return -Errno.EINVAL;
        }
        if (newEnd < data() + XdpLayout.ETH_HLEN) {
            return -Errno.EINVAL;
        }
        if (off > 0) {
            frame.asSlice(end - hardStart, off).fill((byte) 0);
        }
        ctx.set(ValueLayout.JAVA_LONG, XdpLayout.CTX_DATA_END, newEnd);
        updatePacketRegion();
        return 0;
    }

    /** xdp_get_buff_len(): the linear part plus the fragments. */
    /** bpf_xdp_frags_increase_tail(): grow the last fragment within its page; the growth is zeroed. */
    private long fragsIncreaseTail(int offset) {
        int last = nrFrags - 1;
        int tailroom = XdpLayout.FRAG_SIZE - fragSize[last];
        if (offset > tailroom) {
            return -Errno.EINVAL;
        }
        frags.asSlice((long) last * XdpLayout.FRAG_SIZE + fragSize[last], offset).fill((byte) 0);
        fragSize[last] += offset;
        fragsLength += offset;
        return 0;
    }

    /**
     * bpf_xdp_frags_shrink_tail(): trims fragments from the last one back, freeing emptied ones; once
     * none is left the rest of the trim comes off the linear part.
     */
    private long fragsShrinkTail(int offset) {
        if (offset > buffLen() - XdpLayout.ETH_HLEN) {
            return -Errno.EINVAL;
        }
        int left = offset;
        for (int i = nrFrags - 1; i >= 0 && left > 0; i--) {
            int shrink = Math.min(left, fragSize[i]);
            fragSize[i] -= shrink;
            fragsLength -= shrink;
            left -= shrink;
            if (fragSize[i] == 0) {
                nrFrags--;
            }
        }
        if (nrFrags == 0) {
            ctx.set(ValueLayout.JAVA_LONG, XdpLayout.CTX_DATA_END, dataEnd() - left);
            updatePacketRegion();
        }
        return 0;
    }

    long buffLen() {
        return dataEnd() - data() + fragsLength;
    }

    int fragsLength() {
        return fragsLength;
    }

    /** Appends the fragments' bytes to dst at offset (the test run's data_out after the linear part). */
    void copyFrags(byte[] dst, int offset) {
        int at = offset;
        for (int i = 0; i < nrFrags; i++) {
            MemorySegment.copy(frags, ValueLayout.JAVA_BYTE, (long) i * XdpLayout.FRAG_SIZE, dst, at, fragSize[i]);
            at += fragSize[i];
        }
    }

    /**
     * bpf_xdp_load_bytes()/bpf_xdp_store_bytes() via bpf_xdp_pointer()/bpf_xdp_copy_buf(): -EFAULT
     * for an offset or length over 0xffff, -EINVAL past xdp_get_buff_len(); the range may span the
     * linear part and the fragments.
     */
    long loadStoreBytes(long offset, long buf, long len, boolean store) {
        long o = offset & 0xffff_ffffL;
        long n = len & 0xffff_ffffL;
        if (o > 0xffff || n > 0xffff) {
            return -Errno.EFAULT;
        }
        if (o + n > buffLen()) {
            return -Errno.EINVAL;
        }
        String name = store ? "bpf_xdp_store_bytes" : "bpf_xdp_load_bytes";
        checkMemory(name, "buf", buf, n, !store);
        long data = data();
        long linear = dataEnd() - data;
        long done = 0;
        if (o < linear) {
            long k = Math.min(n, linear - o);
            copy(frame, data + o - hardStart, buf, k, store);
            done = k;
        }
        long fo = o + done - linear; // offset into the fragments
        for (int i = 0; i < nrFrags && done < n; i++) {
            if (fo >= fragSize[i]) {
                fo -= fragSize[i];
                continue;
            }
            long k = Math.min(n - done, fragSize[i] - fo);
            copy(frags, (long) i * XdpLayout.FRAG_SIZE + fo, buf + done, k, store);
            done += k;
            fo = 0;
        }
        return 0;
    }

    private static void copy(MemorySegment seg, long segOffset, long buf, long n, boolean toSegment) {
        if (toSegment) {
            MemorySegment.copy(MEM, buf, seg, segOffset, n);
        } else {
            MemorySegment.copy(seg, segOffset, MEM, buf, n);
        }
    }
}
