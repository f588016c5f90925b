package dev.estoria.postgres;

import dev.estoria.storetest.MultiStreamWriterContract;
import org.junit.jupiter.api.AfterEach;

/**
 * The acceptance kit's MultiStreamWriterContract against a store that owns its pool, as one opened
 * from a URL does: its connections carry the timeouts, which its transactions do not set themselves.
 */
class OwnedPoolMultiStreamWriterTest extends MultiStreamWriterContract<PostgresEventStore> {

    @Override
    protected PostgresEventStore createStore() {
        return TestDatabase.get().newOwnedStore(PostgresOptions.defaults());
    }

    @AfterEach
    void dropSchema() {
        TestDatabase.get().discard(store);
    }
}
