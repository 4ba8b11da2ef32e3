package io.jxdp.ebpf.btf;

import java.util.List;

/**
 * One decoded btf_type ({@code include/uapi/linux/btf.h}). {@code sizeOrType} is the union
 * {@code size}/{@code type}; {@code extra} holds the kind-specific word(s): INT encoding word,
 * ARRAY {type, index_type, nelems}, VAR linkage, DECL_TAG component_idx.
 */
public record BtfType(int id, BtfKind kind, String name, boolean kindFlag, int vlen, int sizeOrType,
        int[] extra, List<BtfMember> members) {

    /** Referenced type id for PTR/TYPEDEF/modifiers/FUNC/VAR/tags, FUNC_PROTO return type. */
    public int type() {
        return sizeOrType;
    }

    /** Byte size for INT/STRUCT/UNION/ENUM/ENUM64/DATASEC/FLOAT. */
    public long size() {
        return Integer.toUnsignedLong(sizeOrType);
    }

    public int arrayElemType() {
        return extra[0];
    }

    public int arrayIndexType() {
        return extra[1];
    }

    public long arrayNelems() {
        return Integer.toUnsignedLong(extra[2]);
    }

    /** INT: number of bits (BTF_INT_BITS). */
    public int intBits() {
        return extra[0] & 0xff;
    }

    /** INT: BTF_INT_SIGNED (1), BTF_INT_CHAR (2), BTF_INT_BOOL (4). */
    public int intEncoding() {
        return (extra[0] >>> 24) & 0x0f;
    }

    /** VAR linkage (0 static, 1 global, 2 extern) or FUNC linkage (vlen). */
    public int linkage() {
        return kind == BtfKind.FUNC ? vlen : extra[0];
    }

    public int declTagComponentIdx() {
        return extra[0];
    }

    @Override
    public String toString() {
        return "[" + id + "] " + kind + " '" + name + "'";
    }
}
