package io.jxdp.ebpf.engine;

/**
 * Where a run that returned XDP_REDIRECT sends the frame, as the kernel's {@code struct
 * bpf_redirect_info} records it for {@code xdp_do_redirect()} (net/core/filter.c): the program
 * only names the target, the dataplane acts on it after the run.
 *
 * @param kind what the target is: {@code NONE} after a run that set none (or whose last
 *     bpf_redirect_map missed, which clears it, as the kernel's {@code ri->map_type = UNSPEC});
 *     {@code IFINDEX} for bpf_redirect (target: the ifindex); {@code DEVMAP} for a DEVMAP or
 *     DEVMAP_HASH slot (target: the slot's ifindex, or the key itself with BPF_F_BROADCAST);
 *     {@code CPUMAP} (target: the cpu, i.e. the key); {@code XSKMAP} (target: the slot index, i.e.
 *     the key, whose socket the dataplane delivers to; jxdp registers one socket per queue there);
 *     {@code UNKNOWN} for an engine that cannot see it (the kernel's test run does
 *     not report {@code bpf_redirect_info})
 * @param target see {@code kind}
 * @param map the name of the map redirected through, or null (bpf_redirect, NONE, UNKNOWN)
 * @param flags the flags kept with a BPF_F_BROADCAST redirect (BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS),
 *     else 0, as the kernel keeps {@code ri->flags}
 */
public record XdpRedirect(Kind kind, long target, String map, long flags) {

    /** Target kinds, after the kernel's {@code ri->map_type} (BPF_MAP_TYPE_UNSPEC for bpf_redirect). */
    public enum Kind { NONE, IFINDEX, DEVMAP, CPUMAP, XSKMAP, UNKNOWN }

    /** No redirect recorded. */
    public static final XdpRedirect NONE = new XdpRedirect(Kind.NONE, 0, null, 0);
    /** The engine cannot tell (the kernel engine). */
    public static final XdpRedirect UNKNOWN = new XdpRedirect(Kind.UNKNOWN, 0, null, 0);

    public XdpRedirect {
        if (kind == null) {
            throw new IllegalArgumentException("kind must not be null");
        }
    }
}
