package dev.estoria.postgres;

import dev.estoria.storetest.MultiStreamWriterContract;
import org.junit.jupiter.api.AfterEach;

/** The acceptance kit's MultiStreamWriterContract against PostgreSQL, watermark positions, a fresh schema per test. */
class PostgresMultiStreamWriterTest extends MultiStreamWriterContract<PostgresEventStore> {

    @Override
    protected PostgresEventStore createStore() {
        return TestDatabase.get().newStore();
    }

    @AfterEach
    void dropSchema() {
        TestDatabase.get().discard(store);
    }
}
