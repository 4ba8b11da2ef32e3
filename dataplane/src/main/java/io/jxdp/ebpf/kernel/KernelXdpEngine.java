package io.jxdp.ebpf.kernel;

import io.jxdp.ffi.affinity.Affinity;
import java.util.BitSet;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.engine.MapEntry;
import io.jxdp.ebpf.engine.XdpEngine;
import io.jxdp.ebpf.engine.XdpResult;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.MapReloc;
import io.jxdp.ebpf.loader.MapSpec;
import io.jxdp.ebpf.loader.ProgramSpec;
import io.jxdp.ebpf.loader.ProgramType;
import io.jxdp.ffi.bpf.Bpf;
import io.jxdp.ffi.bpf.BpfFlags;
import io.jxdp.ffi.bpf.BpfLoadException;
import io.jxdp.ffi.bpf.MapCreateAttr;
import io.jxdp.ffi.bpf.ProgLoadAttr;
import io.jxdp.ffi.bpf.TestRunAttr;
import io.jxdp.ffi.bpf.TestRunResult;
import io.jxdp.ffi.sys.Errno;
import io.jxdp.ffi.sys.NativeException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference engine: the program and its maps loaded into this machine's kernel, packets run with
 * BPF_PROG_TEST_RUN. It loads an object as libbpf would for a plain {@code bpf_object__load}: every
 * map of the object is created (global data as a one-element ARRAY named
 * {@code <8 chars of object>.<section>}, {@code .rodata} with BPF_F_RDONLY_PROG and frozen once its
 * initial value is written, libbpf.c {@code bpf_object__populate_internal_map}), each LD_IMM64 that
 * refers to a map gets the map's fd (BPF_PSEUDO_MAP_FD) or fd + offset (BPF_PSEUDO_MAP_VALUE), and
 * the program is loaded as BPF_PROG_TYPE_XDP. Maps are created without BTF, so maps whose type
 * needs BTF (spin locks, timers, kptrs) are refused by the kernel with a message naming the map.
 *
 * <p>Map-in-map maps are built as libbpf builds them: a throw-away map shaped like the inner map is
 * the outer map's {@code inner_map_fd}, and static slots ({@code .values = { [i] = &inner }}) are
 * filled with the inner maps' fds once every map exists ({@code bpf_object__init_map_in_map_slots}).
 * Programs in {@code SEC("xdp.frags")} load with BPF_F_XDP_HAS_FRAGS.
 *
 * <p>Not supported, refused with an {@link EngineException}: {@code .kconfig} externs, CO-RE
 * relocations, non-XDP programs.
 *
 * <p>One engine is meant for one thread at a time; each run pins the calling thread to CPU 0 and
 * restores its affinity afterwards, so per-CPU slots are comparable with jxdp's engines.
 */
public final class KernelXdpEngine implements XdpEngine {
    /** BPF_PSEUDO_MAP_FD / BPF_PSEUDO_MAP_VALUE src_reg values (include/uapi/linux/bpf.h). */
    static final int BPF_PSEUDO_MAP_FD = 1;
    static final int BPF_PSEUDO_MAP_VALUE = 2;
    /**
     * data_out room: a linear XDP test buffer is one page (net/bpf/test_run.c), so 4096 holds any
     * output of a frame up to 3520 bytes. Longer input becomes a multi-buffer frame whose output can
     * be the input plus the headroom plus a grown tail, so the capacity grows with the input.
     */
    static final int DATA_OUT_CAPACITY = 4096;
    /** 4096 - XDP_PACKET_HEADROOM (256) - skb_shared_info (320): the most a test run puts in the linear buffer. */
    static final int LINEAR_MAX = 4096 - 256 - 320;
    /** ETH_HLEN: bpf_prog_test_run_xdp refuses shorter input (bpf_test_init, net/bpf/test_run.c). */
    static final int ETH_HLEN = 14;
    /** BPF_OBJ_NAME_LEN - 1 (include/uapi/linux/bpf.h). */
    static final int MAX_NAME = 15;

    private final String objectName;
    private final String programName;
    private final Map<String, KernelMap> maps; // by user-facing name, object order
    private final int progFd;
    private final int cpus;
    private boolean closed;

    /**
     * QUEUE, STACK, RINGBUF, BLOOM_FILTER, USER_RINGBUF (include/uapi/linux/bpf.h): no keys; and
     * PERF_EVENT_ARRAY and XSKMAP, whose values user space cannot read (lookup: ENOTSUPP, EOPNOTSUPP
     * from xsk_map_lookup_elem_sys_only()). Dumped empty.
     */
    private static final java.util.Set<Integer> KEYLESS = java.util.Set.of(4, 17, 22, 23, 27, 30, 31);

    private record KernelMap(String name, int fd, int type, int keySize, int valueSize, boolean perCpu) {
        int slotSize() {
            return (valueSize + 7) & ~7;
        }
    }

    private KernelXdpEngine(String objectName, String programName, Map<String, KernelMap> maps, int progFd) {
        this.objectName = objectName;
        this.programName = programName;
        this.maps = maps;
        this.progFd = progFd;
        this.cpus = Bpf.numPossibleCpus();
    }

    /**
     * Creates {@code object}'s maps in the kernel and loads program {@code programName}.
     *
     * @throws EngineException naming the map or program the kernel refused, with the verifier log
     */
    public static KernelXdpEngine load(BpfObject object, String programName) {
        ProgramSpec prog = object.program(programName).orElseThrow(() -> new EngineException(
                "object '" + object.name() + "' has no program '" + programName + "' (it has "
                        + object.programs().stream().map(ProgramSpec::name).toList() + ")"));
        if (prog.type() != ProgramType.XDP) {
            throw new EngineException("program '" + programName + "' in section '" + prog.sectionName()
                    + "' is not an XDP program");
        }
        if (!prog.coreRelocs().isEmpty()) {
            throw new EngineException("program '" + programName + "' has " + prog.coreRelocs().size()
                    + " CO-RE relocations, which the kernel engine does not apply");
        }
        List<MapSpec> specs = object.maps();
        int[] fds = new int[specs.size()];
        Arrays.fill(fds, -1);
        Map<String, KernelMap> maps = new LinkedHashMap<>();
        boolean ok = false;
        try {
            for (int i = 0; i < specs.size(); i++) {
                KernelMap m = createMap(object.name(), specs.get(i));
                fds[i] = m.fd();
                if (maps.putIfAbsent(m.name(), m) != null) {
                    throw new EngineException("object '" + object.name() + "' has two maps named '" + m.name() + "'");
                }
            }
            // libbpf bpf_object__init_map_in_map_slots(): static ".values = { [i] = &inner }"
            for (int i = 0; i < specs.size(); i++) {
                for (MapSpec.InnerSlot slot : specs.get(i).innerSlots()) {
                    if (slot.mapIndex() < 0 || slot.mapIndex() >= fds.length) {
                        throw new EngineException("object '" + object.name() + "' map '" + specs.get(i).name()
                                + "': slot " + slot.slot() + " names no map of the object");
                    }
                    try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
                        MemorySegment k = a.allocate(java.lang.foreign.ValueLayout.JAVA_INT);
                        k.set(java.lang.foreign.ValueLayout.JAVA_INT, 0, slot.slot());
                        MemorySegment v = a.allocate(java.lang.foreign.ValueLayout.JAVA_INT);
                        v.set(java.lang.foreign.ValueLayout.JAVA_INT, 0, fds[slot.mapIndex()]);
                        Bpf.mapUpdate(fds[i], k, v, BpfFlags.BPF_ANY);
                    } catch (NativeException e) {
                        throw new EngineException("object '" + object.name() + "' map '" + specs.get(i).name()
                                + "' slot " + slot.slot() + ": " + e.getMessage(), e);
                    }
                }
            }
            long[] insns = prog.instructions();
            for (MapReloc r : prog.mapRelocs()) {
                patch(insns, r, fds, programName);
            }
            int fd = loadProgram(object, prog, insns);
            ok = true;
            return new KernelXdpEngine(object.name(), programName, maps, fd);
        } finally {
            if (!ok) {
                for (int fd : fds) {
                    if (fd >= 0) {
                        Bpf.close(fd);
                    }
                }
            }
        }
    }

    /** The name the YAML and {@link #mapNames()} use: the section name for global data. */
    static String userName(MapSpec spec) {
        String n = spec.name();
        if (spec.isGlobalData() && !n.startsWith(".")) {
            int dot = n.indexOf('.');
            return dot >= 0 ? n.substring(dot) : n;
        }
        return n;
    }

    private static KernelMap createMap(String objectName, MapSpec spec) {
        String user = userName(spec);
        String where = "object '" + objectName + "' map '" + user + "'";
        if (spec.kind() == MapSpec.Kind.KCONFIG) {
            throw new EngineException(where + ": .kconfig externs are not supported by the kernel engine");
        }

        if (spec.type() <= 0 || spec.keySize() > Integer.MAX_VALUE || spec.valueSize() > Integer.MAX_VALUE
                || spec.maxEntries() > 0xffff_ffffL || spec.flags() > 0xffff_ffffL) {
            throw new EngineException(where + ": bad definition " + spec);
        }
        String kname = spec.name().length() > MAX_NAME ? spec.name().substring(0, MAX_NAME) : spec.name();
        MapCreateAttr attr = new MapCreateAttr(spec.type(), (int) spec.keySize(), (int) spec.valueSize(),
                (int) spec.maxEntries(), (int) spec.flags(), kname, 0, (int) spec.numaNode(), 0, 0, 0, spec.mapExtra());
        int fd;
        int template = -1;
        try {
            if (spec.innerMap().isPresent()) {
                // libbpf: a throw-away map built like the inner one is the outer map's inner_map_fd
                MapSpec in = spec.innerMap().get();
                template = Bpf.mapCreate(new MapCreateAttr(in.type(), (int) in.keySize(), (int) in.valueSize(),
                        (int) in.maxEntries(), (int) in.flags(), "inner_tmpl", 0, 0, 0, 0, 0, in.mapExtra()));
                attr = attr.withInnerMapFd(template);
            }
            fd = Bpf.mapCreate(attr);
        } catch (NativeException | IllegalArgumentException e) {
            throw new EngineException(where + ": the kernel refused the map: " + e.getMessage(), e);
        } finally {
            if (template >= 0) {
                Bpf.close(template);
            }
        }
        try {
            if (spec.isGlobalData()) {
                byte[] init = spec.initialData().orElse(new byte[(int) spec.valueSize()]);
                Bpf.mapUpdate(fd, MemorySegment.ofArray(new byte[4]), MemorySegment.ofArray(init), BpfFlags.BPF_ANY);
                if (spec.readOnly()) {
                    Bpf.mapFreeze(fd); // libbpf freezes .rodata after writing it
                }
            }
        } catch (NativeException | IllegalArgumentException e) {
            Bpf.close(fd);
            throw new EngineException(where + ": cannot write its initial data: " + e.getMessage(), e);
        }
        return new KernelMap(user, fd, spec.type(), (int) spec.keySize(), (int) spec.valueSize(),
                Bpf.isPerCpu(spec.type()));
    }

    /** Writes the map fd (and offset) into the LD_IMM64 pair at {@code r.insnIndex()}. */
    static void patch(long[] insns, MapReloc r, int[] fds, String programName) {
        int i = r.insnIndex();
        if (i < 0 || i + 1 >= insns.length || (insns[i] & 0xff) != 0x18) {
            throw new EngineException("program '" + programName + "': map relocation at instruction " + i
                    + " does not point at an LD_IMM64");
        }
        if (r.mapIndex() < 0 || r.mapIndex() >= fds.length) {
            throw new EngineException("program '" + programName + "': instruction " + i + " refers to map index "
                    + r.mapIndex() + " of " + fds.length);
        }
        int src = r.kind() == MapReloc.Kind.MAP_FD ? BPF_PSEUDO_MAP_FD : BPF_PSEUDO_MAP_VALUE;
        // struct bpf_insn as a little-endian long: code bits 0-7, dst_reg 8-11, src_reg 12-15, off 16-31, imm 32-63
        long first = insns[i];
        first = (first & ~0xf000L) | ((long) src << 12);
        first = (first & 0xffff_ffffL) | ((long) fds[r.mapIndex()] << 32);
        insns[i] = first;
        if (r.kind() == MapReloc.Kind.MAP_VALUE) {
            if (r.offset() < 0 || r.offset() > Integer.MAX_VALUE) {
                throw new EngineException("program '" + programName + "': instruction " + i + " has map value offset "
                        + r.offset());
            }
            insns[i + 1] = (insns[i + 1] & 0xffff_ffffL) | (r.offset() << 32);
        }
    }

    /**
     * BPF_PROG_LOAD's attributes for {@code prog} as libbpf sets them: license, name cut to 15
     * characters, and BPF_F_XDP_HAS_FRAGS for {@code SEC("xdp.frags")} (libbpf's SEC_XDP_FRAGS).
     */
    static ProgLoadAttr progLoadAttr(BpfObject object, ProgramSpec prog, long[] insns) {
        String kname = prog.name().length() > MAX_NAME ? prog.name().substring(0, MAX_NAME) : prog.name();
        return ProgLoadAttr.xdp(insns).withLicense(object.license()).withName(kname)
                .withProgFlags(prog.xdpFrags() ? BpfFlags.BPF_F_XDP_HAS_FRAGS : 0);
    }

    private static int loadProgram(BpfObject object, ProgramSpec prog, long[] insns) {
        ProgLoadAttr attr = progLoadAttr(object, prog, insns);
        int btfFd = -1;
        try {
            if (hasCallbacks(insns) && !prog.funcInfo().isEmpty()) {
                // callbacks (bpf_loop, bpf_for_each_map_elem) need func_info: see FuncInfoBtf
                FuncInfoBtf fb = FuncInfoBtf.of(prog.funcInfo());
                btfFd = Bpf.btfLoad(fb.btf);
                attr = attr.withBtf(btfFd, fb.funcInfo, FuncInfoBtf.FUNC_INFO_REC_SIZE, null, 0);
            }
            return Bpf.progLoad(attr);
        } catch (BpfLoadException e) {
            throw new EngineException("the kernel verifier refused program '" + prog.name() + "' of object '"
                    + object.name() + "': " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new EngineException("program '" + prog.name() + "' of object '" + object.name() + "': "
                    + e.getMessage(), e);
        } finally {
            if (btfFd >= 0) {
                Bpf.close(btfFd); // the loaded program holds its own reference
            }
        }
    }

    /** True when an ld_imm64 loads a function pointer (src_reg BPF_PSEUDO_FUNC, 4). */
    private static boolean hasCallbacks(long[] insns) {
        for (int i = 0; i < insns.length; i++) {
            if ((insns[i] & 0xff) == 0x18) {
                if (((insns[i] >>> 12) & 0xf) == 4) {
                    return true;
                }
                i++;
            }
        }
        return false;
    }

    @Override
    public String name() {
        return "kernel";
    }

    @Override
    public int cpus() {
        return cpus;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The kernel refuses a frame shorter than 14 bytes with EINVAL and one needing more than
     * MAX_SKB_FRAGS fragments with ENOMEM; each is an {@link EngineException} whose message starts
     * with {@code EINVAL} or {@code ENOMEM}.
     */
    @Override
    public XdpResult run(byte[] packet, int repeat) {
        checkOpen();
        if (repeat < 1) {
            throw new EngineException("repeat must be at least 1, got " + repeat);
        }
        int capacity = packet.length <= LINEAR_MAX ? DATA_OUT_CAPACITY : packet.length + DATA_OUT_CAPACITY;
        TestRunAttr attr = new TestRunAttr(packet, capacity, null, 0, repeat, 0, 0, 0);
        BitSet saved;
        try {
            saved = Affinity.currentThread();
            Affinity.pinCurrentThread(0);
        } catch (NativeException e) {
            throw new EngineException("cannot pin the calling thread to CPU 0, where per-CPU slots are compared: "
                    + e.getMessage(), e);
        }
        try {
            TestRunResult r = Bpf.progTestRun(progFd, attr);
            return new XdpResult(Integer.toUnsignedLong(r.retval()), r.dataOut(), r.durationNs());
        } catch (NativeException e) {
            if (e.errno() == Errno.EINVAL) {
                throw new EngineException("EINVAL: the kernel's test run refused the " + packet.length + "-byte frame"
                        + (packet.length < ETH_HLEN ? " (shorter than ETH_HLEN " + ETH_HLEN + ")" : ""), e);
            }
            if (e.errno() == Errno.ENOMEM) {
                // bpf_prog_test_run_xdp: a frame needing more than MAX_SKB_FRAGS fragments
                throw new EngineException("ENOMEM: the kernel's test run refused the " + packet.length
                        + "-byte frame (more fragments than MAX_SKB_FRAGS)", e);
            }
            throw new EngineException("program '" + programName + "': " + e.getMessage(), e);
        } finally {
            Affinity.setCurrentThread(saved);
        }
    }

    @Override
    public List<String> mapNames() {
        return List.copyOf(maps.keySet());
    }

    @Override
    public List<MapEntry> dumpMap(String mapName) {
        KernelMap m = map(mapName);
        List<MapEntry> out = new ArrayList<>();
        if (KEYLESS.contains(m.type())) {
            return out; // no map_get_next_key (EINVAL): nothing to walk, as jxdp's dump of them
        }
        byte[] key = null;
        byte[] next = new byte[m.keySize()];
        byte[] raw = new byte[Bpf.userValueSize(m.type(), m.valueSize())];
        try {
            while (Bpf.mapGetNextKey(m.fd(), key == null ? null : MemorySegment.ofArray(key),
                    MemorySegment.ofArray(next))) {
                key = next.clone();
                // an entry deleted between get_next_key and lookup is skipped, as bpftool does
                if (Bpf.mapLookup(m.fd(), MemorySegment.ofArray(key), MemorySegment.ofArray(raw))) {
                    out.add(new MapEntry(key, split(m, raw)));
                }
                if (out.size() > 1 << 24) {
                    throw new EngineException("map '" + mapName + "': iteration does not end");
                }
            }
        } catch (NativeException e) {
            throw new EngineException("map '" + mapName + "': " + e.getMessage(), e);
        }
        return out;
    }

    private List<byte[]> split(KernelMap m, byte[] raw) {
        if (!m.perCpu()) {
            return List.of(raw.clone());
        }
        List<byte[]> values = new ArrayList<>(cpus);
        for (int c = 0; c < cpus; c++) {
            values.add(Arrays.copyOfRange(raw, c * m.slotSize(), c * m.slotSize() + m.valueSize()));
        }
        return values;
    }

    @Override
    public void updateMap(String mapName, byte[] key, List<byte[]> values) {
        KernelMap m = map(mapName);
        String where = "map '" + mapName + "' key " + HexFormat.of().formatHex(key);
        if (key.length != m.keySize()) {
            throw new EngineException(where + ": key has " + key.length + " bytes, the map's keys have " + m.keySize());
        }
        int want = m.perCpu() ? cpus : 1;
        if (values.size() != want) {
            throw new EngineException(where + ": " + values.size() + " values given, the map takes " + want
                    + (m.perCpu() ? " (one per possible CPU)" : ""));
        }
        byte[] raw = new byte[Bpf.userValueSize(m.type(), m.valueSize())];
        for (int c = 0; c < values.size(); c++) {
            byte[] v = values.get(c);
            if (v.length != m.valueSize()) {
                throw new EngineException(where + ": value " + (m.perCpu() ? "for CPU " + c + " " : "") + "has "
                        + v.length + " bytes, the map's values have " + m.valueSize());
            }
            System.arraycopy(v, 0, raw, m.perCpu() ? c * m.slotSize() : 0, v.length);
        }
        try {
            Bpf.mapUpdate(m.fd(), MemorySegment.ofArray(key), MemorySegment.ofArray(raw), BpfFlags.BPF_ANY);
        } catch (NativeException e) {
            throw new EngineException(where + ": " + e.getMessage()
                    + (e.errno() == Errno.EPERM ? " (.rodata is frozen at load, as libbpf does)" : ""), e);
        }
    }

    private KernelMap map(String mapName) {
        checkOpen();
        KernelMap m = maps.get(mapName);
        if (m == null) {
            throw new EngineException("object '" + objectName + "' has no map '" + mapName + "' (it has "
                    + maps.keySet() + ")");
        }
        return m;
    }

    private void checkOpen() {
        if (closed) {
            throw new EngineException("the kernel engine for '" + programName + "' is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Bpf.close(progFd);
        for (KernelMap m : maps.values()) {
            Bpf.close(m.fd());
        }
    }
}
