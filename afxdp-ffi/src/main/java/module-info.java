/**
 * The Linux boundary of jxdp, over the Foreign Function and Memory API only (no JNI, no C glue):
 * system calls, memory mappings, bpf(2), pcap files, and later AF_XDP, AF_PACKET and netlink.
 */
module io.jxdp.ffi {
    exports io.jxdp.ffi.sys;
    exports io.jxdp.ffi.bpf;
    exports io.jxdp.ffi.pcap;
}
