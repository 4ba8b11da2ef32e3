package io.jxdp.programs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.Parity;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Frame sizes at the edges of one XDP buffer, through both engines with seeded contents. The kernel's
 * test run refuses fewer than ETH_HLEN bytes and puts at most 4096 - 256 (XDP_PACKET_HEADROOM) - 320
 * (skb_shared_info) = 3520 bytes in the linear buffer (bpf_prog_test_run_xdp, net/bpf/test_run.c).
 * Longer input becomes a multi-buffer frame (the rest in frags) even for programs without
 * xdp.frags, which jxdp does not model yet: it refuses such frames with EINVAL, so the sweep stops
 * at 3520 and the kernel side of the gap is pinned down by its own assertion.
 */
class FrameLimitsParityTest {
    /** The linear part of the kernel's test-run buffer, in bytes. */
    static final int LINEAR_MAX = 4096 - 256 - 320;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"xdp_pass", "xdp_tx"})
    void bothEnginesAcceptAndRefuseTheSameLengths(String name) throws Exception {
        BpfObject object = BpfObjectLoader.load(Corpus.DIR.resolve("obj/" + name + ".o"));
        Random rnd = new Random(name.hashCode());
        List<byte[]> frames = new ArrayList<>();
        for (int len = 0; len <= 20; len++) {
            frames.add(random(rnd, len));
        }
        for (int len = 3400; len <= LINEAR_MAX; len++) {
            frames.add(random(rnd, len));
        }
        try (XdpEngine jxdp = Engines.jxdp(object, name); XdpEngine kernel = Engines.kernel(object, name)) {
            Parity.Report r = Parity.compare(jxdp, kernel, frames, Parity.Exclusions.NONE);
            assertEquals(0, r.failed(), r.text());
            for (byte[] f : frames) {
                if (f.length < 14) {
                    EngineException e = assertThrows(EngineException.class, () -> kernel.run(f, 1));
                    assertTrue(e.getMessage().startsWith("EINVAL"), e.getMessage());
                } else {
                    assertEquals(f.length, kernel.run(f, 1).output().length);
                }
            }
            // the gap: the kernel takes longer frames as multi-buffer and returns them whole
            for (int len : new int[] {LINEAR_MAX + 1, 4096, 9000}) {
                byte[] f = random(rnd, len);
                assertEquals(len, kernel.run(f, 1).output().length, "kernel, " + len + " bytes");
                EngineException e = assertThrows(EngineException.class, () -> jxdp.run(f, 1));
                assertTrue(e.getMessage().startsWith("EINVAL"), e.getMessage());
            }
        }
    }

    static byte[] random(Random rnd, int len) {
        byte[] b = new byte[len];
        rnd.nextBytes(b);
        return b;
    }
}
