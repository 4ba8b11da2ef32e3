package io.jxdp.ffi.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jxdp.ffi.net.AbstractPacketPortTest;
import io.jxdp.ffi.net.PacketPort;
import io.jxdp.ffi.net.VethTopology;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/** The generic port suite on AF_XDP (copy mode on veth: the AUTO mode's zero-copy attempt is refused). */
class XdpSocketTest extends AbstractPacketPortTest {
    private final List<Umem> umems = new ArrayList<>();

    @Override
    protected List<PacketPort> openPorts(VethTopology topology, String ifname, int queues) {
        Umem umem = Umem.allocate(queues * 4096, 2048, 256);
        umems.add(umem);
        List<PacketPort> ports = new ArrayList<>();
        for (int q = 0; q < queues; q++) {
            ports.add(XdpSocket.open(umem, ifname, q, XdpSocket.Config.defaults()));
        }
        return ports;
    }

    @Override
    protected String driverPrefix() {
        return "af_xdp";
    }

    @Override
    protected AutoCloseable prepareReceive(VethTopology topology, List<PacketPort> ports) {
        XskRedirect redirect = XskRedirect.attach(topology.ifA, ports.size(), XskRedirect.AttachMode.AUTO);
        for (PacketPort p : ports) {
            redirect.register((XdpSocket) p);
        }
        return redirect;
    }

    /** Every UMEM frame is free, on the fill ring, or in TX: none lost, none counted twice. */
    @Override
    protected void assertNoSlotLeaked(PacketPort port) {
        super.assertNoSlotLeaked(port);
        XdpSocket s = (XdpSocket) port;
        XdpSocket.Accounting a = s.accounting();
        assertEquals(a.frames(), a.total(), "UMEM frame accounting " + a);
        assertEquals(0, a.tx(), "frames still in TX " + a);
        s.refill();
        assertEquals(Math.min(2048, a.frames() / 2), s.accounting().fill(), "fill ring not topped up " + s.accounting());
    }

    @AfterEach
    void closeUmems() {
        for (Umem u : umems) {
            u.close();
        }
        umems.clear();
    }
}
