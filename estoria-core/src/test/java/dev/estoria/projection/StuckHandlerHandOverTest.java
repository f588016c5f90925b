package dev.estoria.projection;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.typeid.TypeId;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A partition whose processor does not stop within close()'s grace (a handler stuck in a call that
 * ignores interrupts, well within the lease time) keeps its lease until it expires: releasing it
 * would let another worker handle the same events while the old handler is still inside one, and
 * the old processor save its older checkpoint over the new owner's.
 *
 * <p>Takes about 6 seconds (a close grace of 1 s, then 5 s after the interrupt).
 */
@Timeout(120)
class StuckHandlerHandOverTest {

    @Test
    void aPartitionIsNotReleasedWhileItsProcessorIsStillRunning() throws Exception {
        InMemoryEventStore store = InMemoryEventStore.create();
        InMemoryCheckpointStore checkpoints = InMemoryCheckpointStore.create();
        InMemoryLeaseStore leases = InMemoryLeaseStore.create();
        ProjectionId id = ProjectionId.of("stuck", 1);
        TypeId stream = TypeId.newV4("parcel");
        long first = store.appendStream(stream, List.of(WritableEvent.of("moved", new byte[0]))).get(0)
                .globalPosition().orElseThrow();

        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch unblock = new CountDownLatch(1);
        AtomicBoolean inHandler = new AtomicBoolean();
        Duration ttl = Duration.ofSeconds(120);
        PartitionedProjection a = PartitionedProjection.start(store, checkpoints, leases, id, event -> {
            inHandler.set(true);
            try {
                if (event.globalPosition().orElseThrow() == first) {
                    entered.countDown();
                    // Stuck in a call that ignores interrupts (blocking I/O, a lock), well within the lease time.
                    boolean interrupted = false;
                    while (true) {
                        try {
                            unblock.await();
                            break;
                        } catch (InterruptedException e) {
                            interrupted = true;
                        }
                    }
                    if (interrupted) {
                        Thread.currentThread().interrupt();
                    }
                }
            } finally {
                inHandler.set(false);
            }
        }, new PartitionedProjection.Settings(1, "a", ttl,
                ProjectionProcessor.Options.defaults().pollInterval(Duration.ofMillis(50)).checkpointEvery(1)
                        .closeGrace(Duration.ofSeconds(1))));
        try {
            assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
            long closing = System.nanoTime();
            a.close(); // returns after the grace and the wait after the interrupt, the handler still stuck
            assertThat(Duration.ofNanos(System.nanoTime() - closing))
                    .as("close honours the 1 s grace (plus 5 s after the interrupt)")
                    .isLessThan(Duration.ofSeconds(25));
            assertThat(inHandler).as("a's handler is still running").isTrue();
            Optional<Lease> taken = leases.tryAcquire(id.toString(), 0, "b", ttl);
            // Expected: the lease is not released while a's processor still runs (it expires instead).
            unblock.countDown();
            assertThat(taken)
                    .as("worker b acquired partition 0 while a's handler was still inside event %d", first)
                    .isEmpty();
        } finally {
            unblock.countDown();
        }
    }
}
