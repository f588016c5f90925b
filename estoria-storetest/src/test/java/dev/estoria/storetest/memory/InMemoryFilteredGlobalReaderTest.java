package dev.estoria.storetest.memory;

import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.storetest.FilteredGlobalReaderContract;

class InMemoryFilteredGlobalReaderTest extends FilteredGlobalReaderContract<InMemoryEventStore> {

    @Override
    protected InMemoryEventStore createStore() {
        return InMemoryEventStore.create();
    }
}
