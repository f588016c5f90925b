package dev.estoria.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.typeid.TypeId;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How a worker closes when it is closed from one of its own handlers, interrupted, closed twice at
 * once, or closed in the middle of a coordination round; and that a lease is released only once
 * its processor's thread has ended.
 *
 * <p>The lease store's clock stands still: no lease or heartbeat ever expires, so a lease left to
 * expire stays taken, and only an explicit release or leave changes anything.
 */
@Timeout(120)
class PartitionedCloseTest {

    private static final Duration TTL = Duration.ofSeconds(3);

    private final InMemoryEventStore store = InMemoryEventStore.create();
    private final InMemoryCheckpointStore checkpoints = InMemoryCheckpointStore.create();
    private final LeaseStore frozen = InMemoryLeaseStore.withClock(
            Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC));
    private final LogRecorder log = new LogRecorder(PartitionedProjection.class);
    private final List<String> logged = log.messages();

    @BeforeEach
    void recordLog() {
        log.start();
    }

    @AfterEach
    void stopRecording() {
        log.stop();
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

    private static boolean threadAlive(String name) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive() && t.getName().equals(name));
    }

    private static ProjectionProcessor.Options options() {
        return ProjectionProcessor.Options.defaults().pollInterval(Duration.ofMillis(20)).checkpointEvery(1);
    }

    private long append(TypeId stream) {
        return store.appendStream(stream, List.of(WritableEvent.of("moved", new byte[0]))).get(0).globalPosition()
                .orElseThrow();
    }

    /** A stream of each partition, in partition order. */
    private static TypeId[] streamsOfEachPartition(int partitions) {
        TypeId[] streams = new TypeId[partitions];
        int found = 0;
        while (found < partitions) {
            TypeId candidate = TypeId.newV4("parcel");
            int p = PartitionedProjection.partitionOf(candidate, partitions);
            if (streams[p] == null) {
                streams[p] = candidate;
                found++;
            }
        }
        return streams;
    }

    /** Whether {@code worker} is still counted a member of the group. */
    private boolean isMember(ProjectionId id, String worker) {
        return frozen.heartbeat(id.toString(), "probe", TTL).contains(worker);
    }

    @Test
    void aWorkerClosedFromItsOwnHandlerReleasesThatPartitionOnceItsProcessorStopped() throws Exception {
        ProjectionId id = ProjectionId.of("closed_from_handler", 1);
        TypeId[] streams = streamsOfEachPartition(2);
        long closing = append(streams[0]);
        append(streams[1]);
        long after = append(streams[0]);
        List<Long> handled = new CopyOnWriteArrayList<>();
        PartitionedProjection[] worker = new PartitionedProjection[1];
        // The handler may run before start() has returned the worker to this thread.
        CompletableFuture<PartitionedProjection> started = new CompletableFuture<>();
        CompletableFuture<Long> closeTook = new CompletableFuture<>();
        worker[0] = PartitionedProjection.start(store, checkpoints, frozen, id, event -> {
            long position = event.globalPosition().orElseThrow();
            handled.add(position);
            if (position == closing) {
                try {
                    PartitionedProjection self = started.get(30, TimeUnit.SECONDS);
                    long start = System.nanoTime();
                    self.close();
                    closeTook.complete(System.nanoTime() - start);
                } catch (Throwable e) {
                    closeTook.completeExceptionally(e);
                }
            }
        }, new PartitionedProjection.Settings(2, "w", TTL, options()));
        started.complete(worker[0]);
        try {
            assertThat(closeTook.get(30, TimeUnit.SECONDS)).as("close() from the handler returns at once")
                    .isLessThan(TimeUnit.SECONDS.toNanos(10));
            // Partition 0's lease is released once its processor has stopped, not left to expire
            // (here it never would).
            await(() -> frozen.leases(id.toString()).isEmpty(), "both leases are released");
            await(() -> !isMember(id, "w"), "the worker left the group");
            await(() -> !threadAlive("estoria-projection-" + worker[0].partitionId(0)), "partition 0's thread ended");
            assertThat(logged).noneMatch(m -> m.contains("did not stop"));
            assertThat(handled).as("nothing handled on partition 0 after the close").doesNotContain(after);
            assertThat(checkpoints.load(worker[0].partitionId(0))).get().extracting(Checkpoint::position)
                    .isEqualTo(closing);
            assertThat(worker[0].ownedPartitions()).isEmpty();
        } finally {
            worker[0].close(); // closing again, from outside, returns
        }
    }

    /** Acquisitions that wait at a gate, as a slow lease store would keep them. */
    private static final class GatedAcquire extends ForwardingLeaseStore {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch gate = new CountDownLatch(1);

        GatedAcquire(LeaseStore inner) {
            super(inner);
        }

        @Override
        public Optional<Lease> tryAcquire(String group, int partition, String owner, Duration ttl) {
            entered.countDown();
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return inner.tryAcquire(group, partition, owner, ttl);
        }
    }

    @Test
    void anInterruptedCloseDuringAnAcquisitionStillStopsEverythingReleasesAndLeaves() throws Exception {
        ProjectionId id = ProjectionId.of("interrupted_close", 1);
        GatedAcquire leases = new GatedAcquire(frozen);
        TypeId stream = TypeId.newV4("parcel");
        append(stream);
        List<Long> handled = new CopyOnWriteArrayList<>();
        PartitionedProjection worker = PartitionedProjection.start(store, checkpoints, leases, id,
                event -> handled.add(event.globalPosition().orElseThrow()),
                new PartitionedProjection.Settings(1, "w", TTL, options()));
        try {
            assertThat(leases.entered.await(30, TimeUnit.SECONDS)).as("the first round is acquiring").isTrue();
            Thread.currentThread().interrupt();
            assertThatThrownBy(worker::close).isInstanceOf(InterruptedException.class);
            assertThat(Thread.interrupted()).isFalse();
            leases.gate.countDown(); // the acquisition under way when close() was called succeeds
            await(() -> frozen.leases(id.toString()).isEmpty(), "the lease acquired during the close is released");
            await(() -> !isMember(id, "w"), "the worker left the group");
            await(() -> !threadAlive("estoria-projection-" + worker.partitionId(0)), "no processor runs");
            assertThat(worker.ownedPartitions()).isEmpty();
            assertThat(handled).as("handled after close() was called").isEmpty();
        } finally {
            leases.gate.countDown();
            worker.close();
        }
    }

    @Test
    void aSecondConcurrentCloseWaitsUntilTheWorkerIsClosed() throws Exception {
        ProjectionId id = ProjectionId.of("concurrent_close", 1);
        TypeId stream = TypeId.newV4("parcel");
        append(stream);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch unblock = new CountDownLatch(1);
        AtomicBoolean inHandler = new AtomicBoolean();
        PartitionedProjection worker = PartitionedProjection.start(store, checkpoints, frozen, id, event -> {
            inHandler.set(true);
            try {
                entered.countDown();
                unblock.await(); // a slow event, well within the close grace (30 s)
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inHandler.set(false);
            }
        }, new PartitionedProjection.Settings(1, "w", TTL, options()));
        List<String> early = new CopyOnWriteArrayList<>();
        Runnable close = () -> {
            try {
                worker.close();
                if (inHandler.get() || !frozen.leases(id.toString()).isEmpty()) {
                    early.add(Thread.currentThread().getName());
                }
            } catch (InterruptedException e) {
                early.add("interrupted");
            }
        };
        try {
            assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
            Thread first = Thread.ofPlatform().name("close-1").start(close);
            Thread second = Thread.ofPlatform().name("close-2").start(close);
            // Neither may return while the handler is still running: watch for a while for one
            // that does (on a slow machine the fault may go unseen, but a correct close never fails).
            long watchUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while ((first.isAlive() && second.isAlive()) && System.nanoTime() - watchUntil < 0) {
                Thread.sleep(10); // polling an outcome, not ordering threads
            }
            unblock.countDown();
            first.join(TimeUnit.SECONDS.toMillis(30));
            second.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(first.isAlive() || second.isAlive()).isFalse();
            assertThat(early).as("close() calls that returned before the worker was closed").isEmpty();
        } finally {
            unblock.countDown();
            worker.close();
        }
    }

    /** Checkpoint saves that can be stuck, ignoring interrupts, as a hung database would keep them. */
    private static final class StuckSaves implements CheckpointStore {
        final CheckpointStore inner;
        final AtomicBoolean stick = new AtomicBoolean();
        final CountDownLatch stuck = new CountDownLatch(1);
        final CountDownLatch unstick = new CountDownLatch(1);

        StuckSaves(CheckpointStore inner) {
            this.inner = inner;
        }

        @Override
        public Optional<Checkpoint> load(ProjectionId id) {
            return inner.load(id);
        }

        @Override
        public void save(ProjectionId id, long position) {
            if (stick.get()) {
                stuck.countDown();
                boolean interrupted = false;
                while (true) {
                    try {
                        unstick.await();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            inner.save(id, position);
        }

        @Override
        public boolean delete(ProjectionId id) {
            return inner.delete(id);
        }

        @Override
        public List<Checkpoint> list() {
            return inner.list();
        }
    }

    @Test
    void aFailedPartitionStillSavingItsCheckpointKeepsItsLeaseUntilItsThreadEnds() throws Exception {
        // Takes about 6 seconds: the 1 s close grace, then ProjectionLifecycle's 5 s after the interrupt.
        ProjectionId id = ProjectionId.of("stuck_failing", 1);
        StuckSaves saves = new StuckSaves(checkpoints);
        List<Lease> released = new CopyOnWriteArrayList<>();
        CountDownLatch releasing = new CountDownLatch(1);
        LeaseStore leases = new ForwardingLeaseStore(frozen) {
            @Override
            public void release(Lease lease) {
                released.add(lease);
                releasing.countDown();
                super.release(lease);
            }
        };
        AtomicBoolean savingWhenReleased = new AtomicBoolean();
        TypeId stream = TypeId.newV4("parcel");
        append(stream);
        PartitionedProjection worker = PartitionedProjection.start(store, saves, leases, id, event -> {
            saves.stick.set(true); // the save after this failure hangs
            throw new IllegalStateException("the read model is down");
        }, new PartitionedProjection.Settings(1, "w", TTL, options().closeGrace(Duration.ofSeconds(1))));
        try {
            assertThat(saves.stuck.await(30, TimeUnit.SECONDS)).as("the failed processor is saving").isTrue();
            // The worker releases the failed partition: it stops its processor, which is stuck in
            // the save past the grace and the wait after the interrupt. Either it releases the lease
            // (the fault) or it reports that it did not stop.
            await(() -> releasing.getCount() == 0 || logged.stream().anyMatch(m -> m.contains("did not stop")),
                    "the worker gave up waiting for the failed partition");
            savingWhenReleased.set(!released.isEmpty());
            saves.unstick.countDown();
            assertThat(savingWhenReleased).as("the lease was released while the processor was still saving").isFalse();
            // Once the processor's thread ended, the lease is released: no need to wait for it to expire.
            await(() -> frozen.leases(id.toString()).isEmpty(), "the lease is released once the thread ended");
        } finally {
            saves.unstick.countDown();
            worker.close();
        }
    }
}
