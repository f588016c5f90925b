package dev.estoria.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.typeid.TypeId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class PartitionedProjectionTest {

    private static final int PARTITIONS = 6;
    private final InMemoryEventStore store = InMemoryEventStore.create();
    private final InMemoryCheckpointStore checkpoints = InMemoryCheckpointStore.create();
    private final InMemoryLeaseStore leases = InMemoryLeaseStore.create();
    private final ProjectionId id = ProjectionId.of("shipping", 1);
    /** Events handled, per stream, in handling order, and which worker handled each. */
    private final Map<TypeId, List<Long>> handled = new ConcurrentHashMap<>();
    private final Map<TypeId, Set<String>> handlers = new ConcurrentHashMap<>();

    private PartitionedProjection worker(String name) {
        return PartitionedProjection.start(store, checkpoints, leases, id, event -> {
            handled.computeIfAbsent(event.streamId(), k -> java.util.Collections.synchronizedList(new ArrayList<>()))
                    .add(event.streamVersion());
            handlers.computeIfAbsent(event.streamId(), k -> ConcurrentHashMap.newKeySet()).add(name);
        }, new PartitionedProjection.Settings(PARTITIONS, name, Duration.ofMillis(300),
                ProjectionProcessor.Options.defaults().pollInterval(Duration.ofMillis(20)).checkpointEvery(1)));
    }

    private List<TypeId> writeStreams(int streams, int eventsEach) {
        List<TypeId> ids = new ArrayList<>();
        for (int s = 0; s < streams; s++) {
            TypeId stream = TypeId.newV4("parcel");
            ids.add(stream);
            for (int e = 0; e < eventsEach; e++) {
                store.appendStream(stream, List.of(WritableEvent.of("moved", new byte[0])));
            }
        }
        return ids;
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(10); // polling an outcome, not ordering threads
        }
    }

    private boolean allHandled(List<TypeId> streams, int eventsEach) {
        for (TypeId s : streams) {
            List<Long> versions = handled.get(s);
            if (versions == null || new HashSet<>(versions).size() < eventsEach) {
                return false;
            }
        }
        return true;
    }

    @Test
    void workersSplitPartitionsAndEachStreamIsHandledInOrder() throws Exception {
        List<TypeId> streams = writeStreams(30, 4);
        PartitionedProjection a = worker("a");
        PartitionedProjection b = worker("b");
        PartitionedProjection c = worker("c");
        try {
            // One look at the three workers per try: a worker whose lease expired (a stalled renewal)
            // holds its partition until its next round, so shares read at different times may overlap.
            await(() -> {
                Set<Integer> ofA = a.ownedPartitions();
                Set<Integer> ofB = b.ownedPartitions();
                Set<Integer> ofC = c.ownedPartitions();
                Set<Integer> all = new HashSet<>(ofA);
                all.addAll(ofB);
                all.addAll(ofC);
                return ofA.size() == 2 && ofB.size() == 2 && ofC.size() == 2 && all.size() == PARTITIONS;
            }, "three workers hold two different partitions each");
            await(() -> allHandled(streams, 4), "every event is handled");
            for (TypeId s : streams) {
                List<Long> versions = handled.get(s);
                assertThat(versions).as("stream %s in order", s).isSorted();
            }
        } finally {
            a.close();
            b.close();
            c.close();
        }
    }

    @Test
    void aDeadWorkersPartitionsAreTakenOverAfterItsLeasesExpire() throws Exception {
        List<TypeId> streams = writeStreams(20, 2);
        PartitionedProjection a = worker("a");
        PartitionedProjection b = worker("b");
        PartitionedProjection c = worker("c");
        await(() -> a.ownedPartitions().size() + b.ownedPartitions().size() + c.ownedPartitions().size() == PARTITIONS,
                "all partitions are held");
        await(() -> allHandled(streams, 2), "the backlog is handled");
        Set<Integer> orphaned = c.ownedPartitions();
        c.haltWithoutRelease();
        List<TypeId> later = writeStreams(20, 2);
        try {
            // One look at both survivors per try, as above: their shares may overlap for a moment.
            Set<Integer> survivors = ConcurrentHashMap.newKeySet();
            await(() -> {
                survivors.clear();
                survivors.addAll(a.ownedPartitions());
                survivors.addAll(b.ownedPartitions());
                return survivors.size() == PARTITIONS;
            }, "the survivors hold every partition");
            assertThat(survivors).containsAll(orphaned);
            await(() -> allHandled(later, 2), "events written after the death are handled");
            for (TypeId s : later) {
                assertThat(handlers.get(s)).doesNotContain("c");
            }
        } finally {
            a.close();
            b.close();
        }
    }

    @Test
    void aJoiningWorkerGetsItsShareAndClosingHandsPartitionsOver() throws Exception {
        PartitionedProjection a = worker("a");
        try {
            await(() -> a.ownedPartitions().size() == PARTITIONS, "a lone worker holds everything");
            PartitionedProjection b = worker("b");
            await(() -> a.ownedPartitions().size() == 3 && b.ownedPartitions().size() == 3, "the work is rebalanced");
            b.close();
            await(() -> a.ownedPartitions().size() == PARTITIONS, "a takes everything back");
        } finally {
            a.close();
        }
    }

    @Test
    void leasesFenceStaleHolders() {
        Lease first = leases.tryAcquire("g", 0, "a", Duration.ofMinutes(1)).orElseThrow();
        assertThat(leases.tryAcquire("g", 0, "b", Duration.ofMinutes(1))).isEmpty();
        leases.release(first);
        Lease second = leases.tryAcquire("g", 0, "b", Duration.ofMinutes(1)).orElseThrow();
        assertThat(second.token()).isGreaterThan(first.token());
        assertThat(leases.renew(first, Duration.ofMinutes(1))).isEmpty();
        assertThat(leases.renew(second, Duration.ofMinutes(1))).isPresent();
        assertThat(leases.leases("g")).extracting(Lease::owner).containsExactly("b");
        assertThat(PartitionedProjection.partitionOf(TypeId.parse("parcel_00000000-0000-0000-0000-000000000001"), 6))
                .as("stable across processes").isEqualTo(
                        Math.floorMod("parcel_00000000-0000-0000-0000-000000000001".hashCode(), 6));
        assertThatThrownBy(() -> new PartitionedProjection.Settings(0, "w", Duration.ofSeconds(1),
                ProjectionProcessor.Options.defaults())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sharesDifferByAtMostOne() {
        java.util.SortedSet<String> members = new java.util.TreeSet<>(List.of("a", "b", "c"));
        assertThat(List.of(PartitionedProjection.fairShare(4, members, "a"), PartitionedProjection.fairShare(4, members, "b"),
                PartitionedProjection.fairShare(4, members, "c"))).containsExactly(2, 1, 1);
        assertThat(PartitionedProjection.fairShare(6, members, "c")).isEqualTo(2);
        assertThat(PartitionedProjection.fairShare(2, members, "c")).isZero();
    }

    @Test
    void aSlowPartitionBeingHandedOverNeverRunsOnTwoWorkersAtOnce() throws Exception {
        // Two partitions; one stream in each. Handling is slow, so a handover happens mid-handler.
        TypeId[] streams = new TypeId[2];
        while (streams[0] == null || streams[1] == null) {
            TypeId candidate = TypeId.newV4("parcel");
            streams[PartitionedProjection.partitionOf(candidate, 2)] = candidate;
        }
        for (int i = 0; i < 6; i++) {
            for (TypeId stream : streams) {
                store.appendStream(stream, List.of(WritableEvent.of("moved", new byte[0])));
            }
        }
        Map<Integer, java.util.concurrent.atomic.AtomicInteger> running = new ConcurrentHashMap<>();
        Map<Integer, Integer> maxRunning = new ConcurrentHashMap<>();
        Map<TypeId, Set<Long>> seen = new ConcurrentHashMap<>();
        EventHandler slow = event -> {
            int partition = PartitionedProjection.partitionOf(event.streamId(), 2);
            int now = running.computeIfAbsent(partition, k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
            maxRunning.merge(partition, now, Math::max);
            try {
                Thread.sleep(150); // a slow handler, so the handover overlaps a running event
            } finally {
                running.get(partition).decrementAndGet();
            }
            seen.computeIfAbsent(event.streamId(), k -> ConcurrentHashMap.newKeySet()).add(event.streamVersion());
        };
        var settings = new PartitionedProjection.Settings(2, "a", Duration.ofMillis(300),
                ProjectionProcessor.Options.defaults().pollInterval(Duration.ofMillis(20)).checkpointEvery(1));
        // The lease store's clock stands still: a lease moves only when it is handed over, never by
        // expiring while a stalled worker's renewal is late, which would let the other worker in
        // while the stalled one is inside its slow handler (what lease times are chosen to rule out).
        LeaseStore handOverOnly = InMemoryLeaseStore.withClock(
                java.time.Clock.fixed(java.time.Instant.parse("2026-01-01T00:00:00Z"), java.time.ZoneOffset.UTC));
        PartitionedProjection a = PartitionedProjection.start(store, checkpoints, handOverOnly, ProjectionId.of("slow", 1),
                slow, settings);
        await(() -> a.ownedPartitions().size() == 2, "a holds both partitions");
        PartitionedProjection b = PartitionedProjection.start(store, checkpoints, handOverOnly, ProjectionId.of("slow", 1),
                slow, new PartitionedProjection.Settings(2, "b", Duration.ofMillis(300), settings.options()));
        try {
            await(() -> a.ownedPartitions().size() == 1 && b.ownedPartitions().size() == 1, "the partitions are split");
            await(() -> seen.getOrDefault(streams[0], Set.of()).size() == 6
                    && seen.getOrDefault(streams[1], Set.of()).size() == 6, "every event is handled");
            assertThat(maxRunning.values()).allMatch(max -> max == 1);
        } finally {
            a.close();
            b.close();
        }
    }

    static long count(Map<TypeId, List<Event>> m) {
        return m.values().stream().mapToLong(List::size).sum();
    }

    /** Lease store whose renewals can be held up, as a slow database would hold them. */
    private static final class HeldRenewals extends ForwardingLeaseStore {
        private volatile java.util.concurrent.CountDownLatch gate;

        HeldRenewals(LeaseStore inner) {
            super(inner);
        }

        void hold() {
            gate = new java.util.concurrent.CountDownLatch(1);
        }

        void release() {
            java.util.concurrent.CountDownLatch g = gate;
            gate = null;
            if (g != null) {
                g.countDown();
            }
        }

        @Override
        public java.util.Optional<Lease> renew(Lease lease, Duration ttl) {
            java.util.concurrent.CountDownLatch g = gate;
            if (g != null) {
                try {
                    g.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return inner.renew(lease, ttl);
        }
    }

    @Test
    void aPartitionWhoseLeaseLapsedStopsRatherThanSkipEventsEvenWithContinueOnError() throws Exception {
        // The lease store's clock stands still, so its leases never expire and every renewal
        // succeeds: only the worker's own fence, timed by its clock, lapses while a renewal is held.
        HeldRenewals renewals = new HeldRenewals(InMemoryLeaseStore.withClock(
                java.time.Clock.fixed(java.time.Instant.parse("2026-01-01T00:00:00Z"), java.time.ZoneOffset.UTC)));
        List<String> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger processorLog = java.util.logging.Logger.getLogger(ProjectionProcessor.class.getName());
        java.util.logging.Handler recorder = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                logged.add(record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        processorLog.addHandler(recorder);
        List<Long> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        Duration ttl = Duration.ofMillis(300);
        ProjectionProcessor.Options options = ProjectionProcessor.Options.defaults().pollInterval(Duration.ofMillis(20))
                .checkpointEvery(1).continueOnError(true);
        TypeId stream = TypeId.newV4("parcel");
        long p0 = append(stream);
        PartitionedProjection worker = PartitionedProjection.start(store, checkpoints, renewals, id,
                event -> seen.add(event.globalPosition().orElseThrow()),
                new PartitionedProjection.Settings(1, "w1", ttl, options));
        try {
            ProjectionId partition = lapseAfterCatchingUp(worker, renewals, p0, ttl);

            long p1 = append(stream);
            long p2 = append(stream);
            // The processor meets p1 without a valid lease: it stops there, or (the fault) skips it.
            await(() -> logged.stream().anyMatch(m -> m.contains("position " + p1)), "the processor met " + p1);
            renewals.release();
            long p3 = append(stream);
            await(() -> checkpoints.load(partition).map(c -> c.position() >= p3).orElse(false), "checkpoint at " + p3);
            assertThat(seen).as("events handled").contains(p1, p2, p3);
        } finally {
            renewals.release();
            worker.close();
            processorLog.removeHandler(recorder);
        }
    }

    @Test
    void aWorkerWhoseLeaseLapsedSavesNoCheckpoint() throws Exception {
        // As above, the lease store never expires leases: only the worker's own fence lapses.
        HeldRenewals renewals = new HeldRenewals(InMemoryLeaseStore.withClock(
                java.time.Clock.fixed(java.time.Instant.parse("2026-01-01T00:00:00Z"), java.time.ZoneOffset.UTC)));
        RecordingCheckpointStore counted = new RecordingCheckpointStore(checkpoints);
        Duration ttl = Duration.ofMillis(300);
        TypeId stream = TypeId.newV4("parcel");
        long p0 = append(stream);
        LogRecorder log = new LogRecorder(PartitionedProjection.class);
        log.start();
        PartitionedProjection worker = PartitionedProjection.start(store, counted, renewals, id, event -> {
        }, new PartitionedProjection.Settings(1, "w1", ttl,
                ProjectionProcessor.Options.defaults().pollInterval(Duration.ofMillis(20)).checkpointEvery(1)));
        try {
            lapseAfterCatchingUp(worker, renewals, p0, ttl);
            // A save that passed the fence just before the lapse may still be under way: once the
            // processor has met the lapsed fence, it saves nothing more.
            await(() -> log.messages().stream().anyMatch(m -> m.startsWith("not saving checkpoint")),
                    "the fence refused a save");
            int before = counted.saves();
            Thread.sleep(200); // ten poll intervals: a processor at the head saves on each unless fenced
            assertThat(counted.saves()).as("checkpoint saves once the lease lapsed").isEqualTo(before);
        } finally {
            renewals.release();
            worker.close();
            log.stop();
        }
    }

    /**
     * Waits until the worker's partition 0 has checkpointed {@code caughtUpAt}, then holds the lease
     * renewals and waits until the worker's own lease time has run out; returns the partition.
     */
    private ProjectionId lapseAfterCatchingUp(PartitionedProjection worker, HeldRenewals renewals, long caughtUpAt,
            Duration ttl) throws InterruptedException {
        ProjectionId partition = worker.partitionId(0);
        await(() -> checkpoints.load(partition).map(c -> c.position() == caughtUpAt).orElse(false), "caught up");
        renewals.hold();
        long heldAt = System.nanoTime();
        await(() -> System.nanoTime() - heldAt > ttl.toNanos(), "the worker's own lease time ran out");
        return partition;
    }

    private long append(TypeId stream) {
        return store.appendStream(stream, List.of(WritableEvent.of("moved", new byte[0]))).get(0).globalPosition()
                .orElseThrow();
    }
}
