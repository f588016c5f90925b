package dev.estoria.storetest.memory;

import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.storetest.AggregateRetryContract;

class InMemoryAggregateRetryTest extends AggregateRetryContract<InMemoryEventStore> {

    @Override
    protected InMemoryEventStore createStore() {
        return InMemoryEventStore.create();
    }
}
