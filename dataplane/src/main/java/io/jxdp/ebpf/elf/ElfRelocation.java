package io.jxdp.ebpf.elf;

/** One Elf64_Rel entry (BPF objects use REL, not RELA: the addend sits in the patched field). */
public record ElfRelocation(long offset, int symbolIndex, int type) {
    /** R_BPF_64_64: ld_imm64 of a map or global data address. */
    public static final int R_BPF_64_64 = 1;
    /** R_BPF_64_ABS64: 64-bit absolute data (DWARF, .maps inner-map slots). */
    public static final int R_BPF_64_ABS64 = 2;
    /** R_BPF_64_ABS32: 32-bit absolute data (DWARF, .BTF). */
    public static final int R_BPF_64_ABS32 = 3;
    /** R_BPF_64_NODYLD32: 32-bit value already in place, for .BTF/.BTF.ext; never applied. */
    public static final int R_BPF_64_NODYLD32 = 4;
    /** R_BPF_64_32: call instruction immediate (bpf-to-bpf call). */
    public static final int R_BPF_64_32 = 10;

    /** True for the relocation types LLVM's BPF backend emits (llvm/BinaryFormat/ELFRelocs/BPF.def). */
    public static boolean isKnownType(int type) {
        return type == 0 || type == R_BPF_64_64 || type == R_BPF_64_ABS64 || type == R_BPF_64_ABS32
                || type == R_BPF_64_NODYLD32 || type == R_BPF_64_32;
    }
}
