package io.jxdp.ebpf.xdp;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.helper.HelperIds;
import io.jxdp.ebpf.helper.HelperRegistry;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.MapReloc;
import io.jxdp.ebpf.loader.MapSpec;
import io.jxdp.ebpf.loader.ProgramSpec;
import io.jxdp.ebpf.loader.ProgramType;
import io.jxdp.ebpf.map.BpfMap;
import io.jxdp.ebpf.map.MapDefinition;
import io.jxdp.ebpf.map.MapException;
import io.jxdp.ebpf.map.MapFlags;
import io.jxdp.ebpf.map.MapInMap;
import io.jxdp.ebpf.map.MapType;
import io.jxdp.ebpf.map.Maps;
import io.jxdp.ebpf.map.Rcu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.StringJoiner;

/**
 * Links one program of a {@link BpfObject} for jxdp, as libbpf and the kernel's
 * {@code BPF_PROG_LOAD} would: creates the object's maps (global data filled with its initial
 * contents, {@code .rodata} frozen and read-only for the program), patches each map reference,
 * checks every call and rewrites the context loads ({@link CtxRewriter}). Every refusal is an
 * {@link EngineException} naming the object, program and what was refused.
 */
final class XdpLinker {
    private XdpLinker() {
    }

    /** Picks the program: the named one, or the only one; errors list the available names. */
    static ProgramSpec program(BpfObject obj, String name) {
        if (name == null) {
            if (obj.programs().size() == 1) {
                return obj.programs().get(0);
            }
            throw new EngineException("object '" + obj.name() + "' has " + obj.programs().size()
                    + " programs; choose one with --program (available: " + names(obj) + ")");
        }
        return obj.program(name).orElseThrow(() -> new EngineException("no program '" + name + "' in object '"
                + obj.name() + "' (available: " + names(obj) + ")"));
    }

    private static byte[] u32(int v) {
        return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }

    static String names(BpfObject obj) {
        StringJoiner j = new StringJoiner(", ");
        obj.programs().forEach(p -> j.add(p.name()));
        return obj.programs().isEmpty() ? "none" : j.toString();
    }

    /** The name user space sees: global-data maps by section ({@code .rodata}), others by their own name. */
    static String userName(MapSpec m) {
        String n = m.name();
        if (m.isGlobalData() && !n.startsWith(".")) {
            int dot = n.indexOf('.');
            return dot >= 0 ? n.substring(dot) : n;
        }
        return n;
    }

    private static String supportedTypes() {
        StringJoiner j = new StringJoiner(", ");
        for (MapType t : MapType.values()) {
            if (t.supported()) {
                j.add(t.name());
            }
        }
        return j.toString();
    }

    /**
     * Creates every map of the object, those {@code pinning} selects backed by their pin files
     * (reopened when they exist); on failure closes the ones already made.
     */
    static BpfMap[] createMaps(BpfObject obj, int nCpus, Rcu rcu, Pinning pinning) {
        List<MapSpec> specs = obj.maps();
        for (String n : pinning.names()) {
            if (specs.stream().noneMatch(s -> userName(s).equals(n))) {
                StringJoiner j = new StringJoiner(", ");
                specs.forEach(s -> j.add(userName(s)));
                throw new EngineException("object '" + obj.name() + "': no map '" + n + "' to pin (maps: "
                        + (specs.isEmpty() ? "none" : j.toString()) + ")");
            }
        }
        BpfMap[] maps = new BpfMap[specs.size()];
        try {
            for (int i = 0; i < maps.length; i++) {
                maps[i] = createMap(obj, specs.get(i), nCpus, rcu, pinning);
            }
            // libbpf bpf_object__init_map_in_map_slots(): ".values = { [i] = &inner }" once all exist
            for (int i = 0; i < maps.length; i++) {
                for (MapSpec.InnerSlot slot : specs.get(i).innerSlots()) {
                    if (slot.mapIndex() < 0 || slot.mapIndex() >= maps.length) {
                        throw new EngineException("object '" + obj.name() + "': map '" + maps[i].name()
                                + "': slot " + slot.slot() + " names no map of the object");
                    }
                    try {
                        ((MapInMap) maps[i]).set(u32(slot.slot()), maps[slot.mapIndex()], MapFlags.BPF_ANY);
                    } catch (MapException e) {
                        throw new EngineException("object '" + obj.name() + "': map '" + maps[i].name() + "' slot "
                                + slot.slot() + " = '" + slot.mapName() + "': " + e.getMessage(), e);
                    }
                }
            }
            return maps;
        } catch (RuntimeException e) {
            for (BpfMap m : maps) {
                if (m != null) {
                    m.close();
                }
            }
            throw e;
        }
    }

    private static BpfMap createMap(BpfObject obj, MapSpec s, int nCpus, Rcu rcu, Pinning pinning) {
        String name = userName(s);
        boolean pinned = pinning.pins(name, s.pinning() == MapSpec.PIN_BY_NAME);
        MapType type;
        try {
            type = MapType.fromId(s.type());
        } catch (IllegalArgumentException e) {
            throw new EngineException("object '" + obj.name() + "': map '" + name + "': " + e.getMessage());
        }
        if (!type.supported()) {
            throw new EngineException("object '" + obj.name() + "': map '" + name + "' has type " + type.kernelName()
                    + " (" + type.id() + "), which jxdp does not support yet (supported: " + supportedTypes() + ")");
        }
        if (s.keySize() > Integer.MAX_VALUE || s.valueSize() > Integer.MAX_VALUE || s.maxEntries() > 0xffff_ffffL
                || s.flags() > Integer.MAX_VALUE) {
            throw new EngineException("object '" + obj.name() + "': map '" + name + "': key " + s.keySize() + ", value "
                    + s.valueSize() + ", max_entries " + s.maxEntries() + " or flags 0x" + Long.toHexString(s.flags())
                    + " out of range");
        }
        MapDefinition def = new MapDefinition(name, type, (int) s.keySize(), (int) s.valueSize(),
                (int) s.maxEntries(), (int) s.flags());
        BpfMap map;
        if (pinned) {
            return createPinned(obj, s, def, nCpus, rcu, pinning.dir());
        }
        try {
            if (s.innerMap().isPresent()) {
                MapSpec in = s.innerMap().get();
                MapType it;
                try {
                    it = MapType.fromId(in.type());
                } catch (IllegalArgumentException e) {
                    throw new EngineException("object '" + obj.name() + "': map '" + name + "' inner map: "
                            + e.getMessage());
                }
                MapDefinition template = new MapDefinition(name + ".inner", it, (int) in.keySize(),
                        (int) in.valueSize(), (int) in.maxEntries(), (int) in.flags());
                map = Maps.createMapInMap(def, nCpus, rcu, template);
            } else {
                map = Maps.create(def, nCpus, rcu);
            }
        } catch (MapException e) {
            throw new EngineException("object '" + obj.name() + "': cannot create map '" + name + "': "
                    + e.getMessage(), e);
        }
        try {
            if (s.isGlobalData()) {
                byte[] init = s.initialData().orElse(new byte[(int) s.valueSize()]);
                map.update(new byte[4], init, MapFlags.BPF_ANY);
                if (s.readOnly()) {
                    map.freeze(); // libbpf bpf_object__populate_internal_map(): .rodata is frozen after filling
                }
            }
        } catch (MapException e) {
            map.close();
            throw new EngineException("object '" + obj.name() + "': cannot fill map '" + name + "': "
                    + e.getMessage(), e);
        }
        return map;
    }

    /**
     * Creates or reopens {@code pinDir/<name>} (libbpf bpf_object__reuse_map() then pin): a file of
     * another definition is refused naming the file and each differing field.
     */
    private static BpfMap createPinned(BpfObject obj, MapSpec s, MapDefinition def, int nCpus, Rcu rcu, Path pinDir) {
        String where = "object '" + obj.name() + "': map '" + def.name() + "'";
        if (s.isGlobalData()) {
            // their initial contents come from the object at every load (.rodata frozen after): nothing to keep
            throw new EngineException(where + ": global data (.data, .bss, .rodata) cannot be pinned");
        }
        if (!Maps.PINNABLE.contains(def.type())) {
            throw new EngineException(where + ": " + def.type().kernelName() + " cannot be pinned by jxdp (pinnable: "
                    + String.join(", ", Maps.PINNABLE.stream().map(MapType::name).toList()) + ")");
        }
        try {
            Files.createDirectories(pinDir);
        } catch (IOException e) {
            throw new EngineException(where + ": cannot create pin directory " + pinDir + ": " + e, e);
        }
        try {
            return Maps.createPinned(def, nCpus, rcu, pinDir);
        } catch (MapException e) {
            throw new EngineException("object '" + obj.name() + "': " + e.getMessage(), e); // names the file
        }
    }

    /**
     * The program's instructions ready for jxdp's interpreter: map references patched, calls
     * checked against {@code helpers}, context loads rewritten.
     */
    static long[] link(BpfObject obj, ProgramSpec p, BpfMap[] maps, long mapHandles, HelperRegistry helpers) {
        String where = "object '" + obj.name() + "', program '" + p.name() + "'";
        if (p.type() != ProgramType.XDP) {
            throw new EngineException(where + ": section '" + p.sectionName() + "' is not an XDP program (SEC(\"xdp\"))");
        }
        if (!p.coreRelocs().isEmpty()) {
            throw new EngineException(where + ": " + p.coreRelocs().size()
                    + " CO-RE relocations, which jxdp does not apply yet");
        }
        long[] s = p.instructions();
                for (MapReloc r : p.mapRelocs()) {
            int i = r.insnIndex();
            if (i < 0 || i + 1 >= s.length || (s[i] & 0xff) != 0x18 || r.mapIndex() < 0 || r.mapIndex() >= maps.length) {
                throw new EngineException(where + ": bad map relocation " + r);
            }
            BpfMap m = maps[r.mapIndex()];
            long value;
            if (r.kind() == MapReloc.Kind.MAP_FD) {
                value = mapHandles + 8L * r.mapIndex();
            } else {
                try {
                    value = m.directValueAddress((int) r.offset());
                } catch (MapException e) {
                    throw new EngineException(where + ": insn " + i + ": direct value reference to map '" + m.name()
                            + "' at offset " + r.offset() + ": " + e.getMessage(), e);
                }
            }
            s[i] = (s[i] & 0xffff_0fffL) | (value << 32); // src_reg 0: a plain 64-bit immediate
            s[i + 1] = (s[i + 1] & 0xffff_ffffL) | (value & 0xffff_ffff_0000_0000L);
        }
        return checkAndRewrite(where, s, helpers);
    }

    /** Moves the callback values of a linked program placed at {@code base} in a larger image. */
    static void rebaseCallbacks(long[] s, int base) {
        for (int i = 0; i + 1 < s.length; i++) {
            if ((s[i] & 0xff) == 0x18) {
                long value = (s[i] >>> 32) | (s[i + 1] & 0xffff_ffff_0000_0000L);
                int pc = Callbacks.pc(value);
                if (pc >= 0) {
                    long moved = Callbacks.encode(pc + base);
                    s[i] = (s[i] & 0xffff_ffffL) | (moved << 32);
                    s[i + 1] = (s[i + 1] & 0xffff_ffffL) | (moved & 0xffff_ffff_0000_0000L);
                }
                i++;
            }
        }
    }

    /** Checks every call against helpers and rewrites the context loads, in place; returns s. */
    static long[] checkAndRewrite(String where, long[] s, HelperRegistry helpers) {
        for (int i = 0; i < s.length; i++) {
            int code = (int) (s[i] & 0xff);
            int src = (int) ((s[i] >>> 12) & 0xf);
            int imm = (int) (s[i] >>> 32);
            if (code == 0x18) {
                i++;
            } else if (code == 0x85) {
                if (src == 2) {
                    throw new EngineException(where + ": insn " + i + ": kfunc calls (call with src_reg 2, BTF id "
                            + imm + ") are not supported");
                }
                if (src == 0 && helpers.get(imm) == null) {
                    String kernel = HelperIds.name(imm);
                    throw new EngineException(where + ": insn " + i + ": call to helper " + imm
                            + (kernel == null ? " (unknown to the kernel)" : " (bpf_" + kernel + ")")
                            + ", which jxdp does not implement for XDP");
                }
            }
        }
        for (int i = 0; i < s.length; i++) {
            if ((s[i] & 0xff) == 0x18) {
                int src = (int) ((s[i] >>> 12) & 0xf);
                if (src == 4 && i + 1 < s.length) {
                    // BPF_PSEUDO_FUNC: imm is the callee's offset from the next instruction, as for
                    // a bpf-to-bpf call (kernel verifier check_ld_imm / libbpf reloc_code).
                    long target = i + 1L + (int) (s[i] >>> 32);
                    if (target < 0 || target >= s.length) {
                        throw new EngineException(where + ": insn " + i + ": callback function at " + target
                                + " is outside the program (0.." + (s.length - 1) + ")");
                    }
                    long value = Callbacks.encode((int) target);
                    s[i] = (s[i] & 0xffff_0fffL) | (value << 32);
                    s[i + 1] = (s[i + 1] & 0xffff_ffffL) | (value & 0xffff_ffff_0000_0000L);
                } else if (src != 0) {
                    throw new EngineException(where + ": insn " + i + ": ld_imm64 with src_reg " + src
                            + " (an unresolved pseudo reference) is not supported");
                }
                i++;
            }
        }
        try {
            CtxRewriter.rewrite(s);
        } catch (EngineException e) {
            throw new EngineException(where + ": " + e.getMessage(), e);
        }
        return s;
    }
}
