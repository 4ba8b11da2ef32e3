package io.jxdp.ebpf.btf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The {@code .BTF.ext} section: per-ELF-section func_info, line_info and CO-RE relocation
 * records (layout: libbpf {@code btf.h}/{@code libbpf_internal.h} struct btf_ext_header,
 * btf_ext_info_sec, bpf_func_info, bpf_line_info, bpf_core_relo). Instruction offsets are kept
 * as clang wrote them: BYTE offsets into the ELF section (libbpf divides by 8 when linking).
 *
 * <p>Record counts are checked against the remaining bytes before any loop runs.
 */
public final class BtfExt {
    /** bpf_func_info: insn_off, type_id. */
    public record FuncInfo(String section, long insnByteOffset, int typeId) {
    }

    /** bpf_line_info with the line_col word split: line = line_col >> 10, column = line_col & 0x3ff. */
    public record LineInfo(String section, long insnByteOffset, String fileName, String lineText, int line,
            int column) {
    }

    /** bpf_core_relo: kind is enum bpf_core_relo_kind (0 = FIELD_BYTE_OFFSET, ...). */
    public record CoreRelo(String section, long insnByteOffset, int typeId, String accessString, int kind) {
    }

    private final List<FuncInfo> funcInfo;
    private final List<LineInfo> lineInfo;
    private final List<CoreRelo> coreRelos;

    private BtfExt(List<FuncInfo> funcInfo, List<LineInfo> lineInfo, List<CoreRelo> coreRelos) {
        this.funcInfo = funcInfo;
        this.lineInfo = lineInfo;
        this.coreRelos = coreRelos;
    }

    /** Parses {@code .BTF.ext}; section names and strings resolve against {@code btf}. */
    public static BtfExt parse(byte[] b, Btf btf) {
        if (b.length < 24) {
            throw new BtfException(".BTF.ext: header truncated (" + b.length + " bytes, need 24)");
        }
        if (Btf.u16(b, 0) != Btf.MAGIC) {
            throw new BtfException(".BTF.ext offset 0: bad magic 0x" + Integer.toHexString(Btf.u16(b, 0)));
        }
        if (b[2] != 1) {
            throw new BtfException(".BTF.ext offset 2: unsupported version " + b[2]);
        }
        long hdrLen = Btf.u32(b, 4);
        if (hdrLen < 24 || hdrLen > b.length) {
            throw new BtfException(".BTF.ext offset 4: header length " + hdrLen + " out of range");
        }
        List<FuncInfo> funcs = new ArrayList<>();
        List<LineInfo> lines = new ArrayList<>();
        List<CoreRelo> cores = new ArrayList<>();
        parseInfo(b, btf, hdrLen, Btf.u32(b, 8), Btf.u32(b, 12), 8, "func_info", (sec, at) ->
                funcs.add(new FuncInfo(sec, Btf.u32(b, at), (int) Btf.u32(b, at + 4))));
        parseInfo(b, btf, hdrLen, Btf.u32(b, 16), Btf.u32(b, 20), 16, "line_info", (sec, at) -> {
            long lineCol = Btf.u32(b, at + 12);
            lines.add(new LineInfo(sec, Btf.u32(b, at), str(btf, Btf.u32(b, at + 4), "line_info file", at),
                    str(btf, Btf.u32(b, at + 8), "line_info line", at), (int) (lineCol >>> 10),
                    (int) (lineCol & 0x3ff)));
        });
        if (hdrLen >= 32) {
            parseInfo(b, btf, hdrLen, Btf.u32(b, 24), Btf.u32(b, 28), 16, "core_relo", (sec, at) ->
                    cores.add(new CoreRelo(sec, Btf.u32(b, at), (int) Btf.u32(b, at + 4),
                            str(btf, Btf.u32(b, at + 8), "core_relo access string", at), (int) Btf.u32(b, at + 12))));
        }
        return new BtfExt(Collections.unmodifiableList(funcs), Collections.unmodifiableList(lines),
                Collections.unmodifiableList(cores));
    }

    private interface RecordSink {
        void accept(String section, int at);
    }

    private static String str(Btf btf, long off, String what, int at) {
        try {
            return btf.string(off);
        } catch (BtfException e) {
            throw new BtfException(".BTF.ext offset " + at + ": " + what + ": " + e.getMessage());
        }
    }

    private static void parseInfo(byte[] b, Btf btf, long hdrLen, long off, long len, int minRec, String what,
            RecordSink sink) {
        if (len == 0) {
            return;
        }
        long avail = b.length - hdrLen;
        if (off > avail || len > avail - off) {
            throw new BtfException(".BTF.ext: " + what + " [" + off + ", +" + len + ") outside the " + avail
                    + " data bytes");
        }
        int p = (int) (hdrLen + off);
        int end = (int) (hdrLen + off + len);
        if (end - p < 4) {
            throw new BtfException(".BTF.ext offset " + p + ": " + what + " record size truncated");
        }
        long recSize = Btf.u32(b, p);
        if (recSize < minRec || recSize > 1024 || (recSize & 3) != 0) {
            throw new BtfException(".BTF.ext offset " + p + ": " + what + " record size " + recSize
                    + " unsupported (minimum " + minRec + ")");
        }
        p += 4;
        while (p < end) {
            if (end - p < 8) {
                throw new BtfException(".BTF.ext offset " + p + ": " + what + " section header truncated");
            }
            String sec = str(btf, Btf.u32(b, p), what + " section name", p);
            long num = Btf.u32(b, p + 4);
            p += 8;
            if (num == 0) {
                throw new BtfException(".BTF.ext offset " + p + ": " + what + " for section '" + sec
                        + "' has zero records");
            }
            if (num > (end - p) / recSize) {
                throw new BtfException(".BTF.ext offset " + p + ": " + what + " for section '" + sec + "' claims "
                        + num + " records of " + recSize + " bytes, more than remain");
            }
            for (long i = 0; i < num; i++) {
                sink.accept(sec, p);
                p += (int) recSize;
            }
        }
    }

    public List<FuncInfo> funcInfo() {
        return funcInfo;
    }

    public List<LineInfo> lineInfo() {
        return lineInfo;
    }

    public List<CoreRelo> coreRelos() {
        return coreRelos;
    }
}
