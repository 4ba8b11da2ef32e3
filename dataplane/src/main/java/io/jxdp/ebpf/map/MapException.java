package io.jxdp.ebpf.map;

import io.jxdp.ffi.sys.Errno;

/** A refused map operation or creation, carrying the errno the kernel would return and the map's name. */
public final class MapException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int errno;
    private final String mapName;

    MapException(String mapName, int errno, String message) {
        super("map '" + mapName + "': " + message + " (" + Errno.name(errno) + ")");
        this.errno = errno;
        this.mapName = mapName;
    }

    /** The positive errno value, e.g. {@link Errno#ENOENT}. */
    public int errno() {
        return errno;
    }

    /** The name of the map the operation was on. */
    public String mapName() {
        return mapName;
    }
}
