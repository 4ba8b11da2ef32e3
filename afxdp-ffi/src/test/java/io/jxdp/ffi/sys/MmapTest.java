package io.jxdp.ffi.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class MmapTest {
    @Test
    void anonymousMappingIsZeroedWritableAndLazilyBacked() throws Exception {
        long size = 256L << 20; // 256 MiB reserved
        long rssBefore = residentKb();
        MemorySegment m = Mmap.anonymous(size);
        try {
            assertEquals(size, m.byteSize());
            assertEquals(0L, m.get(ValueLayout.JAVA_LONG, size - 8));
            m.set(ValueLayout.JAVA_LONG, 4096, 0x1122334455667788L);
            assertEquals(0x1122334455667788L, m.get(ValueLayout.JAVA_LONG, 4096));
            // Touching two pages must not have made the whole 256 MiB resident.
            long grewKb = residentKb() - rssBefore;
            org.junit.jupiter.api.Assertions.assertTrue(grewKb < 64 * 1024,
                    "RSS grew by " + grewKb + " KiB for a 256 MiB lazy mapping");
        } finally {
            Mmap.unmap(m);
        }
    }

    @Test
    void badSizeIsRefusedAndKernelErrorsNameErrno() {
        assertThrows(IllegalArgumentException.class, () -> Mmap.anonymous(0));
        NativeException e = assertThrows(NativeException.class,
                () -> Mmap.map(4096, Mmap.PROT_READ, Mmap.MAP_SHARED, 12345, 0));
        assertEquals(Errno.EBADF, e.errno());
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("EBADF"), e.getMessage());
    }

    private static long residentKb() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS");
    }
}
