package io.jxdp.programs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.engine.MapsYaml;
import io.jxdp.ebpf.engine.Parity;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.xdp.JitXdpEngine;
import io.jxdp.ffi.bpf.Bpf;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every corpus program through jxdp's JIT engine and the live kernel, as {@link CorpusParityTest}
 * does for the interpreter: every packet in order, verdict, output bytes and every map (minus
 * corpus.yaml's nondeterministic entries) compared after each packet. The JIT engine warms up at
 * load (briefly here), so its map restore is exercised too. A program calling a helper this
 * machine's kernel refuses is checked against the kernel's recording instead.
 */
class JitCorpusParityTest {

    static List<Corpus.Entry> entries() {
        return Corpus.entries();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("entries")
    void jitMatchesTheKernel(Corpus.Entry e) throws Exception {
        BpfObject object = e.load();
        List<byte[]> packets = e.packets();
        assertTrue(packets.size() > 0, e.pcap() + " has no packets");
        if (Engines.kernelLacksHelper(object, e.program()) != null) {
            // This kernel cannot run the program: the JIT must reproduce the kernel's recording instead.
            try (XdpEngine jit = Engines.jit(object, e.program())) {
                KernelExpectationTest.reproduces(jit, e);
            }
            return;
        }
        MapsYaml preload = e.preload();
        try (JitXdpEngine jit = JitXdpEngine.create(object, e.program(), Bpf.numPossibleCpus(), 150);
                XdpEngine kernel = Engines.kernel(object, e.program())) {
            jit.traceSink(null);
            if (preload != null) {
                preload.preload(jit);
                preload.preload(kernel);
            }
            Parity.Report r = Parity.compare(jit, kernel, packets, e.exclusions());
            assertEquals(0, r.failed(), e.name() + ":\n" + r.text());
            assertEquals(packets.size(), r.passed(), r.text());
        }
    }
}
