/**
 * The Linux boundary of jxdp, over the Foreign Function and Memory API only (no JNI, no C glue):
 * system calls, memory mappings, and later bpf(2), AF_XDP, AF_PACKET and netlink.
 */
module io.jxdp.ffi {
    exports io.jxdp.ffi.sys;
}
