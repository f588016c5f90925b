package dev.estoria.eventstore.spi;

import dev.estoria.typeid.TypeId;
import java.util.Objects;

/**
 * Where a stored event lives: its stream and version.
 *
 * @param streamId the stream holding the event
 * @param streamVersion the event's version in that stream
 */
public record EventLocation(TypeId streamId, long streamVersion) {

    public EventLocation {
        Objects.requireNonNull(streamId, "streamId");
    }
}
