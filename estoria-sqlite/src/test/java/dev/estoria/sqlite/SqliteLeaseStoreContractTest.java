package dev.estoria.sqlite;

import dev.estoria.storetest.LeaseStoreContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** The acceptance kit's {@link LeaseStoreContract}, each test on a fresh file. */
class SqliteLeaseStoreContractTest extends LeaseStoreContract<SqliteLeaseStore> {

    @TempDir
    Path directory;

    private SqliteEventStore events;

    @Override
    protected SqliteLeaseStore createStore() {
        events = SqliteEventStore.open(directory.resolve("events.db"));
        return SqliteLeaseStore.of(events);
    }

    @AfterEach
    void closeEvents() {
        events.close();
    }
}
