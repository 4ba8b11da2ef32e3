package io.jxdp.ebpf.loader;

import io.jxdp.ebpf.btf.Btf;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/** A parsed and linked BPF object file: its programs, maps, license and BTF. */
public final class BpfObject {
    private final String name;
    private final String license;
    private final OptionalInt kernelVersion;
    private final List<ProgramSpec> programs;
    private final List<MapSpec> maps;
    private final Btf btf;
    private final List<String> skippedSections;

    BpfObject(String name, String license, OptionalInt kernelVersion, List<ProgramSpec> programs,
            List<MapSpec> maps, Btf btf, List<String> skippedSections) {
        this.name = name;
        this.license = license;
        this.kernelVersion = kernelVersion;
        this.programs = List.copyOf(programs);
        this.maps = List.copyOf(maps);
        this.btf = btf;
        this.skippedSections = List.copyOf(skippedSections);
    }

    /** Object name: the file name up to its first '.', as libbpf names objects. */
    public String name() {
        return name;
    }

    /** Contents of the {@code license} section, or "" when absent. */
    public String license() {
        return license;
    }

    /** The u32 of the legacy {@code version} section, if present. */
    public OptionalInt kernelVersion() {
        return kernelVersion;
    }

    /** Entry programs in section order, then offset order (subprograms in .text are not listed). */
    public List<ProgramSpec> programs() {
        return programs;
    }

    public Optional<ProgramSpec> program(String functionName) {
        for (ProgramSpec p : programs) {
            if (p.name().equals(functionName)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Maps: legacy {@code maps} first, then BTF {@code .maps}, then global data; index = MapReloc.mapIndex. */
    public List<MapSpec> maps() {
        return maps;
    }

    public Optional<MapSpec> map(String mapName) {
        for (MapSpec m : maps) {
            if (m.name().equals(mapName)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    /**
     * Names of the allocated sections the loader ignored, in file order, as libbpf skips
     * "unrecognized data sections" (libxdp's {@code .xdp_run_config}, xdp-filter's {@code features}).
     */
    public List<String> skippedSections() {
        return skippedSections;
    }

    /** The object's BTF, or null when it has no {@code .BTF} section. */
    public Btf btf() {
        return btf;
    }

    /**
     * Sets the initial value of a global variable by name, searching every global-data map.
     *
     * @throws IllegalArgumentException if no map, or more than one, has the variable, or the
     *     size differs
     */
    public void setGlobal(String varName, byte[] value) {
        List<MapSpec> hits = new ArrayList<>();
        for (MapSpec m : maps) {
            if (m.isGlobalData() && m.variable(varName).isPresent()) {
                hits.add(m);
            }
        }
        if (hits.size() != 1) {
            throw new IllegalArgumentException(hits.isEmpty() ? "no global variable '" + varName + "' in object '"
                    + name + "'" : "global variable '" + varName + "' is ambiguous in object '" + name + "'");
        }
        hits.get(0).setVariable(varName, value);
    }
}
