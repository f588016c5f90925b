package dev.estoria.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.projection.ProjectionStatus.State;
import dev.estoria.subscription.Subscription;
import dev.estoria.subscription.SubscriptionOptions;
import dev.estoria.typeid.TypeId;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ProjectionLifecycleTest {

    private final ProjectionId id = new ProjectionId("lifecycle", 1);
    private final InMemoryEventStore store = InMemoryEventStore.create();

    @Test
    void closeEndsAWaitForEventsAndTheThread() throws Exception {
        ProjectionLifecycle life = new ProjectionLifecycle(id);
        CountDownLatch waiting = new CountDownLatch(1);
        AtomicReference<Optional<Event>> got = new AtomicReference<>();
        life.start("lifecycle-test", () -> {
            life.catchingUp();
            Subscription s = life.follow(Subscription.to(store, SubscriptionOptions.defaults()));
            life.reachedHead(0);
            waiting.countDown();
            try {
                got.set(s.next(Duration.ofMinutes(5)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            life.stopped();
        });
        assertThat(life.awaitCaughtUp(Duration.ofSeconds(10))).isTrue();
        assertThat(life.state()).isEqualTo(State.LIVE);
        assertThat(waiting.await(10, TimeUnit.SECONDS)).isTrue();
        life.close(); // returns only once the loop has ended; the 5-minute wait must not hold it
        assertThat(got.get()).isEmpty();
        assertThat(life.state()).isEqualTo(State.STOPPED);
        assertThat(life.stopping()).isTrue();
        assertThatThrownBy(() -> life.start("again", () -> { })).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("lifecycle_v1");
    }

    @Test
    void closeEndsAPauseAtOnce() throws Exception {
        ProjectionLifecycle life = new ProjectionLifecycle(id);
        CountDownLatch pausing = new CountDownLatch(1);
        AtomicReference<Boolean> passed = new AtomicReference<>();
        life.start("lifecycle-test", () -> {
            pausing.countDown();
            try {
                passed.set(life.pause(Duration.ofMinutes(5)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            life.stopped();
        });
        assertThat(pausing.await(10, TimeUnit.SECONDS)).isTrue();
        life.close(); // the loop ends before close's grace runs out only if the pause ended
        assertThat(passed.get()).as("the pause was cut short").isFalse();
        assertThat(life.state()).isEqualTo(State.STOPPED);

        ProjectionLifecycle other = new ProjectionLifecycle(id);
        assertThat(other.pause(Duration.ofMillis(1))).as("a pause that ran its course").isTrue();
        assertThat(ProjectionLifecycle.retryPause(1)).isEqualTo(Duration.ofMillis(100));
        assertThat(ProjectionLifecycle.retryPause(4)).isEqualTo(Duration.ofMillis(800));
        assertThat(ProjectionLifecycle.retryPause(Integer.MAX_VALUE)).isEqualTo(ProjectionLifecycle.MAX_RETRY_PAUSE);
    }

    @Test
    void aSubscriptionFollowedAfterCloseIsClosedAtOnce() throws Exception {
        ProjectionLifecycle life = new ProjectionLifecycle(id);
        life.close();
        assertThat(life.state()).isEqualTo(State.STOPPED);
        Subscription s = life.follow(Subscription.to(store, SubscriptionOptions.defaults()));
        store.appendStream(TypeId.newV4("s"), List.of(WritableEvent.of("e", new byte[] {1})));
        assertThat(s.next(Duration.ofSeconds(5))).isEmpty();
    }

    @Test
    void firstHeadCountsAndALoopThatFailsFirstReleasesWaiters() throws Exception {
        ProjectionLifecycle live = new ProjectionLifecycle(id);
        live.reachedHead(7);
        live.reachedHead(9);
        assertThat(live.caughtUpPosition()).isEqualTo(7);

        ProjectionLifecycle failing = new ProjectionLifecycle(id);
        IllegalStateException boom = new IllegalStateException("boom");
        failing.start("lifecycle-fail", () -> failing.failed(boom));
        assertThat(failing.awaitCaughtUp(Duration.ofSeconds(10))).isFalse();
        assertThat(failing.state()).isEqualTo(State.FAILED);
        assertThat(failing.failure()).containsSame(boom);
        failing.close();
        assertThat(failing.state()).isEqualTo(State.FAILED);
    }

    @Test
    void keepsTheNewestFailures() {
        ProjectionLifecycle life = new ProjectionLifecycle(id);
        TypeId stream = TypeId.newV4("s");
        List<WritableEvent> batch = java.util.stream.IntStream.range(0, ProjectionLifecycle.MAX_RECORDED_FAILURES + 5)
                .mapToObj(i -> WritableEvent.of("e", new byte[] {(byte) i})).toList();
        List<Event> events = store.appendStream(stream, batch);
        Instant at = Instant.parse("2026-01-01T00:00:00Z");
        for (Event e : events) {
            life.recordFailure(e, new IllegalArgumentException("bad " + e.streamVersion()), at);
        }
        List<ProjectionFailure> kept = life.recentFailures();
        assertThat(kept).hasSize(ProjectionLifecycle.MAX_RECORDED_FAILURES);
        assertThat(kept.get(0).position()).isEqualTo(events.get(5).globalPosition().orElseThrow());
        assertThat(kept.get(kept.size() - 1).error()).isEqualTo("java.lang.IllegalArgumentException: bad "
                + events.size());
    }
}
