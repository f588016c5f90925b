package dev.estoria.storetest.memory;

import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.storetest.EventStoreContract;

class InMemoryEventStoreTest extends EventStoreContract<InMemoryEventStore> {

    @Override
    protected InMemoryEventStore createStore() {
        return InMemoryEventStore.create();
    }
}
