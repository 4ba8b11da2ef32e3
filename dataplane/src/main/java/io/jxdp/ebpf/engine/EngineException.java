package io.jxdp.ebpf.engine;

/** A run or map operation that an engine could not carry out, with the reason and where. */
public final class EngineException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public EngineException(String message) {
        super(message);
    }

    public EngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
