package dev.estoria.sqlite;

import dev.estoria.projection.PartitionedProjection;
import dev.estoria.projection.ProjectionId;
import dev.estoria.projection.ProjectionProcessor;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One worker of a {@link PartitionedProjection} whose leases and checkpoints are in a SQLite file;
 * run by {@link CompetingWorkersTest} in a child JVM.
 *
 * <p>Arguments: file, worker name, partitions, lease time in milliseconds. Each event it handles is
 * recorded in the file's {@code handled} table (with {@link System#nanoTime()}, which on Linux is
 * one monotonic clock for every process), and then announced as {@code HANDLED <count>}. Whenever
 * the partitions it holds change it prints {@code OWNS <p,p,...>}. On {@code STOP} (or the end of its
 * input) it closes the worker, releasing its leases, prints {@code STOPPED} and exits.
 */
public final class LeaseWorkerChild {

    static final ProjectionId ID = ProjectionId.of("competing", 1);

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
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        AtomicInteger handled = new AtomicInteger();
        try (SqliteEventStore store = SqliteEventStore.open(file,
                SqliteOptions.defaults().withDurability(SqliteOptions.Durability.NORMAL))) {
            PartitionedProjection projection = PartitionedProjection.start(store, SqliteCheckpointStore.of(store),
                    SqliteLeaseStore.of(store), ID, event -> {
                        int partition = PartitionedProjection.partitionOf(event.streamId(), partitions);
                        long at = System.nanoTime();
                        store.inWriteTransaction(connection -> {
                            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO handled "
                                    + "(worker, partition, stream, version, event_id, position, at_ns) "
                                    + "VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                                insert.setString(1, worker);
                                insert.setInt(2, partition);
                                insert.setString(3, event.streamId().toString());
                                insert.setLong(4, event.streamVersion());
                                insert.setString(5, event.id().toString());
                                insert.setLong(6, event.globalPosition().orElseThrow());
                                insert.setLong(7, at);
                                return insert.executeUpdate();
                            }
                        });
                        out.println("HANDLED " + handled.incrementAndGet());
                    },
                    new PartitionedProjection.Settings(partitions, worker, ttl, ProjectionProcessor.Options.defaults()
                            .checkpointEvery(1).batchSize(50).pollInterval(Duration.ofMillis(100))));
            Thread reporter = Thread.ofPlatform().daemon().start(() -> {
                Set<Integer> last = Set.of();
                while (true) {
                    Set<Integer> owned = new TreeSet<>(projection.ownedPartitions());
                    if (!owned.equals(last)) {
                        out.println("OWNS " + String.join(",", owned.stream().map(String::valueOf).toList()));
                        last = owned;
                    }
                    try {
                        Thread.sleep(20); // a watcher that reports; nothing waits on its timing
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            do {
                line = in.readLine();
            } while (line != null && !line.equals("STOP"));
            reporter.interrupt();
            projection.close();
        }
        out.println("STOPPED");
    }
}
