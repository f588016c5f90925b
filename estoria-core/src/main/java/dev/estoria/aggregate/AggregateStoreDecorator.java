package dev.estoria.aggregate;

import java.util.Objects;
import java.util.UUID;

/**
 * Base class for aggregate store decorators: forwards every operation to the inner store, so a
 * subclass overrides only what it adds to.
 *
 * @param <S> the state type
 * @param <E> the event supertype
 */
public abstract class AggregateStoreDecorator<S, E> implements AggregateStore<S, E> {

    /** The decorated store. */
    protected final AggregateStore<S, E> inner;

    protected AggregateStoreDecorator(AggregateStore<S, E> inner) {
        this.inner = Objects.requireNonNull(inner, "inner");
    }

    @Override
    public AggregateType<S, E> type() {
        return inner.type();
    }

    @Override
    public Aggregate<S, E> load(UUID id, long toVersion) {
        return inner.load(id, toVersion);
    }

    @Override
    public void hydrate(Aggregate<S, E> aggregate, long toVersion) {
        inner.hydrate(aggregate, toVersion);
    }

    @Override
    public boolean hydrateIfStreamHolds(Aggregate<S, E> aggregate, long toVersion,
            java.util.function.Predicate<dev.estoria.eventstore.Event> atVersion) {
        return inner.hydrateIfStreamHolds(aggregate, toVersion, atVersion);
    }

    @Override
    public boolean streamHoldsAt(UUID id, long version,
            java.util.function.Predicate<dev.estoria.eventstore.Event> atVersion) {
        return inner.streamHoldsAt(id, version, atVersion);
    }

    @Override
    public void save(Aggregate<S, E> aggregate) {
        inner.save(aggregate);
    }
}
