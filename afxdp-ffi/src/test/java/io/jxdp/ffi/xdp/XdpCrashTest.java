package io.jxdp.ffi.xdp;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.net.VethTopology;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A process that attached the redirect program and is then killed with SIGKILL leaves no
 * program behind: the BPF link is a file descriptor of that process, released by the kernel.
 */
class XdpCrashTest {
    @Test
    void aKilledProcessLeavesNoOrphanedProgram() throws Exception {
        try (VethTopology t = VethTopology.create(1)) {
            String java = ProcessHandle.current().info().command().orElseThrow();
            Process child = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                    System.getProperty("java.class.path"), AttachAndWait.class.getName(), t.nsA, t.ifA))
                    .redirectErrorStream(true).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                String line = out.readLine(); // the child prints one line, or dies and closes stdout
                assertNotNull(line, "child exited before attaching");
                assertTrue(line.startsWith("attached"), "child said: " + line);
                assertTrue(VethTopology.ip("-n", t.nsA, "link", "show", t.ifA).contains("prog/xdp"),
                        "program attached while the child lives");
                child.destroyForcibly(); // SIGKILL: no finally, no shutdown hook runs
                assertTrue(child.waitFor(20, TimeUnit.SECONDS), "child did not die");
                long deadline = System.nanoTime() + 10_000_000_000L;
                boolean attached = true;
                while (attached && System.nanoTime() < deadline) {
                    attached = VethTopology.ip("-n", t.nsA, "link", "show", t.ifA).contains("prog/xdp");
                    if (attached) {
                        Thread.sleep(50);
                    }
                }
                assertFalse(attached, "the program outlived the process that attached it");
            } finally {
                child.destroyForcibly();
                child.waitFor(20, TimeUnit.SECONDS);
            }
        }
    }
}
