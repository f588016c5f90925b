package dev.estoria.postgres;

import dev.estoria.projection.PartitionedProjection;
import dev.estoria.projection.ProjectionId;
import dev.estoria.projection.ProjectionProcessor;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One worker of a {@link PartitionedProjection} whose leases and checkpoints are in a PostgreSQL
 * schema; run by {@link CompetingWorkersTest} in a child JVM.
 *
 * <p>Arguments: JDBC URL, schema, worker name, partitions, lease time in milliseconds. Each event it
 * handles is recorded in the schema's {@code handled} table (committed before the next event, with
 * {@link System#nanoTime()}, which on Linux is one monotonic clock for every process), and then
 * announced as {@code HANDLED <count>}. Whenever the partitions it holds change it prints {@code OWNS
 * <p,p,...>}. On {@code STOP} (or the end of its input) it closes the worker, releasing its leases,
 * prints {@code STOPPED} and exits.
 */
public final class LeaseWorkerChild {

    static final ProjectionId ID = ProjectionId.of("competing", 1);

    private LeaseWorkerChild() {
    }

    static String handledTable(String schema) {
        return "CREATE TABLE \"" + schema + "\".handled ("
                + " seq bigserial PRIMARY KEY,"
                + " worker text NOT NULL,"
                + " partition integer NOT NULL,"
                + " stream text NOT NULL,"
                + " version bigint NOT NULL,"
                + " event_id text NOT NULL,"
                + " position bigint NOT NULL,"
                + " at_ns bigint NOT NULL)";
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String schema = args[1];
        String worker = args[2];
        int partitions = Integer.parseInt(args[3]);
        Duration ttl = Duration.ofMillis(Long.parseLong(args[4]));
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        AtomicInteger handled = new AtomicInteger();
        PostgresOptions options = PostgresOptions.defaults().withSchema(schema).withPoolSize(10)
                .withFeedCheckInterval(Duration.ZERO);
        try (PostgresEventStore store = PostgresEventStore.open(url, options);
                Connection recorder = DriverManager.getConnection(url)) {
            PreparedStatement insert = recorder.prepareStatement("INSERT INTO \"" + schema + "\".handled "
                    + "(worker, partition, stream, version, event_id, position, at_ns) VALUES (?, ?, ?, ?, ?, ?, ?)");
            PartitionedProjection projection = PartitionedProjection.start(store, PostgresCheckpointStore.of(store),
                    PostgresLeaseStore.of(store), ID, event -> {
                        int partition = PartitionedProjection.partitionOf(event.streamId(), partitions);
                        // Partitions run on threads of their own; one recording connection serves them in turn.
                        synchronized (insert) {
                            insert.setString(1, worker);
                            insert.setInt(2, partition);
                            insert.setString(3, event.streamId().toString());
                            insert.setLong(4, event.streamVersion());
                            insert.setString(5, event.id().toString());
                            insert.setLong(6, event.globalPosition().orElseThrow());
                            insert.setLong(7, System.nanoTime());
                            insert.executeUpdate();
                        }
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
