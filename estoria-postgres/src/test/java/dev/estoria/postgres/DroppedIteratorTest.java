package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.time.Duration;
import java.util.List;
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

    @Test
    void iteratorsDroppedUnclosedGiveTheirConnectionsBackOnceCollected() throws Exception {
        PostgresOptions options = PostgresOptions.defaults().withSchema(TestDatabase.randomSchema())
                .withFeedCheckInterval(Duration.ZERO);
        try (HikariDataSource pool = db.plainPool(4); PostgresEventStore store = PostgresEventStore.open(pool, options)) {
            TypeId stream = TypeId.newV7("account");
            store.appendStream(stream, List.of(WritableEvent.of("opened", new byte[] {1}),
                    WritableEvent.of("deposited", new byte[] {2}), WritableEvent.of("deposited", new byte[] {3})));
            readOneAndDrop(store);
            assertThat(store.openIteratorCount()).as("the dropped iterators hold their connections").isEqualTo(2);
            assertThat(pool.getHikariPoolMXBean().getActiveConnections()).isEqualTo(2);

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

    /**
     * Opens two global reads (short stream reads are read whole at once, and hold no connection),
     * reads one event of each and drops both.
     */
    private static void readOneAndDrop(PostgresEventStore store) {
        for (int i = 0; i < 2; i++) {
            StreamIterator all = store.readAll(ReadAllOptions.defaults());
            assertThat(all.next().streamVersion()).isEqualTo(1);
        }
    }
}
