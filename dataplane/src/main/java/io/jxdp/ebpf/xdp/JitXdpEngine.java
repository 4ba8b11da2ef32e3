package io.jxdp.ebpf.xdp;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.interp.VmException;
import io.jxdp.ebpf.jit.CompiledProgram;
import io.jxdp.ebpf.jit.JitCompiler;
import io.jxdp.ebpf.jit.JitOptions;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.map.BpfMap;
import io.jxdp.ebpf.map.MapException;
import io.jxdp.ebpf.map.MapFlags;
import io.jxdp.ebpf.map.MapType;
import io.jxdp.ebpf.map.RingBuf;
import io.jxdp.ffi.bpf.Bpf;
import java.util.ArrayList;
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
public final class JitXdpEngine extends LinkedXdpEngine {
    /** Default warm-up bound; the system property {@code jxdp.jit.warmupMillis} overrides it (0: none). */
    public static final long DEFAULT_WARMUP_MILLIS = 2_000;

    private final CompiledProgram jit;
    private final long loadNanos;
    private final CompiledProgram.WarmUp warmUp;
    /** Runs per call of the repeat loop during the warm-up. */
    private static final int WARM_REPEAT = 64;
    /** {@link #epochMoved}, made once: the generated repeat loop calls it when the RCU epoch moved. */
    private final java.util.function.LongConsumer onEpochMoved = this::epochMoved;

    private JitXdpEngine(BpfObject obj, String program, long[] raw, int cpus, long warmupMillis, Pinning pinning) {
        long t0 = System.nanoTime(); // load-to-compiled includes linking and verifying
        super(obj, program, raw, cpus, pinning);
        try {
            try {
                // the context runs unchecked, so helpers 1-3 are exactly the maps' own calls (KnownMaps)
                jit = JitCompiler.compile(this.program, functionEntries(this.program.slots()), helpers,
                        JitOptions.defaults(), ctx::programMap);
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
            release();
            throw e;
        }
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

    /** Tail calls the last run made (at most MAX_TAIL_CALL_CNT, 33). */
    /** The last run's redirect target (see {@link #redirectKind()}). */
    /** The name of the map the last run redirected through, or null (bpf_redirect, or none). */
    /** The flags kept with a BPF_F_BROADCAST redirect (BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS), else 0. */
    /** The last run's redirect as one record (allocates when there is one; see {@link #redirectKind()}). */
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
            // the engine's own repeat loop, so the code warmed is the code that runs packets
            return jit.warmUp(() -> repeat(WARM_REPEAT), WARM_REPEAT, Long.MAX_VALUE, millis * 1_000_000L);
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
    /** The program as the JIT compiled it (maps patched, context loads rewritten). */
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

    /** Where bpf_trace_printk output goes (default: stderr). */
    /** Seeds bpf_get_prandom_u32 (tests). */
    /** Bytes from data_meta to data_end after the last run, plus the fragments of a multi-buffer frame. */
    /** Copies data_meta..data_end of the last run into dst (at least {@link #outputLength()} bytes); returns the length. */
    /**
     * The repeat loop generated into the program's class ({@link CompiledProgram#repeat}), one run
     * with its tail calls being the generated {@code run} (the tail-call helper, XdpContext.tailCall,
     * counts them against MAX_TAIL_CALL_CNT and records the target's entry; the compiled code goes
     * on in the target: from a subprogram in its frame, from the main function in a fresh main
     * frame). Per run
     * the context's {@code clearRun()} (what {@link XdpContext#beginRun()} does), the run, and the
     * RCU report of {@link #endRun()} with the last reported epoch kept in a local and
     * {@link #epochMoved} called when it moves. One call through the generated class's interface
     * per {@code repeat}, none per run.
     */
    @Override
    long repeat(int times) {
        return jit.repeat(ctx, ctx.ctxAddress, times, rcu, 0, reportedEpoch(), onEpochMoved);
    }

    /** The jxdp map behind a name, for callers that need its definition. */
}
