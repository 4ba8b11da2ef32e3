package io.jxdp.ffi.net;

import java.lang.foreign.MemorySegment;

/**
 * Receives one frame that lives in driver memory: {@code length} bytes at {@code offset} of
 * {@code memory} (the UMEM or the AF_PACKET ring). The bytes are valid only during the call.
 * Primitives and a long-lived segment only, so that delivering a frame allocates nothing.
 */
@FunctionalInterface
public interface FrameHandler {
    void onFrame(MemorySegment memory, long offset, int length);
}
