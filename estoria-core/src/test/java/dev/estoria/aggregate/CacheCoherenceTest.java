package dev.estoria.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.aggregate.Counter.CounterEvent;
import dev.estoria.aggregate.Counter.Incremented;
import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.snapshot.InMemorySnapshotStore;
import dev.estoria.snapshot.SnapshotPolicy;
import dev.estoria.typeid.TypeId;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class CacheCoherenceTest {

    /** A plain map cache that keeps the newer of two entries, like the Caffeine one. */
    static final class MapCache implements AggregateCache<Counter> {
        final Map<TypeId, CachedAggregate<Counter>> entries = new ConcurrentHashMap<>();

        @Override
        public Optional<CachedAggregate<Counter>> get(TypeId id) {
            return Optional.ofNullable(entries.get(id));
        }

        @Override
        public void put(TypeId id, CachedAggregate<Counter> entry) {
            entries.merge(id, entry, (old, neu) -> neu.version() >= old.version() ? neu : old);
        }

        @Override
        public void invalidate(TypeId id) {
            entries.remove(id);
        }
    }

    @Test
    void anEntryCachedFromASnapshotOfAStreamTruncatedToItsTipIsNotMixedWithARewrittenStream() {
        InMemoryEventStore events = InMemoryEventStore.create();
        var base = new EventSourcedAggregateStore<>(events, Counter.type());
        var snapshotting = new SnapshottingAggregateStore<>(base, InMemorySnapshotStore.create(),
                SnapshotPolicy.everyNEvents(5), Counter.class);
        Aggregate<Counter, CounterEvent> old = snapshotting.create();
        for (int i = 0; i < 5; i++) {
            old.record(new Incremented(1));
        }
        snapshotting.save(old); // a snapshot at 5, the tip
        // Housekeeping the README calls safe: drop the events the snapshot covers.
        events.deleteStream(old.id(), DeleteStreamOptions.truncateTo(5));

        MapCache cache = new MapCache(); // a cache that missed (evicted, restarted, another node)
        var cached = new CachedAggregateStore<>(snapshotting, cache);
        assertThat(cached.load(old.id().uuid()).state().value()).isEqualTo(5); // from the snapshot

        events.deleteStream(old.id());
        Aggregate<Counter, CounterEvent> reborn = base.create(old.id().uuid());
        for (int i = 0; i < 7; i++) {
            reborn.record(new Incremented(10));
        }
        base.save(reborn);
        assertThat(snapshotting.load(old.id().uuid()).state().value()).as("without the cache").isEqualTo(70);
        assertThat(cached.load(old.id().uuid()).state().value()).as("through the cache").isEqualTo(70);
    }

    @Test
    void anEventRecordedByAnAfterLoadHookIsNotCachedAsIfItWereStored() {
        InMemoryEventStore events = InMemoryEventStore.create();
        var base = new EventSourcedAggregateStore<>(events, Counter.type());
        // A lazy migration: an aggregate without a label gets one recorded when it is loaded.
        var hooked = new HookableAggregateStore<>(base).afterLoad(a -> {
            if (a.state().label().isEmpty()) {
                a.record(new Counter.Labelled("migrated"));
            }
        });
        MapCache cache = new MapCache();
        var cached = new CachedAggregateStore<>(hooked, cache);
        Aggregate<Counter, CounterEvent> counter = base.create();
        counter.record(new Incremented(1));
        base.save(counter);

        for (int load = 1; load <= 2; load++) {
            Aggregate<Counter, CounterEvent> loaded = cached.load(counter.id().uuid()); // a read: never saved
            assertThat(loaded.hasPendingEvents()).as("load %d still has the unsaved migration", load).isTrue();
            assertThat(cache.entries.values()).as("load %d", load)
                    .allSatisfy(entry -> assertThat(entry.state().label()).isEmpty());
        }
    }

    @Test
    void anEntryOlderThanASnapshotOfAStreamTruncatedToEmptyGivesWayToTheSnapshot() {
        InMemoryEventStore events = InMemoryEventStore.create();
        var base = new EventSourcedAggregateStore<>(events, Counter.type());
        var snapshotting = new SnapshottingAggregateStore<>(base, InMemorySnapshotStore.create(),
                SnapshotPolicy.everyNEvents(5), Counter.class);
        var cached = new CachedAggregateStore<>(snapshotting, new MapCache());
        Aggregate<Counter, CounterEvent> counter = cached.create();
        for (int i = 0; i < 3; i++) {
            counter.record(new Incremented(1));
        }
        cached.save(counter); // cached at 3
        Aggregate<Counter, CounterEvent> elsewhere = snapshotting.load(counter.id().uuid()); // another node
        elsewhere.record(new Incremented(1));
        elsewhere.record(new Incremented(1));
        snapshotting.save(elsewhere); // a snapshot at 5, the tip
        events.deleteStream(counter.id(), DeleteStreamOptions.truncateTo(5)); // safe: the snapshot holds it

        assertThat(snapshotting.load(counter.id().uuid()).state().value()).as("without the cache").isEqualTo(5);
        Aggregate<Counter, CounterEvent> loaded = cached.load(counter.id().uuid());
        assertThat(loaded.state().value()).as("through the cache").isEqualTo(5);
        assertThat(loaded.version()).isEqualTo(5);
    }
}
