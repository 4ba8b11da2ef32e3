/**
 * The eBPF instruction set (RFC 9669, ISA v4), defined once in {@link io.jxdp.ebpf.isa.Op}; raw slots
 * are {@link io.jxdp.ebpf.isa.Insn}, whole programs {@link io.jxdp.ebpf.isa.Program}. Decoder, encoder,
 * assembler, disassemblers and interpreter all read the one table; a verifier and JIT should too.
 */
package io.jxdp.ebpf.isa;
