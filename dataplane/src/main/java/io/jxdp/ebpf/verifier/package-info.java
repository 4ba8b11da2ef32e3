/**
 * The eBPF verifier: {@link io.jxdp.ebpf.verifier.Verifier#verify} proves an XDP program safe
 * (or says, at one instruction and in one sentence, why not) and returns per-instruction
 * {@link io.jxdp.ebpf.verifier.InsnFact}s that the loader and the JIT use to drop checks.
 * Maps are described by {@link io.jxdp.ebpf.verifier.MapInfo}, independent of the map
 * implementations. What it deliberately does not check is listed on {@code Verifier}.
 *
 * <p>Layout: {@code Cfg} (structure, liveness, relevance), {@code Tnum}, {@code Reg} (bounds),
 * {@code Alu} and {@code Branch} (transfer functions), {@code Frame}/{@code State} (abstract
 * state and pruning), {@code Helpers} (prototypes), {@code Verifier} (the walk).
 */
package io.jxdp.ebpf.verifier;
