package io.jxdp.ebpf.xdp;

import io.jxdp.ffi.net.Sockets;
import io.jxdp.ffi.sys.FileDescriptors;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * What {@code bpf_check_mtu} reads of a net_device, by ifindex in jxdp's network namespace:
 * {@code dev->mtu} and {@code dev->hard_header_len}. Looked up on first use and again at most once
 * a second per device (the kernel reads them live; an MTU change shows here within a second), so
 * the packet path reads a small primitive table and allocates nothing between refreshes.
 *
 * <p>The device is read with ioctls on a socket of the calling thread's network namespace (as the
 * kernel's test run uses the caller's): SIOCGIFNAME by ifindex, SIOCGIFMTU, SIOCGIFHWADDR for the
 * device type; not through java.net.NetworkInterface (whose enumeration misses devices without
 * addresses) nor sysfs (which shows the namespace it was mounted in).
 *
 * <p>Limit: hard_header_len is ETH_HLEN (14) for ARPHRD_ETHER and ARPHRD_LOOPBACK devices, whose
 * set-up functions set it so (ether_setup(), loopback_setup()), and 0 for every other device type
 * (tun, wireguard, ip tunnels, which add no link-layer header); a device type with another
 * link-layer header length would be wrong here.
 */
final class NetDevices {
    static final int ETH_HLEN = 14;
    // include/uapi/linux/sockios.h, if_arp.h; struct ifreq: name[16], then a 24-byte union
    private static final long SIOCGIFNAME = 0x8910;
    private static final long SIOCGIFMTU = 0x8921;
    private static final long SIOCGIFHWADDR = 0x8927;
    private static final int ARPHRD_ETHER = 1;
    private static final int ARPHRD_LOOPBACK = 772;
    private static final int IFREQ_SIZE = 40;
    private static final int IFR_UNION = 16;
    private static final long REFRESH_NANOS = 1_000_000_000L;
    private static final int SLOTS = 16;

    // one slot per recently used ifindex; 0 = free
    private final int[] ifindex = new int[SLOTS];
    private final int[] mtu = new int[SLOTS];
    private final int[] hardHeaderLen = new int[SLOTS];
    private final boolean[] exists = new boolean[SLOTS];
    private final long[] readAt = new long[SLOTS];
    private int next;

    /** The slot of a device's facts, refreshed when older than a second; -1 for ifindex 0. */
    private int slot(int index) {
        long now = System.nanoTime();
        for (int i = 0; i < SLOTS; i++) {
            if (ifindex[i] == index && index != 0) {
                if (now - readAt[i] >= REFRESH_NANOS) {
                    read(i, index, now);
                }
                return i;
            }
        }
        int i = next;
        next = (next + 1) % SLOTS;
        read(i, index, now);
        return i;
    }

    private void read(int i, int index, long now) {
        ifindex[i] = index;
        readAt[i] = now;
        exists[i] = false;
        int fd = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_DGRAM, 0, "AF_INET datagram for bpf_check_mtu's ioctls");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = arena.allocate(IFREQ_SIZE, 8);
            ifr.set(ValueLayout.JAVA_INT, IFR_UNION, index);
            if (Sockets.ioctl(fd, SIOCGIFNAME, ifr) < 0) {
                return; // no device with this index in the namespace: dev_get_by_index_rcu()'s NULL
            }
            // ifr now holds the name; each request below overwrites only the union
            if (Sockets.ioctl(fd, SIOCGIFMTU, ifr) < 0) {
                return; // gone since
            }
            mtu[i] = ifr.get(ValueLayout.JAVA_INT, IFR_UNION);
            if (Sockets.ioctl(fd, SIOCGIFHWADDR, ifr) < 0) {
                return;
            }
            int type = Short.toUnsignedInt(ifr.get(ValueLayout.JAVA_SHORT, IFR_UNION)); // sa_family = ARPHRD_*
            hardHeaderLen[i] = type == ARPHRD_ETHER || type == ARPHRD_LOOPBACK ? ETH_HLEN : 0;
            exists[i] = true;
        } finally {
            FileDescriptors.close(fd);
        }
    }

    /**
     * The slot holding the facts of the device with this ifindex ({@link #mtu(int)},
     * {@link #hardHeaderLen(int)}), or -1 when there is none (dev_get_by_index_rcu() == NULL).
     * One clock read; allocates only when it (re)reads the device.
     */
    int find(int index) {
        if (index <= 0) {
            return -1;
        }
        int i = slot(index);
        return exists[i] ? i : -1;
    }

    /** dev->mtu of the device in slot {@code slot}. */
    int mtu(int slot) {
        return mtu[slot];
    }

    /** dev->hard_header_len of the device in slot {@code slot}. */
    int hardHeaderLen(int slot) {
        return hardHeaderLen[slot];
    }
}
