package io.jxdp.cli;

import io.jxdp.ebpf.asm.Disassembler;
import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.MapsYaml;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.engine.XdpResult;
import io.jxdp.ebpf.helper.HelperIds;
import io.jxdp.ebpf.isa.Program;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.FunctionEntry;
import io.jxdp.ebpf.loader.LineInfo;
import io.jxdp.ebpf.loader.MapReloc;
import io.jxdp.ebpf.loader.MapSpec;
import io.jxdp.ebpf.loader.ProgramSpec;
import io.jxdp.ebpf.map.MapType;
import io.jxdp.ebpf.xdp.Engines;
import io.jxdp.ebpf.xdp.LinkedXdpEngine;
import io.jxdp.ebpf.xdp.JitXdpEngine;
import io.jxdp.ebpf.xdp.TraceSink;
import io.jxdp.ebpf.xdp.PacketFiles;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jxdp prog run|show|dump}: run, describe and disassemble the programs of a BPF object. */
@Command(name = "prog", mixinStandardHelpOptions = true,
        description = "Run, show or disassemble the XDP programs of a clang-built BPF object.",
        subcommands = {ProgCommand.Run.class, ProgCommand.Show.class, ProgCommand.Dump.class})
final class ProgCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final HexFormat HEX = HexFormat.of();

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = {"Runs a program over every packet of FILE (pcap, pcapng, or hex text: one packet per line)",
                    "and prints the verdict, ns per run and the output packet (data_meta..data_end) in hex."})
    static final class Run implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "OBJ", description = "BPF object file (clang -target bpf)")
        Path object;

        @Option(names = "--program", paramLabel = "NAME", description = "program (function) name; needed when the object has several")
        String program;

        @Option(names = "--packet", required = true, paramLabel = "FILE", description = "pcap/pcapng file, or hex text with one packet per line")
        Path packets;

        @Option(names = "--maps", paramLabel = "MAPS.yaml", description = "map entries to preload (programs/README.md format)")
        Path maps;

        @Option(names = "--engine", defaultValue = "interp", paramLabel = "ENGINE", description = "interp (default), jit or kernel")
        String engine;

        @Option(names = "--repeat", defaultValue = "1", paramLabel = "N", description = "runs per packet for timing (as BPF_PROG_TEST_RUN's repeat)")
        int repeat;

        @Option(names = "--json", description = "one JSON object per packet")
        boolean json;

        @Option(names = "--no-trace", description = "discard bpf_trace_printk output (default: stderr)")
        boolean noTrace;

        @Mixin
        PinOptions pin = new PinOptions();

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            return CliErrors.run(err, () -> {
                if (repeat < 1) {
                    throw new CliErrors.UserError("--repeat must be at least 1, got " + repeat);
                }
                if (!Files.isRegularFile(packets)) {
                    throw new CliErrors.UserError("no such packet file: " + packets);
                }
                if ("kernel".equals(engine) && pin.given()) {
                    throw new CliErrors.UserError("--pin-dir and --pin are for jxdp's engines (interp, jit): the"
                            + " kernel engine's maps are the kernel's");
                }
                MapsYaml preload = maps == null ? null : MapsYaml.parse(maps);
                BpfObject obj = CliErrors.load(object);
                List<byte[]> pkts = PacketFiles.read(packets);
                try (XdpEngine e = Engines.create(engine, obj, program, pin.pinning())) {
                    if (noTrace && e instanceof LinkedXdpEngine le) {
                        le.traceSink(TraceSink.discard());
                    }
                    if (e instanceof JitXdpEngine je) {
                        err.println(je.loadReport()); // stderr: stdout stays one line (or JSON object) per packet
                        err.flush();
                    }
                    if (preload != null) {
                        preload.preload(e);
                    }
                    for (int i = 0; i < pkts.size(); i++) {
                        byte[] p = pkts.get(i);
                        XdpResult r;
                        try {
                            r = e.run(p, repeat);
                        } catch (EngineException ex) {
                            String why = ex.getMessage();
                            String refusal = why.startsWith("EINVAL") ? "EINVAL" : why.startsWith("ENOMEM") ? "ENOMEM" : null;
                            if (refusal == null) {
                                throw new CliErrors.UserError("packet " + i + ": " + ex.getMessage());
                            }
                            out.println(json ? new Json().put("index", i).put("engine", e.name())
                                    .put("verdict", (String) null).put("error", why) : i + " " + refusal + " - ("
                                    + why + ")");
                            continue;
                        }
                        if (json) {
                            out.println(new Json().put("index", i).put("engine", e.name()).put("verdict", r.actionName())
                                    .put("action", r.action()).put("output_hex", HEX.formatHex(r.output()))
                                    .put("output_length", r.output().length).put("ns_per_run", r.nsPerRun()));
                        } else {
                            out.println(i + " " + r.actionName() + " " + r.nsPerRun() + " ns/run " + HEX.formatHex(r.output()));
                        }
                    }
                }
                out.flush();
                return 0;
            });
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Lists the programs (name, section, type, instructions, maps and helpers used) and maps of an object.")
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "OBJ", description = "BPF object file")
        Path object;

        @Option(names = "--json", description = "one JSON object")
        boolean json;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            return CliErrors.run(spec.commandLine().getErr(), () -> {
                BpfObject obj = CliErrors.load(object);
                List<String> progJson = new ArrayList<>();
                if (!json) {
                    out.println("object " + obj.name() + " (license \"" + obj.license() + "\")");
                    out.println("programs:");
                }
                for (ProgramSpec p : obj.programs()) {
                    Set<String> mapsUsed = new LinkedHashSet<>();
                    for (MapReloc r : p.mapRelocs()) {
                        mapsUsed.add(mapName(obj.maps().get(r.mapIndex())));
                    }
                    List<String> helpers = helpersUsed(p);
                    if (json) {
                        progJson.add(new Json().put("name", p.name()).put("section", p.sectionName())
                                .put("type", p.type().name()).put("insns", p.instructionCount())
                                .raw("maps", Json.array(mapsUsed.stream().map(Json::string).toList()))
                                .raw("helpers", Json.array(helpers.stream().map(Json::string).toList())).toString());
                    } else {
                        out.println("  " + p.name() + ": section " + p.sectionName() + ", type " + p.type() + ", "
                                + p.instructionCount() + " insns");
                        out.println("    maps: " + (mapsUsed.isEmpty() ? "-" : String.join(", ", mapsUsed)));
                        out.println("    helpers: " + (helpers.isEmpty() ? "-" : String.join(", ", helpers)));
                    }
                }
                List<String> mapJson = new ArrayList<>();
                if (!json) {
                    out.println("maps:");
                }
                for (MapSpec m : obj.maps()) {
                    if (json) {
                        mapJson.add(new Json().put("name", mapName(m)).put("type", typeName(m.type()))
                                .put("key_size", m.keySize()).put("value_size", m.valueSize())
                                .put("max_entries", m.maxEntries()).put("flags", m.flags()).toString());
                    } else {
                        out.println("  " + mapName(m) + ": " + typeName(m.type()) + ", key " + m.keySize() + ", value "
                                + m.valueSize() + ", max_entries " + m.maxEntries() + ", flags 0x"
                                + Long.toHexString(m.flags()));
                    }
                }
                if (json) {
                    Json j = new Json().put("object", obj.name()).put("license", obj.license())
                            .raw("programs", Json.array(progJson)).raw("maps", Json.array(mapJson));
                    if (!obj.skippedSections().isEmpty()) {
                        j.raw("skipped_sections", Json.array(obj.skippedSections().stream().map(Json::string).toList()));
                    }
                    out.println(j);
                } else if (!obj.skippedSections().isEmpty()) {
                    out.println("skipped sections (not programs, maps or global data): "
                            + String.join(", ", obj.skippedSections()));
                }
                out.flush();
                return 0;
            });
        }
    }

    @Command(name = "dump", mixinStandardHelpOptions = true,
            description = "Disassembles a program (kernel syntax) interleaved with its C source lines from BTF line info.")
    static final class Dump implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "OBJ", description = "BPF object file")
        Path object;

        @Option(names = "--program", paramLabel = "NAME", description = "program name; default: every program")
        String program;

        @Option(names = "--json", description = "one JSON object per instruction")
        boolean json;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            return CliErrors.run(spec.commandLine().getErr(), () -> {
                BpfObject obj = CliErrors.load(object);
                List<ProgramSpec> progs;
                if (program == null) {
                    progs = obj.programs();
                } else {
                    progs = List.of(obj.program(program).orElseThrow(() -> new CliErrors.UserError("no program '" + program
                            + "' in object '" + obj.name() + "' (available: " + String.join(", ",
                            obj.programs().stream().map(ProgramSpec::name).toList()) + ")")));
                }
                for (ProgramSpec p : progs) {
                    dump(out, p);
                }
                out.flush();
                return 0;
            });
        }

        private void dump(PrintWriter out, ProgramSpec p) {
            Program prog = Program.ofSlots(p.instructions());
            LineInfo[] lineAt = new LineInfo[prog.length()];
            for (LineInfo li : p.lineInfo()) {
                if (li.insnIndex() >= 0 && li.insnIndex() < lineAt.length) {
                    lineAt[li.insnIndex()] = li;
                }
            }
            String[] funcAt = new String[prog.length()];
            for (FunctionEntry f : p.functions()) {
                if (f.insnIndex() >= 0 && f.insnIndex() < funcAt.length) {
                    funcAt[f.insnIndex()] = f.name();
                }
            }
            if (!json) {
                out.println(p.name() + ":");
            }
            String fn = p.name();
            for (int pc = 0; pc < prog.length(); pc++) {
                boolean lddw = (prog.slot(pc) & 0xff) == 0x18;
                String text = Disassembler.format(prog, pc);
                if (funcAt[pc] != null) {
                    fn = funcAt[pc];
                    if (!json && pc != 0) {
                        out.println(fn + ":");
                    }
                }
                LineInfo li = lineAt[pc];
                if (json) {
                    Json j = new Json().put("program", p.name()).put("function", fn).put("pc", pc).put("insn", text);
                    if (li != null) {
                        j.put("file", li.file()).put("line", li.lineNo()).put("col", li.col()).put("source", li.line());
                    }
                    out.println(j);
                } else {
                    if (li != null) {
                        out.println("; " + li.line().strip() + " @ " + li.file() + ":" + li.lineNo() + ":" + li.col());
                    }
                    out.printf("%5d: %s%n", pc, text);
                }
                if (lddw) {
                    pc++;
                }
            }
        }
    }

    static String mapName(MapSpec m) {
        String n = m.name();
        if (m.isGlobalData() && !n.startsWith(".")) {
            int dot = n.indexOf('.');
            return dot >= 0 ? n.substring(dot) : n;
        }
        return n;
    }

    static String typeName(int type) {
        try {
            return MapType.fromId(type).kernelName();
        } catch (IllegalArgumentException e) {
            return "unknown(" + type + ")";
        }
    }

    static List<String> helpersUsed(ProgramSpec p) {
        List<String> out = new ArrayList<>();
        long[] s = p.instructions();
        for (int i = 0; i < s.length; i++) {
            int code = (int) (s[i] & 0xff);
            if (code == 0x18) {
                i++;
            } else if (code == 0x85 && ((s[i] >>> 12) & 0xf) == 0) {
                int id = (int) (s[i] >>> 32);
                String n = HelperIds.name(id);
                String label = (n == null ? "helper_" + id : n) + "(" + id + ")";
                if (!out.contains(label)) {
                    out.add(label);
                }
            }
        }
        return out;
    }
}
