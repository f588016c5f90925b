package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.WritableEvent;
import dev.estoria.projection.ProjectionId;
import dev.estoria.projection.ProjectionStatus.State;
import dev.estoria.typeid.TypeId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A checkpoint moved back or deleted under a running PostgresProjectionRunner (a rebuild, an
 * operator) must not make it replay events into a read model that already holds them: like the
 * SQLite runner, it fails instead, and writes nothing.
 */
@Timeout(60)
class RunnerRewoundCheckpointTest {

    private static final ProjectionId ID = ProjectionId.of("rewound", 1);

    private final TestDatabase db = TestDatabase.get();
    private PostgresEventStore store;
    private String q;

    @BeforeEach
    void open() throws Exception {
        store = db.newStore();
        q = '"' + store.options().schema() + "\".";
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + q + "rm_applied (event_uuid uuid NOT NULL, position bigint NOT NULL)");
        }
    }

    @AfterEach
    void drop() {
        db.discard(store);
    }

    private long position(TypeId stream) {
        return store.appendStream(stream, List.of(WritableEvent.of("ticked", new byte[0]))).get(0).globalPosition()
                .orElseThrow();
    }

    @Test
    void aCheckpointRewoundUnderTheRunnerIsNotReplayedIntoTheReadModel() throws Exception {
        TypeId stream = TypeId.newV4("ticks");
        long first = position(stream);
        position(stream);
        position(stream);
        CountDownLatch firstAppliedAgain = new CountDownLatch(2); // the first event, applied a second time
        PostgresProjectionRunner runner = PostgresProjectionRunner.create(store, ID, (tx, event) -> {
            try (PreparedStatement s = tx.prepareStatement("INSERT INTO " + q + "rm_applied VALUES (?, ?)")) {
                s.setObject(1, event.id().uuid());
                s.setLong(2, event.globalPosition().orElseThrow());
                s.executeUpdate();
            }
            if (event.globalPosition().orElseThrow() == first) {
                firstAppliedAgain.countDown();
            }
        }, PostgresProjectionRunner.Options.defaults().pollInterval(Duration.ofMillis(100))).start();
        try {
            assertThat(runner.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
            // A rebuild (or an operator) rewinds the checkpoint while the runner is at the head.
            PostgresCheckpointStore.of(store).save(ID, 0);
            position(stream); // wakes the runner
            // Either the runner replays (the first event comes again), or it fails.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (runner.state() != State.FAILED && !firstAppliedAgain.await(10, TimeUnit.MILLISECONDS)) {
                assertThat(System.nanoTime()).as("the runner neither failed nor replayed").isLessThan(deadline);
            }
            assertThat(runner.failure()).get().isInstanceOf(IllegalStateException.class)
                    .extracting(Throwable::getMessage).asString().contains("moved back");
        } finally {
            runner.close();
        }
        try (Connection c = db.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*), count(DISTINCT event_uuid) FROM " + q + "rm_applied")) {
            rs.next();
            assertThat(rs.getLong(1)).as("rows in the read model (distinct events: %d)", rs.getLong(2))
                    .isEqualTo(rs.getLong(2));
        }
    }
}
