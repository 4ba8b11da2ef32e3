package io.jxdp.ebpf.jit;

import io.jxdp.ebpf.helper.HelperRegistry;
import io.jxdp.ebpf.interp.VmException;
import io.jxdp.ebpf.isa.Program;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.MethodModel;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.constant.ClassDesc;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The eBPF JIT: translates programs to JVM bytecode ({@link Translator}) and loads them as hidden
 * classes whose constants come from class data. The result runs with the interpreter's calling
 * convention ({@link CompiledProgram#run}) so engines can swap one for the other.
 *
 * <p>The JIT trusts a verifier: memory accesses are unchecked native loads and stores, registers are
 * not checked for initialisation and programs are assumed to terminate. It checks only what it needs
 * to translate at all (see {@link Decoded}) and the bpf-to-bpf call depth at run time.
 */
public final class JitCompiler {
    /** Bytes of stack per frame (kernel MAX_BPF_STACK). */
    public static final int STACK_SIZE = 512;
    /** Maximum bpf-to-bpf call depth counting the main frame (kernel MAX_CALL_FRAMES). */
    public static final int MAX_FRAMES = 8;
    /** The JVM's HugeMethodLimit: C2 does not compile methods with more bytecode than this. */
    public static final int HUGE_METHOD_LIMIT = 8_000;

    private static final AtomicLong SEQUENCE = new AtomicLong();

    static {
        // Load a heap segment class before any generated code is compiled. Until one exists C2
        // compiles the FFM accesses assuming NativeMemorySegmentImpl is the only concrete segment
        // class, and the first heap segment anyone makes later (a map update from a byte[] after
        // the warm-up did it) deoptimizes every compiled program and its lookups at once.
        java.lang.foreign.MemorySegment.ofArray(new byte[1]);
        C1_EXCLUDED = excludeFromC1();
    }

    /** Why generated classes are (or are not) kept from C1: the result of {@link #excludeFromC1()}. */
    static final String C1_EXCLUDED;

    /**
     * Keeps the generated classes away from C1 with a compiler directive (the diagnostic command
     * {@code Compiler.directives_add}, through the platform MBean server), so they run interpreted
     * until C2 compiles them. C1 gives up on generated methods of 2-3 KB with "out of virtual
     * registers" at tier 3 (the FFM accessors it inlines at every load and store), and when it had
     * compiled one at tier 2 first (which it does when C2's queue is long) the method stays at tier
     * 2 for good: C2 is only reached through tier 3's profile. Excluded from C1, a method goes from
     * the interpreter's profile straight to C2. Off with {@code -Djxdp.jit.c1=true}; where the
     * command is not available the JVM's default policy applies.
     */
    private static String excludeFromC1() {
        if (Boolean.getBoolean("jxdp.jit.c1")) {
            return "no (-Djxdp.jit.c1=true)";
        }
        try {
            Path f = Files.createTempFile("jxdp-jit-directive", ".json");
            try {
                Files.writeString(f, "[{ match: \"" + JitCompiler.class.getPackageName().replace('.', '/')
                        + "/Bpf*.*\", c1: { Exclude: true } }]\n");
                javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
                Object out = server.invoke(new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"),
                        "compilerDirectivesAdd", new Object[] {new String[] {f.toString()}},
                        new String[] {String[].class.getName()});
                return "yes (" + String.valueOf(out).strip() + ")";
            } finally {
                Files.deleteIfExists(f);
            }
        } catch (Exception | LinkageError e) {
            return "no (" + e + ")";
        }
    }

    private JitCompiler() {
    }

    /** Compiles program with the options from system properties ({@link JitOptions#defaults()}). */
    public static CompiledProgram compile(Program program, HelperRegistry helpers) {
        return compile(program, helpers, JitOptions.defaults());
    }

    /**
     * Compiles one program. Encoding errors (unknown opcode, bad jump, missing helper, ...) are a
     * {@link VmException} naming the instruction; a JIT bug caught by {@code jxdp.jit.verify} is an
     * {@link IllegalStateException} with the verifier's messages.
     */
    public static CompiledProgram compile(Program program, HelperRegistry helpers, JitOptions options) {
        return compileAll(List.of(program), helpers, options).getFirst();
    }

    /**
     * Compiles one program with extra function entries (see {@link Decoded}): the first instruction
     * of every program of a tail-call image and of every callback function, so
     * {@link CompiledProgram#run(io.jxdp.ebpf.helper.CallContext, int, long, long, long, long, long)}
     * and {@link CompiledProgram#callFunction} can enter them.
     */
    public static CompiledProgram compile(Program program, int[] entries, HelperRegistry helpers, JitOptions options) {
        return compile(program, entries, helpers, options, null);
    }

    /**
     * As {@link #compile(Program, int[], HelperRegistry, JitOptions)}, with the maps behind the
     * program's map references (null: none known), so map helper calls on a known map are
     * specialised (see {@link KnownMaps}, whose promise about helpers 1-3 the caller makes).
     */
    public static CompiledProgram compile(Program program, int[] entries, HelperRegistry helpers, JitOptions options,
                                          KnownMaps maps) {
        return build(List.of(new Decoded(program, helpers, entries.clone(), maps)), options).getFirst();
    }

    /**
     * Compiles several programs into one hidden class (one class load for all of them; used when
     * many small programs are compiled at once, e.g. by tests). Results are in the order given.
     */
    public static List<CompiledProgram> compileAll(List<Program> programs, HelperRegistry helpers, JitOptions options) {
        if (programs.isEmpty()) {
            return List.of();
        }
        List<Decoded> decoded = new ArrayList<>(programs.size());
        for (Program p : programs) {
            decoded.add(new Decoded(p, helpers));
        }
        return build(decoded, options);
    }

    private static List<CompiledProgram> build(List<Decoded> decoded, JitOptions options) {
        String name = JitCompiler.class.getPackageName() + ".Bpf" + SEQUENCE.incrementAndGet();
        ClassDesc desc = ClassDesc.of(name);
        byte[] bytes;
        List<Object> data;
        int budget = options.methodBudget();
        // First without splitting, measured: the per-instruction estimate errs high (xdp_parser's
        // 6 KB class is estimated at more than 6,000 bytes), and a split costs at run time. Only
        // programs within a few times the limit are worth the try.
        int slots = decoded.stream().mapToInt(d -> d.length).sum();
        boolean tryWhole = (long) slots * 8 <= 4L * HUGE_METHOD_LIMIT;
        while (true) {
            Translator t = new Translator(desc, decoded, tryWhole ? Integer.MAX_VALUE : budget);
            try {
                bytes = t.build();
            } catch (IllegalArgumentException e) {
                // the class-file API's limits (constant pool of 65,535 entries): one class per program
                throw new VmException(0, null, "program of " + slots
                        + " slots has too many distinct constants for one class (" + e.getMessage() + ")");
            }
            data = t.classData();
            int largest = methodSizes(bytes).values().stream().mapToInt(Integer::intValue).max().orElse(0);
            if (tryWhole) {
                tryWhole = false;
                if (largest <= Math.min(budget, HUGE_METHOD_LIMIT - 1)) {
                    break;
                }
                continue; // too big whole: split by the estimate
            }
            if (largest < HUGE_METHOD_LIMIT) {
                break;
            }
            if (budget <= 500) {
                throw new IllegalStateException("generated method of " + largest + " bytes even with a budget of " + budget);
            }
            budget = Math.max(500, budget * 2 / 3); // the estimate was too low for this program: split finer
        }
        if (options.dumpDir() != null) {
            dump(options.dumpDir(), name, bytes);
        }
        if (options.verify()) {
            verify(name, bytes);
        }
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup().defineHiddenClassWithClassData(bytes, data, true);
            MethodHandle ctor = lookup.findConstructor(lookup.lookupClass(), MethodType.methodType(void.class, int.class));
            List<CompiledProgram> out = new ArrayList<>(decoded.size());
            for (int k = 0; k < decoded.size(); k++) {
                int frames = decoded.get(k).mayTailCall ? CompiledProgram.TAIL_CALL_FRAMES : MAX_FRAMES;
                out.add(new CompiledProgram((JitCode) ctor.invoke(k), bytes, name, frames));
            }
            return out;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cannot load generated class " + name + ": " + e, e);
        }
    }

    /** Runs the JDK's class-file verifier; a failure is a JIT bug and names every message. */
    static void verify(String name, byte[] bytes) {
        List<VerifyError> errors = ClassFile.of().verify(bytes);
        if (!errors.isEmpty()) {
            StringBuilder b = new StringBuilder("generated class " + name + " fails verification:");
            for (VerifyError e : errors) {
                b.append("\n  ").append(e.getMessage());
            }
            throw new IllegalStateException(b.toString());
        }
    }

    private static void dump(Path dir, String name, byte[] bytes) {
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve(name.substring(name.lastIndexOf('.') + 1) + ".class"), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("jxdp.jit.dump: cannot write " + name + " to " + dir, e);
        }
    }

    /** Bytecode length of every method of a class file, by name, in class-file order. */
    public static Map<String, Integer> methodSizes(byte[] classBytes) {
        Map<String, Integer> sizes = new LinkedHashMap<>();
        for (MethodModel m : ClassFile.of().parse(classBytes).methods()) {
            m.findAttribute(java.lang.classfile.Attributes.code())
                    .ifPresent(c -> sizes.put(m.methodName().stringValue(), ((CodeAttribute) c).codeLength()));
        }
        return sizes;
    }
}
