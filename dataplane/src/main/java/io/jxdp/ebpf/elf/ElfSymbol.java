package io.jxdp.ebpf.elf;

/** One Elf64_Sym entry; {@code index} is its position in .symtab. */
public record ElfSymbol(int index, String name, int info, int other, int sectionIndex, long value,
        long size) {
    public static final int STB_LOCAL = 0;
    public static final int STB_GLOBAL = 1;
    public static final int STB_WEAK = 2;
    public static final int STT_NOTYPE = 0;
    public static final int STT_OBJECT = 1;
    public static final int STT_FUNC = 2;
    public static final int STT_SECTION = 3;
    public static final int SHN_UNDEF = 0;

    public int bind() {
        return info >>> 4;
    }

    public int type() {
        return info & 0xf;
    }

    public boolean isUndefined() {
        return sectionIndex == SHN_UNDEF;
    }
}
