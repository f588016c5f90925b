package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many writers in two store instances (standing for two processes), some holding their
 * transaction open until readers have polled past them, some rolling back, plus a session idle in
 * transaction; three readers tail the global feed. Every committed event must be seen exactly once
 * by every reader, in strictly increasing positions, and no rolled-back event ever.
 */
class TortureTest {

    private static final int WRITERS = 16;
    private static final int APPENDS_PER_WRITER = 30;
    private static final int READERS = 3;

    private final TestDatabase db = TestDatabase.get();
    private final AtomicLong readerPolls = new AtomicLong();
    private final Object pollMonitor = new Object();

    @Test
    @Timeout(60)
    void everyCommittedEventSeenOnceByEveryReaderAndNoRolledBackEventEver() throws Exception {
        String schema = TestDatabase.randomSchema();
        PostgresOptions options = PostgresOptions.defaults().withSchema(schema).withFeedCheckInterval(Duration.ZERO)
                .withWriterLanes(3).withReadSettleTimeout(Duration.ZERO);
        Set<UUID> rolledBack = ConcurrentHashMap.newKeySet();
        Set<TypeId> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicInteger slowHeld = new AtomicInteger();
        try (PostgresEventStore first = PostgresEventStore.open(db.dataSource(), options);
                PostgresEventStore second = PostgresEventStore.open(db.dataSource(), options);
                PostgresEventStore readStore = PostgresEventStore.open(db.dataSource(), options);
                Connection idle = db.rawConnection()) {
            GroupCommitter.AppendHook hook = (stream, written) -> {
                String mode = written.get(0).metadata().getOrDefault("mode", "normal");
                if (mode.equals("slow")) {
                    // Keep the transaction open until the readers have polled a few times past it.
                    slowHeld.incrementAndGet();
                    awaitPolls(3);
                } else if (mode.equals("rollback")) {
                    throw new IllegalStateException("rollback requested by the test");
                }
            };
            first.setAppendHook(hook);
            second.setAppendHook(hook);

            AtomicBoolean writersDone = new AtomicBoolean();
            CountDownLatch halfDone = new CountDownLatch(WRITERS / 2);
            ExecutorService pool = Executors.newFixedThreadPool(WRITERS + READERS);
            try {
                // A session that takes a transaction ID and idles in its transaction for a while.
                idle.setAutoCommit(false);
                try (Statement s = idle.createStatement()) {
                    s.executeQuery("SELECT pg_current_xact_id()").close();
                }

                List<Future<List<Event>>> readers = new ArrayList<>();
                for (int r = 0; r < READERS; r++) {
                    readers.add(pool.submit(() -> tail(readStore, writersDone, acknowledged)));
                }
                CyclicBarrier start = new CyclicBarrier(WRITERS);
                List<Future<?>> writers = new ArrayList<>();
                for (int w = 0; w < WRITERS; w++) {
                    int writer = w;
                    PostgresEventStore store = w % 2 == 0 ? first : second;
                    writers.add(pool.submit(() -> {
                        start.await(30, TimeUnit.SECONDS);
                        for (int i = 0; i < APPENDS_PER_WRITER; i++) {
                            String mode = writer % 4 == 0 && i % 5 == 0 ? "slow"
                                    : writer % 4 == 1 && i % 4 == 0 ? "rollback" : "normal";
                            List<WritableEvent> batch = new ArrayList<>();
                            for (int k = 0; k < 1 + i % 3; k++) {
                                batch.add(WritableEvent.of("tortured",
                                        ("{\"w\":" + writer + ",\"i\":" + i + "}").getBytes(StandardCharsets.UTF_8))
                                        .withMetadata("mode", mode).withEventId(UUID.randomUUID()));
                            }
                            TypeId stream = TypeId.newV4("torture");
                            try {
                                for (Event e : store.appendStream(stream, batch, AppendStreamOptions.defaults())) {
                                    acknowledged.add(e.id());
                                }
                                assertThat(mode).isNotEqualTo("rollback");
                            } catch (IllegalStateException e) {
                                assertThat(mode).isEqualTo("rollback");
                                batch.forEach(ev -> rolledBack.add(ev.eventId().orElseThrow()));
                            }
                        }
                        halfDone.countDown();
                        return null;
                    }));
                }
                assertThat(halfDone.await(40, TimeUnit.SECONDS)).isTrue();
                idle.commit();
                for (Future<?> f : writers) {
                    f.get(40, TimeUnit.SECONDS);
                }
                writersDone.set(true);
                for (Future<List<Event>> reader : readers) {
                    List<Event> seen = reader.get(40, TimeUnit.SECONDS);
                    List<Long> positions = seen.stream().map(e -> e.globalPosition().orElseThrow()).toList();
                    for (int i = 1; i < positions.size(); i++) {
                        assertThat(positions.get(i)).isGreaterThan(positions.get(i - 1));
                    }
                    Set<TypeId> ids = new HashSet<>();
                    for (Event e : seen) {
                        assertThat(ids.add(e.id())).as("seen once: %s", e).isTrue();
                        assertThat(rolledBack).doesNotContain(e.id().uuid());
                    }
                    assertThat(ids).isEqualTo(acknowledged);
                }
            } finally {
                writersDone.set(true);
                synchronized (pollMonitor) {
                    readerPolls.addAndGet(1000);
                    pollMonitor.notifyAll();
                }
                pool.shutdownNow();
            }
            assertThat(rolledBack).isNotEmpty();
            assertThat(slowHeld.get()).isPositive();
            assertThat(acknowledged).hasSizeGreaterThan(WRITERS * APPENDS_PER_WRITER / 2);
        } finally {
            db.dropSchema(schema);
        }
    }

    /** Tails the feed from its last position; after the writers finish, reads until it has everything. */
    private List<Event> tail(PostgresEventStore store, AtomicBoolean writersDone, Set<TypeId> acknowledged) {
        List<Event> seen = new ArrayList<>();
        long last = 0;
        long deadline = Long.MAX_VALUE;
        while (true) {
            boolean done = writersDone.get();
            try (StreamIterator it = store.readAll(ReadAllOptions.after(last).count(50))) {
                while (it.hasNext()) {
                    Event e = it.next();
                    seen.add(e);
                    last = e.globalPosition().orElseThrow();
                }
            }
            synchronized (pollMonitor) {
                readerPolls.incrementAndGet();
                pollMonitor.notifyAll();
            }
            if (done) {
                if (seen.size() >= acknowledged.size()) {
                    return seen;
                }
                // Another session of the cluster may briefly hold the watermark; keep polling, bounded.
                if (deadline == Long.MAX_VALUE) {
                    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                } else if (System.nanoTime() > deadline) {
                    return seen;
                }
            }
            Thread.onSpinWait();
        }
    }

    private void awaitPolls(int polls) {
        long target = readerPolls.get() + polls;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        synchronized (pollMonitor) {
            while (readerPolls.get() < target && System.nanoTime() < deadline) {
                try {
                    pollMonitor.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
