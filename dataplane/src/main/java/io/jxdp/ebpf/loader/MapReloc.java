package io.jxdp.ebpf.loader;

/**
 * An LD_IMM64 at {@code insnIndex} (linked program) that refers to map {@code mapIndex} of
 * {@link BpfObject#maps()}. The loader has already set the instruction's src_reg to
 * BPF_PSEUDO_MAP_FD (MAP_FD) or BPF_PSEUDO_MAP_VALUE (MAP_VALUE), its imm to {@code mapIndex}
 * (to be replaced by the consumer's map handle) and, for MAP_VALUE, the second slot's imm to
 * {@code offset} (libbpf: insn[1].imm = insn[0].imm + sym->st_value).
 */
public record MapReloc(int insnIndex, int mapIndex, Kind kind, long offset) {
    public enum Kind { MAP_FD, MAP_VALUE }
}
