package dev.estoria.postgres;

import dev.estoria.storetest.EventStoreContract;
import org.junit.jupiter.api.AfterEach;

/** The acceptance kit's EventStoreContract against PostgreSQL, watermark positions, a fresh schema per test. */
class PostgresEventStoreTest extends EventStoreContract<PostgresEventStore> {

    @Override
    protected PostgresEventStore createStore() {
        return TestDatabase.get().newStore();
    }

    @AfterEach
    void dropSchema() {
        TestDatabase.get().discard(store);
    }
}
