package dev.estoria.cli;

import dev.estoria.cli.store.StoreTarget;
import java.nio.file.Path;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The option every command takes to name its store. Declared once on {@code estoria} and inherited
 * by every subcommand, so it may stand before or after the subcommand's name.
 */
final class StoreOptions {

    static final String DEFAULT_DB = "./estoria.db";

    // A server-backed store will join here as an alternative option (an exclusive group with --db).
    @Option(names = "--db", paramLabel = "FILE", defaultValue = DEFAULT_DB, scope = ScopeType.INHERIT,
            description = "The database file (default: ${DEFAULT-VALUE}).")
    Path db;

    StoreTarget target() {
        return new StoreTarget.File(db);
    }

    /** The option as the user would type it again, or empty for the default. */
    String asArgument() {
        return db.equals(Path.of(DEFAULT_DB)) ? "" : " --db " + Shell.quote(db.toString());
    }
}
