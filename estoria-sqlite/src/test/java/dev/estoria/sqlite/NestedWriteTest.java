package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.StreamInfo;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.projection.ProjectionId;
import dev.estoria.projection.ProjectionStatus.State;
import dev.estoria.snapshot.EventStreamSnapshotStore;
import dev.estoria.snapshot.Snapshot;
import dev.estoria.typeid.TypeId;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store write made from inside work that holds the write transaction would wait for that very
 * transaction: it must fail at once, write nothing, and leave the store serving other writers.
 */
class NestedWriteTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path directory;

    private SqliteEventStore store;
    // Calls run here so that a regression shows as a failed wait, not a hung test run.
    private final ExecutorService callers = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "nested-write-test");
        thread.setDaemon(true);
        return thread;
    });

    @BeforeEach
    void open() {
        store = SqliteEventStore.open(directory.resolve("events.db"));
    }

    @AfterEach
    void close() throws Exception {
        call(() -> {
            store.close();
            return null;
        });
        callers.shutdownNow();
    }

    private <T> T call(Callable<T> callable) throws Exception {
        Future<T> future = callers.submit(callable);
        try {
            return future.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    private static List<WritableEvent> one(String type) {
        return List.of(WritableEvent.of(type, new byte[] {1}));
    }

    @Test
    @DisplayName("an append, a deletion or a snapshot save inside inWriteTransaction fails at once and writes nothing")
    void writesInsideWriteTransactionFail() throws Exception {
        TypeId existing = TypeId.newV4("account");
        store.appendStream(existing, one("opened"));
        TypeId nested = TypeId.newV4("account");
        List<Runnable> writes = List.of(
                () -> store.appendStream(nested, one("opened")),
                () -> store.deleteStream(existing),
                () -> EventStreamSnapshotStore.create(store)
                        .write(new Snapshot(existing, 1, Instant.now(), new byte[] {2}, "")));
        for (Runnable write : writes) {
            assertThatThrownBy(() -> call(() -> store.inWriteTransaction(connection -> {
                write.run();
                return null;
            }))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("from inside work that holds its write transaction")
                    .hasMessageContaining("nothing was written");
        }
        assertThat(store.listStreams()).extracting(StreamInfo::streamId).containsExactly(existing);
        // The store still serves writers, on other threads and on this one.
        call(() -> store.appendStream(nested, one("opened")));
        store.appendStream(existing, one("renamed"));
        try (StreamIterator events = store.readAll()) {
            assertThat(events.toList()).hasSize(3);
        }
    }

    @Test
    @DisplayName("a projection handler that appends fails its runner, and the store goes on serving writers")
    void handlerThatAppendsFailsItsRunner() throws Exception {
        TypeId order = TypeId.newV4("order");
        store.appendStream(order, one("placed"));
        SqliteProjectionRunner runner = SqliteProjectionRunner.create(store, ProjectionId.of("shipping", 1),
                (transaction, event) -> store.appendStream(TypeId.newV4("shipment"), one("requested")));
        try {
            runner.start();
            assertThat(runner.awaitCaughtUp(WAIT)).isFalse();
            assertThat(runner.status().state()).isEqualTo(State.FAILED);
            assertThat(runner.failure()).get().isInstanceOf(IllegalStateException.class);
            call(() -> store.appendStream(TypeId.newV4("other"), one("written")));
            assertThat(store.listStreams()).extracting(info -> info.streamId().type())
                    .containsExactlyInAnyOrder("order", "other");
        } finally {
            call(() -> {
                runner.close();
                return null;
            });
        }
    }
}
