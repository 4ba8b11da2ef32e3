package io.jxdp.ebpf.elf;

/** A malformed or unsupported ELF file; the message names the section and byte offset at fault. */
public final class ElfFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ElfFormatException(String message) {
        super(message);
    }
}
