package io.jxdp.ffi.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Downcalls into the C library with errno captured, the common piece every transport stands on
 * (as Netty keeps its file descriptor and error helpers apart from each transport).
 *
 * <p>Handles are {@code static final} and called with {@code invokeExact}; each call that can fail
 * takes a caller-provided capture segment ({@link #newErrnoCapture(Arena)}) so that the data path
 * allocates nothing.
 */
public final class LibC {
    private LibC() {}

    static final Linker LINKER = Linker.nativeLinker();
    static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /** Looks up a libc symbol and binds it with errno capture (the capture segment is the first argument). */
    public static MethodHandle downcallErrno(String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = LOOKUP.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc symbol not found: " + name));
        return LINKER.downcallHandle(symbol, descriptor, CAPTURE_ERRNO);
    }

    /**
     * As {@link #downcallErrno(String, FunctionDescriptor)} for a variadic C function such as
     * {@code syscall(long number, ...)}: arguments from index {@code firstVariadicArg} on are
     * passed as variadic arguments (the SysV ABI passes them differently on some platforms).
     */
    public static MethodHandle downcallErrnoVariadic(String name, FunctionDescriptor descriptor, int firstVariadicArg) {
        MemorySegment symbol = LOOKUP.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc symbol not found: " + name));
        return LINKER.downcallHandle(symbol, descriptor, CAPTURE_ERRNO,
                Linker.Option.firstVariadicArg(firstVariadicArg));
    }

    /** Looks up a libc symbol and binds it without errno capture. */
    public static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        MemorySegment symbol = LOOKUP.find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc symbol not found: " + name));
        return LINKER.downcallHandle(symbol, descriptor);
    }

    /** A segment that receives errno from a capturing downcall; allocate once and reuse. */
    public static MemorySegment newErrnoCapture(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    /** Reads the errno captured by the last call that used {@code capture}. */
    public static int errno(MemorySegment capture) {
        return (int) ERRNO.get(capture, 0L);
    }
}
