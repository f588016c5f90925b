package dev.estoria.eventstore;

import dev.estoria.typeid.TypeId;
import java.util.Objects;

/**
 * A stream and its current version (tip): the version of its last appended event, kept even when
 * truncation removed the events.
 *
 * @param streamId the stream
 * @param version the stream's tip; >= 1 for an existing stream
 */
public record StreamInfo(TypeId streamId, long version) {

    public StreamInfo {
        Objects.requireNonNull(streamId, "streamId");
    }
}
