package dev.estoria.postgres;

import dev.estoria.storetest.FilteredGlobalReaderContract;
import org.junit.jupiter.api.AfterEach;

/** The acceptance kit's FilteredGlobalReaderContract against PostgreSQL, watermark positions, a fresh schema per test. */
class PostgresFilteredGlobalReaderTest extends FilteredGlobalReaderContract<PostgresEventStore> {

    @Override
    protected PostgresEventStore createStore() {
        return TestDatabase.get().newStore();
    }

    @AfterEach
    void dropSchema() {
        TestDatabase.get().discard(store);
    }
}
