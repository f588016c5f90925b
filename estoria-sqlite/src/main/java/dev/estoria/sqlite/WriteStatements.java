package dev.estoria.sqlite;

import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.ExpectedVersion;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.StreamVersionMismatchException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.spi.EventLocation;
import dev.estoria.eventstore.spi.IdempotentAppends;
import dev.estoria.typeid.TypeId;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * The writes of the store, run only by the holder of the write connection, inside the write
 * transaction (in the savepoint of one work item when the transaction is shared).
 * The {@code streams} row of a stream is its existence authority and holds its tip; it is read and
 * changed in the same transaction as the events, so the expectation check and the write are atomic.
 */
final class WriteStatements implements AutoCloseable {

    /** An event ready to insert: validated and encoded on the appending thread. */
    record PendingEvent(String type, UUID uuid, byte[] data, String contentType, Map<String, String> metadata,
            byte[] encodedMetadata) {
    }

    /** The most events one INSERT statement carries (9 parameters each). */
    static final int ROWS_PER_INSERT = 32;

    private final Path file;
    private final Clock clock;
    private final Connection connection;
    private final PreparedStatement streamVersion;
    private final PreparedStatement locate;
    /** By row count: the INSERT of that many events, prepared on first use. */
    private final PreparedStatement[] insertEvents = new PreparedStatement[ROWS_PER_INSERT + 1];
    private final PreparedStatement upsertStream;
    private final PreparedStatement storedRun;
    private final PreparedStatement deleteEvents;
    private final PreparedStatement deleteStreamRow;

    WriteStatements(Path file, Connection connection, Clock clock) throws SQLException {
        this.file = file;
        this.clock = clock;
        this.connection = connection;
        streamVersion = connection.prepareStatement("SELECT version FROM streams WHERE stream_id = ?");
        locate = connection.prepareStatement("SELECT stream_id, version FROM events WHERE event_uuid = ?");
        // Run as a query: sqlite-jdbc follows every executeUpdate of an INSERT with a freshly prepared
        // SELECT last_insert_rowid(): a statement prepared for every append, which a profile of the
        // writer under load showed.
        upsertStream = connection.prepareStatement("INSERT INTO streams (stream_id, version) VALUES (?, ?) "
                + "ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version RETURNING version");
        storedRun = connection.prepareStatement("SELECT " + EventRows.COLUMNS
                + " FROM events WHERE stream_id = ? AND version >= ? ORDER BY version LIMIT ?");
        deleteEvents = connection.prepareStatement("DELETE FROM events WHERE stream_id = ? AND version <= ?");
        deleteStreamRow = connection.prepareStatement("DELETE FROM streams WHERE stream_id = ?");
    }

    /** Appends one validated batch; see {@link dev.estoria.eventstore.StreamWriter#appendStream}. */
    List<Event> append(TypeId streamId, List<WritableEvent> batch, List<PendingEvent> pending, ExpectedVersion expected)
            throws SQLException {
        String stream = streamId.toString();
        OptionalLong stored;
        try {
            stored = IdempotentAppends.classify(streamId, batch, this::locate);
        } catch (GroupCommitWriter.SqlFailure e) {
            throw e.getCause();
        }
        if (stored.isPresent()) {
            List<Event> run = storedRun(streamId, stored.getAsLong(), batch.size());
            IdempotentAppends.requireSameContent(streamId, batch, run);
            return run;
        }
        long current = tip(stream);
        if (!expected.isSatisfiedBy(current)) {
            throw new StreamVersionMismatchException(streamId, expected, current);
        }
        Instant now = Encoding.truncate(clock.instant());
        long micros = Encoding.toMicros(now);
        long[] positions = insertEvents(streamId, stream, current, micros, pending);
        List<Event> written = new ArrayList<>(pending.size());
        for (int i = 0; i < pending.size(); i++) {
            PendingEvent event = pending.get(i);
            written.add(new Event(new TypeId(event.type(), event.uuid()), streamId, current + i + 1,
                    OptionalLong.of(positions[i]), now, event.data(), event.contentType(), event.metadata()));
        }
        upsertStream.setString(1, stream);
        upsertStream.setLong(2, current + pending.size());
        try (ResultSet rows = upsertStream.executeQuery()) {
            if (!rows.next()) {
                throw new SQLException("INSERT ... RETURNING returned no version");
            }
        }
        return List.copyOf(written);
    }

    /**
     * Inserts the events as versions {@code current + 1} on, up to {@link #ROWS_PER_INSERT} a
     * statement, and returns their positions in version order. One statement per event cost more
     * than SQLite's own work for it (a profile of 10-event appends under load put two thirds of
     * the writer's time in executing and closing those statements).
     */
    private long[] insertEvents(TypeId streamId, String stream, long current, long micros, List<PendingEvent> pending)
            throws SQLException {
        long[] positions = new long[pending.size()];
        for (int from = 0; from < pending.size(); from += ROWS_PER_INSERT) {
            int rows = Math.min(ROWS_PER_INSERT, pending.size() - from);
            PreparedStatement insert = insertEvents(rows);
            int p = 1;
            for (int i = from; i < from + rows; i++) {
                PendingEvent event = pending.get(i);
                insert.setString(p++, stream);
                insert.setString(p++, streamId.type());
                insert.setLong(p++, current + i + 1);
                insert.setBytes(p++, Encoding.uuidBytes(event.uuid()));
                insert.setString(p++, event.type());
                insert.setLong(p++, micros);
                insert.setBytes(p++, event.data());
                insert.setString(p++, event.contentType());
                insert.setBytes(p++, event.encodedMetadata());
            }
            int returned = 0;
            try (ResultSet inserted = insert.executeQuery()) {
                // RETURNING gives no order, so each row says which version it is.
                while (inserted.next()) {
                    positions[(int) (inserted.getLong(1) - current - 1)] = inserted.getLong(2);
                    returned++;
                }
            }
            if (returned != rows) {
                throw new SQLException("INSERT ... RETURNING returned " + returned + " rows for " + rows + " events");
            }
        }
        return positions;
    }

    private PreparedStatement insertEvents(int rows) throws SQLException {
        PreparedStatement insert = insertEvents[rows];
        if (insert == null) {
            StringBuilder sql = new StringBuilder("INSERT INTO events (stream_id, stream_type, version, event_uuid,"
                    + " event_type, recorded_us, data, content_type, metadata) VALUES ");
            for (int i = 0; i < rows; i++) {
                sql.append(i == 0 ? "" : ", ").append("(?, ?, ?, ?, ?, ?, ?, ?, ?)");
            }
            insert = connection.prepareStatement(sql.append(" RETURNING version, position").toString());
            insertEvents[rows] = insert;
        }
        return insert;
    }

    /** Deletes or truncates a stream; see {@link dev.estoria.eventstore.StreamDeleter#deleteStream}. */
    Void delete(TypeId streamId, DeleteStreamOptions options) throws SQLException {
        String stream = streamId.toString();
        long tip = tip(stream);
        if (tip == 0) {
            throw new StreamNotFoundException(streamId);
        }
        long cut = options.isTruncation() ? Math.min(options.toVersion(), tip) : tip;
        deleteEvents.setString(1, stream);
        deleteEvents.setLong(2, cut);
        deleteEvents.executeUpdate();
        if (!options.isTruncation()) {
            // Without its row the stream is absent again, and its next append starts at version 1.
            deleteStreamRow.setString(1, stream);
            deleteStreamRow.executeUpdate();
        }
        return null;
    }

    /** The stream's tip, or 0 if the stream does not exist. */
    private long tip(String stream) throws SQLException {
        streamVersion.setString(1, stream);
        try (ResultSet rows = streamVersion.executeQuery()) {
            return rows.next() ? rows.getLong(1) : 0;
        }
    }

    private EventLocation locate(UUID uuid) {
        try {
            locate.setBytes(1, Encoding.uuidBytes(uuid));
            try (ResultSet rows = locate.executeQuery()) {
                if (!rows.next()) {
                    return null;
                }
                String stream = rows.getString(1);
                try {
                    return new EventLocation(TypeId.parse(stream), rows.getLong(2));
                } catch (IllegalArgumentException e) {
                    throw new EventStoreException("the event " + uuid + " in " + file
                            + " has a damaged stream ID: " + e.getMessage(), e);
                }
            }
        } catch (SQLException e) {
            throw new GroupCommitWriter.SqlFailure(e);
        }
    }

    private List<Event> storedRun(TypeId streamId, long firstVersion, int count) throws SQLException {
        storedRun.setString(1, streamId.toString());
        storedRun.setLong(2, firstVersion);
        storedRun.setLong(3, count);
        EventRows mapper = new EventRows(file, streamId);
        List<Event> events = new ArrayList<>(count);
        try (ResultSet rows = storedRun.executeQuery()) {
            while (rows.next()) {
                events.add(mapper.read(rows));
            }
        }
        if (events.size() != count) {
            throw new EventStoreException("the stored events of " + streamId + " from version " + firstVersion
                    + " in " + file + " are incomplete: expected " + count + ", found " + events.size());
        }
        return List.copyOf(events);
    }

    @Override
    public void close() throws SQLException {
        for (PreparedStatement statement : List.of(streamVersion, locate, upsertStream, storedRun, deleteEvents,
                deleteStreamRow)) {
            statement.close();
        }
        for (PreparedStatement insert : insertEvents) {
            if (insert != null) {
                insert.close();
            }
        }
    }
}
