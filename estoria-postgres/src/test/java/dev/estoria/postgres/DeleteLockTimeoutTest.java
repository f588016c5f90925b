package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.zaxxer.hikari.HikariDataSource;
import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Over a caller's DataSource the store sets the statement and lock timeouts per transaction; a
 * deletion, which takes the stream row's lock, must not wait without bound for a row another
 * transaction holds.
 */
@Timeout(60)
class DeleteLockTimeoutTest {

    private final TestDatabase db = TestDatabase.get();

    @Test
    void deleteOfALockedStreamFailsWithinTheLockTimeoutWithTheCallersPool() throws Exception {
        String schema = TestDatabase.randomSchema();
        PostgresOptions options = PostgresOptions.defaults().withSchema(schema).withFeedCheckInterval(Duration.ZERO)
                .withStatementTimeout(Duration.ofSeconds(1)); // lock timeout 500 ms
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try (HikariDataSource callers = db.plainPool(4);
                PostgresEventStore store = PostgresEventStore.open(callers, options);
                Connection locker = db.rawConnection()) {
            TypeId stream = TypeId.newV4("locked");
            store.appendStream(stream, List.of(WritableEvent.of("e", new byte[] {1})));
            // Another session (another process's transaction, left open) holds the stream's row.
            locker.setAutoCommit(false);
            try (PreparedStatement s = locker.prepareStatement("SELECT tip FROM \"" + schema
                    + "\".streams WHERE stream_uuid = ? FOR UPDATE")) {
                s.setObject(1, stream.uuid());
                s.executeQuery().close();
            }
            // For comparison: an append to the same stream gives up after the lock timeout.
            long start = System.nanoTime();
            try {
                store.appendStream(stream, List.of(WritableEvent.of("e", new byte[] {2})));
                fail("append to a locked stream succeeded");
            } catch (EventStoreException expected) {
                assertThat(expected).hasMessageContaining("lock timeout");
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));

            start = System.nanoTime();
            Future<?> delete = caller.submit(() -> store.deleteStream(stream, DeleteStreamOptions.wholeStream()));
            try {
                delete.get(10, TimeUnit.SECONDS);
                fail("delete of a locked stream succeeded");
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(EventStoreException.class).hasMessageContaining("lock timeout");
            } catch (TimeoutException e) {
                fail("deleteStream still waiting for the row lock after "
                        + Duration.ofNanos(System.nanoTime() - start).toMillis()
                        + " ms; lockTimeout is " + options.lockTimeout().toMillis() + " ms, statementTimeout "
                        + options.statementTimeout().toMillis() + " ms");
            } finally {
                locker.rollback();
                try {
                    delete.get(30, TimeUnit.SECONDS);
                } catch (ExecutionException ignored) {
                    // decided either way once the lock is gone
                }
            }
        } finally {
            caller.shutdownNow();
            db.dropSchema(schema);
        }
    }
}
