package io.jxdp.ffi.bpf;

import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A successful BPF_PROG_LOAD with the verifier log the kernel wrote for it
 * ({@link Bpf#progLoadWithLog}).
 *
 * @param fd the program fd; the caller closes it
 * @param log the verifier log (empty when the load asked for log level 0)
 */
public record ProgLoadResult(int fd, String log) {
    /** The kernel's summary line, {@code processed N insns (limit 1000000) ...} (kernel/bpf/verifier.c, print_verification_stats). */
    private static final Pattern PROCESSED = Pattern.compile("(?m)^processed (\\d+) insns");

    /** The number of instructions the kernel's verifier processed, from the log's summary line; empty without one. */
    public OptionalLong processedInsns() {
        Matcher m = PROCESSED.matcher(log);
        long last = -1;
        while (m.find()) {
            last = Long.parseLong(m.group(1));
        }
        return last < 0 ? OptionalLong.empty() : OptionalLong.of(last);
    }
}
