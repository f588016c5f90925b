package dev.estoria.eventstore;

import dev.estoria.EstoriaException;
import dev.estoria.typeid.TypeId;
import java.util.Objects;
import java.util.UUID;

/**
 * An append carried a caller-chosen event ID that cannot be accepted; nothing was written.
 *
 * <p>Thrown when the ID is already stored in another stream, when only part of the batch matches
 * events already stored (so the append is neither new nor a retry), or when the batch itself
 * repeats an ID. A retry of an append whose IDs are all stored, consecutively and in order, in the
 * same stream is not an error: see {@link StreamWriter#appendStream}.
 */
public class DuplicateEventIdException extends EstoriaException {

    private final TypeId streamId;
    private final UUID eventId;

    public DuplicateEventIdException(TypeId streamId, UUID eventId, String reason) {
        super("duplicate event ID " + eventId + " in append to " + streamId + ": " + reason);
        this.streamId = Objects.requireNonNull(streamId, "streamId");
        this.eventId = Objects.requireNonNull(eventId, "eventId");
    }

    /** The stream the refused append targeted. */
    public TypeId streamId() {
        return streamId;
    }

    /** The offending event UUID. */
    public UUID eventId() {
        return eventId;
    }
}
