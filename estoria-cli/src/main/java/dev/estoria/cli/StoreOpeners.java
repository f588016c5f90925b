package dev.estoria.cli;

import dev.estoria.cli.format.Printable;
import dev.estoria.cli.store.CliStore;
import dev.estoria.cli.store.OpenMode;
import dev.estoria.cli.store.StoreMissingException;
import dev.estoria.cli.store.StoreOpener;
import dev.estoria.cli.store.StoreTarget;
import dev.estoria.cli.store.StoreUnavailableException;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.postgres.PostgresCheckpointStore;
import dev.estoria.postgres.PostgresEventStore;
import dev.estoria.postgres.PostgresOptions;
import dev.estoria.postgres.PostgresSnapshotStore;
import dev.estoria.sqlite.SqliteCheckpointStore;
import dev.estoria.sqlite.SqliteEventStore;
import dev.estoria.sqlite.SqliteFileException;
import dev.estoria.sqlite.SqliteSnapshotStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * The store openers of the real command: a {@code --db FILE} is a {@link SqliteEventStore}, a {@code
 * --postgres URL} a {@link PostgresEventStore} in the {@code --schema}.
 */
final class StoreOpeners {

    /** How long to wait for PostgreSQL to accept a connection, in seconds. */
    private static final int CONNECT_TIMEOUT_SECONDS = 10;

    private StoreOpeners() {}

    /** @param program how the user invoked the command (such as {@code ./estoria}), for hints */
    static StoreOpener standard(String program) {
        return (target, mode) -> switch (target) {
            case StoreTarget.File file -> openFile(file.path(), mode, program);
            case StoreTarget.Postgres postgres -> openPostgres(postgres, mode, program);
        };
    }

    private static String createHint(String program, String option) {
        return " (create one with '" + program + " demo' or '" + program + " append', or pass " + option + ")";
    }

    private static CliStore openFile(Path file, OpenMode mode, String program) {
        if (Files.isDirectory(file)) {
            throw new StoreUnavailableException(file + " is a directory, not a database file");
        }
        if (!Files.exists(file)) {
            if (mode == OpenMode.MUST_EXIST) {
                throw new StoreMissingException("no database at " + file
                        + createHint(program, "--db FILE"));
            }
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                throw new StoreUnavailableException("cannot create " + file + ": directory " + parent + " does not exist");
            }
        } else if (mode == OpenMode.MUST_EXIST && isBlankSqlite(file)) {
            // A SQLite database without a store: opening would write Estoria's schema into it.
            throw new StoreMissingException(file + " is a SQLite database without an Estoria store"
                    + createHint(program, "--db FILE"));
        } else if (mode == OpenMode.MUST_EXIST && isEmpty(file)) {
            // SQLite would take it for a new database, and opening would write the schema into it.
            throw new StoreMissingException(file + " is empty, not an Estoria database"
                    + createHint(program, "--db FILE"));
        }
        SqliteEventStore store;
        try {
            store = SqliteEventStore.open(file);
        } catch (SqliteFileException e) {
            // A file that is not an Estoria database is a wrong --db, not a failing store.
            switch (e.problem()) {
                case CANNOT_OPEN, NOT_SQLITE, NOT_ESTORIA -> throw new StoreUnavailableException(e.getMessage());
                default -> throw e;
            }
        }
        return CliStore.of(store, SqliteCheckpointStore.of(store), SqliteSnapshotStore.of(store), store::close);
    }

    /**
     * Whether {@code file} is a SQLite database that holds nothing at all (no application ID, no
     * tables), looked at through a read-only connection so that nothing is written.
     */
    private static boolean isBlankSqlite(Path file) {
        byte[] header = new byte[100];
        try (InputStream in = Files.newInputStream(file)) {
            if (in.readNBytes(header, 0, header.length) < header.length
                    || !new String(header, 0, 16, StandardCharsets.US_ASCII).equals("SQLite format 3\0")) {
                return false; // opening will say what it is
            }
        } catch (IOException e) {
            return false;
        }
        // The header's application ID (offset 68): set in an Estoria file, whose every read command
        // is spared a second connection. Zero may also mean it sits in the write-ahead log still.
        if (ByteBuffer.wrap(header, 68, 4).getInt() != 0) {
            return false;
        }
        Properties readOnly = new Properties();
        readOnly.setProperty("open_mode", "1"); // SQLITE_OPEN_READONLY
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file, readOnly);
                Statement s = c.createStatement();
                ResultSet id = s.executeQuery("PRAGMA application_id")) {
            if (!id.next() || id.getInt(1) != 0) {
                return false;
            }
            try (ResultSet objects = s.executeQuery("SELECT count(*) FROM sqlite_master")) {
                return objects.next() && objects.getLong(1) == 0;
            }
        } catch (SQLException e) {
            return false; // opening will say what is wrong with it
        }
    }

    private static boolean isEmpty(Path file) {
        try {
            return Files.size(file) == 0;
        } catch (IOException e) {
            return false; // opening will say what is wrong with it
        }
    }

    private static CliStore openPostgres(StoreTarget.Postgres target, OpenMode mode, String program) {
        // Opening the store creates its schema; a command that only reads must not, so it looks first.
        // Commands that write look too: a server that cannot be reached is then told at once, by its
        // address, instead of after the pool's timeout with the pool's own words.
        boolean holdsStore = holdsStore(target);
        if (mode == OpenMode.MUST_EXIST && !holdsStore) {
            throw new StoreMissingException("no Estoria store in " + target.describe()
                    + createHint(program, "--schema NAME"));
        }
        PostgresEventStore store = PostgresEventStore.open(target.jdbcUrl(),
                PostgresOptions.defaults().withSchema(target.schema()));
        CliStore.Watermark watermark = new CliStore.Watermark() {
            @Override
            public long committedHead() {
                return store.committedHeadPosition();
            }

            @Override
            public String heldBackBy() {
                // It quotes another session's query, as the server has it: shown escaped, like values
                // from the store, so that it cannot drive the terminal.
                return Printable.escapeControls(store.health().describe());
            }
        };
        return CliStore.of(store, PostgresCheckpointStore.of(store), PostgresSnapshotStore.of(store), store::close,
                watermark);
    }

    /**
     * Whether the target's schema holds an Estoria store (its {@code meta} table). Looked up in the
     * catalog, which every role may read: a role without privileges on the store is then told so
     * when the store opens, not that there is no store.
     */
    private static boolean holdsStore(StoreTarget.Postgres target) {
        Properties properties = new Properties();
        properties.setProperty("connectTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
        properties.setProperty("loginTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
        properties.setProperty("ApplicationName", "estoria-cli");
        try (Connection connection = DriverManager.getConnection(target.jdbcUrl(), properties);
                PreparedStatement query = connection.prepareStatement("SELECT 1 FROM pg_catalog.pg_class c"
                        + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE n.nspname = ? AND c.relname = 'meta' AND c.relkind IN ('r', 'p')")) {
            query.setString(1, target.schema());
            try (ResultSet rows = query.executeQuery()) {
                return rows.next();
            }
        } catch (SQLException e) {
            throw new EventStoreException("cannot connect to PostgreSQL at " + target.server() + ": " + e.getMessage(), e);
        }
    }
}
