package dev.estoria.postgres;

import dev.estoria.storetest.EventStoreContract;
import org.junit.jupiter.api.AfterEach;

/** The acceptance kit's EventStoreContract against PostgreSQL in strict (allocator) mode. */
class StrictEventStoreTest extends EventStoreContract<PostgresEventStore> {

    @Override
    protected PostgresEventStore createStore() {
        return TestDatabase.get().newStore(PostgresOptions.strict());
    }

    @AfterEach
    void dropSchema() {
        TestDatabase.get().discard(store);
    }
}
