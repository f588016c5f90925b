package dev.estoria.sqlite;

import dev.estoria.snapshot.RetentionPolicy;
import dev.estoria.storetest.SnapshotStoreContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/** The acceptance kit's {@link SnapshotStoreContract} under each kind of retention, each test on a fresh file. */
class SqliteSnapshotStoreContractTest {

    @TempDir
    Path directory;

    private SqliteEventStore events;

    private SqliteEventStore openEvents() {
        events = SqliteEventStore.open(directory.resolve("events.db"));
        return events;
    }

    @AfterEach
    void closeEvents() {
        if (events != null) {
            events.close();
        }
    }

    @Nested
    class KeepAll extends SnapshotStoreContract<SqliteSnapshotStore> {
        @Override
        protected SqliteSnapshotStore createStore() {
            return SqliteSnapshotStore.of(openEvents());
        }
    }

    @Nested
    class KeepLastOne extends SnapshotStoreContract<SqliteSnapshotStore> {
        @Override
        protected SqliteSnapshotStore createStore() {
            return SqliteSnapshotStore.keepLast(openEvents(), 1);
        }
    }

    @Nested
    class PolicyKeepLastOne extends SnapshotStoreContract<SqliteSnapshotStore> {
        @Override
        protected SqliteSnapshotStore createStore() {
            return SqliteSnapshotStore.of(openEvents(), RetentionPolicy.keepLast(1));
        }
    }
}
