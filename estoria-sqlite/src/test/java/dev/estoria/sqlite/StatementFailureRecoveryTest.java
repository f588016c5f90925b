package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamVersionMismatchException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * sqlite-jdbc finalizes a prepared statement whose step fails with an error such as a full disk or
 * "no transaction is active", after which it only ever fails with "statement is not executing".
 * The writer keeps its statements across transactions, so one such failure must not stop the
 * store from writing, nor leave a transaction open that holds the file's write lock.
 */
class StatementFailureRecoveryTest {

    @TempDir
    Path directory;

    private static List<WritableEvent> one() {
        return List.of(WritableEvent.json("e", "{}"));
    }

    @Test
    void writesGoOnAfterWorkEndedItsTransactionAndALaterAppendFailed() {
        Path file = directory.resolve("events.db");
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            TypeId stream = TypeId.newV4("account");
            store.appendStream(stream, one());
            // The writer's ROLLBACK after this work fails: the work already ended the transaction.
            assertThatThrownBy(() -> store.inWriteTransaction(connection -> {
                try (Statement s = connection.createStatement()) {
                    s.execute("COMMIT");
                }
                return null;
            })).isInstanceOf(IllegalStateException.class);
            // A failure that needs that ROLLBACK again.
            assertThatThrownBy(() -> store.appendStream(stream, one(), AppendStreamOptions.expectingVersion(7)))
                    .isInstanceOf(StreamVersionMismatchException.class);

            store.appendStream(stream, one(), AppendStreamOptions.expectingVersion(1));
            store.appendStream(stream, one(), AppendStreamOptions.expectingVersion(2));
            // No transaction was left open: another connection to the file can write at once.
            try (SqliteEventStore other = SqliteEventStore.open(file,
                    SqliteOptions.defaults().withBusyTimeout(Duration.ofMillis(500)))) {
                other.appendStream(stream, one(), AppendStreamOptions.expectingVersion(3));
            }
            assertThat(versions(store, stream)).containsExactly(1L, 2L, 3L, 4L);
        }
    }

    @Test
    void writesGoOnOnceAFullDiskHasRoomAgain() throws Exception {
        Path file = directory.resolve("full.db");
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            TypeId alone = TypeId.newV4("account");
            store.appendStream(alone, one());
            // The file may grow by a few pages only: SQLite then fails writes with SQLITE_FULL.
            long pages = pragma(store, "page_count");
            pragma(store, "max_page_count = " + (pages + 3));
            byte[] big = new byte[64 * 1024];
            List<WritableEvent> large = List.of(WritableEvent.of("big", big));
            assertThatThrownBy(() -> store.appendStream(alone, large))
                    .isInstanceOf(EventStoreException.class)
                    .hasMessageContaining("full");
            // The same in shared transactions, several appends at a time.
            List<Throwable> groupFailures = appendConcurrently(store, 8, large);
            assertThat(groupFailures).hasSize(8).allSatisfy(t -> assertThat(t).isInstanceOf(EventStoreException.class));

            pragma(store, "max_page_count = 1073741823");
            store.appendStream(alone, large, AppendStreamOptions.expectingVersion(1));
            store.appendStream(alone, one(), AppendStreamOptions.expectingVersion(2));
            assertThat(appendConcurrently(store, 8, large)).isEmpty();
            assertThat(appendConcurrently(store, 8, one())).isEmpty();
            assertThat(versions(store, alone)).containsExactly(1L, 2L, 3L);
        }
    }

    private static long pragma(SqliteEventStore store, String pragma) {
        return store.inWriteTransaction(connection -> {
            try (Statement s = connection.createStatement(); ResultSet rows = s.executeQuery("PRAGMA " + pragma)) {
                return rows.next() ? rows.getLong(1) : -1L;
            }
        });
    }

    /** Appends to fresh streams from {@code writers} threads started together; returns the failures. */
    private static List<Throwable> appendConcurrently(SqliteEventStore store, int writers, List<WritableEvent> events)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                futures.add(pool.submit(() -> {
                    start.await();
                    store.appendStream(TypeId.newV4("account"), events);
                    return null;
                }));
            }
            start.countDown();
            List<Throwable> failures = new ArrayList<>();
            for (Future<?> future : futures) {
                try {
                    future.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    failures.add(e.getCause());
                }
            }
            return failures;
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<Long> versions(SqliteEventStore store, TypeId stream) {
        List<Long> versions = new ArrayList<>();
        try (StreamIterator events = store.readStream(stream)) {
            while (events.hasNext()) {
                Event event = events.next();
                versions.add(event.streamVersion());
            }
        }
        return versions;
    }
}
