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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

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
 * checkpoints) when it has too many, so work rebalances when workers join, leave or die. A worker
 * that dies keeps its leases until they expire; then the others take its partitions over from their
 * checkpoints, and the events since those checkpoints are handled again (at-least-once).
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
     * @param workerId this worker's name, unique among the workers
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
    private final Map<Integer, Held> held = new TreeMap<>(); // guarded by this

    private record Held(Lease lease, ProjectionProcessor processor) {
    }

    private PartitionedProjection(GlobalReader reader, CheckpointStore checkpoints, LeaseStore leases, ProjectionId id,
            EventHandler handler, Settings settings) {
        this.reader = Objects.requireNonNull(reader, "reader");
        this.checkpoints = Objects.requireNonNull(checkpoints, "checkpoints");
        this.leases = Objects.requireNonNull(leases, "leases");
        this.id = Objects.requireNonNull(id, "id");
        this.handler = Objects.requireNonNull(handler, "handler");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.group = id.toString();
        partitionId(settings.partitions() - 1); // fail fast when the name leaves no room for a suffix
        this.coordinator = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("estoria-partitions-" + id + "-" + settings.workerId()).daemon().factory());
    }

    /** Starts a worker of projection {@code id}. */
    public static PartitionedProjection start(GlobalReader reader, CheckpointStore checkpoints, LeaseStore leases,
            ProjectionId id, EventHandler handler, Settings settings) {
        PartitionedProjection worker = new PartitionedProjection(reader, checkpoints, leases, id, handler, settings);
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

    private synchronized void coordinate() {
        try {
            renewAll();
            Set<String> owners = leases.heartbeat(group, settings.workerId(), settings.leaseTtl());
            List<Lease> live = leases.leases(group);
            int fairShare = (settings.partitions() + owners.size() - 1) / owners.size();
            while (held.size() > fairShare) {
                int last = ((TreeMap<Integer, Held>) held).lastKey();
                stop(last, true);
            }
            Set<Integer> taken = new HashSet<>();
            live.forEach(l -> taken.add(l.partition()));
            for (int p = 0; p < settings.partitions() && held.size() < fairShare; p++) {
                if (!held.containsKey(p) && !taken.contains(p)) {
                    int partition = p;
                    leases.tryAcquire(group, partition, settings.workerId(), settings.leaseTtl())
                            .ifPresent(lease -> startPartition(partition, lease));
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "worker " + settings.workerId() + " of " + id + " could not coordinate; retrying", e);
        }
    }

    private void renewAll() {
        for (Integer partition : List.copyOf(held.keySet())) {
            Held h = held.get(partition);
            var renewed = leases.renew(h.lease(), settings.leaseTtl());
            if (renewed.isPresent()) {
                held.put(partition, new Held(renewed.get(), h.processor()));
            } else {
                LOG.log(Level.WARNING, "worker " + settings.workerId() + " lost its lease on partition " + partition
                        + " of " + id + "; stopping it");
                stop(partition, false);
            }
        }
    }

    private void startPartition(int partition, Lease lease) {
        int partitions = settings.partitions();
        ProjectionProcessor processor = ProjectionProcessor.create(reader, checkpoints, partitionId(partition), event -> {
            if (partitionOf(event.streamId(), partitions) == partition) {
                handler.handle(event);
            }
        }, settings.options()).start();
        held.put(partition, new Held(lease, processor));
    }

    private void stop(int partition, boolean release) {
        Held h = held.remove(partition);
        try {
            h.processor().close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (release) {
            leases.release(h.lease());
        }
    }

    /** Stops every partition (saving checkpoints) and releases the leases, so others take over at once. */
    @Override
    public void close() throws InterruptedException {
        coordinator.shutdownNow();
        coordinator.awaitTermination(30, TimeUnit.SECONDS);
        synchronized (this) {
            for (Integer partition : List.copyOf(held.keySet())) {
                stop(partition, true);
            }
        }
    }

    /** Stops working without releasing the leases, as a crashed process would; for tests. */
    synchronized void haltWithoutRelease() throws InterruptedException {
        coordinator.shutdownNow();
        for (Held h : held.values()) {
            h.processor().close();
        }
        held.clear();
    }
}
