package dev.estoria.projection;

import dev.estoria.eventstore.GlobalReader;
import dev.estoria.typeid.TypeId;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * One worker of a projection split into partitions that several workers (threads or processes)
 * share: competing consumers.
 *
 * <p>Each stream belongs to one partition ({@link #partitionOf}), so each stream's events are still
 * handled in order, by one worker at a time. A worker holds a {@link Lease} per partition it works
 * and runs one {@link ProjectionProcessor} per held partition, with its own checkpoint ({@code
 * name_pK}). Every {@code leaseTtl / 3} the worker sends a heartbeat, renews its leases (a partition whose lease was
 * lost stops at once), counts the live workers and takes its fair share: it acquires free or expired
 * partitions when it has too few, and releases partitions (after stopping them and saving their
 * checkpoints) when it has too many, so work rebalances when workers join, leave or die. Shares
 * differ by at most one partition. A worker that dies keeps its leases until they expire; then the
 * others take its partitions over from their checkpoints, and the events since those checkpoints are
 * handled again (at-least-once).
 *
 * <p>Each partition's handler and checkpoint saves are fenced by its lease: once the worker may have
 * lost it (renewal failed, or its time ran out by this worker's clock), the partition handles nothing
 * more and saves no checkpoint: its processor stops at the first event it may no longer handle, even
 * with {@code continueOnError} (skipping would let a checkpoint saved after a late renewal pass over
 * that event). That is not a failure: at the next round the partition goes on from its checkpoint,
 * under the same lease if its renewal succeeded after all, or else it is released and may be taken
 * again at once. A partition let go is not taken up again by the same worker before its old
 * processor has ended, so one worker never runs a partition's handler twice at once. Stopping a
 * partition never delays renewing the others. A partition whose handler fails is released and left
 * alone by this worker for three lease times, so another may try it; {@link #partitionStatus()}
 * shows each held partition's state.
 *
 * <p>Each worker reads the whole global log and handles only its partitions' events; partitioning
 * spreads the handling work, not the reading.
 */
public final class PartitionedProjection implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(PartitionedProjection.class.getName());

    /**
     * How a worker takes part.
     *
     * @param partitions how many partitions the projection has; the same for every worker, fixed for
     *     the projection's life (changing it reshuffles streams, so make it a new projection version)
     * @param workerId this worker's name, unique among the workers across hosts and containers (a
     *     process ID alone is not). Two workers sharing an ID share its leases, since a lease is
     *     granted again to the owner that holds it, and both handle every event of those partitions.
     * @param leaseTtl how long a lease lasts without renewal; longer than any pause a worker may suffer
     * @param options the options of each partition's processor
     */
    public record Settings(int partitions, String workerId, Duration leaseTtl, ProjectionProcessor.Options options) {

        public Settings {
            if (partitions < 1) {
                throw new IllegalArgumentException("partitions must be >= 1, was " + partitions);
            }
            Objects.requireNonNull(workerId, "workerId");
            Objects.requireNonNull(leaseTtl, "leaseTtl");
            if (leaseTtl.toMillis() < 30) {
                throw new IllegalArgumentException("leaseTtl must be at least 30 ms, was " + leaseTtl);
            }
            Objects.requireNonNull(options, "options");
        }
    }

    private final GlobalReader reader;
    private final CheckpointStore checkpoints;
    private final LeaseStore leases;
    private final ProjectionId id;
    private final EventHandler handler;
    private final Settings settings;
    private final String group;
    private final ScheduledExecutorService coordinator;
    private final java.util.concurrent.ExecutorService stopper;
    private final Map<Integer, Held> held = new TreeMap<>(); // guarded by this
    private final Map<Integer, Long> coolingUntil = new java.util.HashMap<>(); // nanoTime; guarded by this
    /**
     * Partitions let go whose processor has not ended yet (it may still be inside the handler): not
     * taken up again until it has, so this worker never runs one partition's handler twice at once.
     */
    private final Map<Integer, ProjectionProcessor> stopping = new java.util.concurrent.ConcurrentHashMap<>();
    /** This worker's monotonic clock, in nanoseconds: {@link System#nanoTime()} but in tests. */
    private final LongSupplier nanoTime;
    /** The partition whose handler this thread is running, if any: a close() from there must not wait for it. */
    private final ThreadLocal<Held> handling = new ThreadLocal<>();
    /** Set once, by the first close(): coordination rounds do nothing more. */
    private final AtomicBoolean closing = new AtomicBoolean();
    /** Released once close() has stopped every partition and left the group. */
    private final CountDownLatch closed = new CountDownLatch(1);
    private final String threadName;

    /** A held partition; {@code validUntil} (nanoTime) is when this worker must assume the lease lost. */
    private final class Held {
        volatile Lease lease;
        volatile long validUntil;
        volatile ProjectionProcessor processor;

        Held(Lease lease, long validUntil) {
            this.lease = lease;
            this.validUntil = validUntil;
        }

        boolean valid() {
            return nanoTime.getAsLong() - validUntil < 0;
        }
    }

    private PartitionedProjection(GlobalReader reader, CheckpointStore checkpoints, LeaseStore leases, ProjectionId id,
            EventHandler handler, Settings settings, LongSupplier nanoTime) {
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.reader = Objects.requireNonNull(reader, "reader");
        this.checkpoints = Objects.requireNonNull(checkpoints, "checkpoints");
        this.leases = Objects.requireNonNull(leases, "leases");
        this.id = Objects.requireNonNull(id, "id");
        this.handler = Objects.requireNonNull(handler, "handler");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.group = id.toString();
        partitionId(settings.partitions() - 1); // fail fast when the name leaves no room for a suffix
        String name = "estoria-partitions-" + id + "-" + settings.workerId();
        this.threadName = name;
        this.coordinator = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name(name).daemon().factory());
        this.stopper = Executors.newCachedThreadPool(Thread.ofPlatform().name(name + "-stop-", 0).daemon().factory());
    }

    /** Starts a worker of projection {@code id}. */
    public static PartitionedProjection start(GlobalReader reader, CheckpointStore checkpoints, LeaseStore leases,
            ProjectionId id, EventHandler handler, Settings settings) {
        return start(reader, checkpoints, leases, id, handler, settings, System::nanoTime);
    }

    /** Starts a worker that judges its leases' validity by {@code nanoTime}; for tests. */
    static PartitionedProjection start(GlobalReader reader, CheckpointStore checkpoints, LeaseStore leases,
            ProjectionId id, EventHandler handler, Settings settings, LongSupplier nanoTime) {
        PartitionedProjection worker = new PartitionedProjection(reader, checkpoints, leases, id, handler, settings, nanoTime);
        long period = Math.max(10, settings.leaseTtl().toMillis() / 3);
        worker.coordinator.scheduleWithFixedDelay(worker::coordinate, 0, period, TimeUnit.MILLISECONDS);
        return worker;
    }

    /** The partition of a stream: stable across processes and versions of Java. */
    public static int partitionOf(TypeId streamId, int partitions) {
        return Math.floorMod(streamId.toString().hashCode(), partitions);
    }

    /** The checkpoint identity of one partition. */
    public ProjectionId partitionId(int partition) {
        return ProjectionId.of(id.name() + "_p" + partition, id.version());
    }

    /** The partitions this worker holds right now. */
    public synchronized Set<Integer> ownedPartitions() {
        return Set.copyOf(held.keySet());
    }

    /**
     * The status of each partition this worker holds. Counting each one's lag reads the log (see
     * {@link ProjectionProcessor#status()}); the worker goes on renewing its leases meanwhile.
     */
    public Map<Integer, ProjectionStatus> partitionStatus() {
        Map<Integer, ProjectionProcessor> processors = new TreeMap<>();
        synchronized (this) {
            held.forEach((partition, h) -> processors.put(partition, h.processor));
        }
        Map<Integer, ProjectionStatus> status = new TreeMap<>();
        processors.forEach((partition, processor) -> status.put(partition, processor.status()));
        return status;
    }

    /**
     * This worker's share of the partitions: an even split, the first {@code partitions mod workers}
     * workers (by name) taking one more, so shares differ by at most one.
     */
    static int fairShare(int partitions, java.util.SortedSet<String> members, String self) {
        int workers = members.size();
        int rank = members.headSet(self).size();
        return partitions / workers + (rank < partitions % workers ? 1 : 0);
    }

    private synchronized void coordinate() {
        if (closing.get()) {
            return; // close() takes the partitions from here
        }
        try {
            renewAll();
            releaseFailed();
            java.util.SortedSet<String> owners = new java.util.TreeSet<>(
                    leases.heartbeat(group, settings.workerId(), settings.leaseTtl()));
            owners.add(settings.workerId());
            List<Lease> live = leases.leases(group);
            int share = fairShare(settings.partitions(), owners, settings.workerId());
            while (held.size() > share) {
                int last = ((TreeMap<Integer, Held>) held).lastKey();
                stopAsync(last, true);
            }
            Set<Integer> taken = new HashSet<>();
            live.forEach(l -> taken.add(l.partition()));
            long now = nanoTime.getAsLong();
            coolingUntil.values().removeIf(until -> now - until >= 0);
            for (int p = 0; p < settings.partitions() && held.size() < share && !closing.get(); p++) {
                if (!held.containsKey(p) && !taken.contains(p) && !coolingUntil.containsKey(p)
                        && !stopping.containsKey(p)) {
                    acquire(p);
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "worker " + settings.workerId() + " of " + id + " could not coordinate; retrying", e);
        }
    }

    private long validUntil(long askedAt) {
        // Assume the lease lost a fifth of its time before the store would expire it, to allow for
        // the time the request took and for clock differences.
        long ttl = settings.leaseTtl().toNanos();
        return askedAt + ttl - ttl / 5;
    }

    private void renewAll() {
        for (Integer partition : List.copyOf(held.keySet())) {
            Held h = held.get(partition);
            long askedAt = nanoTime.getAsLong();
            var renewed = leases.renew(h.lease, settings.leaseTtl());
            if (renewed.isPresent()) {
                h.lease = renewed.get();
                h.validUntil = validUntil(askedAt);
            } else {
                LOG.log(Level.WARNING, "worker " + settings.workerId() + " lost its lease on partition " + partition
                        + " of " + id + "; stopping it");
                h.validUntil = askedAt;
                stopAsync(partition, false);
            }
        }
    }

    /**
     * A partition whose handler failed is given up for a while, so another worker may try it. One
     * that stopped only because its lease lapsed by this worker's own estimate (a slow renewal) did
     * not fail: if the lease was renewed since, it goes on at once from its checkpoint under the same
     * lease; otherwise it is released and may be taken again at the next round, without a cool-down.
     */
    private void releaseFailed() {
        for (Integer partition : List.copyOf(held.keySet())) {
            Held h = held.get(partition);
            if (h.processor.state() != ProjectionStatus.State.FAILED) {
                continue;
            }
            if (h.processor.failure().orElse(null) instanceof LeaseLapsedException) {
                if (h.processor.ended() && h.valid()) {
                    LOG.log(Level.INFO, "partition " + partition + " of " + id + " stopped on worker " + settings.workerId()
                            + " when its lease seemed lapsed; the lease was renewed since, so it goes on from its checkpoint");
                    startProcessor(partition, h);
                } else {
                    LOG.log(Level.INFO, "partition " + partition + " of " + id + " stopped on worker " + settings.workerId()
                            + " when its lease lapsed; releasing it, to be taken up again");
                    stopAsync(partition, true);
                }
                continue;
            }
            LOG.log(Level.WARNING, "partition " + partition + " of " + id + " failed on worker " + settings.workerId()
                    + "; releasing it");
            stopAsync(partition, true);
            coolingUntil.put(partition, nanoTime.getAsLong() + 3 * settings.leaseTtl().toNanos());
        }
    }

    private void acquire(int partition) {
        long askedAt = nanoTime.getAsLong();
        leases.tryAcquire(group, partition, settings.workerId(), settings.leaseTtl()).ifPresent(lease -> {
            if (closing.get()) {
                // close() was called while the store answered: hand the partition straight back.
                releaseQuietly(lease);
                return;
            }
            Held h = new Held(lease, validUntil(askedAt));
            startProcessor(partition, h);
            held.put(partition, h);
        });
    }

    /**
     * Starts a processor for a partition held as {@code h}, made {@code h}'s before it starts, since
     * its handler may look for it (a close() from the handler) at once.
     */
    private void startProcessor(int partition, Held h) {
        ProjectionProcessor processor = processor(partition, h);
        h.processor = processor;
        processor.start();
    }

    /** A processor, not yet started, for a partition held as {@code h}. */
    private ProjectionProcessor processor(int partition, Held h) {
        int partitions = settings.partitions();
        // Both the handler and the checkpoint are fenced by the lease: once this worker may have
        // lost the partition, it handles nothing more and never overwrites the new owner's
        // checkpoint.
        EventHandler fencedHandler = event -> {
            if (!h.valid()) {
                throw new LeaseLapsedException("the lease on partition " + partition + " of " + id + " lapsed");
            }
            if (partitionOf(event.streamId(), partitions) == partition) {
                handling.set(h);
                try {
                    handler.handle(event);
                } finally {
                    handling.remove();
                }
            }
        };
        return ProjectionProcessor.create(reader, new FencedCheckpoints(checkpoints, h), partitionId(partition),
                fencedHandler, settings.options());
    }

    private void releaseQuietly(Lease lease) {
        try {
            leases.release(lease);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "could not release the lease on partition " + lease.partition() + " of " + id
                    + "; it will expire", e);
        }
    }

    /** Saves checkpoints only while the lease is valid. */
    private record FencedCheckpoints(CheckpointStore inner, Held held) implements CheckpointStore {
        @Override
        public java.util.Optional<Checkpoint> load(ProjectionId pid) {
            return inner.load(pid);
        }

        @Override
        public void save(ProjectionId pid, long position) {
            if (held.valid()) {
                inner.save(pid, position);
            } else {
                // The kit's CompetingWorkersCheck reads this line to tell a replay after a lapse
                // from two workers sharing a partition: keep its wording in step.
                LOG.log(Level.WARNING, "not saving checkpoint " + position + " of " + pid + ": the lease lapsed");
            }
        }

        @Override
        public boolean delete(ProjectionId pid) {
            return inner.delete(pid);
        }

        @Override
        public List<Checkpoint> list() {
            return inner.list();
        }
    }

    /**
     * Stops a partition without blocking the coordinator (renewals go on meanwhile); the lease is
     * released only after the processor finished and saved its checkpoint.
     */
    private void stopAsync(int partition, boolean release) {
        Held h = held.remove(partition);
        ProjectionProcessor processor = h.processor;
        stopping.put(partition, processor);
        processor.whenEnded(() -> stopping.remove(partition, processor));
        stopper.execute(() -> stopNow(h, release));
    }

    private void stopNow(Held h, boolean release) {
        try {
            h.processor.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "stopping partition " + h.lease.partition() + " of " + id + " failed", e);
        }
        // close() gives up after its grace and returns with the processor possibly still inside a
        // handler or a checkpoint save: fence it off (no more events, no checkpoint), and release the
        // lease only once its thread has ended, so no one else works the partition meanwhile.
        h.validUntil = nanoTime.getAsLong();
        if (!release) {
            return;
        }
        if (h.processor.ended()) {
            releaseQuietly(h.lease);
        } else {
            LOG.log(Level.WARNING, "partition " + h.lease.partition() + " of " + id + " did not stop within its close grace;"
                    + " it keeps its lease until its processor ends, or the lease expires");
            h.processor.whenEnded(() -> releaseQuietly(h.lease));
        }
    }

    /**
     * Stops every partition (saving checkpoints), releases the leases and leaves the group, so others
     * take over at once. A partition whose processor does not stop within its close's grace keeps
     * its lease, fenced off so that it handles and saves nothing more, until the processor ends (then
     * the lease is released) or the lease expires. The partitions stop at once, each within its
     * grace.
     *
     * <p>Called from one of this worker's handlers, it does not wait, since that partition cannot
     * stop before the handler returns: the partition handles nothing after the current event, and the
     * close goes on in the background, releasing its lease once its processor has stopped. A thread
     * interrupted while it waits gets an {@link InterruptedException} at once, and the close goes on
     * in the background just the same. A second call waits for the first call's close to finish.
     */
    @Override
    public void close() throws InterruptedException {
        Held own = handling.get();
        if (own != null) {
            own.processor.stop(); // nothing more after this event
        }
        if (closing.compareAndSet(false, true)) {
            coordinator.shutdown();
            Thread.ofPlatform().name(threadName + "-close").daemon().start(this::finishClose);
        }
        if (own == null) {
            closed.await();
        }
    }

    private void finishClose() {
        try {
            List<Held> all;
            synchronized (this) { // after the coordination round under way, if any; later ones do nothing
                all = List.copyOf(held.values());
                held.clear();
            }
            all.forEach(h -> h.processor.stop()); // all at once, rather than each after the one before
            for (Held h : all) {
                stopper.execute(() -> stopNow(h, true));
            }
            stopper.shutdown();
            // Partitions handed over earlier may still be stopping too: each takes at most its close
            // grace and the wait after the interrupt.
            long graceSeconds = settings.options().closeGrace().getSeconds();
            stopper.awaitTermination(graceSeconds > Long.MAX_VALUE - 30 ? Long.MAX_VALUE : graceSeconds + 30, TimeUnit.SECONDS);
            try {
                // Without this the others count this worker in their shares until its heartbeat
                // expires, and leave the partitions just released unworked until then.
                leases.leave(group, settings.workerId());
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "worker " + settings.workerId() + " of " + id + " could not leave; its heartbeat will expire", e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // nobody interrupts this thread; it ends here
        } catch (RuntimeException | Error e) {
            LOG.log(Level.ERROR, "worker " + settings.workerId() + " of " + id + " could not close cleanly", e);
        } finally {
            closed.countDown();
        }
    }

    /** Stops working without releasing the leases, as a crashed process would; for tests. */
    void haltWithoutRelease() throws InterruptedException {
        coordinator.shutdownNow();
        coordinator.awaitTermination(30, TimeUnit.SECONDS);
        List<Held> all;
        synchronized (this) {
            all = List.copyOf(held.values());
            held.clear();
        }
        for (Held h : all) {
            h.processor.close();
        }
    }
}
