package dev.estoria.postgres;

import dev.estoria.storetest.MultiStreamWriterContract;
import org.junit.jupiter.api.AfterEach;

/** The acceptance kit's MultiStreamWriterContract against PostgreSQL in strict (allocator) mode. */
class StrictMultiStreamWriterTest extends MultiStreamWriterContract<PostgresEventStore> {

    @Override
    protected PostgresEventStore createStore() {
        return TestDatabase.get().newStore(PostgresOptions.strict());
    }

    @AfterEach
    void dropSchema() {
        TestDatabase.get().discard(store);
    }
}
