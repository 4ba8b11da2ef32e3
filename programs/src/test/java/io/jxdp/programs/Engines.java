package io.jxdp.programs;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.kernel.KernelXdpEngine;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.xdp.InterpreterXdpEngine;
import io.jxdp.ebpf.xdp.JitXdpEngine;
import io.jxdp.ffi.bpf.Bpf;
import java.util.Arrays;

/** The engines the corpus compares. */
final class Engines {
    private Engines() {}

    /** The name {@code jxdp parity --engines} takes for jxdp's side. */
    static final String JXDP = "interp";

    /** jxdp's engine under test: the interpreter (checked mode, the kernel's possible CPU count). */
    static XdpEngine jxdp(BpfObject object, String program) {
        return InterpreterXdpEngine.create(object, program);
    }

    /** jxdp's JIT engine, briefly warmed up, its trace sink off. */
    static JitXdpEngine jit(BpfObject object, String program) {
        JitXdpEngine jit = JitXdpEngine.create(object, program, Bpf.numPossibleCpus(), 150);
        jit.traceSink(null);
        return jit;
    }

    static XdpEngine kernel(BpfObject object, String program) {
        return KernelXdpEngine.load(object, program);
    }

    /**
     * The kernel verifier's sentence when this machine's kernel does not offer a helper the program
     * calls ("program of this type cannot use helper bpf_xdp_adjust_meta#54": the kernel of this
     * machine kind refuses helper 54 for XDP since 2026-12), or null when the kernel loads the program.
     * Any other refusal is an error and is thrown.
     */
    static String kernelLacksHelper(BpfObject object, String program) {
        try (XdpEngine k = KernelXdpEngine.load(object, program)) {
            return null;
        } catch (EngineException e) {
            return Arrays.stream(e.getMessage().split("\n")).filter(l -> l.contains("cannot use helper")).findFirst()
                    .orElseThrow(() -> e);
        }
    }
}
