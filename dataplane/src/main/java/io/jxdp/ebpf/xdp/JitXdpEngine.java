package io.jxdp.ebpf.xdp;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.MapEntry;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.engine.XdpRedirect;
import io.jxdp.ebpf.engine.XdpResult;
import io.jxdp.ebpf.helper.HelperRegistry;
import io.jxdp.ebpf.interp.VmException;
import io.jxdp.ebpf.isa.Program;
import io.jxdp.ebpf.jit.CompiledProgram;
import io.jxdp.ebpf.jit.JitCompiler;
import io.jxdp.ebpf.jit.JitOptions;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.MapSpec;
import io.jxdp.ebpf.loader.ProgramSpec;
import io.jxdp.ebpf.map.BpfMap;
import io.jxdp.ebpf.map.MapException;
import io.jxdp.ebpf.map.MapFlags;
import io.jxdp.ebpf.map.MapType;
import io.jxdp.ebpf.map.Rcu;
import io.jxdp.ebpf.map.RingBuf;
import io.jxdp.ebpf.verifier.MapInfo;
import io.jxdp.ebpf.verifier.VerificationResult;
import io.jxdp.ebpf.verifier.Verifier;
import io.jxdp.ebpf.verifier.VerifierError;
import io.jxdp.ebpf.verifier.VerifierOptions;
import io.jxdp.ffi.bpf.Bpf;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * An XDP program of a clang-built object compiled to JVM bytecode by jxdp's JIT ({@link JitCompiler})
 * and run as the kernel's {@code BPF_PROG_TEST_RUN} runs it: the same frame, context, maps and
 * helpers as {@link InterpreterXdpEngine} (whose behaviour and limits this engine shares), only the
 * instructions run as generated code.
 *
 * <p>The JIT trusts the verifier, as the kernel's JIT does: the program must pass jxdp's verifier
 * before it is compiled, and memory accesses are not bounds-checked at run time (helpers' pointer
 * arguments neither: the context runs unchecked). There is no instruction budget; the verifier
 * proved termination.
 *
 * <p>At load the program is warmed up ({@link CompiledProgram#warmUp}) over a scratch 64-byte
 * TCP/IPv4 frame until the JVM's optimising compiler has compiled it, so the first real packet runs
 * compiled code; the maps are snapshotted before and restored after, so warm-up runs leave no trace
 * in them. {@link #loadNanos()} is the load-to-compiled time.
 *
 * <p>{@link #runInPlace} allocates nothing; {@link #run} allocates its result. Not thread-safe: one
 * engine per thread.
 */
public final class JitXdpEngine implements XdpEngine {
    /** Default warm-up bound; the system property {@code jxdp.jit.warmupMillis} overrides it (0: none). */
    public static final long DEFAULT_WARMUP_MILLIS = 2_000;

    private final String programName;
    private final Arena arena = Arena.ofShared();
    private final Rcu rcu = new Rcu(1);
    private final InnerMaps innerMaps;
    private final BpfMap[] maps;
    private final String[] mapNames;
    private final List<MapSpec> specs;
    private final int cpus;
    private final XdpContext ctx;
    private final CompiledProgram jit;
    private final Program program;
    private final long loadNanos;
    private final CompiledProgram.WarmUp warmUp;
    /** The sink the context writes to (XdpContext does not expose it): restored after the warm-up. */
    private TraceSink trace = TraceSink.to(System.err);
    private boolean closed;

    /** Program names by id - 1: the ids user space puts in a PROG_ARRAY ({@link #programId}). */
    private final String[] programNames;
    /** First instruction of program id in the compiled image, -1 when it is not there. */
    private final int[] entries;
    /** Why program id could not be linked as a tail call target (null when it was). */
    private final String[] entryErrors;

    private JitXdpEngine(BpfObject obj, String program, long[] raw, int cpus, long warmupMillis, Pinning pinning) {
        long t0 = System.nanoTime();
        ProgramSpec p = obj == null ? null : XdpLinker.program(obj, program);
        this.programName = p == null ? "program" : p.name();
        this.cpus = cpus;
        this.innerMaps = new InnerMaps(rcu, 0, cpus);
        this.specs = obj == null ? List.of() : obj.maps();
        this.maps = obj == null ? new BpfMap[0] : XdpLinker.createMaps(obj, cpus, rcu, pinning);
        try {
            mapNames = new String[maps.length];
            for (int i = 0; i < maps.length; i++) {
                mapNames[i] = XdpLinker.userName(specs.get(i));
            }
            rcu.register(0);
            ctx = new XdpContext(arena, maps);
            HelperRegistry helpers = XdpHelpers.registry();
            String where = obj == null ? "program" : "object '" + obj.name() + "', program '" + p.name() + "'";
            long[] linked;
            if (obj == null) {
                linked = XdpLinker.checkAndRewrite(where, raw.clone(), helpers);
            } else {
                linked = XdpLinker.link(obj, p, maps, ctx.mapHandles, helpers);
                verify(obj, p); // after linking, whose errors (map types, helpers) are more specific
            }
            programNames = obj == null ? new String[] {programName}
                    : obj.programs().stream().map(ProgramSpec::name).toArray(String[]::new);
            entries = new int[programNames.length + 1];
            entryErrors = new String[programNames.length + 1];
            Arrays.fill(entries, -1);
            entries[obj == null ? 1 : obj.programs().indexOf(p) + 1] = 0;
            if (obj != null && hasProgArray(maps)) {
                linked = linkTailCallTargets(obj, p, linked, helpers);
            }
            this.program = Program.ofSlots(linked);
            try {
                // the context runs unchecked, so helpers 1-3 are exactly the maps' own calls (KnownMaps)
                jit = JitCompiler.compile(this.program, functionEntries(linked), helpers, JitOptions.defaults(),
                        ctx::programMap);
            } catch (VmException e) {
                throw new EngineException(where + ": " + e.getMessage(), e);
            }
            ctx.cpu(0);
            // unchecked, as the JIT's own memory accesses: the verifier proved the helpers' arguments
            ctx.checked(false, jit.stack().address(), jit.stack().address() + jit.stack().byteSize());
            ctx.regionLayout(null, -1, 0);
            ctx.functions(jit);
            ctx.tailCallTargets(entries, entryErrors);
            this.warmUp = warmupMillis > 0 ? warm(warmupMillis) : null;
            this.loadNanos = System.nanoTime() - t0;
        } catch (RuntimeException e) {
            closeMaps();
            arena.close();
            throw e;
        }
    }

    private static boolean hasProgArray(BpfMap[] maps) {
        for (BpfMap m : maps) {
            if (m.type() == MapType.PROG_ARRAY) {
                return true;
            }
        }
        return false;
    }

    /**
     * As InterpreterXdpEngine: with a PROG_ARRAY in the object every other XDP program of it may be a
     * tail call target, so each is linked against the same maps, verified, and appended to one image
     * after the main program (callback values moved by the program's base); the image is compiled
     * once with every program's first instruction as an entry. A program that fails to link or that
     * the verifier rejects is left out with its reason, reported if a tail call reaches it.
     */
    private long[] linkTailCallTargets(BpfObject obj, ProgramSpec main, long[] mainSlots, HelperRegistry helpers) {
        List<ProgramSpec> all = obj.programs();
        long[] image = mainSlots;
        for (int i = 0; i < all.size(); i++) {
            ProgramSpec q = all.get(i);
            if (q == main) {
                continue;
            }
            long[] s;
            try {
                s = XdpLinker.link(obj, q, maps, ctx.mapHandles, helpers);
                verify(obj, q); // a target the verifier rejects is not a target, as in the kernel
            } catch (EngineException e) {
                entryErrors[i + 1] = e.getMessage();
                continue;
            }
            int base = image.length;
            XdpLinker.rebaseCallbacks(s, base);
            image = Arrays.copyOf(image, base + s.length);
            System.arraycopy(s, 0, image, base, s.length);
            entries[i + 1] = base;
        }
        return image;
    }

    /**
     * The functions the engine enters directly, besides instruction 0: every tail call target's
     * first instruction and every callback (the values XdpLinker gave ld_imm64 BPF_PSEUDO_FUNC).
     */
    private int[] functionEntries(long[] image) {
        TreeSet<Integer> out = new TreeSet<>();
        for (int e : entries) {
            if (e > 0) {
                out.add(e);
            }
        }
        for (int i = 0; i + 1 < image.length; i++) {
            if ((image[i] & 0xff) == 0x18) {
                int pc = Callbacks.pc((image[i] >>> 32) | (image[i + 1] & 0xffff_ffff_0000_0000L));
                if (pc > 0 && pc < image.length) {
                    out.add(pc);
                }
                i++;
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** As InterpreterXdpEngine: only programs the verifier accepts are run. */
    private static void verify(BpfObject obj, ProgramSpec p) {
        List<MapInfo> infos = obj.maps().stream().map(MapInfo::of).toList();
        VerificationResult v = Verifier.verify(p, infos, VerifierOptions.privileged());
        if (!v.accepted()) {
            throw new EngineException("object '" + obj.name() + "', program '" + p.name()
                    + "' rejected by the verifier: " + v.error().map(VerifierError::format).orElse("no reason given"));
        }
    }

    /** Links, verifies, compiles and warms up program (null: the object's only program) of obj. */
    public static JitXdpEngine create(BpfObject obj, String program) {
        return create(obj, program, Bpf.numPossibleCpus(), Long.getLong("jxdp.jit.warmupMillis", DEFAULT_WARMUP_MILLIS));
    }

    /**
     * With an explicit per-CPU slot count and warm-up bound in milliseconds (0: no warm-up; the
     * JVM then compiles the program while it runs real packets).
     */
    public static JitXdpEngine create(BpfObject obj, String program, int cpus, long warmupMillis) {
        return create(obj, program, cpus, warmupMillis, Pinning.defaults());
    }

    /** With an explicit per-CPU slot count, warm-up bound and choice of pinned maps. */
    public static JitXdpEngine create(BpfObject obj, String program, int cpus, long warmupMillis, Pinning pinning) {
        java.util.Objects.requireNonNull(pinning);
        if (cpus <= 0) {
            throw new IllegalArgumentException("cpus must be positive: " + cpus);
        }
        if (warmupMillis < 0) {
            throw new IllegalArgumentException("warmupMillis must be >= 0: " + warmupMillis);
        }
        return new JitXdpEngine(obj, program, null, cpus, warmupMillis, pinning);
    }

    /**
     * An engine for raw XDP instructions without maps (tests, hand-written programs): calls are
     * checked and context loads rewritten as for an object's program; the verifier does not run, so
     * the program must be one it would accept. One possible CPU, no warm-up.
     */
    static JitXdpEngine ofInstructions(long[] slots) {
        return new JitXdpEngine(null, null, slots, 1, 0, Pinning.NONE);
    }

    /**
     * The id of a program of this engine's object, as a PROG_ARRAY value: write it (u32, little
     * endian) with {@link #updateMap} where the kernel takes a program fd. Ids are 1-based positions
     * in the object's program list, as in InterpreterXdpEngine.
     */
    public int programId(String name) {
        for (int i = 0; i < programNames.length; i++) {
            if (programNames[i].equals(name)) {
                return i + 1;
            }
        }
        throw new EngineException("no program '" + name + "' (programs: " + String.join(", ", programNames) + ")");
    }

    /** Tail calls the last run made (at most MAX_TAIL_CALL_CNT, 33). */
    public int tailCalls() {
        return ctx.tailCalls();
    }

    /**
     * Where the last run redirected the frame when it returned XDP_REDIRECT, for the dataplane to
     * act on, without allocating: {@code NONE}, {@code IFINDEX} (bpf_redirect), {@code DEVMAP} (a
     * DEVMAP or DEVMAP_HASH slot; target = ifindex, or the key with BPF_F_BROADCAST), {@code CPUMAP}
     * (target = cpu) or {@code XSKMAP} (target = queue); the names of {@link XdpRedirect.Kind}. The same
     * accessors as InterpreterXdpEngine's, from the same helper state.
     */
    public String redirectKind() {
        return XdpContext.redirectKindOf(ctx.redirectKind()).name();
    }

    /** The last run's redirect target (see {@link #redirectKind()}). */
    public long redirectTarget() {
        return ctx.redirectTarget();
    }

    /** The name of the map the last run redirected through, or null (bpf_redirect, or none). */
    public String redirectMap() {
        int i = ctx.redirectMap();
        return i < 0 ? null : mapNames[i];
    }

    /** The flags kept with a BPF_F_BROADCAST redirect (BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS), else 0. */
    public long redirectFlags() {
        return ctx.redirectFlags();
    }

    /** The last run's redirect as one record (allocates when there is one; see {@link #redirectKind()}). */
    @Override
    public XdpRedirect redirect() {
        return ctx.redirectRecord(mapNames);
    }

    /**
     * Creates an empty inner map for the map-in-map {@code outerMap} (ARRAY_OF_MAPS or HASH_OF_MAPS),
     * built like its inner-map template (from the object's BTF), on this engine's RCU domain. Put it
     * in with {@link #setInnerMap}; the engine frees it at its close, or earlier through
     * {@link #retireInnerMap}. May be called from a control thread while another thread runs packets.
     */
    public BpfMap createInnerMap(String outerMap) {
        return innerMaps.create(outerMap, InnerMaps.outer(outerMap, map(outerMap)));
    }

    /**
     * Puts {@code inner} at {@code key} of the map-in-map {@code outerMap} (BPF_ANY; null deletes the
     * key) and returns the inner map that was there, or null. Safe while another thread runs packets:
     * a run sees the old inner map or the new one, never a mix, and one that looked up the old map
     * keeps using it until it ends. A map unlike the template is refused (EINVAL, as
     * {@code bpf_map_meta_equal()}). One control thread at a time.
     */
    public BpfMap setInnerMap(String outerMap, byte[] key, BpfMap inner) {
        return innerMaps.set(outerMap, InnerMaps.outer(outerMap, map(outerMap)), key, inner);
    }

    /**
     * Frees {@code inner}, a map {@link #createInnerMap} made that no outer map holds any more
     * (refused, naming the outer map and key, while one does), once no run can hold it: the engine
     * thread closes it at the end of its next run (or at the engine's close), as the kernel drops a
     * replaced inner map after an RCU grace period.
     */
    public void retireInnerMap(BpfMap inner) {
        innerMaps.retire(inner, maps, mapNames);
    }

    /**
     * A scratch Ethernet/IPv4/TCP SYN frame of 64 bytes (198.18.0.1:1024 -> 198.18.0.2:80, checksums
     * left zero): the common case of most XDP programs, so the warm-up profiles their main path.
     */
    static byte[] warmUpFrame() {
        byte[] f = new byte[64];
        byte[] head = {
            0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00, // ethernet, ETH_P_IP
            0x45, 0, 0, 50, 0, 1, 0x40, 0, 64, 6, 0, 0, (byte) 198, 18, 0, 1, (byte) 198, 18, 0, 2, // IPv4, TCP
            0x04, 0x00, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, (byte) 0xff, (byte) 0xff, 0, 0, 0, 0 // TCP SYN
        };
        System.arraycopy(head, 0, f, 0, head.length);
        return f;
    }

    /**
     * Warms up with the maps snapshotted and restored around it and trace output discarded. The
     * warm-up runs over one frame without resetting it between runs (as a repeated test run does);
     * programs that move data by adjust_head then profile their failure path too, which the JVM
     * corrects on the first real packets.
     */
    private CompiledProgram.WarmUp warm(long millis) {
        List<List<byte[][]>> saved = new ArrayList<>(maps.length);
        for (BpfMap m : maps) {
            saved.add(snapshot(m));
        }
        ctx.trace(TraceSink.discard());
        try {
            byte[] f = warmUpFrame();
            ctx.reset(f, f.length);
            return jit.warmUp(() -> {
                ctx.beginRun();
                execute();
            }, Long.MAX_VALUE, millis * 1_000_000L);
        } catch (VmException | HelperFault e) {
            throw new EngineException("program '" + programName + "' faulted during warm-up: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new EngineException("program '" + programName + "' failed in jxdp during warm-up: " + e, e);
        } finally {
            rcu.quiescent(0);
            ctx.trace(trace);
            for (int i = 0; i < maps.length; i++) {
                restore(maps[i], saved.get(i));
                if (maps[i] instanceof RingBuf rb) {
                    rb.reset(); // records no one consumed: the ring would be full for the real packets
                }
            }
        }
    }

    /** Every key and user-format value of m, or null for a map that cannot be iterated (e.g. frozen or special). */
    private static List<byte[][]> snapshot(BpfMap m) {
        if (m.isFrozen()) {
            return null; // programs cannot write a frozen map: nothing to restore
        }
        List<byte[][]> out = new ArrayList<>();
        if (m.type() == MapType.QUEUE || m.type() == MapType.STACK) {
            return snapshotQueue(m);
        }
        try {
            Optional<byte[]> k = m.getNextKey(null);
            while (k.isPresent()) {
                Optional<byte[]> v = m.lookup(k.get());
                if (v.isPresent()) {
                    out.add(new byte[][] {k.get(), v.get()});
                }
                k = m.getNextKey(k.get());
            }
        } catch (MapException | UnsupportedOperationException e) {
            return null;
        }
        return out;
    }

    /**
     * A queue or stack has no keys to walk: pop every element (user-space lookup-and-delete) and push
     * them back in an order that rebuilds it; returns {null, value} rows in that push order.
     */
    private static List<byte[][]> snapshotQueue(BpfMap m) {
        List<byte[][]> out = new ArrayList<>();
        try {
            for (Optional<byte[]> v = m.lookupAndDelete(new byte[0]); v.isPresent(); v = m.lookupAndDelete(new byte[0])) {
                out.add(new byte[][] {null, v.get()});
            }
            if (m.type() == MapType.STACK) {
                java.util.Collections.reverse(out); // popped newest first: push oldest first
            }
            for (byte[][] e : out) {
                m.update(new byte[0], e[1], MapFlags.BPF_ANY);
            }
        } catch (MapException e) {
            throw new EngineException("map '" + m.name() + "': cannot snapshot it for the JIT warm-up: " + e.getMessage(), e);
        }
        return out;
    }

    private static void restore(BpfMap m, List<byte[][]> saved) {
        if (saved == null) {
            return;
        }
        if (m.type() == MapType.QUEUE || m.type() == MapType.STACK) {
            try {
                while (m.lookupAndDelete(new byte[0]).isPresent()) {
                    // drain what the warm-up pushed
                }
                for (byte[][] e : saved) {
                    m.update(new byte[0], e[1], MapFlags.BPF_ANY);
                }
            } catch (MapException e) {
                throw new EngineException("map '" + m.name() + "': cannot restore it after the JIT warm-up: " + e.getMessage(), e);
            }
            return;
        }
        try {
            if (m.supportsDelete()) {
                List<byte[]> keys = new ArrayList<>();
                for (Optional<byte[]> k = m.getNextKey(null); k.isPresent(); k = m.getNextKey(k.get())) {
                    keys.add(k.get());
                }
                for (byte[] k : keys) {
                    m.delete(k);
                }
            }
            for (byte[][] e : saved) {
                m.update(e[0], e[1], MapFlags.BPF_ANY);
            }
        } catch (MapException e) {
            throw new EngineException("map '" + m.name() + "': cannot restore it after the JIT warm-up: " + e.getMessage(), e);
        }
    }

    @Override
    public String name() {
        return "jit";
    }

    /** The linked program's function name. */
    public String programName() {
        return programName;
    }

    /** The program as the JIT compiled it (maps patched, context loads rewritten). */
    public Program program() {
        return program;
    }

    /** The compiled program (its class name and bytes, for diagnostics). */
    public CompiledProgram compiled() {
        return jit;
    }

    /** Nanoseconds from the start of loading to the end of the warm-up (link, verify, compile, warm up). */
    public long loadNanos() {
        return loadNanos;
    }

    /** What the warm-up did, or null when it was off. */
    public CompiledProgram.WarmUp warmUp() {
        return warmUp;
    }

    /** One line for logs: the load-to-compiled time and the warm-up's figures. */
    public String loadReport() {
        String w = warmUp == null ? "no warm-up"
                : String.format("warm-up %,d runs, %.1f ns/run at the end, %s", warmUp.runs(), warmUp.nanosPerRun(),
                        warmUp.stable() ? "JVM compilers quiet" : "stopped by its time bound");
        return String.format("jit: program '%s' loaded and compiled in %.1f ms (%s)", programName, loadNanos / 1e6, w);
    }

    @Override
    public int cpus() {
        return cpus;
    }

    /** Where bpf_trace_printk output goes (default: stderr). */
    public void traceSink(TraceSink sink) {
        trace = sink == null ? TraceSink.discard() : sink;
        ctx.trace(trace);
    }

    /** Seeds bpf_get_prandom_u32 (tests). */
    public void seedRandom(long seed) {
        ctx.seedRandom(seed);
    }

    @Override
    public XdpResult run(byte[] packet, int repeat) {
        int times = Math.max(1, repeat);
        check(packet, packet == null ? 0 : packet.length);
        ctx.reset(packet, packet.length);
        long action = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < times; i++) {
            action = runOnce();
        }
        long ns = (System.nanoTime() - t0) / times;
        byte[] out = new byte[outputLength()];
        output(out);
        return new XdpResult(action, out, ns, redirect());
    }

    /**
     * The allocation-free path: runs the program once over the first {@code length} bytes of
     * {@code packet} and returns its action; read the output with {@link #outputLength()} and
     * {@link #output(byte[])}.
     */
    public long runInPlace(byte[] packet, int length) {
        check(packet, length);
        ctx.reset(packet, length);
        return runOnce();
    }

    /** Bytes from data_meta to data_end after the last run, plus the fragments of a multi-buffer frame. */
    public int outputLength() {
        return (int) (ctx.dataEnd() - ctx.dataMeta()) + ctx.fragsLength();
    }

    /** Copies data_meta..data_end of the last run into dst (at least {@link #outputLength()} bytes); returns the length. */
    public int output(byte[] dst) {
        int linear = (int) (ctx.dataEnd() - ctx.dataMeta());
        MemorySegment.copy(ctx.frame, ValueLayout.JAVA_BYTE, ctx.dataMeta() - ctx.hardStart, dst, 0, linear);
        ctx.copyFrags(dst, linear);
        return linear + ctx.fragsLength();
    }

    private void check(byte[] packet, int length) {
        if (closed) {
            throw new EngineException("engine for program '" + programName + "' is closed");
        }
        if (packet == null || length < 0 || length > packet.length) {
            throw new IllegalArgumentException("packet length " + length + " outside the array");
        }
        if (length < XdpLayout.ETH_HLEN) {
            throw new EngineException("EINVAL: a " + length + "-byte frame is shorter than ETH_HLEN (14), which the "
                    + "kernel's XDP test run refuses");
        }
        if (length > XdpLayout.MAX_FRAME) {
            throw new EngineException("ENOMEM: a " + length + "-byte frame needs more than MAX_SKB_FRAGS ("
                    + XdpLayout.MAX_FRAGS + ") fragments after its " + XdpLayout.MAX_PACKET + "-byte linear part,"
                    + " which the kernel's XDP test run refuses");
        }
    }

    private long runOnce() {
        ctx.beginRun();
        try {
            return execute();
        } catch (VmException | HelperFault e) {
            throw new EngineException("program '" + programName + "' faulted: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // a gap must still end the run with a clear error, never take the caller down
            throw new EngineException("program '" + programName + "' failed in jxdp's JIT: " + e, e);
        } finally {
            rcu.quiescent(0);
            if (innerMaps.pending()) {
                innerMaps.reclaim(); // inner maps retired before this point: no run can hold them now
            }
        }
    }

    /**
     * One run with its tail calls: the tail-call helper (XdpContext.tailCall, which counts them
     * against MAX_TAIL_CALL_CNT) records the target's entry and stops the calling function; the
     * compiled code goes on in the target (from a subprogram: in its frame, returning to its caller;
     * from the main function: CompiledProgram.run, in a fresh main frame). Allocates nothing.
     */
    private long execute() {
        return jit.run(ctx, ctx.ctxAddress, 0, 0, 0, 0);
    }

    @Override
    public List<String> mapNames() {
        return List.of(mapNames);
    }

    private int mapIndex(String name) {
        for (int i = 0; i < mapNames.length; i++) {
            if (mapNames[i].equals(name) || specs.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new EngineException("no map '" + name + "' (maps: " + String.join(", ", mapNames) + ")");
    }

    /** The jxdp map behind a name, for callers that need its definition. */
    public BpfMap map(String name) {
        return maps[mapIndex(name)];
    }

    @Override
    public List<MapEntry> dumpMap(String mapName) {
        return ObjectMaps.dump(maps[mapIndex(mapName)]);
    }

    @Override
    public void updateMap(String mapName, byte[] key, List<byte[]> values) {
        BpfMap m = maps[mapIndex(mapName)];
        int want = m.isPerCpu() ? m.nCpus() : 1;
        if (values.size() != want) {
            throw new EngineException("map '" + mapName + "': " + want + " value(s) needed, got " + values.size());
        }
        byte[] user = new byte[m.userValueSize()];
        int stride = m.isPerCpu() ? (m.valueSize() + 7) & ~7 : m.valueSize();
        for (int c = 0; c < want; c++) {
            byte[] v = values.get(c);
            if (v.length != m.valueSize()) {
                throw new EngineException("map '" + mapName + "': value must be " + m.valueSize() + " bytes, got "
                        + v.length);
            }
            System.arraycopy(v, 0, user, c * stride, v.length);
        }
        try {
            m.update(key, user, MapFlags.BPF_ANY);
        } catch (MapException e) {
            throw new EngineException("map '" + mapName + "': update failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        rcu.unregister(0);
        innerMaps.close();
        closeMaps();
        arena.close();
    }

    private void closeMaps() {
        for (BpfMap m : maps) {
            if (m != null) {
                m.close();
            }
        }
    }
}
