package io.jxdp.ebpf.loader;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Writes a minimal EM_BPF relocatable ELF with one executable section holding one global
 * function {@code prog} of {@code n} instructions ({@code r0 = 0} ... {@code exit}), for limits
 * that would be impractical to reach with clang.
 */
final class TinyElf {
    private TinyElf() {
    }

    static byte[] withProgram(String section, int n) {
        byte[] shstr = ("\0.shstrtab\0.strtab\0.symtab\0" + section + "\0").getBytes(StandardCharsets.US_ASCII);
        int nameShstr = 1;
        int nameStrtab = nameShstr + ".shstrtab".length() + 1;
        int nameSymtab = nameStrtab + ".strtab".length() + 1;
        int nameProg = nameSymtab + ".symtab".length() + 1;
        byte[] strtab = "\0prog\0".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer code = ByteBuffer.allocate(8 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n - 1; i++) {
            code.putLong(0xb7L); // r0 = 0
        }
        code.putLong(0x95L); // exit
        ByteBuffer sym = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        sym.position(24);
        sym.putInt(1).put((byte) 0x12).put((byte) 0).putShort((short) 4).putLong(0).putLong(8L * n);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int[] off = new int[5];
        out.writeBytes(new byte[64]);
        off[1] = out.size();
        out.writeBytes(shstr);
        off[2] = out.size();
        out.writeBytes(strtab);
        while (out.size() % 8 != 0) {
            out.write(0);
        }
        off[3] = out.size();
        out.writeBytes(sym.array());
        off[4] = out.size();
        out.writeBytes(code.array());
        int shoff = out.size();
        ByteBuffer sh = ByteBuffer.allocate(64 * 5).order(ByteOrder.LITTLE_ENDIAN);
        sh.position(64);
        shdr(sh, nameShstr, 3, 0, off[1], shstr.length, 0, 0, 1, 0);
        shdr(sh, nameStrtab, 3, 0, off[2], strtab.length, 0, 0, 1, 0);
        shdr(sh, nameSymtab, 2, 0, off[3], 48, 2, 1, 8, 24);
        shdr(sh, nameProg, 1, 0x6, off[4], 8L * n, 0, 0, 8, 0);
        out.writeBytes(sh.array());
        byte[] b = out.toByteArray();
        ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        h.put(0, new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
        h.putShort(16, (short) 1).putShort(18, (short) 247).putInt(20, 1).putLong(0x28, shoff)
                .putShort(0x34, (short) 64).putShort(0x3a, (short) 64).putShort(0x3c, (short) 5)
                .putShort(0x3e, (short) 1);
        return b;
    }

    private static void shdr(ByteBuffer sh, int name, int type, long flags, long off, long size, int link, int info,
            long align, long entsize) {
        sh.putInt(name).putInt(type).putLong(flags).putLong(0).putLong(off).putLong(size).putInt(link).putInt(info)
                .putLong(align).putLong(entsize);
    }
}
