package dev.estoria.sqlite;

import dev.estoria.eventstore.EventStoreException;
import dev.estoria.sqlite.SqliteFileException.Problem;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.sqlite.SQLiteConfig;

/**
 * The file format: how an Estoria file is recognised, which schema versions exist and how a file
 * is brought to the current one.
 *
 * <p>An Estoria file is a SQLite database in WAL mode whose header carries {@link #APPLICATION_ID}
 * ({@code PRAGMA application_id}) and the schema version ({@code PRAGMA user_version}). Both are
 * written in the same transaction as the tables, so a file has either all of them or none.
 *
 * <p>Versions: 1 holds the events and the stream tips ({@code events}, {@code streams}); 2 adds
 * durable snapshots ({@code estoria_snapshots}) and projection checkpoints ({@code
 * estoria_checkpoints}); 3 adds projection partition leases ({@code estoria_leases}) and the
 * heartbeats of the workers sharing them ({@code estoria_members}). Opening an older file migrates
 * it in place, through every version in between, in one transaction, so a
 * crash during the migration leaves it at its old version; a migrated file can no longer be
 * opened by an Estoria that knows only an older version.
 */
final class Schema {

    private Schema() {
    }

    /** "ESTR" in ASCII: marks a SQLite file as an Estoria event store. */
    static final int APPLICATION_ID = 0x45535452;

    /** The schema version this code writes and reads. */
    static final int CURRENT_VERSION = 4;

    /**
     * Migration {@code i} takes a file from version {@code i} to {@code i + 1}; version 0 is a file
     * without tables. Released migrations never change: a new schema version appends one.
     *
     * <p>Tables added from version 2 on are named {@code estoria_*}, a prefix reserved for Estoria,
     * so they cannot collide with read-model tables an application keeps in the same file.
     */
    private static final List<List<String>> MIGRATIONS = List.of(List.of(
            """
            CREATE TABLE streams (
                stream_id TEXT    NOT NULL PRIMARY KEY,
                version   INTEGER NOT NULL CHECK (version >= 1)
            ) WITHOUT ROWID""",
            """
            CREATE TABLE events (
                position     INTEGER PRIMARY KEY AUTOINCREMENT,
                stream_id    TEXT    NOT NULL,
                stream_type  TEXT    NOT NULL,
                version      INTEGER NOT NULL CHECK (version >= 1),
                event_uuid   BLOB    NOT NULL CHECK (length(event_uuid) = 16),
                event_type   TEXT    NOT NULL,
                recorded_us  INTEGER NOT NULL,
                data         BLOB    NOT NULL,
                content_type TEXT    NOT NULL,
                metadata     BLOB    NOT NULL
            )""",
            "CREATE UNIQUE INDEX events_by_stream ON events (stream_id, version)",
            "CREATE UNIQUE INDEX events_by_uuid ON events (event_uuid)",
            "CREATE INDEX events_by_stream_type ON events (stream_type, position)",
            "CREATE INDEX events_by_event_type ON events (event_type, position)"),
            List.of(
            // A rowid table rather than WITHOUT ROWID: snapshots are often large, and SQLite keeps
            // large rows better in rowid tables.
            """
            CREATE TABLE estoria_snapshots (
                aggregate_type TEXT    NOT NULL,
                aggregate_uuid BLOB    NOT NULL CHECK (length(aggregate_uuid) = 16),
                version        INTEGER NOT NULL CHECK (version >= 1),
                taken_seconds  INTEGER NOT NULL,
                taken_nanos    INTEGER NOT NULL CHECK (taken_nanos BETWEEN 0 AND 999999999),
                data           BLOB    NOT NULL,
                content_type   TEXT    NOT NULL,
                PRIMARY KEY (aggregate_type, aggregate_uuid, version)
            )""",
            """
            CREATE TABLE estoria_checkpoints (
                projection TEXT    NOT NULL,
                version    INTEGER NOT NULL CHECK (version >= 1),
                position   INTEGER NOT NULL CHECK (position >= 0),
                updated_us INTEGER NOT NULL,
                PRIMARY KEY (projection, version)
            ) WITHOUT ROWID"""),
            List.of(
            // A row is never deleted: a released lease only expires, so its token keeps growing
            // across acquisitions, which is what makes it a fencing token.
            """
            CREATE TABLE estoria_leases (
                lease_group TEXT    NOT NULL,
                partition   INTEGER NOT NULL CHECK (partition >= 0),
                owner       TEXT    NOT NULL,
                token       INTEGER NOT NULL CHECK (token >= 1),
                expires_us  INTEGER NOT NULL,
                PRIMARY KEY (lease_group, partition)
            ) WITHOUT ROWID""",
            """
            CREATE TABLE estoria_members (
                lease_group TEXT    NOT NULL,
                owner       TEXT    NOT NULL,
                expires_us  INTEGER NOT NULL,
                PRIMARY KEY (lease_group, owner)
            ) WITHOUT ROWID"""),
            List.of(
            // The UUID of the event a snapshot was taken at; NULL in rows written before version 4.
            // Adding a nullable column rewrites no row.
            """
            ALTER TABLE estoria_snapshots ADD COLUMN event_uuid BLOB
                CHECK (event_uuid IS NULL OR length(event_uuid) = 16)"""));

    /** The tables each schema version adds; index 0 is version 1. */
    private static final List<List<String>> TABLES_ADDED = List.of(
            List.of("events", "streams"),
            List.of("estoria_checkpoints", "estoria_snapshots"),
            List.of("estoria_leases", "estoria_members"),
            List.of());

    /** The tables a file of schema {@code version} has. */
    private static List<String> tablesOf(int version) {
        List<String> tables = new ArrayList<>();
        for (int v = 1; v <= version; v++) {
            tables.addAll(TABLES_ADDED.get(v - 1));
        }
        return tables;
    }

    private static final byte[] SQLITE_MAGIC = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);
    private static final int SQLITE_HEADER_SIZE = 100;

    private static final int SQLITE_BUSY = 5;
    private static final int SQLITE_CORRUPT = 11;
    private static final int SQLITE_NOTADB = 26;

    static {
        if (MIGRATIONS.size() != CURRENT_VERSION || TABLES_ADDED.size() != CURRENT_VERSION) {
            throw new AssertionError("one migration per schema version");
        }
    }

    /** What a file holds, read without writing to it. */
    private record FileState(int applicationId, int userVersion, List<String> tables) {

        boolean isBlank() {
            return applicationId == 0 && userVersion == 0 && tables.isEmpty();
        }
    }

    /**
     * Checks an existing file before anything may write to it, so a refused file stays as it was.
     * A missing or empty file passes: it becomes a new store.
     *
     * @throws SqliteFileException if the file cannot be used
     */
    static void inspect(Path file, SqliteOptions options) {
        if (!Files.exists(file)) {
            Path parent = file.getParent();
            if (parent == null || !Files.isDirectory(parent)) {
                throw new SqliteFileException(file, Problem.CANNOT_OPEN, "the directory " + parent + " does not exist");
            }
            return;
        }
        if (Files.isDirectory(file)) {
            throw new SqliteFileException(file, Problem.CANNOT_OPEN, "it is a directory");
        }
        byte[] header = new byte[SQLITE_HEADER_SIZE];
        int read;
        try (InputStream in = Files.newInputStream(file)) {
            read = in.readNBytes(header, 0, header.length);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            throw new SqliteFileException(file, Problem.CANNOT_OPEN, "cannot read it: " + e, e);
        }
        if (read == 0) {
            return;
        }
        if (read < SQLITE_MAGIC.length || !Arrays.equals(header, 0, SQLITE_MAGIC.length, SQLITE_MAGIC, 0, SQLITE_MAGIC.length)) {
            throw new SqliteFileException(file, Problem.NOT_SQLITE, "it is not a SQLite database (no SQLite header)");
        }
        if (read < SQLITE_HEADER_SIZE) {
            throw new SqliteFileException(file, Problem.CORRUPT, "its SQLite header is truncated (" + read + " bytes)");
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        config.setBusyTimeout((int) options.busyTimeout().toMillis());
        try (Connection connection = config.createConnection(url(file))) {
            FileState state = readStateAtOnce(connection);
            if (state.isBlank()) {
                return;
            }
            judge(file, state);
            if (state.userVersion() >= 1) {
                probeTables(connection, state.userVersion());
                if (options.integrityCheckOnOpen()) {
                    quickCheck(file, connection);
                }
            }
        } catch (SQLException e) {
            throw classify(file, e, "cannot read it");
        }
    }

    /**
     * Brings the file to the current schema inside one immediate transaction on the write
     * connection, checking again what {@link #inspect} checked, since another process may have
     * changed the file in between. A file already at the current version is only checked, without
     * the write lock. On failure the caller closes the connection, which ends any transaction.
     */
    static void migrate(Path file, Connection connection) {
        try (Statement statement = connection.createStatement()) {
            // A file at the current version needs no change, and so no write lock: it is judged in a
            // read transaction, which WAL never makes wait, so opening it neither waits for nor fails
            // on another process's write transaction.
            FileState current = readStateAtOnce(connection);
            if (current.userVersion() == CURRENT_VERSION) {
                judge(file, current);
                return;
            }
            statement.execute("BEGIN IMMEDIATE");
            boolean committed = false;
            try {
                FileState state = readState(connection);
                if (!state.isBlank()) {
                    judge(file, state);
                }
                if (state.userVersion() < CURRENT_VERSION) {
                    for (int version = state.userVersion(); version < CURRENT_VERSION; version++) {
                        for (String ddl : MIGRATIONS.get(version)) {
                            statement.execute(ddl);
                        }
                    }
                    statement.execute("PRAGMA application_id = " + APPLICATION_ID);
                    statement.execute("PRAGMA user_version = " + CURRENT_VERSION);
                }
                statement.execute("COMMIT");
                committed = true;
            } finally {
                if (!committed) {
                    try {
                        statement.execute("ROLLBACK");
                    } catch (SQLException ignored) {
                        // The original failure matters more; the connection is closed next.
                    }
                }
            }
        } catch (SQLException e) {
            throw classify(file, e, "cannot set up its schema");
        }
    }

    static String url(Path file) {
        return "jdbc:sqlite:" + file;
    }

    /**
     * {@link #readState} in one read transaction of its own. Read statement by statement, another
     * store's schema creation could commit between the reads, giving tables without the application
     * ID that the same commit sets: a file refused as not Estoria's.
     */
    private static FileState readStateAtOnce(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("BEGIN");
            FileState state;
            try {
                state = readState(connection);
            } catch (SQLException | RuntimeException e) {
                // SQLite may have ended the transaction itself (an I/O error): the ROLLBACK's own
                // failure must not hide the one that tells what is wrong with the file.
                try {
                    statement.execute("ROLLBACK");
                } catch (SQLException ended) {
                    e.addSuppressed(ended);
                }
                throw e;
            }
            statement.execute("COMMIT");
            return state;
        }
    }

    private static FileState readState(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            int applicationId = intPragma(statement, "application_id");
            int userVersion = intPragma(statement, "user_version");
            List<String> tables = new ArrayList<>();
            try (ResultSet rows = statement.executeQuery(
                    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")) {
                while (rows.next()) {
                    tables.add(rows.getString(1));
                }
            }
            return new FileState(applicationId, userVersion, tables);
        }
    }

    private static int intPragma(Statement statement, String pragma) throws SQLException {
        try (ResultSet rows = statement.executeQuery("PRAGMA " + pragma)) {
            if (!rows.next()) {
                throw new SQLException("PRAGMA " + pragma + " returned nothing");
            }
            return rows.getInt(1);
        }
    }

    private static void judge(Path file, FileState state) {
        if (state.applicationId() != APPLICATION_ID) {
            String tables = state.tables().isEmpty() ? "no tables" : "tables " + String.join(", ", state.tables());
            throw new SqliteFileException(file, Problem.NOT_ESTORIA, "it is a SQLite database that does not belong to "
                    + "Estoria (application_id " + hex(state.applicationId()) + ", expected " + hex(APPLICATION_ID)
                    + "; " + tables + ")");
        }
        if (state.userVersion() > CURRENT_VERSION) {
            throw new SqliteFileException(file, Problem.NEWER_SCHEMA, "it was written with schema version "
                    + state.userVersion() + ", newer than version " + CURRENT_VERSION
                    + ", the newest this version of Estoria knows; open it with a newer Estoria");
        }
        if (state.userVersion() < 0) {
            throw new SqliteFileException(file, Problem.CORRUPT, "its schema version is " + state.userVersion());
        }
        if (state.userVersion() >= 1 && !state.tables().containsAll(tablesOf(state.userVersion()))) {
            throw new SqliteFileException(file, Problem.CORRUPT, "its schema (version " + state.userVersion()
                    + ") is incomplete: expected tables " + tablesOf(state.userVersion()) + ", found " + state.tables());
        }
    }

    /** Touches the first and last pages of each table's b-tree, which finds a truncated file. */
    private static void probeTables(Connection connection, int version) throws SQLException {
        List<String> probes = new ArrayList<>(List.of(
                "SELECT min(position), max(position) FROM events",
                "SELECT min(stream_id), max(stream_id) FROM streams",
                "SELECT min(event_uuid), max(event_uuid) FROM events",
                "SELECT min(stream_id), max(stream_id) FROM events"));
        if (version >= 2) {
            probes.add("SELECT min(aggregate_type), max(aggregate_type) FROM estoria_snapshots");
            probes.add("SELECT min(rowid), max(rowid) FROM estoria_snapshots");
            probes.add("SELECT min(projection), max(projection) FROM estoria_checkpoints");
        }
        if (version >= 3) {
            probes.add("SELECT min(lease_group), max(lease_group) FROM estoria_leases");
            probes.add("SELECT min(lease_group), max(lease_group) FROM estoria_members");
        }
        try (Statement statement = connection.createStatement()) {
            for (String sql : probes) {
                try (ResultSet rows = statement.executeQuery(sql)) {
                    while (rows.next()) {
                        rows.getObject(1);
                    }
                }
            }
        }
    }

    private static void quickCheck(Path file, Connection connection) throws SQLException {
        List<String> problems = new ArrayList<>();
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("PRAGMA quick_check")) {
            while (rows.next()) {
                problems.add(rows.getString(1));
            }
        }
        if (!problems.equals(List.of("ok"))) {
            List<String> shown = problems.subList(0, Math.min(5, problems.size()));
            throw new SqliteFileException(file, Problem.CORRUPT, "its integrity check failed: " + String.join("; ", shown));
        }
    }

    /** Whether SQLite refused for a lock another connection holds (SQLITE_BUSY, any extended code). */
    static boolean isBusy(SQLException e) {
        return (e.getErrorCode() & 0xff) == SQLITE_BUSY;
    }

    /**
     * The exception for a failure while opening {@code file}: a {@link SqliteFileException} when the
     * file cannot be used, and a plain {@link EventStoreException} when another connection kept it
     * locked past the busy timeout, since the file itself is fine and opening it later succeeds.
     */
    static EventStoreException classify(Path file, SQLException e, String doing) {
        int primary = e.getErrorCode() & 0xff;
        if (primary == SQLITE_BUSY) {
            return new EventStoreException("cannot open " + file + " as an Estoria event store: " + doing
                    + ": another connection to it (another process, or another store on the file) kept it locked"
                    + " for longer than the busy timeout; nothing was written: " + e.getMessage(), e);
        }
        if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
            return new SqliteFileException(file, Problem.CORRUPT, "it is damaged: " + e.getMessage(), e);
        }
        return new SqliteFileException(file, Problem.CANNOT_OPEN, doing + ": " + e.getMessage(), e);
    }

    private static String hex(int value) {
        return String.format("0x%08X", value);
    }
}
