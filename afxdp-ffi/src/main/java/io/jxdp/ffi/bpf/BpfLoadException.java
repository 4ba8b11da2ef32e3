package io.jxdp.ffi.bpf;

import io.jxdp.ffi.sys.Errno;

/**
 * A program or BTF the kernel refused: the errno of BPF_PROG_LOAD / BPF_BTF_LOAD and the full
 * verifier (or BTF) log, whose last lines usually name the instruction and the reason.
 */
public final class BpfLoadException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int errno;
    private final String log;

    BpfLoadException(String operation, int errno, String log) {
        super(operation + " failed: " + Errno.name(errno) + " (" + errno + ")"
                + (log.isBlank() ? "" : "\n" + tail(log, 4000)));
        this.errno = errno;
        this.log = log;
    }

    public int errno() {
        return errno;
    }

    /** The complete verifier log, possibly empty (e.g. EPERM before verification). */
    public String log() {
        return log;
    }

    // The reason is at the end of the log; a 16 MiB message would drown it.
    private static String tail(String s, int max) {
        return s.length() <= max ? s : "...\n" + s.substring(s.length() - max);
    }
}
