package dev.estoria.storetest.memory;

import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.storetest.EventStoreContract;
import dev.estoria.storetest.MintedEventIdsCheck;
import org.junit.jupiter.api.Test;

class InMemoryEventStoreTest extends EventStoreContract<InMemoryEventStore> {

    @Override
    protected InMemoryEventStore createStore() {
        return InMemoryEventStore.create();
    }

    @Test
    void mintsTimeOrderedEventIds() {
        MintedEventIdsCheck.timeOrdered(store);
    }
}
