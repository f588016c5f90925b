package dev.estoria.sqlite;

import dev.estoria.storetest.FilteredGlobalReaderContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The acceptance kit's {@link FilteredGlobalReaderContract}, each test on a fresh file. */
class SqliteFilteredGlobalReaderContractTest extends FilteredGlobalReaderContract<SqliteEventStore> {

    @TempDir
    Path directory;

    @Override
    protected SqliteEventStore createStore() {
        return SqliteEventStore.open(directory.resolve("events.db"));
    }
}
