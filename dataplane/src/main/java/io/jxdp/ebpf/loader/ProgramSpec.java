package io.jxdp.ebpf.loader;

import java.util.List;

/**
 * One entry program after libbpf-style linking: its own instructions followed by every
 * {@code .text} subprogram it reaches, call and PSEUDO_FUNC immediates fixed to the appended
 * positions, map references listed in {@link #mapRelocs()}, and BTF line/func info rebased.
 */
public final class ProgramSpec {
    private final String name;
    private final String sectionName;
    private final ProgramType type;
    private final boolean xdpFrags;
    private final long[] insns;
    private final List<MapReloc> mapRelocs;
    private final List<FuncInfo> funcInfo;
    private final List<LineInfo> lineInfo;
    private final List<FunctionEntry> functions;
    private final List<CoreReloc> coreRelocs;

    ProgramSpec(String name, String sectionName, long[] insns, List<MapReloc> mapRelocs, List<FuncInfo> funcInfo,
            List<LineInfo> lineInfo, List<FunctionEntry> functions, List<CoreReloc> coreRelocs) {
        this.name = name;
        this.sectionName = sectionName;
        this.type = ProgramType.fromSection(sectionName);
        this.xdpFrags = ProgramType.xdpFrags(sectionName);
        this.insns = insns;
        this.mapRelocs = List.copyOf(mapRelocs);
        this.funcInfo = List.copyOf(funcInfo);
        this.lineInfo = List.copyOf(lineInfo);
        this.functions = List.copyOf(functions);
        this.coreRelocs = List.copyOf(coreRelocs);
    }

    /** The function (symbol) name. */
    public String name() {
        return name;
    }

    public String sectionName() {
        return sectionName;
    }

    public ProgramType type() {
        return type;
    }

    /** True for {@code SEC("xdp.frags")}: libbpf loads it with BPF_F_XDP_HAS_FRAGS. */
    public boolean xdpFrags() {
        return xdpFrags;
    }

    /** Copy of the linked instruction slots (an LD_IMM64 takes two). */
    public long[] instructions() {
        return insns.clone();
    }

    public int instructionCount() {
        return insns.length;
    }

    /** The linked instructions as the kernel takes them: 8 little-endian bytes per slot. */
    public byte[] bytecode() {
        byte[] out = new byte[insns.length * RawInsn.SIZE];
        for (int i = 0; i < insns.length; i++) {
            long v = insns[i];
            for (int j = 0; j < 8; j++) {
                out[i * 8 + j] = (byte) (v >>> (8 * j));
            }
        }
        return out;
    }

    public List<MapReloc> mapRelocs() {
        return mapRelocs;
    }

    public List<FuncInfo> funcInfo() {
        return funcInfo;
    }

    public List<LineInfo> lineInfo() {
        return lineInfo;
    }

    /** Function entry points in the linked program; element 0 is this program at index 0. */
    public List<FunctionEntry> functions() {
        return functions;
    }

    /** CO-RE relocations (not applied by the loader; a consumer should reject them for now). */
    public List<CoreReloc> coreRelocs() {
        return coreRelocs;
    }

    @Override
    public String toString() {
        return "ProgramSpec[" + name + " sec=" + sectionName + " type=" + type + " insns=" + insns.length + "]";
    }
}
