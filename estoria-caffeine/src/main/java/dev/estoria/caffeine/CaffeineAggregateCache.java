package dev.estoria.caffeine;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.estoria.aggregate.AggregateCache;
import dev.estoria.aggregate.CachedAggregate;
import dev.estoria.typeid.TypeId;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * An {@link AggregateCache} in a Caffeine cache, bounded by size and optionally by age.
 *
 * <p>{@link #put} never replaces an entry with one at a lower version, so a slow loader cannot
 * overwrite what a faster writer cached. Keys are full aggregate IDs, so one cache may serve several
 * aggregate types of the same state type.
 *
 * @param <S> the state type; immutable, since entries are shared
 */
public final class CaffeineAggregateCache<S> implements AggregateCache<S> {

    private final Cache<TypeId, CachedAggregate<S>> cache;

    private CaffeineAggregateCache(Cache<TypeId, CachedAggregate<S>> cache) {
        this.cache = Objects.requireNonNull(cache, "cache");
    }

    /** A cache of at most {@code maximumSize} aggregates. */
    public static <S> CaffeineAggregateCache<S> ofMaximumSize(long maximumSize) {
        return new CaffeineAggregateCache<>(Caffeine.newBuilder().maximumSize(maximumSize).build());
    }

    /** A cache of at most {@code maximumSize} aggregates, each dropped {@code ttl} after it was written. */
    public static <S> CaffeineAggregateCache<S> ofMaximumSize(long maximumSize, Duration ttl) {
        return new CaffeineAggregateCache<>(Caffeine.newBuilder().maximumSize(maximumSize).expireAfterWrite(ttl).build());
    }

    /** A cache over a Caffeine cache you configured. */
    public static <S> CaffeineAggregateCache<S> of(Cache<TypeId, CachedAggregate<S>> cache) {
        return new CaffeineAggregateCache<>(cache);
    }

    @Override
    public Optional<CachedAggregate<S>> get(TypeId id) {
        return Optional.ofNullable(cache.getIfPresent(id));
    }

    @Override
    public void put(TypeId id, CachedAggregate<S> entry) {
        Objects.requireNonNull(entry, "entry");
        cache.asMap().merge(id, entry, (old, candidate) -> candidate.version() >= old.version() ? candidate : old);
    }

    @Override
    public void invalidate(TypeId id) {
        cache.invalidate(id);
    }

    /** The number of cached aggregates (approximate, as Caffeine's estimate). */
    public long estimatedSize() {
        return cache.estimatedSize();
    }
}
