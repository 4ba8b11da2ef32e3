package io.jxdp.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./jxdp} launcher and its JDK discovery ({@code scripts/find-jdk}), run through bash as a
 * user runs them. The launcher gets {@code JXDP_CLASSPATH} (this test's own classes and the CLI's
 * dependencies), so it neither builds nor needs {@code dataplane/target/jxdp.jar}, which
 * {@code mvn verify} packages only after the tests.
 */
class LauncherTest {
    /** Result of one bash run. */
    record Run(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    /** The repository root: the first directory upwards holding the launcher. */
    static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("jxdp"))) {
            dir = dir.getParent();
        }
        assertTrue(dir != null, "no ./jxdp above " + Path.of("").toAbsolutePath());
        return dir;
    }

    /** The CLI's classes and its dependencies, from where this JVM loaded them. */
    static String cliClassPath() {
        return Stream.of(Main.class, picocli.CommandLine.class, org.agrona.BitUtil.class,
                        org.yaml.snakeyaml.Yaml.class, io.jxdp.ffi.sys.Errno.class)
                .map(LauncherTest::location).distinct().collect(Collectors.joining(File.pathSeparator));
    }

    private static String location(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Run bash(Path dir, Map<String, String> env, List<String> unset, String... args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Stream.concat(Stream.of("bash"), Stream.of(args)).toList()).directory(dir.toFile());
        unset.forEach(pb.environment()::remove);
        pb.environment().putAll(env);
        Path out = Files.createTempFile("launcher", ".out");
        Path err = Files.createTempFile("launcher", ".err");
        try {
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            Process p = pb.start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) { // a bound against a hang, not a speed check
                p.destroyForcibly();
                throw new AssertionError("bash " + String.join(" ", args) + " did not end");
            }
            return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** A JDK 17 under /usr/lib/jvm (Debian's Maven brings one), else a stand-in that only claims to be 17. */
    static Path jdk17(Path tmp) throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/usr/lib/jvm"))) {
            Optional<Path> real = s.filter(d -> Files.isExecutable(d.resolve("bin/java")))
                    .filter(d -> release(d).startsWith("17")).findFirst();
            if (real.isPresent()) {
                return real.get();
            }
        } catch (java.nio.file.NoSuchFileException e) {
            // no /usr/lib/jvm: use the stand-in
        }
        return fakeJdk(tmp.resolve("jdk17"), "17.0.2", true);
    }

    private static String release(Path jdk) {
        try {
            return Files.readAllLines(jdk.resolve("release")).stream().filter(l -> l.startsWith("JAVA_VERSION="))
                    .map(l -> l.substring("JAVA_VERSION=".length()).replace("\"", "")).findFirst().orElse("");
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * A directory that looks like a JDK of the given version: a {@code release} file (or, when version is
     * null, a {@code bin/java} that reports {@code specVersion} as {@code -XshowSettings} does) and
     * executables that fail if anything runs them for real.
     */
    static Path fakeJdk(Path dir, String version, boolean javac) throws IOException {
        return fakeJdk(dir, version, javac, "exit 3");
    }

    static Path fakeJdk(Path dir, String version, boolean javac, String javaScript) throws IOException {
        Files.createDirectories(dir.resolve("bin"));
        if (version != null) {
            Files.writeString(dir.resolve("release"), "IMPLEMENTOR=\"test\"\nJAVA_VERSION=\"" + version + "\"\n");
        }
        script(dir.resolve("bin/java"), javaScript);
        if (javac) {
            script(dir.resolve("bin/javac"), "exit 3");
        }
        return dir;
    }

    private static void script(Path p, String body) throws IOException {
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static Run help(Map<String, String> env, List<String> unset) throws Exception {
        Map<String, String> e = new java.util.HashMap<>(env);
        e.put("JXDP_CLASSPATH", cliClassPath());
        return bash(root(), e, unset, "jxdp", "--help");
    }

    private static void assertHelp(Run r) {
        assertEquals(0, r.code(), r::toString);
        MainTest.assertListsEveryCommand(r.out());
        assertFalse(r.err().contains("building"), r::toString);
        assertFalse(r.err().contains("error"), r::toString); // e.g. bash's "syntax error: invalid arithmetic operator"
        assertFalse(r.err().contains("WARN"), r::toString);
    }

    @Test
    void helpWithoutJavaHomeListsEveryCommand() throws Exception {
        Run r = help(Map.of(), List.of("JAVA_HOME"));
        assertHelp(r);
        assertEquals("", r.err(), r::toString);
    }

    @Test
    void aJavaHomeOlderThan22IsPassedOverForTheNewestJdk(@TempDir Path tmp) throws Exception {
        Path old = jdk17(tmp);
        Run r = help(Map.of("JAVA_HOME", old.toString()), List.of());
        assertHelp(r); // JDK 17 cannot load these classes (release 25): exit 0 means a newer JDK ran them
        assertEquals("jxdp: JAVA_HOME=" + old + " is JDK 17, not >= 22: looking under /usr/lib/jvm\n", r.err());
    }

    @Test
    void aJdk8JavaHomeIsNoArithmeticError(@TempDir Path tmp) throws Exception {
        // no release file: the version comes from the JDK 8 style "java.specification.version = 1.8"
        Path jdk8 = fakeJdk(tmp.resolve("jdk8"), null, true, "echo '    java.specification.version = 1.8' >&2");
        Run r = help(Map.of("JAVA_HOME", jdk8.toString()), List.of());
        assertHelp(r);
        assertEquals("jxdp: JAVA_HOME=" + jdk8 + " is JDK 8, not >= 22: looking under /usr/lib/jvm\n", r.err());
    }

    @Test
    void findJdkTakesTheNewestJdkAtLeast22(@TempDir Path tmp) throws Exception {
        Path jvm = tmp.resolve("jvm");
        fakeJdk(jvm.resolve("jdk-8"), "1.8.0_402", true);
        fakeJdk(jvm.resolve("jdk-17"), "17.0.15", true);
        Path jdk24 = fakeJdk(jvm.resolve("jdk-24"), "24.0.1", true);
        Path jdk25 = fakeJdk(jvm.resolve("jdk-25"), "25", true);
        fakeJdk(jvm.resolve("jre-30"), "30", false); // no javac: cannot build, not a candidate
        fakeJdk(jvm.resolve("jdk-9"), "9.0.4", true);
        String find = ". scripts/find-jdk && jxdp_find_jdk";
        Map<String, String> env = Map.of("JXDP_JVM_DIR", jvm.toString());

        Run none = bash(root(), env, List.of("JAVA_HOME"), "-euo", "pipefail", "-c", find);
        assertEquals(new Run(0, jdk25 + "\n", ""), none);

        Run given = bash(root(), Map.of("JXDP_JVM_DIR", jvm.toString(), "JAVA_HOME", jdk24.toString()), List.of(),
                "-euo", "pipefail", "-c", find);
        assertEquals(new Run(0, jdk24 + "\n", ""), given, "a JAVA_HOME >= 22 is used as it is");

        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Run nothing = bash(root(), Map.of("JXDP_JVM_DIR", empty.toString()), List.of("JAVA_HOME"),
                "-euo", "pipefail", "-c", find + " || echo failed");
        assertEquals(new Run(0, "failed\n", "jxdp: no JDK >= 22 found (set JAVA_HOME, or install one under " + empty + ")\n"),
                nothing);
    }

    @Test
    void noBuildWithoutAJarIsAClearError(@TempDir Path tmp) throws Exception {
        // a copy of the launcher in a tree without dataplane/target/jxdp.jar
        Files.createDirectories(tmp.resolve("scripts"));
        Files.copy(root().resolve("jxdp"), tmp.resolve("jxdp"));
        Files.copy(root().resolve("scripts/find-jdk"), tmp.resolve("scripts/find-jdk"));
        Run r = bash(tmp, Map.of("JXDP_NO_BUILD", "1"), List.of("JAVA_HOME"), "jxdp", "--help");
        assertEquals(1, r.code(), r::toString);
        assertEquals("", r.out());
        assertEquals("jxdp: " + tmp.resolve("dataplane/target/jxdp.jar")
                + " is missing (JXDP_NO_BUILD=1 skips the build: run mvn -DskipTests package first)\n", r.err());
    }
}
