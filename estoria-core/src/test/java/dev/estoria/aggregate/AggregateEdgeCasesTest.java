package dev.estoria.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.estoria.aggregate.Counter.CounterEvent;
import dev.estoria.aggregate.Counter.Incremented;
import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.EventStoreDecorator;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.snapshot.EventStreamSnapshotStore;
import dev.estoria.snapshot.InMemorySnapshotStore;
import dev.estoria.snapshot.SnapshotPolicy;
import dev.estoria.typeid.TypeId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Edge cases of the aggregate layer: load hooks under other decorators, refused records, retries of
 * saves left in doubt, codecs that break their contract, versioned loads of truncated streams.
 */
class AggregateEdgeCasesTest {

    private final InMemoryEventStore memory = InMemoryEventStore.create();
    private final EventSourcedAggregateStore<Counter, CounterEvent> base =
            new EventSourcedAggregateStore<>(memory, Counter.type());

    private UUID savedCounter(int increments) {
        Aggregate<Counter, CounterEvent> counter = base.create();
        for (int i = 0; i < increments; i++) {
            counter.record(new Incremented(1));
        }
        base.save(counter);
        return counter.id().uuid();
    }

    // Load hooks run on every load, also when an outer decorator loads through hydrateIfStreamHolds.

    @Test
    void loadHooksRunOnEveryLoadThroughASnapshottingStore() {
        List<String> calls = new ArrayList<>();
        var hooked = new HookableAggregateStore<>(base)
                .beforeLoad(id -> calls.add("beforeLoad"))
                .afterLoad(a -> calls.add("afterLoad v" + a.version()));
        var store = new SnapshottingAggregateStore<>(hooked, InMemorySnapshotStore.create(),
                SnapshotPolicy.everyNEvents(2), Counter.class);
        Aggregate<Counter, CounterEvent> counter = store.create();
        counter.record(new Incremented(1));
        store.save(counter); // no snapshot yet
        store.load(counter.id().uuid());
        assertThat(calls).as("load without a snapshot").containsExactly("beforeLoad", "afterLoad v1");

        Aggregate<Counter, CounterEvent> more = store.load(counter.id().uuid());
        more.record(new Incremented(1));
        store.save(more); // snapshot at 2
        calls.clear();
        store.load(counter.id().uuid());
        assertThat(calls).as("load from the snapshot at 2").containsExactly("beforeLoad", "afterLoad v2");
    }

    @Test
    void loadHooksRunOnEveryLoadThroughACachingStore() {
        List<String> calls = new ArrayList<>();
        var hooked = new HookableAggregateStore<>(base)
                .beforeLoad(id -> calls.add("beforeLoad"))
                .afterLoad(a -> calls.add("afterLoad v" + a.version()));
        var store = new CachedAggregateStore<>(hooked, new DecoratorsTest.MapCache());
        UUID id = savedCounter(3);
        store.load(id); // miss: loaded through the hooks, then cached
        calls.clear();
        store.load(id); // hit
        assertThat(calls).as("a cache hit is a load too").containsExactly("beforeLoad", "afterLoad v3");
    }

    @Test
    void aVetoingBeforeLoadHookIsNotBypassedByACacheHit() {
        AtomicInteger allowed = new AtomicInteger(1);
        var hooked = new HookableAggregateStore<>(base).beforeLoad(id -> {
            if (allowed.getAndDecrement() <= 0) {
                throw new SecurityException("not allowed to load " + id);
            }
        });
        var store = new CachedAggregateStore<>(hooked, new DecoratorsTest.MapCache());
        UUID id = savedCounter(1);
        store.load(id); // allowed once
        assertThatThrownBy(() -> store.load(id)).as("the hook refuses the second load")
                .isInstanceOf(SecurityException.class);
    }

    @Test
    void aggregateTypesCannotTakeTheNamesOfEstoriasOwnStreams() {
        String snapshotStreams = EventStreamSnapshotStore.snapshotStreamId(TypeId.newV4("counter")).type();
        for (String name : List.of(snapshotStreams, "estoria.anything")) {
            assertThatThrownBy(() -> AggregateType.builder(name, CounterEvent.class, id -> new Counter(0, "")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(name)
                    .hasMessageContaining("reserved");
        }
        assertThat(AggregateType.builder("estoria_counter", CounterEvent.class, id -> new Counter(0, ""))).isNotNull();
    }

    // A record refused for its metadata leaves the aggregate as it was.

    @Test
    void recordingWithANullMetadataValueLeavesTheAggregateUnchanged() {
        Aggregate<Counter, CounterEvent> counter = base.create();
        counter.record(new Incremented(1));
        Map<String, String> metadata = new HashMap<>();
        metadata.put("correlation_id", null); // e.g. a missing request header
        assertThatThrownBy(() -> counter.record(new Incremented(100), metadata))
                .isInstanceOfAny(NullPointerException.class, IllegalArgumentException.class);
        assertThat(counter.pendingEvents()).hasSize(1);
        assertThat(counter.version()).as("version counts only pending events").isEqualTo(1);
        assertThat(counter.state().value()).as("the refused event is not applied").isEqualTo(1);
    }

    @Test
    void aRefusedRecordDoesNotDesynchroniseLaterSaves() {
        Aggregate<Counter, CounterEvent> counter = base.create();
        Map<String, String> metadata = new HashMap<>();
        metadata.put("correlation_id", null);
        catchThrowable(() -> counter.record(new Incremented(100), metadata));
        counter.record(new Incremented(1));
        base.save(counter); // one event stored, at version 1
        assertThat(counter.storedVersion()).as("the stream is at version 1").isEqualTo(1);
        assertThat(counter.state()).isEqualTo(base.load(counter.id().uuid()).state());
        counter.record(new Incremented(1));
        base.save(counter); // fails with a version conflict when storedVersion is wrong
        assertThat(base.load(counter.id().uuid()).state().value()).isEqualTo(2);
    }

    // ConflictRetry does not retry a save a before-save hook refused with an EventStoreException.

    @Test
    void conflictRetryDoesNotRetryASaveThatDiscardedTheAggregate() {
        UUID id = savedCounter(1);
        var hooked = new HookableAggregateStore<>(base).beforeSave(a -> {
            throw new EventStoreException("the audit database timed out");
        });
        Throwable failure = catchThrowable(() -> ConflictRetry.execute(hooked, id,
                a -> {
                    a.record(new Incremented(1));
                    return null;
                }, new RetryPolicy(3, java.time.Duration.ZERO, java.time.Duration.ZERO)));
        assertThat(failure).as("the hook's failure, not 'discarded'")
                .isInstanceOf(EventStoreException.class).hasMessageContaining("audit database");
    }

    // A retry after an ambiguous failure sends the events as first sent, though the before-save hooks ran again.

    /** Throws an ambiguous failure after the first append was committed. */
    private EventStore timingOutOnce() {
        java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean(true);
        return new EventStoreDecorator(memory) {
            @Override
            public List<Event> appendStream(TypeId streamId, List<WritableEvent> batch, AppendStreamOptions options) {
                List<Event> written = super.appendStream(streamId, batch, options);
                if (armed.getAndSet(false)) {
                    throw new EventStoreException("timeout after the commit");
                }
                return written;
            }
        }.asEventStore();
    }

    @Test
    void retryingASaveAfterATimeoutThroughHooksSucceedsOnce() {
        UUID id = savedCounter(1);
        AtomicInteger saves = new AtomicInteger();
        var hooked = new HookableAggregateStore<>(new EventSourcedAggregateStore<>(timingOutOnce(), Counter.type()))
                .beforeSave(a -> a.mergeMetadata(Map.of("save_attempt", Integer.toString(saves.incrementAndGet()))));
        Aggregate<Counter, CounterEvent> counter = hooked.load(id);
        counter.record(new Incremented(10));
        assertThatThrownBy(() -> hooked.save(counter)).isInstanceOf(EventStoreException.class);
        assertThat(counter.isDiscarded()).isFalse();
        hooked.save(counter); // "retry the same save": documented as safe
        assertThat(counter.storedVersion()).isEqualTo(2);
        assertThat(base.load(id).state().value()).isEqualTo(11);
    }

    @Test
    void conflictRetryThroughHooksDoesNotReportAFailureForStoredEvents() {
        UUID id = savedCounter(1);
        AtomicInteger saves = new AtomicInteger();
        var hooked = new HookableAggregateStore<>(new EventSourcedAggregateStore<>(timingOutOnce(), Counter.type()))
                .beforeSave(a -> a.mergeMetadata(Map.of("save_attempt", Integer.toString(saves.incrementAndGet()))));
        Throwable failure = catchThrowable(() -> ConflictRetry.update(hooked, id, a -> a.record(new Incremented(10))));
        assertThat(base.load(id).state().value()).as("the deposit is stored").isEqualTo(11);
        assertThat(failure).as("so the update must not report a failure").isNull();
    }

    // A codec that returns null fails the load rather than make the event vanish as if its type were unknown.

    @Test
    void aCodecReturningNullFailsHydrationInsteadOfSkippingTheEvent() {
        UUID id = savedCounter(2);
        Counter.TextCodec text = new Counter.TextCodec();
        var nulling = new EventSourcedAggregateStore<>(memory, AggregateType.builder("counter", CounterEvent.class,
                Counter::initial).event(Incremented.class).event(Counter.Labelled.class)
                .codec(new dev.estoria.codec.Codec() {
                    @Override
                    public String contentType() {
                        return text.contentType();
                    }

                    @Override
                    public byte[] encode(Object value) {
                        return text.encode(value);
                    }

                    @Override
                    public <T> T decode(byte[] data, Class<T> type) {
                        return null; // a codec bug: the contract says fail loudly
                    }
                }).build());
        Throwable failure = catchThrowable(() -> {
            Aggregate<Counter, CounterEvent> loaded = nulling.load(id);
            throw new AssertionError("loaded " + loaded + " with state " + loaded.state()
                    + ": both stored events were silently skipped");
        });
        assertThat(failure).isInstanceOfSatisfying(AggregateHydrationException.class, e -> {
            assertThat(e.aggregateId().uuid()).isEqualTo(id);
            assertThat(e.eventVersion()).isEqualTo(1);
        });
    }

    // A versioned load below the first retained event says which events were truncated.

    @Test
    void aVersionedLoadBelowTheRetainedEventsDoesNotClaimTheStreamIsEmpty() {
        UUID id = savedCounter(5);
        memory.deleteStream(base.streamId(id), dev.estoria.eventstore.DeleteStreamOptions.truncateTo(3));
        Throwable full = catchThrowable(() -> base.load(id));
        Throwable versioned = catchThrowable(() -> base.load(id, 2));
        assertThat(full).isInstanceOf(AggregateHydrationException.class);
        assertThat(versioned).isInstanceOf(AggregateHydrationException.class)
                .as("events 4 and 5 are still stored").hasMessageNotContaining("every event was truncated away");
    }

    // Metadata merged into pending events is checked as record() checks it.

    @Test
    void mergingMetadataWithANullValueIsRefusedNamingTheAggregateAndLeavesItUnchanged() {
        Aggregate<Counter, CounterEvent> counter = base.create();
        counter.record(new Incremented(1), Map.of("source", "test"));
        Map<String, String> metadata = new HashMap<>();
        metadata.put("correlation_id", null); // e.g. a missing request header
        assertThatThrownBy(() -> counter.mergeMetadata(metadata))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(counter.id().toString())
                .hasMessageContaining("null");
        assertThatThrownBy(() -> counter.mergeMetadata(null))
                .isInstanceOf(NullPointerException.class).hasMessage("metadata");
        assertThat(counter.pendingEvents().get(0).metadata()).isEqualTo(Map.of("source", "test"));
        base.save(counter);
        assertThat(base.load(counter.id().uuid()).state().value()).isEqualTo(1);
    }

    // Upcasters are registered under valid stored type names only.

    @Test
    void upcastersAreRefusedForInvalidOrMissingStoredTypes() {
        assertThatThrownBy(() -> Counter.typeBuilder().upcaster(null, raw -> raw))
                .isInstanceOf(NullPointerException.class).hasMessage("storedType");
        for (String bad : List.of("", "_bumped", "bumped_")) {
            assertThatThrownBy(() -> Counter.typeBuilder().upcaster(bad, raw -> raw)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("upcaster");
        }
    }

    // Refused retry policies say which values were refused.

    @Test
    void retryPolicyRefusalsQuoteTheRefusedBackoffs() {
        assertThatThrownBy(() -> new RetryPolicy(3, java.time.Duration.ofMillis(-1), java.time.Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("initialBackoff")
                .hasMessageContaining("PT-0.001S");
        assertThatThrownBy(() -> new RetryPolicy(3, java.time.Duration.ofMillis(50), java.time.Duration.ofMillis(10)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxBackoff")
                .hasMessageContaining("PT0.01S").hasMessageContaining("PT0.05S");
    }
}
