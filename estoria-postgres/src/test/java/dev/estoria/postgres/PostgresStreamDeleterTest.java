package dev.estoria.postgres;

import dev.estoria.storetest.StreamDeleterContract;
import org.junit.jupiter.api.AfterEach;

/** The acceptance kit's StreamDeleterContract against PostgreSQL, watermark positions, a fresh schema per test. */
class PostgresStreamDeleterTest extends StreamDeleterContract<PostgresEventStore> {

    @Override
    protected PostgresEventStore createStore() {
        return TestDatabase.get().newStore();
    }

    @AfterEach
    void dropSchema() {
        TestDatabase.get().discard(store);
    }
}
