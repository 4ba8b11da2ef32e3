package io.jxdp.programs;

import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.kernel.KernelXdpEngine;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.xdp.InterpreterXdpEngine;

/** The engines the corpus compares. */
final class Engines {
    private Engines() {}

    /** The name {@code jxdp parity --engines} takes for jxdp's side. */
    static final String JXDP = "interp";

    /** jxdp's engine under test: the interpreter (checked mode, the kernel's possible CPU count). */
    static XdpEngine jxdp(BpfObject object, String program) {
        return InterpreterXdpEngine.create(object, program);
    }

    static XdpEngine kernel(BpfObject object, String program) {
        return KernelXdpEngine.load(object, program);
    }
}
