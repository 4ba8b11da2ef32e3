package io.jxdp.port;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Two fresh namespaces joined by one veth pair (end A in namespace A, end B in namespace B; nothing
 * in the root namespace), 198.18.0.1/30 on A and 198.18.0.2/30 on B, IPv6 off so no stray frames.
 * {@link #close()} deletes both namespaces, which deletes the veth, even after a failure.
 */
public final class Topology implements AutoCloseable {
    static final String ADDR_A = "198.18.0.1";
    static final String ADDR_B = "198.18.0.2";

    final String nsA;
    final String nsB;
    final String ifA;
    final String ifB;
    private final List<String> created = new ArrayList<>();

    private Topology(String tag) {
        nsA = "jxdp-p" + tag + "-a";
        nsB = "jxdp-p" + tag + "-b";
        ifA = "jp" + tag + "a";
        ifB = "jp" + tag + "b";
    }

    static Topology create(int queues) {
        Topology t = new Topology(Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xFFFFFF)));
        try {
            for (String ns : List.of(t.nsA, t.nsB)) {
                run("ip", "netns", "add", ns);
                t.created.add(ns);
                run("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1",
                        "net.ipv6.conf.default.disable_ipv6=1");
                run("ip", "-n", ns, "link", "set", "lo", "up");
            }
            String q = Integer.toString(queues);
            run("ip", "-n", t.nsA, "link", "add", t.ifA, "numtxqueues", q, "numrxqueues", q, "type", "veth", "peer",
                    "name", t.ifB, "numtxqueues", q, "numrxqueues", q, "netns", t.nsB);
            run("ip", "-n", t.nsA, "addr", "add", ADDR_A + "/30", "dev", t.ifA);
            run("ip", "-n", t.nsB, "addr", "add", ADDR_B + "/30", "dev", t.ifB);
            run("ip", "-n", t.nsA, "link", "set", t.ifA, "up");
            run("ip", "-n", t.nsB, "link", "set", t.ifB, "up");
            return t;
        } catch (RuntimeException | Error e) {
            t.close();
            throw e;
        }
    }

    /** Runs a command with a 20 s bound; throws with its output on a non-zero exit. */
    public static String run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + String.join(" ", cmd));
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException("`" + String.join(" ", cmd) + "` exited " + p.exitValue() + ": "
                        + out.strip() + (out.contains("Operation not permitted") ? " (needs root)" : ""));
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", cmd), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", cmd), e);
        }
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (String ns : created.reversed()) {
            try {
                run("ip", "netns", "del", ns);
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        created.clear();
        if (first != null) {
            throw first;
        }
    }
}
