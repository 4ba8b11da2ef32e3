package io.jxdp.ebpf.loader;

import io.jxdp.ebpf.btf.Btf;
import io.jxdp.ebpf.btf.BtfExt;
import io.jxdp.ebpf.btf.BtfKind;
import io.jxdp.ebpf.btf.BtfMember;
import io.jxdp.ebpf.btf.BtfType;
import io.jxdp.ebpf.elf.ElfFile;
import io.jxdp.ebpf.elf.ElfRelocation;
import io.jxdp.ebpf.elf.ElfSection;
import io.jxdp.ebpf.elf.ElfSymbol;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/** One load: reads sections, maps and relocations, then links every entry program (libbpf.c order). */
final class LoadContext {
    /** Largest SHT_NOBITS (.bss) section accepted; the kernel's array value limit is smaller still. */
    static final long MAX_NOBITS = 1L << 24;
    static final int BPF_MAP_TYPE_PROG_ARRAY = 3;
    static final int BPF_MAP_TYPE_ARRAY_OF_MAPS = 12;
    static final int BPF_MAP_TYPE_HASH_OF_MAPS = 13;
    static final int BPF_OBJ_NAME_LEN = 16;

    /** A function symbol in an executable section; insn offsets are in 8-byte slots. */
    static final class Func {
        final String name;
        final ElfSection sec;
        final int off;
        final int cnt;

        Func(String name, ElfSection sec, int off, int cnt) {
            this.name = name;
            this.sec = sec;
            this.off = off;
            this.cnt = cnt;
        }
    }

    enum RelKind { CALL, SUBPROG_ADDR, LD64, DATA }

    record Reloc(RelKind kind, long symOff, int mapIndex, String symName, long byteOffset) {
    }

    private final String objName;
    private final byte[] bytes;
    private ElfFile elf;
    private Btf btf;
    private BtfExt btfExt;
    private int textIdx = -1;
    private final Map<Integer, long[]> secInsns = new HashMap<>();
    private final Map<Integer, List<Func>> funcs = new HashMap<>();
    private final Map<Integer, Map<Integer, Reloc>> relocs = new HashMap<>();
    private final List<MapSpec> maps = new ArrayList<>();
    /** What load() was doing, for the catch-all error message. */
    String phase = "reading the ELF header";

    LoadContext(String objName, byte[] bytes) {
        this.objName = objName;
        this.bytes = bytes;
    }

    BpfObject load() throws BpfLoadException {
        elf = ElfFile.parse(bytes);
        phase = "reading license/version/BTF";
        String license = elf.section("license").map(s -> cString(elf.data(s, 0))).orElse("");
        OptionalInt version = OptionalInt.empty();
        var ver = elf.section("version");
        if (ver.isPresent() && ver.get().type() == ElfSection.SHT_PROGBITS) {
            byte[] v = elf.data(ver.get(), 0);
            if (v.length != 4) {
                throw err(ver.get(), 0, null, "version section must be 4 bytes, has " + v.length);
            }
            version = OptionalInt.of((v[0] & 0xff) | (v[1] & 0xff) << 8 | (v[2] & 0xff) << 16 | (v[3] & 0xff) << 24);
        }
        var btfSec = elf.section(".BTF");
        if (btfSec.isPresent()) {
            btf = Btf.parse(elf.data(btfSec.get(), 0));
            var ext = elf.section(".BTF.ext");
            if (ext.isPresent()) {
                btfExt = BtfExt.parse(elf.data(ext.get(), 0), btf);
            }
        }
        phase = "collecting programs";
        collectPrograms();
        phase = "reading the legacy maps section";
        collectLegacyMaps();
        phase = "reading BTF-defined maps in .maps";
        collectBtfMaps();
        phase = "creating global-data maps";
        collectDataMaps();
        phase = "collecting relocations";
        collectRelocations();
        List<ProgramSpec> programs = new ArrayList<>();
        for (ElfSection s : elf.sections()) {
            if (s.index() == textIdx || !funcs.containsKey(s.index())) {
                continue;
            }
            for (Func f : funcs.get(s.index())) {
                phase = "linking program '" + f.name + "' in section '" + s.name() + "'";
                programs.add(link(f));
            }
        }
        return new BpfObject(objName, license, version, programs, maps, btf, skippedSections());
    }

    /**
     * Sections loaded at run time (SHF_ALLOC) that are neither programs, {@code license},
     * {@code version}, map definitions nor global data: libbpf skips them ("elf: skipping
     * unrecognized data section", bpf_object__elf_collect), and so does jxdp. Examples: libxdp's
     * {@code .xdp_run_config}, xdp-filter's {@code features}. A program that refers to one still
     * fails, at its relocation.
     */
    private List<String> skippedSections() {
        List<String> skipped = new ArrayList<>();
        for (ElfSection s : elf.sections()) {
            if ((s.flags() & ElfSection.SHF_ALLOC) == 0 || s.index() == textIdx || secInsns.containsKey(s.index())
                    || dataKind(s) != null) {
                continue;
            }
            switch (s.name()) {
                case "license", "version", ".maps", "maps" -> { }
                default -> skipped.add(s.name());
            }
        }
        return skipped;
    }

    // ---------------------------------------------------------------- programs

    private void collectPrograms() throws BpfLoadException {
        for (ElfSection s : elf.sections()) {
            if (s.isExecutable() && s.name().equals(".text")) {
                textIdx = s.index();
            }
        }
        for (ElfSection s : elf.sections()) {
            if (!s.isExecutable() || s.size() == 0) {
                continue;
            }
            if (s.size() % RawInsn.SIZE != 0) {
                throw err(s, s.size(), null, "size " + s.size() + " is not a multiple of 8-byte instructions");
            }
            if (s.size() / RawInsn.SIZE > BpfObjectLoader.MAX_INSNS) {
                throw err(s, 0, null, "program too large: " + s.size() / RawInsn.SIZE + " instructions, limit "
                        + BpfObjectLoader.MAX_INSNS);
            }
            byte[] d = elf.data(s, 0);
            long[] insns = new long[d.length / RawInsn.SIZE];
            for (int i = 0; i < insns.length; i++) {
                insns[i] = RawInsn.read(d, i * RawInsn.SIZE);
            }
            secInsns.put(s.index(), insns);
        }
        for (ElfSymbol sym : elf.symbols()) {
            if (sym.type() != ElfSymbol.STT_FUNC || !secInsns.containsKey(sym.sectionIndex())) {
                continue;
            }
            ElfSection s = elf.section(sym.sectionIndex());
            long size = s.size();
            if (sym.value() < 0 || sym.value() % RawInsn.SIZE != 0 || sym.value() >= size) {
                throw err(s, sym.value(), sym.name(), "function offset is not an instruction inside the section");
            }
            if (sym.size() <= 0 || sym.size() % RawInsn.SIZE != 0 || sym.size() > size - sym.value()) {
                throw err(s, sym.value(), sym.name(), "function size " + sym.size()
                        + " is not a whole number of instructions inside the section");
            }
            if (s.index() != textIdx && sym.bind() == ElfSymbol.STB_LOCAL) {
                // libbpf: "program '%s' is static and not supported"
                throw err(s, sym.value(), sym.name(), "static (STB_LOCAL) entry programs are not supported");
            }
            funcs.computeIfAbsent(s.index(), k -> new ArrayList<>()).add(
                    new Func(sym.name(), s, (int) (sym.value() / 8), (int) (sym.size() / 8)));
        }
        for (List<Func> l : funcs.values()) {
            l.sort(Comparator.comparingInt(f -> f.off));
        }
    }

    /** The function of a section containing instruction {@code insn}, or null. */
    private Func funcAt(int secIdx, long insn) {
        List<Func> l = funcs.get(secIdx);
        if (l == null) {
            return null;
        }
        for (Func f : l) {
            if (insn >= f.off && insn < (long) f.off + f.cnt) {
                return f;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- maps

    private void collectLegacyMaps() throws BpfLoadException {
        var sec = elf.section("maps");
        if (sec.isEmpty()) {
            return;
        }
        ElfSection s = sec.get();
        List<ElfSymbol> syms = new ArrayList<>();
        for (ElfSymbol sym : elf.symbols()) {
            if (sym.sectionIndex() == s.index() && sym.type() != ElfSymbol.STT_SECTION) {
                syms.add(sym);
            }
        }
        if (syms.isEmpty()) {
            return;
        }
        if (s.type() != ElfSection.SHT_PROGBITS || s.size() == 0 || s.size() % syms.size() != 0) {
            throw err(s, 0, null, "unable to determine legacy map definition size: section size " + s.size()
                    + " for " + syms.size() + " maps");
        }
        syms.sort(Comparator.comparingLong(ElfSymbol::value));
        long defSize = s.size() / syms.size();
        byte[] d = elf.data(s, 0);
        for (ElfSymbol sym : syms) {
            if (sym.value() < 0 || sym.value() > s.size() - defSize) {
                throw err(s, sym.value(), sym.name(), "legacy map definition runs past the section end");
            }
            if (defSize < 4) {
                throw err(s, sym.value(), sym.name(), "map definition missing type (definition is " + defSize
                        + " bytes)");
            }
            // struct bpf_map_def: type, key_size, value_size, max_entries, map_flags; shorter
            // definitions read as zero, longer ones keep their extra fields unread.
            int at = (int) sym.value();
            MapSpec m = new MapSpec(sym.name(), MapSpec.Kind.LEGACY, s.index(), sym.value());
            m.definitionSize = defSize;
            m.type = (int) u32(d, at, defSize, 0);
            m.keySize = u32(d, at, defSize, 4);
            m.valueSize = u32(d, at, defSize, 8);
            m.maxEntries = u32(d, at, defSize, 12);
            m.flags = u32(d, at, defSize, 16);
            maps.add(m);
        }
    }

    private static long u32(byte[] d, int base, long defSize, int field) {
        if (field + 4 > defSize) {
            return 0;
        }
        int at = base + field;
        return (d[at] & 0xffL) | (d[at + 1] & 0xffL) << 8 | (d[at + 2] & 0xffL) << 16 | (d[at + 3] & 0xffL) << 24;
    }

    private void collectBtfMaps() throws BpfLoadException {
        var sec = elf.section(".maps");
        if (sec.isEmpty()) {
            return;
        }
        ElfSection s = sec.get();
        if (btf == null) {
            throw err(s, 0, null, "BTF-defined maps need a .BTF section");
        }
        BtfType datasec = btf.find(BtfKind.DATASEC, ".maps").orElseThrow(
                () -> err(s, 0, null, "no BTF DATASEC '.maps'"));
        for (BtfMember vi : datasec.members()) {
            BtfType var = btf.type(vi.type());
            String name = var.name();
            long off = symbolOffset(s, name, vi.offset());
            BtfType def = btf.type(nonVoid(s, off, name, btf.skipModsAndTypedefs(var.type())));
            if (def.kind() != BtfKind.STRUCT) {
                throw err(s, off, name, "map definition is " + def + ", not a struct");
            }
            // the variable may be larger than its struct: initialised `values` slots follow it
            long size = vi.size() != 0 ? vi.size() : def.size();
            if (def.size() > size) {
                throw err(s, off, name, "map definition struct of " + def.size() + " bytes exceeds its variable of "
                        + size + " bytes");
            }
            if (off < 0 || off > s.size() || size > s.size() - off) {
                throw err(s, off, name, "map definition of " + size + " bytes lies outside the section");
            }
            MapSpec m = new MapSpec(name, MapSpec.Kind.BTF, s.index(), off);
            m.definitionSize = size;
            parseBtfMapDef(s, m, def, false);
            maps.add(m);
        }
    }

    private int nonVoid(ElfSection s, long off, String sym, int id) throws BpfLoadException {
        if (id == 0) {
            throw err(s, off, sym, "BTF type resolves to void");
        }
        return id;
    }

    /** libbpf parse_btf_map_def: each member is a pointer-encoded attribute. */
    private void parseBtfMapDef(ElfSection s, MapSpec m, BtfType def, boolean inner) throws BpfLoadException {
        List<BtfMember> ms = def.members();
        for (int i = 0; i < ms.size(); i++) {
            BtfMember mem = ms.get(i);
            String f = mem.name();
            String where = m.name + "." + f;
            switch (f) {
                case "type" -> m.type = (int) attrInt(s, m, mem);
                case "max_entries" -> m.maxEntries = attrInt(s, m, mem);
                case "map_flags" -> m.flags = attrInt(s, m, mem);
                case "numa_node" -> m.numaNode = attrInt(s, m, mem);
                case "map_extra" -> m.mapExtra = attrInt(s, m, mem);
                case "pinning" -> {
                    long p = attrInt(s, m, mem);
                    if (p != MapSpec.PIN_NONE && p != MapSpec.PIN_BY_NAME) {
                        throw err(s, m.sectionOffset, where, "invalid pinning value " + p);
                    }
                    m.pinning = (int) p;
                }
                case "key_size", "value_size" -> {
                    long v = attrInt(s, m, mem);
                    boolean key = f.equals("key_size");
                    long old = key ? m.keySize : m.valueSize;
                    if (old != 0 && old != v) {
                        throw err(s, m.sectionOffset, where, "conflicting size " + old + " != " + v);
                    }
                    if (key) {
                        m.keySize = v;
                    } else {
                        m.valueSize = v;
                    }
                }
                case "key", "value" -> {
                    BtfType t = btf.type(nonVoid(s, m.sectionOffset, where, mem.type()));
                    if (t.kind() != BtfKind.PTR) {
                        throw err(s, m.sectionOffset, where, "__type spec is " + t + ", not a PTR");
                    }
                    long sz = btf.sizeOf(t.type());
                    boolean key = f.equals("key");
                    long old = key ? m.keySize : m.valueSize;
                    if (old != 0 && old != sz) {
                        throw err(s, m.sectionOffset, where, "conflicting size " + old + " != " + sz);
                    }
                    if (key) {
                        m.keySize = sz;
                        m.btfKeyTypeId = t.type();
                    } else {
                        m.valueSize = sz;
                        m.btfValueTypeId = t.type();
                    }
                }
                case "values" -> parseValues(s, m, def, mem, i, inner);
                default -> throw err(s, m.sectionOffset, where, "unknown map definition field '" + f + "'");
            }
        }
        if (m.type < 0) {
            throw err(s, m.sectionOffset, m.name, "map definition missing type");
        }
    }

    private void parseValues(ElfSection s, MapSpec m, BtfType def, BtfMember mem, int i, boolean inner)
            throws BpfLoadException {
        String where = m.name + ".values";
        if (inner) {
            throw err(s, m.sectionOffset, where, "multi-level inner maps are not supported");
        }
        if (i != def.members().size() - 1) {
            throw err(s, m.sectionOffset, where, "'values' must be the last member");
        }
        boolean mapInMap = m.type == BPF_MAP_TYPE_ARRAY_OF_MAPS || m.type == BPF_MAP_TYPE_HASH_OF_MAPS;
        if (!mapInMap && m.type != BPF_MAP_TYPE_PROG_ARRAY) {
            throw err(s, m.sectionOffset, where, "'values' needs a map-in-map or prog-array type (type "
                    + m.type + ")");
        }
        if (m.valueSize != 0 && m.valueSize != 4) {
            throw err(s, m.sectionOffset, where, "conflicting value size " + m.valueSize + " != 4");
        }
        m.valueSize = 4;
        BtfType arr = btf.type(nonVoid(s, m.sectionOffset, where, mem.type()));
        if (arr.kind() != BtfKind.ARRAY || arr.arrayNelems() != 0) {
            throw err(s, m.sectionOffset, where, "spec is " + arr + ", not a zero-sized array");
        }
        BtfType ptr = btf.type(nonVoid(s, m.sectionOffset, where, btf.skipModsAndTypedefs(arr.arrayElemType())));
        if (ptr.kind() != BtfKind.PTR) {
            throw err(s, m.sectionOffset, where, "array element is " + ptr + ", not a PTR");
        }
        BtfType target = btf.type(nonVoid(s, m.sectionOffset, where, btf.skipModsAndTypedefs(ptr.type())));
        m.valuesMemberOffset = mem.offset() / 8;
        if (!mapInMap) {
            if (target.kind() != BtfKind.FUNC_PROTO) {
                throw err(s, m.sectionOffset, where, "prog-array value is " + target + ", not a FUNC_PROTO");
            }
            return;
        }
        if (target.kind() != BtfKind.STRUCT) {
            throw err(s, m.sectionOffset, where, "inner map definition is " + target + ", not a struct");
        }
        MapSpec in = new MapSpec(m.name + ".inner", MapSpec.Kind.BTF, -1, -1);
        parseBtfMapDef(s, in, target, true);
        m.inner = in;
    }

    /** __uint(name, val): a pointer to an array of val elements (libbpf get_map_field_int). */
    private long attrInt(ElfSection s, MapSpec m, BtfMember mem) throws BpfLoadException {
        String where = m.name + "." + mem.name();
        BtfType t = btf.type(nonVoid(s, m.sectionOffset, where, btf.skipModsAndTypedefs(mem.type())));
        if (t.kind() != BtfKind.PTR) {
            throw err(s, m.sectionOffset, where, "attribute is " + t + ", not a PTR");
        }
        BtfType arr = btf.type(nonVoid(s, m.sectionOffset, where, t.type()));
        if (arr.kind() != BtfKind.ARRAY) {
            throw err(s, m.sectionOffset, where, "attribute points to " + arr + ", not an ARRAY");
        }
        return arr.arrayNelems();
    }

    /** Offset of a global symbol of this name in section s (libbpf fixes DATASEC offsets the same way). */
    private long symbolOffset(ElfSection s, String name, long btfOffset) {
        for (ElfSymbol sym : elf.symbols()) {
            if (sym.sectionIndex() == s.index() && sym.name().equals(name)
                    && sym.type() != ElfSymbol.STT_SECTION) {
                return sym.value();
            }
        }
        return btfOffset;
    }

    private void collectDataMaps() throws BpfLoadException {
        for (ElfSection s : elf.sections()) {
            MapSpec.Kind kind = dataKind(s);
            if (kind == null || s.size() == 0) {
                continue;
            }
            MapSpec m = new MapSpec(internalMapName(s.name()), kind, s.index(), 0);
            m.type = MapSpec.BPF_MAP_TYPE_ARRAY;
            m.keySize = 4;
            m.valueSize = s.size();
            m.maxEntries = 1;
            m.initialData = elf.data(s, MAX_NOBITS);
            m.definitionSize = s.size();
            if (kind == MapSpec.Kind.RODATA) {
                m.flags |= MapSpec.BPF_F_RDONLY_PROG;
            }
            if (btf != null) {
                var ds = btf.find(BtfKind.DATASEC, s.name());
                if (ds.isPresent()) {
                    m.btfValueTypeId = ds.get().id();
                    List<DataVariable> vars = new ArrayList<>();
                    boolean global = false;
                    for (BtfMember vi : ds.get().members()) {
                        BtfType var = btf.type(vi.type());
                        long off = symbolOffset(s, var.name(), vi.offset());
                        long size = vi.size() != 0 ? vi.size() : btf.sizeOf(var.type());
                        if (off < 0 || off > s.size() || size > s.size() - off) {
                            throw err(s, off, var.name(), "variable of " + size + " bytes lies outside the section");
                        }
                        vars.add(new DataVariable(var.name(), (int) off, (int) size));
                        global |= var.linkage() != 0;
                    }
                    m.variables = List.copyOf(vars);
                    // libbpf map_is_mmapable: any non-static variable makes the map mmapable
                    if (global) {
                        m.flags |= MapSpec.BPF_F_MMAPABLE;
                    }
                }
            }
            maps.add(m);
        }
    }

    private static MapSpec.Kind dataKind(ElfSection s) {
        String n = s.name();
        if (s.type() == ElfSection.SHT_PROGBITS && (s.flags() & ElfSection.SHF_EXECINSTR) == 0) {
            if (n.equals(".data") || n.startsWith(".data.")) {
                return MapSpec.Kind.DATA;
            }
            if (n.equals(".rodata") || n.startsWith(".rodata.")) {
                return MapSpec.Kind.RODATA;
            }
        }
        if (s.type() == ElfSection.SHT_NOBITS && (n.equals(".bss") || n.startsWith(".bss."))) {
            return MapSpec.Kind.BSS;
        }
        return null;
    }

    /** libbpf internal_map_name: object-name prefix for .data/.rodata/.bss, custom sections as-is. */
    String internalMapName(String secName) {
        int sfx = Math.max(7, secName.length());
        int pfx = secName.indexOf('.', 1) >= 0 ? 0 : Math.min(Math.max(BPF_OBJ_NAME_LEN - sfx - 1, 0),
                objName.length());
        String raw = objName.substring(0, pfx) + secName;
        if (raw.length() > BPF_OBJ_NAME_LEN - 1) {
            raw = raw.substring(0, BPF_OBJ_NAME_LEN - 1);
        }
        StringBuilder sb = new StringBuilder(raw.length());
        for (char c : raw.toCharArray()) {
            sb.append(Character.isLetterOrDigit(c) && c < 128 || c == '_' || c == '.' ? c : '_');
        }
        return sb.toString();
    }

    private int mapIndexAt(int secIdx, long offset) {
        for (int i = 0; i < maps.size(); i++) {
            MapSpec m = maps.get(i);
            if (m.sectionIndex == secIdx && m.sectionOffset == offset) {
                return i;
            }
        }
        return -1;
    }

    private int dataMapIndex(int secIdx) {
        for (int i = 0; i < maps.size(); i++) {
            if (maps.get(i).sectionIndex == secIdx && maps.get(i).isGlobalData()) {
                return i;
            }
        }
        return -1;
    }

    // ---------------------------------------------------------------- relocations

    private void collectRelocations() throws BpfLoadException {
        var mapsSec = elf.section(".maps");
        for (ElfSection rs : elf.sections()) {
            if (rs.type() != ElfSection.SHT_REL) {
                continue;
            }
            if (rs.link() != elf.symtabIndex()) {
                throw err(rs, 0, null, "sh_link " + rs.link() + " is not the symbol table");
            }
            List<ElfRelocation> rels = elf.relocations(rs); // checks every type
            if (rs.info() <= 0 || rs.info() >= elf.sections().size()) {
                throw err(rs, 0, null, "sh_info " + rs.info() + " names no section");
            }
            ElfSection target = elf.section(rs.info());
            if (secInsns.containsKey(target.index())) {
                for (ElfRelocation r : rels) {
                    recordProgReloc(target, r);
                }
            } else if (mapsSec.isPresent() && target.index() == mapsSec.get().index()) {
                for (ElfRelocation r : rels) {
                    recordMapSlot(target, r);
                }
            }
            // .rel.BTF, .rel.BTF.ext, .rel.debug_*: not needed for loading, as in libbpf.
        }
    }

    private void recordProgReloc(ElfSection s, ElfRelocation r) throws BpfLoadException {
        long off = r.offset();
        ElfSymbol sym = elf.symbol(r.symbolIndex(), s, off);
        String symName = sym.type() == ElfSymbol.STT_SECTION && sym.name().isEmpty() && sym.sectionIndex() > 0
                && sym.sectionIndex() < elf.sections().size() ? elf.section(sym.sectionIndex()).name() : sym.name();
        if (off < 0 || off % RawInsn.SIZE != 0 || off >= s.size()) {
            throw err(s, off, symName, "relocation offset is not an instruction of the section");
        }
        if (r.type() != ElfRelocation.R_BPF_64_64 && r.type() != ElfRelocation.R_BPF_64_32) {
            throw err(s, off, symName, "relocation type " + r.type() + " cannot apply to an instruction");
        }
        int insnIdx = (int) (off / RawInsn.SIZE);
        if (funcAt(s.index(), insnIdx) == null) {
            return; // libbpf: no program covers it (e.g. overridden weak function); skip.
        }
        long[] insns = secInsns.get(s.index());
        long insn = insns[insnIdx];
        if (sym.isUndefined()) {
            throw err(s, off, symName, "relocation against undefined (extern) symbol: kfuncs, ksyms and kconfig"
                    + " externs are not supported");
        }
        if (sym.sectionIndex() >= elf.sections().size()) {
            throw err(s, off, symName, "symbol's section index " + sym.sectionIndex() + " is out of range");
        }
        Reloc rel;
        if (RawInsn.code(insn) == RawInsn.CALL) {
            if (RawInsn.src(insn) != RawInsn.PSEUDO_CALL) {
                throw err(s, off, symName, "relocated call is not a bpf-to-bpf call (src_reg " + RawInsn.src(insn) + ")");
            }
            if (sym.sectionIndex() != textIdx) {
                throw err(s, off, symName, "call relocation against a symbol outside .text (section "
                        + elf.section(sym.sectionIndex()).name() + ")");
            }
            if (sym.value() % RawInsn.SIZE != 0) {
                throw err(s, off, symName, "call relocation against a misaligned symbol value " + sym.value());
            }
            rel = new Reloc(RelKind.CALL, sym.value(), -1, symName, off);
        } else {
            if (RawInsn.code(insn) != RawInsn.LD_IMM64 || insnIdx + 1 >= insns.length) {
                throw err(s, off, symName, "relocation against instruction with opcode 0x"
                        + Integer.toHexString(RawInsn.code(insn)) + ", expected a complete ld_imm64 (0x18)");
            }
            ElfSection symSec = elf.section(sym.sectionIndex());
            MapSpec.Kind dk = dataKind(symSec);
            if (sym.sectionIndex() == textIdx && (sym.type() == ElfSymbol.STT_FUNC
                    || sym.type() == ElfSymbol.STT_SECTION)) {
                // global function: st_value is its offset, imm 0; static: section symbol, imm the offset
                if (sym.value() % RawInsn.SIZE != 0 || RawInsn.imm(insn) % RawInsn.SIZE != 0) {
                    throw err(s, off, symName, "subprogram address " + sym.value() + "+" + RawInsn.imm(insn)
                            + " is not instruction aligned");
                }
                // libbpf bpf_object__relocate marks these so insn_is_pseudo_func() finds them
                insns[insnIdx] = RawInsn.withSrc(insn, RawInsn.PSEUDO_FUNC);
                rel = new Reloc(RelKind.SUBPROG_ADDR, sym.value(), -1, symName, off);
            } else if (symSec.name().equals(".maps") || symSec.name().equals("maps")) {
                int mi = mapIndexAt(symSec.index(), sym.value());
                if (mi < 0) {
                    throw err(s, off, symName, "map relocation finds no map at offset " + sym.value() + " of "
                            + symSec.name());
                }
                rel = new Reloc(RelKind.LD64, 0, mi, symName, off);
            } else if (dk != null) {
                int mi = dataMapIndex(symSec.index());
                if (mi < 0) {
                    throw err(s, off, symName, "data relocation against empty section " + symSec.name());
                }
                rel = new Reloc(RelKind.DATA, sym.value(), mi, symName, off);
            } else {
                throw err(s, off, symName, "bad map relocation against section '" + symSec.name() + "'");
            }
        }
        relocs.computeIfAbsent(s.index(), k -> new HashMap<>()).put(insnIdx, rel);
    }

    /** libbpf bpf_object__collect_map_relos: {@code .values = { [i] = &inner }} slots. */
    private void recordMapSlot(ElfSection mapsSec, ElfRelocation r) throws BpfLoadException {
        ElfSymbol sym = elf.symbol(r.symbolIndex(), mapsSec, r.offset());
        if (r.type() != ElfRelocation.R_BPF_64_ABS64) {
            throw err(mapsSec, r.offset(), sym.name(), "relocation type " + r.type()
                    + " in .maps, expected R_BPF_64_ABS64 (2)");
        }
        if (sym.sectionIndex() != mapsSec.index()) {
            throw err(mapsSec, r.offset(), sym.name(), ".maps relocation against a symbol that is not a BTF map");
        }
        MapSpec outer = null;
        for (MapSpec m : maps) {
            if (m.sectionIndex == mapsSec.index() && m.sectionOffset <= r.offset()
                    && r.offset() - m.sectionOffset + 8 <= m.definitionSize) {
                outer = m;
                break;
            }
        }
        if (outer == null) {
            throw err(mapsSec, r.offset(), sym.name(), "no map definition contains this relocation");
        }
        if (outer.type == BPF_MAP_TYPE_PROG_ARRAY) {
            throw err(mapsSec, r.offset(), sym.name(), "prog-array initial slots are not supported");
        }
        if (outer.type != BPF_MAP_TYPE_ARRAY_OF_MAPS && outer.type != BPF_MAP_TYPE_HASH_OF_MAPS
                || outer.valuesMemberOffset < 0) {
            throw err(mapsSec, r.offset(), sym.name(), "map '" + outer.name + "' has no 'values' to initialise");
        }
        if (outer.type == BPF_MAP_TYPE_HASH_OF_MAPS && outer.keySize != 4) {
            throw err(mapsSec, r.offset(), sym.name(), "hash-of-maps with initial values needs an int key");
        }
        long moff = r.offset() - outer.sectionOffset - outer.valuesMemberOffset;
        if (moff < 0 || moff % 8 != 0) {
            throw err(mapsSec, r.offset(), sym.name(), "relocation is not on a 'values' slot of '" + outer.name + "'");
        }
        long slot = moff / 8;
        if (slot >= outer.maxEntries) {
            throw err(mapsSec, r.offset(), sym.name(), "slot " + slot + " beyond max_entries " + outer.maxEntries);
        }
        int target = -1;
        for (int i = 0; i < maps.size(); i++) {
            if (maps.get(i).name.equals(sym.name())) {
                target = i;
            }
        }
        if (target < 0) {
            throw err(mapsSec, r.offset(), sym.name(), "inner map not found");
        }
        List<MapSpec.InnerSlot> slots = new ArrayList<>(outer.innerSlots);
        slots.removeIf(x -> x.slot() == slot);
        slots.add(new MapSpec.InnerSlot((int) slot, target, sym.name()));
        slots.sort(Comparator.comparingInt(MapSpec.InnerSlot::slot));
        outer.innerSlots = List.copyOf(slots);
    }

    // ---------------------------------------------------------------- linking

    /**
     * libbpf bpf_object__reloc_code: walk the program; at the first call (or PSEUDO_FUNC address)
     * to a .text subprogram not yet appended, append it and walk it before continuing (depth
     * first), then point the immediate at the appended copy. An explicit stack replaces
     * libbpf's recursion so deep call chains cannot overflow the Java stack.
     */
    private ProgramSpec link(Func main) throws BpfLoadException {
        long[] out = new long[Math.max(16, main.cnt)];
        int len = 0;
        Map<Func, Integer> placed = new IdentityHashMap<>();
        List<Func> order = new ArrayList<>();
        List<MapReloc> mapRelocs = new ArrayList<>();
        placed.put(main, 0);
        order.add(main);
        System.arraycopy(secInsns.get(main.sec.index()), main.off, out, 0, main.cnt);
        len = main.cnt;
        Deque<int[]> stack = new ArrayDeque<>(); // {order index, next insn}
        stack.push(new int[] {0, 0});
        while (!stack.isEmpty()) {
            int[] frame = stack.peek();
            Func f = order.get(frame[0]);
            int i = frame[1];
            if (i >= f.cnt) {
                stack.pop();
                continue;
            }
            int base = placed.get(f);
            int at = base + i;
            long insn = out[at];
            long byteOff = (long) (f.off + i) * RawInsn.SIZE;
            if (RawInsn.code(insn) == RawInsn.LD_IMM64) {
                if (i + 1 >= f.cnt) {
                    throw err(f.sec, byteOff, f.name, "ld_imm64 truncated at the end of the function");
                }
                frame[1] = i + 2;
            } else {
                frame[1] = i + 1;
            }
            Map<Integer, Reloc> secRel = relocs.get(f.sec.index());
            Reloc r = secRel == null ? null : secRel.get(f.off + i);
            if (r != null && (r.kind() == RelKind.LD64 || r.kind() == RelKind.DATA)) {
                applyMapReloc(f, out, at, r, mapRelocs);
                continue;
            }
            if (!RawInsn.isSubprogCall(insn) && !RawInsn.isPseudoFunc(insn)) {
                continue;
            }
            long sub;
            if (r != null) {
                if (r.kind() == RelKind.CALL) {
                    sub = r.symOff() / RawInsn.SIZE + RawInsn.imm(insn) + 1;
                } else {
                    long bytes = r.symOff() + RawInsn.imm(insn);
                    if (bytes % RawInsn.SIZE != 0) {
                        throw err(f.sec, byteOff, r.symName(), "code address " + bytes + " is not instruction aligned");
                    }
                    sub = bytes / RawInsn.SIZE;
                }
            } else if (RawInsn.isPseudoFunc(insn)) {
                throw err(f.sec, byteOff, f.name, "BPF_PSEUDO_FUNC ld_imm64 without relocation");
            } else {
                // static call within one section: imm is relative to the original position
                sub = (long) f.off + i + RawInsn.imm(insn) + 1;
            }
            Func target = textIdx < 0 ? null : funcAt(textIdx, sub);
            if (target == null) {
                throw err(f.sec, byteOff, r != null ? r.symName() : f.name, "call target .text instruction " + sub
                        + " is not inside any .text function");
            }
            if (target.off != sub) {
                throw err(f.sec, byteOff, target.name, "call target .text instruction " + sub
                        + " is inside function '" + target.name + "', not at its start");
            }
            Integer pos = placed.get(target);
            boolean fresh = pos == null;
            if (fresh) {
                if ((long) len + target.cnt > BpfObjectLoader.MAX_INSNS) {
                    throw err(main.sec, (long) main.off * 8, main.name, "program too large: linking '"
                            + target.name + "' exceeds " + BpfObjectLoader.MAX_INSNS + " instructions");
                }
                if (len + target.cnt > out.length) {
                    out = Arrays.copyOf(out, Math.max(out.length * 2, len + target.cnt));
                }
                System.arraycopy(secInsns.get(textIdx), target.off, out, len, target.cnt);
                pos = len;
                len += target.cnt;
                placed.put(target, pos);
                order.add(target);
            }
            out[at] = RawInsn.withImm(out[at], pos - at - 1);
            if (fresh) {
                stack.push(new int[] {order.size() - 1, 0});
            }
        }
        long[] insns = Arrays.copyOf(out, len);
        List<FunctionEntry> entries = new ArrayList<>();
        for (Func f : order) {
            entries.add(new FunctionEntry(placed.get(f), f.name, f.cnt));
        }
        mapRelocs.sort(Comparator.comparingInt(MapReloc::insnIndex));
        return new ProgramSpec(main.name, main.sec.name(), insns, mapRelocs, funcInfo(order, placed),
                lineInfo(order, placed), entries, coreRelocs(order, placed));
    }

    private void applyMapReloc(Func f, long[] out, int at, Reloc r, List<MapReloc> sink) throws BpfLoadException {
        MapSpec m = maps.get(r.mapIndex());
        if (r.kind() == RelKind.LD64) {
            out[at] = RawInsn.withImm(RawInsn.withSrc(out[at], RawInsn.PSEUDO_MAP_FD), r.mapIndex());
            sink.add(new MapReloc(at, r.mapIndex(), MapReloc.Kind.MAP_FD, 0));
            return;
        }
        // libbpf RELO_DATA: insn[1].imm = insn[0].imm + sym->st_value (32-bit arithmetic)
        int offset = (int) (RawInsn.imm(out[at]) + r.symOff());
        if (offset < 0 || offset >= m.valueSize) {
            throw err(f.sec, r.byteOffset(), r.symName(), "global data offset " + offset + " lies outside map '"
                    + m.name + "' of " + m.valueSize + " bytes");
        }
        out[at] = RawInsn.withImm(RawInsn.withSrc(out[at], RawInsn.PSEUDO_MAP_VALUE), r.mapIndex());
        out[at + 1] = RawInsn.withImm(out[at + 1], offset);
        sink.add(new MapReloc(at, r.mapIndex(), MapReloc.Kind.MAP_VALUE, offset));
    }

    /** Index in the linked program of a .BTF.ext byte offset, or -1 when no placed function holds it. */
    private static int rebase(List<Func> order, Map<Func, Integer> placed, String sec, long byteOff) {
        if (byteOff % RawInsn.SIZE != 0) {
            return -1;
        }
        long idx = byteOff / RawInsn.SIZE;
        for (Func f : order) {
            if (f.sec.name().equals(sec) && idx >= f.off && idx < (long) f.off + f.cnt) {
                return (int) (idx - f.off + placed.get(f));
            }
        }
        return -1;
    }

    private List<FuncInfo> funcInfo(List<Func> order, Map<Func, Integer> placed) throws BpfLoadException {
        List<FuncInfo> out = new ArrayList<>();
        if (btfExt == null) {
            return out;
        }
        for (BtfExt.FuncInfo fi : btfExt.funcInfo()) {
            int idx = rebase(order, placed, fi.section(), fi.insnByteOffset());
            if (idx >= 0) {
                // the kernel's check_btf_func demands one func_info per function, at its first insn
                // IdentityHashMap.containsValue compares Integers by reference: unbox instead
                if (placed.values().stream().noneMatch(start -> start == idx)) {
                    throw new BpfLoadException(objName + ": .BTF.ext func_info for section '" + fi.section()
                            + "' at byte offset " + fi.insnByteOffset() + " is not the start of a function");
                }
                String name = fi.typeId() > 0 && fi.typeId() <= btf.typeCount() ? btf.type(fi.typeId()).name() : "";
                out.add(new FuncInfo(idx, fi.typeId(), name));
            }
        }
        out.sort(Comparator.comparingInt(FuncInfo::insnIndex));
        return out;
    }

    private List<LineInfo> lineInfo(List<Func> order, Map<Func, Integer> placed) {
        List<LineInfo> out = new ArrayList<>();
        if (btfExt == null) {
            return out;
        }
        for (BtfExt.LineInfo li : btfExt.lineInfo()) {
            int idx = rebase(order, placed, li.section(), li.insnByteOffset());
            if (idx >= 0) {
                out.add(new LineInfo(idx, li.fileName(), li.lineText(), li.line(), li.column()));
            }
        }
        out.sort(Comparator.comparingInt(LineInfo::insnIndex));
        return out;
    }

    private List<CoreReloc> coreRelocs(List<Func> order, Map<Func, Integer> placed) {
        List<CoreReloc> out = new ArrayList<>();
        if (btfExt == null) {
            return out;
        }
        for (BtfExt.CoreRelo cr : btfExt.coreRelos()) {
            int idx = rebase(order, placed, cr.section(), cr.insnByteOffset());
            if (idx >= 0) {
                out.add(new CoreReloc(idx, cr.typeId(), cr.accessString(), cr.kind()));
            }
        }
        out.sort(Comparator.comparingInt(CoreReloc::insnIndex));
        return out;
    }

    // ---------------------------------------------------------------- helpers

    private static String cString(byte[] d) {
        int n = 0;
        while (n < d.length && d[n] != 0) {
            n++;
        }
        return new String(d, 0, n, StandardCharsets.UTF_8);
    }

    private BpfLoadException err(ElfSection s, long byteOffset, String symbol, String what) {
        return new BpfLoadException(objName + ": section '" + s.name() + "' (#" + s.index() + ") byte offset "
                + byteOffset + (symbol != null ? ", symbol '" + symbol + "'" : "") + ": " + what);
    }
}
