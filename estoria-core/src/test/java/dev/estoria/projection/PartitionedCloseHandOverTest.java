package dev.estoria.projection;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.memory.InMemoryEventStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A worker that closes hands its partitions over at once: it releases their leases and leaves the
 * group, so the others stop counting it in their shares before its heartbeat would expire.
 *
 * <p>The lease store's clock stands still, which models "well within one lease time of the close":
 * nothing expires by time, so only an explicit hand-over can move the partitions.
 */
@Timeout(60)
class PartitionedCloseHandOverTest {

    /** Signals every completed heartbeat of worker "a": one per coordination round. */
    private static final class RoundCounting extends ForwardingLeaseStore {
        final Semaphore roundsOfA = new Semaphore(0);

        RoundCounting(LeaseStore inner) {
            super(inner);
        }

        @Override
        public Set<String> heartbeat(String group, String owner, Duration ttl) {
            Set<String> members = inner.heartbeat(group, owner, ttl);
            if (owner.equals("a")) {
                roundsOfA.release();
            }
            return members;
        }
    }

    private static void awaitRounds(RoundCounting leases, BooleanSupplier condition, String what)
            throws InterruptedException {
        for (int round = 0; round < 200; round++) {
            if (condition.getAsBoolean()) {
                return;
            }
            if (!leases.roundsOfA.tryAcquire(5, TimeUnit.SECONDS)) {
                break;
            }
        }
        throw new AssertionError("never happened: " + what);
    }

    @Test
    void aClosedWorkersPartitionsAreTakenOverWithinAFewRoundsNotAfterItsHeartbeatExpires() throws Exception {
        InMemoryEventStore store = InMemoryEventStore.create();
        InMemoryCheckpointStore checkpoints = InMemoryCheckpointStore.create();
        RoundCounting leases = new RoundCounting(InMemoryLeaseStore.withClock(
                Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC)));
        ProjectionId id = ProjectionId.of("handover", 1);
        var options = ProjectionProcessor.Options.defaults().pollInterval(Duration.ofMillis(20));
        Duration ttl = Duration.ofMillis(300); // a round every 100 ms
        PartitionedProjection a = PartitionedProjection.start(store, checkpoints, leases, id, e -> {
        }, new PartitionedProjection.Settings(2, "a", ttl, options));
        PartitionedProjection b = PartitionedProjection.start(store, checkpoints, leases, id, e -> {
        }, new PartitionedProjection.Settings(2, "b", ttl, options));
        try {
            awaitRounds(leases, () -> a.ownedPartitions().size() == 1 && b.ownedPartitions().size() == 1,
                    "the two workers split the two partitions");
            Set<Integer> ofB = b.ownedPartitions();
            b.close(); // releases b's lease: "so others take over at once"
            assertThat(leases.leases(id.toString())).extracting(Lease::owner).containsOnly("a");
            leases.roundsOfA.drainPermits();
            // Three more rounds of a: one that may have begun before the close, one wholly after it,
            // and the start of the next, which means the one before has finished.
            assertThat(leases.roundsOfA.tryAcquire(3, 10, TimeUnit.SECONDS)).isTrue();
            assertThat(a.ownedPartitions())
                    .as("partitions of the closed worker %s, three coordination rounds after its close", ofB)
                    .containsAll(ofB);
        } finally {
            a.close();
        }
    }
}
