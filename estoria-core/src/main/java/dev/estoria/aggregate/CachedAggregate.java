package dev.estoria.aggregate;

import java.util.Objects;

/**
 * A cache entry: an aggregate's state at a stored version.
 *
 * @param state the state; shared with every load that hits the entry, so it must be immutable
 * @param version the stored version the state is at
 * @param <S> the state type
 */
public record CachedAggregate<S>(S state, long version) {

    public CachedAggregate {
        Objects.requireNonNull(state, "state");
    }
}
