package io.jxdp.ebpf.xdp;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.kernel.KernelXdpEngine;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ffi.bpf.Bpf;
import java.util.List;

/**
 * Creates {@link XdpEngine}s by the name the CLI uses: {@code interp} (jxdp's interpreter),
 * {@code jit} (jxdp's JIT to JVM bytecode, {@link JitXdpEngine}) and
 * {@code kernel} (this machine's kernel through BPF_PROG_TEST_RUN, {@link KernelXdpEngine}).
 */
public final class Engines {
    /** Engine names, in the order {@code --engine} lists them. */
    public static final List<String> NAMES = List.of("interp", "jit", "kernel");

    private Engines() {
    }

    /**
     * Loads {@code program} (null: the object's only program) of {@code obj} into the named engine.
     *
     * @throws EngineException for an unknown or unavailable engine, or any load/link error
     */
    public static XdpEngine create(String engine, BpfObject obj, String program) {
        return create(engine, obj, program, Pinning.defaults());
    }

    /**
     * As {@link #create(String, BpfObject, String)} with the maps {@code pinning} selects backed by
     * pin files. The kernel engine's maps are the kernel's and never pinned by jxdp: it refuses a
     * {@code pinning} that names maps, and ignores the object's LIBBPF_PIN_BY_NAME marks (its maps
     * start as the object defines them).
     */
    public static XdpEngine create(String engine, BpfObject obj, String program, Pinning pinning) {
        return switch (engine == null ? "interp" : engine) {
            case "interp" -> InterpreterXdpEngine.create(obj, program, io.jxdp.ebpf.interp.Interpreter.Mode.CHECKED,
                    Bpf.numPossibleCpus(), pinning);
            case "jit" -> JitXdpEngine.create(obj, program, Bpf.numPossibleCpus(),
                    Long.getLong("jxdp.jit.warmupMillis", JitXdpEngine.DEFAULT_WARMUP_MILLIS), pinning);
            case "kernel" -> {
                if (!pinning.names().isEmpty()) {
                    throw new EngineException("the kernel engine's maps cannot be pinned by jxdp (asked for "
                            + String.join(", ", new java.util.TreeSet<>(pinning.names())) + ")");
                }
                yield KernelXdpEngine.load(obj, XdpLinker.program(obj, program).name());
            }
            default -> throw new EngineException("unknown engine '" + engine + "' (engines: " + String.join(", ", NAMES)
                    + ")");
        };
    }
}
