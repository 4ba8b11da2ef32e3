package io.jxdp.ffi.sys;

/** An owned file descriptor: closed exactly once by {@link #close()}. */
public final class Fd implements AutoCloseable {
    private int fd;

    public Fd(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("not a file descriptor: " + fd);
        }
        this.fd = fd;
    }

    /** The raw descriptor; throws once closed. */
    public int get() {
        if (fd < 0) {
            throw new IllegalStateException("file descriptor already closed");
        }
        return fd;
    }

    public boolean isOpen() {
        return fd >= 0;
    }

    @Override
    public void close() {
        int f = fd;
        fd = -1;
        FileDescriptors.close(f);
    }

    @Override
    public String toString() {
        return "fd " + fd;
    }
}
