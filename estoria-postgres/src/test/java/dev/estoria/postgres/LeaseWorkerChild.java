package dev.estoria.postgres;

import dev.estoria.storetest.CompetingWorkersCheck;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;

/**
 * One worker of {@link CompetingWorkersCheck#threeWorkersOneKilled} whose leases and checkpoints are
 * in a PostgreSQL schema; run by {@link CompetingWorkersTest} in a child JVM. It speaks the protocol of
 * {@link CompetingWorkersCheck.Workers} and records each event it handles in the schema's {@code
 * handled} table, committed before the next event.
 *
 * <p>Arguments: JDBC URL, schema, worker name, partitions, lease time in milliseconds.
 */
public final class LeaseWorkerChild {

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
        PostgresOptions options = PostgresOptions.defaults().withSchema(schema).withPoolSize(10)
                .withFeedCheckInterval(Duration.ZERO);
        try (PostgresEventStore store = PostgresEventStore.open(url, options);
                Connection recorder = DriverManager.getConnection(url);
                PreparedStatement insert = recorder.prepareStatement("INSERT INTO \"" + schema + "\".handled "
                        + "(worker, partition, stream, version, event_id, position, at_ns) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            CompetingWorkersCheck.runWorker(store, PostgresCheckpointStore.of(store), PostgresLeaseStore.of(store),
                    worker, partitions, ttl, (name, partition, event, atNanos) -> {
                        // Partitions run on threads of their own; one recording connection serves them in turn.
                        synchronized (insert) {
                            insert.setString(1, name);
                            insert.setInt(2, partition);
                            insert.setString(3, event.streamId().toString());
                            insert.setLong(4, event.streamVersion());
                            insert.setString(5, event.id().toString());
                            insert.setLong(6, event.globalPosition().orElseThrow());
                            insert.setLong(7, atNanos);
                            insert.executeUpdate();
                        }
                    });
        }
    }
}
