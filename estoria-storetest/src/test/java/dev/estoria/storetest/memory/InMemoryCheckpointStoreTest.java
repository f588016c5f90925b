package dev.estoria.storetest.memory;

import dev.estoria.projection.InMemoryCheckpointStore;
import dev.estoria.storetest.CheckpointStoreContract;

class InMemoryCheckpointStoreTest extends CheckpointStoreContract<InMemoryCheckpointStore> {

    @Override
    protected InMemoryCheckpointStore createStore() {
        return InMemoryCheckpointStore.create();
    }
}
