package io.jxdp.ebpf.xdp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The NUMA node of each CPU, as bpf_get_numa_node_id() (numa_node_id(), include/linux/topology.h)
 * reports it, read once from sysfs ({@code /sys/devices/system/node/nodeN/cpulist}). Without that
 * directory (a kernel built without CONFIG_NUMA) every CPU is on node 0, as the kernel says then.
 */
final class Numa {
    private static final int[] NODE_OF_CPU = read(Path.of("/sys/devices/system/node"));

    private Numa() {
    }

    /** The node of {@code cpu}; 0 for CPUs sysfs does not list. */
    static int nodeOf(int cpu) {
        return cpu >= 0 && cpu < NODE_OF_CPU.length ? NODE_OF_CPU[cpu] : 0;
    }

    static int[] read(Path nodes) {
        int[] node = new int[0];
        if (!Files.isDirectory(nodes)) {
            return node;
        }
        try (var dirs = Files.list(nodes)) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                String n = d.getFileName().toString();
                if (!n.matches("node[0-9]+") || !Files.exists(d.resolve("cpulist"))) {
                    continue;
                }
                int id = Integer.parseInt(n.substring(4));
                for (String range : Files.readString(d.resolve("cpulist")).trim().split(",")) {
                    if (range.isEmpty()) {
                        continue;
                    }
                    int dash = range.indexOf('-');
                    int lo = Integer.parseInt(dash < 0 ? range : range.substring(0, dash));
                    int hi = dash < 0 ? lo : Integer.parseInt(range.substring(dash + 1));
                    if (hi >= node.length) {
                        node = Arrays.copyOf(node, hi + 1);
                    }
                    Arrays.fill(node, lo, hi + 1, id);
                }
            }
        } catch (IOException | RuntimeException e) {
            return new int[0]; // unreadable topology: node 0 for all, as a non-NUMA kernel
        }
        return node;
    }
}
