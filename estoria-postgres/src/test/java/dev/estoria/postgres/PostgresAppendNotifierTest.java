package dev.estoria.postgres;

import dev.estoria.storetest.AppendNotifierContract;
import org.junit.jupiter.api.AfterEach;

/** The acceptance kit's AppendNotifierContract against PostgreSQL, watermark positions, a fresh schema per test. */
class PostgresAppendNotifierTest extends AppendNotifierContract<PostgresEventStore> {

    @Override
    protected PostgresEventStore createStore() {
        return TestDatabase.get().newStore();
    }

    @AfterEach
    void dropSchema() {
        TestDatabase.get().discard(store);
    }
}
