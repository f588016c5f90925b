package dev.estoria.sqlite;

import dev.estoria.storetest.StreamListerContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The acceptance kit's {@link StreamListerContract}, each test on a fresh file. */
class SqliteStreamListerContractTest extends StreamListerContract<SqliteEventStore> {

    @TempDir
    Path directory;

    @Override
    protected SqliteEventStore createStore() {
        return SqliteEventStore.open(directory.resolve("events.db"));
    }
}
