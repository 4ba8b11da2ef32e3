package io.jxdp.cli;

import io.jxdp.ebpf.engine.EngineException;
import io.jxdp.ebpf.loader.BpfLoadException;
import io.jxdp.ebpf.loader.BpfObject;
import io.jxdp.ebpf.loader.BpfObjectLoader;
import io.jxdp.ebpf.map.MapException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Shared error handling of the object commands: one clear line on stderr and exit code 1. */
final class CliErrors {
    private CliErrors() {
    }

    /** Thrown by commands for a user error already phrased for the user. */
    static final class UserError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UserError(String message) {
            super(message);
        }
    }

    static int run(PrintWriter err, Callable<Integer> body) {
        try {
            return body.call();
        } catch (UserError | EngineException | BpfLoadException | MapException | IllegalArgumentException e) {
            err.println("jxdp: " + oneLine(e.getMessage()));
        } catch (NoSuchFileException e) {
            err.println("jxdp: no such file: " + e.getFile());
        } catch (IOException e) {
            err.println("jxdp: " + oneLine(String.valueOf(e.getMessage())));
        } catch (Exception e) {
            err.println("jxdp: internal error: " + oneLine(String.valueOf(e)));
        }
        err.flush();
        return 1;
    }

    static String oneLine(String s) {
        return s == null ? "error" : s.replace('\n', ' ');
    }

    static BpfObject load(Path obj) throws BpfLoadException {
        if (!Files.isRegularFile(obj)) {
            throw new UserError("no such object file: " + obj);
        }
        return BpfObjectLoader.load(obj);
    }
}
