package io.jxdp.ebpf.elf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A read-only view of a little-endian ELF64 relocatable object for EM_BPF, as clang emits it.
 *
 * <p>Every count read from the file (section count, symbol count, relocation count) is checked
 * against the file size before it drives a loop, and every offset before it is dereferenced, so
 * a hostile file yields an {@link ElfFormatException}, never an out-of-bounds access or a huge
 * allocation. Layouts follow elf(5) / {@code include/uapi/linux/elf.h} (Elf64_Ehdr, Elf64_Shdr,
 * Elf64_Sym, Elf64_Rel).
 */
public final class ElfFile {
    /** EM_BPF from {@code include/uapi/linux/elf-em.h}. */
    public static final int EM_BPF = 247;
    static final int ET_REL = 1;
    static final int EHDR_SIZE = 64;
    static final int SHDR_SIZE = 64;
    static final int SYM_SIZE = 24;
    static final int REL_SIZE = 16;

    private final byte[] data;
    private final List<ElfSection> sections;
    private final List<ElfSymbol> symbols;
    private final ElfSection symtab;

    private ElfFile(byte[] data, List<ElfSection> sections, List<ElfSymbol> symbols, ElfSection symtab) {
        this.data = data;
        this.sections = sections;
        this.symbols = symbols;
        this.symtab = symtab;
    }

    /** Parses the header, section table and symbol table; the array is not copied. */
    public static ElfFile parse(byte[] data) {
        if (data.length < EHDR_SIZE) {
            throw new ElfFormatException("ELF header truncated: file has " + data.length
                    + " bytes, header needs " + EHDR_SIZE);
        }
        if (data[0] != 0x7f || data[1] != 'E' || data[2] != 'L' || data[3] != 'F') {
            throw new ElfFormatException("not an ELF file: bad magic at offset 0");
        }
        if (data[4] != 2) {
            throw new ElfFormatException("ELF class " + data[4] + " at offset 4 is not ELFCLASS64 (2)");
        }
        if (data[5] != 1) {
            throw new ElfFormatException("ELF data encoding " + data[5]
                    + " at offset 5 is not little-endian ELFDATA2LSB (1)");
        }
        if (data[6] != 1) {
            throw new ElfFormatException("ELF ident version " + data[6] + " at offset 6 is not EV_CURRENT (1)");
        }
        int type = u16(data, 16);
        if (type != ET_REL) {
            throw new ElfFormatException("ELF type " + type + " at offset 16 is not ET_REL (1): "
                    + "BPF objects are relocatable files");
        }
        int machine = u16(data, 18);
        if (machine != EM_BPF) {
            throw new ElfFormatException("ELF machine " + machine + " at offset 18 is not EM_BPF (247)");
        }
        long shoff = i64(data, 0x28);
        int shentsize = u16(data, 0x3a);
        int shnum = u16(data, 0x3c);
        int shstrndx = u16(data, 0x3e);
        if (shnum == 0) {
            throw new ElfFormatException("ELF file has no section table (e_shnum = 0 at offset 0x3c)");
        }
        if (shentsize != SHDR_SIZE) {
            throw new ElfFormatException("section header size " + shentsize + " at offset 0x3a is not "
                    + SHDR_SIZE);
        }
        checkRange(data, shoff, (long) shnum * SHDR_SIZE, "section header table (e_shoff at 0x28)");
        if (shstrndx >= shnum) {
            throw new ElfFormatException("section name table index " + shstrndx + " at offset 0x3e is not below "
                    + "section count " + shnum);
        }
        long[][] raw = new long[shnum][];
        for (int i = 0; i < shnum; i++) {
            int at = (int) (shoff + (long) i * SHDR_SIZE);
            raw[i] = new long[] {
                u32(data, at), u32(data, at + 4), i64(data, at + 8), i64(data, at + 24),
                i64(data, at + 32), u32(data, at + 40), u32(data, at + 44), i64(data, at + 48), i64(data, at + 56)
            };
            int shType = (int) raw[i][1];
            if (shType != ElfSection.SHT_NOBITS && shType != ElfSection.SHT_NULL) {
                checkRange(data, raw[i][3], raw[i][4], "section " + i + " (header at offset " + at + ")");
            }
        }
        long[] strHdr = raw[shstrndx];
        if (strHdr[1] != ElfSection.SHT_STRTAB) {
            throw new ElfFormatException("section name table (section " + shstrndx + ") has type " + strHdr[1]
                    + ", not SHT_STRTAB");
        }
        List<ElfSection> secs = new ArrayList<>(shnum);
        for (int i = 0; i < shnum; i++) {
            long[] h = raw[i];
            String name = i == 0 ? "" : string(data, strHdr[3], strHdr[4], h[0], "section name table",
                    "name of section " + i);
            secs.add(new ElfSection(i, name, (int) h[1], h[2], h[3], h[4], (int) h[5], (int) h[6], h[7], h[8]));
        }
        ElfSection symtab = null;
        for (ElfSection s : secs) {
            if (s.type() == ElfSection.SHT_SYMTAB) {
                if (symtab != null) {
                    throw new ElfFormatException("more than one SHT_SYMTAB: " + symtab + " and " + s);
                }
                symtab = s;
            }
        }
        List<ElfSymbol> syms = symtab == null ? List.of() : readSymbols(data, secs, symtab);
        return new ElfFile(data, Collections.unmodifiableList(secs), Collections.unmodifiableList(syms), symtab);
    }

    private static List<ElfSymbol> readSymbols(byte[] data, List<ElfSection> secs, ElfSection symtab) {
        if (symtab.entSize() != SYM_SIZE) {
            throw new ElfFormatException(symtab + ": symbol entry size " + symtab.entSize() + " is not " + SYM_SIZE);
        }
        if (symtab.size() % SYM_SIZE != 0) {
            throw new ElfFormatException(symtab + ": size " + symtab.size() + " is not a multiple of " + SYM_SIZE);
        }
        if (symtab.link() <= 0 || symtab.link() >= secs.size()
                || secs.get(symtab.link()).type() != ElfSection.SHT_STRTAB) {
            throw new ElfFormatException(symtab + ": sh_link " + symtab.link() + " is not a string table");
        }
        ElfSection strtab = secs.get(symtab.link());
        int n = (int) (symtab.size() / SYM_SIZE);
        List<ElfSymbol> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int at = (int) (symtab.offset() + (long) i * SYM_SIZE);
            long nameOff = u32(data, at);
            String name = string(data, strtab.offset(), strtab.size(), nameOff, strtab.name(),
                    "name of symbol " + i + " (at offset " + at + ")");
            int shndx = u16(data, at + 6);
            out.add(new ElfSymbol(i, name, data[at + 4] & 0xff, data[at + 5] & 0xff, shndx,
                    i64(data, at + 8), i64(data, at + 16)));
        }
        return out;
    }

    public List<ElfSection> sections() {
        return sections;
    }

    public ElfSection section(int index) {
        if (index < 0 || index >= sections.size()) {
            throw new ElfFormatException("section index " + index + " out of range (file has "
                    + sections.size() + " sections)");
        }
        return sections.get(index);
    }

    /** The first section with this name. */
    public Optional<ElfSection> section(String name) {
        for (ElfSection s : sections) {
            if (s.name().equals(name)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** All of .symtab, index 0 being the null symbol; empty when the file has no symbol table. */
    public List<ElfSymbol> symbols() {
        return symbols;
    }

    public ElfSymbol symbol(int index, ElfSection usedBy, long atOffset) {
        if (index <= 0 || index >= symbols.size()) {
            throw new ElfFormatException(usedBy + " offset " + atOffset + ": relocation refers to missing symbol #"
                    + index + " (symbol table has " + symbols.size() + " entries)");
        }
        return symbols.get(index);
    }

    /** Copy of a section's bytes; SHT_NOBITS sections read as zeros, up to {@code maxNobits} bytes. */
    public byte[] data(ElfSection s, long maxNobits) {
        if (s.type() == ElfSection.SHT_NOBITS) {
            if (s.size() < 0 || s.size() > maxNobits) {
                throw new ElfFormatException(s + ": SHT_NOBITS size " + s.size() + " exceeds the supported "
                        + maxNobits + " bytes");
            }
            return new byte[(int) s.size()];
        }
        return Arrays.copyOfRange(data, (int) s.offset(), (int) (s.offset() + s.size()));
    }

    /**
     * The relocations of an SHT_REL section. Entry count comes from the (bounds-checked) section
     * size, types are checked against the known R_BPF_* set.
     */
    public List<ElfRelocation> relocations(ElfSection rel) {
        if (rel.type() != ElfSection.SHT_REL) {
            throw new ElfFormatException(rel + " is not SHT_REL");
        }
        if (rel.size() % REL_SIZE != 0) {
            throw new ElfFormatException(rel + ": size " + rel.size() + " is not a multiple of " + REL_SIZE);
        }
        int n = (int) (rel.size() / REL_SIZE);
        List<ElfRelocation> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int at = (int) (rel.offset() + (long) i * REL_SIZE);
            long info = i64(data, at + 8);
            int type = (int) info;
            if (!ElfRelocation.isKnownType(type)) {
                throw new ElfFormatException(rel + " entry " + i + " (file offset " + at + "): bad relocation type "
                        + Integer.toUnsignedString(type));
            }
            long sym = info >>> 32;
            out.add(new ElfRelocation(i64(data, at), sym > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) sym, type));
        }
        return out;
    }

    /** Section index of a symbol table, or -1 when there is none. */
    public int symtabIndex() {
        return symtab == null ? -1 : symtab.index();
    }

    static void checkRange(byte[] data, long off, long len, String what) {
        if (off < 0 || len < 0 || off > data.length || len > data.length - off) {
            throw new ElfFormatException(what + ": bytes [" + Long.toUnsignedString(off) + ", +"
                    + Long.toUnsignedString(len) + ") lie outside the file of " + data.length + " bytes");
        }
    }

    /** A NUL-terminated string at {@code off} inside the table at [tabOff, tabOff+tabLen). */
    static String string(byte[] data, long tabOff, long tabLen, long off, String table, String what) {
        if (off < 0 || off >= tabLen) {
            throw new ElfFormatException(what + ": string offset " + off + " is outside " + table + " (size "
                    + tabLen + ")");
        }
        int start = (int) (tabOff + off);
        int end = (int) (tabOff + tabLen);
        for (int i = start; i < end; i++) {
            if (data[i] == 0) {
                return new String(data, start, i - start, StandardCharsets.UTF_8);
            }
        }
        throw new ElfFormatException(what + ": string at offset " + off + " in " + table + " is not NUL-terminated");
    }

    static int u16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    static long u32(byte[] b, int at) {
        return (b[at] & 0xffL) | (b[at + 1] & 0xffL) << 8 | (b[at + 2] & 0xffL) << 16 | (b[at + 3] & 0xffL) << 24;
    }

    static long i64(byte[] b, int at) {
        return u32(b, at) | u32(b, at + 4) << 32;
    }
}
