package io.jxdp.ebpf.btf;

/**
 * One trailing record of a BTF type: a struct/union member ({@code offset} in bits, with the
 * bitfield size in {@code size} when the kind_flag is set), an enum value ({@code offset} holds
 * the value, {@code type} is 0), a function parameter ({@code offset} 0), or a DATASEC variable
 * (btf_var_secinfo: {@code name} is the VAR's name, {@code offset}/{@code size} in bytes).
 */
public record BtfMember(String name, int type, long offset, long size) {
}
