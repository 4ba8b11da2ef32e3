package io.jxdp.ebpf.loader;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Facts checked by hand against {@code llvm-readelf-19 -S -s -r}, {@code llvm-objdump-19 -d}
 * and {@code bpftool btf dump file} on the committed fixtures.
 */
class BpfObjectLoaderTest {
    private static final int BPF_MAP_TYPE_HASH = 1;
    private static final int BPF_MAP_TYPE_ARRAY = 2;
    private static final int BPF_MAP_TYPE_PERCPU_ARRAY = 6;
    private static final int BPF_MAP_TYPE_ARRAY_OF_MAPS = 12;
    private static final int BPF_MAP_TYPE_DEVMAP = 14;
    private static final int BPF_F_NO_PREALLOC = 1;

    private static long[] insns(BpfObject o, String prog) {
        return o.program(prog).orElseThrow().instructions();
    }

    @Test
    void btfMapsHashAndArray() throws Exception {
        BpfObject o = Fixtures.load("globals.o");
        assertEquals("globals", o.name());
        assertEquals("GPL", o.license());
        assertTrue(o.kernelVersion().isEmpty());
        MapSpec flows = o.map("flows").orElseThrow();
        assertEquals(MapSpec.Kind.BTF, flows.kind());
        assertEquals(BPF_MAP_TYPE_HASH, flows.type());
        assertEquals(12, flows.keySize(), "struct flow_key is 4+4+2+2 bytes");
        assertEquals(8, flows.valueSize());
        assertEquals(1024, flows.maxEntries());
        assertEquals(BPF_F_NO_PREALLOC, flows.flags());
        assertEquals(MapSpec.PIN_NONE, flows.pinning());
        assertEquals("flow_key", o.btf().type(flows.btfKeyTypeId()).name());
        assertEquals("__u64", o.btf().type(flows.btfValueTypeId()).name());
        MapSpec stats = o.map("stats").orElseThrow();
        assertEquals(BPF_MAP_TYPE_ARRAY, stats.type());
        assertEquals(4, stats.keySize());
        assertEquals(16, stats.valueSize());
        assertEquals(4, stats.maxEntries());
        assertEquals(MapSpec.PIN_BY_NAME, stats.pinning());
        assertEquals(0, stats.btfKeyTypeId(), "key_size given, no key type");
        assertTrue(stats.innerMap().isEmpty());
    }

    @Test
    void globalDataMapsFollowLibbpfNamingAndFlags() throws Exception {
        BpfObject o = Fixtures.load("globals.o");
        List<String> names = o.maps().stream().map(MapSpec::name).toList();
        assertEquals(List.of("flows", "stats", "globals.rodata", "globals.data", "globals.bss"), names);
        MapSpec ro = o.map("globals.rodata").orElseThrow();
        assertEquals(MapSpec.Kind.RODATA, ro.kind());
        assertTrue(ro.readOnly());
        assertEquals(BPF_MAP_TYPE_ARRAY, ro.type());
        assertEquals(4, ro.keySize());
        assertEquals(16, ro.valueSize(), ".rodata size 0x10");
        assertEquals(1, ro.maxEntries());
        assertEquals(MapSpec.BPF_F_RDONLY_PROG | MapSpec.BPF_F_MMAPABLE, ro.flags());
        assertEquals(List.of(new DataVariable("drop_port", 0, 4), new DataVariable("magic", 8, 8)), ro.variables());
        assertArrayEquals(new byte[] {53, 0, 0, 0, 0, 0, 0, 0, (byte) 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11},
                ro.initialData().orElseThrow());
        MapSpec data = o.map("globals.data").orElseThrow();
        assertFalse(data.readOnly());
        assertEquals(MapSpec.BPF_F_MMAPABLE, data.flags());
        assertEquals(12, data.valueSize());
        assertEquals(List.of(new DataVariable("packets", 0, 8), new DataVariable("seen_a", 8, 4)), data.variables());
        assertArrayEquals(new byte[] {7, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0}, data.initialData().orElseThrow());
        MapSpec bss = o.map("globals.bss").orElseThrow();
        assertEquals(MapSpec.Kind.BSS, bss.kind());
        assertArrayEquals(new byte[12], bss.initialData().orElseThrow());
        assertEquals(".rodata", o.btf().type(ro.btfValueTypeId()).name());
    }

    @Test
    void setGlobalRewritesConstVolatileBeforeLoad() throws Exception {
        BpfObject o = Fixtures.load("globals.o");
        o.setGlobal("drop_port", new byte[] {(byte) 0xbb, 0x01, 0, 0});
        byte[] ro = o.map("globals.rodata").orElseThrow().initialData().orElseThrow();
        assertEquals((byte) 0xbb, ro[0]);
        assertEquals(0x01, ro[1]);
        assertEquals((byte) 0x88, ro[8], "magic untouched");
        assertThrows(IllegalArgumentException.class, () -> o.setGlobal("drop_port", new byte[8]));
        assertThrows(IllegalArgumentException.class, () -> o.setGlobal("nope", new byte[4]));
        // initialData() hands out copies
        o.map("globals.rodata").orElseThrow().initialData().orElseThrow()[0] = 0;
        assertEquals((byte) 0xbb, o.map("globals.rodata").orElseThrow().initialData().orElseThrow()[0]);
    }

    @Test
    void mapAndGlobalDataRelocations() throws Exception {
        BpfObject o = Fixtures.load("globals.o");
        ProgramSpec p = o.program("xdp_globals").orElseThrow();
        assertEquals(ProgramType.XDP, p.type());
        assertEquals("xdp", p.sectionName());
        assertEquals(50, p.instructionCount(), "xdp section is 0x190 bytes");
        int ro = 2;
        int data = 3;
        int bss = 4;
        // .relxdp offsets 0x30 0x60 0x90 0xb8 0xe0 0xf8 0x120 0x150 -> insns 6 12 18 23 28 31 36 42
        assertEquals(List.of(
                new MapReloc(6, ro, MapReloc.Kind.MAP_VALUE, 0),
                new MapReloc(12, 0, MapReloc.Kind.MAP_FD, 0),
                new MapReloc(18, data, MapReloc.Kind.MAP_VALUE, 0),
                new MapReloc(23, data, MapReloc.Kind.MAP_VALUE, 8),
                new MapReloc(28, ro, MapReloc.Kind.MAP_VALUE, 8),
                new MapReloc(31, bss, MapReloc.Kind.MAP_VALUE, 0),
                new MapReloc(36, bss, MapReloc.Kind.MAP_VALUE, 8),
                new MapReloc(42, 1, MapReloc.Kind.MAP_FD, 0)), p.mapRelocs());
        long[] in = p.instructions();
        for (MapReloc r : p.mapRelocs()) {
            assertEquals(RawInsn.LD_IMM64, RawInsn.code(in[r.insnIndex()]));
            int src = r.kind() == MapReloc.Kind.MAP_FD ? RawInsn.PSEUDO_MAP_FD : RawInsn.PSEUDO_MAP_VALUE;
            assertEquals(src, RawInsn.src(in[r.insnIndex()]));
            assertEquals(r.mapIndex(), RawInsn.imm(in[r.insnIndex()]));
            assertEquals(r.offset(), RawInsn.imm(in[r.insnIndex() + 1]));
        }
    }

    @Test
    void lineAndFuncInfoOfSingleProgram() throws Exception {
        ProgramSpec p = Fixtures.load("globals.o").program("xdp_globals").orElseThrow();
        assertEquals(List.of(new FuncInfo(0, 29, "xdp_globals")), p.funcInfo());
        assertEquals(17, p.lineInfo().size());
        assertEquals(new LineInfo(0, "./globals.c", "int xdp_globals(struct xdp_md *ctx)", 38, 0),
                p.lineInfo().get(0));
        assertEquals(new LineInfo(12, "./globals.c", "    v = bpf_map_lookup_elem(&flows, &k);", 46, 9),
                p.lineInfo().get(7));
        assertEquals(new LineInfo(47, "./globals.c", "}", 56, 1), p.lineInfo().get(16));
    }

    @Test
    void subprogramsAreAppendedPerProgramAsLibbpfDoes() throws Exception {
        BpfObject o = Fixtures.load("subprogs.o");
        assertEquals("Dual BSD/GPL", o.license());
        assertEquals(List.of("xdp_first", "xdp_second", "xdp_loop", "tc_prog", "sock_prog"),
                o.programs().stream().map(ProgramSpec::name).toList(), ".text functions are not entry programs");
        assertTrue(o.program("mix").isEmpty());

        ProgramSpec first = o.program("xdp_first").orElseThrow();
        assertEquals(List.of(new FunctionEntry(0, "xdp_first", 5), new FunctionEntry(5, "mix", 5)), first.functions());
        assertEquals(10, first.instructionCount());
        assertEquals(2, RawInsn.imm(first.instructions()[2]), "call at 2 -> mix at 5");

        ProgramSpec second = o.program("xdp_second").orElseThrow();
        assertEquals(List.of(new FunctionEntry(0, "xdp_second", 4), new FunctionEntry(4, "twice", 4),
                new FunctionEntry(8, "mix", 5)), second.functions());
        long[] s = second.instructions();
        assertEquals(13, s.length);
        assertEquals(2, RawInsn.imm(s[1]), "call at 1 -> twice at 4 (ELF had call 4 against .text)");
        assertEquals(2, RawInsn.imm(s[5]), "twice's call at 5 -> mix at 8 (ELF had call -7, no relocation)");
        assertEquals(List.of(new FuncInfo(0, 11, "xdp_second"), new FuncInfo(4, 13, "twice"),
                new FuncInfo(8, 9, "mix")), second.funcInfo());
        assertEquals(new LineInfo(4, "./subprogs.c", "    return mix(a, a) + 1;", 15, 12), second.lineInfo().get(3));

        ProgramSpec tc = o.program("tc_prog").orElseThrow();
        assertEquals(ProgramType.SCHED_CLS, tc.type());
        assertEquals("tc", tc.sectionName());
        assertEquals(10, tc.instructionCount());
        assertArrayEquals(java.util.Arrays.copyOfRange(first.instructions(), 5, 10),
                java.util.Arrays.copyOfRange(tc.instructions(), 5, 10), "same mix body appended to both sections");

        ProgramSpec sock = o.program("sock_prog").orElseThrow();
        assertEquals(ProgramType.SOCKET_FILTER, sock.type());
        assertEquals(2, sock.instructionCount());
        assertEquals(1, sock.functions().size());
    }

    @Test
    void pseudoFuncCallbackAddressIsLinked() throws Exception {
        ProgramSpec p = Fixtures.load("subprogs.o").program("xdp_loop").orElseThrow();
        assertEquals("xdp.frags", p.sectionName());
        assertEquals(ProgramType.XDP, p.type());
        assertTrue(p.xdpFrags());
        assertEquals(List.of(new FunctionEntry(0, "xdp_loop", 14), new FunctionEntry(14, "loop_cb", 7)), p.functions());
        long ld = p.instructions()[5];
        assertEquals(RawInsn.LD_IMM64, RawInsn.code(ld));
        assertEquals(RawInsn.PSEUDO_FUNC, RawInsn.src(ld), "libbpf marks the ld_imm64 as BPF_PSEUDO_FUNC");
        assertEquals(8, RawInsn.imm(ld), "5 + 8 + 1 = 14, where loop_cb was appended");
        assertEquals(0xb5, RawInsn.imm(p.instructions()[8]), "helper call bpf_loop (181) untouched");
        assertTrue(p.mapRelocs().isEmpty());
    }

    @Test
    void legacyMapsSectionAndVersion() throws Exception {
        BpfObject o = Fixtures.load("legacy.o");
        assertEquals(0x050a00, o.kernelVersion().orElseThrow());
        assertNull(o.map("legacy.rodata").orElse(null));
        MapSpec counters = o.maps().get(0);
        assertEquals("counters", counters.name());
        assertEquals(MapSpec.Kind.LEGACY, counters.kind());
        assertEquals(BPF_MAP_TYPE_PERCPU_ARRAY, counters.type());
        assertEquals(4, counters.keySize());
        assertEquals(8, counters.valueSize());
        assertEquals(16, counters.maxEntries());
        MapSpec tx = o.maps().get(1);
        assertEquals("tx_ports", tx.name());
        assertEquals(BPF_MAP_TYPE_DEVMAP, tx.type());
        assertEquals(64, tx.maxEntries());
        ProgramSpec p = o.program("xdp_legacy").orElseThrow();
        assertEquals("xdp/redirect", p.sectionName());
        assertEquals(ProgramType.XDP, p.type());
        assertEquals(17, p.instructionCount());
        // .relxdp/redirect: 0x20 counters, 0x60 tx_ports (symbol value 0x1c = second 28-byte def)
        assertEquals(List.of(new MapReloc(4, 0, MapReloc.Kind.MAP_FD, 0), new MapReloc(12, 1, MapReloc.Kind.MAP_FD, 0)),
                p.mapRelocs());
    }

    @Test
    void mapInMapInnerSpecAndInitialSlots() throws Exception {
        BpfObject o = Fixtures.load("mapinmap.o");
        MapSpec outer = o.map("outer").orElseThrow();
        assertEquals(BPF_MAP_TYPE_ARRAY_OF_MAPS, outer.type());
        assertEquals(4, outer.keySize());
        assertEquals(4, outer.valueSize(), "map-in-map values are 4-byte map ids");
        assertEquals(4, outer.maxEntries());
        MapSpec inner = outer.innerMap().orElseThrow();
        assertEquals("outer.inner", inner.name());
        assertEquals(BPF_MAP_TYPE_ARRAY, inner.type());
        assertEquals(4, inner.keySize());
        assertEquals(4, inner.valueSize());
        assertEquals(8, inner.maxEntries());
        int b = o.maps().indexOf(o.map("inner_b").orElseThrow());
        int a = o.maps().indexOf(o.map("inner_a").orElseThrow());
        assertEquals(List.of(new MapSpec.InnerSlot(1, b, "inner_b"), new MapSpec.InnerSlot(3, a, "inner_a")),
                outer.innerSlots());
        int outerIdx = o.maps().indexOf(outer);
        assertEquals(List.of(new MapReloc(6, outerIdx, MapReloc.Kind.MAP_FD, 0)),
                o.program("xdp_mim").orElseThrow().mapRelocs());
    }

    @Test
    void coreRelocationsAreExposed() throws Exception {
        ProgramSpec p = Fixtures.load("btfkinds.o").program("xdp_kinds").orElseThrow();
        // bpftool: [8] STRUCT 'core_ctx'; c->data_end is member 1 -> access string "0:1", FIELD_BYTE_OFFSET
        assertEquals(List.of(new CoreReloc(23, 8, "0:1", 0)), p.coreRelocs());
        assertEquals(List.of(new FunctionEntry(0, "xdp_kinds", 28), new FunctionEntry(28, "sum", 4)), p.functions());
    }

    @Test
    void everyLinkedProgramSatisfiesTheLinkInvariants() throws Exception {
        int checked = 0;
        for (String f : Fixtures.LOADABLE) {
            for (ProgramSpec p : Fixtures.load(f).programs()) {
                LinkInvariants.check(p);
                checked++;
            }
        }
        assertEquals(11, checked);
    }

    @Test
    void customDataSectionsStringLiteralsAndStaticGlobals() throws Exception {
        BpfObject o = Fixtures.load("strings.o");
        assertEquals(List.of(".data.custom", "strings.bss", "strings.rodata"),
                o.maps().stream().map(MapSpec::name).toList(), "custom .data.* keeps its name");
        MapSpec bss = o.map("strings.bss").orElseThrow();
        assertEquals(0, bss.flags(), "only a static variable: not mmapable (libbpf map_is_mmapable)");
        assertEquals(List.of(new DataVariable("hidden_static", 0, 4)), bss.variables());
        MapSpec ro = o.map("strings.rodata").orElseThrow();
        assertEquals(MapSpec.BPF_F_RDONLY_PROG, ro.flags());
        assertEquals(new DataVariable("xdp_strings.____fmt", 4, 18), ro.variables().get(1), "bpf_printk format");
        byte[] fmt = java.util.Arrays.copyOfRange(ro.initialData().orElseThrow(), 4, 4 + 17);
        assertEquals("queue %u too high", new String(fmt, java.nio.charset.StandardCharsets.US_ASCII));
        o.setGlobal("limit", new byte[] {3, 0, 0, 0});
        assertEquals(3, o.map("strings.rodata").orElseThrow().initialData().orElseThrow()[0]);
        assertEquals(new MapReloc(19, 2, MapReloc.Kind.MAP_VALUE, 22),
                o.program("xdp_strings").orElseThrow().mapRelocs().get(4));
    }

    /** libxdp's .xdp_run_config and xdp-filter's features: skipped as libbpf skips them, and named. */
    @Test
    void unrecognizedDataSectionsAreSkipped() throws Exception {
        BpfObject o = Fixtures.load("unknownsec.o");
        assertEquals("GPL", o.license());
        assertEquals(List.of("xdp_pass_counter"), o.programs().stream().map(ProgramSpec::name).toList());
        assertEquals(List.of("counts"), o.maps().stream().map(MapSpec::name).toList());
        assertEquals(List.of("features", ".xdp_run_config"), o.skippedSections());
        assertEquals(List.of(new MapReloc(4, 0, MapReloc.Kind.MAP_FD, 0)),
                o.program("xdp_pass_counter").orElseThrow().mapRelocs());
        try (var e = io.jxdp.ebpf.xdp.InterpreterXdpEngine.create(o, "xdp_pass_counter")) {
            byte[] frame = new byte[60];
            assertEquals(io.jxdp.ebpf.engine.XdpAction.PASS, e.run(frame, 1).action());
            assertEquals(1, e.dumpMap("counts").get(0).values().get(0)[0]);
        }
        for (String f : Fixtures.LOADABLE) {
            if (!f.equals("unknownsec.o")) {
                assertEquals(List.of(), Fixtures.load(f).skippedSections(), f);
            }
        }
    }

    @Test
    void externKfuncIsRefusedWithSymbolAndOffset() {
        BpfLoadException e = assertThrows(BpfLoadException.class, () -> Fixtures.load("extern.o"));
        assertTrue(e.getMessage().contains("'bpf_rcu_read_lock'"), e.getMessage());
        assertTrue(e.getMessage().contains("section 'xdp'"), e.getMessage());
        assertTrue(e.getMessage().contains("byte offset 0"), e.getMessage());
        assertTrue(e.getMessage().contains("extern"), e.getMessage());
    }

    @Test
    void mapWithoutTypeIsRefused() {
        BpfLoadException e = assertThrows(BpfLoadException.class, () -> Fixtures.load("notype.o"));
        assertTrue(e.getMessage().contains("'untyped'"), e.getMessage());
        assertTrue(e.getMessage().contains("missing type"), e.getMessage());
    }

    @Test
    void loadsFromPathAndNamesObjectLikeLibbpf() throws Exception {
        Path tmp = java.nio.file.Files.createTempFile("my.prog", ".bpf.o");
        try {
            java.nio.file.Files.write(tmp, Fixtures.bytes("globals.o"));
            BpfObject o = BpfObjectLoader.load(tmp);
            String base = tmp.getFileName().toString();
            assertEquals(base.substring(0, base.indexOf('.')), o.name());
        } finally {
            java.nio.file.Files.deleteIfExists(tmp);
        }
        assertEquals("xdp_lb", BpfObjectLoader.objectName("/a/b/xdp_lb.bpf.o"));
        BpfLoadException e = assertThrows(BpfLoadException.class,
                () -> BpfObjectLoader.load(Path.of("/nonexistent/x.o")));
        assertTrue(e.getMessage().contains("/nonexistent/x.o"));
    }

    @Test
    void internalMapNamesAreTruncatedLikeLibbpf() {
        LoadContext c = new LoadContext("averyveryverylongname", new byte[0]);
        assertEquals("averyver.rodata", c.internalMapName(".rodata"));
        assertEquals("averyver.bss", c.internalMapName(".bss"));
        assertEquals(".rodata.str1.1", c.internalMapName(".rodata.str1.1"));
        assertEquals(".data.a_long_cu", c.internalMapName(".data.a-long-custom"),
                "custom sections keep their name, sanitised, 15 chars");
    }
}
