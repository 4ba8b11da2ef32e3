package io.jxdp.ffi.bpf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The BPF_PROG_LOAD attributes. Instructions are 8-byte {@code struct bpf_insn} slots (an
 * {@code lddw} takes two) in the kernel's byte order, which on x86_64 is little-endian.
 *
 * @param insns the instruction bytes, a multiple of 8 long; heap or native
 * @param license e.g. {@code "GPL"}; GPL-only helpers need a GPL-compatible license
 * @param name at most 15 characters of {@code [A-Za-z0-9_.]}, or null
 * @param logLevel 0 (a log is requested anyway if the load fails), 1 or 2; 4 = BPF_LOG_STATS
 * @param logSize verifier log buffer size when logging; 0 picks a default
 * @param progFlags {@code BPF_F_*} load flags of {@link BpfFlags}
 * @param btfFd program BTF, with funcInfo / lineInfo records (null when absent)
 */
public record ProgLoadAttr(int progType, int expectedAttachType, MemorySegment insns, String license, String name,
                           int logLevel, int logSize, int progFlags, int kernVersion, int btfFd,
                           byte[] funcInfo, int funcInfoRecSize, byte[] lineInfo, int lineInfoRecSize,
                           int attachBtfId, int attachProgFd, int progIfindex) {

    private static final ValueLayout.OfLong INSN_SLOT = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public ProgLoadAttr {
        if (insns == null || insns.byteSize() == 0 || insns.byteSize() % 8 != 0) {
            throw new IllegalArgumentException("instructions must be a non-empty multiple of 8 bytes, got "
                    + (insns == null ? "null" : insns.byteSize() + " bytes"));
        }
        if (license == null) {
            throw new IllegalArgumentException("license must not be null (use \"GPL\" or e.g. \"Dual BSD/GPL\")");
        }
        if (logSize < 0) {
            throw new IllegalArgumentException("negative log size " + logSize);
        }
        Bpf.checkObjectName(name);
    }

    /** A program of {@code progType} from little-endian instruction slots, GPL licensed, no name. */
    public static ProgLoadAttr of(int progType, long[] slots) {
        return new ProgLoadAttr(progType, 0, slotsToSegment(slots), "GPL", null, 0, 0, 0, 0, 0,
                null, 0, null, 0, 0, 0, 0);
    }

    /** An XDP program ({@link ProgType#BPF_PROG_TYPE_XDP}, expected attach type {@link AttachType#BPF_XDP}). */
    public static ProgLoadAttr xdp(long[] slots) {
        return of(ProgType.BPF_PROG_TYPE_XDP, slots).withExpectedAttachType(AttachType.BPF_XDP);
    }

    /** Copies instruction slots (each a little-endian {@code struct bpf_insn} as a long) into a segment. */
    public static MemorySegment slotsToSegment(long[] slots) {
        MemorySegment seg = MemorySegment.ofArray(new byte[slots.length * 8]);
        for (int i = 0; i < slots.length; i++) {
            seg.set(INSN_SLOT, i * 8L, slots[i]);
        }
        return seg;
    }

    /** Number of 8-byte instruction slots. */
    public int insnCount() {
        return (int) (insns.byteSize() / 8);
    }

    public ProgLoadAttr withExpectedAttachType(int type) {
        return new ProgLoadAttr(progType, type, insns, license, name, logLevel, logSize, progFlags, kernVersion,
                btfFd, funcInfo, funcInfoRecSize, lineInfo, lineInfoRecSize, attachBtfId, attachProgFd, progIfindex);
    }

    public ProgLoadAttr withName(String newName) {
        return new ProgLoadAttr(progType, expectedAttachType, insns, license, newName, logLevel, logSize, progFlags,
                kernVersion, btfFd, funcInfo, funcInfoRecSize, lineInfo, lineInfoRecSize, attachBtfId, attachProgFd,
                progIfindex);
    }

    public ProgLoadAttr withLicense(String newLicense) {
        return new ProgLoadAttr(progType, expectedAttachType, insns, newLicense, name, logLevel, logSize, progFlags,
                kernVersion, btfFd, funcInfo, funcInfoRecSize, lineInfo, lineInfoRecSize, attachBtfId, attachProgFd,
                progIfindex);
    }

    public ProgLoadAttr withLog(int level, int size) {
        return new ProgLoadAttr(progType, expectedAttachType, insns, license, name, level, size, progFlags,
                kernVersion, btfFd, funcInfo, funcInfoRecSize, lineInfo, lineInfoRecSize, attachBtfId, attachProgFd,
                progIfindex);
    }

    public ProgLoadAttr withProgFlags(int flags) {
        return new ProgLoadAttr(progType, expectedAttachType, insns, license, name, logLevel, logSize, flags,
                kernVersion, btfFd, funcInfo, funcInfoRecSize, lineInfo, lineInfoRecSize, attachBtfId, attachProgFd,
                progIfindex);
    }

    /** Program BTF with its {@code bpf_func_info} and {@code bpf_line_info} records (either may be null). */
    public ProgLoadAttr withBtf(int fd, byte[] funcInfoRecords, int funcRecSize, byte[] lineInfoRecords, int lineRecSize) {
        return new ProgLoadAttr(progType, expectedAttachType, insns, license, name, logLevel, logSize, progFlags,
                kernVersion, fd, funcInfoRecords, funcRecSize, lineInfoRecords, lineRecSize, attachBtfId,
                attachProgFd, progIfindex);
    }
}
