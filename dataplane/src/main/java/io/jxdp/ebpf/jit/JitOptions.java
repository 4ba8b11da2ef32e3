package io.jxdp.ebpf.jit;

import java.nio.file.Path;

/**
 * Options of one JIT compilation.
 *
 * @param dumpDir     when non-null, every generated class file is written there (debugging with
 *                    {@code javap -c -p}); default from system property {@code jxdp.jit.dump}
 * @param verify      run {@code ClassFile.verify} on every generated class and fail with the
 *                    verifier's messages; default from system property {@code jxdp.jit.verify}
 * @param methodBudget bytecode bytes per generated method: a program whose methods are all within
 *                    it when compiled whole (measured) is not split; otherwise subprograms are
 *                    split into regions of about this many estimated bytes, and every method must
 *                    in the end be below the JVM's 8,000-byte HugeMethodLimit (the compiler
 *                    re-checks and shrinks the budget if not)
 */
public record JitOptions(Path dumpDir, boolean verify, int methodBudget) {
    /**
     * The default budget: about 6,000 bytes of bytecode per method, so no program of the corpus is
     * split (splitting costs a register-file spill and a call at every region boundary) while a
     * method still stays clear of the JVM's 8,000-byte limit. Bigger programs are still split into
     * regions of about this size; tests exercise the split path with lower budgets.
     */
    public static final int DEFAULT_METHOD_BUDGET = 6_000;

    public JitOptions {
        if (methodBudget < 500) {
            throw new IllegalArgumentException("methodBudget must be >= 500 bytes, got " + methodBudget);
        }
    }

    /** Options from the system properties {@code jxdp.jit.dump=DIR} and {@code jxdp.jit.verify=true}. */
    public static JitOptions defaults() {
        String dump = System.getProperty("jxdp.jit.dump");
        return new JitOptions(dump == null || dump.isBlank() ? null : Path.of(dump),
                Boolean.getBoolean("jxdp.jit.verify"), DEFAULT_METHOD_BUDGET);
    }

    /** A copy with another dump directory (null for none). */
    public JitOptions withDumpDir(Path dir) {
        return new JitOptions(dir, verify, methodBudget);
    }

    /** A copy with verification on or off. */
    public JitOptions withVerify(boolean on) {
        return new JitOptions(dumpDir, on, methodBudget);
    }

    /** A copy with another method budget. */
    public JitOptions withMethodBudget(int bytes) {
        return new JitOptions(dumpDir, verify, bytes);
    }
}
