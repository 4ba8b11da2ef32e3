/**
 * The jxdp dataplane: the eBPF virtual machine (instruction set, assembler, loader, verifier,
 * interpreter, JIT, maps, helpers) and the packet engine, with the {@code jxdp} command line.
 */
module io.jxdp.dataplane {
    requires io.jxdp.ffi;
    requires info.picocli;
    requires org.agrona;
    requires org.yaml.snakeyaml;

    exports io.jxdp.ebpf.isa;
    exports io.jxdp.ebpf.asm;
    exports io.jxdp.ebpf.interp;
    exports io.jxdp.ebpf.helper;
    exports io.jxdp.ebpf.conformance;
    exports io.jxdp.ebpf.elf;
    exports io.jxdp.ebpf.btf;
    exports io.jxdp.ebpf.loader;
    exports io.jxdp.ebpf.engine;
    exports io.jxdp.ebpf.kernel;
    exports io.jxdp.ebpf.map;
    exports io.jxdp.ebpf.xdp;

    opens io.jxdp.cli to info.picocli;
}
