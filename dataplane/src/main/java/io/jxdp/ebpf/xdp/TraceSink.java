package io.jxdp.ebpf.xdp;

import java.io.PrintStream;

/**
 * Where {@code bpf_trace_printk} output goes (the kernel writes it to the trace pipe). Called on the
 * packet path with a reused buffer: implementations copy what they keep and allocate nothing they
 * need not.
 */
@FunctionalInterface
public interface TraceSink {
    /** One formatted message: {@code length} ASCII bytes of {@code message} (no terminating NUL). */
    void write(byte[] message, int length);

    /** Each message on its own line of {@code out}, as {@code bpftool prog tracelog} shows them. */
    static TraceSink to(PrintStream out) {
        return (message, length) -> {
            synchronized (out) {
                out.write(message, 0, length);
                if (length == 0 || message[length - 1] != '\n') {
                    out.write('\n');
                }
                out.flush();
            }
        };
    }

    /** Discards every message. */
    static TraceSink discard() {
        return (message, length) -> { };
    }
}
