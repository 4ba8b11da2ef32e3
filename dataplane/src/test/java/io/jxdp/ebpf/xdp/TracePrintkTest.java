package io.jxdp.ebpf.xdp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jxdp.ebpf.interp.Interpreter;
import io.jxdp.ffi.sys.Errno;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * bpf_trace_printk: jxdp's text against the kernel's format rules, and its return value (bytes
 * written, or -EINVAL) against this machine's kernel.
 */
class TracePrintkTest {
    /**
     * A program that writes {@code fmt} (plus NUL unless {@code terminate} is false) to the stack at
     * r10-128, puts "str" at r10-16, and returns bpf_trace_printk(fmt, size, a1, a2, a3). An argument
     * of Long.MIN_VALUE stands for the address of "str".
     */
    private static long[] program(String fmt, boolean terminate, long a1, long a2, long a3) {
        byte[] f = fmt.getBytes(StandardCharsets.ISO_8859_1);
        int size = f.length + (terminate ? 1 : 0);
        byte[] buf = new byte[112];
        System.arraycopy(f, 0, buf, 0, f.length);
        Insns i = new Insns();
        for (int k = 0; k < buf.length; k += 4) {
            int w = (buf[k] & 0xff) | (buf[k + 1] & 0xff) << 8 | (buf[k + 2] & 0xff) << 16 | (buf[k + 3] & 0xff) << 24;
            i.raw(0x62, 10, 0, -128 + k, w); // *(u32 *)(r10 - 128 + k) = w
        }
        i.raw(0x62, 10, 0, -16, 0x00727473); // "str\0"
        i.mov(1, 10).addImm(1, -128).movImm(2, size);
        long[] args = {a1, a2, a3};
        for (int r = 0; r < 3; r++) {
            if (args[r] == Long.MIN_VALUE) {
                i.mov(3 + r, 10).addImm(3 + r, -16);
            } else {
                i.movImm(3 + r, (int) args[r]);
            }
        }
        return i.call(6).exit().build();
    }

    static Stream<Arguments> formats() {
        long str = Long.MIN_VALUE;
        List<Arguments> a = new ArrayList<>();
        a.add(Arguments.of("hello\n", true, 0, 0, 0, "hello\n"));
        a.add(Arguments.of("x=%d y=%u z=%x", true, -5, 7, 255, "x=-5 y=7 z=ff"));
        a.add(Arguments.of("%i %X %u", true, 42, 0xabc, -1, "42 ABC 4294967295"));
        a.add(Arguments.of("%ld %lu %lx", true, -5, -1, -1, "-5 18446744073709551615 ffffffffffffffff"));
        a.add(Arguments.of("%lld %llx", true, -7, 16, 0, "-7 10"));
        a.add(Arguments.of("[%5d|%-5d|%05d]", true, 42, 42, -42, "[   42|42   |-0042]"));
        a.add(Arguments.of("%c%c%c", true, 'j', 'x', 'p', "jxp"));
        a.add(Arguments.of("s=%s!", true, str, 0, 0, "s=str!"));
        a.add(Arguments.of("%6s|%-6s|", true, str, str, 0, "   str|str   |"));
        a.add(Arguments.of("100%% %d", true, 1, 0, 0, "100% 1"));
        a.add(Arguments.of("p=%p", true, 0, 0, 0, "p=0000000000000000"));
        a.add(Arguments.of("%+d % d", true, 5, 5, 0, "+5  5"));
        a.add(Arguments.of("tab\there", true, 0, 0, 0, "tab\there"));
        a.add(Arguments.of("", true, 0, 0, 0, ""));
        // refused: -EINVAL and nothing printed
        a.add(Arguments.of("%d %d %d %d", true, 1, 2, 3, null));
        a.add(Arguments.of("%q", true, 0, 0, 0, null));
        a.add(Arguments.of("%.3d", true, 1, 0, 0, null));
        a.add(Arguments.of("%hd", true, 1, 0, 0, null));
        a.add(Arguments.of("bell\u0007", true, 0, 0, 0, null));
        a.add(Arguments.of("no terminator", false, 0, 0, 0, null));
        a.add(Arguments.of("%pz", true, 0, 0, 0, null));
        return a.stream();
    }

    @ParameterizedTest(name = "\"{0}\"")
    @MethodSource("formats")
    void formatsAndReturnsAsTheKernel(String fmt, boolean terminate, long a1, long a2, long a3, String want) {
        long[] prog = program(fmt, terminate, a1, a2, a3);
        List<String> printed = new ArrayList<>();
        long jxdp;
        try (InterpreterXdpEngine e = InterpreterXdpEngine.ofInstructions(prog, Interpreter.Mode.CHECKED)) {
            e.traceSink((m, n) -> printed.add(new String(m, 0, n, StandardCharsets.ISO_8859_1)));
            jxdp = e.run(new byte[14], 1).action();
        }
        if (want == null) {
            assertEquals(-Errno.EINVAL, jxdp);
            assertEquals(List.of(), printed);
        } else {
            assertEquals(List.of(want), printed);
            assertEquals(want.length(), jxdp);
        }
        try (KernelRun k = new KernelRun(prog)) {
            assertEquals((int) jxdp, k.run(new byte[14]).retval(), "the kernel's return value");
        }
    }
}
