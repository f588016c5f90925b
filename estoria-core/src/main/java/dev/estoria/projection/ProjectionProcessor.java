package dev.estoria.projection;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventFilter;
import dev.estoria.eventstore.GlobalReader;
import dev.estoria.projection.ProjectionStatus.State;
import dev.estoria.subscription.Subscription;
import dev.estoria.subscription.SubscriptionOptions;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs one projection: replays the global log from its checkpoint, catches up, then follows new
 * events live, handling each matching event in order and checkpointing as it goes.
 *
 * <ul>
 *   <li><b>Handle, then checkpoint</b> (at-least-once): the checkpoint is saved after every {@code
 *       checkpointEvery} handled events, when the processor reaches the head, and on stop. After a
 *       crash, the events since the last checkpoint are handled again.
 *   <li><b>Caught up means durable</b>: the checkpoint at the head is saved before {@link
 *       #awaitCaughtUp} returns true for the first time.
 *   <li><b>Heartbeat</b>: while idle at the head, the checkpoint is saved again every poll interval,
 *       so its {@code updatedAt} shows the projection is alive.
 *   <li><b>Failures</b>: a handler exception stops the processor ({@link State#FAILED}) with the
 *       checkpoint at the last event handled, unless {@code continueOnError} is set, in which case
 *       the failure is recorded ({@link ProjectionStatus#failures()}) and processing goes on.
 *   <li><b>Filter</b>: by default Estoria's own streams (snapshots) are left out.
 *   <li>{@link #close()} stops cleanly: the current event finishes, the checkpoint is saved, the
 *       thread ends.
 * </ul>
 */
public final class ProjectionProcessor implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ProjectionProcessor.class.getName());
    private static final int MAX_RECORDED_FAILURES = 100;
    private static final long LAG_COUNT_CAP = 1_000_000;

    private final GlobalReader reader;
    private final CheckpointStore checkpoints;
    private final ProjectionId id;
    private final EventHandler handler;
    private final Options options;
    private final Clock clock;

    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private final ArrayDeque<ProjectionFailure> failures = new ArrayDeque<>();
    private volatile State state = State.NEW;
    private volatile long position;
    private volatile long checkpointPosition;
    private volatile long caughtUpPosition = -1;
    private volatile long handled;
    private volatile Duration lagTime = Duration.ZERO;
    private volatile Throwable failure;
    private volatile boolean stopping;
    private volatile Subscription subscription;
    private Thread thread;

    /**
     * Processor options.
     *
     * @param filter which events the projection handles
     * @param batchSize events fetched per read
     * @param checkpointEvery handled events between checkpoints, >= 1
     * @param pollInterval how long to wait for a notification before reading anyway; also the idle
     *     heartbeat period
     * @param continueOnError record handler failures and go on instead of stopping
     */
    public record Options(EventFilter filter, int batchSize, int checkpointEvery, Duration pollInterval,
            boolean continueOnError) {

        public Options {
            Objects.requireNonNull(filter, "filter");
            if (batchSize < 1 || checkpointEvery < 1) {
                throw new IllegalArgumentException("batchSize and checkpointEvery must be >= 1");
            }
            Objects.requireNonNull(pollInterval, "pollInterval");
            if (pollInterval.isNegative() || pollInterval.isZero()) {
                throw new IllegalArgumentException("pollInterval must be positive, was " + pollInterval);
            }
        }

        /** Application streams, batches of 500, a checkpoint every 100 events, polling every second. */
        public static Options defaults() {
            return new Options(EventFilter.applicationStreams(), 500, 100, Duration.ofSeconds(1), false);
        }

        public Options filter(EventFilter value) {
            return new Options(value, batchSize, checkpointEvery, pollInterval, continueOnError);
        }

        public Options batchSize(int value) {
            return new Options(filter, value, checkpointEvery, pollInterval, continueOnError);
        }

        public Options checkpointEvery(int value) {
            return new Options(filter, batchSize, value, pollInterval, continueOnError);
        }

        public Options pollInterval(Duration value) {
            return new Options(filter, batchSize, checkpointEvery, value, continueOnError);
        }

        public Options continueOnError(boolean value) {
            return new Options(filter, batchSize, checkpointEvery, pollInterval, value);
        }
    }

    private ProjectionProcessor(GlobalReader reader, CheckpointStore checkpoints, ProjectionId id, EventHandler handler,
            Options options, Clock clock) {
        this.reader = Objects.requireNonNull(reader, "reader");
        this.checkpoints = Objects.requireNonNull(checkpoints, "checkpoints");
        this.id = Objects.requireNonNull(id, "id");
        this.handler = Objects.requireNonNull(handler, "handler");
        this.options = Objects.requireNonNull(options, "options");
        this.clock = clock;
    }

    /** A processor of projection {@code id}, not yet started. */
    public static ProjectionProcessor create(GlobalReader reader, CheckpointStore checkpoints, ProjectionId id,
            EventHandler handler, Options options) {
        return new ProjectionProcessor(reader, checkpoints, id, handler, options, Clock.systemUTC());
    }

    /**
     * Starts the processor on its own thread.
     *
     * @throws IllegalStateException if it was already started
     */
    public synchronized ProjectionProcessor start() {
        if (thread != null) {
            throw new IllegalStateException("projection " + id + " was already started");
        }
        thread = Thread.ofPlatform().name("estoria-projection-" + id).daemon().start(this::run);
        return this;
    }

    private void run() {
        try {
            state = State.CATCHING_UP;
            long start = checkpoints.load(id).map(Checkpoint::position).orElse(0L);
            position = start;
            checkpointPosition = start;
            subscription = Subscription.to(reader, SubscriptionOptions.defaults().afterPosition(start)
                    .filter(options.filter()).batchSize(options.batchSize()).pollInterval(options.pollInterval()));
            long sinceCheckpoint = 0;
            while (!stopping) {
                Optional<Event> next = subscription.next(Duration.ZERO);
                if (next.isEmpty() && stopping) {
                    break;
                }
                if (next.isEmpty()) {
                    // At the head: make it durable, then say so, then wait for more.
                    saveCheckpoint();
                    sinceCheckpoint = 0;
                    lagTime = Duration.ZERO;
                    if (caughtUpPosition < 0) {
                        caughtUpPosition = position;
                        state = State.LIVE;
                        caughtUp.countDown();
                    }
                    next = subscription.next(options.pollInterval());
                    if (next.isEmpty()) {
                        continue;
                    }
                }
                Event event = next.get();
                if (!handle(event)) {
                    return;
                }
                position = event.globalPosition().orElseThrow();
                handled++;
                if (++sinceCheckpoint >= options.checkpointEvery()) {
                    saveCheckpoint();
                    sinceCheckpoint = 0;
                }
            }
            saveCheckpoint();
            state = State.STOPPED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            trySaveCheckpoint();
            state = State.STOPPED;
        } catch (RuntimeException | Error e) {
            failure = e;
            state = State.FAILED;
            LOG.log(Level.ERROR, "projection " + id + " failed at position " + position, e);
            trySaveCheckpoint();
        } finally {
            Subscription s = subscription;
            if (s != null) {
                s.close();
            }
            caughtUp.countDown();
            finished.countDown();
        }
    }

    /** Returns false when the failure stops the processor. */
    private boolean handle(Event event) {
        try {
            lagTime = Duration.between(event.timestamp(), clock.instant());
            handler.handle(event);
            return true;
        } catch (Exception e) {
            ProjectionFailure recorded = new ProjectionFailure(event.globalPosition().orElseThrow(), event.id(),
                    event.streamId(), e.getClass().getName() + ": " + e.getMessage(), clock.instant());
            synchronized (failures) {
                failures.addLast(recorded);
                if (failures.size() > MAX_RECORDED_FAILURES) {
                    failures.removeFirst();
                }
            }
            if (options.continueOnError()) {
                LOG.log(Level.WARNING, "projection " + id + " skipped event " + event.id() + " at position "
                        + recorded.position() + " after a handler failure", e);
                return true;
            }
            failure = e;
            state = State.FAILED;
            LOG.log(Level.ERROR, "projection " + id + " stopped: the handler failed on event " + event.id()
                    + " at position " + recorded.position(), e);
            trySaveCheckpoint();
            return false;
        }
    }

    private void saveCheckpoint() {
        checkpoints.save(id, position);
        checkpointPosition = position;
    }

    private void trySaveCheckpoint() {
        try {
            saveCheckpoint();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "projection " + id + " could not save its checkpoint at " + position, e);
        }
    }

    /**
     * Waits until the processor first reached the head with a durable checkpoint.
     *
     * @return true once caught up; false on timeout, or if it stopped or failed before
     */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toNanos(), TimeUnit.NANOSECONDS) && caughtUpPosition >= 0;
    }

    /** The position at which the processor first caught up; -1 before that. Never changes once set. */
    public long caughtUpPosition() {
        return caughtUpPosition;
    }

    /** The processor's state, without the cost of {@link #status()}. */
    public State state() {
        return state;
    }

    /** The global position of the last handled event. */
    public long position() {
        return position;
    }

    /** The failure that stopped the processor, if it failed. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    /**
     * The processor's state, position, checkpoint and lag. Counting the events behind reads the
     * global log after the position (up to {@value #LAG_COUNT_CAP} events), so call it for
     * monitoring, not per event.
     */
    public ProjectionStatus status() {
        long lag = state == State.NEW ? 0
                : ProjectionStatus.countBehind(reader, position, options.filter(), LAG_COUNT_CAP);
        List<ProjectionFailure> recent;
        synchronized (failures) {
            recent = List.copyOf(failures);
        }
        return new ProjectionStatus(id, state, position, checkpointPosition, lag, lag == 0 ? Duration.ZERO : lagTime,
                handled, recent);
    }

    /** Stops the processor after the current event, saves the checkpoint, and waits for its thread. */
    @Override
    public void close() throws InterruptedException {
        stopping = true;
        Subscription s = subscription;
        if (s != null) {
            s.close();
        }
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null && !finished.await(30, TimeUnit.SECONDS)) {
            t.interrupt();
            finished.await(5, TimeUnit.SECONDS);
        }
        if (t == null) {
            state = State.STOPPED;
        }
    }

    /** When the processor last saved, per its checkpoint store. */
    public Optional<Instant> lastCheckpointAt() {
        return checkpoints.load(id).map(Checkpoint::updatedAt);
    }
}
