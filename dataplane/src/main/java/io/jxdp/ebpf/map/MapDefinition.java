package io.jxdp.ebpf.map;

import java.util.Objects;

/**
 * What {@code BPF_MAP_CREATE} is given: name, type, key and value sizes in bytes, maximum entries
 * and {@code map_flags} ({@link MapFlags}). Validation against the type happens in
 * {@link Maps#create}, with the kernel's errno.
 */
public record MapDefinition(String name, MapType type, int keySize, int valueSize, int maxEntries, int flags) {
    public MapDefinition {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
    }

    /** A definition without flags. */
    public static MapDefinition of(String name, MapType type, int keySize, int valueSize, int maxEntries) {
        return new MapDefinition(name, type, keySize, valueSize, maxEntries, 0);
    }

    @Override
    public String toString() {
        return "map '" + name + "' (" + type.kernelName() + ", key " + keySize + ", value " + valueSize
                + ", max_entries " + Integer.toUnsignedString(maxEntries) + ", flags 0x" + Integer.toHexString(flags) + ")";
    }
}
