package io.jxdp.ebpf.isa;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.EnumSet;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class InsnTest {

    @ParameterizedTest
    @ValueSource(longs = {1L, 42L, 0x5eedL, 9_669L})
    void everySlotRoundTripsExactly(long seed) {
        Random rnd = new Random(seed);
        for (int n = 0; n < 50_000; n++) {
            long slot = rnd.nextLong();
            Insn i = Insn.decode(slot);
            assertEquals(slot, i.encode(), () -> Long.toHexString(slot));
            assertEquals(i, Insn.decode(i.encode()));
        }
    }

    @Test
    void fieldsFollowTheRfcLayout() {
        // RFC 9669 section 3: opcode:8, dst_reg:4 (low nibble), src_reg:4, offset:16, imm:32; little-endian
        Insn i = Insn.decode(0x1122334455667788L);
        assertEquals(0x88, i.code());
        assertEquals(0x7, i.dst());
        assertEquals(0x7, i.src());
        assertEquals((short) 0x5566, i.off());
        assertEquals(0x11223344, i.imm());
        Insn j = new Insn(0xbf, 1, 10, -8, -1);
        assertEquals(0xffff_ffff_fff8_a1bfL, j.encode());
        assertArrayEquals(new byte[] {(byte) 0xbf, (byte) 0xa1, (byte) 0xf8, (byte) 0xff, -1, -1, -1, -1},
                Program.of(java.util.List.of(j)).toBytes());
    }

    @ParameterizedTest
    @EnumSource(Op.class)
    void everyOpcodeDecodesToItself(Op op) {
        Insn i = op.insn(3, 4, 0, 0);
        assertSame(op, Op.of(i));
        assertEquals(op.code, i.code());
    }

    @Test
    void opcodeTableHasNoAmbiguousEntries() {
        Set<String> keys = new HashSet<>();
        for (Op op : Op.values()) {
            String key = op.code + "/" + op.disc + "/" + op.discValue;
            assertEquals(true, keys.add(key), "duplicate table entry " + key + " at " + op);
        }
    }

    @Test
    void theTableCoversIsaV4() {
        // RFC 9669 appendix A lists every opcode; count the groups the brief requires
        assertEquals(171, Op.values().length);
        EnumSet<Op.Kind> kinds = EnumSet.noneOf(Op.Kind.class);
        for (Op op : Op.values()) {
            kinds.add(op.kind);
        }
        assertEquals(EnumSet.allOf(Op.Kind.class), kinds);
        assertSame(Op.SDIV64_REG, Op.of(0x3f, 0, 1, 0));
        assertSame(Op.DIV64_REG, Op.of(0x3f, 0, 0, 0));
        assertNull(Op.of(0x3f, 0, 2, 0), "DIV with off 2 is no opcode");
        assertSame(Op.MOVSX32_64, Op.of(0xbf, 0, 32, 0));
        assertNull(Op.of(0xbc, 0, 32, 0), "32-bit MOVSX has no 32-bit source form");
        assertSame(Op.ATOMIC32_CMPXCHG, Op.of(0xc3, 0, 0, 0xf1));
        assertNull(Op.of(0xdb, 0, 0, 0x02), "no atomic operation 0x02");
        assertSame(Op.CALL_KFUNC, Op.of(0x85, 2, 0, 0));
        assertSame(Op.LDDW_MAP_IDX_VALUE, Op.of(0x18, 6, 0, 0));
        assertNull(Op.of(0x18, 7, 0, 0));
        assertSame(Op.BSWAP64, Op.of(0xd7, 0, 0, 64));
        assertSame(Op.CALLX, Op.of(0x8d, 0, 0, 0));
        assertSame(Op.JA32, Op.of(0x06, 0, 0, 0));
        assertSame(Op.LDINDH, Op.of(0x48, 0, 0, 0));
        assertNull(Op.of(0x8c, 0, 0, 0), "NEG has no register-source form");
        assertNull(Op.of(0xff, 0, 0, 0));
    }

    @Test
    void builderFillsTheDiscriminator() {
        assertEquals(1, Op.SDIV32_IMM.insn(1, 0, 0, 7).off());
        assertEquals(0xe1, Op.ATOMIC64_XCHG.insn(1, 2, 0, 0).imm());
        assertEquals(1, Op.CALL_LOCAL.insn(0, 0, 0, 5).src());
    }

    @Test
    void outOfRangeFieldsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Insn(0x100, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Insn(0x07, 16, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Insn(0x07, 0, 0, 40_000, 0));
        assertThrows(IllegalArgumentException.class, () -> Program.fromBytes(new byte[12]));
    }

    @Test
    void programBytesRoundTrip() {
        Random rnd = new Random(7);
        byte[] b = new byte[8 * 100];
        rnd.nextBytes(b);
        assertArrayEquals(b, Program.fromBytes(b).toBytes());
    }
}
