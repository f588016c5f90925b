package dev.estoria.sqlite;

import dev.estoria.storetest.AppendNotifierContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The acceptance kit's {@link AppendNotifierContract}, each test on a fresh file. */
class SqliteAppendNotifierContractTest extends AppendNotifierContract<SqliteEventStore> {

    @TempDir
    Path directory;

    @Override
    protected SqliteEventStore createStore() {
        return SqliteEventStore.open(directory.resolve("events.db"));
    }
}
