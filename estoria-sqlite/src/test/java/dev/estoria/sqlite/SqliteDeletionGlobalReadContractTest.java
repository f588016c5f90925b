package dev.estoria.sqlite;

import dev.estoria.storetest.DeletionGlobalReadContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The acceptance kit's {@link DeletionGlobalReadContract}, each test on a fresh file. */
class SqliteDeletionGlobalReadContractTest extends DeletionGlobalReadContract<SqliteEventStore> {

    @TempDir
    Path directory;

    @Override
    protected SqliteEventStore createStore() {
        return SqliteEventStore.open(directory.resolve("events.db"));
    }
}
