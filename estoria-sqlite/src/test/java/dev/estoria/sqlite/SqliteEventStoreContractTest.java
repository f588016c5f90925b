package dev.estoria.sqlite;

import dev.estoria.storetest.EventStoreContract;
import dev.estoria.storetest.MintedEventIdsCheck;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The acceptance kit's {@link EventStoreContract}, each test on a fresh file. */
class SqliteEventStoreContractTest extends EventStoreContract<SqliteEventStore> {

    @TempDir
    Path directory;

    @Override
    protected SqliteEventStore createStore() {
        return SqliteEventStore.open(directory.resolve("events.db"));
    }

    @Test
    void mintsTimeOrderedEventIds() {
        MintedEventIdsCheck.timeOrdered(store);
    }
}
