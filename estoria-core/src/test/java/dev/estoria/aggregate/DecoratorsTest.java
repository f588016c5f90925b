package dev.estoria.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.aggregate.Counter.CounterEvent;
import dev.estoria.aggregate.Counter.Incremented;
import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.EventStoreDecorator;
import dev.estoria.eventstore.MultiStreamWriter;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamAppend;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamVersionMismatchException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.snapshot.EventStreamSnapshotStore;
import dev.estoria.snapshot.InMemorySnapshotStore;
import dev.estoria.snapshot.RetentionPolicy;
import dev.estoria.snapshot.Snapshot;
import dev.estoria.snapshot.SnapshotPolicy;
import dev.estoria.snapshot.SnapshotStore;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DecoratorsTest {

    /** Counts the events each stream read yields, to tell a snapshot load from a full replay. */
    static final class CountingStore extends EventStoreDecorator {
        final AtomicInteger eventsRead = new AtomicInteger();

        CountingStore(EventStore inner) {
            super(inner);
        }

        @Override
        public StreamIterator readStream(TypeId streamId, ReadStreamOptions options) {
            List<Event> events = inner.readStream(streamId, options).toList();
            if (streamId.type().equals("counter")) {
                eventsRead.addAndGet(events.size());
            }
            return StreamIterator.of(events);
        }
    }

    private final InMemoryEventStore memory = InMemoryEventStore.create();
    private final CountingStore counting = new CountingStore(memory);
    private final EventStore events = counting.asEventStore();
    private final EventSourcedAggregateStore<Counter, CounterEvent> base =
            new EventSourcedAggregateStore<>(events, Counter.type());

    private Aggregate<Counter, CounterEvent> saved(AggregateStore<Counter, CounterEvent> store, int increments) {
        Aggregate<Counter, CounterEvent> counter = store.create();
        for (int i = 0; i < increments; i++) {
            counter.record(new Incremented(1));
        }
        store.save(counter);
        return counter;
    }

    // ---------------------------------------------------------------- snapshots

    @Test
    void snapshotsAreTakenAtExactVersionsEvenWhenOneSaveCrossesSeveral() {
        InMemorySnapshotStore snapshots = InMemorySnapshotStore.create();
        var store = new SnapshottingAggregateStore<>(base, snapshots, SnapshotPolicy.everyNEvents(3), Counter.class);
        Aggregate<Counter, CounterEvent> counter = saved(store, 7);
        assertThat(snapshots.read(counter.id(), 5)).get().satisfies(s -> {
            assertThat(s.version()).isEqualTo(3);
            assertThat(new String(s.data(), StandardCharsets.UTF_8)).isEqualTo("counter:3:");
            assertThat(s.contentType()).isEqualTo(Counter.TextCodec.CONTENT_TYPE);
        });
        assertThat(snapshots.read(counter.id()).orElseThrow().version()).isEqualTo(6);
    }

    /** Snapshots every {@code n} events into a fresh in-memory snapshot store, over {@link #base}. */
    private SnapshottingAggregateStore<Counter, CounterEvent> snapshotting(int n) {
        return new SnapshottingAggregateStore<>(base, InMemorySnapshotStore.create(), SnapshotPolicy.everyNEvents(n),
                Counter.class);
    }

    @Test
    void loadsReadOnlyTheEventsAfterTheSnapshot() {
        var store = snapshotting(5);
        Aggregate<Counter, CounterEvent> counter = saved(store, 12);
        counting.eventsRead.set(0);
        Aggregate<Counter, CounterEvent> loaded = store.load(counter.id().uuid());
        assertThat(loaded.state().value()).isEqualTo(12);
        assertThat(loaded.version()).isEqualTo(12);
        assertThat(counting.eventsRead.get()).as("the event at the snapshot's version, then the 2 after it")
                .isEqualTo(3);

        counting.eventsRead.set(0);
        Aggregate<Counter, CounterEvent> atSeven = store.load(counter.id().uuid(), 7);
        assertThat(atSeven.state().value()).isEqualTo(7);
        assertThat(counting.eventsRead.get()).as("the event at 5, then the 2 after it").isEqualTo(3);
        assertThatThrownBy(() -> store.load(counter.id().uuid(), 13))
                .isInstanceOf(AggregateVersionNotReachedException.class);
    }

    @Test
    void aSnapshotAtTheTipLoadsWithoutReplay() {
        var store = snapshotting(4);
        Aggregate<Counter, CounterEvent> counter = saved(store, 8);
        counting.eventsRead.set(0);
        assertThat(store.load(counter.id().uuid()).state().value()).isEqualTo(8);
        assertThat(counting.eventsRead.get()).as("only the tip check's one event").isEqualTo(1);
    }

    @Test
    void unusableSnapshotsFallBackToFullReplay() {
        InMemorySnapshotStore snapshots = InMemorySnapshotStore.create();
        var store = new SnapshottingAggregateStore<>(base, snapshots, SnapshotPolicy.never(), Counter.class);
        Aggregate<Counter, CounterEvent> counter = saved(store, 4);
        TypeId id = counter.id();

        snapshots.write(new Snapshot(id, 2, Instant.now(), "counter:999:".getBytes(StandardCharsets.UTF_8),
                "application/json"));
        assertThat(store.load(id.uuid()).state().value()).as("content type mismatch: replay").isEqualTo(4);

        snapshots.write(new Snapshot(id, 3, Instant.now(), "garbage".getBytes(StandardCharsets.UTF_8),
                Counter.TextCodec.CONTENT_TYPE));
        assertThat(store.load(id.uuid()).state().value()).as("undecodable: replay").isEqualTo(4);

        snapshots.write(new Snapshot(id, 4, Instant.now(), "counter:40:".getBytes(StandardCharsets.UTF_8), ""));
        assertThat(store.load(id.uuid()).state().value()).as("an undeclared content type is decoded").isEqualTo(40);
    }

    @Test
    void aSnapshotPastTheTipOfARewrittenStreamIsIgnored() {
        InMemorySnapshotStore snapshots = InMemorySnapshotStore.create();
        var store = new SnapshottingAggregateStore<>(base, snapshots, SnapshotPolicy.everyNEvents(5), Counter.class);
        Aggregate<Counter, CounterEvent> counter = saved(store, 5);
        memory.deleteStream(counter.id());
        assertThatThrownBy(() -> store.load(counter.id().uuid())).isInstanceOf(AggregateNotFoundException.class);
        Aggregate<Counter, CounterEvent> again = Counter.type().newAggregate(counter.id().uuid());
        again.record(new Incremented(100));
        base.save(again);
        Aggregate<Counter, CounterEvent> loaded = store.load(counter.id().uuid());
        assertThat(loaded.version()).isEqualTo(1);
        assertThat(loaded.state().value()).isEqualTo(100);
    }

    @Test
    void aSnapshotOfADeletedStreamDoesNotHideTheSnapshotsOfItsSuccessor() {
        var store = snapshotting(2);
        Aggregate<Counter, CounterEvent> old = store.create();
        for (int i = 0; i < 4; i++) {
            old.record(new Incremented(100));
        }
        store.save(old); // snapshots at 2 and 4
        memory.deleteStream(old.id());
        Aggregate<Counter, CounterEvent> reborn = store.create(old.id().uuid());
        for (int i = 0; i < 3; i++) {
            reborn.record(new Incremented(1));
        }
        store.save(reborn); // its own snapshot at 2; the deleted stream's at 4 is still the newest
        // Housekeeping the README calls safe: the events the snapshot at 2 covers are dropped.
        memory.deleteStream(reborn.id(), DeleteStreamOptions.truncateTo(2));

        Aggregate<Counter, CounterEvent> loaded = store.load(reborn.id().uuid());
        assertThat(loaded.version()).isEqualTo(3);
        assertThat(loaded.state().value()).isEqualTo(3);
    }

    @Test
    void aSnapshotOfADeletedStreamTakenByAClockAheadIsNotTakenForItsSuccessorsState() {
        // The process that took the snapshot runs an hour ahead of the store's clock: by time, the
        // successor's event at the snapshot's version looks older than the snapshot, so only the
        // event ID the snapshot names can tell that the state is its predecessor's.
        InMemorySnapshotStore snapshots = InMemorySnapshotStore.create();
        var ahead = new SnapshottingAggregateStore<>(base, snapshots, SnapshotPolicy.everyNEvents(2), Counter.class,
                Counter.type().codec(), Clock.offset(Clock.systemUTC(), Duration.ofHours(1)));
        Aggregate<Counter, CounterEvent> old = ahead.create();
        old.record(new Incremented(100));
        old.record(new Incremented(100));
        ahead.save(old); // a snapshot at 2: value 200
        Snapshot taken = snapshots.read(old.id()).orElseThrow();
        assertThat(taken.eventId()).isEqualTo(old.lastEventId().orElseThrow().uuid());
        memory.deleteStream(old.id());
        Aggregate<Counter, CounterEvent> reborn = base.create(old.id().uuid());
        reborn.record(new Incremented(1));
        reborn.record(new Incremented(1));
        base.save(reborn); // by a process that takes no snapshots

        Aggregate<Counter, CounterEvent> loaded = ahead.load(old.id().uuid());
        assertThat(loaded.version()).isEqualTo(2);
        assertThat(loaded.state().value()).as("the new stream's state, not the deleted one's").isEqualTo(2);
    }

    @Test
    void aSuccessorsSnapshotNamingItsEventIsUsedThoughADeletedStreamsNewerOneWasStampedByAClockAhead() {
        // The deleted stream's snapshots were taken by a process an hour ahead: by time, every
        // snapshot the successor took since looks older than them. The successor's snapshot at 2
        // names the event the stream holds there, which settles whose it is.
        InMemorySnapshotStore snapshots = InMemorySnapshotStore.create();
        var ahead = new SnapshottingAggregateStore<>(base, snapshots, SnapshotPolicy.everyNEvents(2), Counter.class,
                Counter.type().codec(), Clock.offset(Clock.systemUTC(), Duration.ofHours(1)));
        var store = new SnapshottingAggregateStore<>(base, snapshots, SnapshotPolicy.everyNEvents(2), Counter.class);
        Aggregate<Counter, CounterEvent> old = ahead.create();
        for (int i = 0; i < 4; i++) {
            old.record(new Incremented(100));
        }
        ahead.save(old); // snapshots at 2 and 4
        memory.deleteStream(old.id());
        Aggregate<Counter, CounterEvent> reborn = store.create(old.id().uuid());
        for (int i = 0; i < 3; i++) {
            reborn.record(new Incremented(1));
        }
        store.save(reborn); // its own snapshot at 2; the deleted stream's at 4 is still the newest
        assertThat(snapshots.read(reborn.id(), 2).orElseThrow().eventId())
                .isEqualTo(store.load(reborn.id().uuid(), 2).lastEventId().orElseThrow().uuid());
        // Housekeeping that keeps the snapshot's own event: the events before it are dropped.
        memory.deleteStream(reborn.id(), DeleteStreamOptions.truncateTo(1));

        Aggregate<Counter, CounterEvent> loaded = store.load(reborn.id().uuid());
        assertThat(loaded.version()).isEqualTo(3);
        assertThat(loaded.state().value()).isEqualTo(3);
    }

    @Test
    void aSnapshotInAnEventStreamAtTheVersionOfADeletedStreamsSnapshotIsKept() {
        var store = new SnapshottingAggregateStore<>(base, EventStreamSnapshotStore.create(events),
                SnapshotPolicy.everyNEvents(2), Counter.class);
        Aggregate<Counter, CounterEvent> old = store.create();
        old.record(new Incremented(100));
        old.record(new Incremented(100));
        store.save(old); // a snapshot at 2: value 200
        memory.deleteStream(old.id());
        Aggregate<Counter, CounterEvent> reborn = store.create(old.id().uuid());
        for (int i = 0; i < 3; i++) {
            reborn.record(new Incremented(1));
        }
        store.save(reborn); // a snapshot at 2 again: value 2
        // Housekeeping the README calls safe: the events the snapshot at 2 covers are dropped.
        memory.deleteStream(reborn.id(), DeleteStreamOptions.truncateTo(2));

        Aggregate<Counter, CounterEvent> loaded = store.load(reborn.id().uuid());
        assertThat(loaded.version()).isEqualTo(3);
        assertThat(loaded.state().value()).as("the new stream's state, not the deleted one's 200 plus 1")
                .isEqualTo(3);
    }

    @Test
    void aSearchForAnOlderSnapshotNeverSettlesOnOneOfTheDeletedStream() {
        // This store ignores a snapshot at or below its newest, so the successor's at 2 is never kept.
        var store = new SnapshottingAggregateStore<>(base, EventStreamSnapshotStore.create(events),
                SnapshotPolicy.everyNEvents(2), Counter.class);
        Aggregate<Counter, CounterEvent> old = store.create();
        for (int i = 0; i < 4; i++) {
            old.record(new Incremented(100));
        }
        store.save(old); // snapshots at 2 and 4
        memory.deleteStream(old.id());
        Aggregate<Counter, CounterEvent> reborn = store.create(old.id().uuid());
        for (int i = 0; i < 3; i++) {
            reborn.record(new Incremented(1));
        }
        store.save(reborn);
        memory.deleteStream(reborn.id(), DeleteStreamOptions.truncateTo(2));

        // The snapshot at 4 predates the stream, so the one at 2, taken before it, does too, even though
        // its event is gone and cannot say so: the state at 3 cannot be rebuilt, and 201 would be a lie.
        assertThatThrownBy(() -> store.load(reborn.id().uuid())).isInstanceOf(AggregateHydrationException.class);
    }

    @Test
    void anUnusableNewestSnapshotFallsBackToAnOlderUsableOne() {
        InMemorySnapshotStore snapshots = InMemorySnapshotStore.create();
        var store = new SnapshottingAggregateStore<>(base, snapshots, SnapshotPolicy.everyNEvents(3), Counter.class);
        Aggregate<Counter, CounterEvent> counter = saved(store, 7); // snapshots at 3 and 6
        TypeId id = counter.id();
        // A newer deployment's snapshot (another encoding) that this one cannot use, as after a rollback.
        snapshots.write(new Snapshot(id, 6, Instant.now(), "{\"value\":6}".getBytes(StandardCharsets.UTF_8),
                "application/json"));

        counting.eventsRead.set(0);
        Aggregate<Counter, CounterEvent> loaded = store.load(id.uuid());
        assertThat(loaded.state().value()).isEqualTo(7);
        assertThat(counting.eventsRead.get()).as("the event at 3, then the 4 after it, not a full replay")
                .isEqualTo(5);

        // With the events the snapshot at 3 covers truncated away, only that snapshot can rebuild the state.
        memory.deleteStream(id, DeleteStreamOptions.truncateTo(3));
        assertThat(store.load(id.uuid()).state().value()).isEqualTo(7);
    }

    @Test
    void aFailingSnapshotStoreNeverFailsTheSave() {
        SnapshotStore broken = new SnapshotStore() {
            @Override
            public Optional<Snapshot> read(TypeId aggregateId, long maxVersion) {
                throw new IllegalStateException("down");
            }

            @Override
            public void write(Snapshot snapshot) {
                throw new IllegalStateException("down");
            }

            @Override
            public boolean delete(TypeId aggregateId) {
                throw new IllegalStateException("down");
            }
        };
        var store = new SnapshottingAggregateStore<>(base, broken, SnapshotPolicy.everyNEvents(1), Counter.class);
        Aggregate<Counter, CounterEvent> counter = saved(store, 3);
        assertThat(counter.storedVersion()).isEqualTo(3);
        assertThat(store.load(counter.id().uuid()).state().value()).isEqualTo(3);
    }

    @Test
    void snapshotsInAParallelEventStreamWork() {
        var snapshots = EventStreamSnapshotStore.keepLast(memory, 2);
        var store = new SnapshottingAggregateStore<>(base, snapshots, SnapshotPolicy.everyNEvents(2), Counter.class);
        Aggregate<Counter, CounterEvent> counter = saved(store, 9);
        assertThat(memory.readStream(EventStreamSnapshotStore.snapshotStreamId(counter.id())).toList())
                .hasSize(2).allSatisfy(e -> assertThat(e.streamId().type()).isEqualTo("estoria.snapshot.counter"));
        counting.eventsRead.set(0);
        assertThat(store.load(counter.id().uuid()).state().value()).isEqualTo(9);
        assertThat(counting.eventsRead.get()).as("the event at the snapshot's version, then the one after").isEqualTo(2);
    }

    @Test
    void aRepeatedSnapshotInAnEventStreamIsNotAppendedAgainNorPrunesAnOlderOne() {
        TypeId id = TypeId.newV4("counter");
        var snapshots = EventStreamSnapshotStore.keepLast(memory, 2);
        snapshots.write(new Snapshot(id, 1, Instant.EPOCH, "counter:1:".getBytes(StandardCharsets.UTF_8), ""));
        snapshots.write(new Snapshot(id, 2, Instant.EPOCH, "counter:2:".getBytes(StandardCharsets.UTF_8), ""));
        snapshots.write(new Snapshot(id, 2, Instant.EPOCH, "counter:2:".getBytes(StandardCharsets.UTF_8), ""));
        assertThat(memory.readStream(EventStreamSnapshotStore.snapshotStreamId(id)).toList())
                .extracting(e -> e.metadata().get(EventStreamSnapshotStore.VERSION_KEY))
                .as("one event per snapshot version").containsExactly("1", "2");
        assertThat(snapshots.read(id, 1).orElseThrow().version()).as("the older of the two kept").isEqualTo(1);
    }

    @Test
    void deletingAnAggregatesSnapshotsAfterItsStreamLeavesNothingOfItsState() {
        for (SnapshotStore snapshots : List.of(InMemorySnapshotStore.create(), EventStreamSnapshotStore.create(memory))) {
            var store = new SnapshottingAggregateStore<>(base, snapshots, SnapshotPolicy.everyNEvents(2), Counter.class);
            Aggregate<Counter, CounterEvent> counter = saved(store, 5);
            assertThat(snapshots.read(counter.id())).as("snapshotted").isPresent();

            memory.deleteStream(counter.id(), DeleteStreamOptions.wholeStream());
            assertThat(snapshots.delete(counter.id())).isTrue();
            assertThat(snapshots.read(counter.id())).isEmpty();
            assertThatThrownBy(() -> store.load(counter.id().uuid())).isInstanceOf(AggregateNotFoundException.class);
        }
    }

    @Test
    void snapshotsInAnEventStoreThatCannotDeleteCannotBeDeleted() {
        EventStore appendOnly = new EventStore() {
            @Override
            public List<Event> appendStream(TypeId streamId, List<WritableEvent> events, AppendStreamOptions options) {
                return memory.appendStream(streamId, events, options);
            }

            @Override
            public StreamIterator readStream(TypeId streamId, ReadStreamOptions options) {
                return memory.readStream(streamId, options);
            }
        };
        TypeId id = TypeId.newV4("counter");
        var snapshots = EventStreamSnapshotStore.create(appendOnly);
        snapshots.write(new Snapshot(id, 1, Instant.EPOCH, "counter:1:".getBytes(StandardCharsets.UTF_8), ""));
        assertThatThrownBy(() -> snapshots.delete(id)).isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining(id.toString()).hasMessageContaining("StreamDeleter");
        assertThat(snapshots.read(id)).isPresent();
    }

    // ---------------------------------------------------------------- cache

    static final class MapCache implements AggregateCache<Counter> {
        final Map<TypeId, CachedAggregate<Counter>> entries = new ConcurrentHashMap<>();
        final AtomicInteger gets = new AtomicInteger();
        boolean failing;

        @Override
        public Optional<CachedAggregate<Counter>> get(TypeId id) {
            gets.incrementAndGet();
            if (failing) {
                throw new IllegalStateException("cache down");
            }
            return Optional.ofNullable(entries.get(id));
        }

        @Override
        public void put(TypeId id, CachedAggregate<Counter> entry) {
            if (failing) {
                throw new IllegalStateException("cache down");
            }
            entries.merge(id, entry, (old, neu) -> neu.version() >= old.version() ? neu : old);
        }

        @Override
        public void invalidate(TypeId id) {
            entries.remove(id);
        }
    }

    @Test
    void cachedLoadsCatchUpWithWritesMadeElsewhere() {
        MapCache cache = new MapCache();
        var cached = new CachedAggregateStore<>(base, cache);
        Aggregate<Counter, CounterEvent> counter = saved(cached, 3);
        assertThat(cache.entries.get(counter.id()).state()).isEqualTo(new Counter(3, ""));
        assertThat(cache.entries.get(counter.id()).version()).isEqualTo(3);
        assertThat(cache.entries.get(counter.id()).lastEventId()).isPresent();

        Aggregate<Counter, CounterEvent> elsewhere = base.load(counter.id().uuid());
        elsewhere.record(new Incremented(10));
        base.save(elsewhere);

        counting.eventsRead.set(0);
        Aggregate<Counter, CounterEvent> loaded = cached.load(counter.id().uuid());
        assertThat(loaded.state().value()).isEqualTo(13);
        assertThat(loaded.version()).isEqualTo(4);
        assertThat(counting.eventsRead.get()).as("the cached version's event, then only the new one").isEqualTo(2);
        assertThat(cache.entries.get(counter.id()).version()).isEqualTo(4);
    }

    @Test
    void aConflictDropsTheEntryAndPendingStateIsNeverCached() {
        MapCache cache = new MapCache();
        var cached = new CachedAggregateStore<>(base, cache);
        Aggregate<Counter, CounterEvent> counter = saved(cached, 1);
        Aggregate<Counter, CounterEvent> stale = cached.load(counter.id().uuid());
        Aggregate<Counter, CounterEvent> other = base.load(counter.id().uuid());
        other.record(new Incremented(1));
        base.save(other);
        stale.record(new Incremented(5));
        assertThat(cache.entries.get(counter.id()).state().value()).isEqualTo(1);
        assertThatThrownBy(() -> cached.save(stale)).isInstanceOf(StreamVersionMismatchException.class);
        assertThat(cache.entries).doesNotContainKey(counter.id());
        assertThat(cached.load(counter.id().uuid()).state().value()).isEqualTo(2);
    }

    @Test
    void versionedLoadsBypassTheCacheAndCacheFailuresAreHarmless() {
        MapCache cache = new MapCache();
        var cached = new CachedAggregateStore<>(base, cache);
        Aggregate<Counter, CounterEvent> counter = saved(cached, 3);
        int gets = cache.gets.get();
        assertThat(cached.load(counter.id().uuid(), 2).state().value()).isEqualTo(2);
        assertThat(cache.gets.get()).isEqualTo(gets);
        assertThat(cache.entries.get(counter.id()).version()).isEqualTo(3);

        cache.failing = true;
        assertThat(cached.load(counter.id().uuid()).state().value()).isEqualTo(3);
        Aggregate<Counter, CounterEvent> more = cached.load(counter.id().uuid());
        more.record(new Incremented(1));
        cached.save(more);
        assertThat(base.load(counter.id().uuid()).version()).isEqualTo(4);
    }

    @Test
    void aCachedStateOfADeletedStreamIsNeverServed() {
        MapCache cache = new MapCache();
        var cached = new CachedAggregateStore<>(base, cache);
        Aggregate<Counter, CounterEvent> counter = saved(cached, 3);
        memory.deleteStream(counter.id());
        assertThatThrownBy(() -> cached.load(counter.id().uuid())).isInstanceOf(AggregateNotFoundException.class);

        saved(cached, 0 + 1); // unrelated aggregate keeps the cache busy
        Aggregate<Counter, CounterEvent> reborn = Counter.type().newAggregate(counter.id().uuid());
        reborn.record(new Incremented(7));
        cache.entries.put(counter.id(), new CachedAggregate<>(new Counter(3, ""), 3));
        base.save(reborn);
        assertThat(cached.load(counter.id().uuid()).state().value()).isEqualTo(7);
    }

    // ---------------------------------------------------------------- hooks and the events-appended signal

    @Test
    void hooksRunInOrderAndBeforeSaveCanAddMetadata() {
        List<String> calls = new ArrayList<>();
        var hooked = new HookableAggregateStore<>(base)
                .beforeLoad(id -> calls.add("beforeLoad " + id.type()))
                .afterLoad(a -> calls.add("afterLoad v" + a.version()))
                .beforeSave(a -> {
                    calls.add("beforeSave");
                    a.mergeMetadata(Map.of("correlation_id", "req-1"));
                })
                .afterSave(a -> calls.add("afterSave v" + a.storedVersion()));
        Aggregate<Counter, CounterEvent> counter = hooked.create();
        counter.record(new Incremented(1));
        hooked.save(counter);
        hooked.load(counter.id().uuid());
        assertThat(calls).containsExactly("beforeSave", "afterSave v1", "beforeLoad counter", "afterLoad v1");
        assertThat(memory.readStream(counter.id()).toList().get(0).metadata()).containsEntry("correlation_id", "req-1");

        calls.clear();
        assertThatThrownBy(() -> hooked.load(UUID.randomUUID())).isInstanceOf(AggregateNotFoundException.class);
        assertThat(calls).containsExactly("beforeLoad counter");
    }

    @Test
    void aFailingBeforeSaveHookWritesNothing() {
        var hooked = new HookableAggregateStore<>(base).beforeSave(a -> {
            throw new IllegalStateException("no");
        });
        Aggregate<Counter, CounterEvent> counter = hooked.create();
        counter.record(new Incremented(1));
        assertThatThrownBy(() -> hooked.save(counter)).hasMessage("no");
        assertThat(EventsAppendedException.isIn(new IllegalStateException("no"))).isFalse();
        assertThatThrownBy(() -> base.load(counter.id().uuid())).isInstanceOf(AggregateNotFoundException.class);
        assertThat(counter.isDiscarded()).as("a save refused by a hook discards the aggregate").isTrue();
        assertThatThrownBy(() -> base.save(counter)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("discarded");
        assertThatThrownBy(() -> base.load(counter.id().uuid())).isInstanceOf(AggregateNotFoundException.class);
    }

    @Test
    void afterSaveHooksRunOnlyWhenASaveAppendedEvents() {
        List<String> calls = new ArrayList<>();
        var hooked = new HookableAggregateStore<>(base)
                .beforeSave(a -> calls.add("beforeSave"))
                .afterSave(a -> calls.add("afterSave v" + a.storedVersion()));
        Aggregate<Counter, CounterEvent> counter = saved(hooked, 2);
        calls.clear();
        Aggregate<Counter, CounterEvent> unchanged = hooked.load(counter.id().uuid());
        hooked.save(unchanged);
        assertThat(calls).as("nothing was appended, so no after-save hook runs").doesNotContain("afterSave v2");
        assertThat(base.load(counter.id().uuid()).version()).isEqualTo(2);
    }

    @Test
    void anAfterSaveHookFailureSaysTheEventsWereAppendedThroughEveryDecorator() {
        var hooked = new HookableAggregateStore<>(base).afterSave(a -> {
            throw new IllegalStateException("mail server down");
        });
        var stack = new CachedAggregateStore<>(new SnapshottingAggregateStore<>(hooked, InMemorySnapshotStore.create(),
                SnapshotPolicy.everyNEvents(1), Counter.class), new MapCache());
        Aggregate<Counter, CounterEvent> counter = stack.create();
        counter.record(new Incremented(1));
        Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> stack.save(counter));
        assertThat(EventsAppendedException.isIn(failure)).isTrue();
        assertThat(failure).hasRootCauseMessage("mail server down");
        assertThat(base.load(counter.id().uuid()).version()).isEqualTo(1);
    }

    // ---------------------------------------------------------------- conflict retry

    @Test
    void conflictRetryRerunsTheCommandOnAFreshLoad() {
        Aggregate<Counter, CounterEvent> counter = saved(base, 1);
        AtomicInteger runs = new AtomicInteger();
        Long result = ConflictRetry.execute(base, counter.id().uuid(), aggregate -> {
            if (runs.incrementAndGet() == 1) {
                Aggregate<Counter, CounterEvent> sneaky = base.load(counter.id().uuid());
                sneaky.record(new Incremented(100));
                base.save(sneaky);
            }
            aggregate.record(new Incremented(1));
            return aggregate.state().value();
        }, RetryPolicy.attempts(3));
        assertThat(runs.get()).isEqualTo(2);
        assertThat(result).isEqualTo(102);
        assertThat(base.load(counter.id().uuid()).state().value()).isEqualTo(102);
    }

    @Test
    void conflictRetryGivesUpAfterItsAttempts() {
        Aggregate<Counter, CounterEvent> counter = saved(base, 1);
        AtomicInteger runs = new AtomicInteger();
        assertThatThrownBy(() -> ConflictRetry.execute(base, counter.id().uuid(), aggregate -> {
            runs.incrementAndGet();
            Aggregate<Counter, CounterEvent> sneaky = base.load(counter.id().uuid());
            sneaky.record(new Incremented(1));
            base.save(sneaky);
            aggregate.record(new Incremented(1));
            return null;
        }, RetryPolicy.attempts(3))).isInstanceOf(StreamVersionMismatchException.class);
        assertThat(runs.get()).isEqualTo(3);
        assertThatThrownBy(() -> RetryPolicy.attempts(0)).isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- event store decorator

    @Test
    void decoratedStoresKeepExactlyTheCapabilitiesTheyWrap() {
        assertThat(events).isInstanceOf(dev.estoria.eventstore.GlobalReader.class)
                .isInstanceOf(dev.estoria.eventstore.StreamDeleter.class)
                .isInstanceOf(dev.estoria.eventstore.StreamLister.class);
        EventStore minimal = new EventStore() {
            @Override
            public StreamIterator readStream(TypeId streamId, ReadStreamOptions options) {
                return memory.readStream(streamId, options);
            }

            @Override
            public List<Event> appendStream(TypeId streamId, List<WritableEvent> batch, AppendStreamOptions options) {
                return memory.appendStream(streamId, batch, options);
            }
        };
        EventStore decorated = new CountingStore(minimal).asEventStore();
        assertThat(decorated).isNotInstanceOf(dev.estoria.eventstore.GlobalReader.class)
                .isNotInstanceOf(dev.estoria.eventstore.StreamDeleter.class)
                .isNotInstanceOf(AutoCloseable.class);
        // A decorator object rather than its view claims every capability; the view still tells the truth.
        EventStore overObject = new CountingStore(new CountingStore(minimal)).asEventStore();
        assertThat(overObject).isNotInstanceOf(dev.estoria.eventstore.GlobalReader.class)
                .isNotInstanceOf(dev.estoria.eventstore.StreamDeleter.class)
                .isNotInstanceOf(AutoCloseable.class);
        assertThat(new CountingStore(new CountingStore(memory)).asEventStore())
                .isInstanceOf(dev.estoria.eventstore.GlobalReader.class);
        EventStore twice = new CountingStore(events).asEventStore();
        assertThat(twice).isInstanceOf(dev.estoria.eventstore.GlobalReader.class);
        assertThat(twice.toString()).contains("CountingStore");
        assertThat(twice).isEqualTo(twice).isNotEqualTo(events);
    }

    @Test
    void onlyADecoratorThatSeesEveryAppendKeepsMultiStreamAppends() {
        // Leaves appends alone (counts reads): keeps the capability, and its appends reach the store.
        EventStore counting = new CountingStore(memory).asEventStore();
        assertThat(counting).isInstanceOf(MultiStreamWriter.class);
        TypeId a = TypeId.newV4("counter");
        ((MultiStreamWriter) counting).appendStreams(List.of(StreamAppend.of(a, List.of(WritableEvent.json("x", "{}")))));
        assertThat(memory.readStream(a, ReadStreamOptions.defaults()).toList()).hasSize(1);

        // Decorates single appends only: multi-stream appends would pass it by, so it offers none.
        class Validating extends EventStoreDecorator {
            Validating(EventStore inner) {
                super(inner);
            }

            @Override
            public List<Event> appendStream(TypeId streamId, List<WritableEvent> batch, AppendStreamOptions options) {
                return inner.appendStream(streamId, batch, options);
            }
        }
        Validating validating = new Validating(memory);
        assertThat(validating.asEventStore()).isNotInstanceOf(MultiStreamWriter.class)
                .isInstanceOf(dev.estoria.eventstore.GlobalReader.class);
        assertThatThrownBy(() -> validating.appendStreams(List.of(StreamAppend.of(a, List.of(WritableEvent.json("x", "{}"))))))
                .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("appendStreams");
        assertThat(new CountingStore(validating).asEventStore()).as("over it, too")
                .isNotInstanceOf(MultiStreamWriter.class);
        assertThat(memory.readStream(a, ReadStreamOptions.defaults()).toList()).hasSize(1);

        // Decorates both: keeps it.
        EventStore both = new Validating(memory) {
            @Override
            public List<List<Event>> appendStreams(List<StreamAppend> appends) {
                return inner instanceof MultiStreamWriter m ? m.appendStreams(appends) : List.of();
            }
        }.asEventStore();
        assertThat(both).isInstanceOf(MultiStreamWriter.class);
    }

    @Test
    void retentionPoliciesOfTheMemorySnapshotStore() {
        InMemorySnapshotStore store = InMemorySnapshotStore.withRetention(RetentionPolicy.keepLast(2));
        TypeId id = TypeId.newV4("counter");
        for (int v = 1; v <= 5; v++) {
            store.write(new Snapshot(id, v, Instant.EPOCH, new byte[] {(byte) v}, ""));
        }
        assertThat(store.read(id, 3)).isEmpty();
        assertThat(store.read(id, 4).orElseThrow().version()).isEqualTo(4);
        InMemorySnapshotStore min = InMemorySnapshotStore.withRetention(RetentionPolicy.minVersion(3));
        for (int v = 1; v <= 5; v++) {
            min.write(new Snapshot(id, v, Instant.EPOCH, new byte[0], ""));
        }
        assertThat(min.read(id, 2)).isEmpty();
        assertThat(min.read(id, 3).orElseThrow().version()).isEqualTo(3);
        assertThat(RetentionPolicy.keepLast(2).and(RetentionPolicy.minVersion(5))
                .retain(new Snapshot(id, 4, Instant.EPOCH, new byte[0], ""), 4, 5)).isFalse();
        assertThatThrownBy(() -> SnapshotPolicy.everyNEvents(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anAmbiguousFailureKeepsTheAggregateSoTheSameSaveCanBeRetried() {
        java.util.concurrent.atomic.AtomicBoolean failOnce = new java.util.concurrent.atomic.AtomicBoolean(true);
        EventStore flaky = new EventStoreDecorator(memory) {
            @Override
            public List<Event> appendStream(TypeId streamId, List<WritableEvent> batch, AppendStreamOptions options) {
                List<Event> written = super.appendStream(streamId, batch, options);
                if (failOnce.getAndSet(false)) {
                    throw new dev.estoria.eventstore.EventStoreException("timeout after the commit");
                }
                return written;
            }
        }.asEventStore();
        var store = new EventSourcedAggregateStore<>(flaky, Counter.type());
        failOnce.set(false);
        Aggregate<Counter, CounterEvent> counter = saved(store, 1);
        Aggregate<Counter, CounterEvent> loaded = store.load(counter.id().uuid());
        loaded.record(new Incremented(10));
        failOnce.set(true);
        assertThatThrownBy(() -> store.save(loaded)).isInstanceOf(dev.estoria.eventstore.EventStoreException.class);
        assertThat(loaded.isDiscarded()).isFalse();
        store.save(loaded);
        assertThat(store.load(counter.id().uuid()).state().value()).as("applied once").isEqualTo(11);

        failOnce.set(true);
        ConflictRetry.update(store, counter.id().uuid(), a -> a.record(new Incremented(100)));
        assertThat(store.load(counter.id().uuid()).state().value()).as("retry did not rerun the command").isEqualTo(111);
    }

    @Test
    void aFailingApplyDuringHydrationIsAHydrationError() {
        Aggregate<Counter, CounterEvent> counter = saved(base, 1);
        var broken = new EventSourcedAggregateStore<>(events, Counter.typeBuilder()
                .evolve((state, event) -> {
                    throw new ArithmeticException("bug");
                }).build());
        assertThatThrownBy(() -> broken.load(counter.id().uuid())).isInstanceOf(AggregateHydrationException.class)
                .hasMessageContaining("must never fail").hasCauseInstanceOf(ArithmeticException.class);
    }

    @Test
    void aStreamDeletedAndWrittenAgainPastTheCachedVersionIsNotMixedWithTheOldState() {
        MapCache cache = new MapCache();
        var cached = new CachedAggregateStore<>(base, cache);
        Aggregate<Counter, CounterEvent> counter = cached.create();
        counter.record(new Incremented(100));
        counter.record(new Incremented(100));
        cached.save(counter);
        memory.deleteStream(counter.id());
        Aggregate<Counter, CounterEvent> reborn = Counter.type().newAggregate(counter.id().uuid());
        for (int i = 0; i < 3; i++) {
            reborn.record(new Incremented(1));
        }
        base.save(reborn);
        assertThat(cached.load(counter.id().uuid()).state().value()).isEqualTo(3);
    }

    @Test
    void aSnapshotOfAStreamThatWasDeletedAndWrittenAgainLongerIsIgnored() {
        InMemorySnapshotStore snapshots = InMemorySnapshotStore.create();
        var store = new SnapshottingAggregateStore<>(base, snapshots, SnapshotPolicy.everyNEvents(2), Counter.class);
        Aggregate<Counter, CounterEvent> counter = store.create();
        counter.record(new Incremented(100));
        counter.record(new Incremented(100));
        store.save(counter);
        memory.deleteStream(counter.id());
        Aggregate<Counter, CounterEvent> reborn = Counter.type().newAggregate(counter.id().uuid());
        for (int i = 0; i < 3; i++) {
            reborn.record(new Incremented(1));
        }
        base.save(reborn);
        assertThat(store.load(counter.id().uuid()).state().value()).isEqualTo(3);
    }

    @Test
    void aVersionedLoadFromASnapshotWhoseEventWasTruncatedStopsAtTheVersion() {
        var store = snapshotting(3);
        Aggregate<Counter, CounterEvent> counter = store.create();
        for (int i = 0; i < 8; i++) {
            counter.record(new Incremented(1));
        }
        store.save(counter); // snapshots at 3 and 6
        // Housekeeping: the events the snapshot at 3 covers are dropped, so a load from it finds 4 first.
        memory.deleteStream(counter.id(), DeleteStreamOptions.truncateTo(3));

        Aggregate<Counter, CounterEvent> at3 = store.load(counter.id().uuid(), 3);
        assertThat(at3.version()).isEqualTo(3);
        assertThat(at3.state().value()).isEqualTo(3);
        Aggregate<Counter, CounterEvent> at5 = store.load(counter.id().uuid(), 5);
        assertThat(at5.version()).isEqualTo(5);
        assertThat(at5.state().value()).isEqualTo(5);
        assertThat(store.load(counter.id().uuid()).version()).isEqualTo(8);
    }

    @Test
    void anAggregateCachedFromASnapshotIsNotMixedWithARewrittenStream() {
        var snapshotting = new SnapshottingAggregateStore<>(base, InMemorySnapshotStore.create(),
                SnapshotPolicy.everyNEvents(5), Counter.class);
        var cached = new CachedAggregateStore<>(snapshotting, new MapCache());
        Aggregate<Counter, CounterEvent> old = snapshotting.create();
        for (int i = 0; i < 5; i++) {
            old.record(new Incremented(1));
        }
        snapshotting.save(old); // snapshot at 5, the tip
        assertThat(cached.load(old.id().uuid()).state().value()).isEqualTo(5); // restored from it, and cached

        memory.deleteStream(old.id());
        Aggregate<Counter, CounterEvent> reborn = base.create(old.id().uuid());
        for (int i = 0; i < 6; i++) {
            reborn.record(new Incremented(10));
        }
        base.save(reborn);
        assertThat(cached.load(old.id().uuid()).state().value()).isEqualTo(60);
    }

    @Test
    void aStreamTruncatedToEmptyLoadsFromItsSnapshotOnlyIfItStoppedThere() {
        var store = snapshotting(5);
        Aggregate<Counter, CounterEvent> exact = store.create();
        Aggregate<Counter, CounterEvent> past = store.create();
        for (Aggregate<Counter, CounterEvent> counter : List.of(exact, past)) {
            for (int i = 0; i < (counter == exact ? 5 : 8); i++) {
                counter.record(new Incremented(1));
            }
            store.save(counter); // a snapshot at 5; the tips are 5 and 8
            memory.deleteStream(counter.id(), DeleteStreamOptions.truncateTo(counter == exact ? 5 : 8));
        }

        Aggregate<Counter, CounterEvent> loaded = store.load(exact.id().uuid());
        assertThat(loaded.version()).isEqualTo(5);
        assertThat(loaded.state().value()).isEqualTo(5);
        // Events 6 to 8 are gone: the state at 8 cannot be rebuilt, and version 5 would be stale.
        assertThatThrownBy(() -> store.load(past.id().uuid())).isInstanceOf(AggregateHydrationException.class)
                .hasMessageContaining(past.id().toString()).hasMessageContaining("at version 8");
    }

    @Test
    void aStreamTruncatedToEmptyWithoutASnapshotCannotBeLoaded() {
        InMemoryEventStore events = InMemoryEventStore.create();
        var store = new EventSourcedAggregateStore<>(events, Counter.type());
        Aggregate<Counter, CounterEvent> counter = store.create();
        counter.record(new Incremented(1));
        counter.record(new Incremented(1));
        store.save(counter);
        events.deleteStream(counter.id(), DeleteStreamOptions.truncateTo(2));

        for (long toVersion : new long[] {0, 2}) {
            assertThatThrownBy(() -> store.load(counter.id().uuid(), toVersion))
                    .isInstanceOf(AggregateHydrationException.class)
                    .hasMessageContaining(counter.id().toString())
                    .hasMessageContaining("every event was truncated away");
        }
    }
}
