package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two processes' group transactions lock the same two streams in opposite orders. PostgreSQL
 * breaks the deadlock by failing one statement; only that append is rolled back (to its
 * savepoint) and retried in a later transaction, so every append succeeds.
 *
 * <p>The appends carry their own event IDs, which sends their groups down the savepoint path, the
 * one that locks streams in queue order (the single-statement path locks them in sorted order).
 */
@Timeout(60)
class CrossProcessDeadlockTest {

    private final TestDatabase db = TestDatabase.get();

    @Test
    void deadlockedAppendIsRetriedAndEveryAppendLands() throws Exception {
        String schema = TestDatabase.randomSchema();
        PostgresOptions options = PostgresOptions.defaults().withSchema(schema).withFeedCheckInterval(Duration.ZERO)
                .withWriterLanes(1);
        TypeId s1 = TypeId.newV4("deadlock");
        TypeId s2 = TypeId.newV4("deadlock");
        TypeId gate1 = TypeId.newV4("gate");
        TypeId gate2 = TypeId.newV4("gate");
        CountDownLatch gatesIn = new CountDownLatch(2);
        CountDownLatch openGates = new CountDownLatch(1);
        CountDownLatch firstLocksHeld = new CountDownLatch(2);
        try (PostgresEventStore p1 = PostgresEventStore.open(db.dataSource(), options);
                PostgresEventStore p2 = PostgresEventStore.open(db.dataSource(), options)) {
            AtomicBoolean p1Paused = new AtomicBoolean();
            AtomicBoolean p2Paused = new AtomicBoolean();
            p1.setAppendHook((stream, written) -> pause(stream, gate1, s1, gatesIn, openGates, firstLocksHeld, p1Paused));
            p2.setAppendHook((stream, written) -> pause(stream, gate2, s2, gatesIn, openGates, firstLocksHeld, p2Paused));
            try {
                // Each lane is held by a gate append, so the next two appends queue into one group.
                CompletableFuture<List<Event>> g1 = CompletableFuture.supplyAsync(() -> p1.appendStream(gate1, one()));
                CompletableFuture<List<Event>> g2 = CompletableFuture.supplyAsync(() -> p2.appendStream(gate2, one()));
                assertThat(gatesIn.await(30, TimeUnit.SECONDS)).isTrue();
                CompletableFuture<List<Event>> a1 = CompletableFuture.supplyAsync(() -> p1.appendStream(s1, one()));
                awaitQueued(p1, 1);
                CompletableFuture<List<Event>> a2 = CompletableFuture.supplyAsync(() -> p1.appendStream(s2, one()));
                awaitQueued(p1, 2);
                CompletableFuture<List<Event>> b1 = CompletableFuture.supplyAsync(() -> p2.appendStream(s2, one()));
                awaitQueued(p2, 1);
                CompletableFuture<List<Event>> b2 = CompletableFuture.supplyAsync(() -> p2.appendStream(s1, one()));
                awaitQueued(p2, 2);
                openGates.countDown();
                for (CompletableFuture<List<Event>> f : List.of(g1, g2, a1, a2, b1, b2)) {
                    assertThat(f.get(30, TimeUnit.SECONDS)).hasSize(1);
                }
            } finally {
                openGates.countDown();
                while (firstLocksHeld.getCount() > 0) {
                    firstLocksHeld.countDown();
                }
            }
            assertThat(p1.retriedAppends() + p2.retriedAppends()).as("the deadlock victim was retried").isEqualTo(1);
            assertThat(p1.readStream(s1, ReadStreamOptions.defaults()).toList()).hasSize(2);
            assertThat(p1.readStream(s2, ReadStreamOptions.defaults()).toList()).hasSize(2);
        } finally {
            db.dropSchema(schema);
        }
    }

    /** Holds the gate; then, once, holds the group's first stream lock until the other process holds its own. */
    private static void pause(TypeId stream, TypeId gate, TypeId first, CountDownLatch gatesIn, CountDownLatch openGates,
            CountDownLatch firstLocksHeld, AtomicBoolean paused) {
        if (stream.equals(gate)) {
            gatesIn.countDown();
            WatermarkRegressionTest.await(openGates);
        } else if (stream.equals(first) && paused.compareAndSet(false, true)) {
            firstLocksHeld.countDown();
            WatermarkRegressionTest.await(firstLocksHeld);
        }
    }

    private static List<WritableEvent> one() {
        return List.of(WritableEvent.of("e", new byte[] {1}).withEventId(java.util.UUID.randomUUID()));
    }

    private static void awaitQueued(PostgresEventStore store, int n) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (store.queuedAppends() < n) {
            assertThat(System.nanoTime()).isLessThan(deadline);
            Thread.onSpinWait();
        }
    }
}
