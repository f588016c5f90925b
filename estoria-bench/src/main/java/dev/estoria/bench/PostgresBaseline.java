package dev.estoria.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.UUID;

/**
 * The PostgreSQL baselines over plain JDBC, one pooled connection per writer thread, one
 * transaction per append, in their own schema with the store's table shape.
 *
 * <ul>
 *   <li>{@link Design#UNPROTECTED}: the stream row is updated conditionally on the expected version
 *       (or inserted for a new stream), then the events are inserted with a {@code bigserial}
 *       position. Nothing protects the global order: a reader can see position 7 before 6 commits.
 *   <li>{@link Design#ALLOCATOR}: the original Go system's design. The transaction first takes the
 *       one allocator row ({@code UPDATE ... SET last_position = last_position + n RETURNING}),
 *       which it holds until commit, then updates the stream row, then inserts the events at the
 *       positions it reserved. Gapless and ordered, but every append in the database waits for the
 *       previous one's commit.
 * </ul>
 */
final class PostgresBaseline implements AppendSubject {

    /** Which transaction shape the baseline uses. */
    enum Design {
        UNPROTECTED, ALLOCATOR
    }

    private static final byte[] METADATA = "\u0006source\u0005bench".getBytes(StandardCharsets.UTF_8);

    private final Design design;
    private final String schema;
    private final HikariDataSource pool;
    private final Runnable cleanup;

    private PostgresBaseline(Design design, String schema, HikariDataSource pool, Runnable cleanup) {
        this.design = design;
        this.schema = schema;
        this.pool = pool;
        this.cleanup = cleanup;
    }

    /** Creates the schema and its tables, and a pool of {@code writers} connections. */
    static PostgresBaseline create(Design design, String url, String schema, int writers, Runnable cleanup)
            throws SQLException {
        try (Connection c = java.sql.DriverManager.getConnection(url); Statement s = c.createStatement()) {
            String q = '"' + schema + "\".";
            s.execute("CREATE SCHEMA \"" + schema + '"');
            s.execute("CREATE TABLE " + q + "streams (stream_type text NOT NULL, stream_uuid uuid NOT NULL,"
                    + " tip bigint NOT NULL CHECK (tip > 0), PRIMARY KEY (stream_type, stream_uuid))");
            s.execute("CREATE TABLE " + q + "events (position bigserial PRIMARY KEY, stream_type text NOT NULL,"
                    + " stream_uuid uuid NOT NULL, version bigint NOT NULL CHECK (version > 0),"
                    + " event_type text NOT NULL, event_uuid uuid NOT NULL, recorded_at timestamptz NOT NULL,"
                    + " data bytea NOT NULL, content_type text NOT NULL, metadata bytea NOT NULL,"
                    + " UNIQUE (stream_type, stream_uuid, version), UNIQUE (event_uuid))");
            s.execute("CREATE INDEX ON " + q + "events (stream_type, position)");
            s.execute("CREATE TABLE " + q + "allocator (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),"
                    + " last_position bigint NOT NULL)");
            s.execute("INSERT INTO " + q + "allocator (last_position) VALUES (0)");
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(writers);
        config.setMinimumIdle(0);
        config.setPoolName("bench-baseline-" + schema);
        config.setAutoCommit(false);
        return new PostgresBaseline(design, schema, new HikariDataSource(config), cleanup);
    }

    @Override
    public Writer writer(int index) throws SQLException {
        return new JdbcWriter(pool.getConnection(), '"' + schema + "\".", design);
    }

    @Override
    public void close() {
        try {
            pool.close();
        } finally {
            cleanup.run();
        }
    }

    private static final class JdbcWriter implements Writer {
        private final Connection connection;
        private final Design design;
        private final UUID stream = UUID.randomUUID();
        private final PreparedStatement reserve;
        private final PreparedStatement create;
        private final PreparedStatement advance;
        private final PreparedStatement insertSerial;
        private final PreparedStatement insertAt;

        JdbcWriter(Connection connection, String q, Design design) throws SQLException {
            this.connection = connection;
            this.design = design;
            reserve = connection.prepareStatement("UPDATE " + q + "allocator SET last_position = last_position + ?"
                    + " RETURNING last_position");
            create = connection.prepareStatement("INSERT INTO " + q + "streams (stream_type, stream_uuid, tip)"
                    + " VALUES (?, ?, ?)");
            advance = connection.prepareStatement("UPDATE " + q + "streams SET tip = ? WHERE stream_type = ?"
                    + " AND stream_uuid = ? AND tip = ?");
            String columns = "stream_type, stream_uuid, version, event_type, event_uuid, recorded_at, data,"
                    + " content_type, metadata";
            insertSerial = connection.prepareStatement("INSERT INTO " + q + "events (" + columns + ")"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
            insertAt = connection.prepareStatement("INSERT INTO " + q + "events (" + columns + ", position)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        }

        @Override
        public void append(long expectedVersion, int events) throws SQLException {
            try {
                long first = 0;
                if (design == Design.ALLOCATOR) {
                    reserve.setLong(1, events);
                    try (ResultSet rs = reserve.executeQuery()) {
                        rs.next();
                        first = rs.getLong(1) - events + 1;
                    }
                }
                long tip = expectedVersion + events;
                if (expectedVersion == 0) {
                    create.setString(1, Payloads.STREAM_TYPE);
                    create.setObject(2, stream);
                    create.setLong(3, tip);
                    create.executeUpdate();
                } else {
                    advance.setLong(1, tip);
                    advance.setString(2, Payloads.STREAM_TYPE);
                    advance.setObject(3, stream);
                    advance.setLong(4, expectedVersion);
                    if (advance.executeUpdate() != 1) {
                        throw new IllegalStateException("stream " + stream + " is not at version " + expectedVersion);
                    }
                }
                PreparedStatement insert = design == Design.ALLOCATOR ? insertAt : insertSerial;
                Timestamp now = new Timestamp(System.currentTimeMillis());
                for (int i = 0; i < events; i++) {
                    insert.setString(1, Payloads.STREAM_TYPE);
                    insert.setObject(2, stream);
                    insert.setLong(3, expectedVersion + i + 1);
                    insert.setString(4, Payloads.EVENT_TYPE);
                    insert.setObject(5, TypeId.timeOrderedV7()); // the store's own ID scheme
                    insert.setTimestamp(6, now);
                    insert.setBytes(7, Payloads.data());
                    insert.setString(8, Payloads.CONTENT_TYPE);
                    insert.setBytes(9, METADATA);
                    if (design == Design.ALLOCATOR) {
                        insert.setLong(10, first + i);
                    }
                    if (events == 1) {
                        insert.executeUpdate();
                    } else {
                        insert.addBatch();
                    }
                }
                if (events > 1) {
                    insert.executeBatch();
                }
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            }
        }

        @Override
        public void close() throws SQLException {
            connection.close();
        }
    }
}
