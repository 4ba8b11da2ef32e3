package io.jxdp.ffi.net;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Two fresh network namespaces joined by one veth pair, built with {@code ip} and torn down in
 * {@link #close()} (deleting a namespace deletes the veth end inside it). Nothing is created in
 * the root namespace: the first end is created inside namespace A with its peer placed directly
 * in namespace B. Addresses come from 198.18.0.0/15 only; IPv6 is disabled in both namespaces so
 * the kernel sends no DAD/router solicitations that a frame count would see.
 */
public final class VethTopology implements AutoCloseable {
    public final String nsA;
    public final String nsB;
    public final String ifA;
    public final String ifB;
    public final int queues;
    private final List<String> namespaces = new ArrayList<>();

    private VethTopology(String tag, int queues) {
        this.nsA = "jxdp-" + tag + "-a";
        this.nsB = "jxdp-" + tag + "-b";
        this.ifA = "jx" + tag + "a";
        this.ifB = "jx" + tag + "b";
        this.queues = queues;
    }

    /** A pair with {@code queues} RX and TX queues on each end, both up, MTU 1500. */
    public static VethTopology create(int queues) {
        String tag = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xFFFFFF));
        VethTopology t = new VethTopology(tag, queues);
        try {
            t.build();
            return t;
        } catch (RuntimeException | Error e) {
            t.close();
            throw e;
        }
    }

    private void build() {
        for (String ns : List.of(nsA, nsB)) {
            ip("netns", "add", ns);
            namespaces.add(ns);
            run("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1",
                    "net.ipv6.conf.default.disable_ipv6=1");
            ip("-n", ns, "link", "set", "lo", "up");
        }
        String q = Integer.toString(queues);
        ip("-n", nsA, "link", "add", ifA, "numtxqueues", q, "numrxqueues", q, "type", "veth", "peer", "name", ifB,
                "numtxqueues", q, "numrxqueues", q, "netns", nsB);
        ip("-n", nsA, "addr", "add", "198.18.0.1/30", "dev", ifA);
        ip("-n", nsB, "addr", "add", "198.18.0.2/30", "dev", ifB);
        ip("-n", nsA, "link", "set", ifA, "up");
        ip("-n", nsB, "link", "set", ifB, "up");
    }

    /** Runs {@code ip ARGS...}; throws with its output on failure. */
    public static String ip(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("ip");
        cmd.addAll(List.of(args));
        return run(cmd.toArray(String[]::new));
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
                throw new IllegalStateException("`" + String.join(" ", cmd) + "` exited " + p.exitValue() + ": " + out.strip()
                        + (out.contains("Operation not permitted") ? " (needs root / CAP_NET_ADMIN)" : ""));
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", cmd) + " (is iproute2 installed?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", cmd), e);
        }
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (String ns : namespaces.reversed()) {
            try {
                ip("netns", "del", ns);
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        namespaces.clear();
        if (first != null) {
            throw first;
        }
    }
}
