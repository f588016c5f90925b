package dev.estoria.sqlite;

import dev.estoria.storetest.CompetingWorkersCheck;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.time.Duration;

/**
 * One worker of {@link CompetingWorkersCheck#threeWorkersOneKilled} whose leases and checkpoints are
 * in a SQLite file; run by {@link CompetingWorkersTest} in a child JVM. It speaks the protocol of
 * {@link CompetingWorkersCheck.Workers} and records each event it handles in the file's {@code
 * handled} table, committed before the next event.
 *
 * <p>Arguments: file, worker name, partitions, lease time in milliseconds.
 */
public final class LeaseWorkerChild {

    static final String HANDLED_TABLE = """
            CREATE TABLE IF NOT EXISTS handled (
                seq       INTEGER PRIMARY KEY AUTOINCREMENT,
                worker    TEXT    NOT NULL,
                partition INTEGER NOT NULL,
                stream    TEXT    NOT NULL,
                version   INTEGER NOT NULL,
                event_id  TEXT    NOT NULL,
                position  INTEGER NOT NULL,
                at_ns     INTEGER NOT NULL
            )""";

    private LeaseWorkerChild() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        String worker = args[1];
        int partitions = Integer.parseInt(args[2]);
        Duration ttl = Duration.ofMillis(Long.parseLong(args[3]));
        try (SqliteEventStore store = SqliteEventStore.open(file,
                SqliteOptions.defaults().withDurability(SqliteOptions.Durability.NORMAL))) {
            CompetingWorkersCheck.runWorker(store, SqliteCheckpointStore.of(store), SqliteLeaseStore.of(store), worker,
                    partitions, ttl, (name, partition, event, atNanos) -> store.inWriteTransaction(connection -> {
                        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO handled "
                                + "(worker, partition, stream, version, event_id, position, at_ns) "
                                + "VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                            insert.setString(1, name);
                            insert.setInt(2, partition);
                            insert.setString(3, event.streamId().toString());
                            insert.setLong(4, event.streamVersion());
                            insert.setString(5, event.id().toString());
                            insert.setLong(6, event.globalPosition().orElseThrow());
                            insert.setLong(7, atNanos);
                            return insert.executeUpdate();
                        }
                    }));
        }
    }
}
