package io.jxdp.ffi.bpf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jxdp.ffi.sys.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** BPF_BTF_LOAD of a hand-built one-type BTF blob (include/uapi/linux/btf.h), and a map that uses it. */
class BtfTest {

    /**
     * struct btf_header (24 bytes: magic 0xeB9F, version 1, flags 0, hdr_len, type_off, type_len,
     * str_off, str_len), then one BTF_KIND_INT type "int" (btf_type: name_off, info = kind << 24,
     * size; then the u32 encoding: BTF_INT_ENCODING << 24 | offset << 16 | bits), then strings.
     */
    static byte[] intBtf(int bits) {
        byte[] strings = "\0int\0".getBytes();
        int typeLen = 16;
        ByteBuffer b = ByteBuffer.allocate(24 + typeLen + strings.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 0xeB9F).put((byte) 1).put((byte) 0).putInt(24);
        b.putInt(0).putInt(typeLen).putInt(typeLen).putInt(strings.length);
        b.putInt(1).putInt(1 << 24).putInt(4); // name "int", BTF_KIND_INT, 4 bytes
        b.putInt(1 << 24 | bits); // BTF_INT_SIGNED, offset 0, bits
        b.put(strings);
        return b.array();
    }

    @Test
    void validBtfLoadsAndDescribesAMap() {
        int btf = Bpf.btfLoad(intBtf(32));
        try {
            BpfInfo.BtfInfo info = Bpf.btfInfo(btf);
            assertTrue(info.id() > 0);
            assertEquals(intBtf(32).length, info.btfSize());
            assertEquals(info, Bpf.objInfo(btf));
            int map = Bpf.mapCreate(MapCreateAttr.of(MapType.BPF_MAP_TYPE_ARRAY, 4, 4, 1).withBtf(btf, 1, 1));
            try {
                BpfInfo.MapInfo mi = Bpf.mapInfo(map);
                assertEquals(info.id(), mi.btfId());
                assertEquals(1, mi.btfKeyTypeId());
                assertEquals(1, mi.btfValueTypeId());
            } finally {
                Bpf.close(map);
            }
        } finally {
            Bpf.close(btf);
        }
    }

    @Test
    void invalidBtfCarriesTheKernelsLog() {
        // 64 bits do not fit a 4-byte int: btf_int_check_meta says "nr_bits exceeds type_size"
        BpfLoadException e = assertThrows(BpfLoadException.class, () -> Bpf.btfLoad(intBtf(64)));
        assertEquals(Errno.EINVAL, e.errno());
        assertFalse(e.log().isBlank());
        assertTrue(e.log().contains("nr_bits exceeds type_size"), e.log());
    }
}
