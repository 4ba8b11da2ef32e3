package io.jxdp.ebpf.verifier;

/** Thrown inside the verifier to stop at the first unsafe instruction; turned into a {@link VerifierError}. */
final class Reject extends RuntimeException {
    final int pc;

    Reject(int pc, String message) {
        super(message, null, false, false);
        this.pc = pc;
    }
}
