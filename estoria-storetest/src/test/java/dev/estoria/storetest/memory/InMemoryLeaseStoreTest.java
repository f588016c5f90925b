package dev.estoria.storetest.memory;

import dev.estoria.projection.InMemoryLeaseStore;
import dev.estoria.storetest.LeaseStoreContract;

class InMemoryLeaseStoreTest extends LeaseStoreContract<InMemoryLeaseStore> {

    @Override
    protected InMemoryLeaseStore createStore() {
        return InMemoryLeaseStore.create();
    }
}
