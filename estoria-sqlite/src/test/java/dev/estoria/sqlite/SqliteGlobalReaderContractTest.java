package dev.estoria.sqlite;

import dev.estoria.storetest.GlobalReaderContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The acceptance kit's {@link GlobalReaderContract}, each test on a fresh file. */
class SqliteGlobalReaderContractTest extends GlobalReaderContract<SqliteEventStore> {

    @TempDir
    Path directory;

    @Override
    protected SqliteEventStore createStore() {
        return SqliteEventStore.open(directory.resolve("events.db"));
    }
}
