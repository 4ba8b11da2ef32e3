package io.jxdp.ffi.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The kernel's own numbers for the ABI afxdp-ffi mirrors: {@code layouts.c} (test resource) is
 * compiled with clang-19 against this machine's UAPI headers and run once; it prints
 * {@code name value} lines that tests compare with the Java constants.
 */
public final class KernelLayouts {
    private KernelLayouts() {}

    private static Map<String, Long> values;

    public static synchronized Map<String, Long> get() {
        if (values != null) {
            return values;
        }
        try {
            Path dir = Files.createTempDirectory("jxdp-layouts");
            try {
                Path src = dir.resolve("layouts.c");
                try (InputStream in = KernelLayouts.class.getResourceAsStream("layouts.c")) {
                    assertNotNull(in, "test resource layouts.c missing");
                    Files.copy(in, src);
                }
                Path exe = dir.resolve("layouts");
                VethTopology.run("clang-19", "-I/usr/include/x86_64-linux-gnu", "-o", exe.toString(), src.toString());
                Map<String, Long> m = new HashMap<>();
                for (String line : VethTopology.run(exe.toString()).split("\n")) {
                    int sp = line.lastIndexOf(' ');
                    m.put(line.substring(0, sp), Long.parseLong(line.substring(sp + 1)));
                }
                values = m;
                return m;
            } finally {
                try (var s = Files.list(dir)) {
                    for (Path p : s.toList()) {
                        Files.delete(p);
                    }
                }
                Files.delete(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Asserts that the kernel's {@code name} equals the Java constant {@code javaValue}. */
    public static void check(String name, long javaValue) {
        Long kernel = get().get(name);
        assertNotNull(kernel, "layouts.c does not print " + name);
        assertEquals(kernel.longValue(), javaValue, name);
    }
}
