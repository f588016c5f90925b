package dev.estoria.cli;

import dev.estoria.cli.store.StoreTarget;
import java.nio.file.Path;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The options every command takes to name its store: {@code --db FILE} (the default, {@value
 * #DEFAULT_DB}) or {@code --postgres URL} with an optional {@code --schema NAME}. Declared once on
 * {@code estoria} and inherited by every subcommand, so they may stand before or after the
 * subcommand's name.
 *
 * <p>{@code --db} and {@code --postgres} exclude each other, and {@code --schema} needs {@code
 * --postgres}; {@link #target()} refuses such combinations, before anything is opened.
 */
final class StoreOptions {

    static final String DEFAULT_DB = "./estoria.db";
    static final String DEFAULT_SCHEMA = "estoria";

    private static final Pattern SCHEMA = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
    /** The driver's search-path parameter; the driver matches parameter names case-sensitively. */
    private static final Pattern CURRENT_SCHEMA = Pattern.compile("[?&]currentSchema=([^&]*)");

    // No picocli default, so that an explicit --db can be told apart from the default one.
    @Option(names = "--db", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "The database file (default: " + DEFAULT_DB + "); not with --postgres.")
    Path db;

    @Option(names = "--postgres", paramLabel = "URL", scope = ScopeType.INHERIT,
            description = "Use a PostgreSQL store instead of a file: a JDBC URL such as "
                    + "jdbc:postgresql://127.0.0.1:5432/test?user=postgres.")
    String postgres;

    @Option(names = "--schema", paramLabel = "NAME", scope = ScopeType.INHERIT,
            description = "With --postgres: the schema holding the store (default: " + DEFAULT_SCHEMA + ").")
    String schema;

    /**
     * The store these options name.
     *
     * @throws BadInputException if the options contradict each other or a value is malformed
     */
    StoreTarget target() {
        if (db != null && db.toString().isBlank()) {
            throw new BadInputException("--db needs a file name");
        }
        if (postgres == null) {
            if (schema != null) {
                throw new BadInputException("--schema needs --postgres (a file store has no schemas)");
            }
            return new StoreTarget.File(dbPath());
        }
        if (db != null) {
            throw new BadInputException("--db and --postgres name two different stores; give only one of them");
        }
        if (!postgres.startsWith("jdbc:postgresql:")) {
            throw new BadInputException("--postgres takes a JDBC URL starting with jdbc:postgresql:, such as "
                    + "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
        }
        String name = schema == null ? DEFAULT_SCHEMA : schema;
        java.util.regex.Matcher current = CURRENT_SCHEMA.matcher(postgres);
        String searchPath = current.find() ? decode(current.group(1)) : null;
        // The first schema of the search path is where unqualified names go; later ones are fallbacks.
        String first = searchPath == null ? null : searchPath.split(",", -1)[0].strip();
        if (first != null && !first.equals(name)) {
            // The store names its tables with its schema; the URL's search path would not move it.
            throw new BadInputException("--postgres sets currentSchema=" + searchPath + ", but the store's schema is"
                    + " given with --schema (here " + name + (schema == null ? ", the default" : "") + "); use --schema "
                    + first + " or leave currentSchema out of the URL");
        }
        if (!SCHEMA.matcher(name).matches() || name.toLowerCase(java.util.Locale.ROOT).startsWith("pg_")) {
            throw new BadInputException("invalid --schema \"" + name + "\": expected letters, digits and '_', "
                    + "not starting with a digit or pg_, at most 63 characters");
        }
        if (name.equals("information_schema")) {
            throw new BadInputException("invalid --schema \"" + name + "\": information_schema is PostgreSQL's own,"
                    + " and pg_dump leaves it out of every dump");
        }
        return new StoreTarget.Postgres(postgres, name);
    }

    /** A URL parameter's value as the driver reads it: percent-decoded; as given when malformed. */
    private static String decode(String value) {
        try {
            return java.net.URLDecoder.decode(value, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException malformed) {
            return value;
        }
    }

    /** The database file, whether given or the default. */
    Path dbPath() {
        return db == null ? Path.of(DEFAULT_DB) : db;
    }

    /** The options as the user would type them again, or empty for the default file. */
    String asArguments() {
        return switch (target()) {
            case StoreTarget.File file -> db == null || file.path().equals(Path.of(DEFAULT_DB))
                    ? "" : " --db " + Shell.quote(file.path().toString());
            case StoreTarget.Postgres pg -> " --postgres " + Shell.quote(pg.urlWithoutPassword())
                    + (pg.schema().equals(DEFAULT_SCHEMA) ? "" : " --schema " + pg.schema());
        };
    }
}
