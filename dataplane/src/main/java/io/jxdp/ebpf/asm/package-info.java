/**
 * Text forms of eBPF programs: {@link io.jxdp.ebpf.asm.Assembler} and {@link io.jxdp.ebpf.asm.AsmWriter}
 * for the bpf_conformance ({@code -- asm}) syntax, {@link io.jxdp.ebpf.asm.Disassembler} for the
 * kernel/llvm-objdump syntax (checked against llvm-objdump-19 by the tests).
 */
package io.jxdp.ebpf.asm;
