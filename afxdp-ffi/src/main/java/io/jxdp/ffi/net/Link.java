package io.jxdp.ffi.net;

import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.FileDescriptors;
import io.jxdp.ffi.sys.NativeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Facts about one network interface, read with ioctl(2) on a datagram socket in the calling
 * thread's network namespace (so a thread that {@link NetNs#enter entered} a namespace sees that
 * namespace's interfaces).
 *
 * <p>Sources: {@code include/uapi/linux/sockios.h} (SIOCGIF*), {@code include/uapi/linux/if.h}
 * (struct ifreq, IFF_*), {@code include/uapi/linux/ethtool.h} (struct ethtool_channels).
 * Queue counts come from ETHTOOL_GCHANNELS (combined, else rx/tx counts) and fall back to the
 * entries of {@code /sys/class/net/IF/queues} when the driver does not implement it.
 *
 * @param name        interface name
 * @param ifindex     interface index
 * @param mac         hardware address (6 bytes for Ethernet)
 * @param mtu         MTU in bytes
 * @param flags       IFF_* flags
 * @param rxQueues    number of RX queues
 * @param txQueues    number of TX queues
 */
public record Link(String name, int ifindex, byte[] mac, int mtu, int flags, int rxQueues, int txQueues) {
    // include/uapi/linux/sockios.h
    static final long SIOCGIFFLAGS = 0x8913;
    static final long SIOCGIFMTU = 0x8921;
    static final long SIOCGIFHWADDR = 0x8927;
    static final long SIOCGIFINDEX = 0x8933;
    static final long SIOCETHTOOL = 0x8946;
    // include/uapi/linux/ethtool.h
    static final int ETHTOOL_GCHANNELS = 0x3c;
    // include/uapi/linux/if.h
    public static final int IFF_UP = 0x1;
    public static final int IFF_RUNNING = 0x40;
    public static final int IFF_LOWER_UP = 0x10000;
    /** IFNAMSIZ: names are at most 15 bytes plus NUL. */
    static final int IFNAMSIZ = 16;
    /** sizeof(struct ifreq) on x86-64: name[16] + a 24-byte union. */
    static final int IFREQ_SIZE = 40;
    /** struct ifreq: the union starts after the name. */
    static final int IFR_UNION = 16;
    /** struct ethtool_channels: cmd, max_rx, max_tx, max_other, max_combined, rx, tx, other, combined. */
    static final int ETHTOOL_CHANNELS_SIZE = 36;

    /** Looks the interface up; throws {@link NativeException} naming it when it does not exist. */
    public static Link byName(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        if (bytes.length == 0 || bytes.length >= IFNAMSIZ) {
            throw new IllegalArgumentException("interface name must be 1..15 bytes: \"" + name + "\"");
        }
        int fd = Sockets.socket(Sockets.AF_INET, Sockets.SOCK_DGRAM, 0, "AF_INET datagram for interface ioctls");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = arena.allocate(IFREQ_SIZE, 8);
            int ifindex = request(fd, ifr, bytes, SIOCGIFINDEX, name, "SIOCGIFINDEX").get(ValueLayout.JAVA_INT, IFR_UNION);
            int mtu = request(fd, ifr, bytes, SIOCGIFMTU, name, "SIOCGIFMTU").get(ValueLayout.JAVA_INT, IFR_UNION);
            int flags = Short.toUnsignedInt(request(fd, ifr, bytes, SIOCGIFFLAGS, name, "SIOCGIFFLAGS")
                    .get(ValueLayout.JAVA_SHORT, IFR_UNION));
            // struct sockaddr ifr_hwaddr: sa_family (2 bytes) then sa_data
            byte[] mac = request(fd, ifr, bytes, SIOCGIFHWADDR, name, "SIOCGIFHWADDR")
                    .asSlice(IFR_UNION + 2, 6).toArray(ValueLayout.JAVA_BYTE);
            int[] queues = channels(fd, arena, ifr, bytes, name);
            return new Link(name, ifindex, mac, mtu, flags, queues[0], queues[1]);
        } finally {
            FileDescriptors.close(fd);
        }
    }

    /** The interface index, or a {@link NativeException} naming the missing interface. */
    public static int ifindex(String name) {
        return byName(name).ifindex();
    }

    public Link {
        mac = mac.clone();
    }

    /** A copy of the hardware address. */
    @Override
    public byte[] mac() {
        return mac.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Link l && name.equals(l.name) && ifindex == l.ifindex && Arrays.equals(mac, l.mac)
                && mtu == l.mtu && flags == l.flags && rxQueues == l.rxQueues && txQueues == l.txQueues;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, ifindex, Arrays.hashCode(mac), mtu, flags, rxQueues, txQueues);
    }

    public boolean isUp() {
        return (flags & IFF_UP) != 0;
    }

    /** Carrier present (IFF_RUNNING): for veth, both ends are up. */
    public boolean isRunning() {
        return (flags & IFF_RUNNING) != 0;
    }

    public String macString() {
        return HexFormat.ofDelimiter(":").formatHex(mac);
    }

    private static MemorySegment request(int fd, MemorySegment ifr, byte[] name, long req, String ifname, String what) {
        ifr.fill((byte) 0);
        MemorySegment.copy(name, 0, ifr, ValueLayout.JAVA_BYTE, 0, name.length);
        int rc = Sockets.ioctl(fd, req, ifr);
        if (rc < 0) {
            throw new NativeException(what + " on interface \"" + ifname + "\""
                    + (-rc == Errno.ENODEV ? " (no such interface in this network namespace)" : ""), -rc);
        }
        return ifr;
    }

    /** {rx, tx} queue counts: ETHTOOL_GCHANNELS, else /sys/class/net/IF/queues. */
    private static int[] channels(int fd, Arena arena, MemorySegment ifr, byte[] name, String ifname) {
        MemorySegment ch = arena.allocate(ETHTOOL_CHANNELS_SIZE, 8);
        ch.set(ValueLayout.JAVA_INT, 0, ETHTOOL_GCHANNELS);
        ifr.fill((byte) 0);
        MemorySegment.copy(name, 0, ifr, ValueLayout.JAVA_BYTE, 0, name.length);
        ifr.set(ValueLayout.ADDRESS, IFR_UNION, ch);
        if (Sockets.ioctl(fd, SIOCETHTOOL, ifr) == 0) {
            int rx = ch.get(ValueLayout.JAVA_INT, 20);
            int tx = ch.get(ValueLayout.JAVA_INT, 24);
            int combined = ch.get(ValueLayout.JAVA_INT, 32);
            if (rx + combined > 0 && tx + combined > 0) {
                return new int[] {rx + combined, tx + combined};
            }
        }
        // sysfs shows the namespace of the process' mount, which is right only for the root
        // namespace; it is the fallback for drivers without ETHTOOL_GCHANNELS.
        return new int[] {countQueues(ifname, "rx-"), countQueues(ifname, "tx-")};
    }

    private static int countQueues(String ifname, String prefix) {
        Path dir = Path.of("/sys/class/net", ifname, "queues");
        if (!Files.isDirectory(dir)) {
            return 1;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return (int) Math.max(1, s.filter(p -> p.getFileName().toString().startsWith(prefix)).count());
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + dir, e);
        }
    }

    @Override
    public String toString() {
        return name + "(ifindex " + ifindex + ", mac " + macString() + ", mtu " + mtu + ", flags 0x"
                + Integer.toHexString(flags) + ", queues rx " + rxQueues + " tx " + txQueues + ")";
    }
}
