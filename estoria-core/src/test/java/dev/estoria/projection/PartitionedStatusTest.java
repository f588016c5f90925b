package dev.estoria.projection;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.GlobalReader;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.typeid.TypeId;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link PartitionedProjection#partitionStatus()} reads the log to count each partition's lag: a
 * slow read (a large backlog, a slow database) must not hold up the worker's coordination, or its
 * leases go unrenewed while someone watches its status.
 */
@Timeout(60)
class PartitionedStatusTest {

    @Test
    void aSlowStatusReadDoesNotHoldUpLeaseRenewals() throws Exception {
        InMemoryEventStore store = InMemoryEventStore.create();
        store.appendStream(TypeId.newV4("parcel"), List.of(WritableEvent.of("moved", new byte[0])));
        AtomicReference<Thread> slowThread = new AtomicReference<>();
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch finishReading = new CountDownLatch(1);
        GlobalReader reader = options -> {
            if (Thread.currentThread() == slowThread.get()) {
                reading.countDown();
                try {
                    finishReading.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return store.readAll(options);
        };
        Semaphore rounds = new Semaphore(0);
        LeaseStore leases = new ForwardingLeaseStore(InMemoryLeaseStore.create()) {
            @Override
            public Set<String> heartbeat(String group, String owner, Duration ttl) {
                Set<String> members = super.heartbeat(group, owner, ttl);
                rounds.release();
                return members;
            }
        };
        ProjectionId id = ProjectionId.of("watched", 1);
        PartitionedProjection worker = PartitionedProjection.start(reader, InMemoryCheckpointStore.create(), leases, id,
                event -> {
                }, new PartitionedProjection.Settings(1, "w", Duration.ofMillis(300),
                        ProjectionProcessor.Options.defaults().pollInterval(Duration.ofMillis(20))));
        AtomicReference<Map<Integer, ProjectionStatus>> status = new AtomicReference<>();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (worker.ownedPartitions().isEmpty()) {
                assertThat(System.nanoTime() - deadline).as("partition 0 acquired").isNegative();
                Thread.sleep(10); // polling an outcome, not ordering threads
            }
            Thread watcher = Thread.ofPlatform().unstarted(() -> status.set(worker.partitionStatus()));
            slowThread.set(watcher);
            watcher.start();
            assertThat(reading.await(30, TimeUnit.SECONDS)).as("the status read started").isTrue();
            rounds.drainPermits();
            assertThat(rounds.tryAcquire(3, 30, TimeUnit.SECONDS))
                    .as("coordination rounds (renewals) while the status read is slow").isTrue();
            finishReading.countDown();
            watcher.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(status.get()).containsOnlyKeys(0);
        } finally {
            finishReading.countDown();
            worker.close();
        }
    }
}
