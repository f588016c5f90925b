package dev.estoria.storetest.memory;

import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.storetest.AppendNotifierContract;

class InMemoryAppendNotifierTest extends AppendNotifierContract<InMemoryEventStore> {

    @Override
    protected InMemoryEventStore createStore() {
        return InMemoryEventStore.create();
    }
}
