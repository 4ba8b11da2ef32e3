package io.jxdp.ebpf.xdp;

import java.io.IOException;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What {@code bpf_check_mtu} reads of a net_device, by ifindex in jxdp's network namespace:
 * {@code dev->mtu} and {@code dev->hard_header_len}. Looked up on first use and again at most once
 * a second per device (the kernel reads them live; an MTU change shows here within a second), so
 * the packet path reads a small primitive table and allocates nothing between refreshes.
 *
 * <p>Limit: hard_header_len is ETH_HLEN (14) for Ethernet (ARPHRD_ETHER) and loopback
 * (ARPHRD_LOOPBACK) devices, whose drivers set it so (ether_setup(), loopback_setup()), and 0 for
 * every other device type (tun, ip tunnels, wireguard: ARPHRD_NONE and the tunnel types, which add
 * no link-layer header); a device type with another link-layer header length would be wrong here.
 */
final class NetDevices {
    static final int ARPHRD_ETHER = 1;
    static final int ARPHRD_LOOPBACK = 772;
    static final int ETH_HLEN = 14;
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
        try {
            NetworkInterface n = NetworkInterface.getByIndex(index);
            if (n != null) {
                mtu[i] = n.getMTU();
                hardHeaderLen[i] = switch (type(n.getName())) {
                    case ARPHRD_ETHER, ARPHRD_LOOPBACK -> ETH_HLEN;
                    default -> 0;
                };
                exists[i] = true;
            }
        } catch (SocketException e) {
            exists[i] = false; // gone between the index lookup and the MTU read: as dev_get_by_index's NULL
        }
    }

    private static int type(String name) {
        try {
            return Integer.parseInt(Files.readString(Path.of("/sys/class/net", name, "type")).trim());
        } catch (IOException | NumberFormatException e) {
            return ARPHRD_ETHER; // no sysfs: the common case
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
