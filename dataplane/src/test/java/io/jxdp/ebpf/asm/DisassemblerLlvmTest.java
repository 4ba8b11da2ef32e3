package io.jxdp.ebpf.asm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.isa.Op;
import io.jxdp.ebpf.isa.Program;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Differential test of the disassembler against llvm-objdump-19 (CI installs clang-19/llvm-19):
 * every opcode of the table, and a clang-compiled C program.
 */
class DisassemblerLlvmTest {
    @TempDir
    Path tmp;

    /** A canonical encoding of op (unused fields zero, as llvm's decoder insists) with varied operands. */
    private static List<Insn> canonical(Op op, Random rnd) {
        int d = 1 + rnd.nextInt(9);
        int s = 1 + rnd.nextInt(9);
        int off = rnd.nextInt(2000) - 1000;
        int imm = rnd.nextBoolean() ? rnd.nextInt(4096) - 2048 : rnd.nextInt();
        List<Insn> out = new ArrayList<>();
        switch (op.kind) {
            case ALU -> out.add(op.source == Op.Source.REG ? op.insn(d, s, 0, 0) : op.insn(d, 0, 0, imm));
            case NEG, END -> out.add(op.insn(d, 0, 0, 0));
            case MOVSX -> out.add(op.insn(d, s, 0, 0));
            case JUMP -> out.add(op.source == Op.Source.REG ? op.insn(d, s, off, 0) : op.insn(d, 0, off, imm));
            case JA -> out.add(op.insn(0, 0, off, 0));
            case JA32 -> out.add(op.insn(0, 0, 0, imm));
            case CALL, CALL_LOCAL, CALL_KFUNC -> out.add(op.insn(0, 0, 0, imm));
            case CALLX -> out.add(op.insn(d, 0, 0, 0));
            case EXIT -> out.add(op.insn(0, 0, 0, 0));
            case LDX, LDXSX -> out.add(op.insn(d, s, off, 0));
            case ST -> out.add(op.insn(d, 0, off, imm));
            case STX, ATOMIC -> out.add(op.insn(d, s, off, 0));
            case LDDW -> {
                out.add(op.insn(d, 0, 0, imm));
                out.add(new Insn(0, 0, 0, 0, rnd.nextInt()));
            }
            case LD_ABS -> out.add(op.insn(0, 0, 0, imm & 0xfff));
            case LD_IND -> out.add(op.insn(0, s, 0, 0));
        }
        return out;
    }

    /** Ops llvm-objdump has no (or a different) spelling for: pseudo lddw and kfunc calls. */
    private static boolean llvmKnows(Op op) {
        return (op.kind != Op.Kind.LDDW || op == Op.LDDW) && op != Op.CALL_KFUNC;
    }

    @Test
    void everyOpcodeMatchesLlvmObjdump() throws Exception {
        Random rnd = new Random(2024);
        List<Insn> slots = new ArrayList<>();
        List<Op> ops = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            for (Op op : Op.values()) {
                if (llvmKnows(op)) {
                    ops.add(op);
                    slots.addAll(canonical(op, rnd));
                }
            }
        }
        StringBuilder src = new StringBuilder();
        for (Insn i : slots) {
            src.append(String.format(".quad 0x%016x%n", i.encode()));
        }
        Path s = tmp.resolve("all.s");
        Path o = tmp.resolve("all.o");
        Files.writeString(s, src);
        run("llvm-mc-19", "-triple", "bpfel", "-filetype=obj", s.toString(), "-o", o.toString());
        List<String> plain = objdump(o, false);
        List<String> v4 = objdump(o, true);
        Program p = Program.of(slots);
        int pc = 0;
        int line = 0;
        for (Op op : ops) {
            String mine = Disassembler.format(p, pc);
            // llvm's default decoding ignores the atomic operation of 32-bit atomics; --mcpu=v4 reads it
            String theirs = (op.kind == Op.Kind.ATOMIC && op.width == 4 ? v4 : plain).get(line);
            assertEquals(theirs, mine, "pc " + pc + " " + op + " " + Long.toHexString(p.slot(pc)));
            pc += op.slots();
            line += op.slots(); // llvm prints an lddw on one line but numbers the text by slot: see objdump()
        }
    }

    @Test
    void clangCompiledProgramMatchesLlvmObjdump() throws Exception {
        Path c = tmp.resolve("prog.c");
        Files.writeString(c, """
                typedef unsigned long long u64; typedef unsigned int u32; typedef unsigned char u8;
                static __attribute__((noinline)) int f(int x) { return x * 3 + 1; }
                __attribute__((section("xdp"))) int prog(u8 *p, u64 *v) {
                    long long big = 0x1122334455667788LL;
                    __sync_fetch_and_add(v, 1);
                    u64 o = __sync_fetch_and_add(v, p[3]);
                    if (o > 100) return 0;
                    short s = *(short *)(p + 2); int q = (int)s >> 3;
                    u32 u = (u32)p[1] / (p[2] + 1);
                    if ((signed char)p[5] < -3) q ^= 7;
                    return f(p[0] + q + u + (big >> 60)) & 3 ? 2 : __builtin_bswap32(q);
                }
                """);
        Path o = tmp.resolve("prog.o");
        run("clang-19", "-target", "bpf", "-mcpu=v4", "-O2", "-c", c.toString(), "-o", o.toString());
        Path bin = tmp.resolve("xdp.bin");
        run("llvm-objcopy-19", "-O", "binary", "--only-section=xdp", o.toString(), bin.toString());
        Program p = Program.fromBytes(Files.readAllBytes(bin));
        List<String> theirs = objdump(o, false, "xdp");
        assertTrue(p.length() > 10, "compiled program too short: " + p.length());
        for (int pc = 0; pc < p.length(); pc++) {
            assertEquals(theirs.get(pc), Disassembler.format(p, pc), "pc " + pc);
            if (p.insn(pc).op() == Op.LDDW) {
                pc++;
            }
        }
    }

    /** llvm-objdump's text per slot index (an lddw's second slot gets an empty entry). */
    private List<String> objdump(Path o, boolean v4, String... section) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("llvm-objdump-19", "-d", "--no-show-raw-insn", "--no-leading-addr"));
        if (v4) {
            cmd.add("--mcpu=v4");
        }
        if (section.length > 0) {
            cmd.add("--section=" + section[0]);
        }
        cmd.add(o.toString());
        String out = run(cmd.toArray(String[]::new));
        List<String> lines = new ArrayList<>();
        boolean in = false;
        for (String l : out.split("\n")) {
            if (l.endsWith(">:")) {
                in = true;
                continue;
            }
            if (!in || l.isBlank()) {
                continue;
            }
            String t = l.strip().replaceAll(" <[^<>]*>$", "");
            lines.add(t);
            if (t.endsWith(" ll")) {
                lines.add("");
            }
        }
        return lines;
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = proc.getInputStream().readAllBytes();
        assertTrue(proc.waitFor(60, TimeUnit.SECONDS), "timeout: " + String.join(" ", cmd));
        String text = new String(out);
        assertEquals(0, proc.exitValue(), String.join(" ", cmd) + "\n" + text);
        return text;
    }

    static byte[] le(long... slots) {
        ByteBuffer b = ByteBuffer.allocate(slots.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long s : slots) {
            b.putLong(s);
        }
        return b.array();
    }
}
