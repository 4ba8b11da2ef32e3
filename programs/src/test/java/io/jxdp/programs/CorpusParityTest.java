package io.jxdp.programs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.engine.MapsYaml;
import io.jxdp.ebpf.engine.Parity;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.loader.BpfObject;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every corpus program through jxdp and the live kernel: every packet in order, verdict, output
 * bytes and every map (minus corpus.yaml's nondeterministic entries) compared after each packet.
 * A program calling a helper this machine's kernel refuses is checked against the kernel's recording
 * (expected/NAME.txt and NAME.maps.yaml) instead.
 */
class CorpusParityTest {

    static List<Corpus.Entry> entries() {
        return Corpus.entries();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("entries")
    void jxdpMatchesTheKernel(Corpus.Entry e) throws Exception {
        BpfObject object = e.load();
        List<byte[]> packets = e.packets();
        assertTrue(packets.size() > 0, e.pcap() + " has no packets");
        if (Engines.kernelLacksHelper(object, e.program()) != null) {
            // This kernel cannot run the program: jxdp must reproduce the kernel's recording instead.
            try (XdpEngine jxdp = Engines.jxdp(object, e.program())) {
                KernelExpectationTest.reproduces(jxdp, e);
            }
            return;
        }
        MapsYaml preload = e.preload();
        try (XdpEngine jxdp = Engines.jxdp(object, e.program());
                XdpEngine kernel = Engines.kernel(object, e.program())) {
            if (preload != null) {
                preload.preload(jxdp);
                preload.preload(kernel);
            }
            Parity.Report r = Parity.compare(jxdp, kernel, packets, e.exclusions());
            assertEquals(0, r.failed(), e.name() + ":\n" + r.text());
            assertEquals(packets.size(), r.passed(), r.text());
        }
    }
}
