package dev.estoria.sqlite;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.typeid.TypeId;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;

/** Turns rows of the {@code events} table back into {@link Event}s. */
final class EventRows {

    /** The columns {@link #read} expects, in this order. */
    static final String COLUMNS =
            "position, stream_id, version, event_uuid, event_type, recorded_us, data, content_type, metadata";

    private static final byte[] NO_BYTES = new byte[0];

    private final Path file;
    private final TypeId knownStream;
    private String lastStreamText;
    private TypeId lastStreamId;
    private byte[] lastMetadataBytes;
    private Map<String, String> lastMetadata;

    /** Rows of any streams. */
    EventRows(Path file) {
        this(file, null);
    }

    /** Rows of one stream, whose ID need not be read from each row; null for any streams. */
    EventRows(Path file, TypeId knownStream) {
        this.file = file;
        this.knownStream = knownStream;
    }

    /**
     * Reads the current row.
     *
     * @throws EventStoreException if the row holds something no append writes (a damaged file)
     */
    Event read(ResultSet row) throws SQLException {
        long position = row.getLong(1);
        try {
            TypeId streamId = knownStream != null ? knownStream : streamId(row.getString(2));
            long version = row.getLong(3);
            UUID uuid = Encoding.uuid(row.getBytes(4));
            TypeId id = new TypeId(row.getString(5), uuid);
            long micros = row.getLong(6);
            byte[] data = row.getBytes(7);
            String contentType = row.getString(8);
            Map<String, String> metadata = metadata(row.getBytes(9));
            return new Event(id, streamId, version, OptionalLong.of(position), Encoding.fromMicros(micros),
                    data == null ? NO_BYTES : data, contentType, metadata);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new EventStoreException("the event at position " + position + " in " + file
                    + " is damaged: " + e.getMessage(), e);
        }
    }

    /**
     * Decodes metadata, reusing the last map when the bytes repeat, as they do for events written by
     * one producer: decoding and copying maps was close to a third of the row decoding in a profile
     * of a catch-up read. The map is immutable, so events may share it.
     */
    private Map<String, String> metadata(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            return Map.of();
        }
        if (!Arrays.equals(bytes, lastMetadataBytes)) {
            lastMetadata = Map.copyOf(Encoding.decodeMetadata(bytes));
            lastMetadataBytes = bytes;
        }
        return lastMetadata;
    }

    /** Parses stream IDs, reusing the last one since reads usually see one stream many times in a row. */
    private TypeId streamId(String text) {
        if (!text.equals(lastStreamText)) {
            lastStreamId = TypeId.parse(text);
            lastStreamText = text;
        }
        return lastStreamId;
    }
}
