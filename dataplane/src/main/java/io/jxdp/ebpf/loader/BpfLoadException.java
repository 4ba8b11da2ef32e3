package io.jxdp.ebpf.loader;

/**
 * A BPF object file could not be loaded. The message names the object, the ELF section, the
 * byte offset and the symbol involved where they are known.
 */
public final class BpfLoadException extends Exception {
    private static final long serialVersionUID = 1L;

    public BpfLoadException(String message) {
        super(message);
    }

    public BpfLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
