package dev.estoria.eventstore;

import dev.estoria.typeid.TypeId;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * A stored event: an immutable fact read from, or just appended to, an event stream.
 *
 * <p>The {@linkplain #id() ID}'s type is the event type, so {@link #type()} and dispatch on stored
 * events need nothing else. {@link #streamVersion()} is 1-based and gapless within a stream. {@link
 * #globalPosition()} is present when the store keeps a global order ({@link GlobalReader}); it is
 * the same number in stream reads and global reads.
 *
 * <p>The value is deeply immutable: the payload is copied in and out ({@link #data()} returns a new
 * array on each call; {@link #dataBuffer()} gives a read-only view without copying), and the
 * metadata map is an unmodifiable copy. Equality compares every field, payload bytes included.
 *
 * @param id the event ID; its type is the event type
 * @param streamId the stream the event belongs to
 * @param streamVersion 1-based version of the event within its stream
 * @param globalPosition the position in the store's global order, if the store has one
 * @param timestamp when the store recorded the event, at the store's documented precision
 * @param data the payload, opaque bytes stored verbatim
 * @param contentType the payload's declared content type, verbatim; empty when none was declared
 * @param metadata string key/value pairs stored with the event
 */
public record Event(
        TypeId id,
        TypeId streamId,
        long streamVersion,
        OptionalLong globalPosition,
        Instant timestamp,
        byte[] data,
        String contentType,
        Map<String, String> metadata) {

    /**
     * @throws NullPointerException if any component, metadata key or metadata value is null
     * @throws IllegalArgumentException if the version is below 1 or the position is not positive
     */
    public Event {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(globalPosition, "globalPosition");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(metadata, "metadata");
        if (streamVersion < 1) {
            throw new IllegalArgumentException("streamVersion must be >= 1, was " + streamVersion);
        }
        if (globalPosition.isPresent() && globalPosition.getAsLong() < 1) {
            throw new IllegalArgumentException(
                    "globalPosition must be >= 1 when present, was " + globalPosition.getAsLong());
        }
        data = data.clone();
        metadata = MetadataMaps.copy(metadata);
    }

    /** The event type: the type half of {@link #id()}. */
    public String type() {
        return id.type();
    }

    /** Returns a copy of the payload. */
    @Override
    public byte[] data() {
        return data.clone();
    }

    /** Returns a read-only view of the payload, without copying. */
    public ByteBuffer dataBuffer() {
        return ByteBuffer.wrap(data).asReadOnlyBuffer();
    }

    /** The payload size in bytes. */
    public int dataLength() {
        return data.length;
    }

    /** Returns a copy of this event with another global position; for store implementations. */
    public Event withGlobalPosition(long position) {
        return new Event(id, streamId, streamVersion, OptionalLong.of(position), timestamp, data, contentType, metadata);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Event e
                && streamVersion == e.streamVersion
                && id.equals(e.id)
                && streamId.equals(e.streamId)
                && globalPosition.equals(e.globalPosition)
                && timestamp.equals(e.timestamp)
                && Arrays.equals(data, e.data)
                && contentType.equals(e.contentType)
                && metadata.equals(e.metadata);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, streamId, streamVersion, globalPosition, timestamp, Arrays.hashCode(data),
                contentType, metadata);
    }

    @Override
    public String toString() {
        return "Event[id=" + id + ", streamId=" + streamId + ", streamVersion=" + streamVersion
                + ", globalPosition=" + (globalPosition.isPresent() ? globalPosition.getAsLong() : "none")
                + ", timestamp=" + timestamp + ", data=" + data.length + " bytes, contentType=" + contentType
                + ", metadata=" + metadata + "]";
    }
}
