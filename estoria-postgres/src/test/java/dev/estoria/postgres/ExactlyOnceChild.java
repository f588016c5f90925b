package dev.estoria.postgres;

import dev.estoria.eventstore.EventFilter;
import dev.estoria.projection.ProjectionId;
import java.io.IOException;
import java.sql.PreparedStatement;
import java.time.Duration;

/**
 * The process {@link ExactlyOnceProjectionTest} starts and kills: runs the counting projection over
 * the schema's events until it is caught up, then prints {@code CAUGHT_UP <position>} and exits.
 * With a block count, after handling that many events in this run it prints {@code MID
 * <position>} and blocks on standard input, in the middle of a batch transaction, until killed.
 *
 * <p>Arguments: JDBC URL, schema, batch size, block count (0 for none).
 */
public final class ExactlyOnceChild {

    static final ProjectionId PROJECTION = ProjectionId.of("counting", 1);

    private ExactlyOnceChild() {
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String schema = args[1];
        int batchSize = Integer.parseInt(args[2]);
        long blockAt = Long.parseLong(args[3]);
        String q = '"' + schema + "\".";
        long[] handledInThisRun = {0};
        PostgresOptions options = PostgresOptions.defaults().withSchema(schema).withPoolSize(3)
                .withFeedCheckInterval(Duration.ZERO);
        try (PostgresEventStore store = PostgresEventStore.open(url, options)) {
            PostgresProjectionRunner runner = PostgresProjectionRunner.create(store, PROJECTION, (tx, event) -> {
                try (PreparedStatement s = tx.prepareStatement("INSERT INTO " + q + "rm_handled (event_uuid, position)"
                        + " VALUES (?, ?)")) {
                    s.setObject(1, event.id().uuid());
                    s.setLong(2, event.globalPosition().orElseThrow());
                    s.executeUpdate();
                }
                try (PreparedStatement s = tx.prepareStatement("UPDATE " + q + "rm_counts SET n = n + 1"
                        + " WHERE stream_uuid = ?")) {
                    s.setObject(1, event.streamId().uuid());
                    if (s.executeUpdate() != 1) {
                        throw new IllegalStateException("no count row for " + event.streamId());
                    }
                }
                if (++handledInThisRun[0] == blockAt) {
                    System.out.println("MID " + event.globalPosition().orElseThrow());
                    System.out.flush();
                    blockUntilKilled();
                }
            }, PostgresProjectionRunner.Options.defaults().batchSize(batchSize).filter(EventFilter.all())).start();
            if (!runner.awaitCaughtUp(Duration.ofSeconds(60))) {
                System.out.println("FAILED " + runner.failure().map(Throwable::toString).orElse("timeout"));
                System.exit(2);
            }
            System.out.println("CAUGHT_UP " + runner.position());
            System.out.flush();
            runner.close();
        }
    }

    private static void blockUntilKilled() throws IOException {
        // The parent never writes to our standard input: this read returns only if it goes away.
        while (System.in.read() >= 0) {
            // Keep waiting.
        }
        throw new IOException("parent closed standard input");
    }
}
