package dev.estoria.postgres;

import dev.estoria.storetest.GlobalReaderContract;
import org.junit.jupiter.api.AfterEach;

/** The acceptance kit's GlobalReaderContract against PostgreSQL in strict (allocator) mode. */
class StrictGlobalReaderTest extends GlobalReaderContract<PostgresEventStore> {

    @Override
    protected PostgresEventStore createStore() {
        return TestDatabase.get().newStore(PostgresOptions.strict());
    }

    @AfterEach
    void dropSchema() {
        TestDatabase.get().discard(store);
    }
}
