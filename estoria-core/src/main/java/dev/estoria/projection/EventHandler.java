package dev.estoria.projection;

import dev.estoria.eventstore.Event;

/**
 * Handles one event of a projection. Called in global order, one event at a time, at least once per
 * event: after a crash the events since the last checkpoint are handled again, so a handler is
 * idempotent or keeps its read model and checkpoint in one transaction.
 */
@FunctionalInterface
public interface EventHandler {

    /** Handles {@code event}; an exception stops the projection or is recorded, as configured. */
    void handle(Event event) throws Exception;
}
