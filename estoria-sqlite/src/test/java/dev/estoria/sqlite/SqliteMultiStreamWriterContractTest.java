package dev.estoria.sqlite;

import dev.estoria.storetest.MultiStreamWriterContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The acceptance kit's {@link MultiStreamWriterContract}, each test on a fresh file. */
class SqliteMultiStreamWriterContractTest extends MultiStreamWriterContract<SqliteEventStore> {

    @TempDir
    Path directory;

    @Override
    protected SqliteEventStore createStore() {
        return SqliteEventStore.open(directory.resolve("events.db"));
    }
}
