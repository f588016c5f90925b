package dev.estoria.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.aggregate.Counter.CounterEvent;
import dev.estoria.aggregate.Counter.Incremented;
import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.EventStoreDecorator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.snapshot.InMemorySnapshotStore;
import dev.estoria.snapshot.SnapshotPolicy;
import dev.estoria.typeid.TypeId;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A save whose thread stalls between its append and its snapshot, while the stream is deleted and
 * written again to the same version, must not leave a snapshot of the deleted stream that loads
 * then take for its successor's state.
 */
@Timeout(30)
class SnapshotRecreateRaceTest {

    /** Holds the return of one thread's append, as a descheduled thread would, until the test lets it go. */
    static final class GatedStore extends EventStoreDecorator {
        final CountDownLatch appended = new CountDownLatch(1);
        final CountDownLatch proceed = new CountDownLatch(1);
        volatile Thread gated;

        GatedStore(EventStore inner) {
            super(inner);
        }

        @Override
        public List<Event> appendStream(TypeId streamId, List<WritableEvent> events, AppendStreamOptions options) {
            List<Event> written = inner.appendStream(streamId, events, options);
            if (Thread.currentThread() == gated) {
                appended.countDown();
                try {
                    proceed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return written;
        }
    }

    @Test
    void snapshotOfADeletedStreamIsNotUsedForItsSuccessor() throws Exception {
        InMemoryEventStore events = InMemoryEventStore.create();
        EventSourcedAggregateStore<Counter, CounterEvent> base = new EventSourcedAggregateStore<>(events, Counter.type());
        GatedStore gate = new GatedStore(events);
        var snapshotting = new SnapshottingAggregateStore<>(
                new EventSourcedAggregateStore<>(gate.asEventStore(), Counter.type()), InMemorySnapshotStore.create(),
                SnapshotPolicy.everyNEvents(2), Counter.class);
        UUID id = UUID.randomUUID();

        // Writer A: saves the old stream to version 2 (value 200); its snapshot write is held.
        Thread writerA = new Thread(() -> {
            Aggregate<Counter, CounterEvent> old = snapshotting.create(id);
            old.record(new Incremented(100));
            old.record(new Incremented(100));
            snapshotting.save(old);
        });
        gate.gated = writerA;
        writerA.start();
        assertThat(gate.appended.await(10, TimeUnit.SECONDS)).isTrue();

        // Meanwhile the stream is deleted and written again to version 2 (value 2).
        events.deleteStream(base.streamId(id));
        Aggregate<Counter, CounterEvent> fresh = base.create(id);
        fresh.record(new Incremented(1));
        fresh.record(new Incremented(1));
        base.save(fresh);

        // Writer A's snapshot of the deleted stream lands now.
        gate.proceed.countDown();
        writerA.join();

        assertThat(base.load(id).state().value()).as("full replay").isEqualTo(2);
        assertThat(snapshotting.load(id).state().value()).as("load through snapshots").isEqualTo(2);
    }
}
