package dev.estoria.snapshot;

import dev.estoria.typeid.TypeId;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * The encoded state of an aggregate at one version.
 *
 * @param aggregateId the aggregate
 * @param version the aggregate version the state is at; >= 1
 * @param timestamp when the snapshot was taken
 * @param data the encoded state, stored byte for byte
 * @param contentType the encoding's content type, verbatim; empty when none was declared
 */
public record Snapshot(TypeId aggregateId, long version, Instant timestamp, byte[] data, String contentType) {

    public Snapshot {
        Objects.requireNonNull(aggregateId, "aggregateId");
        Objects.requireNonNull(timestamp, "timestamp");
        data = Objects.requireNonNull(data, "data").clone();
        Objects.requireNonNull(contentType, "contentType");
        if (version < 1) {
            throw new IllegalArgumentException("snapshot version must be >= 1, was " + version);
        }
    }

    /** Returns a copy of the encoded state. */
    @Override
    public byte[] data() {
        return data.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Snapshot s && version == s.version && aggregateId.equals(s.aggregateId)
                && timestamp.equals(s.timestamp) && Arrays.equals(data, s.data) && contentType.equals(s.contentType);
    }

    @Override
    public int hashCode() {
        return Objects.hash(aggregateId, version, timestamp, Arrays.hashCode(data), contentType);
    }

    @Override
    public String toString() {
        return "Snapshot[" + aggregateId + " v" + version + ", " + data.length + " bytes, " + contentType + "]";
    }
}
