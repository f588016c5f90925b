package dev.estoria.projection;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.typeid.TypeId;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A partition whose lease this worker's own estimate says lapsed (a renewal was slow) while the
 * lease store still holds it is not a failed partition: it stops at the event it may no longer
 * handle, and is taken up again at the next coordination round, without the cool-down a handler
 * failure gets. A handler failure still gets it.
 *
 * <p>Deterministic: the lease store's clock stands still (nothing expires by time) and the worker's
 * own clock is a counter the test moves, so the lapse, and the end of a cool-down, happen only when
 * the test says so.
 */
@Timeout(60)
class PartitionedLeaseLapseTest {

    private static final Duration TTL = Duration.ofMillis(300); // a coordination round every 100 ms

    /** Renewals the test can hold up; counts the rounds (heartbeats). */
    private static final class Leases extends ForwardingLeaseStore {
        final Semaphore rounds = new Semaphore(0);
        private volatile CountDownLatch gate;
        /** When set, a renewal finds the lease gone: taken back by the store, and free for anyone. */
        volatile boolean loseRenewals;

        Leases() {
            super(InMemoryLeaseStore.withClock(Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC)));
        }

        void holdRenewals() {
            gate = new CountDownLatch(1);
        }

        void releaseRenewals() {
            CountDownLatch g = gate;
            gate = null;
            if (g != null) {
                g.countDown();
            }
        }

        @Override
        public Optional<Lease> renew(Lease lease, Duration ttl) {
            CountDownLatch g = gate;
            if (g != null) {
                try {
                    g.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (loseRenewals) {
                inner.release(lease);
                return Optional.empty();
            }
            return inner.renew(lease, ttl);
        }

        @Override
        public Set<String> heartbeat(String group, String owner, Duration ttl) {
            Set<String> members = inner.heartbeat(group, owner, ttl);
            rounds.release();
            return members;
        }
    }

    private final InMemoryEventStore store = InMemoryEventStore.create();
    private final InMemoryCheckpointStore checkpoints = InMemoryCheckpointStore.create();
    private final Leases leases = new Leases();
    private final ProjectionId id = ProjectionId.of("lapsing", 1);
    private final AtomicLong clock = new AtomicLong(); // the worker's nanoTime
    private final TypeId stream = TypeId.newV4("parcel");
    private final List<Long> handled = new CopyOnWriteArrayList<>();

    /** What the processors log. */
    private final LogRecorder log = new LogRecorder(ProjectionProcessor.class);
    private final List<String> logged = log.messages();

    @BeforeEach
    void recordLog() {
        log.start();
    }

    @AfterEach
    void stopRecording() {
        log.stop();
    }

    private PartitionedProjection worker(EventHandler handler) {
        return PartitionedProjection.start(store, checkpoints, leases, id, handler,
                new PartitionedProjection.Settings(1, "w", TTL,
                        ProjectionProcessor.Options.defaults().pollInterval(Duration.ofMillis(20)).checkpointEvery(1)),
                clock::get);
    }

    private long append() {
        return store.appendStream(stream, List.of(WritableEvent.of("moved", new byte[0]))).get(0).globalPosition()
                .orElseThrow();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(10); // polling an outcome, not ordering threads
        }
    }

    /** Waits for {@code n} more coordination rounds to begin, so at least {@code n - 1} whole ones ran. */
    private void awaitRounds(int n) throws InterruptedException {
        leases.rounds.drainPermits();
        assertThat(leases.rounds.tryAcquire(n, 30, TimeUnit.SECONDS)).as("%d coordination rounds", n).isTrue();
    }

    @Test
    void aLeaseThatLapsedOnlyByTheWorkersOwnEstimateIsTakenUpAgainWithoutTheFailureCoolDown() throws Exception {
        long first = append();
        PartitionedProjection worker = worker(event -> handled.add(event.globalPosition().orElseThrow()));
        try {
            await(() -> checkpoints.load(worker.partitionId(0)).map(c -> c.position() == first).orElse(false),
                    "partition 0 caught up");
            // A renewal is slow, long enough for the worker to assume the lease lost. (A renewal
            // already under way keeps the time it was asked at, from before the clock moved.)
            leases.holdRenewals();
            clock.addAndGet(TTL.toNanos() * 2);
            long lapsed = append();
            // The processor meets the event with its lease lapsed and stops before it.
            await(() -> logged.stream().anyMatch(m -> m.contains("stopped before position " + lapsed)),
                    "partition 0 stopped at " + lapsed);
            assertThat(handled).containsExactly(first);
            leases.releaseRenewals(); // the renewal succeeds after all: the store never let the lease go
            // The worker's clock stands still, so a cool-down of 3 x ttl would never end.
            await(() -> handled.contains(lapsed), "event " + lapsed + " handled after the lapse");
            assertThat(worker.ownedPartitions()).containsExactly(0);
        } finally {
            leases.releaseRenewals();
            worker.close();
        }
    }

    @Test
    void aHandlerFailureStillKeepsThePartitionAwayForThreeLeaseTimes() throws Exception {
        AtomicBoolean failNext = new AtomicBoolean(true);
        long first = append();
        PartitionedProjection worker = worker(event -> {
            if (failNext.getAndSet(false)) {
                throw new IllegalStateException("the read model is down");
            }
            handled.add(event.globalPosition().orElseThrow());
        });
        try {
            await(() -> worker.ownedPartitions().isEmpty() && !failNext.get(), "the failed partition is released");
            awaitRounds(5);
            assertThat(worker.ownedPartitions()).as("held during the cool-down").isEmpty();
            assertThat(handled).isEmpty();
            clock.addAndGet(TTL.toNanos() * 3);
            await(() -> handled.contains(first), "event " + first + " handled after the cool-down");
        } finally {
            worker.close();
        }
    }

    @Test
    void aPartitionIsNotTakenUpAgainWhileItsOldProcessorIsStillInsideTheHandler() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch unblock = new CountDownLatch(1);
        AtomicLong inside = new AtomicLong();
        AtomicLong mostInside = new AtomicLong();
        long first = append();
        PartitionedProjection worker = worker(event -> {
            mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
            try {
                entered.countDown();
                unblock.await();
                handled.add(event.globalPosition().orElseThrow());
            } finally {
                inside.decrementAndGet();
            }
        });
        try {
            assertThat(entered.await(30, TimeUnit.SECONDS)).as("the handler was called").isTrue();
            // The lease is lost while the handler is busy, and is free again at once: only this
            // worker's own knowledge that its old processor is still inside the handler keeps it
            // from starting a second one on the same partition.
            leases.loseRenewals = true;
            awaitRounds(2);
            leases.loseRenewals = false;
            awaitRounds(4);
            assertThat(worker.ownedPartitions()).as("taken up again while the old processor runs").isEmpty();
            assertThat(mostInside.get()).as("handler calls at once").isEqualTo(1);

            unblock.countDown();
            // The old processor, fenced, records its event but saves no checkpoint; the partition is
            // then taken up again and handles that event once more (at least once), never alongside.
            await(() -> handled.size() == 2, "the event handled again after the partition was taken up again");
            assertThat(handled).containsExactly(first, first);
            assertThat(mostInside.get()).as("handler calls at once").isEqualTo(1);
            assertThat(worker.ownedPartitions()).containsExactly(0);
        } finally {
            unblock.countDown();
            worker.close();
        }
    }
}
