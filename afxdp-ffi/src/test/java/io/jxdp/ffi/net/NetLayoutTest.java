package io.jxdp.ffi.net;

import static io.jxdp.ffi.net.KernelLayouts.check;

import org.junit.jupiter.api.Test;

class NetLayoutTest {
    @Test
    void ifreqEthtoolAndSocketConstantsMatchTheKernelHeaders() {
        check("sizeof ifreq", Link.IFREQ_SIZE);
        check("ifreq.ifr_ifru", Link.IFR_UNION);
        check("IFNAMSIZ", Link.IFNAMSIZ);
        check("SIOCGIFFLAGS", Link.SIOCGIFFLAGS);
        check("SIOCGIFMTU", Link.SIOCGIFMTU);
        check("SIOCGIFHWADDR", Link.SIOCGIFHWADDR);
        check("SIOCGIFINDEX", Link.SIOCGIFINDEX);
        check("SIOCETHTOOL", Link.SIOCETHTOOL);
        check("ETHTOOL_GCHANNELS", Link.ETHTOOL_GCHANNELS);
        check("sizeof ethtool_channels", Link.ETHTOOL_CHANNELS_SIZE);
        check("ethtool_channels.rx_count", 20);
        check("ethtool_channels.tx_count", 24);
        check("ethtool_channels.combined_count", 32);
        check("IFF_UP", Link.IFF_UP);
        check("IFF_RUNNING", Link.IFF_RUNNING);
        check("sizeof pollfd", Sockets.POLLFD_SIZE);
        check("POLLIN", Sockets.POLLIN);
        check("MSG_DONTWAIT", Sockets.MSG_DONTWAIT);
        check("SOL_SOCKET", Sockets.SOL_SOCKET);
        check("AF_XDP", Sockets.AF_XDP);
        check("AF_PACKET", Sockets.AF_PACKET);
    }
}
