package dev.estoria.sqlite;

import dev.estoria.eventstore.EventStoreException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * {@link SqliteEventStore#open} refused a file; the file was left as it was.
 *
 * <p>The message names the file and the problem; {@link #problem()} tells them apart for code.
 */
public class SqliteFileException extends EventStoreException {

    /** Why a file was refused. */
    public enum Problem {
        /** The file cannot be opened or created: a missing directory, a directory, no permission. */
        CANNOT_OPEN,
        /** The file is not a SQLite database (a text file, for example). */
        NOT_SQLITE,
        /** The file is a SQLite database that does not belong to Estoria. */
        NOT_ESTORIA,
        /** The file was written by a newer version of Estoria, with a schema this one does not know. */
        NEWER_SCHEMA,
        /** The file is an Estoria database (or claims to be) but is damaged or incomplete. */
        CORRUPT
    }

    private final Path file;
    private final Problem problem;

    public SqliteFileException(Path file, Problem problem, String detail, Throwable cause) {
        super("cannot open " + file + " as an Estoria event store: " + detail, cause);
        this.file = Objects.requireNonNull(file, "file");
        this.problem = Objects.requireNonNull(problem, "problem");
    }

    public SqliteFileException(Path file, Problem problem, String detail) {
        this(file, problem, detail, null);
    }

    /** The refused file. */
    public Path file() {
        return file;
    }

    /** Why it was refused. */
    public Problem problem() {
        return problem;
    }
}
