package dev.estoria.aggregate;

import dev.estoria.EstoriaException;
import dev.estoria.typeid.TypeId;

/**
 * A stored event could not be turned back into the aggregate: an unknown event type, a payload that
 * does not decode, or a gap in the versions. Names the stream and the version of the event.
 */
public class AggregateHydrationException extends EstoriaException {

    private final TypeId aggregateId;
    private final long eventVersion;

    public AggregateHydrationException(TypeId aggregateId, long eventVersion, String problem, Throwable cause) {
        super("cannot hydrate aggregate " + aggregateId + " at version " + eventVersion + ": " + problem, cause);
        this.aggregateId = aggregateId;
        this.eventVersion = eventVersion;
    }

    public TypeId aggregateId() {
        return aggregateId;
    }

    /** The version of the stored event that could not be applied. */
    public long eventVersion() {
        return eventVersion;
    }
}
