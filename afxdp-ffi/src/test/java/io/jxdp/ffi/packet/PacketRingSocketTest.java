package io.jxdp.ffi.packet;

import io.jxdp.ffi.net.AbstractPacketPortTest;
import io.jxdp.ffi.net.PacketPort;
import io.jxdp.ffi.net.VethTopology;
import java.util.List;

/** The generic port suite on the AF_PACKET TPACKET_V3 fallback (one socket sees every queue). */
class PacketRingSocketTest extends AbstractPacketPortTest {
    @Override
    protected List<PacketPort> openPorts(VethTopology topology, String ifname, int queues) {
        return List.of(PacketRingSocket.open(ifname, PacketRingSocket.Config.defaults()));
    }

    @Override
    protected String driverPrefix() {
        return "af_packet";
    }

    @Override
    protected AutoCloseable prepareReceive(VethTopology topology, List<PacketPort> ports) {
        return () -> { };
    }
}
