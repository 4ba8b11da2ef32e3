package io.jxdp.programs;

import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.kernel.KernelXdpEngine;
import io.jxdp.ebpf.loader.BpfObject;

/** The engines the corpus compares. */
final class Engines {
    private Engines() {}

    /** The name {@code jxdp parity --engines} takes for jxdp's side. */
    static final String JXDP = "kernel";

    /**
     * jxdp's engine under test. Until the interpreter engine is merged this is a second kernel
     * engine, so the parity machinery (loading, preload, comparison, exclusions) is exercised end to
     * end against the kernel itself.
     */
    static XdpEngine jxdp(BpfObject object, String program) {
        return KernelXdpEngine.load(object, program);
    }

    static XdpEngine kernel(BpfObject object, String program) {
        return KernelXdpEngine.load(object, program);
    }
}
