package io.jxdp.ebpf.btf;

/** Malformed or unsupported BTF / BTF.ext; the message names the byte offset and type id at fault. */
public final class BtfException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BtfException(String message) {
        super(message);
    }
}
