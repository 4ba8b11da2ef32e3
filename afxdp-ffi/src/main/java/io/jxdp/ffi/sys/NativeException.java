package io.jxdp.ffi.sys;

/** A failed system call: what was attempted and the errno the kernel returned. */
public final class NativeException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public NativeException(String operation, int errno) {
        super(operation + " failed: " + Errno.name(errno) + " (" + errno + ")");
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
