package io.jxdp.ebpf.xdp;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.MapEntry;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.engine.XdpRedirect;
import io.jxdp.ebpf.engine.XdpResult;
import io.jxdp.ebpf.helper.HelperRegistry;
import io.jxdp.ebpf.interp.VmException;
import io.jxdp.ebpf.isa.Program;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.MapSpec;
import io.jxdp.ebpf.loader.ProgramSpec;
import io.jxdp.ebpf.map.BpfMap;
import io.jxdp.ebpf.map.MapException;
import io.jxdp.ebpf.map.MapFlags;
import io.jxdp.ebpf.map.MapType;
import io.jxdp.ebpf.map.Rcu;
import io.jxdp.ebpf.verifier.MapInfo;
import io.jxdp.ebpf.verifier.VerificationResult;
import io.jxdp.ebpf.verifier.Verifier;
import io.jxdp.ebpf.verifier.VerifierError;
import io.jxdp.ebpf.verifier.VerifierOptions;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

/**
 * What jxdp's two engines share: an object's program linked as the kernel's {@code
 * BPF_PROG_TEST_RUN} would run it, with its maps, its XDP context, its tail-call targets and its
 * inner maps, and the run loop around one execution. {@link InterpreterXdpEngine} and
 * {@link JitXdpEngine} differ only in how the linked instructions execute ({@link #repeat(int)}).
 *
 * <p>Linking: the maps are created (pinned where asked), the program linked against them and
 * verified (the dataplane runs only programs the verifier accepts); with a PROG_ARRAY in the object
 * every other program of it is linked, verified and appended to one image as a tail-call target.
 */
public abstract sealed class LinkedXdpEngine implements XdpEngine permits InterpreterXdpEngine, JitXdpEngine {
    final String programName;
    final Arena arena = Arena.ofShared();
    final Rcu rcu = new Rcu(1);
    /** The RCU epoch this engine's thread last reported ({@link Rcu#quiescent(int, long)}). */
    private long reportedEpoch;
    final InnerMaps innerMaps;
    final BpfMap[] maps;
    final String[] mapNames;
    final List<MapSpec> specs;
    final int cpus;
    final XdpContext ctx;
    final HelperRegistry helpers = XdpHelpers.registry();
    /** "object 'o', program 'p'" (or "program" for raw instructions): the prefix of load errors. */
    final String where;
    /** The linked image: the program, then its tail-call targets. */
    final Program program;
    /** The sink the context writes to (XdpContext does not expose it). */
    TraceSink trace = TraceSink.to(System.err);
    private boolean closed;
    /** Program names by id - 1: the ids user space puts in a PROG_ARRAY ({@link #programId}). */
    private final String[] programNames;
    /** First instruction of program id in the linked image, -1 when it is not there. */
    final int[] entries;
    /** Why program id could not be linked as a tail call target (null when it was). */
    final String[] entryErrors;

    /**
     * Links {@code programArg} (null: the object's only program) of {@code obj}, or the raw
     * instructions {@code raw} when {@code obj} is null (checked and context loads rewritten; not
     * verified). On failure everything made so far is released.
     */
    LinkedXdpEngine(BpfObject obj, String programArg, long[] raw, int cpus, Pinning pinning) {
        ProgramSpec p = obj == null ? null : XdpLinker.program(obj, programArg);
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
            where = obj == null ? "program" : "object '" + obj.name() + "', program '" + p.name() + "'";
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
                linked = linkTailCallTargets(obj, p, linked);
            }
            this.program = Program.ofSlots(linked);
        } catch (RuntimeException e) {
            release();
            throw e;
        }
    }

    /** Frees the maps and the arena: for a subclass constructor that fails after this one returned. */
    final void release() {
        for (BpfMap m : maps) {
            if (m != null) {
                m.close();
            }
        }
        arena.close();
    }

    /**
     * The dataplane runs only programs the verifier accepts, as the kernel does; a rejection names
     * the instruction, its C line and the reason.
     */
    private static void verify(BpfObject obj, ProgramSpec p) {
        List<MapInfo> infos = obj.maps().stream().map(MapInfo::of).toList();
        VerificationResult v = Verifier.verify(p, infos, VerifierOptions.privileged());
        if (!v.accepted()) {
            throw new EngineException("object '" + obj.name() + "', program '" + p.name()
                    + "' rejected by the verifier: " + v.error().map(VerifierError::format).orElse("no reason given"));
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
     * With a PROG_ARRAY in the object every other XDP program of it may be a tail call target: each
     * is linked against the same maps, verified, and appended to the image after the main program
     * (jumps and calls are relative; callback values are moved by the program's base). A program
     * that fails to link or that the verifier rejects is left out with its reason, reported if a
     * tail call reaches it.
     */
    private long[] linkTailCallTargets(BpfObject obj, ProgramSpec main, long[] mainSlots) {
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
     * The id of a program of this engine's object, as a PROG_ARRAY value: write it (u32, little
     * endian) with {@link #updateMap} where the kernel takes a program fd. Ids are 1-based positions
     * in the object's program list.
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
     * (target = cpu) or {@code XSKMAP} (target = queue); the names of {@link XdpRedirect.Kind}.
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

    /** The linked program's function name. */
    public String programName() {
        return programName;
    }

    /** The program as the engine runs it (maps patched, context loads rewritten, tail-call targets appended). */
    public Program program() {
        return program;
    }

    @Override
    public int cpus() {
        return cpus;
    }

    /** Where bpf_trace_printk output goes (default: stderr; null: discarded). */
    public void traceSink(TraceSink sink) {
        trace = sink == null ? TraceSink.discard() : sink;
        ctx.trace(trace);
    }

    /** Seeds bpf_get_prandom_u32 (tests). */
    public void seedRandom(long seed) {
        ctx.seedRandom(seed);
    }

    /**
     * The kernel's test run with repeat: the packet copied in once, then the program run
     * {@code repeat} times (at least once) over it without a reset, each run with all its per-run
     * bookkeeping ({@link #repeat}); returns the last run's action and output, and the mean
     * nanoseconds per run.
     */
    @Override
    public XdpResult run(byte[] packet, int repeat) {
        int times = Math.max(1, repeat);
        check(packet, packet == null ? 0 : packet.length);
        ctx.reset(packet, packet.length);
        long t0 = System.nanoTime();
        long action = runs(times);
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
        return runs(1);
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

    /**
     * {@code times} runs through the engine's {@link #repeat} loop, with what can go wrong handled
     * here, outside the loop, so the loop stays small: a fault ends the runs with an
     * EngineException naming the program, and the run it ended still reports its quiescent state.
     */
    private long runs(int times) {
        boolean done = false;
        try {
            long action = repeat(times);
            done = true;
            return action;
        } catch (VmException | HelperFault e) {
            throw new EngineException("program '" + programName + "' faulted: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            // a gap in checking must still end the run with a clear error, never take the caller down
            throw new EngineException("program '" + programName + "' failed in jxdp (" + name() + "): " + e, e);
        } finally {
            if (!done) {
                endRun(); // every run that the loop ended early reports, as every other run does
            }
        }
    }

    /**
     * {@code times} runs (at least one) over the context as it is, each run's bookkeeping with it,
     * as the kernel's test-run loop does for every repeat: the run state cleared before it
     * ({@link XdpContext#beginRun()}), then after it {@link #endRun()}. No run is skipped or merged:
     * the repeat count is the number of times the program really runs. Returns the last action;
     * exceptions propagate (wrapped by the caller).
     */
    abstract long repeat(int times);

    /**
     * After each run: the RCU quiescent state of this engine's worker ({@link Rcu#quiescent(int,
     * long)}: one volatile load, a store only when the epoch moved), and, when it moved,
     * {@link #epochMoved}. The JIT's generated loop does the same inline.
     */
    final void endRun() {
        long reported = reportedEpoch; // one read: after the epoch's volatile read it would be read again
        long e = rcu.quiescent(0, reported);
        if (e != reported) {
            epochMoved(e);
        }
    }

    /** The epoch this engine's worker last reported, for a repeat loop that keeps it in a local. */
    final long reportedEpoch() {
        return reportedEpoch;
    }

    /**
     * The worker reported the new epoch {@code e}: something was retired since its last report;
     * inner maps retired before this point can no longer be held by a run, so they are freed.
     */
    final void epochMoved(long e) {
        reportedEpoch = e;
        if (innerMaps.pending()) {
            innerMaps.reclaim();
        }
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
        release();
    }
}
