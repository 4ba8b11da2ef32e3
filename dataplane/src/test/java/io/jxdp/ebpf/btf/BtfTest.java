package io.jxdp.ebpf.btf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.elf.ElfFile;
import java.io.IOException;
import java.io.InputStream;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Facts from {@code bpftool btf dump file btfkinds.o / globals.o}. */
class BtfTest {
    static byte[] section(String fixture, String name) throws IOException {
        byte[] b;
        try (InputStream in = BtfTest.class.getResourceAsStream("/elf/" + fixture)) {
            b = in.readAllBytes();
        }
        ElfFile elf = ElfFile.parse(b);
        return elf.data(elf.section(name).orElseThrow(), 0);
    }

    @Test
    void everyKindClangEmitsIsDecoded() throws IOException {
        Btf btf = Btf.parse(section("btfkinds.o", ".BTF"));
        assertEquals(36, btf.typeCount());
        Set<BtfKind> seen = EnumSet.noneOf(BtfKind.class);
        for (int id = 1; id <= btf.typeCount(); id++) {
            seen.add(btf.type(id).kind());
        }
        Btf globals = Btf.parse(section("globals.o", ".BTF"));
        for (int id = 1; id <= globals.typeCount(); id++) {
            seen.add(globals.type(id).kind());
        }
        assertEquals(EnumSet.complementOf(EnumSet.of(BtfKind.UNKN)), seen, "all 19 kinds across the fixtures");

        BtfType color = btf.type(17);
        assertEquals(BtfKind.ENUM, color.kind());
        assertEquals(List.of(new BtfMember("RED", 0, 1, 0), new BtfMember("GREEN", 0, 2, 0),
                new BtfMember("BLUE", 0, -1, 0)), color.members(), "signed enum (kind_flag)");
        BtfType big = btf.type(19);
        assertEquals(BtfKind.ENUM64, big.kind());
        assertEquals(0x123456789aL, big.members().get(0).offset());
        assertEquals(8, btf.sizeOf(19));
        assertEquals(BtfKind.UNION, btf.type(21).kind());
        assertEquals(4, btf.sizeOf(21));
        assertEquals(BtfKind.FLOAT, btf.type(25).kind());
        assertEquals("double", btf.type(25).name());
        assertEquals(8, btf.sizeOf(26), "VAR 'ratio' resolves to double");
        BtfType tagged = btf.type(27);
        assertEquals(32, tagged.size());
        assertEquals(new BtfMember("bits", 4, 192, 3), tagged.members().get(4), "bitfield via kind_flag");
        assertEquals(new BtfMember("more", 4, 195, 5), tagged.members().get(5));
        BtfType decl = btf.type(28);
        assertEquals(BtfKind.DECL_TAG, decl.kind());
        assertEquals("flagged", decl.name());
        assertEquals(1, decl.declTagComponentIdx());
        assertEquals(BtfKind.TYPE_TAG, btf.type(29).kind());
        assertEquals(6, btf.skipModsAndTypedefs(29));
        assertEquals(BtfKind.FWD, btf.type(32).kind());
        assertThrows(BtfException.class, () -> btf.sizeOf(32), "a forward declaration has no size");
        assertEquals(BtfKind.RESTRICT, btf.type(9).kind());
        assertEquals(8, btf.sizeOf(9), "restrict pointer");
        assertEquals(4, btf.sizeOf(14), "char[4]");
        assertEquals(32, btf.type(4).intBits());
        assertEquals(1, btf.type(6).intEncoding(), "int is BTF_INT_SIGNED");
        BtfType data = btf.find(BtfKind.DATASEC, ".data").orElseThrow();
        assertEquals(List.of("favourite", "huge_value", "number", "ratio"),
                data.members().stream().map(BtfMember::name).toList());
        assertEquals(1, btf.type(18).linkage(), "global VAR");
        assertEquals(0, btf.type(12).linkage(), "static FUNC 'sum'");
        assertTrue(btf.find(BtfKind.STRUCT, "nope").isEmpty());
    }

    @Test
    void modifiersAndTypedefsResolve() throws IOException {
        Btf btf = Btf.parse(section("globals.o", ".BTF"));
        // [35] VAR drop_port -> [33] CONST -> [34] VOLATILE -> [7] TYPEDEF __u32 -> [8] unsigned int
        assertEquals(BtfKind.CONST, btf.type(33).kind());
        assertEquals(BtfKind.VOLATILE, btf.type(34).kind());
        assertEquals(8, btf.skipModsAndTypedefs(33));
        assertEquals(4, btf.sizeOf(35));
        assertEquals(8, btf.sizeOf(38));
    }

    @Test
    void typedefCycleEndsInAnError() throws IOException {
        byte[] b = section("globals.o", ".BTF");
        Btf ok = Btf.parse(b);
        // [33] CONST -> [34]; make [34] VOLATILE point back at [33]
        int p = typeOffset(b, 34);
        b[p + 8] = 33;
        Btf cyclic = Btf.parse(b);
        assertEquals(BtfKind.VOLATILE, ok.type(34).kind());
        BtfException e = assertThrows(BtfException.class, () -> cyclic.sizeOf(35));
        assertTrue(e.getMessage().contains("longer than " + Btf.MAX_RESOLVE_DEPTH), e.getMessage());
        assertThrows(BtfException.class, () -> cyclic.skipModsAndTypedefs(33));
    }

    @Test
    void btfExtRecordsMatchBpftool() throws IOException {
        Btf btf = Btf.parse(section("subprogs.o", ".BTF"));
        BtfExt ext = BtfExt.parse(section("subprogs.o", ".BTF.ext"), btf);
        assertEquals(new BtfExt.FuncInfo("xdp", 0x28, 11), ext.funcInfo().get(1), "xdp_second at byte 0x28");
        assertEquals(8, ext.funcInfo().size());
        BtfExt.LineInfo li = ext.lineInfo().get(0);
        assertEquals("xdp", li.section());
        assertEquals("./subprogs.c", li.fileName());
        assertEquals(28, li.line());
        assertTrue(ext.coreRelos().isEmpty());
    }

    /** Byte offset in the .BTF section of type {@code id}'s record (walks records by kind). */
    static int typeOffset(byte[] b, int id) {
        int hdr = Btf.u16(b, 0) == Btf.MAGIC ? (int) Btf.u32(b, 4) : 0;
        int p = hdr + (int) Btf.u32(b, 8);
        for (int cur = 1; cur < id; cur++) {
            int info = (int) Btf.u32(b, p + 4);
            int vlen = info & 0xffff;
            int kind = (info >>> 24) & 0x1f;
            p += 12 + switch (kind) {
                case 1, 14, 17 -> 4;
                case 3 -> 12;
                case 4, 5, 15, 19 -> 12 * vlen;
                case 6, 13 -> 8 * vlen;
                default -> 0;
            };
        }
        return p;
    }
}
