package io.jxdp.ebpf.engine;

import java.util.List;

/**
 * One map entry as user space sees it: the key and one value, or one value per CPU for per-CPU maps.
 */
public record MapEntry(byte[] key, List<byte[]> values) {
    public MapEntry {
        values = List.copyOf(values);
    }
}
