package dev.estoria.postgres;

import dev.estoria.storetest.DeletionGlobalReadContract;
import org.junit.jupiter.api.AfterEach;

/** The acceptance kit's DeletionGlobalReadContract against PostgreSQL, watermark positions, a fresh schema per test. */
class PostgresDeletionGlobalReadTest extends DeletionGlobalReadContract<PostgresEventStore> {

    @Override
    protected PostgresEventStore createStore() {
        return TestDatabase.get().newStore();
    }

    @AfterEach
    void dropSchema() {
        TestDatabase.get().discard(store);
    }
}
