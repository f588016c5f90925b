package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.WritableEvent;
import dev.estoria.projection.ProjectionId;
import dev.estoria.projection.ProjectionProcessor;
import dev.estoria.projection.ProjectionStatus.State;
import dev.estoria.typeid.TypeId;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Projections over PostgreSQL outlive a server restart, however long it takes: the exactly-once
 * runner and the plain processor wait it out and go on where they were, handling every event once.
 * Against an embedded server the test owns, so it can stop and start it.
 */
@Timeout(180)
class ProjectionOutageTest {

    /** Retries each projection must have made before the server comes back: more than a runner used to allow. */
    private static final int RETRIES = 5;

    @Test
    void projectionsWaitOutARestartAndGoOnWhereTheyWere() throws Exception {
        Path data = Files.createTempDirectory("estoria-outage");
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        EmbeddedPostgres pg = start(data, port);
        PostgresOptions options = PostgresOptions.defaults().withSchema(TestDatabase.randomSchema())
                .withFeedCheckInterval(Duration.ZERO).withConnectionTimeout(Duration.ofMillis(500))
                .withStatementTimeout(Duration.ofSeconds(3)).withReadSettleTimeout(Duration.ZERO);
        Counting runnerLog = new Counting(PostgresProjectionRunner.class, "retrying from the checkpoint");
        Counting processorLog = new Counting(ProjectionProcessor.class, "trying again");
        try (PostgresEventStore store = PostgresEventStore.open(pg.getJdbcUrl("postgres", "postgres"), options)) {
            String table = '"' + options.schema() + "\".rm_handled";
            try (var c = store.beginTransaction(); var s = c.createStatement()) {
                s.execute("CREATE TABLE " + table + " (position bigint PRIMARY KEY)");
                c.commit();
            }
            List<Long> processed = new CopyOnWriteArrayList<>();
            PostgresProjectionRunner runner = PostgresProjectionRunner.create(store, ProjectionId.of("runner", 1),
                    (tx, event) -> {
                        try (PreparedStatement s = tx.prepareStatement("INSERT INTO " + table + " VALUES (?)")) {
                            s.setLong(1, event.globalPosition().orElseThrow());
                            s.executeUpdate();
                        }
                    }, PostgresProjectionRunner.Options.defaults().pollInterval(Duration.ofMillis(50)));
            ProjectionProcessor processor = ProjectionProcessor.create(store, PostgresCheckpointStore.of(store),
                    ProjectionId.of("processor", 1), event -> processed.add(event.globalPosition().orElseThrow()),
                    ProjectionProcessor.Options.defaults().pollInterval(Duration.ofMillis(50)).checkpointEvery(1));
            try {
                appendOne(store);
                runner.start();
                processor.start();
                assertThat(runner.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
                assertThat(processor.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();

                pg.close();
                await(() -> runnerLog.count() >= RETRIES && processorLog.count() >= RETRIES, "both retried "
                        + RETRIES + " times");
                assertThat(runner.state()).as("the runner through the outage").isNotEqualTo(State.FAILED);
                assertThat(processor.state()).as("the processor through the outage").isNotEqualTo(State.FAILED);
                assertThat(runner.outage()).as("the runner says it waits out an outage").isPresent();
                assertThat(processor.status().outage()).as("the processor says so too").isPresent();

                pg = start(data, port);
                long head = 0;
                while (head == 0) {
                    try {
                        head = appendOne(store);
                    } catch (StoreUnavailableException e) {
                        // The pool is reconnecting.
                    }
                }
                long last = head;
                await(() -> runner.position() == last && processor.position() == last, "both handled the new event");
                await(() -> runner.outage().isEmpty() && processor.outage().isEmpty(), "the outage is over for both");
                assertThat(processed).as("the processor handled each event once").hasSize(2).isSorted();
                try (var c = store.beginTransaction(); var s = c.createStatement();
                        ResultSet rs = s.executeQuery("SELECT count(*), max(position) FROM " + table)) {
                    rs.next();
                    assertThat(rs.getLong(1)).as("the runner applied each event once").isEqualTo(2);
                    assertThat(rs.getLong(2)).isEqualTo(last);
                    c.rollback();
                }
                assertThat(runner.failure()).isEmpty();
                assertThat(processor.failure()).isEmpty();
            } finally {
                runner.close();
                processor.close();
            }
        } finally {
            runnerLog.close();
            processorLog.close();
            pg.close();
        }
    }

    private static long appendOne(PostgresEventStore store) {
        return store.appendStream(TypeId.newV4("account"), List.of(WritableEvent.of("deposited", new byte[] {1})))
                .get(0).globalPosition().orElseThrow();
    }

    private static EmbeddedPostgres start(Path data, int port) throws Exception {
        return EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).setPort(port).start();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - deadline).as("timed out waiting until " + what).isNegative();
            Thread.sleep(20); // polling an outcome, not ordering threads
        }
    }

    /** Counts the log records of a class whose message contains a text. */
    private static final class Counting extends Handler implements AutoCloseable {
        private final Logger logger;
        private final String text;
        private final List<String> seen = new CopyOnWriteArrayList<>();

        Counting(Class<?> source, String text) {
            this.logger = Logger.getLogger(source.getName());
            this.text = text;
            logger.addHandler(this);
        }

        int count() {
            return seen.size();
        }

        @Override
        public void publish(LogRecord record) {
            if (record.getMessage() != null && record.getMessage().contains(text)) {
                seen.add(record.getMessage());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            logger.removeHandler(this);
        }
    }
}
