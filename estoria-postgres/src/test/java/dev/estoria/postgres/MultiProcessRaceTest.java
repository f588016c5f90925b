package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ExpectedVersion;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamVersionMismatchException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Same-stream races between store instances standing for separate processes: they meet only in
 * PostgreSQL (stream row locks, the event UUID index), not in a shared writer lane.
 */
@Timeout(90)
class MultiProcessRaceTest {

    private static final int THREADS = 12;

    private final TestDatabase db = TestDatabase.get();
    private final List<PostgresEventStore> stores = new ArrayList<>();
    private String schema;

    @BeforeEach
    void open() {
        schema = TestDatabase.randomSchema();
        PostgresOptions options = PostgresOptions.defaults().withSchema(schema).withFeedCheckInterval(Duration.ZERO);
        for (int i = 0; i < 3; i++) {
            stores.add(PostgresEventStore.open(db.dataSource(), options));
        }
    }

    @AfterEach
    void close() {
        stores.forEach(PostgresEventStore::close);
        db.dropSchema(schema);
    }

    private interface Task<T> {
        T run(int thread, PostgresEventStore store) throws Exception;
    }

    private <T> List<T> race(Task<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                futures.add(pool.submit(() -> task.run(thread, stores.get(thread % stores.size()))));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get(60, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void exactlyOneWinnerPerVersionAndLosersSeeTheActualVersion() throws Exception {
        TypeId stream = TypeId.newV4("race");
        int rounds = 15;
        CyclicBarrier barrier = new CyclicBarrier(THREADS);
        List<List<Object>> outcomes = race((thread, store) -> {
            List<Object> mine = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                barrier.await(30, TimeUnit.SECONDS);
                WritableEvent e = WritableEvent.of("raced", ("" + thread + "/" + round).getBytes(StandardCharsets.UTF_8));
                try {
                    mine.add(store.appendStream(stream, List.of(e), AppendStreamOptions.expectingVersion(round)).get(0));
                } catch (StreamVersionMismatchException m) {
                    mine.add(m);
                }
                barrier.await(30, TimeUnit.SECONDS);
            }
            return mine;
        });
        List<Event> winners = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            int wins = 0;
            for (List<Object> mine : outcomes) {
                if (mine.get(round) instanceof Event e) {
                    wins++;
                    winners.add(e);
                    assertThat(e.streamVersion()).isEqualTo(round + 1);
                } else {
                    StreamVersionMismatchException m = (StreamVersionMismatchException) mine.get(round);
                    assertThat(m.expected()).isEqualTo(ExpectedVersion.exact(round));
                    assertThat(m.actualVersion()).isEqualTo(round + 1);
                }
            }
            assertThat(wins).as("winners of round %d", round).isEqualTo(1);
        }
        assertThat(stores.get(0).readStream(stream, ReadStreamOptions.defaults()).toList()).containsExactlyElementsOf(winners);
    }

    @Test
    void concurrentRetriesAcrossProcessesWriteOnceAndAllReturnTheStoredEvents() throws Exception {
        TypeId stream = TypeId.newV4("retry");
        List<WritableEvent> batch = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            batch.add(WritableEvent.of("retried", new byte[] {(byte) i}).withEventId(UUID.randomUUID()));
        }
        CyclicBarrier start = new CyclicBarrier(THREADS);
        List<List<Event>> results = race((thread, store) -> {
            start.await(30, TimeUnit.SECONDS);
            return store.appendStream(stream, batch, AppendStreamOptions.defaults());
        });
        List<Event> stored = stores.get(0).readStream(stream, ReadStreamOptions.defaults()).toList();
        assertThat(stored).hasSize(3);
        for (List<Event> r : results) {
            assertThat(r).containsExactlyElementsOf(stored);
        }
    }

    @Test
    void sameIdsRacingIntoDifferentStreamsLandInExactlyOne() throws Exception {
        List<WritableEvent> batch = List.of(WritableEvent.of("contested", new byte[] {1}).withEventId(UUID.randomUUID()));
        CyclicBarrier start = new CyclicBarrier(THREADS);
        List<Object> results = race((thread, store) -> {
            start.await(30, TimeUnit.SECONDS);
            TypeId stream = TypeId.newV4("contest");
            try {
                return store.appendStream(stream, batch, AppendStreamOptions.defaults());
            } catch (dev.estoria.eventstore.DuplicateEventIdException e) {
                return e;
            }
        });
        long wins = results.stream().filter(r -> r instanceof List<?>).count();
        assertThat(wins).isEqualTo(1);
    }
}
