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
 *       fails (a version conflict means the cache trails the stream). Nor is a state whose last
 *       stored event is unknown (loaded from a snapshot of a stream truncated to empty), since a hit
 *       checks the entry against that event.
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
            } catch (AggregateHydrationException e) {
                // The entry cannot be continued (the events after it were truncated away), but the
                // store underneath may still load the aggregate, from a newer snapshot say; if it
                // cannot either, its load says why.
                LOG.log(Level.DEBUG, "cached state of " + key + " at version " + entry.version()
                        + " cannot be brought up to date; loading from the store", e);
                current = false;
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
        put(aggregate);
    }

    private void put(Aggregate<S, E> aggregate) {
        if (aggregate.hasPendingEvents()) {
            // Unsaved events (left by a failed save, or recorded by an after-load hook) are in the
            // state but not in the stream: caching that state at the stored version would serve them
            // to every later load as if they were stored.
            return;
        }
        if (aggregate.lastEventId().isEmpty()) {
            // Nothing confirmed which event the state was built up to (a snapshot of a stream truncated
            // to empty): a hit could not tell this stream from one deleted and written again, so the
            // state is not cached.
            return;
        }
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
