package dev.estoria.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.aggregate.Counter.CounterEvent;
import dev.estoria.aggregate.Counter.Incremented;
import dev.estoria.aggregate.Counter.Labelled;
import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStoreDecorator;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.StreamVersionMismatchException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class EventSourcedAggregateStoreTest {

    private final InMemoryEventStore events = InMemoryEventStore.create();
    private final EventSourcedAggregateStore<Counter, CounterEvent> store =
            new EventSourcedAggregateStore<>(events, Counter.type());

    @Test
    void recordingAppliesAtOnceSoCommandsSeeTheirOwnChanges() {
        Aggregate<Counter, CounterEvent> counter = store.create();
        counter.record(new Incremented(2));
        assertThat(counter.state().value()).isEqualTo(2);
        counter.record(new Incremented(3));
        assertThat(counter.state().value()).isEqualTo(5);
        assertThat(counter.version()).isEqualTo(2);
        assertThat(counter.storedVersion()).isZero();
        assertThat(counter.pendingEvents()).extracting(PendingEvent::version).containsExactly(1L, 2L);
        assertThat(counter.pendingEvents()).extracting(p -> p.stateAfter().value()).containsExactly(2L, 5L);
    }

    @Test
    void saveAppendsWithTheStoredVersionAndLoadReplays() {
        Aggregate<Counter, CounterEvent> counter = store.create();
        counter.record(new Incremented(2));
        counter.record(new Labelled("visits"), Map.of("correlation_id", "c-1"));
        store.save(counter);
        assertThat(counter.storedVersion()).isEqualTo(2);
        assertThat(counter.hasPendingEvents()).isFalse();

        List<Event> stored = events.readStream(counter.id(), ReadStreamOptions.defaults()).toList();
        assertThat(stored).extracting(Event::type).containsExactly("incremented", "labelled");
        assertThat(stored.get(0).contentType()).isEqualTo(Counter.TextCodec.CONTENT_TYPE);
        assertThat(stored.get(1).metadata()).containsEntry("correlation_id", "c-1");
        assertThat(stored.get(0).id().type()).isEqualTo("incremented");

        Aggregate<Counter, CounterEvent> loaded = store.load(counter.id().uuid());
        assertThat(loaded.state()).isEqualTo(new Counter(2, "visits"));
        assertThat(loaded.version()).isEqualTo(2);
        loaded.record(new Incremented(1));
        store.save(loaded);
        assertThat(store.load(counter.id().uuid()).state().value()).isEqualTo(3);
    }

    @Test
    void savedEventsKeepTheUuidsChosenWhenRecorded() {
        Aggregate<Counter, CounterEvent> counter = store.create();
        counter.record(new Incremented(1));
        UUID chosen = counter.pendingEvents().get(0).eventId();
        store.save(counter);
        assertThat(events.readStream(counter.id()).toList().get(0).id().uuid()).isEqualTo(chosen);
    }

    @Test
    void savingAnUnchangedAggregateDoesNothingAndANewEmptyOneIsAnError() {
        assertThatThrownBy(() -> store.save(store.create()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no events");
        Aggregate<Counter, CounterEvent> counter = store.create();
        counter.record(new Incremented(1));
        store.save(counter);
        Aggregate<Counter, CounterEvent> loaded = store.load(counter.id().uuid());
        store.save(loaded);
        assertThat(events.readStream(counter.id()).toList()).hasSize(1);
    }

    @Test
    void loadingAMissingAggregateIsNotFound() {
        UUID id = UUID.randomUUID();
        assertThatThrownBy(() -> store.load(id))
                .isInstanceOfSatisfying(AggregateNotFoundException.class,
                        e -> assertThat(e.aggregateId()).isEqualTo(TypeId.of("counter", id)));
    }

    @Test
    void versionedLoadsStopAtTheVersionAndRefuseOnesNotReached() {
        Aggregate<Counter, CounterEvent> counter = store.create();
        for (int i = 1; i <= 5; i++) {
            counter.record(new Incremented(i));
        }
        store.save(counter);
        UUID id = counter.id().uuid();
        Aggregate<Counter, CounterEvent> atThree = store.load(id, 3);
        assertThat(atThree.version()).isEqualTo(3);
        assertThat(atThree.state().value()).isEqualTo(6);
        assertThat(store.load(id, 5).state().value()).isEqualTo(15);
        assertThatThrownBy(() -> store.load(id, 6))
                .isInstanceOfSatisfying(AggregateVersionNotReachedException.class, e -> {
                    assertThat(e.requestedVersion()).isEqualTo(6);
                    assertThat(e.latestVersion()).isEqualTo(5);
                    assertThat(e.getMessage()).contains(counter.id().toString());
                });
        assertThatThrownBy(() -> store.load(id, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aConflictingSaveFailsWithTheMismatchAndDiscardsTheAggregate() {
        Aggregate<Counter, CounterEvent> counter = store.create();
        counter.record(new Incremented(1));
        store.save(counter);
        Aggregate<Counter, CounterEvent> first = store.load(counter.id().uuid());
        Aggregate<Counter, CounterEvent> second = store.load(counter.id().uuid());
        first.record(new Incremented(10));
        second.record(new Incremented(100));
        store.save(first);
        assertThatThrownBy(() -> store.save(second))
                .isInstanceOfSatisfying(StreamVersionMismatchException.class,
                        e -> assertThat(e.actualVersion()).isEqualTo(2));
        assertThat(EventsAppendedException.isIn(new RuntimeException(new StreamVersionMismatchException(
                counter.id(), dev.estoria.eventstore.ExpectedVersion.exact(1), 2)))).isFalse();
        assertThat(second.isDiscarded()).isTrue();
        assertThatThrownBy(() -> second.record(new Incremented(1))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("load it again");
        assertThatThrownBy(() -> store.save(second)).isInstanceOf(IllegalStateException.class);
        assertThat(store.load(counter.id().uuid()).state().value()).isEqualTo(11);
    }

    @Test
    void reservedMetadataFailsTheSaveBeforeAnythingIsWritten() {
        Aggregate<Counter, CounterEvent> counter = store.create();
        counter.record(new Incremented(1), Map.of("estoria.internal", "x"));
        assertThatThrownBy(() -> store.save(counter)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("estoria.internal");
        assertThat(counter.isDiscarded()).isTrue();
        assertThatThrownBy(() -> events.readStream(counter.id()).close()).isInstanceOf(StreamNotFoundException.class);
    }

    @Test
    void unregisteredEventClassesCannotBeRecorded() {
        record Stray(int x) implements CounterEvent2 {
        }
        AggregateType<Counter, Object> loose = AggregateType.builder("counter", Object.class, Counter::initial)
                .event(Incremented.class).codec(new Counter.TextCodec()).build();
        Aggregate<Counter, Object> counter = loose.newAggregate(UUID.randomUUID());
        assertThatThrownBy(() -> counter.record(new Stray(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not registered");
    }

    interface CounterEvent2 {
    }

    @Test
    void anUnknownStoredTypeFailsHydrationNamingTypeAndStreamUnlessSkipped() {
        Aggregate<Counter, CounterEvent> counter = store.create();
        counter.record(new Incremented(4));
        store.save(counter);
        events.appendStream(counter.id(), List.of(WritableEvent.of("renamed", "x".getBytes(StandardCharsets.UTF_8))));
        assertThatThrownBy(() -> store.load(counter.id().uuid()))
                .isInstanceOfSatisfying(AggregateHydrationException.class, e -> {
                    assertThat(e.getMessage()).contains("'renamed'").contains(counter.id().toString());
                    assertThat(e.eventVersion()).isEqualTo(2);
                });
        var tolerant = new EventSourcedAggregateStore<>(events, Counter.typeBuilder().skipUnknownEventTypes().build());
        Aggregate<Counter, CounterEvent> loaded = tolerant.load(counter.id().uuid());
        assertThat(loaded.version()).isEqualTo(2);
        assertThat(loaded.state().value()).isEqualTo(4);
    }

    @Test
    void anUndecodablePayloadFailsHydrationWithTheCause() {
        TypeId id = TypeId.newV4("counter");
        events.appendStream(id, List.of(WritableEvent.of("incremented", "inc:lots".getBytes(StandardCharsets.UTF_8))));
        assertThatThrownBy(() -> store.load(id.uuid()))
                .isInstanceOf(AggregateHydrationException.class).hasMessageContaining("cannot decode")
                .hasCauseInstanceOf(dev.estoria.codec.CodecException.class);
    }

    @Test
    void upcastersTurnOldShapesIntoCurrentOnesOnRead() {
        TypeId id = TypeId.newV4("counter");
        events.appendStream(id, List.of(
                WritableEvent.of("bumped", "7".getBytes(StandardCharsets.UTF_8)),
                WritableEvent.of("incremented", "inc:1".getBytes(StandardCharsets.UTF_8))));
        var upcasting = new EventSourcedAggregateStore<>(events, Counter.typeBuilder()
                .upcaster("bumped", raw -> raw.with("incremented_v2",
                        ("inc:" + new String(raw.data(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8)))
                .upcaster("incremented_v2", raw -> raw.with("incremented", raw.data()))
                .build());
        assertThat(upcasting.load(id.uuid()).state().value()).isEqualTo(8);

        var cyclic = new EventSourcedAggregateStore<>(events, Counter.typeBuilder()
                .upcaster("bumped", raw -> raw.with("bumped", raw.data())).build());
        assertThatThrownBy(() -> cyclic.load(id.uuid())).isInstanceOf(AggregateHydrationException.class)
                .hasMessageContaining("cycle");
    }

    @Test
    void aGapInStoredVersionsFailsHydration() {
        Aggregate<Counter, CounterEvent> counter = store.create();
        counter.record(new Incremented(1));
        store.save(counter);
        Aggregate<Counter, CounterEvent> skipped = Counter.type().restore(counter.id().uuid(), new Counter(0, ""), 0);
        skipped.applyStored(new Incremented(1), 1, TypeId.newV4("incremented"));
        assertThatThrownBy(() -> skipped.applyStored(new Incremented(1), 3, TypeId.newV4("incremented")))
                .isInstanceOf(AggregateHydrationException.class).hasMessageContaining("expected version 2, got 3");
    }

    @Test
    void typeRegistrationRefusesBadNamesAndDuplicates() {
        assertThatThrownBy(() -> AggregateType.builder("_counter", CounterEvent.class, Counter::initial))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("aggregate type");
        assertThatThrownBy(() -> Counter.typeBuilder().event(Incremented.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already registered");
        assertThatThrownBy(() -> Counter.typeBuilder().event("other_", Incremented.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("event type");
        assertThatThrownBy(() -> AggregateType.builder("counter", CounterEvent.class, Counter::initial).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("codec");
        assertThat(AggregateType.builder("user_account", CounterEvent.class, Counter::initial)
                .event(Incremented.class).codec(new Counter.TextCodec()).build().name()).isEqualTo("user_account");
    }

    @Test
    void anEvolveFunctionReplacesDomainEventApply() {
        AggregateType<Counter, CounterEvent> doubled = Counter.typeBuilder()
                .evolve((state, event) -> event instanceof Incremented i
                        ? new Counter(state.value() + 2 * i.by(), state.label()) : state)
                .build();
        Aggregate<Counter, CounterEvent> counter = doubled.newAggregate(UUID.randomUUID());
        counter.record(new Incremented(5));
        assertThat(counter.state().value()).isEqualTo(10);
    }

    @Test
    void eventsAppendedIsReportedWhenTheStoreMiscounts() {
        var lying = new EventSourcedAggregateStore<>(new EventStoreDecorator(events) {
            @Override
            public List<Event> appendStream(TypeId streamId, List<WritableEvent> batch, AppendStreamOptions options) {
                return super.appendStream(streamId, batch, options).subList(0, 1);
            }
        }.asEventStore(), Counter.type());
        Aggregate<Counter, CounterEvent> counter = lying.create();
        counter.record(new Incremented(1));
        counter.record(new Incremented(1));
        assertThatThrownBy(() -> lying.save(counter)).isInstanceOf(EventsAppendedException.class)
                .hasMessageContaining("1 written events for 2 appended");
    }
}
