package io.jxdp.ebpf.xdp;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;

/**
 * Which maps of an object the engines back by a file in a pin directory, so that their contents
 * survive a restart ({@link io.jxdp.ebpf.map.Maps#createPinned}): the maps the object marks
 * {@code __uint(pinning, LIBBPF_PIN_BY_NAME)}, as libbpf pins them, plus the ones named here (the
 * CLI's {@code --pin MAP}). The file of a map is {@code dir/<map name>}; libbpf's default directory
 * is bpffs ({@code /sys/fs/bpf}), jxdp's is {@link #defaultDir()}. The directory is created when a
 * map is pinned there and it does not exist (libbpf creates the pin path's parent likewise).
 *
 * @param dir where the pin files are
 * @param byName whether {@code LIBBPF_PIN_BY_NAME} maps are pinned (false only for {@link #NONE})
 * @param names further maps to pin, by the name user space sees
 */
public record Pinning(Path dir, boolean byName, Set<String> names) {
    /** The environment variable that overrides the default pin directory. */
    public static final String ENV = "JXDP_PIN_DIR";
    /** The default pin directory when {@value #ENV} is unset. */
    public static final Path DEFAULT_DIR = Path.of("/var/lib/jxdp/pins");

    /**
     * No map pinned, not even those the object marks: for comparisons that must start from the
     * object's initial maps ({@code jxdp parity}).
     */
    public static final Pinning NONE = new Pinning(DEFAULT_DIR, false, Set.of());

    public Pinning {
        Objects.requireNonNull(dir, "dir");
        names = Set.copyOf(names);
    }

    /** {@code $JXDP_PIN_DIR}, else {@code /var/lib/jxdp/pins}. */
    public static Path defaultDir() {
        String env = System.getenv(ENV);
        return env == null || env.isEmpty() ? DEFAULT_DIR : Path.of(env);
    }

    /** What a loader does by default: the object's {@code LIBBPF_PIN_BY_NAME} maps in {@link #defaultDir()}. */
    public static Pinning defaults() {
        return new Pinning(defaultDir(), true, Set.of());
    }

    /** The object's {@code LIBBPF_PIN_BY_NAME} maps and {@code names}, in {@code dir} (null: the default). */
    public static Pinning of(Path dir, Set<String> names) {
        return new Pinning(dir == null ? defaultDir() : dir, true, names);
    }

    /** Whether a map of that name, marked for pinning by name or not, is pinned. */
    boolean pins(String name, boolean markedByName) {
        return byName && markedByName || names.contains(name);
    }
}
