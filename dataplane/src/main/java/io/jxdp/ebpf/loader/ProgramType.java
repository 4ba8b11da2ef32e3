package io.jxdp.ebpf.loader;

/**
 * Program types inferred from the ELF section name as libbpf's section_defs table does
 * ({@code tools/lib/bpf/libbpf.c}); {@link #kernelId} is enum bpf_prog_type in
 * {@code include/uapi/linux/bpf.h}.
 */
public enum ProgramType {
    /** Section not recognised; libbpf leaves such programs to be typed by the caller. */
    UNSPEC(0),
    SOCKET_FILTER(1),
    SCHED_CLS(3),
    SCHED_ACT(4),
    XDP(6);

    public final int kernelId;

    ProgramType(int kernelId) {
        this.kernelId = kernelId;
    }

    /** libbpf's strict matching: the section equals the prefix or continues with '/'. */
    static ProgramType fromSection(String sec) {
        if (matches(sec, "xdp") || matches(sec, "xdp.frags")) {
            return XDP;
        }
        if (matches(sec, "tc") || matches(sec, "tcx") || matches(sec, "classifier")) {
            return SCHED_CLS;
        }
        if (matches(sec, "action")) {
            return SCHED_ACT;
        }
        if (matches(sec, "socket")) {
            return SOCKET_FILTER;
        }
        return UNSPEC;
    }

    /** SEC("xdp.frags"...) sets BPF_F_XDP_HAS_FRAGS in libbpf. */
    static boolean xdpFrags(String sec) {
        return matches(sec, "xdp.frags");
    }

    private static boolean matches(String sec, String prefix) {
        return sec.equals(prefix) || sec.startsWith(prefix + "/");
    }
}
