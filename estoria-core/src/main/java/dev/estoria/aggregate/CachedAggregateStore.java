package dev.estoria.aggregate;

import java.lang.System.Logger.Level;
import dev.estoria.eventstore.Event;
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
        Aggregate<S, E> aggregate;
        if (hit.isPresent() && stillTheSameStream(id, hit.get())) {
            aggregate = inner.type().restore(id, hit.get().state(), hit.get().version());
            try {
                inner.hydrate(aggregate, 0);
            } catch (AggregateNotFoundException e) {
                invalidate(key);
                throw e;
            }
            if (aggregate.version() == hit.get().version()) {
                return aggregate;
            }
        } else {
            if (hit.isPresent()) {
                invalidate(key);
            }
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

    /** Whether the stream still holds the event the entry was cached at: false after a rewrite. */
    private boolean stillTheSameStream(UUID id, CachedAggregate<S> entry) {
        Optional<Event> atVersion = inner.eventAt(id, entry.version());
        if (atVersion.isPresent() && entry.lastEventId().isPresent()) {
            return atVersion.get().id().equals(entry.lastEventId().get());
        }
        return atVersion.isPresent() || inner.reachesVersion(id, entry.version());
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
