package io.jxdp.ebpf.jit;

import java.nio.file.Path;

/**
 * Options of one JIT compilation.
 *
 * @param dumpDir     when non-null, every generated class file is written there (debugging with
 *                    {@code javap -c -p}); default from system property {@code jxdp.jit.dump}
 * @param verify      run {@code ClassFile.verify} on every generated class and fail with the
 *                    verifier's messages; default from system property {@code jxdp.jit.verify}
 * @param methodBudget estimated bytecode bytes per generated method before a subprogram is split
 *                    into regions; every method must in the end be below the JVM's 8,000-byte
 *                    HugeMethodLimit (the compiler re-checks and shrinks the budget if not)
 */
public record JitOptions(Path dumpDir, boolean verify, int methodBudget) {
    /**
     * The default budget: regions of about 1,400 bytes of bytecode. Far under the 8,000-byte limit
     * on purpose: C1 gives up on methods of about 4,000 bytes of this shape ("out of virtual
     * registers in LIR generator"), and a method stuck at tier 2 is never promoted to C2.
     */
    public static final int DEFAULT_METHOD_BUDGET = 2_000;

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
