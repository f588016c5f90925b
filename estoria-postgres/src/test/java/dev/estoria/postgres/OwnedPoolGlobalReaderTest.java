package dev.estoria.postgres;

import dev.estoria.storetest.GlobalReaderContract;
import org.junit.jupiter.api.AfterEach;

/** The acceptance kit's GlobalReaderContract against a store that owns its pool (single-statement commits). */
class OwnedPoolGlobalReaderTest extends GlobalReaderContract<PostgresEventStore> {

    @Override
    protected PostgresEventStore createStore() {
        return TestDatabase.get().newOwnedStore(PostgresOptions.defaults());
    }

    @AfterEach
    void dropSchema() {
        TestDatabase.get().discard(store);
    }
}
