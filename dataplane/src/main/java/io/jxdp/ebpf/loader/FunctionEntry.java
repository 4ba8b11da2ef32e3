package io.jxdp.ebpf.loader;

/**
 * Where one function starts in a linked program: index 0 is the program itself, the rest are
 * the appended subprograms, in the order libbpf appends them.
 */
public record FunctionEntry(int insnIndex, String name, int insnCount) {
}
