package io.jxdp.ebpf.verifier;

/**
 * What the loader is allowed, as the kernel decides from capabilities ({@code bpf_capable()},
 * {@code perfmon_capable()}): a privileged loader (root, CAP_PERFMON) may read uninitialised
 * stack ({@code allow_uninit_stack}) and may compare, subtract and store pointers
 * ({@code allow_ptr_leaks}); an unprivileged one may not.
 *
 * @param allowUninitStack reads of never-written stack give an unknown value instead of an error
 * @param allowPtrLeaks pointers may be compared, subtracted, stored in maps/packets and returned
 * @param logLevel 0 no log, 1 the failing point, 2 every instruction with its state
 * @param complexityLimit processed-instruction limit (the kernel's BPF_COMPLEXITY_LIMIT_INSNS is 1,000,000)
 */
public record VerifierOptions(boolean allowUninitStack, boolean allowPtrLeaks, int logLevel, int complexityLimit) {
    public static final int COMPLEXITY_LIMIT = 1_000_000;

    public VerifierOptions {
        if (logLevel < 0 || logLevel > 2) {
            throw new IllegalArgumentException("log level must be 0, 1 or 2, got " + logLevel);
        }
        if (complexityLimit <= 0) {
            throw new IllegalArgumentException("complexity limit must be positive, got " + complexityLimit);
        }
    }

    /** As the kernel treats root (this machine's test loader): the default. */
    public static VerifierOptions privileged() {
        return new VerifierOptions(true, true, 1, COMPLEXITY_LIMIT);
    }

    /** As the kernel treats a loader with CAP_BPF but without CAP_PERFMON. */
    public static VerifierOptions unprivileged() {
        return new VerifierOptions(false, false, 1, COMPLEXITY_LIMIT);
    }

    public VerifierOptions withLogLevel(int level) {
        return new VerifierOptions(allowUninitStack, allowPtrLeaks, level, complexityLimit);
    }

    public VerifierOptions withComplexityLimit(int limit) {
        return new VerifierOptions(allowUninitStack, allowPtrLeaks, logLevel, limit);
    }
}
