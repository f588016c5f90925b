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

    private final Path file;
    private final Clock clock;
    private final PreparedStatement streamVersion;
    private final PreparedStatement locate;
    private final PreparedStatement insertEvent;
    private final PreparedStatement upsertStream;
    private final PreparedStatement storedRun;
    private final PreparedStatement deleteEvents;
    private final PreparedStatement deleteStreamRow;

    WriteStatements(Path file, Connection connection, Clock clock) throws SQLException {
        this.file = file;
        this.clock = clock;
        streamVersion = connection.prepareStatement("SELECT version FROM streams WHERE stream_id = ?");
        locate = connection.prepareStatement("SELECT stream_id, version FROM events WHERE event_uuid = ?");
        insertEvent = connection.prepareStatement("INSERT INTO events (stream_id, stream_type, version, event_uuid, "
                + "event_type, recorded_us, data, content_type, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING position");
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
        List<Event> written = new ArrayList<>(pending.size());
        for (int i = 0; i < pending.size(); i++) {
            PendingEvent event = pending.get(i);
            long version = current + i + 1;
            insertEvent.setString(1, stream);
            insertEvent.setString(2, streamId.type());
            insertEvent.setLong(3, version);
            insertEvent.setBytes(4, Encoding.uuidBytes(event.uuid()));
            insertEvent.setString(5, event.type());
            insertEvent.setLong(6, micros);
            insertEvent.setBytes(7, event.data());
            insertEvent.setString(8, event.contentType());
            insertEvent.setBytes(9, event.encodedMetadata());
            long position;
            try (ResultSet rows = insertEvent.executeQuery()) {
                if (!rows.next()) {
                    throw new SQLException("INSERT ... RETURNING returned no position");
                }
                position = rows.getLong(1);
            }
            written.add(new Event(new TypeId(event.type(), event.uuid()), streamId, version, OptionalLong.of(position),
                    now, event.data(), event.contentType(), event.metadata()));
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
        for (PreparedStatement statement : List.of(streamVersion, locate, insertEvent, upsertStream, storedRun,
                deleteEvents, deleteStreamRow)) {
            statement.close();
        }
    }
}
