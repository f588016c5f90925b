package dev.estoria.postgres;

import dev.estoria.storetest.DeletionGlobalReadContract;
import org.junit.jupiter.api.AfterEach;

/** The acceptance kit's DeletionGlobalReadContract against PostgreSQL in strict (allocator) mode. */
class StrictDeletionGlobalReadTest extends DeletionGlobalReadContract<PostgresEventStore> {

    @Override
    protected PostgresEventStore createStore() {
        return TestDatabase.get().newStore(PostgresOptions.strict());
    }

    @AfterEach
    void dropSchema() {
        TestDatabase.get().discard(store);
    }
}
