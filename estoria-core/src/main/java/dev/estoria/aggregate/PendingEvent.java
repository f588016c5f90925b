package dev.estoria.aggregate;

import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * An event recorded on an aggregate and not yet saved.
 *
 * @param eventId the UUID the event will be stored under; chosen when recorded, so a retried save
 *     is idempotent
 * @param event the domain event
 * @param metadata metadata to store with it
 * @param version the aggregate version this event produces
 * @param stateAfter the state right after this event; snapshots taken at this version use it
 * @param <S> the state type
 * @param <E> the event supertype
 */
public record PendingEvent<S, E>(UUID eventId, E event, Map<String, String> metadata, long version, S stateAfter) {

    public PendingEvent {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(event, "event");
        metadata = Map.copyOf(Objects.requireNonNull(metadata, "metadata"));
    }
}
