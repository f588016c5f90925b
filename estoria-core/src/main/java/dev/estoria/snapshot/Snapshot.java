package dev.estoria.snapshot;

import dev.estoria.typeid.TypeId;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;

/**
 * The encoded state of an aggregate at one version.
 *
 * @param aggregateId the aggregate
 * @param version the aggregate version the state is at; >= 1
 * @param timestamp when the snapshot was taken
 * @param data the encoded state, stored byte for byte
 * @param contentType the encoding's content type, verbatim; empty when none was declared
 * @param eventId the UUID of the aggregate's event at {@code version}, the last one the state
 *     includes; null when the writer did not say (snapshots written before stores kept it). It
 *     tells this stream's snapshot from one of a deleted stream of the same ID: a stream written
 *     again holds another event at that version. Without it only the times can be compared, which
 *     clocks that disagree can mislead.
 */
public record Snapshot(TypeId aggregateId, long version, Instant timestamp, byte[] data, String contentType,
        UUID eventId) {

    public Snapshot {
        Objects.requireNonNull(aggregateId, "aggregateId");
        Objects.requireNonNull(timestamp, "timestamp");
        data = Objects.requireNonNull(data, "data").clone();
        Objects.requireNonNull(contentType, "contentType");
        if (version < 1) {
            throw new IllegalArgumentException("snapshot version must be >= 1, was " + version);
        }
    }

    /** A snapshot that does not say which event it was taken at ({@link #eventId()} null). */
    public Snapshot(TypeId aggregateId, long version, Instant timestamp, byte[] data, String contentType) {
        this(aggregateId, version, timestamp, data, contentType, null);
    }

    /** Returns a copy of the encoded state. */
    @Override
    public byte[] data() {
        return data.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Snapshot s && version == s.version && aggregateId.equals(s.aggregateId)
                && timestamp.equals(s.timestamp) && Arrays.equals(data, s.data) && contentType.equals(s.contentType)
                && Objects.equals(eventId, s.eventId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(aggregateId, version, timestamp, Arrays.hashCode(data), contentType, eventId);
    }

    @Override
    public String toString() {
        return "Snapshot[" + aggregateId + " v" + version + ", " + data.length + " bytes, " + contentType
                + (eventId == null ? "" : ", at event " + eventId) + "]";
    }
}
