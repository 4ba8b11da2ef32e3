package io.jxdp.ffi.pcap;

/** The link-layer header types jxdp reads and writes (https://www.tcpdump.org/linktypes.html). */
public final class LinkType {
    private LinkType() {}

    /** LINKTYPE_ETHERNET: IEEE 802.3 Ethernet frames. */
    public static final int ETHERNET = 1;
    /** LINKTYPE_RAW: bare IPv4 or IPv6 packets, told apart by the version nibble. */
    public static final int RAW = 101;
}
