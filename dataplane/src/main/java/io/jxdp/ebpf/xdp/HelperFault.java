package io.jxdp.ebpf.xdp;

/** A helper refused its arguments (checked mode): the run ends as a program fault. */
final class HelperFault extends RuntimeException {
    private static final long serialVersionUID = 1L;

    HelperFault(String message) {
        super(message, null, false, false);
    }
}
