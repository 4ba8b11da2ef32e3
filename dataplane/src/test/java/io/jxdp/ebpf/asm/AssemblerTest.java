package io.jxdp.ebpf.asm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.isa.Op;
import io.jxdp.ebpf.isa.Program;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class AssemblerTest {

    /** (source line, expected slots as little-endian u64s), encodings worked out by hand from RFC 9669. */
    static Stream<Arguments> encodings() {
        return Stream.of(
                Arguments.of("add32 %r0, -3", new long[] {0xfffffffd_0000_00_04L}),
                Arguments.of("add %r1, %r2", new long[] {0x00000000_0000_21_0fL}),
                Arguments.of("mov32 %r1, 0x87654321", new long[] {0x87654321_0000_01_b4L}),
                Arguments.of("sdiv %r3, 7", new long[] {0x00000007_0001_03_37L}),
                Arguments.of("smod32 %r3, %r4", new long[] {0x00000000_0001_43_9cL}),
                Arguments.of("movsx832 %r1, %r2", new long[] {0x00000000_0008_21_bcL}),
                Arguments.of("movsx3264 %r1, %r2", new long[] {0x00000000_0020_21_bfL}),
                Arguments.of("neg %r5", new long[] {0x00000000_0000_05_87L}),
                Arguments.of("be16 %r2", new long[] {0x00000010_0000_02_dcL}),
                Arguments.of("le64 %r2", new long[] {0x00000040_0000_02_d4L}),
                Arguments.of("bswap32 %r2", new long[] {0x00000020_0000_02_d7L}),
                Arguments.of("swap32 %r2", new long[] {0x00000020_0000_02_d7L}),
                Arguments.of("ldxb %r0, [%r1+2]", new long[] {0x00000000_0002_10_71L}),
                Arguments.of("ldxdw %r0, [%r10-8]", new long[] {0x00000000_fff8_a0_79L}),
                Arguments.of("ldxsh %r0, [%r1]", new long[] {0x00000000_0000_10_89L}),
                Arguments.of("stw [%r10-4], 0x11223344", new long[] {0x11223344_fffc_0a_62L}),
                Arguments.of("stxh [%r1+0x10], %r2", new long[] {0x00000000_0010_21_6bL}),
                Arguments.of("lock add [%r1+0], %r2", new long[] {0x00000000_0000_21_dbL}),
                Arguments.of("lock fetch add32 [%r1+4], %r2", new long[] {0x00000001_0004_21_c3L}),
                Arguments.of("lock xchg [%r1], %r2", new long[] {0x000000e1_0000_21_dbL}),
                Arguments.of("lock cmpxchg32 [%r1], %r2", new long[] {0x000000f1_0000_21_c3L}),
                Arguments.of("lock fetch xor [%r1], %r2", new long[] {0x000000a1_0000_21_dbL}),
                Arguments.of("lddw %r1, 0x1122334455667788", new long[] {0x55667788_0000_01_18L, 0x11223344_0000_00_00L}),
                Arguments.of("lddw %r1, -1", new long[] {0xffffffff_0000_01_18L, 0xffffffff_0000_00_00L}),
                Arguments.of("jeq %r1, 5, +2", new long[] {0x00000005_0002_01_15L}),
                Arguments.of("jsle32 %r1, %r2, -1", new long[] {0x00000000_ffff_21_deL}),
                Arguments.of("jne %r1, 0x80000000, +1", new long[] {0x80000000_0001_01_55L}),
                Arguments.of("ja -1", new long[] {0x00000000_ffff_00_05L}),
                Arguments.of("ja32 +70000", new long[] {0x00011170_0000_00_06L}),
                Arguments.of("call 1", new long[] {0x00000001_0000_00_85L}),
                Arguments.of("call %r2", new long[] {0x00000000_0000_02_8dL}),
                Arguments.of("call local +3", new long[] {0x00000003_0000_10_85L}),
                Arguments.of("call kfunc 99", new long[] {0x00000063_0000_20_85L}),
                Arguments.of("ldabsh 12", new long[] {0x0000000c_0000_00_28L}),
                Arguments.of("ldindb %r3, 1", new long[] {0x00000001_0000_30_50L}),
                Arguments.of("exit", new long[] {0x00000000_0000_00_95L}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("encodings")
    void encodesAsTheRfcSays(String line, long[] slots) {
        assertEquals(Program.ofSlots(slots), Assembler.assemble(line));
    }

    @Test
    void labelsCountSlotsAndExitIsImplicit() {
        Program p = Assembler.assemble("""
                # comment line
                mov %r0, 0          # trailing comment
                jeq %r1, 0, exit
                lddw %r2, 1
                ja32 done
                  back:
                mov %r0, 1
                done:
                jne %r0, 1, back
                call local fn
                exit
                fn:
                exit
                """);
        assertEquals(Op.JEQ64_IMM.insn(1, 0, 6, 0), p.insn(1)); // first exit is slot 8: 8 - (1 + 1)
        assertEquals(Op.JA32.insn(0, 0, 0, 1), p.insn(4));
        assertEquals(Op.JNE64_IMM.insn(0, 0, -2, 1), p.insn(6)); // back is slot 5: 5 - (6 + 1)
        assertEquals(Op.CALL_LOCAL.insn(0, 0, 0, 1), p.insn(7));
        assertEquals(10, p.length());
    }

    @Test
    void anExplicitExitLabelWins() {
        Program p = Assembler.assemble("ja exit\nexit\nexit:\nmov %r0, 1\nexit");
        assertEquals(1, p.insn(0).off());
    }

    static Stream<Arguments> errors() {
        return Stream.of(
                Arguments.of("mov %r0, 1\n  frob %r1, 2", "line 2, column 3: unknown mnemonic 'frob'"),
                Arguments.of("mov %r11, 1", "line 1, column 5: expected a register %r0..%r10, found '%r11'"),
                Arguments.of("add %r1", "line 1, column 8: 'add' expects 2 operands (register, register or immediate), found 1"),
                Arguments.of("exit %r0", "line 1, column 6: 'exit' expects 0 operands (nothing), found 1"),
                Arguments.of("ja nowhere", "line 1, column 4: undefined label 'nowhere'"),
                Arguments.of("mov %r1, 0x100000000", "line 1, column 10: immediate 0x100000000 does not fit in 32 bits"),
                Arguments.of("mov %r1, zz", "line 1, column 10: expected an immediate number, found 'zz'"),
                Arguments.of("ldxw %r1, [%r2+40000]", "line 1, column 11: offset 40000 does not fit in 16 signed bits"),
                Arguments.of("ldxw %r1, %r2", "line 1, column 11: expected a memory operand [%rN+off], found '%r2'"),
                Arguments.of("ja +40000", "line 1, column 4: jump offset 40000 does not fit in 16 bits"),
                Arguments.of("a:\na:\nexit", "line 2, column 1: label 'a' is defined twice"),
                Arguments.of("1x:", "line 1, column 1: expected a label name before ':', found '1x'"),
                Arguments.of("lock", "line 1, column 5: expected an atomic operation after 'lock'"),
                Arguments.of("lddw %r1, 0x10000000000000000", "line 1, column 11: immediate 0x10000000000000000 does not fit in 64 bits"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("errors")
    void errorsNameLineColumnAndExpectation(String source, String message) {
        AsmException e = assertThrows(AsmException.class, () -> Assembler.assemble(source));
        assertEquals(message, e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(longs = {1L, 2L, 3L})
    void writerOutputAssemblesToTheSameSlots(long seed) {
        Random rnd = new Random(seed);
        List<Insn> slots = new ArrayList<>();
        for (int n = 0; n < 2000; n++) {
            Op op = Op.values()[rnd.nextInt(Op.values().length)];
            if (op.kind == Op.Kind.LDDW && op != Op.LDDW) {
                continue;
            }
            int d = rnd.nextInt(11);
            int s = rnd.nextInt(11);
            int off = (short) rnd.nextInt();
            int imm = rnd.nextInt();
            switch (op.kind) {
                case ALU -> slots.add(op.source == Op.Source.REG ? op.insn(d, s, 0, 0) : op.insn(d, 0, 0, imm));
                case NEG, END -> slots.add(op.insn(d, 0, 0, 0));
                case MOVSX -> slots.add(op.insn(d, s, 0, 0));
                case JUMP -> slots.add(op.source == Op.Source.REG ? op.insn(d, s, off, 0) : op.insn(d, 0, off, imm));
                case JA -> slots.add(op.insn(0, 0, off, 0));
                case JA32, CALL, CALL_LOCAL, CALL_KFUNC -> slots.add(op.insn(0, 0, 0, imm));
                case CALLX -> slots.add(op.insn(d, 0, 0, 0));
                case EXIT -> slots.add(op.insn(0, 0, 0, 0));
                case LDX, LDXSX -> slots.add(op.insn(d, s, off, 0));
                case ST -> slots.add(op.insn(d, 0, off, imm));
                case STX, ATOMIC -> slots.add(op.insn(d, s, off, 0));
                case LDDW -> {
                    slots.add(op.insn(d, 0, 0, imm));
                    slots.add(new Insn(0, 0, 0, 0, rnd.nextInt()));
                }
                case LD_ABS -> slots.add(op.insn(0, 0, 0, imm));
                case LD_IND -> slots.add(op.insn(0, s, 0, imm));
            }
        }
        Program p = Program.of(slots);
        String text = AsmWriter.write(p);
        assertEquals(p, Assembler.assemble(text), text.lines().limit(5).toList().toString());
    }

    @Test
    void writerRejectsPseudoLddw() {
        Program p = Program.of(List.of(Op.LDDW_MAP_FD.insn(1, 0, 0, 3), new Insn(0, 0, 0, 0, 0)));
        assertThrows(IllegalArgumentException.class, () -> AsmWriter.write(p));
    }
}
