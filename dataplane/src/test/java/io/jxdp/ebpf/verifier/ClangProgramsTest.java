package io.jxdp.ebpf.verifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.loader.ProgramSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Clang-built programs using issue 4's helpers, map types and callbacks
 * (src/test/resources/verifier/progs, built by its Makefile): {@code bad_*.o} are rejected, the
 * others accepted, by jxdp and by this machine's kernel (loaded with bpftool, which gives the
 * kernel the BTF func_info callbacks need, into a private bpffs mounted for the test).
 */
class ClangProgramsTest {
    static final Path DIR = Path.of("src", "test", "resources", "verifier", "progs");

    static Stream<Path> objects() throws IOException {
        try (Stream<Path> files = Files.list(DIR)) {
            List<Path> out = files.filter(p -> p.toString().endsWith(".o")).sorted().toList();
            assertTrue(out.size() >= 3, "expected the clang-built fixtures in " + DIR + ", found " + out);
            return out.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("objects")
    void jxdpAndKernelAgreeWithTheExpectedVerdict(Path o) throws Exception {
        boolean expectAccept = !o.getFileName().toString().startsWith("bad_");
        BpfObject obj = BpfObjectLoader.load(o);
        List<MapInfo> maps = obj.maps().stream().map(MapInfo::of).toList();
        for (ProgramSpec p : obj.programs()) {
            VerificationResult r = Verifier.verify(p, maps, VerifierOptions.privileged());
            assertEquals(expectAccept, r.accepted(), () -> o + ":" + p.name() + ": "
                    + r.error().map(VerifierError::format).orElse("accepted"));
            if (!expectAccept) {
                String msg = r.error().orElseThrow().format();
                assertTrue(msg.contains("At callback return") && msg.contains(".c:"), msg);
            }
        }
        assertEquals(expectAccept, kernelAccepts(o), o + ": the kernel's verdict differs from the expected one");
    }

    /** bpftool prog loadall into a private bpffs; true when the kernel loaded every program. */
    private static boolean kernelAccepts(Path o) throws Exception {
        Path mnt = Files.createTempDirectory(Path.of("target"), "bpffs");
        assertEquals(0, run("mount", "-t", "bpf", "bpf", mnt.toString()), "mount a private bpffs at " + mnt);
        try {
            return run("bpftool", "prog", "loadall", o.toString(), mnt.resolve("p").toString(), "type", "xdp") == 0;
        } finally {
            run("umount", mnt.toString());
            Files.deleteIfExists(mnt);
        }
    }

    private static int run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish in 30 s");
        }
        if (p.exitValue() != 0) {
            System.out.println(String.join(" ", cmd) + ": " + new String(out, StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.startsWith("Warning") && !l.startsWith("If it used")).limit(5).toList());
        }
        return p.exitValue();
    }
}
