package dev.estoria.storetest.memory;

import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.storetest.StreamDeleterContract;

class InMemoryStreamDeleterTest extends StreamDeleterContract<InMemoryEventStore> {

    @Override
    protected InMemoryEventStore createStore() {
        return InMemoryEventStore.create();
    }
}
