package dev.estoria.sqlite;

import dev.estoria.projection.ProjectionId;
import dev.estoria.projection.ProjectionProcessor;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Runs a {@link SqliteProjectionRunner} of {@link CountingReadModel} over a file until killed, or to
 * the end. Run by {@link ExactlyOnceCrashTest} in a child JVM.
 *
 * <p>Arguments: file, mode, target. After handling {@code target} events in this process it prints
 * {@code MID <position>}; in mode {@code stall} its handler then blocks, inside the open
 * transaction, until the process is killed; in mode {@code run} it goes on. Once caught up it
 * prints {@code DONE <position>} and exits; in mode {@code finish} that is all it does.
 */
public final class ProjectionChild {

    static final ProjectionId ID = ProjectionId.of("exactly_once", 1);
    static final int BATCH_SIZE = 40;

    private ProjectionChild() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        String mode = args[1];
        long target = Long.parseLong(args[2]);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        CountDownLatch never = new CountDownLatch(1);
        long[] handledHere = {0};
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            CountingReadModel.createTables(store);
            SqliteProjectionRunner runner = SqliteProjectionRunner.create(store, ID, (tx, event) -> {
                CountingReadModel.apply(tx, event);
                if (++handledHere[0] == target && !mode.equals("finish")) {
                    out.println("MID " + event.globalPosition().orElseThrow());
                    if (mode.equals("stall")) {
                        never.await();
                    }
                }
            }, ProjectionProcessor.Options.defaults().batchSize(BATCH_SIZE).pollInterval(Duration.ofMillis(200)));
            runner.start();
            if (!runner.awaitCaughtUp(Duration.ofSeconds(60))) {
                throw new IllegalStateException("did not catch up: " + runner.status(), runner.failure().orElse(null));
            }
            out.println("DONE " + runner.position());
            runner.close();
        }
    }
}
