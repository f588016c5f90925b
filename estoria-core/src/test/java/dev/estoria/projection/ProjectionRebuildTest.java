package dev.estoria.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.TransientStoreException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class ProjectionRebuildTest {

    private final InMemoryEventStore store = InMemoryEventStore.create();
    private final InMemoryCheckpointStore checkpoints = InMemoryCheckpointStore.create();
    private final EventStoreProjectionVersions versions = new EventStoreProjectionVersions(store);
    private final ProjectionProcessor.Options options =
            ProjectionProcessor.Options.defaults().pollInterval(Duration.ofMillis(50));

    private void deposit(TypeId account, long amount) {
        store.appendStream(account, List.of(WritableEvent.of("deposited",
                Long.toString(amount).getBytes(StandardCharsets.UTF_8))));
    }

    private static long amount(Event e) {
        return Long.parseLong(new String(e.data(), StandardCharsets.UTF_8));
    }

    @Test
    void aNewVersionReplaysBesideTheOldAndTakesOverOnceCaughtUp() throws Exception {
        TypeId alice = TypeId.newV4("account");
        TypeId bob = TypeId.newV4("account");
        for (int i = 1; i <= 50; i++) {
            deposit(i % 2 == 0 ? alice : bob, i);
        }
        // Version 1 counts deposits; version 2 sums them.
        Map<TypeId, Long> counts = new ConcurrentHashMap<>();
        ProjectionProcessor v1 = ProjectionProcessor.create(store, checkpoints, ProjectionId.of("balances", 1),
                e -> counts.merge(e.streamId(), 1L, Long::sum), options).start();
        assertThat(v1.awaitCaughtUp(Duration.ofSeconds(20))).isTrue();
        versions.activate(ProjectionId.of("balances", 1));
        assertThat(versions.active("balances")).isEqualTo(OptionalInt.of(1));

        Map<TypeId, Long> sums = new ConcurrentHashMap<>();
        AtomicLong promotedAt = new AtomicLong(-1);
        ProjectionRebuild rebuild = ProjectionRebuild.start(store, checkpoints, versions, ProjectionId.of("balances", 2),
                e -> sums.merge(e.streamId(), amount(e), Long::sum), options, promoted -> {
                    try {
                        v1.close();
                        promotedAt.set(v1.position());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
        deposit(alice, 1000);
        assertThat(rebuild.promoted().get(20, TimeUnit.SECONDS)).isEqualTo(ProjectionId.of("balances", 2));
        assertThat(versions.active("balances")).isEqualTo(OptionalInt.of(2));
        assertThat(v1.status().state()).isEqualTo(ProjectionStatus.State.STOPPED);
        assertThat(promotedAt.get()).isPositive();

        // The new version stays live after promotion.
        deposit(bob, 7);
        long expectedBob = 7;
        for (int i = 1; i <= 50; i += 2) {
            expectedBob += i;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (sums.getOrDefault(bob, 0L) != expectedBob && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(sums.get(bob)).isEqualTo(expectedBob);
        assertThat(sums.get(alice)).isEqualTo(1000 + 650);
        rebuild.close();
    }

    @Test
    void anActivationRefusedByAStoreOutageIsTriedAgain() throws Exception {
        deposit(TypeId.newV4("account"), 5);
        AtomicInteger refusals = new AtomicInteger(2);
        ProjectionVersions flaky = new ProjectionVersions() {
            @Override
            public OptionalInt active(String name) {
                return versions.active(name);
            }

            @Override
            public void activate(ProjectionId id) {
                if (refusals.getAndDecrement() > 0) {
                    throw new TransientStoreException("the database is restarting");
                }
                versions.activate(id);
            }
        };
        ProjectionRebuild rebuild = ProjectionRebuild.start(store, checkpoints, flaky, ProjectionId.of("audit", 2),
                e -> { }, ProjectionProcessor.Options.defaults().pollInterval(Duration.ofMillis(20)), promoted -> { });
        try {
            assertThat(rebuild.promoted().get(20, TimeUnit.SECONDS)).isEqualTo(ProjectionId.of("audit", 2));
            assertThat(versions.active("audit")).isEqualTo(OptionalInt.of(2));
            assertThat(refusals.get()).as("two refusals, then the activation").isEqualTo(-1);
        } finally {
            rebuild.close();
        }
    }

    @Test
    void aFailedRebuildIsNeverActivated() throws Exception {
        deposit(TypeId.newV4("account"), 5);
        versions.activate(ProjectionId.of("ledger", 1));
        ProjectionRebuild rebuild = ProjectionRebuild.start(store, checkpoints, versions, ProjectionId.of("ledger", 2),
                e -> {
                    throw new IllegalStateException("bug in v2");
                }, options, promoted -> { });
        assertThatThrownBy(() -> rebuild.promoted().get(20, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasMessageContaining("current version keeps serving");
        assertThat(versions.active("ledger")).isEqualTo(OptionalInt.of(1));
        rebuild.close();
    }

    @Test
    void activationIsIdempotentAndKeepsHistory() {
        versions.activate(ProjectionId.of("orders", 1));
        versions.activate(ProjectionId.of("orders", 1));
        versions.activate(ProjectionId.of("orders", 2));
        assertThat(versions.active("orders")).isEqualTo(OptionalInt.of(2));
        assertThat(versions.active("nothing")).isEmpty();
        assertThat(store.readStream(EventStoreProjectionVersions.streamId("orders")).toList()).hasSize(2);
    }

    @Test
    void activationAfterTheVersionsStreamWasTruncatedToEmptyAppendsAfterItsTip() {
        versions.activate(ProjectionId.of("orders", 1));
        versions.activate(ProjectionId.of("orders", 2));
        store.deleteStream(EventStoreProjectionVersions.streamId("orders"), DeleteStreamOptions.truncateTo(2));
        assertThat(versions.active("orders")).isEmpty();

        // Preemptive: the fault this guards against is a busy loop, which an interrupt does not end.
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> versions.activate(ProjectionId.of("orders", 3)));
        assertThat(versions.active("orders")).isEqualTo(OptionalInt.of(3));
        assertThat(store.readStream(EventStoreProjectionVersions.streamId("orders")).toList())
                .singleElement().extracting(Event::streamVersion).isEqualTo(3L);
    }
}
