/**
 * jxdp's JMH benchmarks: the XDP engines side by side, the LPM trie at scale, the verifier.
 *
 * <p>The descriptor states what the benchmarks need and javac checks it; the shaded
 * {@code benchmarks.jar} still runs on the class path (see perf/README.md: JMH forks its
 * measurement JVMs with the parent's class path, not a module path).
 */
module io.jxdp.perf {
    requires io.jxdp.dataplane;
    requires io.jxdp.ffi;
    requires jmh.core;

    // JMH instantiates its generated harness (io.jxdp.perf.jmh_generated, which subclasses the
    // @State classes) and reads the benchmark classes reflectively
    opens io.jxdp.perf to jmh.core;
    opens io.jxdp.perf.jmh_generated to jmh.core;
}
