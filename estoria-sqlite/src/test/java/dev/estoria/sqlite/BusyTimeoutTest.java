package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The busy timeout bounds a write's wait for another process's lock from the write's call: a write
 * queued behind others that already waited for the lock does not start a whole wait of its own.
 */
class BusyTimeoutTest {

    @TempDir
    Path directory;

    @Test
    void writesQueuedBehindAWaitingTransactionFailWithinTheBusyTimeout() throws Exception {
        Path file = directory.resolve("busy.db");
        Duration busy = Duration.ofSeconds(2);
        ExecutorService pool = Executors.newCachedThreadPool();
        try (SqliteEventStore store = SqliteEventStore.open(file, SqliteOptions.defaults().withBusyTimeout(busy));
                Connection otherProcess = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            Semaphore enqueued = watchQueue(store);
            lockOut(otherProcess);
            Future<Long> first = pool.submit(() -> timedAppendFailure(store));
            awaitWaitingForTheLock(store, enqueued);
            // Queued behind it: work that runs in a transaction of its own, then another append.
            Future<Long> alone = pool.submit(() -> timedFailure(() -> store.inWriteTransaction(c -> null)));
            assertThat(enqueued.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
            Future<Long> last = pool.submit(() -> timedAppendFailure(store));
            assertThat(enqueued.tryAcquire(10, TimeUnit.SECONDS)).isTrue();

            // Without the bound these fail after about 2, 4 and 6 seconds.
            long bound = busy.toMillis() + 1_000;
            assertThat(first.get(30, TimeUnit.SECONDS)).isLessThan(bound);
            assertThat(alone.get(30, TimeUnit.SECONDS)).isLessThan(bound);
            assertThat(last.get(30, TimeUnit.SECONDS)).isLessThan(bound);

            otherProcess.createStatement().execute("ROLLBACK");
            // The lock is free again: the next write gets the whole timeout, and needs none of it.
            append(store);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void writesQueuedEarlyAndLateInAWaitEachFailAtTheirOwnTimeout() throws Exception {
        Path file = directory.resolve("old.db");
        Duration busy = Duration.ofSeconds(2);
        ExecutorService pool = Executors.newCachedThreadPool();
        try (SqliteEventStore store = SqliteEventStore.open(file, SqliteOptions.defaults().withBusyTimeout(busy));
                Connection otherProcess = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            Semaphore enqueued = watchQueue(store);
            lockOut(otherProcess);
            Future<Long> first = pool.submit(() -> timedAppendFailure(store));
            awaitWaitingForTheLock(store, enqueued);
            long firstWaiting = System.nanoTime();
            // Called while the store is already kept from the lock: it has what is left of its own timeout.
            Future<Long> old = pool.submit(() -> timedAppendFailure(store));
            assertThat(enqueued.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
            // Not a synchronisation: the young write must be called well into the first one's wait.
            while (System.nanoTime() - firstWaiting < TimeUnit.MILLISECONDS.toNanos(1_500)) {
                Thread.onSpinWait();
            }
            assertThat(first.isDone()).as("the first append still waits").isFalse();
            Future<Long> young = pool.submit(() -> timedAppendFailure(store));
            assertThat(enqueued.tryAcquire(10, TimeUnit.SECONDS)).isTrue();

            // old and young share the next transaction: old fails at its own timeout, young waits on
            // for the rest of its own.
            assertThat(old.get(30, TimeUnit.SECONDS)).as("old write's wait, ms").isLessThan(busy.toMillis() + 700);
            assertThat(young.get(30, TimeUnit.SECONDS)).as("young write's wait, ms")
                    .isGreaterThanOrEqualTo(busy.toMillis() - 300);
            otherProcess.createStatement().execute("ROLLBACK");
            append(store);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Releases a permit each time a write is queued. */
    private static Semaphore watchQueue(SqliteEventStore store) {
        append(store);
        Semaphore enqueued = new Semaphore(0);
        store.setWriterHooks(new GroupCommitWriter.Hooks() {
            @Override
            public void enqueued() {
                enqueued.release();
            }
        });
        return enqueued;
    }

    /** Takes the file's write lock, as another process would, and keeps it until ROLLBACK. */
    private static void lockOut(Connection otherProcess) throws Exception {
        try (Statement s = otherProcess.createStatement()) {
            s.execute("BEGIN IMMEDIATE");
        }
    }

    /** Waits until the write just submitted is queued and its transaction waits for the lock. */
    private static void awaitWaitingForTheLock(SqliteEventStore store, Semaphore enqueued) throws Exception {
        assertThat(enqueued.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!store.writeConnectionHeld()) {
            assertThat(System.nanoTime()).as("the first write waits for the lock").isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    private static void append(SqliteEventStore store) {
        store.appendStream(TypeId.newV4("busy"), List.of(WritableEvent.json("e", "{}")));
    }

    /** Runs an append that must fail for the lock, and names its stream; returns how long it took. */
    private static long timedAppendFailure(SqliteEventStore store) {
        TypeId stream = TypeId.newV4("busy");
        return timedFailure(() -> store.appendStream(stream, List.of(WritableEvent.json("e", "{}"))),
                "append to " + stream + ": cannot start a write transaction");
    }

    private static long timedFailure(Runnable write) {
        return timedFailure(write, "cannot start a write transaction");
    }

    /** Runs a write that must fail for the lock; returns how long it took, in milliseconds. */
    private static long timedFailure(Runnable write, String saying) {
        long start = System.nanoTime();
        try {
            write.run();
        } catch (EventStoreException expected) {
            assertThat(expected).hasMessageContaining(saying).hasMessageContaining("nothing was written");
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        }
        throw new AssertionError("the write succeeded while another process held the lock");
    }
}
