package dev.estoria.cli;

import dev.estoria.cli.store.CliStore;
import dev.estoria.cli.store.OpenMode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * Base of the subcommands: the store options ({@code --db}, {@code --postgres}, {@code --schema}), the environment and the output streams. A
 * subcommand checks its input first and opens the store only then, so bad input writes nothing.
 */
abstract class StoreCommand implements Callable<Integer> {

    @ParentCommand
    EstoriaCli root;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    StoreOptions storeOptions() {
        return root.storeOptions;
    }

    CliEnvironment environment() {
        return root.environment();
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    CliStore open(OpenMode mode) {
        return environment().opener().open(storeOptions().target(), mode);
    }
}
