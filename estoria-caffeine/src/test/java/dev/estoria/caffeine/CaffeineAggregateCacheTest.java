package dev.estoria.caffeine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.aggregate.CachedAggregate;
import dev.estoria.typeid.TypeId;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class CaffeineAggregateCacheTest {

    @Test
    void missPutHitAndInvalidate() {
        CaffeineAggregateCache<String> cache = CaffeineAggregateCache.ofMaximumSize(100);
        TypeId id = TypeId.newV4("account");
        assertThat(cache.get(id)).isEmpty();
        cache.put(id, new CachedAggregate<>("state", 42));
        assertThat(cache.get(id)).contains(new CachedAggregate<>("state", 42));
        cache.invalidate(id);
        assertThat(cache.get(id)).isEmpty();
    }

    @Test
    void neverReplacesANewerEntryWithAnOlderOne() {
        CaffeineAggregateCache<String> cache = CaffeineAggregateCache.ofMaximumSize(100);
        TypeId id = TypeId.newV4("account");
        cache.put(id, new CachedAggregate<>("v5", 5));
        cache.put(id, new CachedAggregate<>("v3", 3));
        assertThat(cache.get(id).orElseThrow().version()).isEqualTo(5);
        cache.put(id, new CachedAggregate<>("v6", 6));
        assertThat(cache.get(id).orElseThrow().state()).isEqualTo("v6");
    }

    @Test
    void keysAreFullTypedIds() {
        CaffeineAggregateCache<String> cache = CaffeineAggregateCache.ofMaximumSize(100);
        UUID uuid = UUID.randomUUID();
        cache.put(TypeId.of("account", uuid), new CachedAggregate<>("a", 1));
        assertThat(cache.get(TypeId.of("order", uuid))).isEmpty();
    }
}
