package io.jxdp.programs;

import io.jxdp.ebpf.engine.MapsYaml;
import io.jxdp.ebpf.engine.Parity;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.xdp.PacketFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * programs/corpus.yaml (format: programs/README.md, "corpus.yaml"); paths are relative to the
 * module directory, where surefire runs.
 */
final class Corpus {
    private Corpus() {}

    static final Path DIR = Path.of("").toAbsolutePath();

    /** One corpus entry. */
    record Entry(String name, Path object, String program, Path pcap, List<String> verdicts, Path maps,
                 List<String> nondeterministic) {

        BpfObject load() throws Exception {
            return BpfObjectLoader.load(object);
        }

        List<byte[]> packets() {
            return read(pcap);
        }

        /** The preload file, or null. */
        MapsYaml preload() {
            return maps == null ? null : MapsYaml.parse(maps);
        }

        Parity.Exclusions exclusions() {
            return Parity.Exclusions.parse(nondeterministic);
        }

        Path expectedRuns() {
            return DIR.resolve("expected").resolve(name + ".txt");
        }

        Path expectedMaps() {
            return DIR.resolve("expected").resolve(name + ".maps.yaml");
        }

        @Override
        public String toString() {
            return name;
        }
    }

    @SuppressWarnings("unchecked")
    static List<Entry> entries() {
        Path file = DIR.resolve("corpus.yaml");
        Map<String, Object> doc;
        try {
            doc = new Yaml(new LoaderOptions()).load(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " (tests run in programs/)", e);
        }
        List<Entry> out = new ArrayList<>();
        for (Map<String, Object> e : (List<Map<String, Object>>) doc.get("programs")) {
            String name = (String) e.get("name");
            out.add(new Entry(name, DIR.resolve((String) e.get("object")), (String) e.get("program"),
                    DIR.resolve((String) e.get("pcap")), List.copyOf((List<String>) e.get("verdicts")),
                    e.get("maps") == null ? null : DIR.resolve((String) e.get("maps")),
                    e.get("nondeterministic") == null ? List.of()
                            : List.copyOf((List<String>) e.get("nondeterministic"))));
        }
        if (out.isEmpty()) {
            throw new IllegalStateException(file + " lists no programs");
        }
        return out;
    }

    static List<byte[]> read(Path file) {
        try {
            return PacketFiles.read(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
