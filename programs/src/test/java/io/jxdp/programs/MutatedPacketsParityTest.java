package io.jxdp.programs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jxdp.ebpf.engine.MapsYaml;
import io.jxdp.ebpf.engine.Parity;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.loader.BpfObject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Beyond the hand-made packets: seeded mutants of each corpus packet (truncations at every header
 * boundary region, byte flips in the first 80 bytes, EtherType and IP protocol swaps, extended
 * tails) through jxdp and the kernel with parity after every packet. The seed is the entry name's
 * hash, so a failure reproduces.
 */
class MutatedPacketsParityTest {
    static final int MUTANTS_PER_PACKET = 12;

    static List<Corpus.Entry> entries() {
        return Corpus.entries();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("entries")
    void mutantsMatchTheKernel(Corpus.Entry e) throws Exception {
        BpfObject object = e.load();
        List<byte[]> packets = mutants(e.packets(), new Random(e.name().hashCode()));
        MapsYaml preload = e.preload();
        // Where this kernel refuses a helper the program calls, the mutants have no kernel to go to:
        // the interpreter and the JIT (each checked against the kernel's recording by the corpus tests)
        // must then agree with each other on every mutant.
        boolean noKernel = Engines.kernelLacksHelper(object, e.program()) != null;
        try (XdpEngine jxdp = Engines.jxdp(object, e.program());
                XdpEngine kernel = noKernel ? Engines.jit(object, e.program()) : Engines.kernel(object, e.program())) {
            if (preload != null) {
                preload.preload(jxdp);
                preload.preload(kernel);
            }
            Parity.Report r = Parity.compare(jxdp, kernel, packets, e.exclusions());
            assertEquals(0, r.failed(), e.name() + " (seed " + e.name().hashCode() + "):\n" + r.text());
        }
    }

    static final int[] ETHERTYPES = {0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8, 0x1234};
    static final int[] PROTOCOLS = {1, 4, 6, 17, 41, 47, 58, 0, 43, 44, 60, 255};

    static List<byte[]> mutants(List<byte[]> seeds, Random rnd) {
        List<byte[]> out = new ArrayList<>();
        for (byte[] p : seeds) {
            for (int m = 0; m < MUTANTS_PER_PACKET; m++) {
                byte[] q = p.clone();
                switch (rnd.nextInt(6)) {
                    case 0 -> q = Arrays.copyOf(q, rnd.nextInt(q.length + 1)); // truncation
                    case 1 -> { // a few byte flips in the headers
                        for (int k = 1 + rnd.nextInt(3); k > 0 && q.length > 0; k--) {
                            int at = rnd.nextInt(Math.min(q.length, 80));
                            q[at] ^= (byte) (1 << rnd.nextInt(8));
                        }
                    }
                    case 2 -> { // another EtherType
                        if (q.length >= 14) {
                            int t = ETHERTYPES[rnd.nextInt(ETHERTYPES.length)];
                            q[12] = (byte) (t >>> 8);
                            q[13] = (byte) t;
                        }
                    }
                    case 3 -> { // another IPv4 protocol or IPv6 next header
                        int at = q.length > 13 && q[12] == (byte) 0x86 && q[13] == (byte) 0xdd ? 20 : 23;
                        if (q.length > at) {
                            q[at] = (byte) PROTOCOLS[rnd.nextInt(PROTOCOLS.length)];
                        }
                    }
                    case 4 -> { // a longer tail of random bytes
                        int extra = 1 + rnd.nextInt(300);
                        q = Arrays.copyOf(q, Math.min(q.length + extra, 3520));
                        for (int i = p.length; i < q.length; i++) {
                            q[i] = (byte) rnd.nextInt(256);
                        }
                    }
                    default -> { // a random byte anywhere
                        if (q.length > 0) {
                            q[rnd.nextInt(q.length)] = (byte) rnd.nextInt(256);
                        }
                    }
                }
                out.add(q);
            }
        }
        return out;
    }
}
