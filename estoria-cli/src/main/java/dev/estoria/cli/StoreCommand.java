package dev.estoria.cli;

import dev.estoria.cli.store.CliStore;
import dev.estoria.cli.store.OpenMode;
import dev.estoria.cli.store.StoreTarget;
import dev.estoria.postgres.PostgresEventStore;
import dev.estoria.typeid.TypeId;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
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
        // Inherited options land in one place: given on both sides of the command name, the later
        // one would win without a word.
        ParseResult top = root.spec.commandLine().getParseResult();
        ParseResult own = spec.commandLine().getParseResult();
        if (top != null && own != null) {
            for (String name : List.of("--db", "--postgres", "--schema")) {
                if (top.hasMatchedOption(name) && own.hasMatchedOption(name)) {
                    throw new BadInputException(name + " is given both before and after the command name; give it once");
                }
            }
        }
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

    /**
     * Refuses a stream type PostgreSQL cannot index, before the store is opened: the store would
     * refuse it too, but only after opening, which creates a missing schema.
     *
     * @param where what to name the input by in the message (empty, or "FILE line N: ")
     */
    void checkStreamTypeFits(TypeId streamId, String where) {
        int bytes = streamId.type().getBytes(StandardCharsets.UTF_8).length;
        if (storeOptions().target() instanceof StoreTarget.Postgres && bytes > PostgresEventStore.MAX_TYPE_BYTES) {
            throw new BadInputException(where + "the stream type of " + streamId + " is " + bytes
                    + " bytes of UTF-8; PostgreSQL indexes it, and at most " + PostgresEventStore.MAX_TYPE_BYTES
                    + " are allowed");
        }
    }
}
