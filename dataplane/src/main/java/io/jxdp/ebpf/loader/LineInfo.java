package io.jxdp.ebpf.loader;

/** A BTF line_info record rebased to the linked program's instruction index. */
public record LineInfo(int insnIndex, String file, String line, int lineNo, int col) {
}
