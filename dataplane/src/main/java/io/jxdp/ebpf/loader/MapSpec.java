package io.jxdp.ebpf.loader;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A map as the object file describes it (from BTF {@code .maps}, the legacy {@code maps}
 * section, or a global-data section). Nothing is created here; the map module builds maps from
 * these specs. Only the initial contents of global-data maps are mutable, via
 * {@link #setVariable}, so that user space can set {@code const volatile} knobs before load.
 */
public final class MapSpec {
    /** LIBBPF_PIN_NONE / LIBBPF_PIN_BY_NAME (libbpf.h enum libbpf_pin_type). */
    public static final int PIN_NONE = 0;
    public static final int PIN_BY_NAME = 1;
    /** BPF_F_RDONLY_PROG, BPF_F_MMAPABLE from include/uapi/linux/bpf.h. */
    public static final int BPF_F_RDONLY_PROG = 1 << 7;
    public static final int BPF_F_MMAPABLE = 1 << 10;
    /** BPF_MAP_TYPE_ARRAY, the type libbpf gives global-data maps. */
    public static final int BPF_MAP_TYPE_ARRAY = 2;

    /** Where a map came from. */
    public enum Kind { BTF, LEGACY, RODATA, DATA, BSS, KCONFIG }

    /** A statically initialised map-in-map slot ({@code .values = { [slot] = &inner }}). */
    public record InnerSlot(int slot, int mapIndex, String mapName) {
    }

    final String name;
    final Kind kind;
    final int sectionIndex;
    final long sectionOffset;
    int type = -1;
    long keySize;
    long valueSize;
    long maxEntries;
    long flags;
    long numaNode;
    long mapExtra;
    int pinning;
    int btfKeyTypeId;
    int btfValueTypeId;
    boolean sawKeySize;
    boolean sawValueSize;
    MapSpec inner;
    long valuesMemberOffset = -1;
    long definitionSize;
    List<InnerSlot> innerSlots = List.of();
    byte[] initialData;
    List<DataVariable> variables = List.of();

    MapSpec(String name, Kind kind, int sectionIndex, long sectionOffset) {
        this.name = name;
        this.kind = kind;
        this.sectionIndex = sectionIndex;
        this.sectionOffset = sectionOffset;
    }

    public String name() {
        return name;
    }

    public Kind kind() {
        return kind;
    }

    /** Raw enum bpf_map_type value. */
    public int type() {
        return type;
    }

    public long keySize() {
        return keySize;
    }

    public long valueSize() {
        return valueSize;
    }

    public long maxEntries() {
        return maxEntries;
    }

    public long flags() {
        return flags;
    }

    public long numaNode() {
        return numaNode;
    }

    public long mapExtra() {
        return mapExtra;
    }

    public int pinning() {
        return pinning;
    }

    public int btfKeyTypeId() {
        return btfKeyTypeId;
    }

    public int btfValueTypeId() {
        return btfValueTypeId;
    }

    /** The inner map template of a map-in-map ({@code __array(values, struct inner)}). */
    public Optional<MapSpec> innerMap() {
        return Optional.ofNullable(inner);
    }

    /** Slots of a map-in-map initialised in the object (libbpf fills them from {@code .rel.maps}). */
    public List<InnerSlot> innerSlots() {
        return innerSlots;
    }

    public boolean isGlobalData() {
        return kind == Kind.RODATA || kind == Kind.DATA || kind == Kind.BSS || kind == Kind.KCONFIG;
    }

    /** {@code .rodata*}: read-only for the program (BPF_F_RDONLY_PROG) and frozen after load. */
    public boolean readOnly() {
        return kind == Kind.RODATA || kind == Kind.KCONFIG;
    }

    /** Copy of the initial value of a global-data map (its one element), or empty for other maps. */
    public Optional<byte[]> initialData() {
        return initialData == null ? Optional.empty() : Optional.of(initialData.clone());
    }

    /** Variables of a global-data map, from the BTF DATASEC (empty without BTF). */
    public List<DataVariable> variables() {
        return variables;
    }

    public Optional<DataVariable> variable(String varName) {
        for (DataVariable v : variables) {
            if (v.name().equals(varName)) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }

    /**
     * Overwrites a global variable's initial value (little-endian bytes, exactly its size), as
     * libbpf skeletons do before load.
     */
    public void setVariable(String varName, byte[] value) {
        DataVariable v = variable(varName).orElseThrow(() -> new IllegalArgumentException(
                "map '" + name + "' has no variable '" + varName + "'"));
        if (value.length != v.size()) {
            throw new IllegalArgumentException("variable '" + varName + "' in map '" + name + "' is " + v.size()
                    + " bytes, value has " + value.length);
        }
        System.arraycopy(value, 0, initialData, v.offset(), value.length);
    }

    /**
     * Resizes the map before it is created, as libbpf's {@code bpf_map__set_max_entries}: an
     * operator sizes a connection table or a prefix list for the deployment without recompiling.
     * Global-data maps (one entry by definition) and map-in-map outers with static slots beyond
     * the new size are refused.
     */
    public void setMaxEntries(long maxEntries) {
        if (isGlobalData()) {
            throw new IllegalArgumentException("map '" + name + "' is global data: it has exactly one entry");
        }
        if (maxEntries <= 0 || maxEntries > 0xffff_ffffL) {
            throw new IllegalArgumentException("map '" + name + "': max_entries must be in 1..2^32-1, not " + maxEntries);
        }
        for (InnerSlot s : innerSlots) {
            if (s.slot() >= maxEntries) {
                throw new IllegalArgumentException("map '" + name + "': static slot " + s.slot()
                        + " is beyond max_entries " + maxEntries);
            }
        }
        this.maxEntries = maxEntries;
    }

    @Override
    public String toString() {
        return "MapSpec[" + name + " kind=" + kind + " type=" + type + " key=" + keySize + " value=" + valueSize
                + " max=" + maxEntries + " flags=0x" + Long.toHexString(flags)
                + (inner != null ? " inner=" + inner : "")
                + (initialData != null ? " data=" + Arrays.toString(Arrays.copyOf(initialData,
                        Math.min(initialData.length, 16))) : "") + "]";
    }
}
