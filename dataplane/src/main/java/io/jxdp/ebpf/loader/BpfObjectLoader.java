package io.jxdp.ebpf.loader;

import io.jxdp.ebpf.btf.BtfException;
import io.jxdp.ebpf.elf.ElfFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads a clang-compiled BPF ELF object into a {@link BpfObject}, following libbpf's
 * conventions (tools/lib/bpf/libbpf.c): programs by section and function symbol, maps from
 * {@code .maps} (BTF), the legacy {@code maps} section and global-data sections, relocations
 * applied and {@code .text} subprograms appended to each program that calls them. Pure parsing
 * and linking: no kernel, no VM.
 *
 * <p>Every failure, including an internal one on a hostile file, is a {@link BpfLoadException}
 * naming the object, section, byte offset and symbol where known.
 */
public final class BpfObjectLoader {
    /** BPF_COMPLEXITY_LIMIT_INSNS in include/linux/bpf.h: no program may exceed it. */
    public static final int MAX_INSNS = 1_000_000;

    private BpfObjectLoader() {
    }

    /** Loads a file; the object is named after the file name up to its first '.' (libbpf). */
    public static BpfObject load(Path path) throws BpfLoadException {
        byte[] data;
        try {
            data = Files.readAllBytes(path);
        } catch (IOException | OutOfMemoryError e) {
            throw new BpfLoadException("cannot read BPF object " + path + ": " + e.getMessage(), e);
        }
        Path fn = path.getFileName();
        return load(fn == null ? "object" : fn.toString(), data);
    }

    /** Loads an in-memory object named "object". */
    public static BpfObject load(byte[] data) throws BpfLoadException {
        return load("object", data);
    }

    /** Loads an in-memory object; {@code fileName} names it in messages and in global-data map names. */
    public static BpfObject load(String fileName, byte[] data) throws BpfLoadException {
        String name = objectName(fileName);
        try {
            return new LoadContext(name, data).load();
        } catch (ElfFormatException | BtfException e) {
            throw new BpfLoadException(name + ": " + e.getMessage(), e);
        } catch (RuntimeException | StackOverflowError e) {
            // A gap in validation must still surface as a load error with context, never a crash.
            throw new BpfLoadException(name + ": internal error while loading object: " + e, e);
        }
    }

    /** libbpf: basename, cut at the first '.'. */
    static String objectName(String fileName) {
        String base = fileName;
        int slash = base.lastIndexOf('/');
        if (slash >= 0) {
            base = base.substring(slash + 1);
        }
        int dot = base.indexOf('.');
        if (dot >= 0) {
            base = base.substring(0, dot);
        }
        return base.isEmpty() ? "object" : base;
    }
}
