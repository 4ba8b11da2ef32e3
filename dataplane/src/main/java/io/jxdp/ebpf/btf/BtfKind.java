package io.jxdp.ebpf.btf;

/** BTF_KIND_* from {@code include/uapi/linux/btf.h}; {@link #id} is the value in btf_type.info bits 24..28. */
public enum BtfKind {
    UNKN(0), INT(1), PTR(2), ARRAY(3), STRUCT(4), UNION(5), ENUM(6), FWD(7), TYPEDEF(8), VOLATILE(9),
    CONST(10), RESTRICT(11), FUNC(12), FUNC_PROTO(13), VAR(14), DATASEC(15), FLOAT(16), DECL_TAG(17),
    TYPE_TAG(18), ENUM64(19);

    public final int id;
    private static final BtfKind[] BY_ID = values();

    BtfKind(int id) {
        this.id = id;
    }

    /** The kind with this id, or null when the id is not a known kind. */
    static BtfKind of(int id) {
        return id > 0 && id < BY_ID.length ? BY_ID[id] : null;
    }

    /** Kinds whose btf_type.type refers to another type (the rest use the field as a size or not at all). */
    boolean refersToType() {
        return switch (this) {
            case PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, VAR, DECL_TAG, TYPE_TAG -> true;
            default -> false;
        };
    }
}
