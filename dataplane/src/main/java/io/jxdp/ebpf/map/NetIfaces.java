package io.jxdp.ebpf.map;

import io.jxdp.ffi.net.Sockets;
import io.jxdp.ffi.sys.FileDescriptors;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Whether a network device has a given ifindex in the calling thread's network namespace, as the
 * kernel's {@code dev_get_by_index()} answers for DEVMAP and DEVMAP_HASH updates: SIOCGIFNAME on a
 * socket of that namespace. (java.net.NetworkInterface's enumeration misses devices without
 * addresses, which the kernel accepts.)
 */
final class NetIfaces {
    /** include/uapi/linux/sockios.h. */
    private static final long SIOCGIFNAME = 0x8910;
    /** struct ifreq: name[16], then a 24-byte union holding ifr_ifindex. */
    private static final int IFREQ_SIZE = 40;
    private static final int IFR_UNION = 16;

    private NetIfaces() {
    }

    static boolean exists(int ifindex) {
        if (ifindex <= 0) {
            return false;
        }
        int fd = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_DGRAM, 0, "AF_INET datagram for SIOCGIFNAME");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = arena.allocate(IFREQ_SIZE, 8);
            ifr.set(ValueLayout.JAVA_INT, IFR_UNION, ifindex);
            return Sockets.ioctl(fd, SIOCGIFNAME, ifr) == 0;
        } finally {
            FileDescriptors.close(fd);
        }
    }
}
