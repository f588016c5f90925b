package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An iterator dropped without being drained or closed gives its connection back to the pool once it
 * is garbage-collected, so a few forgotten iterators do not exhaust the pool for as long as the
 * store is open.
 */
@Timeout(120)
class DroppedIteratorTest {

    private final TestDatabase db = TestDatabase.get();
    /** The dropped iterators, kept reachable until the test has seen them open, then let go. */
    private final List<StreamIterator> held = new ArrayList<>();

    @Test
    void iteratorsDroppedUnclosedGiveTheirConnectionsBackOnceCollected() throws Exception {
        PostgresOptions options = PostgresOptions.defaults().withSchema(TestDatabase.randomSchema())
                .withFeedCheckInterval(Duration.ZERO);
        // The writer gives its connection back after the append returns, and here slowly.
        try (HikariDataSource pool = db.plainPool(4);
                PostgresEventStore store = PostgresEventStore.open(slowToGiveBack(pool, "estoria-writer-", null), options)) {
            TypeId stream = TypeId.newV7("account");
            store.appendStream(stream, List.of(WritableEvent.of("opened", new byte[] {1}),
                    WritableEvent.of("deposited", new byte[] {2}), WritableEvent.of("deposited", new byte[] {3})));
            // The append returns before the writer's connection is back in the pool.
            long back = System.nanoTime() + 30_000_000_000L;
            while (pool.getHikariPoolMXBean().getActiveConnections() > 0) {
                assertThat(System.nanoTime() - back).as("the writer's connection is back within 30 s").isNegative();
                Thread.sleep(10); // polling an outcome, not ordering threads
            }
            readOneAndDrop(store, 2);
            assertThat(store.openIteratorCount()).as("the dropped iterators hold their connections").isEqualTo(2);
            assertThat(pool.getHikariPoolMXBean().getActiveConnections()).isEqualTo(2);
            held.clear();

            long deadline = System.nanoTime() + 60_000_000_000L;
            while (store.openIteratorCount() > 0) {
                assertThat(System.nanoTime() - deadline).as("the reads ended within 60 s of collections").isNegative();
                System.gc();
                Thread.sleep(10); // polling an outcome of the collector, not ordering threads
            }
            assertThat(pool.getHikariPoolMXBean().getActiveConnections()).isZero();
            // The connections went back usable: reads and appends go on.
            store.appendStream(stream, List.of(WritableEvent.of("deposited", new byte[] {4})));
            try (StreamIterator events = store.readStream(stream, ReadStreamOptions.defaults())) {
                assertThat(events.toList()).hasSize(4);
            }
            assertThat(store.openIteratorCount()).isZero();
        }
    }

    @Test
    void aDroppedIteratorCountsAsOpenUntilItsConnectionIsBackInThePool() throws Exception {
        PostgresOptions options = PostgresOptions.defaults().withSchema(TestDatabase.randomSchema())
                .withFeedCheckInterval(Duration.ZERO);
        AtomicInteger givenBack = new AtomicInteger();
        try (HikariDataSource pool = db.plainPool(4);
                PostgresEventStore store = PostgresEventStore.open(
                        slowToGiveBack(pool, "estoria-postgres-cursor-cleaner", givenBack), options)) {
            TypeId stream = TypeId.newV7("account");
            store.appendStream(stream, List.of(WritableEvent.of("opened", new byte[] {1}),
                    WritableEvent.of("deposited", new byte[] {2})));
            readOneAndDrop(store, 1);
            assertThat(store.openIteratorCount()).isEqualTo(1);
            held.clear();

            long deadline = System.nanoTime() + 60_000_000_000L;
            while (store.openIteratorCount() > 0) {
                assertThat(System.nanoTime() - deadline).as("the read ended within 60 s of collections").isNegative();
                System.gc();
                Thread.sleep(10); // polling an outcome of the collector, not ordering threads
            }
            assertThat(givenBack.get()).as("connections given back once no iterator counts as open").isEqualTo(1);
        }
    }

    /**
     * {@code pool}, whose connections go back slowly (half a second, as over a slow network) when a
     * thread whose name starts with {@code threadPrefix} closes them; {@code givenBack}, if given,
     * counts them once they are back.
     */
    private static DataSource slowToGiveBack(DataSource pool, String threadPrefix, AtomicInteger givenBack) {
        return (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    Object result = call(pool, method, args);
                    if (!(result instanceof Connection c)) {
                        return result;
                    }
                    return Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                            (connection, m, a) -> {
                                if (!m.getName().equals("close")
                                        || !Thread.currentThread().getName().startsWith(threadPrefix)) {
                                    return call(c, m, a);
                                }
                                Thread.sleep(500);
                                call(c, m, a);
                                if (givenBack != null) {
                                    givenBack.incrementAndGet();
                                }
                                return null;
                            });
                });
    }

    private static Object call(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /**
     * Opens global reads (short stream reads are read whole at once, and hold no connection),
     * reads one event of each and drops them.
     */
    private void readOneAndDrop(PostgresEventStore store, int reads) {
        for (int i = 0; i < reads; i++) {
            StreamIterator all = store.readAll(ReadAllOptions.defaults());
            assertThat(all.next().streamVersion()).isEqualTo(1);
            held.add(all);
        }
    }
}
