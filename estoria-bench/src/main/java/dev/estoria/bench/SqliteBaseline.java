package dev.estoria.bench;

import dev.estoria.sqlite.SqliteOptions;
import dev.estoria.typeid.TypeId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.sqlite.SQLiteConfig;

/**
 * The SQLite baseline: one {@code BEGIN IMMEDIATE ... COMMIT} transaction per append over plain
 * JDBC, one connection per writer thread, with the store's driver and pragmas (WAL, {@code
 * synchronous=FULL}, the store's {@code wal_autocheckpoint}) and the same table shape. Each append
 * reads its stream's row, checks the expected version, inserts its events and updates the row, as
 * the store does, but without group commit: concurrent writers wait on SQLite's lock through its
 * busy timeout.
 */
final class SqliteBaseline implements AppendSubject {

    /** The tables of an Estoria SQLite file (schema version 1), so both sides write the same rows. */
    static final List<String> DDL = List.of(
            "CREATE TABLE streams (stream_id TEXT NOT NULL PRIMARY KEY, version INTEGER NOT NULL CHECK (version >= 1))"
                    + " WITHOUT ROWID",
            "CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT, stream_id TEXT NOT NULL,"
                    + " stream_type TEXT NOT NULL, version INTEGER NOT NULL CHECK (version >= 1),"
                    + " event_uuid BLOB NOT NULL CHECK (length(event_uuid) = 16), event_type TEXT NOT NULL,"
                    + " recorded_us INTEGER NOT NULL, data BLOB NOT NULL, content_type TEXT NOT NULL,"
                    + " metadata BLOB NOT NULL)",
            "CREATE UNIQUE INDEX events_by_stream ON events (stream_id, version)",
            "CREATE UNIQUE INDEX events_by_uuid ON events (event_uuid)",
            "CREATE INDEX events_by_stream_type ON events (stream_type, position)",
            "CREATE INDEX events_by_event_type ON events (event_type, position)");

    static final Duration BUSY_TIMEOUT = Duration.ofSeconds(120);

    private static final byte[] METADATA = "source\0bench".getBytes(StandardCharsets.UTF_8);

    private final Path file;

    private SqliteBaseline(Path file) {
        this.file = file;
    }

    /** Creates the file and its tables. */
    static SqliteBaseline create(Path file) throws SQLException {
        try (Connection c = connect(file); Statement s = c.createStatement()) {
            for (String ddl : DDL) {
                s.execute(ddl);
            }
        }
        return new SqliteBaseline(file);
    }

    /**
     * A connection with the store's pragmas, in auto-commit mode: writers issue {@code BEGIN
     * IMMEDIATE} and {@code COMMIT} themselves, because the driver's own transaction mode would begin
     * the next transaction (and so hold the write lock) as soon as one commits.
     */
    static Connection connect(Path file) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setBusyTimeout((int) BUSY_TIMEOUT.toMillis());
        // Otherwise the driver follows every INSERT with a SELECT last_insert_rowid(); the store's
        // statements do without it, and so must the baseline's.
        config.setGetGeneratedKeys(false);
        Connection connection = config.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
        try (Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA wal_autocheckpoint = " + SqliteOptions.DEFAULT_CHECKPOINT_PAGES);
        } catch (SQLException e) {
            connection.close();
            throw e;
        }
        return connection;
    }

    @Override
    public Writer writer(int index) throws SQLException {
        return new JdbcWriter(connect(file), "benchstream_" + UUID.randomUUID());
    }

    @Override
    public void close() {
    }

    private static final class JdbcWriter implements Writer {
        private final Connection connection;
        private final Statement control;
        private final String stream;
        private final PreparedStatement tip;
        private final PreparedStatement insert;
        private final PreparedStatement upsert;

        JdbcWriter(Connection connection, String stream) throws SQLException {
            this.connection = connection;
            this.stream = stream;
            control = connection.createStatement();
            tip = connection.prepareStatement("SELECT version FROM streams WHERE stream_id = ?");
            insert = connection.prepareStatement("INSERT INTO events (stream_id, stream_type, version, event_uuid,"
                    + " event_type, recorded_us, data, content_type, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
            upsert = connection.prepareStatement("INSERT INTO streams (stream_id, version) VALUES (?, ?)"
                    + " ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version");
        }

        @Override
        public void append(long expectedVersion, int events) throws SQLException {
            control.execute("BEGIN IMMEDIATE");
            try {
                tip.setString(1, stream);
                long current;
                try (ResultSet rows = tip.executeQuery()) {
                    current = rows.next() ? rows.getLong(1) : 0;
                }
                if (current != expectedVersion) {
                    throw new IllegalStateException("stream " + stream + " is at " + current + ", expected "
                            + expectedVersion);
                }
                long micros = System.currentTimeMillis() * 1000;
                for (int i = 0; i < events; i++) {
                    insert.setString(1, stream);
                    insert.setString(2, Payloads.STREAM_TYPE);
                    insert.setLong(3, current + i + 1);
                    insert.setBytes(4, uuidBytes(TypeId.timeOrderedV7())); // the store's own ID scheme
                    insert.setString(5, Payloads.EVENT_TYPE);
                    insert.setLong(6, micros);
                    insert.setBytes(7, Payloads.data());
                    insert.setString(8, Payloads.CONTENT_TYPE);
                    insert.setBytes(9, METADATA);
                    insert.executeUpdate();
                }
                upsert.setString(1, stream);
                upsert.setLong(2, current + events);
                upsert.executeUpdate();
                control.execute("COMMIT");
            } catch (SQLException | RuntimeException e) {
                control.execute("ROLLBACK");
                throw e;
            }
        }

        @Override
        public void close() throws SQLException {
            connection.close();
        }
    }

    static byte[] uuidBytes(UUID uuid) {
        return ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits())
                .array();
    }
}
