package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.projection.ProjectionId;
import dev.estoria.projection.ProjectionProcessor;
import dev.estoria.projection.ProjectionStatus;
import dev.estoria.projection.ProjectionStatus.State;
import dev.estoria.snapshot.EventStreamSnapshotStore;
import dev.estoria.snapshot.Snapshot;
import dev.estoria.typeid.TypeId;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The transactional projection runner in one process: life cycle, failures, and the checkpoint guard. */
class SqliteProjectionRunnerTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final ProjectionId ID = ProjectionId.of("counting", 1);

    @TempDir
    Path directory;

    private SqliteEventStore store;
    private final List<SqliteProjectionRunner> runners = new ArrayList<>();

    @BeforeEach
    void open() {
        store = SqliteEventStore.open(directory.resolve("events.db"),
                SqliteOptions.defaults().withDurability(SqliteOptions.Durability.NORMAL));
        CountingReadModel.createTables(store);
    }

    @AfterEach
    void close() throws InterruptedException {
        for (SqliteProjectionRunner runner : runners) {
            runner.close();
        }
        store.close();
    }

    private SqliteProjectionRunner start(SqliteEventHandler handler, ProjectionProcessor.Options options) {
        SqliteProjectionRunner runner = SqliteProjectionRunner.create(store, ID, handler, options);
        runners.add(runner);
        return runner.start();
    }

    /** Waits for a state the runner's thread reaches; fails after {@link #WAIT}. */
    private static void until(java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not reached within " + WAIT);
            }
            Thread.onSpinWait();
        }
    }

    private static ProjectionProcessor.Options options() {
        return ProjectionProcessor.Options.defaults().batchSize(7).pollInterval(Duration.ofMillis(200));
    }

    private List<Event> append(int streams, int perStream) {
        List<Event> written = new ArrayList<>();
        for (int s = 0; s < streams; s++) {
            List<WritableEvent> batch = new ArrayList<>();
            for (int i = 0; i < perStream; i++) {
                batch.add(WritableEvent.json("counted", "{\"i\":" + i + "}"));
            }
            written.addAll(store.appendStream(TypeId.newV4("item"), batch));
        }
        return written;
    }

    private static Map<UUID, Long> positions(List<Event> events) {
        Map<UUID, Long> map = new HashMap<>();
        events.forEach(e -> map.put(e.id().uuid(), e.globalPosition().orElseThrow()));
        return map;
    }

    @Test
    @DisplayName("catches up, follows live appends, counts each application event once, and leaves snapshot streams out")
    void countsEveryEventOnce() throws Exception {
        List<Event> backlog = append(5, 10);
        EventStreamSnapshotStore.create(store).write(new Snapshot(TypeId.newV4("item"), 1, Instant.now(), new byte[1], ""));
        SqliteProjectionRunner runner = start(CountingReadModel::apply, options());
        assertThat(runner.awaitCaughtUp(WAIT)).isTrue();
        // The snapshot event at 51 is not the projection's: its position is that of its last event.
        assertThat(runner.caughtUpPosition()).isEqualTo(50);
        assertThat(CountingReadModel.counter(store)).isEqualTo(50);
        assertThat(CountingReadModel.seen(store)).isEqualTo(positions(backlog));
        assertThat(SqliteCheckpointStore.of(store).load(ID).orElseThrow().position()).isEqualTo(50);

        List<Event> live = append(1, 3);
        long last = live.get(2).globalPosition().orElseThrow();
        // Woken by the append notification; the poll interval is the safety net.
        until(() -> runner.position() >= last);
        assertThat(CountingReadModel.counter(store)).isEqualTo(53);
        ProjectionStatus status = runner.status();
        assertThat(status.state()).isEqualTo(State.LIVE);
        assertThat(status.checkpoint()).isEqualTo(last);
        assertThat(status.lagEvents()).isZero();
        assertThat(status.handled()).isEqualTo(53);
        runner.close();
        assertThat(runner.status().state()).isEqualTo(State.STOPPED);
    }

    @Test
    @DisplayName("a restarted runner resumes after its committed checkpoint")
    void resumes() throws Exception {
        append(2, 5);
        SqliteProjectionRunner first = start(CountingReadModel::apply, options());
        assertThat(first.awaitCaughtUp(WAIT)).isTrue();
        first.close();
        List<Event> more = append(1, 4);
        SqliteProjectionRunner second = start(CountingReadModel::apply, options());
        assertThat(second.awaitCaughtUp(WAIT)).isTrue();
        assertThat(second.caughtUpPosition()).isEqualTo(more.get(3).globalPosition().orElseThrow());
        assertThat(second.status().handled()).isEqualTo(4);
        assertThat(CountingReadModel.counter(store)).isEqualTo(14);
    }

    @Test
    @DisplayName("a handler failure undoes that event's writes, commits the events before it with their checkpoint, and stops")
    void failureStops() throws Exception {
        List<Event> events = append(1, 20);
        Event poisoned = events.get(10);
        SqliteProjectionRunner runner = start((tx, event) -> {
            CountingReadModel.apply(tx, event);
            if (event.id().equals(poisoned.id())) {
                throw new IllegalStateException("poisoned");
            }
        }, options());
        assertThat(runner.awaitCaughtUp(WAIT)).isFalse();
        assertThat(runner.status().state()).isEqualTo(State.FAILED);
        assertThat(runner.failure()).get().extracting(Throwable::getMessage).isEqualTo("poisoned");
        long before = events.get(9).globalPosition().orElseThrow();
        assertThat(runner.position()).isEqualTo(before);
        assertThat(SqliteCheckpointStore.of(store).load(ID).orElseThrow().position()).isEqualTo(before);
        assertThat(CountingReadModel.counter(store)).isEqualTo(10);
        assertThat(CountingReadModel.seen(store)).doesNotContainKey(poisoned.id().uuid()).hasSize(10);
        assertThat(runner.status().failures()).singleElement()
                .satisfies(f -> assertThat(f.eventId()).isEqualTo(poisoned.id()));
    }

    @Test
    @DisplayName("with continueOnError a failed event is recorded, its writes undone, and the runner goes on")
    void continueOnError() throws Exception {
        List<Event> events = append(1, 20);
        Event poisoned = events.get(3);
        SqliteProjectionRunner runner = start((tx, event) -> {
            CountingReadModel.apply(tx, event);
            if (event.id().equals(poisoned.id())) {
                throw new IllegalStateException("poisoned");
            }
        }, options().continueOnError(true));
        assertThat(runner.awaitCaughtUp(WAIT)).isTrue();
        assertThat(runner.position()).isEqualTo(events.get(19).globalPosition().orElseThrow());
        assertThat(CountingReadModel.counter(store)).isEqualTo(19);
        assertThat(CountingReadModel.seen(store)).doesNotContainKey(poisoned.id().uuid());
        assertThat(runner.status().failures()).hasSize(1);
        assertThat(runner.status().handled()).isEqualTo(19);
    }

    @Test
    @DisplayName("a checkpoint moved by someone else fails the runner with nothing of its batch written")
    void checkpointGuard() throws Exception {
        append(1, 5);
        SqliteProjectionRunner runner = start(CountingReadModel::apply, options());
        assertThat(runner.awaitCaughtUp(WAIT)).isTrue();
        // As another runner of the same projection, or a rebuild, would.
        SqliteCheckpointStore.of(store).save(ID, 2);
        append(1, 1);
        until(() -> runner.state() == State.FAILED);
        assertThat(runner.failure()).get().extracting(Throwable::getMessage).asString()
                .contains("moved outside this runner").contains("expected position 5, found 2");
        assertThat(CountingReadModel.counter(store)).isEqualTo(5);
        assertThat(SqliteCheckpointStore.of(store).load(ID).orElseThrow().position()).isEqualTo(2);
    }

    @Test
    @DisplayName("a handler that tries to end the transaction fails, and nothing of the batch is written")
    void handlerCannotCommit() throws Exception {
        append(1, 3);
        SqliteProjectionRunner runner = start((tx, event) -> {
            CountingReadModel.apply(tx, event);
            try (var s = tx.createStatement()) {
                s.executeUpdate("SELECT 1; COMMIT");
            }
        }, options());
        assertThat(runner.awaitCaughtUp(WAIT)).isFalse();
        assertThat(runner.status().state()).isEqualTo(State.FAILED);
        assertThat(runner.failure()).get().isInstanceOf(IllegalStateException.class);
        assertThat(SqliteCheckpointStore.of(store).load(ID)).isEmpty();
        // Still usable: the writer went on.
        assertThat(store.appendStream(TypeId.newV4("item"), List.of(WritableEvent.json("counted", "{}")))).hasSize(1);
    }

    @Test
    @DisplayName("a runner starts once; one closed before starting is stopped")
    void lifecycle() throws Exception {
        SqliteProjectionRunner runner = start(CountingReadModel::apply, options());
        assertThatThrownBy(runner::start).isInstanceOf(IllegalStateException.class);
        assertThat(runner.awaitCaughtUp(WAIT)).isTrue();
        assertThat(runner.caughtUpPosition()).isZero();
        assertThat(SqliteCheckpointStore.of(store).load(ID).orElseThrow().position()).isZero();
        SqliteProjectionRunner idle = SqliteProjectionRunner.create(store, ProjectionId.of("idle", 1),
                CountingReadModel::apply);
        assertThat(idle.status().state()).isEqualTo(State.NEW);
        idle.close();
        assertThat(idle.status().state()).isEqualTo(State.STOPPED);
        try (StreamIterator all = store.readAll()) {
            assertThat(all.hasNext()).isFalse();
        }
    }

    @Test
    @DisplayName("a runner idle at the head fails rather than overwrite a checkpoint moved by someone else")
    void heartbeatKeepsTheGuard() throws Exception {
        append(1, 5);
        SqliteProjectionRunner runner = start(CountingReadModel::apply, options());
        assertThat(runner.awaitCaughtUp(WAIT)).isTrue();
        // A rebuild or a second runner moves the checkpoint; no event follows, so only the heartbeat writes.
        SqliteCheckpointStore.of(store).save(ID, 2);
        until(() -> runner.state() == State.FAILED);
        assertThat(runner.failure()).get().extracting(Throwable::getMessage).asString()
                .contains("moved outside this runner");
        assertThat(SqliteCheckpointStore.of(store).load(ID).orElseThrow().position()).isEqualTo(2);
    }
}
