package io.jxdp.ebpf.loader;

/** A BTF func_info record rebased to the linked program: the BTF FUNC type starting at insnIndex. */
public record FuncInfo(int insnIndex, int btfTypeId, String name) {
}
