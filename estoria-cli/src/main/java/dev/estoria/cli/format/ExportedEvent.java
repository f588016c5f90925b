package dev.estoria.cli.format;

import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An event read back from an event line: everything needed to append it again as it was.
 *
 * @param id the event ID; its type is the event type and its UUID is reused, so appending the event
 *     twice stores it once
 * @param streamId the stream it belongs to
 * @param data the exact payload bytes
 * @param contentType the declared content type, possibly empty
 * @param metadata the metadata
 */
public record ExportedEvent(TypeId id, TypeId streamId, byte[] data, String contentType, Map<String, String> metadata) {

    public ExportedEvent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(streamId, "streamId");
        data = data.clone();
        Objects.requireNonNull(contentType, "contentType");
        metadata = Map.copyOf(metadata);
    }

    /** Returns a copy of the payload. */
    @Override
    public byte[] data() {
        return data.clone();
    }

    /** The payload size in bytes. */
    public int dataLength() {
        return data.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExportedEvent e
                && id.equals(e.id)
                && streamId.equals(e.streamId)
                && Arrays.equals(data, e.data)
                && contentType.equals(e.contentType)
                && metadata.equals(e.metadata);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, streamId, Arrays.hashCode(data), contentType, metadata);
    }

    @Override
    public String toString() {
        return "ExportedEvent[id=" + id + ", streamId=" + streamId + ", data=" + data.length + " bytes, contentType="
                + contentType + ", metadata=" + metadata + "]";
    }

    /** The event as an append input carrying its original UUID. */
    public WritableEvent toWritable() {
        return new WritableEvent(id.type(), data, contentType, metadata, Optional.of(id.uuid()));
    }
}
