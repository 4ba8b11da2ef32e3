package io.jxdp.ebpf.map;

import io.jxdp.ffi.sys.FileDescriptors;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * A tiny XDP program loaded into the kernel that performs one map operation chosen by the packet
 * and returns the helper's result, run with BPF_PROG_TEST_RUN: the kernel's program-side map
 * semantics, to compare with jxdp's program-side API.
 *
 * <pre>
 * packet: u64 op (0 update, 1 delete, 2 lookup) | u64 flags | u64 key | u64 value
 * returns: update/delete: the helper's 0 or -errno; lookup: the value's low u32, or 0xffffffff for NULL
 * </pre>
 */
final class KernelProgram implements AutoCloseable {
    private static final int BPF_PROG_LOAD = 5;
    private static final int BPF_PROG_TEST_RUN = 10;
    private static final int BPF_PROG_TYPE_XDP = 6;

    private final int fd;

    KernelProgram(KernelMap map) {
        long[] insns = {
            insn(0x61, 6, 1, 0, 0),      // r6 = *(u32 *)(r1 + 0)      xdp_md->data
            insn(0x61, 7, 1, 4, 0),      // r7 = *(u32 *)(r1 + 4)      xdp_md->data_end
            insn(0xbf, 8, 6, 0, 0),      // r8 = r6
            insn(0x07, 8, 0, 0, 32),     // r8 += 32
            insn(0x2d, 8, 7, 24, 0),     // if r8 > r7 goto out
            insn(0x79, 2, 6, 16, 0),     // r2 = *(u64 *)(r6 + 16)     key
            insn(0x7b, 10, 2, -8, 0),    // *(u64 *)(r10 - 8) = r2
            insn(0x79, 3, 6, 24, 0),     // r3 = *(u64 *)(r6 + 24)     value
            insn(0x7b, 10, 3, -16, 0),   // *(u64 *)(r10 - 16) = r3
            insn(0x79, 9, 6, 0, 0),      // r9 = *(u64 *)(r6 + 0)      op
            insn(0x79, 4, 6, 8, 0),      // r4 = *(u64 *)(r6 + 8)      flags
            insn(0x18, 1, 1, 0, map.fd), // r1 = map (BPF_PSEUDO_MAP_FD)
            0L,
            insn(0xbf, 2, 10, 0, 0),     // r2 = r10
            insn(0x07, 2, 0, 0, -8),     // r2 += -8                   &key
            insn(0x15, 9, 0, 5, 1),      // if r9 == 1 goto delete
            insn(0x15, 9, 0, 6, 2),      // if r9 == 2 goto lookup
            insn(0xbf, 3, 10, 0, 0),     // r3 = r10
            insn(0x07, 3, 0, 0, -16),    // r3 += -16                  &value
            insn(0x85, 0, 0, 0, 2),      // call bpf_map_update_elem
            insn(0x95, 0, 0, 0, 0),      // exit
            insn(0x85, 0, 0, 0, 3),      // delete: call bpf_map_delete_elem
            insn(0x95, 0, 0, 0, 0),      // exit
            insn(0x85, 0, 0, 0, 1),      // lookup: call bpf_map_lookup_elem
            insn(0x15, 0, 0, 2, 0),      // if r0 == 0 goto null
            insn(0x61, 0, 0, 0, 0),      // r0 = *(u32 *)(r0 + 0)
            insn(0x95, 0, 0, 0, 0),      // exit
            insn(0xb7, 0, 0, 0, -1),     // null: r0 = -1
            insn(0x95, 0, 0, 0, 0),      // exit
            insn(0xb7, 0, 0, 0, 99),     // out: r0 = 99 (short packet)
            insn(0x95, 0, 0, 0, 0),      // exit
        };
        this.fd = load(insns);
    }

    private KernelProgram(int fd) {
        this.fd = fd;
    }

    /** Loads any XDP program given as instructions (see {@link #insn}); the log is in the error. */
    static KernelProgram of(long[] insns) {
        return new KernelProgram(load(insns));
    }

    private static int load(long[] insns) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment code = a.allocate(insns.length * 8L, 8);
            for (int i = 0; i < insns.length; i++) {
                code.set(ValueLayout.JAVA_LONG, i * 8L, insns[i]);
            }
            MemorySegment license = a.allocateFrom("GPL", StandardCharsets.US_ASCII);
            MemorySegment log = a.allocate(65536);
            MemorySegment attr = a.allocate(128, 8);
            attr.set(ValueLayout.JAVA_INT, 0, BPF_PROG_TYPE_XDP);
            attr.set(ValueLayout.JAVA_INT, 4, insns.length);
            attr.set(ValueLayout.JAVA_LONG, 8, code.address());
            attr.set(ValueLayout.JAVA_LONG, 16, license.address());
            attr.set(ValueLayout.JAVA_INT, 24, 1);
            attr.set(ValueLayout.JAVA_INT, 28, (int) log.byteSize());
            attr.set(ValueLayout.JAVA_LONG, 32, log.address());
            long rc = KernelMap.bpf(BPF_PROG_LOAD, attr);
            if (rc < 0) {
                throw new IllegalStateException("BPF_PROG_LOAD failed, errno " + -rc + ":\n" + log.getString(0));
            }
            return (int) rc;
        }
    }

    /** One instruction: code, dst, src, off, imm (include/uapi/linux/bpf.h struct bpf_insn, little-endian). */
    static long insn(int code, int dst, int src, int off, int imm) {
        return (code & 0xffL) | ((long) (dst | (src << 4)) & 0xff) << 8 | (off & 0xffffL) << 16 | (imm & 0xffffffffL) << 32;
    }

    /** Runs the program once on {op, flags, key, value}; returns its 32-bit result sign-extended. */
    int run(long op, long flags, long key, long value) {
        byte[] pkt = new byte[64];
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(pkt).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, op).putLong(8, flags).putLong(16, key).putLong(24, value);
        return run(pkt);
    }

    /** Runs the program once on {@code packet}; returns its 32-bit result sign-extended. */
    int run(byte[] packet) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment pkt = a.allocate(packet.length, 8);
            MemorySegment.copy(packet, 0, pkt, ValueLayout.JAVA_BYTE, 0, packet.length);
            MemorySegment attr = a.allocate(128, 8);
            attr.set(ValueLayout.JAVA_INT, 0, fd);
            attr.set(ValueLayout.JAVA_INT, 8, (int) pkt.byteSize());
            attr.set(ValueLayout.JAVA_LONG, 16, pkt.address());
            attr.set(ValueLayout.JAVA_INT, 32, 1);
            long rc = KernelMap.bpf(BPF_PROG_TEST_RUN, attr);
            if (rc < 0) {
                throw new IllegalStateException("BPF_PROG_TEST_RUN failed, errno " + -rc);
            }
            return attr.get(ValueLayout.JAVA_INT, 4);
        }
    }

    @Override
    public void close() {
        FileDescriptors.close(fd);
    }
}
