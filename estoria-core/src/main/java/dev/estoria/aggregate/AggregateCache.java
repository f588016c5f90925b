package dev.estoria.aggregate;

import dev.estoria.typeid.TypeId;
import java.util.Optional;

/**
 * Where {@link CachedAggregateStore} keeps aggregate states, keyed by the full aggregate ID (type and
 * UUID), so one cache can serve several aggregate types. The Caffeine implementation lives in {@code
 * estoria-caffeine}.
 *
 * <p>Implementations are thread-safe. Failures may be thrown; the cached store logs them and goes on
 * without the cache.
 *
 * @param <S> the state type
 */
public interface AggregateCache<S> {

    /** The cached entry for {@code id}, if any. */
    Optional<CachedAggregate<S>> get(TypeId id);

    /**
     * Stores an entry unless the cache already holds one at a higher version, so a slow loader
     * never overwrites a newer entry.
     */
    void put(TypeId id, CachedAggregate<S> entry);

    /** Drops the entry for {@code id}. */
    void invalidate(TypeId id);
}
