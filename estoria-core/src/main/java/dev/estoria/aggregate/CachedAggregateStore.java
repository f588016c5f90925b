package dev.estoria.aggregate;

import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Keeps recently used aggregates in an {@link AggregateCache} and never serves stale state.
 *
 * <ul>
 *   <li>A hit is brought up to date before it is returned: the events after the cached version are
 *       read and applied, so writes by other processes are seen.
 *   <li>Only saved state is cached: nothing with pending events, and the entry is dropped when a save
 *       fails (a version conflict means the cache trails the stream).
 *   <li>Versioned loads bypass the cache in both directions.
 *   <li>Cache failures are logged and never fail a load or a save.
 * </ul>
 *
 * <p>The state is shared between the cache and every aggregate loaded from it, so it must be
 * immutable (a record of immutable values).
 *
 * @param <S> the state type
 * @param <E> the event supertype
 */
public final class CachedAggregateStore<S, E> extends AggregateStoreDecorator<S, E> {

    private static final System.Logger LOG = System.getLogger(CachedAggregateStore.class.getName());

    private final AggregateCache<S> cache;

    public CachedAggregateStore(AggregateStore<S, E> inner, AggregateCache<S> cache) {
        super(inner);
        this.cache = Objects.requireNonNull(cache, "cache");
    }

    @Override
    public Aggregate<S, E> load(UUID id, long toVersion) {
        if (toVersion != 0) {
            return inner.load(id, toVersion);
        }
        var key = inner.type().streamId(id);
        Optional<CachedAggregate<S>> hit = Optional.empty();
        try {
            hit = cache.get(key);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cache read of " + key + " failed; loading from the store", e);
        }
        Aggregate<S, E> aggregate = null;
        if (hit.isPresent()) {
            CachedAggregate<S> entry = hit.get();
            Aggregate<S, E> restored = inner.type().restore(id, entry.state(), entry.version());
            boolean current;
            try {
                // One read both checks the entry still belongs to the stream (the event at its
                // version is the one it was cached after) and catches up with later writes.
                current = inner.hydrateIfStreamHolds(restored, 0,
                        event -> entry.lastEventId().map(event.id()::equals).orElse(true));
            } catch (AggregateNotFoundException e) {
                invalidate(key);
                throw e;
            }
            if (current) {
                if (restored.version() == entry.version()) {
                    return restored;
                }
                aggregate = restored;
            } else {
                invalidate(key); // the stream was deleted and written again
            }
        }
        if (aggregate == null) {
            aggregate = inner.load(id, 0);
        }
        put(aggregate);
        return aggregate;
    }

    @Override
    public void save(Aggregate<S, E> aggregate) {
        try {
            inner.save(aggregate);
        } catch (RuntimeException e) {
            invalidate(aggregate.id());
            throw e;
        }
        if (!aggregate.hasPendingEvents()) {
            put(aggregate);
        }
    }

    private void put(Aggregate<S, E> aggregate) {
        try {
            cache.put(aggregate.id(), new CachedAggregate<>(aggregate.state(), aggregate.storedVersion(),
                    aggregate.lastEventId()));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cache write of " + aggregate.id() + " failed", e);
        }
    }

    private void invalidate(dev.estoria.typeid.TypeId key) {
        try {
            cache.invalidate(key);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "cache invalidation of " + key + " failed", e);
        }
    }
}
