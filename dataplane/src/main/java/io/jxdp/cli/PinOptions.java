package io.jxdp.cli;

import io.jxdp.ebpf.xdp.Pinning;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * {@code --pin-dir DIR} and {@code --pin MAP}: which maps of the object are backed by pin files so
 * that their contents survive a restart (dataplane/README.md, "Pinned maps"). Without either, the
 * object's {@code LIBBPF_PIN_BY_NAME} maps are pinned in {@code $JXDP_PIN_DIR} or
 * {@code /var/lib/jxdp/pins}.
 */
final class PinOptions {
    @Option(names = "--pin-dir", paramLabel = "DIR",
            description = "directory of pinned maps (default: $JXDP_PIN_DIR, else /var/lib/jxdp/pins); the object's"
                    + " LIBBPF_PIN_BY_NAME maps and those given with --pin live there, created or reopened")
    Path dir;

    @Option(names = "--pin", paramLabel = "MAP", description = "pin this map too although the object does not mark it;"
            + " repeatable")
    List<String> names = new ArrayList<>();

    Pinning pinning() {
        return Pinning.of(dir, Set.copyOf(names));
    }

    /** Whether the command line asked for pinning explicitly. */
    boolean given() {
        return dir != null || !names.isEmpty();
    }
}
