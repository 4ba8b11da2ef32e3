package io.jxdp.ebpf.engine;

/**
 * What one run of an XDP program produced.
 *
 * @param action the program's return value (XDP_ABORTED 0, DROP 1, PASS 2, TX 3, REDIRECT 4, or any
 *     other value the program returned)
 * @param output the frame from data_meta to data_end after the run
 * @param nsPerRun mean wall-clock nanoseconds per run over the repeat count (the kernel's figure
 *     is its own BPF_PROG_TEST_RUN duration, which includes its per-run loop overhead)
 * @param redirect where the last run redirected the frame ({@link XdpRedirect#NONE} when it set no
 *     target, {@link XdpRedirect#UNKNOWN} from an engine that cannot see it)
 */
public record XdpResult(long action, byte[] output, long nsPerRun, XdpRedirect redirect) {

    /**
     * A result from an engine that does not see the redirect target: {@code redirect} is
     * {@link XdpRedirect#UNKNOWN} for an XDP_REDIRECT action and {@link XdpRedirect#NONE} otherwise.
     */
    public XdpResult(long action, byte[] output, long nsPerRun) {
        this(action, output, nsPerRun, action == XdpAction.REDIRECT ? XdpRedirect.UNKNOWN : XdpRedirect.NONE);
    }

    public XdpResult {
        if (redirect == null) {
            throw new IllegalArgumentException("redirect must not be null (XdpRedirect.NONE for none)");
        }
    }

    /** The XDP_* name of the action, or {@code UNKNOWN(n)}. */
    public String actionName() {
        return XdpAction.name(action);
    }
}
