package io.jxdp.ebpf.xdp;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.kernel.KernelXdpEngine;
import io.jxdp.ebpf.loader.BpfObject;
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
        return switch (engine == null ? "interp" : engine) {
            case "interp" -> InterpreterXdpEngine.create(obj, program);
            case "jit" -> JitXdpEngine.create(obj, program);
            case "kernel" -> KernelXdpEngine.load(obj, XdpLinker.program(obj, program).name());
            default -> throw new EngineException("unknown engine '" + engine + "' (engines: " + String.join(", ", NAMES)
                    + ")");
        };
    }
}
