package dev.estoria.eventstore;

import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * An event to append: its type, payload, content type, metadata and, optionally, the UUID the
 * caller chose for it.
 *
 * <p>The store assigns the rest (ID, version, timestamp, position). The stored event's ID is
 * {@code TypeId(type, eventId)} when an {@linkplain #eventId() event ID} was chosen and a fresh
 * time-ordered one ({@linkplain TypeId#timeOrderedV7() UUIDv7}) otherwise. Choosing IDs makes appends idempotent: see {@link
 * StreamWriter#appendStream}.
 *
 * <p>The content type is stored verbatim; an empty one stays empty (storage never picks a default).
 * Metadata keys starting with {@value #RESERVED_METADATA_PREFIX} belong to Estoria and are refused
 * by stores unless {@link AppendStreamOptions#allowReservedMetadata()} is set.
 *
 * <p>Immutable: the payload and metadata are copied in and out, so changing the array or map
 * handed to a factory never changes the event.
 *
 * @param type the event type, a valid {@linkplain TypeId#validateTypeName type name}
 * @param data the payload
 * @param contentType the payload's MIME type, or empty
 * @param metadata string key/value pairs; no null keys or values
 * @param eventId the caller-chosen event UUID, if any
 */
public record WritableEvent(
        String type, byte[] data, String contentType, Map<String, String> metadata, Optional<UUID> eventId) {

    /** Metadata keys with this prefix are reserved for Estoria's own components. */
    public static final String RESERVED_METADATA_PREFIX = "estoria.";

    /**
     * @throws IllegalArgumentException if the type name is invalid
     * @throws NullPointerException if any component, metadata key or metadata value is null
     */
    public WritableEvent {
        try {
            TypeId.validateTypeName(type);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid event type: " + e.getMessage(), e);
        }
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(eventId, "eventId");
        data = data.clone();
        metadata = MetadataMaps.copy(metadata);
    }

    /** An event with the given type and payload, no content type, no metadata, no chosen ID. */
    public static WritableEvent of(String type, byte[] data) {
        return new WritableEvent(type, data, "", Map.of(), Optional.empty());
    }

    /** An event with a UTF-8 JSON payload and content type {@value #JSON}. */
    public static WritableEvent json(String type, String json) {
        return new WritableEvent(type, Objects.requireNonNull(json, "json").getBytes(StandardCharsets.UTF_8), JSON, Map.of(), Optional.empty());
    }

    /** The content type of JSON payloads. */
    public static final String JSON = "application/json";

    /** Returns a copy with the given content type. */
    public WritableEvent withContentType(String newContentType) {
        return new WritableEvent(type, data, newContentType, metadata, eventId);
    }

    /** Returns a copy with the given metadata, replacing any there was. */
    public WritableEvent withMetadata(Map<String, String> newMetadata) {
        return new WritableEvent(type, data, contentType, newMetadata, eventId);
    }

    /** Returns a copy with one more metadata entry (replacing the key's value if present). */
    public WritableEvent withMetadata(String key, String value) {
        Map<String, String> merged = new HashMap<>(metadata);
        merged.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return new WritableEvent(type, data, contentType, merged, eventId);
    }

    /** Returns a copy that carries the caller-chosen event UUID, for idempotent appends. */
    public WritableEvent withEventId(UUID id) {
        return new WritableEvent(type, data, contentType, metadata, Optional.of(Objects.requireNonNull(id, "id")));
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

    /** Whether any metadata key starts with {@value #RESERVED_METADATA_PREFIX}. */
    public boolean hasReservedMetadata() {
        for (String key : metadata.keySet()) {
            if (key.startsWith(RESERVED_METADATA_PREFIX)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WritableEvent w
                && type.equals(w.type)
                && Arrays.equals(data, w.data)
                && contentType.equals(w.contentType)
                && metadata.equals(w.metadata)
                && eventId.equals(w.eventId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, Arrays.hashCode(data), contentType, metadata, eventId);
    }

    @Override
    public String toString() {
        return "WritableEvent[type=" + type + ", data=" + data.length + " bytes, contentType=" + contentType
                + ", metadata=" + metadata + ", eventId=" + eventId.map(UUID::toString).orElse("none") + "]";
    }
}
