package dev.estoria.postgres;

import dev.estoria.storetest.EventStoreContract;
import org.junit.jupiter.api.AfterEach;

/**
 * The acceptance kit's EventStoreContract against a store that owns its pool, as one opened from a
 * URL does: its appends commit as single statements, not in explicit transactions.
 */
class OwnedPoolEventStoreTest extends EventStoreContract<PostgresEventStore> {

    @Override
    protected PostgresEventStore createStore() {
        return TestDatabase.get().newOwnedStore(PostgresOptions.defaults());
    }

    @AfterEach
    void dropSchema() {
        TestDatabase.get().discard(store);
    }
}
