package dev.estoria.postgres;

import dev.estoria.storetest.GlobalReaderContract;
import org.junit.jupiter.api.AfterEach;

/** The acceptance kit's GlobalReaderContract against PostgreSQL, watermark positions, a fresh schema per test. */
class PostgresGlobalReaderTest extends GlobalReaderContract<PostgresEventStore> {

    @Override
    protected PostgresEventStore createStore() {
        return TestDatabase.get().newStore();
    }

    @AfterEach
    void dropSchema() {
        TestDatabase.get().discard(store);
    }
}
