package io.jxdp.ffi.pcap;

/** A malformed pcap or pcapng file: what is wrong, in which file, at which byte offset. */
public final class PcapFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final long offset;

    PcapFormatException(String file, long offset, String problem) {
        super(file + ": at offset " + offset + ": " + problem);
        this.offset = offset;
    }

    /** Byte offset in the file where the problem was found. */
    public long offset() {
        return offset;
    }
}
