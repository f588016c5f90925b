package dev.estoria.projection;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.projection.ProjectionStatus.State;
import dev.estoria.typeid.TypeId;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A handler may stop its own projection: close() called on the projection's thread cannot wait for
 * that thread, so it must return at once and let the loop end when the handler returns, instead of
 * waiting 30 seconds for itself and then interrupting itself.
 */
@Timeout(120)
class CloseFromHandlerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final InMemoryEventStore store = InMemoryEventStore.create();
    private final InMemoryCheckpointStore checkpoints = InMemoryCheckpointStore.create();
    private final ProjectionId id = ProjectionId.of("self_closing", 1);

    private static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    private static boolean threadAlive(String name) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.isAlive() && t.getName().equals(name));
    }

    @Test
    void aHandlerThatClosesItsProcessorStopsItAtOnce() throws Exception {
        store.appendStream(TypeId.newV4("account"), List.of(WritableEvent.of("opened", new byte[] {1})));
        ProjectionProcessor[] processor = new ProjectionProcessor[1];
        CompletableFuture<Long> closeTook = new CompletableFuture<>();
        processor[0] = ProjectionProcessor.create(store, checkpoints, id, event -> {
            long start = System.nanoTime();
            try {
                processor[0].close();
                closeTook.complete(System.nanoTime() - start);
            } catch (Throwable e) {
                closeTook.completeExceptionally(e);
            }
        }, ProjectionProcessor.Options.defaults());
        processor[0].start();

        // Before the fix close() waited 30 s for its own thread, then interrupted itself.
        assertThat(closeTook.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isLessThan(TimeUnit.SECONDS.toNanos(5));
        awaitTrue("the processor stopped", () -> processor[0].state() == State.STOPPED);
        assertThat(processor[0].failure()).isEmpty();
        // The handled event is checkpointed on the way out, and the thread is gone.
        assertThat(checkpoints.load(id)).get().extracting(Checkpoint::position).isEqualTo(1L);
        awaitTrue("the processor's thread ended", () -> !threadAlive("estoria-projection-" + id));
        processor[0].close(); // and closing again from outside returns at once
    }
}
