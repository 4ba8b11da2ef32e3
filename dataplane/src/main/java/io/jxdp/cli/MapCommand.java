package io.jxdp.cli;

import io.jxdp.ebpf.engine.MapEntry;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.map.BpfMap;
import io.jxdp.ebpf.map.Maps;
import io.jxdp.ebpf.xdp.ObjectMaps;
import io.jxdp.ebpf.xdp.Pinning;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jxdp map show|dump|unpin}: the maps of an object as jxdp creates them at load, and pin files. */
@Command(name = "map", mixinStandardHelpOptions = true,
        description = {"Show or dump the maps of a BPF object after load (global data with its initial contents;",
                "pinned maps with the contents of their pin files), or remove pin files."},
        subcommands = {MapCommand.Show.class, MapCommand.Dump.class, MapCommand.Unpin.class})
final class MapCommand implements Runnable {
    private static final HexFormat HEX = HexFormat.of();

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Lists every map after load: name, type, sizes, max entries, flags, entry count; global data with its contents.")
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "OBJ", description = "BPF object file")
        Path object;

        @Option(names = "--json", description = "one JSON object per map")
        boolean json;

        @Mixin
        PinOptions pin = new PinOptions();

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            return CliErrors.run(spec.commandLine().getErr(), () -> {
                BpfObject obj = CliErrors.load(object);
                try (ObjectMaps maps = ObjectMaps.create(obj, pin.pinning())) {
                    for (String name : maps.names()) {
                        BpfMap m = maps.map(name);
                        List<MapEntry> entries = maps.dump(name);
                        boolean global = name.startsWith(".");
                        String data = global && !entries.isEmpty() ? HEX.formatHex(entries.get(0).values().get(0)) : null;
                        if (json) {
                            Json j = new Json().put("name", name).put("type", m.type().kernelName())
                                    .put("key_size", m.keySize()).put("value_size", m.valueSize())
                                    .put("max_entries", Integer.toUnsignedLong(m.maxEntries())).put("flags", m.flags())
                                    .put("frozen", m.isFrozen()).put("entries", entries.size());
                            if (data != null) {
                                j.put("data_hex", data);
                            }
                            maps.pinFile(name).ifPresent(f -> j.put("pinned", f.toString()));
                            out.println(j);
                        } else {
                            out.println(name + ": " + m.type().kernelName() + ", key " + m.keySize() + ", value "
                                    + m.valueSize() + ", max_entries " + Integer.toUnsignedString(m.maxEntries())
                                    + ", flags 0x" + Integer.toHexString(m.flags()) + (m.isFrozen() ? ", frozen" : "")
                                    + ", " + entries.size() + " entries"
                                    + maps.pinFile(name).map(f -> ", pinned " + f).orElse(""));
                            if (data != null) {
                                out.println("  data: " + data);
                            }
                        }
                    }
                }
                out.flush();
                return 0;
            });
        }
    }

    @Command(name = "dump", mixinStandardHelpOptions = true,
            description = "Prints every entry of one map after load: hex key and value (per-CPU maps: one value per CPU).")
    static final class Dump implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "OBJ", description = "BPF object file")
        Path object;

        @Parameters(index = "1", paramLabel = "MAP", description = "map name (global data: .rodata, .data, .bss)")
        String map;

        @Option(names = "--json", description = "one JSON object per entry")
        boolean json;

        @Mixin
        PinOptions pin = new PinOptions();

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            return CliErrors.run(spec.commandLine().getErr(), () -> {
                BpfObject obj = CliErrors.load(object);
                try (ObjectMaps maps = ObjectMaps.create(obj, pin.pinning())) {
                    BpfMap m = maps.map(map);
                    for (MapEntry e : maps.dump(map)) {
                        if (json) {
                            Json j = new Json().put("key", HEX.formatHex(e.key()));
                            if (m.isPerCpu()) {
                                List<String> vs = new ArrayList<>();
                                e.values().forEach(v -> vs.add(Json.string(HEX.formatHex(v))));
                                j.raw("values", Json.array(vs));
                            } else {
                                j.put("value", HEX.formatHex(e.values().get(0)));
                            }
                            out.println(j);
                        } else if (m.isPerCpu()) {
                            out.println("key " + HEX.formatHex(e.key()));
                            for (int c = 0; c < e.values().size(); c++) {
                                out.println("  cpu " + c + ": " + HEX.formatHex(e.values().get(c)));
                            }
                        } else {
                            out.println("key " + HEX.formatHex(e.key()) + " value " + HEX.formatHex(e.values().get(0)));
                        }
                    }
                }
                out.flush();
                return 0;
            });
        }
    }

    @Command(name = "unpin", mixinStandardHelpOptions = true,
            description = {"Removes the pin files of the named maps (their contents are lost; the next load starts",
                    "them afresh). A map open in a running jxdp keeps its contents until that process ends."})
    static final class Unpin implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0..*", arity = "1..*", paramLabel = "MAP", description = "map names (their pin file names)")
        List<String> names;

        @Option(names = "--pin-dir", paramLabel = "DIR", description = "directory of pinned maps (default: $JXDP_PIN_DIR,"
                + " else /var/lib/jxdp/pins)")
        Path dir;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            return CliErrors.run(spec.commandLine().getErr(), () -> {
                Path d = dir == null ? Pinning.defaultDir() : dir;
                List<String> missing = new ArrayList<>();
                for (String n : names) {
                    if (Maps.unpin(d, n)) {
                        out.println("unpinned " + d.resolve(n));
                    } else {
                        missing.add(n);
                    }
                }
                out.flush();
                if (!missing.isEmpty()) {
                    throw new CliErrors.UserError("no pin file for " + String.join(", ", missing) + " in " + d);
                }
                return 0;
            });
        }
    }
}
