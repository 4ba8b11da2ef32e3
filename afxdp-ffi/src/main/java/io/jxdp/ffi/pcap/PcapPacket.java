package io.jxdp.ffi.pcap;

/**
 * One captured packet.
 *
 * @param timestampNanos nanoseconds since the Unix epoch (0 for pcapng simple packet blocks, which carry none)
 * @param data the captured bytes (possibly fewer than {@code originalLength} when the capture was truncated)
 * @param originalLength the packet's length on the wire
 */
public record PcapPacket(long timestampNanos, byte[] data, int originalLength) {}
