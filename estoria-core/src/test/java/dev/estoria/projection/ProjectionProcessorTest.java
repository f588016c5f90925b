package dev.estoria.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventFilter;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.projection.ProjectionStatus.State;
import dev.estoria.snapshot.EventStreamSnapshotStore;
import dev.estoria.snapshot.Snapshot;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class ProjectionProcessorTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    // Long enough that a test passing within it proves the append notification woke the processor.
    private static final Duration SLOW_POLL = Duration.ofMinutes(10);

    private final InMemoryEventStore store = InMemoryEventStore.create();
    private final InMemoryCheckpointStore checkpoints = InMemoryCheckpointStore.create();
    private final ProjectionId id = ProjectionId.of("balances", 1);
    private final List<ProjectionProcessor> running = new ArrayList<>();

    @AfterEach
    void stopAll() throws InterruptedException {
        for (ProjectionProcessor p : running) {
            p.close();
        }
    }

    private List<Event> append(String streamType, String eventType, int n) {
        List<WritableEvent> batch = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            batch.add(WritableEvent.of(eventType, ("{\"i\":" + i + "}").getBytes(StandardCharsets.UTF_8)));
        }
        return store.appendStream(TypeId.newV4(streamType), batch);
    }

    /** A handler that records events and lets a test wait for a number of them. */
    static final class Recorder implements EventHandler {
        final List<Event> events = Collections.synchronizedList(new ArrayList<>());
        private final Object lock = new Object();

        @Override
        public void handle(Event event) {
            synchronized (lock) {
                events.add(event);
                lock.notifyAll();
            }
        }

        void awaitCount(int n) throws InterruptedException {
            long deadline = System.nanoTime() + WAIT.toNanos();
            synchronized (lock) {
                while (events.size() < n) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new AssertionError("expected " + n + " events, got " + events.size());
                    }
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                }
            }
        }
    }

    private ProjectionProcessor start(EventHandler handler, ProjectionProcessor.Options options) {
        ProjectionProcessor p = ProjectionProcessor.create(store, checkpoints, id, handler, options).start();
        running.add(p);
        return p;
    }

    private static ProjectionProcessor.Options options() {
        return ProjectionProcessor.Options.defaults().pollInterval(SLOW_POLL);
    }

    @Test
    void replaysCatchesUpWithADurableCheckpointThenFollowsLive() throws Exception {
        List<Event> backlog = append("account", "deposited", 10);
        Recorder recorder = new Recorder();
        ProjectionProcessor p = start(recorder, options());
        assertThat(p.awaitCaughtUp(WAIT)).isTrue();
        long head = backlog.get(9).globalPosition().orElseThrow();
        assertThat(p.caughtUpPosition()).isEqualTo(head);
        assertThat(checkpoints.load(id).orElseThrow().position()).as("durable before caught up").isEqualTo(head);
        assertThat(recorder.events).containsExactlyElementsOf(backlog);

        List<Event> live = append("account", "withdrawn", 5);
        recorder.awaitCount(15);
        assertThat(recorder.events.subList(10, 15)).containsExactlyElementsOf(live);
        assertThat(p.status().state()).isEqualTo(State.LIVE);
        assertThat(p.caughtUpPosition()).as("never changes once set").isEqualTo(head);
    }

    @Test
    void resumesFromItsCheckpointAfterAStop() throws Exception {
        append("account", "deposited", 4);
        Recorder first = new Recorder();
        ProjectionProcessor p = start(first, options());
        assertThat(p.awaitCaughtUp(WAIT)).isTrue();
        p.close();
        assertThat(p.status().state()).isEqualTo(State.STOPPED);

        List<Event> later = append("account", "deposited", 3);
        Recorder second = new Recorder();
        ProjectionProcessor again = start(second, options());
        assertThat(again.awaitCaughtUp(WAIT)).isTrue();
        assertThat(second.events).containsExactlyElementsOf(later);
    }

    @Test
    void aHandlerFailureStopsItAtTheLastHandledEvent() throws Exception {
        List<Event> events = append("account", "deposited", 5);
        long failing = events.get(2).globalPosition().orElseThrow();
        Recorder seen = new Recorder();
        ProjectionProcessor p = start(event -> {
            if (event.globalPosition().orElseThrow() == failing) {
                throw new IllegalStateException("bad event");
            }
            seen.handle(event);
        }, options());
        assertThat(p.awaitCaughtUp(WAIT)).isFalse();
        assertThat(p.status().state()).isEqualTo(State.FAILED);
        assertThat(p.failure()).get().extracting(Throwable::getMessage).isEqualTo("bad event");
        assertThat(seen.events).containsExactlyElementsOf(events.subList(0, 2));
        assertThat(checkpoints.load(id).orElseThrow().position())
                .isEqualTo(events.get(1).globalPosition().orElseThrow());
        assertThat(p.status().failures()).singleElement().satisfies(f -> {
            assertThat(f.position()).isEqualTo(failing);
            assertThat(f.error()).contains("bad event");
        });
    }

    @Test
    void continueOnErrorRecordsFailuresAndGoesOn() throws Exception {
        List<Event> events = append("account", "deposited", 6);
        Recorder seen = new Recorder();
        ProjectionProcessor p = start(event -> {
            if (event.streamVersion() % 2 == 1) {
                throw new IllegalStateException("odd");
            }
            seen.handle(event);
        }, options().continueOnError(true));
        assertThat(p.awaitCaughtUp(WAIT)).isTrue();
        assertThat(seen.events).extracting(Event::streamVersion).containsExactly(2L, 4L, 6L);
        assertThat(p.status().failures()).hasSize(3);
        assertThat(p.caughtUpPosition()).isEqualTo(events.get(5).globalPosition().orElseThrow());
    }

    @Test
    void leavesSnapshotStreamsOutByDefaultAndFiltersByType() throws Exception {
        List<Event> accounts = append("account", "deposited", 2);
        EventStreamSnapshotStore.create(store).write(new Snapshot(accounts.get(0).streamId(), 2, Instant.now(),
                "{}".getBytes(StandardCharsets.UTF_8), "application/json"));
        List<Event> orders = append("order", "placed", 2);
        List<Event> shipped = append("order", "shipped", 1);

        Recorder all = new Recorder();
        ProjectionProcessor p = start(all, options());
        assertThat(p.awaitCaughtUp(WAIT)).isTrue();
        assertThat(all.events).extracting(e -> e.streamId().type()).doesNotContain("estoria.snapshot.account");
        assertThat(all.events).hasSize(5);
        p.close();

        Recorder placed = new Recorder();
        ProjectionProcessor q = ProjectionProcessor.create(store, InMemoryCheckpointStore.create(), id, placed,
                options().filter(EventFilter.streamTypes("order").withEventTypes(java.util.Set.of("placed")))).start();
        running.add(q);
        assertThat(q.awaitCaughtUp(WAIT)).isTrue();
        assertThat(placed.events).containsExactlyElementsOf(orders);
        assertThat(shipped).hasSize(1);
    }

    @Test
    void checkpointsAtTheConfiguredCadence() throws Exception {
        append("account", "deposited", 7);
        RecordingCheckpointStore counting = new RecordingCheckpointStore(checkpoints);
        List<Long> saved = counting.saved;
        ProjectionProcessor p = ProjectionProcessor.create(store, counting, id, e -> { },
                options().checkpointEvery(3)).start();
        running.add(p);
        assertThat(p.awaitCaughtUp(WAIT)).isTrue();
        List<Event> all = store.readAll().toList();
        assertThat(saved.subList(0, 3)).containsExactly(all.get(2).globalPosition().orElseThrow(),
                all.get(5).globalPosition().orElseThrow(), all.get(6).globalPosition().orElseThrow());
    }

    @Test
    void reportsLagWhileBehind() throws Exception {
        append("account", "deposited", 5);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        ProjectionProcessor p = start(event -> {
            blocked.countDown();
            release.await();
        }, options());
        assertThat(blocked.await(20, TimeUnit.SECONDS)).isTrue();
        ProjectionStatus status = p.status();
        assertThat(status.state()).isEqualTo(State.CATCHING_UP);
        assertThat(status.lagEvents()).isEqualTo(5);
        release.countDown();
        assertThat(p.awaitCaughtUp(WAIT)).isTrue();
        assertThat(p.status().lagEvents()).isZero();
        assertThat(p.status().handled()).isEqualTo(5);
    }

    @Test
    void startsOnceAndStopsCleanlyBeforeStarting() throws Exception {
        ProjectionProcessor p = start(e -> { }, options());
        assertThatThrownBy(p::start).isInstanceOf(IllegalStateException.class);
        ProjectionProcessor idle = ProjectionProcessor.create(store, checkpoints, ProjectionId.of("idle", 1), e -> { },
                options());
        idle.close();
        assertThat(idle.status().state()).isEqualTo(State.STOPPED);
    }

    @Test
    void projectionIdsFollowTheNamingRules() {
        assertThat(ProjectionId.of("orders", 7)).hasToString("orders_v7");
        assertThat(ProjectionId.of("order_items2", 12)).hasToString("order_items2_v12");
        assertThat(ProjectionId.parse("order_items2_v12")).isEqualTo(ProjectionId.of("order_items2", 12));
        ProjectionId.of("a".repeat(40), 1);
        for (String bad : List.of("", "a".repeat(41), "1abc", "_abc", "Abc", "abc_", "aBc", "a-b", "a.b")) {
            assertThatThrownBy(() -> ProjectionId.of(bad, 1)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> ProjectionId.of("abc", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ProjectionId.parse("abc")).isInstanceOf(IllegalArgumentException.class);
        // Only the form toString writes: one text per ID.
        for (String bad : List.of("orders_v+2", "orders_v002", "orders_v0", "orders_v-1", "orders_v", "orders_v 2")) {
            assertThatThrownBy(() -> ProjectionId.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void closeGraceMustBePositive() {
        assertThatThrownBy(() -> ProjectionProcessor.Options.defaults().closeGrace(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("closeGrace must be positive");
        assertThatThrownBy(() -> ProjectionProcessor.Options.defaults().closeGrace(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("closeGrace must be positive");
        assertThat(ProjectionProcessor.Options.defaults().closeGrace()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    @Timeout(20) // the default grace would take 30 s
    void closeInterruptsAHandlerThatOutlivesTheGrace() throws Exception {
        store.appendStream(TypeId.newV4("slow"), List.of(WritableEvent.of("e", new byte[0])));
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        ProjectionProcessor p = start(e -> {
            entered.countDown();
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException ie) {
                interrupted.countDown();
                Thread.currentThread().interrupt();
            }
        }, options().closeGrace(Duration.ofMillis(200)));
        assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
        p.close();
        assertThat(interrupted.getCount()).as("the handler was interrupted after the grace").isZero();
    }

    @Test
    @Timeout(20)
    void anEventWhoseHandlerCloseInterruptedIsNotPassedOverEvenWithContinueOnError() throws Exception {
        long first = append("slow", "e", 1).get(0).globalPosition().orElseThrow();
        long second = append("slow", "e", 1).get(0).globalPosition().orElseThrow();
        CountDownLatch entered = new CountDownLatch(1);
        ProjectionProcessor p = start(e -> {
            if (e.globalPosition().orElseThrow() == second) {
                entered.countDown();
                new CountDownLatch(1).await(); // gives up, throwing, when close() interrupts it
            }
        }, options().continueOnError(true).checkpointEvery(1).closeGrace(Duration.ofMillis(200)));
        assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
        p.close();
        // The interrupted event was not handled: it is no handler failure, and a restart handles it.
        assertThat(checkpoints.load(id).orElseThrow().position()).as("checkpoint after the close").isEqualTo(first);
        assertThat(p.status().failures()).isEmpty();
        assertThat(p.state()).isEqualTo(State.STOPPED);
        Recorder again = new Recorder();
        start(again, options());
        again.awaitCount(1);
        assertThat(again.events.get(0).globalPosition()).hasValue(second);
    }
}
