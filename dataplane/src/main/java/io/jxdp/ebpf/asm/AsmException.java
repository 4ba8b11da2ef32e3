package io.jxdp.ebpf.asm;

/** A syntax error in assembler source, naming the line, the column and what was expected. */
public final class AsmException extends RuntimeException {
    private final int line;
    private final int column;

    public AsmException(int line, int column, String message) {
        super("line " + line + ", column " + column + ": " + message);
        this.line = line;
        this.column = column;
    }

    /** 1-based line number. */
    public int line() {
        return line;
    }

    /** 1-based column number. */
    public int column() {
        return column;
    }
}
