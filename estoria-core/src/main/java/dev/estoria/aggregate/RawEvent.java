package dev.estoria.aggregate;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * A stored event's type, payload, content type and metadata before decoding: what an {@link
 * Upcaster} reads and rewrites.
 *
 * @param type the stored event type
 * @param data the payload
 * @param contentType the payload's content type
 * @param metadata the event's metadata
 */
public record RawEvent(String type, byte[] data, String contentType, Map<String, String> metadata) {

    public RawEvent {
        Objects.requireNonNull(type, "type");
        data = Objects.requireNonNull(data, "data").clone();
        Objects.requireNonNull(contentType, "contentType");
        metadata = Map.copyOf(Objects.requireNonNull(metadata, "metadata"));
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    /** Returns a copy with another type and payload: the usual result of an upcaster. */
    public RawEvent with(String newType, byte[] newData) {
        return new RawEvent(newType, newData, contentType, metadata);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RawEvent r && type.equals(r.type) && Arrays.equals(data, r.data)
                && contentType.equals(r.contentType) && metadata.equals(r.metadata);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, Arrays.hashCode(data), contentType, metadata);
    }

    @Override
    public String toString() {
        return "RawEvent[type=" + type + ", data=" + data.length + " bytes, contentType=" + contentType + "]";
    }
}
