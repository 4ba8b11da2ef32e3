/**
 * The eBPF interpreter over native memory, with a checked mode for unverified programs
 * ({@link io.jxdp.ebpf.interp.MemoryRegions}, instruction budget, {@link io.jxdp.ebpf.interp.VmException})
 * and an unchecked mode that trusts a verifier.
 *
 * <p>Not checked even in checked mode (a verifier's job): reads of uninitialised stack, pointer
 * arithmetic and types, reserved fields, unreachable code. Not supported: kfunc calls, tail calls,
 * the negative SKF_NET_OFF/SKF_LL_OFF offsets of legacy packet loads, pseudo lddw forms (a loader
 * must rewrite them to plain 64-bit immediates), the load-acquire/store-release atomics newer than RFC 9669.
 */
package io.jxdp.ebpf.interp;
