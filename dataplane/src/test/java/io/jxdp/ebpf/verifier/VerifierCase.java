package io.jxdp.ebpf.verifier;

import io.jxdp.ebpf.asm.Assembler;
import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.isa.Program;
import io.jxdp.ffi.bpf.Bpf;
import io.jxdp.ffi.bpf.BpfLoadException;
import io.jxdp.ffi.bpf.MapCreateAttr;
import io.jxdp.ffi.bpf.ProgLoadAttr;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.TreeSet;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One verifier test case from a {@code .cases} file under {@code src/test/resources/verifier/}:
 *
 * <pre>
 * ### name
 * # expect: accept | a substring of the reason
 * # maps: hash:KEY:VALUE:MAX[:rdonly], array:..., ringbuf:0:0:4096, ...   (map i is the i-th)
 * # options: unprivileged            (default: privileged, as root)
 * # kernel: accept|reject -- why jxdp deliberately differs from this kernel
 * assembler text; extra forms: "ldmap %rN, I" (map I's pointer) and "ldmapval %rN, I, OFF"
 * (address of map I's value + OFF), both LD_IMM64 pseudo forms, and "raw CODE, DST, SRC, OFF, IMM"
 * for one slot the assembler cannot write (bad opcodes, reserved fields, r11).
 * </pre>
 */
record VerifierCase(String file, String name, String expect, List<MapInfo> maps, boolean unprivileged,
        String kernelNote, Program program) {

    private static final long MAGIC = 0x6a78647000000000L;
    private static final Pattern LDMAP = Pattern.compile("^(\\s*)ldmap\\s+(%r\\d+)\\s*,\\s*(\\d+)\\s*$");
    private static final Pattern RAW = Pattern.compile("^(\\s*)raw\\s+(\\S+)\\s*,\\s*(\\S+)\\s*,\\s*(\\S+)\\s*,\\s*(\\S+)\\s*,\\s*(\\S+)\\s*$");
    private static final int RAW_MARK = 0x5a5a0000;
    private static final Pattern LDMAPVAL = Pattern.compile("^(\\s*)ldmapval\\s+(%r\\d+)\\s*,\\s*(\\d+)\\s*,\\s*(\\d+)\\s*$");

    boolean expectAccept() {
        return expect.equals("accept");
    }

    /** The kernel verdict the case documents as differing from jxdp's, or null when they should agree. */
    Boolean kernelExpectsAccept() {
        if (kernelNote == null) {
            return null;
        }
        return kernelNote.startsWith("accept");
    }

    @Override
    public String toString() {
        return file + ":" + name;
    }

    static List<VerifierCase> load(String resource) {
        try (InputStream in = VerifierCase.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no resource " + resource);
            }
            return parse(resource.substring(resource.lastIndexOf('/') + 1), new String(in.readAllBytes(),
                    StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<VerifierCase> parse(String file, String text) {
        List<VerifierCase> out = new ArrayList<>();
        String name = null;
        String expect = null;
        String kernel = null;
        boolean unpriv = false;
        List<MapInfo> maps = new ArrayList<>();
        StringBuilder asm = new StringBuilder();
        for (String line : (text + "\n### <end>").split("\n", -1)) {
            if (line.startsWith("### ")) {
                if (name != null) {
                    if (expect == null) {
                        throw new IllegalArgumentException(file + ": case " + name + " has no '# expect:'");
                    }
                    out.add(new VerifierCase(file, name, expect, List.copyOf(maps), unpriv, kernel,
                            assemble(file, name, asm.toString())));
                }
                name = line.substring(4).strip();
                expect = null;
                kernel = null;
                unpriv = false;
                maps.clear();
                asm.setLength(0);
                continue;
            }
            String t = line.strip();
            if (t.startsWith("# expect:")) {
                expect = t.substring(9).strip();
            } else if (t.startsWith("# maps:")) {
                for (String m : t.substring(7).split(",")) {
                    maps.add(map(m.strip()));
                }
            } else if (t.startsWith("# options:")) {
                unpriv = t.contains("unprivileged");
            } else if (t.startsWith("# kernel:")) {
                kernel = t.substring(9).strip();
            } else {
                asm.append(line).append('\n');
            }
        }
        return out;
    }

    /** {@code type:key:value:entries[:rdonly]}; a map of maps adds {@code /inner-spec} for its template. */
    private static MapInfo map(String spec) {
        int slash = spec.indexOf('/');
        MapInfo inner = slash < 0 ? null : map(spec.substring(slash + 1));
        String[] p = (slash < 0 ? spec : spec.substring(0, slash)).split(":");
        int type = switch (p[0]) {
            case "hash" -> 1;
            case "array" -> 2;
            case "progarray" -> 3;
            case "perfarray" -> 4;
            case "percpu_hash" -> 5;
            case "percpu_array" -> 6;
            case "lru_hash" -> 9;
            case "lru_percpu_hash" -> 10;
            case "lpm_trie" -> 11;
            case "array_of_maps" -> 12;
            case "hash_of_maps" -> 13;
            case "devmap" -> 14;
            case "cpumap" -> 16;
            case "xskmap" -> 17;
            case "queue" -> 22;
            case "stack" -> 23;
            case "devmap_hash" -> 25;
            case "ringbuf" -> 27;
            default -> throw new IllegalArgumentException("unknown map type " + p[0]);
        };
        int flags = p.length > 4 && p[4].equals("rdonly") ? MapInfo.BPF_F_RDONLY_PROG : 0;
        if (type == 11) {
            flags |= 1; // BPF_F_NO_PREALLOC: the kernel creates LPM tries only with it
        }
        return new MapInfo(type, Integer.parseInt(p[1]), Integer.parseInt(p[2]), Integer.parseInt(p[3]), flags, inner);
    }

    private static Program assemble(String file, String name, String src) {
        StringBuilder sb = new StringBuilder();
        List<Insn> raws = new ArrayList<>();
        for (String line : src.split("\n", -1)) {
            Matcher r = RAW.matcher(line);
            if (r.matches()) {
                raws.add(new Insn(num(r.group(2)), num(r.group(3)), num(r.group(4)), num(r.group(5)), num(r.group(6))));
                sb.append(r.group(1)).append("mov %r0, ").append(RAW_MARK + raws.size() - 1).append('\n');
                continue;
            }
            Matcher m = LDMAP.matcher(line);
            Matcher v = LDMAPVAL.matcher(line);
            if (m.matches()) {
                long code = MAGIC | 1L << 8 | Long.parseLong(m.group(3));
                sb.append(m.group(1)).append("lddw ").append(m.group(2)).append(", 0x").append(Long.toHexString(code));
            } else if (v.matches()) {
                long code = MAGIC | 2L << 8 | Long.parseLong(v.group(3)) | Long.parseLong(v.group(4)) << 16;
                sb.append(v.group(1)).append("lddw ").append(v.group(2)).append(", 0x").append(Long.toHexString(code));
            } else {
                sb.append(line);
            }
            sb.append('\n');
        }
        List<Insn> insns;
        try {
            insns = new ArrayList<>(Assembler.assembleInsns(sb.toString()));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": case " + name + ": " + e.getMessage(), e);
        }
        for (int i = 0; i < insns.size(); i++) {
            Insn a = insns.get(i);
            if (a.code() == 0xb7 && a.imm() >= RAW_MARK && a.imm() < RAW_MARK + raws.size()) {
                insns.set(i, raws.get(a.imm() - RAW_MARK));
            }
        }
        for (int i = 0; i + 1 < insns.size(); i++) {
            Insn a = insns.get(i);
            Insn b = insns.get(i + 1);
            if (a.code() == 0x18 && (b.imm() & 0xffffffffL) == MAGIC >>> 32) {
                int kind = (a.imm() >>> 8) & 0xff;
                int idx = a.imm() & 0xff;
                int off = a.imm() >>> 16;
                insns.set(i, new Insn(0x18, a.dst(), kind, 0, idx));
                insns.set(i + 1, new Insn(0, 0, 0, 0, kind == 2 ? off : 0));
            }
        }
        return Program.of(insns);
    }

    private static int num(String s) {
        boolean neg = s.startsWith("-");
        String b = neg ? s.substring(1) : s;
        long v = b.startsWith("0x") ? Long.parseLong(b.substring(2), 16) : Long.parseLong(b);
        return (int) (neg ? -v : v);
    }

    /** Verifies with jxdp. */
    VerificationResult verify() {
        VerifierOptions o = unprivileged ? VerifierOptions.unprivileged() : VerifierOptions.privileged();
        return Verifier.verify(program, maps, o);
    }

    /** Loads into this machine's kernel as XDP with real maps; null when accepted, else the log's last line. */
    String kernelVerdict() {
        List<Integer> fds = new ArrayList<>();
        try {
            for (MapInfo m : maps) {
                MapCreateAttr a = MapCreateAttr.of(m.type(), m.keySize(), m.valueSize(), m.maxEntries())
                        .withFlags(m.flags());
                if (m.inner() != null) {
                    MapInfo in = m.inner();
                    int innerFd = Bpf.mapCreate(MapCreateAttr.of(in.type(), in.keySize(), in.valueSize(),
                            in.maxEntries()).withFlags(in.flags()));
                    try {
                        a = a.withInnerMapFd(innerFd);
                        fds.add(Bpf.mapCreate(a));
                    } finally {
                        Bpf.close(innerFd); // the outer map keeps its own copy of the template
                    }
                    continue;
                }
                fds.add(Bpf.mapCreate(a));
            }
            for (int i = 0; i < maps.size(); i++) {
                if ((maps.get(i).flags() & MapInfo.BPF_F_RDONLY_PROG) != 0) {
                    Bpf.mapFreeze(fds.get(i)); // libbpf freezes .rodata: only then does the kernel treat it as constant
                }
            }
            long[] slots = program.slots();
            for (int i = 0; i < slots.length; i++) {
                Insn in = Insn.decode(slots[i]);
                if (in.code() == 0x18 && (in.src() == 1 || in.src() == 2) && in.imm() >= 0 && in.imm() < fds.size()) {
                    slots[i] = new Insn(in.code(), in.dst(), in.src(), in.off(), fds.get(in.imm())).encode();
                    i++;
                }
            }
            if (slots.length == 0) {
                return "bpf(2) refuses an empty program (EINVAL)";
            }
            ProgLoadAttr attr = ProgLoadAttr.xdp(slots).withLog(1, 1 << 20);
            byte[] funcInfo = callbackFuncInfo(slots);
            int btfFd = -1;
            try {
                if (funcInfo != null) {
                    btfFd = Bpf.btfLoad(STATIC_FUNC_BTF);
                    attr = attr.withBtf(btfFd, funcInfo, 8, null, 0);
                }
                int fd = Bpf.progLoad(attr);
                Bpf.close(fd);
                return null;
            } catch (BpfLoadException e) {
                return lastLine(e.log(), e.errno());
            } finally {
                if (btfFd >= 0) {
                    Bpf.close(btfFd);
                }
            }
        } finally {
            for (int fd : fds) {
                Bpf.close(fd);
            }
        }
    }

    /**
     * BTF with one static function type ({@code static int f(void)}): the kernel verifies a
     * callback (BPF_PSEUDO_FUNC) only when the program has BTF func_info saying each function is
     * static (check_ld_imm(): "missing btf func_info"), which clang always emits and these
     * hand-written cases lack. Types: [1] INT "int", [2] FUNC_PROTO () -> int, [3] FUNC "f" static.
     */
    static final byte[] STATIC_FUNC_BTF = staticFuncBtf();

    private static byte[] staticFuncBtf() {
        byte[] strings = "\0int\0f\0".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer types = ByteBuffer.allocate(16 + 12 + 12).order(ByteOrder.nativeOrder());
        types.putInt(1).putInt(1 << 24).putInt(4).putInt(1 << 24 | 32); // INT "int", signed, 32 bits
        types.putInt(0).putInt(13 << 24).putInt(1);                       // FUNC_PROTO, no params, returns int
        types.putInt(5).putInt(12 << 24).putInt(2);                       // FUNC "f", linkage static
        ByteBuffer b = ByteBuffer.allocate(24 + types.capacity() + strings.length).order(ByteOrder.nativeOrder());
        b.putShort((short) 0xeB9F).put((byte) 1).put((byte) 0).putInt(24);
        b.putInt(0).putInt(types.capacity()).putInt(types.capacity()).putInt(strings.length);
        b.put(types.array()).put(strings);
        return b.array();
    }

    /**
     * bpf_func_info records (insn_off, type_id 3) for every function when the program has callbacks
     * or bpf-to-bpf calls and a tail call (the kernel: "tail_call is not allowed in subprogs
     * without BTF"); else null.
     */
    static byte[] callbackFuncInfo(long[] slots) {
        TreeSet<Integer> starts = new TreeSet<>();
        starts.add(0);
        boolean callbacks = false;
        boolean tailCall = false;
        for (int i = 0; i < slots.length; i++) {
            Insn in = Insn.decode(slots[i]);
            boolean func = in.code() == 0x18 && in.src() == 4;
            tailCall |= in.code() == 0x85 && in.src() == 0 && in.imm() == 12;
            if (func || in.code() == 0x85 && in.src() == 1) {
                callbacks |= func;
                starts.add(i + 1 + in.imm());
            }
            if (in.code() == 0x18) {
                i++; // the second slot of an ld_imm64
            }
        }
        if (!callbacks && !(tailCall && starts.size() > 1)) {
            return null;
        }
        ByteBuffer b = ByteBuffer.allocate(8 * starts.size()).order(ByteOrder.nativeOrder());
        for (int s : starts) {
            b.putInt(s).putInt(3);
        }
        return b.array();
    }

    private static String lastLine(String log, int errno) {
        String[] lines = log.strip().split("\n");
        for (int i = lines.length - 1; i >= 0; i--) {
            String l = lines[i].strip();
            if (!l.isEmpty() && !l.startsWith("processed ") && !l.startsWith("verification time")
                    && !l.startsWith("stack depth")) {
                return l;
            }
        }
        return "errno " + errno;
    }
}
