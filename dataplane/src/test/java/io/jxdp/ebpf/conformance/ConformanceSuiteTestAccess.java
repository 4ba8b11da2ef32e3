package io.jxdp.ebpf.conformance;

import java.nio.file.Path;

/** Lets tests in other packages find the suite the same way {@link ConformanceSuiteTest} does. */
public final class ConformanceSuiteTestAccess {
    private ConformanceSuiteTestAccess() {
    }

    public static Path suiteDir() {
        return ConformanceSuiteTest.suiteDir();
    }
}
