package io.jxdp.ebpf.btf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * The type graph of a {@code .BTF} section, layout per {@code include/uapi/linux/btf.h} and
 * Documentation/bpf/btf.rst: a btf_header, then the type section (btf_type records, each
 * followed by its kind-specific data) and the string section.
 *
 * <p>Every record consumes at least 12 bytes of a length-checked section, so parsing is bounded
 * by the section size; every type id and string offset is range-checked before it is used, and
 * chains (typedef/modifier/array) are followed at most {@link #MAX_RESOLVE_DEPTH} steps, as
 * libbpf does, so cycles end in a {@link BtfException}.
 */
public final class Btf {
    public static final int MAGIC = 0xeB9F;
    static final int HDR_MIN = 24;
    /** libbpf's MAX_RESOLVE_DEPTH (btf.c). */
    public static final int MAX_RESOLVE_DEPTH = 32;

    private final byte[] strings;
    private final List<BtfType> types; // index = type id; index 0 is void (null entry)

    private Btf(byte[] strings, List<BtfType> types) {
        this.strings = strings;
        this.types = types;
    }

    public static Btf parse(byte[] b) {
        if (b.length < HDR_MIN) {
            throw new BtfException(".BTF: header truncated (" + b.length + " bytes, need " + HDR_MIN + ")");
        }
        int magic = u16(b, 0);
        if (magic != MAGIC) {
            throw new BtfException(".BTF offset 0: bad magic 0x" + Integer.toHexString(magic)
                    + " (want 0xeb9f little-endian)");
        }
        if (b[2] != 1) {
            throw new BtfException(".BTF offset 2: unsupported version " + b[2]);
        }
        long hdrLen = u32(b, 4);
        long typeOff = u32(b, 8);
        long typeLen = u32(b, 12);
        long strOff = u32(b, 16);
        long strLen = u32(b, 20);
        if (hdrLen < HDR_MIN || hdrLen > b.length) {
            throw new BtfException(".BTF offset 4: header length " + hdrLen + " out of range (section "
                    + b.length + " bytes)");
        }
        long avail = b.length - hdrLen;
        if (typeOff > avail || typeLen > avail - typeOff || (typeOff & 3) != 0) {
            throw new BtfException(".BTF offset 8: type section [" + typeOff + ", +" + typeLen
                    + ") outside the " + avail + " data bytes or misaligned");
        }
        if (strOff > avail || strLen > avail - strOff) {
            throw new BtfException(".BTF offset 16: string section [" + strOff + ", +" + strLen
                    + ") outside the " + avail + " data bytes");
        }
        int sBase = (int) (hdrLen + strOff);
        byte[] strings = java.util.Arrays.copyOfRange(b, sBase, sBase + (int) strLen);
        if (strLen > 0 && (strings[0] != 0 || strings[strings.length - 1] != 0)) {
            throw new BtfException(".BTF string section at offset " + sBase
                    + ": must start and end with NUL");
        }
        Btf btf = new Btf(strings, null);
        List<BtfType> types = new ArrayList<>();
        types.add(null);
        int p = (int) (hdrLen + typeOff);
        int end = (int) (hdrLen + typeOff + typeLen);
        while (p < end) {
            int id = types.size();
            if (end - p < 12) {
                throw new BtfException(".BTF offset " + p + ": type [" + id + "] truncated");
            }
            long nameOff = u32(b, p);
            int info = (int) u32(b, p + 4);
            int sizeOrType = (int) u32(b, p + 8);
            int vlen = info & 0xffff;
            int kindId = (info >>> 24) & 0x1f;
            boolean kflag = (info >>> 31) != 0;
            BtfKind kind = BtfKind.of(kindId);
            if (kind == null) {
                throw new BtfException(".BTF offset " + p + ": type [" + id + "] has unknown kind " + kindId);
            }
            String name = btf.stringAt(nameOff, "type [" + id + "] at .BTF offset " + p);
            int q = p + 12;
            int recSize = switch (kind) {
                case INT, VAR, DECL_TAG -> 4;
                case ARRAY -> 12;
                case STRUCT, UNION, DATASEC, ENUM64 -> 12 * vlen;
                case ENUM, FUNC_PROTO -> 8 * vlen;
                default -> 0;
            };
            if (end - q < recSize) {
                throw new BtfException(".BTF offset " + p + ": type [" + id + "] " + kind + " with vlen " + vlen
                        + " runs past the end of the type section");
            }
            int[] extra = new int[0];
            List<BtfMember> members = List.of();
            switch (kind) {
                case INT, VAR, DECL_TAG -> extra = new int[] {(int) u32(b, q)};
                case ARRAY -> extra = new int[] {(int) u32(b, q), (int) u32(b, q + 4), (int) u32(b, q + 8)};
                case STRUCT, UNION -> {
                    List<BtfMember> ms = new ArrayList<>(vlen);
                    for (int i = 0; i < vlen; i++) {
                        int m = q + 12 * i;
                        long off = u32(b, m + 8);
                        String mn = btf.stringAt(u32(b, m), "member " + i + " of type [" + id + "]");
                        // kind_flag: offset = bitfield_size << 24 | bit_offset (btf.h BTF_MEMBER_*)
                        ms.add(kflag ? new BtfMember(mn, (int) u32(b, m + 4), off & 0xffffff, off >>> 24)
                                : new BtfMember(mn, (int) u32(b, m + 4), off, 0));
                    }
                    members = ms;
                }
                case ENUM -> {
                    List<BtfMember> ms = new ArrayList<>(vlen);
                    for (int i = 0; i < vlen; i++) {
                        int m = q + 8 * i;
                        int v = (int) u32(b, m + 4);
                        ms.add(new BtfMember(btf.stringAt(u32(b, m), "enumerator " + i + " of type [" + id + "]"),
                                0, kflag ? v : Integer.toUnsignedLong(v), 0));
                    }
                    members = ms;
                }
                case ENUM64 -> {
                    List<BtfMember> ms = new ArrayList<>(vlen);
                    for (int i = 0; i < vlen; i++) {
                        int m = q + 12 * i;
                        long v = u32(b, m + 4) | u32(b, m + 8) << 32;
                        ms.add(new BtfMember(btf.stringAt(u32(b, m), "enumerator " + i + " of type [" + id + "]"),
                                0, v, 0));
                    }
                    members = ms;
                }
                case FUNC_PROTO -> {
                    List<BtfMember> ms = new ArrayList<>(vlen);
                    for (int i = 0; i < vlen; i++) {
                        int m = q + 8 * i;
                        ms.add(new BtfMember(btf.stringAt(u32(b, m), "parameter " + i + " of type [" + id + "]"),
                                (int) u32(b, m + 4), 0, 0));
                    }
                    members = ms;
                }
                case DATASEC -> {
                    List<BtfMember> ms = new ArrayList<>(vlen);
                    for (int i = 0; i < vlen; i++) {
                        int m = q + 12 * i;
                        // the VAR's name is filled in once all types are known
                        ms.add(new BtfMember(null, (int) u32(b, m), u32(b, m + 4), u32(b, m + 8)));
                    }
                    members = ms;
                }
                default -> {
                }
            }
            types.add(new BtfType(id, kind, name, kflag, vlen, sizeOrType, extra, members));
            p = q + recSize;
        }
        new Btf(strings, types).validate();
        return new Btf(strings, Collections.unmodifiableList(types));
    }

    private void validate() {
        int n = types.size();
        for (int id = 1; id < n; id++) {
            BtfType t = types.get(id);
            if (t.kind().refersToType() || t.kind() == BtfKind.FUNC_PROTO) {
                checkRef(t, t.sizeOrType(), "type");
            }
            if (t.kind() == BtfKind.ARRAY) {
                checkRef(t, t.arrayElemType(), "element type");
                checkRef(t, t.arrayIndexType(), "index type");
            }
            if (t.kind() == BtfKind.FUNC && (t.type() == 0 || types.get(t.type()).kind() != BtfKind.FUNC_PROTO)) {
                throw new BtfException(t + ": FUNC must refer to a FUNC_PROTO, not type " + t.type());
            }
            if (t.kind() == BtfKind.STRUCT || t.kind() == BtfKind.UNION || t.kind() == BtfKind.FUNC_PROTO) {
                for (BtfMember m : t.members()) {
                    checkRef(t, m.type(), "member '" + m.name() + "' type");
                }
            }
            if (t.kind() == BtfKind.DATASEC) {
                List<BtfMember> named = new ArrayList<>(t.members().size());
                for (BtfMember m : t.members()) {
                    checkRef(t, m.type(), "variable type");
                    BtfType v = types.get(m.type());
                    if (v == null || v.kind() != BtfKind.VAR) {
                        throw new BtfException(t + ": entry refers to type " + m.type() + ", which is not a VAR");
                    }
                    named.add(new BtfMember(v.name(), m.type(), m.offset(), m.size()));
                }
                types.set(id, new BtfType(t.id(), t.kind(), t.name(), t.kindFlag(), t.vlen(), t.sizeOrType(),
                        t.extra(), Collections.unmodifiableList(named)));
            }
        }
    }

    private void checkRef(BtfType t, int ref, String what) {
        if (ref < 0 || ref >= types.size()) {
            throw new BtfException(t + ": " + what + " id " + Integer.toUnsignedString(ref)
                    + " out of range (BTF has " + (types.size() - 1) + " types)");
        }
    }

    /** Number of types, not counting void (id 0). */
    public int typeCount() {
        return types.size() - 1;
    }

    /** The type with this id (1..typeCount); id 0 (void) has no record. */
    public BtfType type(int id) {
        if (id <= 0 || id >= types.size()) {
            throw new BtfException("BTF type id " + Integer.toUnsignedString(id) + " out of range (1.."
                    + (types.size() - 1) + ")");
        }
        return types.get(id);
    }

    /** The string at this offset of the string section. */
    public String string(long offset) {
        return stringAt(offset, "string reference");
    }

    private String stringAt(long off, String what) {
        if (off == 0) {
            return "";
        }
        if (off < 0 || off >= strings.length) {
            throw new BtfException(what + ": string offset " + off + " outside the string section ("
                    + strings.length + " bytes)");
        }
        int s = (int) off;
        for (int i = s; i < strings.length; i++) {
            if (strings[i] == 0) {
                return new String(strings, s, i - s, StandardCharsets.UTF_8);
            }
        }
        throw new BtfException(what + ": string at offset " + off + " is not NUL-terminated");
    }

    /** The first type of this kind and name. */
    public Optional<BtfType> find(BtfKind kind, String name) {
        for (int id = 1; id < types.size(); id++) {
            BtfType t = types.get(id);
            if (t.kind() == kind && t.name().equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** Follows TYPEDEF, VOLATILE, CONST, RESTRICT and TYPE_TAG to the underlying type id (0 = void). */
    public int skipModsAndTypedefs(int id) {
        int cur = id;
        for (int depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
            if (cur == 0) {
                return 0;
            }
            BtfType t = type(cur);
            switch (t.kind()) {
                case TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG -> cur = t.type();
                default -> {
                    return cur;
                }
            }
        }
        throw new BtfException("BTF type [" + id + "]: typedef/modifier chain longer than " + MAX_RESOLVE_DEPTH);
    }

    /**
     * Byte size of a type as the kernel's btf_resolve_size computes it: through typedefs,
     * modifiers and VARs, pointers are 8 bytes, arrays multiply out.
     */
    public long sizeOf(int id) {
        long mult = 1;
        int cur = id;
        for (int depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
            if (cur == 0) {
                throw new BtfException("BTF type [" + id + "]: size of void is undefined");
            }
            BtfType t = type(cur);
            switch (t.kind()) {
                case INT, STRUCT, UNION, ENUM, ENUM64, DATASEC, FLOAT -> {
                    return multiply(id, mult, t.size());
                }
                case PTR -> {
                    return multiply(id, mult, 8);
                }
                case TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG, VAR -> cur = t.type();
                case ARRAY -> {
                    mult = multiply(id, mult, t.arrayNelems());
                    cur = t.arrayElemType();
                }
                default -> throw new BtfException("BTF type [" + id + "]: " + t + " has no size");
            }
        }
        throw new BtfException("BTF type [" + id + "]: type chain longer than " + MAX_RESOLVE_DEPTH);
    }

    private static long multiply(int id, long a, long b) {
        long r = a * b;
        if (a != 0 && (r / a != b || r > 0xffffffffL)) {
            throw new BtfException("BTF type [" + id + "]: size overflows 32 bits");
        }
        return r;
    }

    static int u16(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    static long u32(byte[] b, int at) {
        return (b[at] & 0xffL) | (b[at + 1] & 0xffL) << 8 | (b[at + 2] & 0xffL) << 16 | (b[at + 3] & 0xffL) << 24;
    }
}
