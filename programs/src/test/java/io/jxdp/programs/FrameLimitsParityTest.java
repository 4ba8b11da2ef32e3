package io.jxdp.programs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.Parity;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.loader.BpfObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Frame sizes at the edges of the kernel's test-run buffer, through both engines with seeded
 * contents. The kernel refuses fewer than ETH_HLEN bytes (EINVAL), puts at most 4096 - 256
 * (XDP_PACKET_HEADROOM) - 320 (skb_shared_info) = 3520 bytes in the linear buffer, runs longer input
 * as a multi-buffer frame (the rest in page-sized frags, even for a program without xdp.frags) and
 * refuses input needing more than MAX_SKB_FRAGS frags (ENOMEM): bpf_prog_test_run_xdp in
 * net/bpf/test_run.c. jxdp must draw every line where the kernel does.
 */
class FrameLimitsParityTest {
    /** The linear part of the kernel's test-run buffer, in bytes. */
    static final int LINEAR_MAX = 4096 - 256 - 320;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"xdp_pass", "xdp_tx", "xdp_stats", "xdp_tail"})
    void bothEnginesAcceptAndRefuseTheSameLengths(String name) throws Exception {
        Corpus.Entry e = Corpus.entries().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
        BpfObject object = e.load();
        Random rnd = new Random(name.hashCode());
        List<byte[]> frames = new ArrayList<>();
        for (int len = 0; len <= 20; len++) {
            frames.add(random(rnd, len));
        }
        for (int len = LINEAR_MAX - 8; len <= LINEAR_MAX + 8; len++) {
            frames.add(random(rnd, len));
        }
        for (int len : new int[] {4096, 4096 + LINEAR_MAX, 9000, 65535, LINEAR_MAX + 17 * 4096,
            LINEAR_MAX + 17 * 4096 + 1, 100_000}) {
            frames.add(random(rnd, len));
        }
        int refusedByKernel = 0;
        try (XdpEngine jxdp = Engines.jxdp(object, e.program()); XdpEngine kernel = Engines.kernel(object, e.program())) {
            for (byte[] f : frames) {
                try {
                    kernel.run(f, 1);
                } catch (EngineException ex) {
                    assertTrue(ex.getMessage().startsWith(f.length < 14 ? "EINVAL" : "ENOMEM"), ex.getMessage());
                    refusedByKernel++;
                }
            }
        }
        assertTrue(refusedByKernel >= 14 + 2, "runts and the frames beyond MAX_SKB_FRAGS: " + refusedByKernel);
        try (XdpEngine jxdp = Engines.jxdp(object, e.program()); XdpEngine kernel = Engines.kernel(object, e.program())) {
            Parity.Report r = Parity.compare(jxdp, kernel, frames, e.exclusions());
            assertEquals(0, r.failed(), r.text());
        }
    }

    static byte[] random(Random rnd, int len) {
        byte[] b = new byte[len];
        rnd.nextBytes(b);
        if (len >= 14) {
            b[12] = 0x08; // IPv4, so the parsing programs look further in
            b[13] = 0x00;
        }
        return b;
    }
}
