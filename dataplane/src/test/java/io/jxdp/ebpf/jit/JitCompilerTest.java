package io.jxdp.ebpf.jit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ebpf.asm.Assembler;
import io.jxdp.ebpf.helper.CallContext;
import io.jxdp.ebpf.helper.HelperRegistry;
import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ebpf.interp.VmException;
import io.jxdp.ebpf.isa.Insn;
import io.jxdp.ebpf.isa.Op;
import io.jxdp.ebpf.isa.Program;
import java.lang.classfile.ClassFile;
import java.lang.classfile.MethodModel;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Calls (depth limit, helpers, callx, stop), compile errors, the dump and verify switches, allocation. */
class JitCompilerTest {
    /** f(n) recurses n times: main + n + 1 frames. */
    private static final String RECURSE = """
            call local f
            exit
            f:
            jeq %r1, 0, base
            sub %r1, 1
            call local f
            add %r0, 1
            exit
            base:
            mov %r0, 0
            exit
            """;

    private static long interp(Program p, HelperRegistry h, long r1) {
        return new Interpreter(p, h, Interpreter.Mode.UNCHECKED).run(r1, 0);
    }

    @ParameterizedTest(name = "budget {0}")
    @ValueSource(ints = {JitOptions.DEFAULT_METHOD_BUDGET, 500})
    void eightFramesAreAllowedAndTheNinthIsAFaultAsInTheInterpreter(int budget) {
        Program p = Assembler.assemble(RECURSE);
        CompiledProgram jit = JitCompiler.compile(p, null, JitOptions.defaults().withMethodBudget(budget).withVerify(true));
        assertEquals(6, jit.run(6, 0), "main + 7 frames");
        assertEquals(6, interp(p, null, 6));
        VmException j = assertThrows(VmException.class, () -> jit.run(7, 0));
        VmException i = assertThrows(VmException.class, () -> interp(p, null, 7));
        assertTrue(j.getMessage().contains("call depth limit of 8 frames exceeded"), j.getMessage());
        assertEquals(i.pc(), j.pc());
        assertEquals(5, jit.run(5, 0), "the instance is usable after a fault");
    }

    /**
     * Generated code ANDs every address with JitRuntime.ADDRESS_MASK so that C2 drops MEM's bounds
     * checks; that must change no address a program can reach: every mapping of this process (heap,
     * mmap, thread stacks, the vdso at the top of user space, per /proc/self/maps) ends below 2^56.
     */
    @Test
    void addressMaskKeepsEveryUserSpaceAddress() throws Exception {
        long highest = 0;
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            String range = line.substring(0, line.indexOf(' '));
            long end = Long.parseUnsignedLong(range.substring(range.indexOf('-') + 1), 16);
            if (end - 1 > highest && !line.contains("[vsyscall]")) { // x86-64's legacy vsyscall page is kernel space
                highest = end - 1;
            }
        }
        assertTrue(highest > 0);
        assertEquals(highest, highest & JitRuntime.ADDRESS_MASK, "top of user space " + Long.toHexString(highest));
        try (Arena a = Arena.ofConfined()) {
            for (long size : new long[] {8, 4096, 8 << 20}) {
                long at = a.allocate(size, 8).address();
                assertEquals(at, at & JitRuntime.ADDRESS_MASK);
                assertEquals(at + size - 1, (at + size - 1) & JitRuntime.ADDRESS_MASK);
            }
        }
    }

    @Test
    void eachFrameIsFiveHundredTwelveBytesBelowItsCaller() {
        Program p = Assembler.assemble("""
                stxdw [%r1], %r10
                call local g
                exit
                g:
                stxdw [%r1+8], %r10
                call local h
                exit
                h:
                stxdw [%r1+16], %r10
                exit
                """);
        CompiledProgram jit = JitCompiler.compile(p, null);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(24, 8);
            jit.run(m.address(), 24);
            long top = jit.stack().address() + jit.stack().byteSize();
            assertEquals(top, m.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(top - 512, m.get(ValueLayout.JAVA_LONG, 8));
            assertEquals(top - 1024, m.get(ValueLayout.JAVA_LONG, 16));
        }
    }

    @Test
    void helpersSeeTheirArgumentsAndContextAndCalleeSavedRegistersSurvive() {
        long[] seen = new long[5];
        CallContext[] ctxSeen = new CallContext[1];
        HelperRegistry h = new HelperRegistry().register(7, "probe", (ctx, r1, r2, r3, r4, r5) -> {
            seen[0] = r1;
            seen[1] = r2;
            seen[2] = r3;
            seen[3] = r4;
            seen[4] = r5;
            ctxSeen[0] = ctx;
            return r1 + r5;
        });
        Program p = Assembler.assemble("""
                mov %r6, 600
                mov %r7, 700
                mov %r8, 800
                mov %r9, 900
                mov %r1, 11
                mov %r2, 22
                mov %r3, 33
                mov %r4, 44
                mov %r5, 55
                call 7
                add %r0, %r6
                add %r0, %r7
                add %r0, %r8
                add %r0, %r9
                exit
                """);
        CompiledProgram jit = JitCompiler.compile(p, h);
        CallContext ctx = new CallContext();
        assertEquals(66 + 3000, jit.run(ctx, 1, 2, 3, 4, 5));
        assertArrayEquals(new long[] {11, 22, 33, 44, 55}, seen);
        assertSame(ctx, ctxSeen[0]);
        assertEquals(66 + 3000, interp(p, h, 0));
    }

    @Test
    void aHelperAskingToStopEndsTheWholeProgramEvenFromANestedCall() {
        HelperRegistry h = new HelperRegistry().register(9, "stopper", (ctx, r1, r2, r3, r4, r5) -> {
            if (r1 == 1) {
                ctx.stop();
            }
            return 40 + r1;
        });
        Program p = Assembler.assemble("""
                call local f
                mov %r0, 7
                exit
                f:
                call local g
                mov %r0, 8
                exit
                g:
                call 9
                mov %r0, 9
                exit
                """);
        CompiledProgram jit = JitCompiler.compile(p, h);
        assertEquals(41, jit.run(1, 0));
        assertEquals(41, interp(p, h, 1));
        assertEquals(7, jit.run(2, 0), "stop is cleared for the next run and only set when asked");
        assertEquals(7, interp(p, h, 2));
    }

    @Test
    void helperExceptionsPropagateUnchanged() {
        IllegalStateException boom = new IllegalStateException("boom");
        HelperRegistry h = new HelperRegistry().register(3, "thrower", (ctx, r1, r2, r3, r4, r5) -> {
            throw boom;
        });
        CompiledProgram jit = JitCompiler.compile(Assembler.assemble("call 3\nexit"), h);
        assertSame(boom, assertThrows(IllegalStateException.class, () -> jit.run(0, 0)));
    }

    @Test
    void callxLooksTheHelperUpAtRunTime() {
        HelperRegistry h = new HelperRegistry().register(4, "four", (ctx, r1, r2, r3, r4, r5) -> 4000 + r1);
        Program p = Assembler.assemble("""
                mov %r2, %r1
                mov %r1, 5
                callx %r2
                exit
                """);
        CompiledProgram jit = JitCompiler.compile(p, h);
        assertEquals(4005, jit.run(4, 0));
        VmException e = assertThrows(VmException.class, () -> jit.run(999, 0));
        assertTrue(e.getMessage().contains("callx r2: unknown helper 999"), e.getMessage());
        assertEquals(2, e.pc());
        VmException missing = assertThrows(VmException.class, () -> jit.run(1, 0));
        assertTrue(missing.getMessage().contains("helper 1 (map_lookup_elem) not supported"), missing.getMessage());
    }

    /** A program of three functions: main returns 1000 + f(r1); f and g can be entered directly. */
    private static final String ENTRIES = """
            call local f
            add %r0, 1000
            exit
            f:
            mov %r0, %r1
            add %r0, 10
            exit
            g:
            mov %r0, %r1
            mul %r0, %r2
            exit
            """;

    @Test
    void runEntersTheDeclaredEntriesInAFreshMainFrame() {
        Program p = Assembler.assemble(ENTRIES);
        CompiledProgram jit = JitCompiler.compile(p, new int[] {3, 6}, new HelperRegistry(), JitOptions.defaults());
        Interpreter in = new Interpreter(p, new HelperRegistry(), Interpreter.Mode.UNCHECKED);
        CallContext c = jit.context();
        assertEquals(1015, jit.run(c, 0, 5, 0, 0, 0, 0));
        assertEquals(in.run(c, 3, 5, 0, 0, 0, 0), jit.run(c, 3, 5, 0, 0, 0, 0), "f");
        assertEquals(15, jit.run(c, 3, 5, 0, 0, 0, 0));
        assertEquals(in.run(c, 6, 6, 7, 0, 0, 0), jit.run(c, 6, 6, 7, 0, 0, 0), "g");
        assertEquals(42, jit.run(c, 6, 6, 7, 0, 0, 0));
        for (int bad : new int[] {4, 99, -1}) {
            VmException e = assertThrows(VmException.class, () -> jit.run(c, bad, 0, 0, 0, 0, 0));
            assertTrue(e.getMessage().contains("no function of the program starts at instruction " + bad), e.getMessage());
            assertEquals(bad, e.pc());
        }
        CompiledProgram onlyG = JitCompiler.compile(p, new int[] {6}, new HelperRegistry(), JitOptions.defaults());
        assertThrows(VmException.class, () -> onlyG.run(c, 3, 5, 0, 0, 0, 0), "f is a bpf-to-bpf callee, not an entry");
    }

    @Test
    void entriesOutsideTheProgramOrOnAnLddwSecondSlotAreEncodingErrors() {
        Program p = Assembler.assemble("lddw %r0, 1\nexit");
        VmException out = assertThrows(VmException.class,
                () -> JitCompiler.compile(p, new int[] {3}, new HelperRegistry(), JitOptions.defaults()));
        assertTrue(out.getMessage().contains("function entry 3 is outside the program"), out.getMessage());
        VmException second = assertThrows(VmException.class,
                () -> JitCompiler.compile(p, new int[] {1}, new HelperRegistry(), JitOptions.defaults()));
        assertTrue(second.getMessage().contains("is the second slot of an lddw"), second.getMessage());
    }

    /**
     * A helper taking a callback (bpf_loop's id, 181) runs the callback through
     * {@link CompiledProgram#callFunction} as the XDP engine's does: one frame below the caller, so
     * the caller's stack (a counter the callback increments through r2) stays intact, and r6-r9 of
     * the caller survive. The same program through the interpreter gives the same answer.
     */
    @ParameterizedTest(name = "budget {0}")
    @ValueSource(ints = {JitOptions.DEFAULT_METHOD_BUDGET, 500})
    void callbacksRunInTheFrameBelowTheCaller(int budget) {
        Program p = Assembler.assemble("""
                mov %r6, 77
                stxdw [%r10-8], %r6
                mov %r1, %r10
                add %r1, -8
                mov %r2, %r1
                mov %r1, 5
                call 181
                ldxdw %r0, [%r10-8]
                add %r0, %r6
                exit
                cb:
                stxdw [%r10-8], %r1
                ldxdw %r3, [%r2]
                add %r3, %r1
                stxdw [%r2], %r3
                mov %r6, 0
                mov %r0, 0
                exit
                """);
        int cb = 10;
        CompiledProgram[] self = new CompiledProgram[1];
        Interpreter[] interp = new Interpreter[1];
        HelperRegistry jh = new HelperRegistry().register(181, "loop", (ctx, n, data, r3, r4, r5) -> {
            for (long i = 0; i < n; i++) {
                self[0].callFunction(ctx, cb, i, data, 0, 0, 0);
            }
            return n;
        });
        HelperRegistry ih = new HelperRegistry().register(181, "loop", (ctx, n, data, r3, r4, r5) -> {
            for (long i = 0; i < n; i++) {
                interp[0].callFunction(ctx, cb, i, data, 0, 0, 0);
            }
            return n;
        });
        self[0] = JitCompiler.compile(p, new int[] {cb}, jh, JitOptions.defaults().withMethodBudget(budget));
        interp[0] = new Interpreter(p, ih, Interpreter.Mode.UNCHECKED);
        assertEquals(77 + 0 + 1 + 2 + 3 + 4 + 77, self[0].run(0, 0));
        assertEquals(interp[0].run(0, 0), self[0].run(0, 0));
        long calleeSlot = self[0].stack().address() + self[0].stack().byteSize() - JitCompiler.STACK_SIZE - 8;
        assertEquals(4, MemorySegment.NULL.reinterpret(Long.MAX_VALUE).get(ValueLayout.JAVA_LONG_UNALIGNED, calleeSlot),
                "the callback's own frame is the one below main's");
    }

    /** Legacy LD_ABS/LD_IND: big-endian packet bytes; out of range ends the program with r0 = 0. */
    @ParameterizedTest(name = "offset {0}")
    @ValueSource(ints = {0, 9, 10, 11, 12, -1})
    void legacyPacketLoadsAgreeWithTheInterpreter(int offset) {
        Program p = Program.of(List.of(
                Op.MOV64_IMM.insn(6, 0, 0, offset),
                Op.LDABSB.insn(0, 0, 0, offset),
                Op.MOV64_REG.insn(7, 0, 0, 0),
                Op.LDINDH.insn(0, 6, 0, 1),
                Op.LSH64_IMM.insn(7, 0, 0, 16),
                Op.OR64_REG.insn(7, 0, 0, 0),
                Op.LDINDW.insn(0, 6, 0, 0),
                Op.LSH64_IMM.insn(7, 0, 0, 32),
                Op.OR64_REG.insn(0, 7, 0, 0),
                Op.ADD64_IMM.insn(0, 0, 0, 1), // only reached when every load was in range
                Op.EXIT.insn(0, 0, 0, 0)));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pkt = arena.allocate(14, 8);
            for (int i = 0; i < 14; i++) {
                pkt.set(ValueLayout.JAVA_BYTE, i, (byte) (0x11 * (i + 1)));
            }
            CompiledProgram jit = JitCompiler.compile(p, null, JitOptions.defaults().withVerify(true));
            jit.context().packet(pkt.address(), 14);
            Interpreter vm = new Interpreter(p, null, Interpreter.Mode.UNCHECKED);
            vm.context().packet(pkt.address(), 14);
            long expected = vm.run(0, 0);
            assertEquals(expected, jit.run(0, 0));
            if (offset >= 0 && offset + 4 <= 14) {
                long b = pkt.get(ValueLayout.JAVA_BYTE, offset) & 0xffL;
                long h = Short.toUnsignedLong(Short.reverseBytes(pkt.get(ValueLayout.JAVA_SHORT_UNALIGNED, offset + 1)));
                long w = Integer.toUnsignedLong(Integer.reverseBytes(pkt.get(ValueLayout.JAVA_INT_UNALIGNED, offset)));
                assertEquals(((b << 48) | (h << 32) | w) + 1, expected);
            } else {
                assertEquals(0, expected, "out of range ends the program with r0 = 0");
            }
        }
    }

    static Stream<Arguments> badPrograms() {
        Insn exit = Op.EXIT.insn(0, 0, 0, 0);
        return Stream.of(
                Arguments.of(Program.ofSlots(), "empty program"),
                Arguments.of(Program.ofSlots(0xffL, exit.encode()), "pc 0 (<invalid opcode 0xff>): unknown opcode 0xff"),
                Arguments.of(Program.of(List.of(Op.JA.insn(0, 0, 5, 0), exit)), "jump target 6 is outside the program"),
                Arguments.of(Program.of(List.of(Op.MOV64_IMM.insn(0, 0, 0, 1))), "falls off its end"),
                // the inputs that ran the interpreter off the end of its arrays: each is an encoding
                // error naming the last instruction, never a JVM VerifyError or an exception from a run
                Arguments.of(Assembler.assemble("mov %r0, 0\nlddw %r0, 0x1122334455667788"),
                        "pc 1 (r0 = 0x1122334455667788 ll): the subprogram [0, 3) falls off its end"),
                Arguments.of(Assembler.assemble("call local f\nexit\nf:\nmov %r0, 1"),
                        "pc 2 (r0 = 0x1): the subprogram [2, 3) falls off its end"),
                Arguments.of(Assembler.assemble("mov %r0, 0\nloop:\nadd %r0, 1\njlt %r0, 5, loop"),
                        "pc 2 (if r0 < 0x5 goto -0x2): the subprogram [0, 3) falls off its end"),
                Arguments.of(Program.of(List.of(Op.MOV64_IMM.insn(0, 0, 0, 2), exit, Op.CALL_LOCAL.insn(0, 0, 0, -3))),
                        "pc 2 (call -0x3): the subprogram [0, 3) falls off its end"),
                Arguments.of(Assembler.assemble("mov %r1, 1\nmov %r2, 5\ncall %r2"),
                        "pc 2 (callx r2): the subprogram [0, 3) falls off its end"),
                Arguments.of(Program.of(List.of(Op.MOV64_IMM.insn(10, 0, 0, 1), exit)), "r10 is the read-only frame pointer"),
                Arguments.of(Program.of(List.of(Op.ATOMIC64_FETCH_ADD.insn(1, 10, 0, 0), exit)), "r10 is the read-only frame pointer"),
                Arguments.of(Program.of(List.of(Op.LDDW_MAP_FD.insn(1, 0, 0, 3), new Insn(0, 0, 0, 0, 0), exit)),
                        "unresolved pseudo lddw (lddw_map_fd)"),
                Arguments.of(Program.of(List.of(exit, Op.LDDW.insn(1, 0, 0, 3))), "lddw is missing its second slot"),
                Arguments.of(Program.of(List.of(Op.CALL_KFUNC.insn(0, 0, 0, 3), exit)), "unsupported: kfunc calls"),
                Arguments.of(Program.of(List.of(Op.CALL.insn(0, 0, 0, 1), exit)), "helper 1 (map_lookup_elem) not supported"),
                Arguments.of(Program.of(List.of(Op.CALL.insn(0, 0, 0, 4000), exit)), "unknown helper 4000"),
                Arguments.of(Program.of(List.of(Op.CALL_LOCAL.insn(0, 0, 0, 1), exit, Op.JA.insn(0, 0, -3, 0))),
                        "jump to 0 leaves its subprogram [2, 3)"),
                Arguments.of(Assembler.assemble("ja +1\nlddw %r0, 1\nexit"), "is the second slot of an lddw"));
    }

    @ParameterizedTest
    @MethodSource("badPrograms")
    void encodingErrorsNameTheInstruction(Program p, String message) {
        HelperRegistry h = new HelperRegistry();
        VmException e = assertThrows(VmException.class, () -> JitCompiler.compile(p, h));
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertTrue(e.getMessage().startsWith("pc "), e.getMessage());
    }

    @Test
    void dumpWritesEachGeneratedClass(@TempDir Path dir) throws Exception {
        CompiledProgram jit = JitCompiler.compile(Assembler.assemble("mov %r0, 3\nexit"), null,
                JitOptions.defaults().withDumpDir(dir));
        String simple = jit.className().substring(jit.className().lastIndexOf('.') + 1);
        Path file = dir.resolve(simple + ".class");
        assertTrue(Files.isRegularFile(file), "no " + file);
        byte[] bytes = Files.readAllBytes(file);
        assertArrayEquals(jit.classBytes(), bytes);
        List<String> methods = ClassFile.of().parse(bytes).methods().stream()
                .map(MethodModel::methodName).map(Object::toString).toList();
        assertEquals(List.of("<init>", "run", "repeat", "call", "p0_s0"), methods);
        assertEquals(3, jit.run(0, 0));
    }

    @Test
    void theSystemPropertiesSetTheDefaults(@TempDir Path dir) {
        String dump = System.getProperty("jxdp.jit.dump");
        String verify = System.getProperty("jxdp.jit.verify");
        try {
            System.setProperty("jxdp.jit.dump", dir.toString());
            System.setProperty("jxdp.jit.verify", "true");
            assertEquals(new JitOptions(dir, true, JitOptions.DEFAULT_METHOD_BUDGET), JitOptions.defaults());
            System.clearProperty("jxdp.jit.dump");
            System.setProperty("jxdp.jit.verify", "false");
            assertEquals(new JitOptions(null, false, JitOptions.DEFAULT_METHOD_BUDGET), JitOptions.defaults());
        } finally {
            restore("jxdp.jit.dump", dump);
            restore("jxdp.jit.verify", verify);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    @Test
    void verifyFailsWithTheVerifiersMessages() {
        // a method that reads a local it never wrote: the kind of bug verify is there to catch
        byte[] bad = ClassFile.of().build(ClassDesc.of("io.jxdp.ebpf.jit.Bad"), clb ->
                clb.withMethodBody("m", MethodTypeDesc.of(ConstantDescs.CD_long), ClassFile.ACC_STATIC, cb -> {
                    cb.lload(0);
                    cb.lreturn();
                }));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> JitCompiler.verify("Bad", bad));
        assertTrue(e.getMessage().startsWith("generated class Bad fails verification:\n  "), e.getMessage());
        assertTrue(e.getMessage().contains("m"), e.getMessage());
        // and a generated class passes
        CompiledProgram jit = JitCompiler.compile(Assembler.assemble(RECURSE), null, JitOptions.defaults().withVerify(true));
        JitCompiler.verify(jit.className(), jit.classBytes());
    }

    @Test
    void forkedInstancesHaveTheirOwnStack() {
        CompiledProgram a = JitCompiler.compile(Assembler.assemble("mov %r0, %r10\nexit"), null);
        CompiledProgram b = a.fork();
        assertEquals(a.stack().address() + 4096, a.run(0, 0));
        assertEquals(b.stack().address() + 4096, b.run(0, 0));
        assertTrue(a.stack().address() != b.stack().address());
    }

    /**
     * com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes, reached reflectively because
     * the module under test does not read java.management / jdk.management.
     */
    private static long allocatedBytes() throws Throwable {
        Object threads = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
        return (long) Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes").invoke(threads);
    }

    /** A run allocates nothing (less than a byte per run): stack, spill file and constants are preallocated. */
    @ParameterizedTest(name = "budget {0}")
    @ValueSource(ints = {JitOptions.DEFAULT_METHOD_BUDGET, 500})
    void runsAllocateNothing(int budget) throws Throwable {
        HelperRegistry h = JitDifferentialTest.helpers();
        Program p = JitSplitTest.big(3, 400);
        CompiledProgram jit = JitCompiler.compile(p, h, JitOptions.defaults().withMethodBudget(budget));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment probe = arena.allocate(8, 8);
            long addr = probe.address();
            CallContext ctx = new CallContext();
            long sum = 0;
            for (int i = 0; i < 20_000; i++) {
                sum += jit.run(ctx, addr, 8, 0, 0, 0);
            }
            // the quietest of up to ten windows: one may catch a JIT recompilation on a loaded machine
            long allocated = Long.MAX_VALUE;
            for (int w = 0; w < 10 && allocated >= 20_000; w++) {
                long before = allocatedBytes();
                for (int i = 0; i < 20_000; i++) {
                    sum += jit.run(ctx, addr, 8, 0, 0, 0);
                }
                allocated = Math.min(allocated, allocatedBytes() - before);
            }
            // the counter itself costs a few hundred bytes (reflection); one object per run would be >= 320,000
            assertTrue(allocated < 20_000, allocated + " bytes allocated by 20,000 runs (checksum " + sum + ")");
        }
    }
}
