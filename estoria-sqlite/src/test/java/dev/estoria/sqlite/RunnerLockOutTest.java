package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.WritableEvent;
import dev.estoria.projection.ProjectionId;
import dev.estoria.projection.ProjectionProcessor;
import dev.estoria.projection.ProjectionStatus.State;
import dev.estoria.typeid.TypeId;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Another process holding the file's write lock past the busy timeout keeps a runner waiting, not
 * failed: its writes are tried again until the lock is free, and it goes on where it was.
 */
@Timeout(120)
class RunnerLockOutTest {

    private static final ProjectionId ID = ProjectionId.of("counts", 1);

    @TempDir
    Path directory;

    @Test
    void aRunnerLockedOutByAnotherProcessWaitsAndGoesOn() throws Exception {
        Path file = directory.resolve("locked-out.db");
        List<String> retries = new CopyOnWriteArrayList<>();
        Logger logger = Logger.getLogger(SqliteProjectionRunner.class.getName());
        Handler recorder = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (record.getMessage() != null && record.getMessage().contains("trying again")) {
                    retries.add(record.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(recorder);
        try (SqliteEventStore store = SqliteEventStore.open(file, SqliteOptions.defaults()
                .withBusyTimeout(Duration.ofMillis(100)))) {
            store.inWriteTransaction(c -> {
                try (Statement s = c.createStatement()) {
                    s.execute("CREATE TABLE counted (position INTEGER PRIMARY KEY)");
                }
                return null;
            });
            long first = append(store);
            SqliteProjectionRunner runner = SqliteProjectionRunner.create(store, ID, (tx, event) -> {
                try (Statement s = tx.createStatement()) {
                    s.execute("INSERT INTO counted VALUES (" + event.globalPosition().orElseThrow() + ")");
                }
            }, ProjectionProcessor.Options.defaults().pollInterval(Duration.ofMillis(20))).start();
            try {
                assertThat(runner.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
                assertThat(runner.status().position()).isEqualTo(first);

                try (Connection otherProcess = DriverManager.getConnection("jdbc:sqlite:" + file);
                        Statement s = otherProcess.createStatement()) {
                    s.execute("BEGIN IMMEDIATE");
                    // The runner's heartbeat at the head needs the lock: each try gives up after the
                    // busy timeout.
                    await(() -> retries.size() >= 3, "the runner was refused the lock three times");
                    assertThat(runner.state()).isNotEqualTo(State.FAILED);
                    // Its reads still work, but each try fails at the write: still one outage, not over.
                    for (int i = 0; i < 5; i++) {
                        assertThat(runner.status().outage()).as("waiting out the lock").hasValueSatisfying(
                                outage -> assertThat(outage.tries()).isGreaterThanOrEqualTo(2));
                        Thread.sleep(30); // sampling the status over time, not ordering threads
                    }
                    s.execute("ROLLBACK");
                }
                long second = append(store);
                await(() -> runner.status().position() == second, "the runner handled the next event");
                await(() -> runner.outage().isEmpty(), "the outage is over");
                assertThat(runner.failure()).isEmpty();
                List<Long> counted = store.inReadTransaction(c -> {
                    List<Long> rows = new ArrayList<>();
                    try (Statement s = c.createStatement();
                            ResultSet rs = s.executeQuery("SELECT position FROM counted ORDER BY position")) {
                        while (rs.next()) {
                            rows.add(rs.getLong(1));
                        }
                    }
                    return rows;
                });
                assertThat(counted).containsExactly(first, second);
            } finally {
                runner.close();
            }
        } finally {
            logger.removeHandler(recorder);
        }
    }

    private static long append(SqliteEventStore store) {
        return store.appendStream(TypeId.newV4("account"), List.of(WritableEvent.of("deposited", new byte[] {1})))
                .get(0).globalPosition().orElseThrow();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("timed out waiting until " + what).isNegative();
            Thread.sleep(10); // polling an outcome, not ordering threads
        }
    }
}
