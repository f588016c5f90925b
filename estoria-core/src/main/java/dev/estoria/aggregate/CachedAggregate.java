package dev.estoria.aggregate;

import dev.estoria.typeid.TypeId;
import java.util.Objects;
import java.util.Optional;

/**
 * A cache entry: an aggregate's state at a stored version.
 *
 * @param state the state; shared with every load that hits the entry, so it must be immutable
 * @param version the stored version the state is at
 * @param lastEventId the ID of the stored event at {@code version}, if known: a hit is used only if
 *     the stream still holds that event, so a stream deleted and written again is never mixed with
 *     the state of its predecessor
 * @param <S> the state type
 */
public record CachedAggregate<S>(S state, long version, Optional<TypeId> lastEventId) {

    public CachedAggregate {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(lastEventId, "lastEventId");
    }

    /** An entry without the last event's ID; it is checked against the stream's tip only. */
    public CachedAggregate(S state, long version) {
        this(state, version, Optional.empty());
    }
}
