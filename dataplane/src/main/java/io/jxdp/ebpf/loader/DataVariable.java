package io.jxdp.ebpf.loader;

/** A variable of a global-data section (BTF DATASEC entry), offset and size in bytes. */
public record DataVariable(String name, int offset, int size) {
}
