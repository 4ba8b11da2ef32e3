package io.jxdp.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jxdp} command line: one picocli command with a subcommand per task. */
@Command(name = "jxdp",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "A user-space, XDP-style packet dataplane: runs clang-compiled eBPF XDP programs.",
        subcommands = {CommandLine.HelpCommand.class, ConformanceCommand.class, AsmCommand.class,
                DisasmCommand.class, DemoCommand.class, ProgCommand.class, MapCommand.class, ParityCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (tests call this instead of {@link #main}). */
    public static int run(String... args) {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"jxdp " + (v == null ? "development build" : v)
                    + " on Java " + Runtime.version()};
        }
    }
}
