package dev.estoria.sqlite;

import dev.estoria.storetest.StreamDeleterContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The acceptance kit's {@link StreamDeleterContract}, each test on a fresh file. */
class SqliteStreamDeleterContractTest extends StreamDeleterContract<SqliteEventStore> {

    @TempDir
    Path directory;

    @Override
    protected SqliteEventStore createStore() {
        return SqliteEventStore.open(directory.resolve("events.db"));
    }
}
