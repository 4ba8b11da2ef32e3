package io.jxdp.perf;

import io.jxdp.ebpf.map.BpfMap;
import io.jxdp.ebpf.map.MapDefinition;
import io.jxdp.ebpf.map.MapFlags;
import io.jxdp.ebpf.map.MapType;
import io.jxdp.ebpf.map.Maps;
import io.jxdp.ebpf.map.Rcu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a restart costs a pinned map (issue 4, pinning): one operation reopens a pin file holding
 * {@code entries} elements and closes it again. Reopening re-inserts every live element (hash maps)
 * or prefix (LPM tries) at the new process's addresses, so the cost grows with the contents.
 * {@code HASH}: a connection table, 16-byte keys and values, max_entries = entries.
 * {@code LPM_TRIE}: IPv4 keys of random /8-/32 prefixes, 8-byte values, max_entries = entries.
 * The file stays in the page cache between operations (a warm restart); close includes
 * {@code BpfMap.close}'s grace period with no registered reader and the header's msync.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--enable-native-access=ALL-UNNAMED",
    "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class PinReopenBenchmark {
    @Param({"65536", "1000000"})
    public int entries;

    @Param({"HASH", "LPM_TRIE"})
    public String type;

    private Path dir;
    private MapDefinition def;

    @Setup(Level.Trial)
    public void fill() throws IOException {
        dir = Files.createTempDirectory("jxdp-pin-bench");
        boolean lpm = type.equals("LPM_TRIE");
        def = lpm ? new MapDefinition("deny", MapType.LPM_TRIE, 8, 8, entries, MapFlags.BPF_F_NO_PREALLOC)
                : new MapDefinition("conns", MapType.HASH, 16, 16, entries, 0);
        Random rnd = new Random(7);
        try (BpfMap m = Maps.createPinned(def, 1, new Rcu(1), dir)) {
            byte[] key = new byte[def.keySize()];
            byte[] value = new byte[def.valueSize()];
            long n = 0;
            for (long tries = 0; n < entries && tries < 4L * entries; tries++) {
                rnd.nextBytes(key);
                rnd.nextBytes(value);
                if (lpm) {
                    int plen = 8 + rnd.nextInt(25);
                    int addr = (key[4] & 0xff) << 24 | (key[5] & 0xff) << 16 | (key[6] & 0xff) << 8 | key[7] & 0xff;
                    addr &= (int) (0xffff_ffff_0000_0000L >>> plen);
                    key[0] = (byte) plen;
                    key[1] = key[2] = key[3] = 0;
                    key[4] = (byte) (addr >>> 24);
                    key[5] = (byte) (addr >>> 16);
                    key[6] = (byte) (addr >>> 8);
                    key[7] = (byte) addr;
                }
                try {
                    m.update(key, value, MapFlags.BPF_NOEXIST);
                    n++;
                } catch (io.jxdp.ebpf.map.MapException e) {
                    // EEXIST: a prefix drawn twice
                }
            }
            if (n < entries * 9L / 10) {
                throw new IllegalStateException("filled only " + n + " of " + entries);
            }
        }
    }

    @Benchmark
    public int reopen() {
        try (BpfMap m = Maps.createPinned(def, 1, new Rcu(1), dir)) {
            return m.maxEntries();
        }
    }

    @TearDown(Level.Trial)
    public void remove() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
