package io.jxdp.ffi.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class FdTest {
    private static final MethodHandle OPEN = LibC.downcallErrno("open",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    @Test
    void closingABadDescriptorNamesEbadf() {
        NativeException e = assertThrows(NativeException.class, () -> FileDescriptors.close(98765));
        assertEquals(Errno.EBADF, e.errno());
        assertThrows(IllegalArgumentException.class, () -> new Fd(-1));
    }

    @Test
    void ownedDescriptorIsClosedExactlyOnce() throws Throwable {
        int raw;
        try (Arena arena = Arena.ofConfined()) {
            raw = (int) OPEN.invokeExact(LibC.newErrnoCapture(arena), arena.allocateFrom("/dev/null"), 0);
        }
        assertTrue(raw >= 0);
        Path link = Path.of("/proc/self/fd/" + raw);
        assertEquals("/dev/null", Files.readSymbolicLink(link).toString());
        Fd fd = new Fd(raw);
        fd.close();
        assertFalse(fd.isOpen());
        assertFalse(Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertThrows(IllegalStateException.class, fd::get);
        fd.close(); // second close is a no-op, not a close of someone else's descriptor
    }
}
