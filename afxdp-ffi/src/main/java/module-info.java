/**
 * The Linux boundary of jxdp, over the Foreign Function and Memory API only (no JNI, no C glue):
 * system calls, memory mappings, bpf(2), pcap files, AF_XDP, AF_PACKET, link facts and CPU affinity.
 */
module io.jxdp.ffi {
    exports io.jxdp.ffi.sys;
    exports io.jxdp.ffi.bpf;
    exports io.jxdp.ffi.pcap;
    exports io.jxdp.ffi.net;
    exports io.jxdp.ffi.xdp;
    exports io.jxdp.ffi.packet;
    exports io.jxdp.ffi.affinity;
}
