package dev.estoria.sqlite;

import dev.estoria.storetest.CheckpointStoreContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** The acceptance kit's {@link CheckpointStoreContract}, each test on a fresh file. */
class SqliteCheckpointStoreContractTest extends CheckpointStoreContract<SqliteCheckpointStore> {

    @TempDir
    Path directory;

    private SqliteEventStore events;

    @Override
    protected SqliteCheckpointStore createStore() {
        events = SqliteEventStore.open(directory.resolve("events.db"));
        return SqliteCheckpointStore.of(events);
    }

    @AfterEach
    void closeEvents() {
        events.close();
    }
}
