package dev.estoria.postgres;

import dev.estoria.storetest.StreamListerContract;
import org.junit.jupiter.api.AfterEach;

/** The acceptance kit's StreamListerContract against PostgreSQL, watermark positions, a fresh schema per test. */
class PostgresStreamListerTest extends StreamListerContract<PostgresEventStore> {

    @Override
    protected PostgresEventStore createStore() {
        return TestDatabase.get().newStore();
    }

    @AfterEach
    void dropSchema() {
        TestDatabase.get().discard(store);
    }
}
