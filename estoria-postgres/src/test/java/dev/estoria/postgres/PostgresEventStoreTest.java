package dev.estoria.postgres;

import dev.estoria.storetest.EventStoreContract;
import dev.estoria.storetest.MintedEventIdsCheck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

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

    @Test
    void mintsTimeOrderedEventIds() {
        MintedEventIdsCheck.timeOrdered(store);
    }
}
