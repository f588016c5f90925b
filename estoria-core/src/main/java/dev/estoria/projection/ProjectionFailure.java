package dev.estoria.projection;

import dev.estoria.typeid.TypeId;
import java.time.Instant;

/**
 * A handler failure the processor recorded and went past (with {@code continueOnError}), or the one
 * that stopped it.
 *
 * @param position the global position of the event
 * @param eventId the event's ID
 * @param streamId the event's stream
 * @param error the exception's class and message
 * @param at when it failed
 */
public record ProjectionFailure(long position, TypeId eventId, TypeId streamId, String error, Instant at) {
}
