package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.zaxxer.hikari.HikariDataSource;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Over a caller's DataSource, whose connections carry no timeout of the store's, reads are bounded
 * by the store's lock and statement timeouts all the same: a read kept waiting by a lock (an {@code
 * ALTER TABLE} or {@code VACUUM FULL} of another session) fails instead of waiting for the lock
 * without bound.
 */
@Timeout(120)
class ReadTimeoutTest {

    private final TestDatabase db = TestDatabase.get();

    @ParameterizedTest(name = "strict positions: {0}")
    @ValueSource(booleans = {false, true})
    void readsKeptWaitingByALockFailWithinTheStatementTimeoutWithTheCallersPool(boolean strict) throws Exception {
        String schema = TestDatabase.randomSchema();
        PostgresOptions options = PostgresOptions.defaults().withSchema(schema).withFeedCheckInterval(Duration.ZERO)
                .withStrictPositions(strict).withReadSettleTimeout(Duration.ZERO)
                .withStatementTimeout(Duration.ofSeconds(1));
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try (HikariDataSource callers = db.plainPool(8);
                PostgresEventStore store = PostgresEventStore.open(callers, options);
                Connection locker = db.rawConnection()) {
            TypeId stream = TypeId.newV4("locked");
            store.appendStream(stream, List.of(WritableEvent.of("e", new byte[] {1})));
            locker.setAutoCommit(false);
            try (Statement s = locker.createStatement()) {
                s.execute("LOCK TABLE \"" + schema + "\".events, \"" + schema + "\".streams, \"" + schema
                        + "\".meta IN ACCESS EXCLUSIVE MODE");
            }
            Map<String, Callable<?>> reads = new LinkedHashMap<>();
            reads.put("readStream", () -> store.readStream(stream, ReadStreamOptions.defaults()).toList());
            reads.put("readAll", () -> store.readAll(ReadAllOptions.defaults()).toList());
            reads.put("headPosition", store::headPosition);
            reads.put("listStreams", store::listStreams);
            try {
                for (Map.Entry<String, Callable<?>> read : reads.entrySet()) {
                    long start = System.nanoTime();
                    Future<?> call = caller.submit(read.getValue());
                    try {
                        call.get(15, TimeUnit.SECONDS);
                        fail(read.getKey() + " succeeded while the tables were locked");
                    } catch (ExecutionException e) {
                        // The lock timeout (half the statement timeout) or the statement timeout.
                        assertThat(e.getCause()).as(read.getKey()).isInstanceOf(EventStoreException.class)
                                .hasMessageMatching("(?s).*(lock timeout|did not answer in time).*");
                    } catch (TimeoutException e) {
                        fail(read.getKey() + " still waiting for the lock after "
                                + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms; statementTimeout is "
                                + options.statementTimeout().toMillis() + " ms");
                    }
                }
            } finally {
                locker.rollback();
            }
            assertThat(store.readStream(stream, ReadStreamOptions.defaults()).toList()).hasSize(1);
        } finally {
            caller.shutdownNow();
            db.dropSchema(schema);
        }
    }
}
