package io.jxdp.cli;

import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.kernel.KernelXdpEngine;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.ProgramSpec;
import java.util.List;

/** The engines the CLI can create, by the names {@code --engine} takes. */
final class Engines {
    private Engines() {}

    /** Names accepted by {@link #create}. */
    static final List<String> NAMES = List.of("kernel");

    static XdpEngine create(String name, BpfObject object, String program) {
        return switch (name) {
            case "kernel" -> KernelXdpEngine.load(object, program);
            default -> throw new IllegalArgumentException("unknown engine '" + name + "'; want one of " + NAMES);
        };
    }

    /** The program to run: {@code requested}, or the object's only program. */
    static String pickProgram(BpfObject object, String requested) {
        List<String> names = object.programs().stream().map(ProgramSpec::name).toList();
        if (requested != null) {
            if (!names.contains(requested)) {
                throw new IllegalArgumentException("object '" + object.name() + "' has no program '" + requested
                        + "' (it has " + names + ")");
            }
            return requested;
        }
        if (names.size() != 1) {
            throw new IllegalArgumentException("object '" + object.name() + "' has " + names.size()
                    + " programs " + names + "; name one with --program");
        }
        return names.get(0);
    }
}
