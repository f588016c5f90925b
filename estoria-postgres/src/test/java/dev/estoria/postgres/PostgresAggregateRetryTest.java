package dev.estoria.postgres;

import dev.estoria.storetest.AggregateRetryContract;
import org.junit.jupiter.api.AfterEach;

/** The acceptance kit's AggregateRetryContract against PostgreSQL, watermark positions, a fresh schema per test. */
class PostgresAggregateRetryTest extends AggregateRetryContract<PostgresEventStore> {

    @Override
    protected PostgresEventStore createStore() {
        return TestDatabase.get().newStore();
    }

    @AfterEach
    void dropSchema() {
        TestDatabase.get().discard(store);
    }
}
