package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.WritableEvent;
import dev.estoria.projection.Checkpoint;
import dev.estoria.projection.ProjectionId;
import dev.estoria.projection.ProjectionStatus.State;
import dev.estoria.typeid.TypeId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runner's handler runs on the store's writer thread while the runner's own thread waits for
 * that batch: a close() from the handler cannot wait for the runner's thread. It must return at once
 * (the batch then commits and the runner stops), not deadlock for 35 seconds with every write of the
 * store stuck behind it.
 */
@Timeout(120)
class RunnerCloseFromHandlerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final ProjectionId ID = ProjectionId.of("self_closing", 1);

    @TempDir
    Path directory;

    private SqliteEventStore store;

    @BeforeEach
    void open() {
        store = SqliteEventStore.open(directory.resolve("events.db"));
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    @Test
    void aHandlerThatClosesItsRunnerStopsItAtOnce() throws Exception {
        store.appendStream(TypeId.newV4("account"), List.of(WritableEvent.of("opened", new byte[] {1})));
        SqliteProjectionRunner[] runner = new SqliteProjectionRunner[1];
        CompletableFuture<Long> closeTook = new CompletableFuture<>();
        runner[0] = SqliteProjectionRunner.create(store, ID, (transaction, event) -> {
            long start = System.nanoTime();
            try {
                runner[0].close();
                closeTook.complete(System.nanoTime() - start);
            } catch (Throwable e) {
                closeTook.completeExceptionally(e);
            }
        });
        runner[0].start();

        // Before the fix close() waited 30 s for the runner's thread, which waited for this very
        // batch, then interrupted it and gave up 5 s later.
        assertThat(closeTook.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isLessThan(TimeUnit.SECONDS.toNanos(5));
        awaitTrue("the runner stopped", () -> runner[0].state() == State.STOPPED);
        assertThat(runner[0].failure()).isEmpty();
        // The batch the handler closed from committed with its checkpoint.
        assertThat(SqliteCheckpointStore.of(store).load(ID)).get().extracting(Checkpoint::position).isEqualTo(1L);
        awaitTrue("the runner's thread ended", () -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.isAlive() && t.getName().equals("estoria-sqlite-projection-" + ID)));
        // The store still writes.
        store.appendStream(TypeId.newV4("account"), List.of(WritableEvent.of("opened", new byte[] {2})));
        runner[0].close();
    }

    /**
     * A runner never started is STOPPED once closed, wherever close() is called from: closed from
     * work inside the store's write transaction it stayed NEW, so anything waiting for it to stop
     * (or checking that it did) never saw it, unlike the same close called from outside.
     */
    @Test
    void aRunnerNeverStartedIsStoppedWhenClosedFromInsideAWriteTransaction() throws Exception {
        SqliteProjectionRunner outside = SqliteProjectionRunner.create(store, ProjectionId.of("outside", 1),
                (transaction, event) -> { });
        outside.close();
        assertThat(outside.state()).isEqualTo(State.STOPPED);

        SqliteProjectionRunner inside = SqliteProjectionRunner.create(store, ID, (transaction, event) -> { });
        store.inWriteTransaction(connection -> {
            try {
                inside.close();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            return null;
        });
        assertThat(inside.state()).isEqualTo(State.STOPPED);
    }
}
