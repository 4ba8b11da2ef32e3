package io.jxdp.ebpf.interp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.asm.Assembler;
import io.jxdp.ebpf.helper.HelperRegistry;
import io.jxdp.ebpf.isa.Op;
import io.jxdp.ebpf.isa.Program;
import io.jxdp.ebpf.map.AllocationCounter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Edge cases of every instruction family beyond the conformance suite, run in both modes. Each case
 * is (name, program, input memory as hex or null, expected r0); r1 = memory, r2 = its length.
 */
class InterpreterTest {

    static Stream<Arguments> cases() {
        List<Object[]> c = new ArrayList<>();
        // the last instruction may be an unconditional jump (exit in the middle)
        c.add(new Object[] {"a program may end on ja", "ja start\ndone:\nexit\nstart:\nmov %r0, 0\nloop:\nadd %r0, 1\n"
                + "jge %r0, 5, done\nja loop", null, 5L});
        // shifts: the amount is masked to the width, for immediates and registers alike
        c.add(new Object[] {"lsh64 by reg 65 is by 1", "mov %r0, 1\nmov %r1, 65\nlsh %r0, %r1\nexit", null, 2L});
        c.add(new Object[] {"lsh64 by reg -1 is by 63", "mov %r0, 1\nmov %r1, -1\nlsh %r0, %r1\nexit", null, Long.MIN_VALUE});
        c.add(new Object[] {"lsh32 by reg 33 is by 1", "mov %r0, 1\nmov %r1, 33\nlsh32 %r0, %r1\nexit", null, 2L});
        c.add(new Object[] {"lsh32 by imm 32 is by 0", "mov %r0, 1\nlsh32 %r0, 32\nexit", null, 1L});
        c.add(new Object[] {"lsh32 drops bits above 32", "mov32 %r0, 0x80000001\nlsh32 %r0, 1\nexit", null, 2L});
        c.add(new Object[] {"rsh32 by reg 35 is by 3", "mov32 %r0, 0x80000000\nmov %r1, 35\nrsh32 %r0, %r1\nexit", null, 0x10000000L});
        c.add(new Object[] {"rsh32 ignores the high half", "lddw %r0, 0xffffffff00000010\nrsh32 %r0, 4\nexit", null, 1L});
        c.add(new Object[] {"arsh32 by reg 36 sign-fills then zero-extends", "mov32 %r0, 0x80000000\nmov %r1, 36\narsh32 %r0, %r1\nexit", null, 0xf8000000L});
        c.add(new Object[] {"arsh64 by reg 68 is by 4", "lddw %r0, 0x8000000000000000\nmov %r1, 68\narsh %r0, %r1\nexit", null, 0xf800000000000000L});
        c.add(new Object[] {"rsh64 is logical", "mov %r0, -1\nrsh %r0, 60\nexit", null, 0xfL});
        // sign extension
        c.add(new Object[] {"mov64 imm sign-extends", "mov %r0, -2\nexit", null, -2L});
        c.add(new Object[] {"mov32 imm zero-extends", "mov32 %r0, -2\nexit", null, 0xfffffffeL});
        c.add(new Object[] {"add64 imm sign-extends", "mov %r0, 0\nadd %r0, -1\nexit", null, -1L});
        c.add(new Object[] {"movsx864", "mov %r1, 0x180\nmovsx864 %r0, %r1\nexit", null, -128L});
        c.add(new Object[] {"movsx832 zero-extends the 32-bit result", "mov %r1, 0x80\nmovsx832 %r0, %r1\nexit", null, 0xffffff80L});
        c.add(new Object[] {"movsx1632", "mov %r1, 0x8000\nmovsx1632 %r0, %r1\nexit", null, 0xffff8000L});
        c.add(new Object[] {"movsx1664", "mov %r1, 0x18000\nmovsx1664 %r0, %r1\nexit", null, -32768L});
        c.add(new Object[] {"movsx3264", "mov32 %r1, 0x80000000\nmovsx3264 %r0, %r1\nexit", null, 0xffffffff80000000L});
        c.add(new Object[] {"ldxsb", "ldxsb %r0, [%r1+1]\nexit", "00 80", -128L});
        c.add(new Object[] {"ldxsh", "ldxsh %r0, [%r1]\nexit", "fe ff", -2L});
        c.add(new Object[] {"ldxsw", "ldxsw %r0, [%r1]\nexit", "00 00 00 80", 0xffffffff80000000L});
        c.add(new Object[] {"ldxw zero-extends", "ldxw %r0, [%r1]\nexit", "00 00 00 80", 0x80000000L});
        c.add(new Object[] {"jsgt imm is sign-extended", "mov %r0, 0\nmov %r1, -1\njsgt %r1, -2, +1\nexit\nmov %r0, 1\nexit", null, 1L});
        c.add(new Object[] {"jgt imm -1 is unsigned max", "mov %r0, 0\nmov %r1, -1\njgt %r1, -1, +1\nmov %r0, 1\nexit", null, 1L});
        // 32-bit zero extension
        c.add(new Object[] {"add32 wraps and zero-extends", "mov %r0, -1\nadd32 %r0, 1\nexit", null, 0L});
        c.add(new Object[] {"mov32 reg clears the high half", "mov %r1, -1\nmov32 %r0, %r1\nexit", null, 0xffffffffL});
        c.add(new Object[] {"neg32", "mov %r0, 1\nneg32 %r0\nexit", null, 0xffffffffL});
        c.add(new Object[] {"neg64", "mov %r0, 1\nneg %r0\nexit", null, -1L});
        c.add(new Object[] {"mul32 keeps the low half", "mov32 %r0, 0x10000\nmul32 %r0, 0x10000\nexit", null, 0L});
        c.add(new Object[] {"jeq32 ignores the high half", "mov %r0, 0\nlddw %r1, 0x100000005\njeq32 %r1, 5, +1\nexit\nmov %r0, 1\nexit", null, 1L});
        c.add(new Object[] {"jset32", "mov %r0, 0\nlddw %r1, 0x100000000\njset32 %r1, -1, +1\nmov %r0, 1\nexit", null, 1L});
        // division and modulo
        c.add(new Object[] {"div64 by zero reg is 0", "mov %r0, 7\nmov %r1, 0\ndiv %r0, %r1\nexit", null, 0L});
        c.add(new Object[] {"div32 by zero reg is 0", "mov %r0, 7\nmov %r1, 0\ndiv32 %r0, %r1\nexit", null, 0L});
        c.add(new Object[] {"div32 by reg with zero low half is 0", "mov %r0, 7\nlddw %r1, 0x100000000\ndiv32 %r0, %r1\nexit", null, 0L});
        c.add(new Object[] {"mod64 by zero leaves dst", "mov %r0, -5\nmov %r1, 0\nmod %r0, %r1\nexit", null, -5L});
        c.add(new Object[] {"mod32 by zero zero-extends dst", "lddw %r0, 0xffffffff00000005\nmov %r1, 0\nmod32 %r0, %r1\nexit", null, 5L});
        c.add(new Object[] {"div64 imm is unsigned against sign-extended imm", "mov %r0, 10\ndiv %r0, -1\nexit", null, 0L});
        c.add(new Object[] {"div64 unsigned", "mov %r0, -1\ndiv %r0, 2\nexit", null, Long.MAX_VALUE});
        c.add(new Object[] {"div32 unsigned", "mov32 %r0, -1\ndiv32 %r0, 2\nexit", null, 0x7fffffffL});
        c.add(new Object[] {"mod64 unsigned", "mov %r0, -1\nmod %r0, 10\nexit", null, Long.remainderUnsigned(-1L, 10)});
        c.add(new Object[] {"sdiv64 by zero is 0", "mov %r0, -7\nmov %r1, 0\nsdiv %r0, %r1\nexit", null, 0L});
        c.add(new Object[] {"smod64 by zero leaves dst", "mov %r0, -7\nmov %r1, 0\nsmod %r0, %r1\nexit", null, -7L});
        c.add(new Object[] {"smod32 by zero zero-extends dst", "mov %r0, -7\nmov %r1, 0\nsmod32 %r0, %r1\nexit", null, 0xfffffff9L});
        c.add(new Object[] {"sdiv64 MIN / -1 = MIN", "lddw %r0, 0x8000000000000000\nsdiv %r0, -1\nexit", null, Long.MIN_VALUE});
        c.add(new Object[] {"smod64 MIN % -1 = 0", "lddw %r0, 0x8000000000000000\nmov %r1, -1\nsmod %r0, %r1\nexit", null, 0L});
        c.add(new Object[] {"sdiv32 MIN / -1 = MIN", "mov32 %r0, 0x80000000\nsdiv32 %r0, -1\nexit", null, 0x80000000L});
        c.add(new Object[] {"smod32 MIN % -1 = 0", "mov32 %r0, 0x80000000\nmov %r1, -1\nsmod32 %r0, %r1\nexit", null, 0L});
        c.add(new Object[] {"sdiv64 truncates toward zero", "mov %r0, -7\nsdiv %r0, 2\nexit", null, -3L});
        c.add(new Object[] {"smod64 takes the dividend's sign", "mov %r0, -7\nsmod %r0, 2\nexit", null, -1L});
        // byte order
        c.add(new Object[] {"be16", "lddw %r0, 0x1122334455667788\nbe16 %r0\nexit", null, 0x8877L});
        c.add(new Object[] {"be32", "lddw %r0, 0x1122334455667788\nbe32 %r0\nexit", null, 0x88776655L});
        c.add(new Object[] {"be64", "lddw %r0, 0x1122334455667788\nbe64 %r0\nexit", null, 0x8877665544332211L});
        c.add(new Object[] {"le16 truncates", "lddw %r0, 0x1122334455667788\nle16 %r0\nexit", null, 0x7788L});
        c.add(new Object[] {"le32 truncates", "lddw %r0, 0x1122334455667788\nle32 %r0\nexit", null, 0x55667788L});
        c.add(new Object[] {"le64 keeps", "lddw %r0, 0x1122334455667788\nle64 %r0\nexit", null, 0x1122334455667788L});
        c.add(new Object[] {"bswap16", "lddw %r0, 0x1122334455667788\nbswap16 %r0\nexit", null, 0x8877L});
        c.add(new Object[] {"bswap32", "lddw %r0, 0x1122334455667788\nbswap32 %r0\nexit", null, 0x88776655L});
        // atomics: fetch values and 32-bit zero extension
        c.add(new Object[] {"fetch add64 returns the old value", "mov %r2, 5\nlock fetch add [%r1], %r2\nldxdw %r3, [%r1]\nlsh %r2, 8\nor %r2, %r3\nmov %r0, %r2\nexit",
            "07 00 00 00 00 00 00 00", 0x70cL});
        c.add(new Object[] {"fetch add32 zero-extends the old value and leaves the high word",
            "mov %r2, 1\nlock fetch add32 [%r1], %r2\nldxdw %r3, [%r1]\nlddw %r4, 0x1100000000\njne %r3, %r4, fail\nmov %r0, %r2\nexit\nfail:\nmov %r0, -1\nexit",
            "ff ff ff ff 11 00 00 00", 0xffffffffL});
        c.add(new Object[] {"lock add32 without fetch keeps src", "mov %r2, -1\nlock add32 [%r1], %r2\nldxw %r0, [%r1]\nadd %r0, %r2\nexit", "02 00 00 00", 0L});
        c.add(new Object[] {"fetch or/and/xor64", "mov %r2, 0xf0\nlock fetch or [%r1], %r2\nmov %r3, 0x3c\nlock fetch and [%r1], %r3\nmov %r4, 0xff\nlock fetch xor [%r1], %r4\nldxdw %r0, [%r1]\nlsh %r0, 8\nor %r0, %r4\nexit",
            "0f 00 00 00 00 00 00 00", 0x00c33cL});
        c.add(new Object[] {"xchg32 zero-extends", "lddw %r2, 0x7700000011\nlock xchg32 [%r1], %r2\nldxw %r3, [%r1]\nlsh %r3, 32\nor %r2, %r3\nmov %r0, %r2\nexit",
            "fe ff ff ff", 0x00000011fffffffeL});
        c.add(new Object[] {"cmpxchg32 compares the low half of r0 and zero-extends it", "lddw %r0, 0xaa00000005\nmov %r2, 9\nlock cmpxchg32 [%r1], %r2\nldxw %r3, [%r1]\nlsh %r3, 32\nor %r0, %r3\nexit",
            "05 00 00 00", 0x0000000900000005L});
        c.add(new Object[] {"cmpxchg64 failure loads the current value", "mov %r0, 1\nmov %r2, 9\nlock cmpxchg [%r1], %r2\nldxdw %r3, [%r1]\nadd %r0, %r3\nexit",
            "04 00 00 00 00 00 00 00", 8L});
        // control flow
        c.add(new Object[] {"ja32 reaches far", "mov %r0, 1\nja32 +1\nmov %r0, 2\nexit", null, 1L});
        c.add(new Object[] {"bpf-to-bpf keeps r6-r9 and separates frames",
            "mov %r6, 6\nstdw [%r10-8], 42\ncall local f\nldxdw %r1, [%r10-8]\nadd %r0, %r1\nadd %r0, %r6\nexit\n"
                + "f:\nmov %r6, 100\nstdw [%r10-8], 1000\nmov %r0, %r10\nmov %r0, 3\nexit", null, 51L});
        c.add(new Object[] {"seven nested calls (8 frames) are allowed", nested(7), null, 7L});
        c.add(new Object[] {"ld_abs reads big-endian from the packet", "ldabsh 2\nexit", "00 00 12 34", 0x1234L});
        c.add(new Object[] {"ld_ind adds the register", "mov %r6, 1\nldindw %r6, 1\nexit", "00 00 01 02 03 04", 0x01020304L});
        c.add(new Object[] {"ld_abs out of range ends with r0 = 0", "mov %r0, 5\nldabsw 2\nmov %r0, 9\nexit", "00 00 01 02 03", 0L});
        c.add(new Object[] {"ld_ind with negative offset ends with r0 = 0", "mov %r0, 5\nmov %r6, -4\nldindb %r6, 1\nmov %r0, 9\nexit", "00 00", 0L});
        c.add(new Object[] {"helper unwind stops with its result", "mov %r1, 0\ncall 5\nmov %r0, 2\nexit", null, 0L});
        c.add(new Object[] {"helper receives r1..r5", "mov %r1, 1\nmov %r2, 2\nmov %r3, 3\nmov %r4, 4\nmov %r5, 5\ncall 7\nexit", null, 12345L});
        c.add(new Object[] {"callx calls the helper id in the register", "mov %r1, 7\nmov %r8, 5\ncall %r8\nexit", null, 7L});
        return c.stream().flatMap(a -> Stream.of(Interpreter.Mode.values())
                .map(m -> Arguments.of(a[0], a[1], a[2], a[3], m)));
    }

    /** n nested bpf-to-bpf calls; each level adds 1 to r0. */
    static String nested(int n) {
        StringBuilder sb = new StringBuilder("mov %r0, 0\ncall local f1\nexit\n");
        for (int i = 1; i <= n; i++) {
            sb.append("f").append(i).append(":\n");
            sb.append(i < n ? "call local f" + (i + 1) + "\n" : "").append("add %r0, 1\nexit\n");
        }
        return sb.toString();
    }

    static HelperRegistry helpers() {
        return new HelperRegistry()
                .register(5, "unwind", (ctx, r1, r2, r3, r4, r5) -> {
                    if (r1 == 0) {
                        ctx.stop();
                    }
                    return r1;
                })
                .register(7, "digits", (ctx, r1, r2, r3, r4, r5) -> r1 * 10000 + r2 * 1000 + r3 * 100 + r4 * 10 + r5);
    }

    static long run(String asm, String memHex, Interpreter.Mode mode) {
        Program p = Assembler.assemble(asm);
        Interpreter vm = new Interpreter(p, helpers(), mode);
        try (Arena arena = Arena.ofConfined()) {
            byte[] mem = memHex == null ? new byte[0] : HexFormat.ofDelimiter(" ").parseHex(memHex);
            MemorySegment seg = arena.allocate(Math.max(8, mem.length), 8);
            seg.copyFrom(MemorySegment.ofArray(mem));
            vm.regions().add("mem", seg.address(), mem.length, true);
            vm.context().packet(seg.address(), mem.length);
            return vm.run(seg.address(), mem.length);
        }
    }

    @ParameterizedTest(name = "{0} ({4})")
    @MethodSource("cases")
    void edgeCase(String name, String asm, String mem, long expected, Interpreter.Mode mode) {
        long r0 = run(asm, mem, mode);
        assertEquals(expected, r0, () -> name + ": expected 0x" + Long.toHexString(expected) + ", got 0x" + Long.toHexString(r0));
    }

    static Stream<Arguments> faults() {
        return Stream.of(
                Arguments.of("eight nested calls exceed 8 frames", nested(8), "", "call depth limit of 8 frames exceeded"),
                Arguments.of("budget stops a loop", "mov %r0, 0\nloop:\nadd %r0, 1\nja loop", "", "instruction budget of 1000 exhausted"),
                Arguments.of("read past the input", "ldxdw %r0, [%r1+4]\nexit", "00 00 00 00 00 00 00 00",
                        "pc 0 (r0 = *(u64 *)(r1 + 0x4)): out-of-bounds read of 8 bytes at 0x"),
                Arguments.of("null pointer read", "mov %r1, 0\nldxb %r0, [%r1+0]\nexit", "", "pc 1 (r0 = *(u8 *)(r1 + 0x0)): out-of-bounds read of 1 bytes at 0x0 "),
                Arguments.of("write above the stack", "stdw [%r10+0], 1\nexit", "", "out-of-bounds write of 8 bytes"),
                Arguments.of("write below the frame", "stb [%r10-513], 1\nexit", "", "in an inactive stack frame"),
                Arguments.of("store to read-only memory", "stb [%r1+0], 1\nexit", "ro", "read-only"),
                Arguments.of("misaligned atomic", "mov %r2, 1\nlock add [%r10-12], %r2\nexit", "", "misaligned atomic access"),
                Arguments.of("unknown helper", "call 999\nexit", "", "pc 0 (call 0x3e7): unknown helper 999"),
                Arguments.of("known but unsupported helper", "call 12\nexit", "", "helper 12 (tail_call) not supported"),
                Arguments.of("kfunc", "call kfunc 77\nexit", "", "unsupported: kfunc calls"),
                Arguments.of("callx to nothing", "mov %r3, 3000\ncall %r3\nexit", "", "callx r3: unknown helper 3000"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("faults")
    void runtimeFaultIsACleanException(String name, String asm, String mem, String message) {
        Program p = Assembler.assemble(asm);
        Interpreter vm = new Interpreter(p, helpers(), Interpreter.Mode.CHECKED);
        vm.budget(1000);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(8, 8);
            vm.regions().add("mem", seg.address(), mem.equals("ro") ? 8 : mem.isEmpty() ? 0 : 8, !mem.equals("ro"));
            VmException e = assertThrows(VmException.class, () -> vm.run(seg.address(), 8));
            assertTrue(e.getMessage().contains(message), e.getMessage());
        }
    }

    static Stream<Arguments> loadErrors() {
        return Stream.of(
                Arguments.of("write to r10", Program.of(List.of(Op.MOV64_IMM.insn(10, 0, 0, 0), Op.EXIT.insn(0, 0, 0, 0))),
                        "pc 0 (r10 = 0x0): r10 is the read-only frame pointer"),
                Arguments.of("load into r10", Assembler.assemble("ldxdw %r10, [%r1]\nexit"), "r10 is the read-only frame pointer"),
                Arguments.of("atomic fetch into r10", Assembler.assemble("lock fetch add [%r1], %r10\nexit"),
                        "r10 is the read-only frame pointer"),
                Arguments.of("xchg into r10", Assembler.assemble("lock xchg32 [%r1], %r10\nexit"), "r10 is the read-only frame pointer"),
                Arguments.of("unknown opcode", Program.ofSlots(0xffL, 0x95L), "pc 0 (<invalid opcode 0xff>): unknown opcode 0xff"),
                Arguments.of("register 11", Program.ofSlots(Op.MOV64_IMM.insn(11, 0, 0, 0).encode(), 0x95L), "invalid register r11"),
                Arguments.of("jump out of the program", Assembler.assemble("ja +5\nexit"), "jump target 6 is outside the program"),
                Arguments.of("jump into lddw", Assembler.assemble("ja +1\nlddw %r0, 1\nexit"), "jump target 2 is the second slot of an lddw"),
                Arguments.of("truncated lddw", Program.ofSlots(0x18L), "lddw is missing its second slot"),
                Arguments.of("bad lddw second slot", Program.ofSlots(0x18L, 0x95L), "second slot of lddw"),
                // a last instruction that can continue at pc + 1 would run off the end of the program
                Arguments.of("empty program", Program.ofSlots(), "pc 0: empty program"),
                Arguments.of("one mov and no exit", Assembler.assemble("mov %r0, 1"),
                        "pc 0 (r0 = 0x1): falls off the end of the program at instruction 0"),
                Arguments.of("ends on lddw", Assembler.assemble("mov %r0, 0\nlddw %r0, 0x1122334455667788"),
                        "pc 1 (r0 = 0x1122334455667788 ll): falls off the end of the program at instruction 1"),
                Arguments.of("callee runs off its end", Assembler.assemble("call local f\nexit\nf:\nmov %r0, 1"),
                        "pc 2 (r0 = 0x1): falls off the end of the program at instruction 2"),
                Arguments.of("ends on a conditional jump", Assembler.assemble("mov %r0, 0\nloop:\nadd %r0, 1\njlt %r0, 5, loop"),
                        "falls off the end of the program at instruction 2"),
                Arguments.of("ends on a local call", Assembler.assemble("ja main\nf:\nmov %r0, 2\nexit\nmain:\ncall local f"),
                        "falls off the end of the program at instruction 3"),
                Arguments.of("ends on a helper call", Assembler.assemble("mov %r1, 1\ncall 7"),
                        "falls off the end of the program at instruction 1"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("loadErrors")
    void badProgramIsRejectedAtLoad(String name, Program p, String message) {
        for (Interpreter.Mode mode : Interpreter.Mode.values()) {
            VmException e = assertThrows(VmException.class, () -> new Interpreter(p, helpers(), mode));
            assertTrue(e.getMessage().contains(message), e.getMessage());
        }
    }

    @ParameterizedTest
    @MethodSource("pseudoLddw")
    void unresolvedPseudoLddwFaults(Op op) {
        Program p = Program.of(List.of(op.insn(1, 0, 0, 3), new io.jxdp.ebpf.isa.Insn(0, 0, 0, 0, 0), Op.EXIT.insn(0, 0, 0, 0)));
        VmException e = assertThrows(VmException.class, () -> new Interpreter(p, null, Interpreter.Mode.CHECKED).run(0, 0));
        assertTrue(e.getMessage().contains("unresolved pseudo lddw"), e.getMessage());
    }

    static Stream<Op> pseudoLddw() {
        return Stream.of(Op.values()).filter(o -> o.kind == Op.Kind.LDDW && o != Op.LDDW);
    }

    @org.junit.jupiter.api.Test
    void helperRegionsLastForTheRun() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(8, 8);
            value.set(ValueLayout.JAVA_LONG, 0, 41);
            HelperRegistry h = new HelperRegistry().register(1, (ctx, r1, r2, r3, r4, r5) -> {
                ctx.regions().add("map value", value, true); // as a map lookup helper hands out a value
                return value.address();
            });
            Interpreter vm = new Interpreter(Assembler.assemble("call 1\nldxdw %r1, [%r0]\nadd %r1, 1\nstxdw [%r0], %r1\nmov %r0, %r1\nexit"),
                    h, Interpreter.Mode.CHECKED);
            vm.regions().add("input", value.address(), 0, false);
            assertEquals(42, vm.run(0, 0));
            assertEquals(1, vm.regions().count(), "the helper's region is gone after the run");
            Interpreter noHelperRegion = new Interpreter(Assembler.assemble("lddw %r0, " + value.address() + "\nldxdw %r0, [%r0]\nexit"),
                    null, Interpreter.Mode.CHECKED);
            assertThrows(VmException.class, () -> noHelperRegion.run(0, 0));
        }
    }

    @org.junit.jupiter.api.Test
    void instructionCountIsReported() {
        Interpreter vm = new Interpreter(Assembler.assemble("mov %r0, 0\nloop:\nadd %r0, 1\njlt %r0, 10, loop\nexit"), null,
                Interpreter.Mode.UNCHECKED);
        assertEquals(10, vm.run(0, 0));
        assertEquals(1 + 2 * 10 + 1, vm.instructionCount());
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(Interpreter.Mode.class)
    void steadyStateRunsAllocateNothing(Interpreter.Mode mode) throws Exception {
        // the demo-style loop with a helper call, a bpf-to-bpf call, stack and memory traffic
        String asm = "mov %r6, %r1\nmov %r7, 0\nmov %r0, 0\nloop:\nldxb %r3, [%r6+0]\nadd %r0, %r3\nstxdw [%r10-8], %r0\n"
                + "call local f\nmov %r1, 1\nmov %r9, %r0\ncall 7\nmov %r0, %r9\nadd %r7, 1\njlt %r7, 50, loop\nexit\n"
                + "f:\nldxdw %r0, [%r10+504]\nadd %r0, 1\nexit";
        Interpreter vm = new Interpreter(Assembler.assemble(asm), helpers(), mode);
        // reflection: the test is compiled in the dataplane module, which does not read jdk.management
        AllocationCounter mx = new AllocationCounter();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(8, 8);
            seg.set(ValueLayout.JAVA_BYTE, 0, (byte) 3);
            vm.regions().add("mem", seg, true);
            long warm = 0;
            for (int i = 0; i < 20_000; i++) {
                warm += vm.run(seg.address(), 8);
            }
            // the best of five windows: JIT recompilation (deoptimisation) may allocate once in a window,
            // per-run allocation would show in every window
            long allocated = Long.MAX_VALUE;
            for (int w = 0; w < 5; w++) {
                long before = mx.allocatedBytes();
                for (int i = 0; i < 2_000; i++) {
                    warm += vm.run(seg.address(), 8);
                }
                allocated = Math.min(allocated, mx.allocatedBytes() - before);
            }
            assertTrue(warm > 0);
            // a few hundred bytes of slack for the MXBean call itself; per-run allocation would be >= 2000 x 16 bytes
            assertTrue(allocated < 1024, "allocated " + allocated + " bytes over 2000 runs");
        }
    }

    @org.junit.jupiter.api.Test
    void atomicsAreAtomicAcrossThreads() throws Exception {
        String asm = "mov %r2, 1\nlock add [%r1], %r2\nmov %r3, 1\nlock fetch add32 [%r1+8], %r3\nmov %r0, %r3\nexit";
        int threads = 4;
        int perThread = 20_000;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment counter = arena.allocate(16, 8);
            Thread[] ts = new Thread[threads];
            Throwable[] err = new Throwable[1];
            for (int t = 0; t < threads; t++) {
                ts[t] = new Thread(() -> {
                    try {
                        Interpreter vm = new Interpreter(Assembler.assemble(asm), null, Interpreter.Mode.CHECKED);
                        vm.regions().add("counter", counter, true);
                        for (int i = 0; i < perThread; i++) {
                            vm.run(counter.address(), 16);
                        }
                    } catch (Throwable e) {
                        err[0] = e;
                    }
                });
                ts[t].start();
            }
            for (Thread t : ts) {
                t.join(60_000);
            }
            assertEquals(null, err[0]);
            assertEquals((long) threads * perThread, counter.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(threads * perThread, counter.get(ValueLayout.JAVA_INT, 8));
        }
    }
}
