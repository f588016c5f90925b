package dev.estoria.storetest.memory;

import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.snapshot.EventStreamSnapshotStore;
import dev.estoria.snapshot.InMemorySnapshotStore;
import dev.estoria.snapshot.RetentionPolicy;
import dev.estoria.storetest.SnapshotStoreContract;
import org.junit.jupiter.api.Nested;

/** The snapshot contract against every core snapshot store and retention. */
class SnapshotStoresTest {

    @Nested
    class InMemoryKeepAll extends SnapshotStoreContract<InMemorySnapshotStore> {
        @Override
        protected InMemorySnapshotStore createStore() {
            return InMemorySnapshotStore.create();
        }
    }

    @Nested
    class InMemoryKeepNewest extends SnapshotStoreContract<InMemorySnapshotStore> {
        @Override
        protected InMemorySnapshotStore createStore() {
            return InMemorySnapshotStore.withRetention(RetentionPolicy.keepLast(1));
        }
    }

    @Nested
    class EventStreamKeepAll extends SnapshotStoreContract<EventStreamSnapshotStore> {
        @Override
        protected EventStreamSnapshotStore createStore() {
            return EventStreamSnapshotStore.create(InMemoryEventStore.create());
        }
    }

    @Nested
    class EventStreamKeepTwo extends SnapshotStoreContract<EventStreamSnapshotStore> {
        @Override
        protected EventStreamSnapshotStore createStore() {
            return EventStreamSnapshotStore.keepLast(InMemoryEventStore.create(), 2);
        }
    }
}
