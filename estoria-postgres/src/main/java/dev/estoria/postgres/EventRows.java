package dev.estoria.postgres;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.typeid.TypeId;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * Turns rows of {@link Sql#EVENT_COLUMNS} (or {@link Sql#STREAM_EVENT_COLUMNS} when the stream is
 * known) back into {@link Event}s. One instance serves one result set: it reuses the stream ID and
 * the decoded metadata while they repeat from row to row, as they do in a stream read and in a
 * global read of events written by one producer.
 */
final class EventRows {

    /** Fetches the payload and metadata a cursor's row left out ({@link Sql#cursorColumns}). */
    interface LargeValues {
        /** The payload and the stored metadata of the event at {@code position}. */
        byte[][] load(long position) throws SQLException;
    }

    private final TypeId knownStream;
    private final LargeValues large;
    private boolean lastLeftOut;
    private String lastStreamType;
    private UUID lastStreamUuid;
    private TypeId lastStream;
    private byte[] lastMetadataBytes;
    private Map<String, String> lastMetadata;

    /** Rows of one stream, whose ID is not read from each row; null for rows of any streams. */
    EventRows(TypeId knownStream) {
        this(knownStream, null);
    }

    /**
     * Rows of {@link Sql#cursorColumns}, whose payload and metadata {@code large} fetches when the
     * row left them out.
     */
    EventRows(TypeId knownStream, LargeValues large) {
        this.knownStream = knownStream;
        this.large = large;
    }

    /**
     * Reads the event at the current row.
     *
     * @throws EventStoreException if the row holds something no append writes (a row changed by
     *     hand, say), naming its position
     */
    Event read(ResultSet rs) throws SQLException {
        long position = rs.getLong(1);
        try {
            TypeId stream = knownStream != null ? knownStream : stream(rs.getString(2), rs.getObject(3, UUID.class));
            byte[] data = rs.getBytes(8);
            byte[] metadataBytes = rs.getBytes(10);
            lastLeftOut = large != null && (data == null || metadataBytes == null);
            if (lastLeftOut) {
                byte[][] values = large.load(position);
                data = values[0];
                metadataBytes = values[1];
            }
            return new Event(
                    new TypeId(rs.getString(5), rs.getObject(6, UUID.class)),
                    stream,
                    rs.getLong(4),
                    OptionalLong.of(position),
                    rs.getObject(7, OffsetDateTime.class).toInstant(),
                    data,
                    rs.getString(9),
                    metadata(metadataBytes));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new EventStoreException("the event at position " + position + " is damaged: " + e.getMessage(), e);
        }
    }

    /** Whether the row read last came without its payload and metadata, fetched on their own. */
    boolean lastLeftOut() {
        return lastLeftOut;
    }

    /** The bytes of the stored metadata of the row read last. */
    int lastMetadataLength() {
        return lastMetadataBytes == null ? 0 : lastMetadataBytes.length;
    }

    private TypeId stream(String type, UUID uuid) {
        if (!uuid.equals(lastStreamUuid) || !type.equals(lastStreamType)) {
            lastStream = new TypeId(type, uuid);
            lastStreamType = type;
            lastStreamUuid = uuid;
        }
        return lastStream;
    }

    /**
     * Decoding metadata and copying the map was a fifth of the row mapping in a profile of a
     * catch-up read; the map is immutable, so events may share it.
     */
    private Map<String, String> metadata(byte[] bytes) {
        if (!Arrays.equals(bytes, lastMetadataBytes)) {
            lastMetadata = Map.copyOf(MetadataCodec.decode(bytes));
            lastMetadataBytes = bytes;
        }
        return lastMetadata;
    }
}
