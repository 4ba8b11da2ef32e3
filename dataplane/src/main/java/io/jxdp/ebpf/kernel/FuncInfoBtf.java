package io.jxdp.ebpf.kernel;

import io.jxdp.ebpf.loader.FuncInfo;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The smallest program BTF the kernel's verifier takes for {@code bpf_func_info}: one {@code int},
 * one {@code int (void)} prototype and one static FUNC per function. The verifier needs func_info
 * before it accepts a callback reference ({@code ld_imm64} with BPF_PSEUDO_FUNC: check_ld_imm()
 * "missing btf func_info", and "callback function not static" unless the linkage is static); the
 * object's own .BTF would first need libbpf's DATASEC fix-ups, which this engine does not do.
 * Layout: include/uapi/linux/btf.h (struct btf_header, btf_type, BTF_INFO_ENC) and struct
 * bpf_func_info in include/uapi/linux/bpf.h.
 */
final class FuncInfoBtf {
    private static final int BTF_MAGIC = 0xeB9F;
    private static final int KIND_INT = 1;
    private static final int KIND_FUNC = 12;
    private static final int KIND_FUNC_PROTO = 13;
    private static final int BTF_INT_SIGNED = 1;
    /** sizeof(struct bpf_func_info): insn_off, type_id. */
    static final int FUNC_INFO_REC_SIZE = 8;

    /** The raw BTF (header, types, strings). */
    final byte[] btf;
    /** One bpf_func_info record per function, in instruction order. */
    final byte[] funcInfo;

    private FuncInfoBtf(byte[] btf, byte[] funcInfo) {
        this.btf = btf;
        this.funcInfo = funcInfo;
    }

    /** Builds BTF and records for the program's functions (its func_info, in instruction order). */
    static FuncInfoBtf of(List<FuncInfo> functions) {
        ByteArrayOutputStream strings = new ByteArrayOutputStream();
        strings.write(0); // offset 0 is the empty name
        int intName = addString(strings, "int");
        ByteBuffer types = le(16 + 8 + 12 * functions.size() + 16);
        // [1] int: size 4, signed, 32 bits
        types.putInt(intName).putInt(info(KIND_INT, 0, 0)).putInt(4).putInt((BTF_INT_SIGNED << 24) | 32);
        // [2] int (void)
        types.putInt(0).putInt(info(KIND_FUNC_PROTO, 0, 0)).putInt(1);
        ByteBuffer records = le(FUNC_INFO_REC_SIZE * functions.size());
        int id = 3;
        for (FuncInfo f : functions) {
            int name = addString(strings, f.name() == null || f.name().isEmpty() ? "f" + id : f.name());
            types.putInt(name).putInt(info(KIND_FUNC, 0, 0)).putInt(2); // vlen 0: BTF_FUNC_STATIC
            records.putInt(f.insnIndex()).putInt(id);
            id++;
        }
        byte[] typeBytes = java.util.Arrays.copyOf(types.array(), types.position());
        byte[] strBytes = strings.toByteArray();
        ByteBuffer b = le(24 + typeBytes.length + strBytes.length);
        b.putShort((short) BTF_MAGIC).put((byte) 1).put((byte) 0).putInt(24); // magic, version, flags, hdr_len
        b.putInt(0).putInt(typeBytes.length).putInt(typeBytes.length).putInt(strBytes.length);
        b.put(typeBytes).put(strBytes);
        return new FuncInfoBtf(b.array(), records.array());
    }

    private static int info(int kind, int vlen, int kindFlag) {
        return (kindFlag << 31) | (kind << 24) | vlen;
    }

    private static int addString(ByteArrayOutputStream s, String text) {
        int at = s.size();
        s.writeBytes(text.getBytes(StandardCharsets.US_ASCII));
        s.write(0);
        return at;
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
