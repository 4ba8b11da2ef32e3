package io.jxdp.ebpf.engine;

import java.util.List;

/**
 * One loaded XDP program with its maps, ready to run packets: in jxdp's interpreter, in jxdp's JIT,
 * or in this machine's kernel through BPF_PROG_TEST_RUN. {@code prog run} and {@code parity} drive
 * every engine through this one interface, so that a comparison is between engines, not between
 * two harnesses.
 *
 * <p>Per-CPU maps: an engine runs every packet as CPU 0 (the kernel engine pins its thread to CPU 0)
 * and reports {@link #cpus()} values per key, as the kernel's user-space ABI does.
 */
public interface XdpEngine extends AutoCloseable {

    /** The engine's name as the CLI spells it: {@code interp}, {@code jit}, {@code kernel}. */
    String name();

    /** The number of per-CPU slots its per-CPU maps hold. */
    int cpus();

    /**
     * Runs the program once over a copy of {@code packet} placed as the kernel's test run places it
     * (256 bytes of headroom, data_meta = data), {@code repeat} times for timing; maps keep the
     * effects of every run. The output is the frame from data_meta to data_end, as the kernel's
     * BPF_PROG_TEST_RUN returns it.
     *
     * @throws EngineException when the run cannot happen (a frame shorter than 14 bytes: EINVAL, as
     *     the kernel's test run refuses it) or the program faults
     */
    XdpResult run(byte[] packet, int repeat);

    /**
     * Where the last run redirected the frame, for the dataplane to act on (the kernel's
     * {@code bpf_redirect_info}); every run resets it. jxdp's engines record it on every run
     * (their {@code redirectKind()}/{@code redirectTarget()} read it without allocating); an engine
     * that cannot see it, such as the kernel's test run, reports {@link XdpRedirect#UNKNOWN}.
     */
    default XdpRedirect redirect() {
        return XdpRedirect.UNKNOWN;
    }

    /** The names of the program's maps (global-data maps as {@code .rodata}, {@code .data}, {@code .bss}). */
    List<String> mapNames();

    /** Every entry of the named map, in the map's own iteration order. */
    List<MapEntry> dumpMap(String mapName);

    /**
     * Creates or replaces one entry (BPF_ANY). {@code values} holds one value for an ordinary map
     * and {@link #cpus()} values for a per-CPU map.
     */
    void updateMap(String mapName, byte[] key, List<byte[]> values);

    @Override
    void close();
}
