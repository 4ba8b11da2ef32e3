package io.jxdp.ebpf.loader;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Reads the committed fixture objects (built by src/test/resources/elf/Makefile). */
final class Fixtures {
    static final String[] LOADABLE = {"globals.o", "subprogs.o", "legacy.o", "mapinmap.o", "btfkinds.o",
        "strings.o", "unknownsec.o"};
    static final String[] ALL = {"globals.o", "subprogs.o", "legacy.o", "mapinmap.o", "btfkinds.o", "strings.o",
        "extern.o", "notype.o"};

    private Fixtures() {
    }

    static byte[] bytes(String name) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/elf/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource /elf/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static BpfObject load(String name) throws BpfLoadException {
        return BpfObjectLoader.load(name, bytes(name));
    }
}
