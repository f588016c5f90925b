package dev.estoria.projection;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventFilter;
import dev.estoria.eventstore.GlobalReader;
import dev.estoria.eventstore.TransientStoreException;
import dev.estoria.projection.ProjectionStatus.State;
import dev.estoria.subscription.Subscription;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

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
 *   <li><b>Store outages</b>: a read or checkpoint save (or the first checkpoint load) that fails
 *       with a {@link TransientStoreException} (the database restarting, a lost connection) is
 *       tried again, however long the outage lasts, after pauses of 100 ms doubling up to 10 s,
 *       each logged as a warning; reading resumes after the last handled event, and a close ends
 *       a pause at once. Any other store failure stops the processor ({@link State#FAILED}).
 *   <li><b>Filter</b>: by default Estoria's own streams (snapshots) are left out.
 *   <li>{@link #close()} stops cleanly: the current event finishes, the checkpoint is saved, the
 *       thread ends. A handler that gives up by throwing when close() interrupts it (after the
 *       close grace) did not handle its event: that is not a failure, and the checkpoint stays
 *       before the event, even with {@code continueOnError}, so the next run handles it.
 * </ul>
 */
public final class ProjectionProcessor implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ProjectionProcessor.class.getName());
    private static final long LAG_COUNT_CAP = 1_000_000;

    private final GlobalReader reader;
    private final CheckpointStore checkpoints;
    private final ProjectionId id;
    private final EventHandler handler;
    private final Options options;
    private final Clock clock;

    private final ProjectionLifecycle life;
    private volatile long position;
    private volatile long checkpointPosition;
    private volatile long handled;
    private volatile Duration lagTime = Duration.ZERO;
    /** Whether {@link #position} holds the loaded checkpoint, or events handled after it. */
    private volatile boolean positioned;

    /**
     * Processor options.
     *
     * @param filter which events the projection handles
     * @param batchSize events fetched per read
     * @param checkpointEvery handled events between checkpoints, >= 1
     * @param pollInterval how long to wait for a notification before reading anyway; also the idle
     *     heartbeat period
     * @param continueOnError record handler failures and go on instead of stopping
     * @param closeGrace how long {@link ProjectionProcessor#close()} waits for the current event to
     *     finish before it interrupts the handler (then it waits 5 seconds more); positive
     */
    public record Options(EventFilter filter, int batchSize, int checkpointEvery, Duration pollInterval,
            boolean continueOnError, Duration closeGrace) {

        public Options {
            Objects.requireNonNull(filter, "filter");
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be >= 1, was " + batchSize);
            }
            if (checkpointEvery < 1) {
                throw new IllegalArgumentException("checkpointEvery must be >= 1, was " + checkpointEvery);
            }
            Objects.requireNonNull(pollInterval, "pollInterval");
            if (pollInterval.isNegative() || pollInterval.isZero()) {
                throw new IllegalArgumentException("pollInterval must be positive, was " + pollInterval);
            }
            ProjectionLifecycle.checkGrace(closeGrace);
        }

        /**
         * Application streams, batches of 500, a checkpoint every 100 events, polling every second,
         * stopping on a handler failure, a close grace of 30 seconds.
         */
        public static Options defaults() {
            return new Options(EventFilter.applicationStreams(), 500, 100, Duration.ofSeconds(1), false,
                    ProjectionLifecycle.DEFAULT_CLOSE_GRACE);
        }

        public Options filter(EventFilter value) {
            return new Options(value, batchSize, checkpointEvery, pollInterval, continueOnError, closeGrace);
        }

        public Options batchSize(int value) {
            return new Options(filter, value, checkpointEvery, pollInterval, continueOnError, closeGrace);
        }

        public Options checkpointEvery(int value) {
            return new Options(filter, batchSize, value, pollInterval, continueOnError, closeGrace);
        }

        public Options pollInterval(Duration value) {
            return new Options(filter, batchSize, checkpointEvery, value, continueOnError, closeGrace);
        }

        public Options continueOnError(boolean value) {
            return new Options(filter, batchSize, checkpointEvery, pollInterval, value, closeGrace);
        }

        public Options closeGrace(Duration value) {
            return new Options(filter, batchSize, checkpointEvery, pollInterval, continueOnError, value);
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
        this.life = new ProjectionLifecycle(id, options.closeGrace());
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
    public ProjectionProcessor start() {
        life.start("estoria-projection-" + id, this::run);
        return this;
    }

    private void run() {
        try {
            life.catchingUp();
            Optional<Long> start = life.throughOutages(LOG, () -> -1, () -> "loading the checkpoint",
                    () -> checkpoints.load(id).map(Checkpoint::position).orElse(0L));
            if (start.isEmpty()) {
                life.stopped();
                return;
            }
            position = start.get();
            checkpointPosition = start.get();
            positioned = true;
            // Reading resumes after the last handled event each time the store fails transiently.
            Optional<Boolean> followed = life.throughOutages(LOG, () -> handled + checkpointPosition,
                    () -> "reading or saving the checkpoint after position " + position, this::follow);
            if (followed.isPresent() && !followed.get()) {
                return; // a handler failure stopped it
            }
            trySaveCheckpoint();
            life.stopped();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            trySaveCheckpoint();
            life.stopped();
        } catch (RuntimeException | Error e) {
            life.failed(e);
            LOG.log(Level.ERROR, "projection " + id + " failed at position " + position, e);
            trySaveCheckpoint();
        }
    }

    /**
     * Follows the log after {@link #position} until the processor stops (true) or a handler failure
     * stops it (false). A transient store failure of a read or a checkpoint save is thrown, to be
     * tried again from the last handled event.
     */
    private boolean follow() throws InterruptedException {
        try (Subscription subscription = life.follow(reader, position, options.filter(), options.batchSize(),
                options.pollInterval())) {
            long sinceCheckpoint = 0;
            while (!life.stopping()) {
                Optional<Event> next = subscription.next(Duration.ZERO);
                if (next.isEmpty() && life.stopping()) {
                    break;
                }
                if (next.isEmpty()) {
                    // At the head: make it durable, then say so, then wait for more.
                    saveCheckpoint();
                    sinceCheckpoint = 0;
                    lagTime = Duration.ZERO;
                    life.reachedHead(position);
                    // A whole round went through: an outage being waited out is over.
                    life.storeAnswered();
                    next = subscription.next(options.pollInterval());
                    if (next.isEmpty()) {
                        continue;
                    }
                }
                Event event = next.get();
                if (!handle(event)) {
                    return false;
                }
                // The count first: whoever sees the new position sees the event counted with it.
                handled++;
                position = event.globalPosition().orElseThrow();
                if (++sinceCheckpoint >= options.checkpointEvery()) {
                    saveCheckpoint();
                    sinceCheckpoint = 0;
                    // Only once the checkpoint is saved too: when only saves fail, handling events
                    // read in a try does not end the outage.
                    life.storeAnswered();
                }
            }
            saveCheckpoint();
            return true;
        }
    }

    /** Returns false when the failure stops the processor. */
    private boolean handle(Event event) {
        try {
            lagTime = Duration.between(event.timestamp(), clock.instant());
            handler.handle(event);
            return true;
        } catch (LeaseLapsedException e) {
            life.failed(e);
            LOG.log(Level.WARNING, "projection " + id + " stopped before position " + event.globalPosition().orElseThrow()
                    + ": " + e.getMessage());
            trySaveCheckpoint();
            return false;
        } catch (Exception e) {
            if (life.stopping() && interrupted(e)) {
                // close() interrupted the handler after its grace: the event was not handled, so it
                // is no failure to record or pass over (continueOnError would checkpoint past it and
                // lose it); the checkpoint stays before it and the next run handles it.
                LOG.log(Level.INFO, "projection " + id + " stopped before position " + event.globalPosition().orElseThrow()
                        + ": close() interrupted its handler");
                trySaveCheckpoint();
                life.stopped();
                return false;
            }
            ProjectionFailure recorded = life.recordFailure(event, e, clock.instant());
            if (options.continueOnError()) {
                LOG.log(Level.WARNING, "projection " + id + " skipped event " + event.id() + " at position "
                        + recorded.position() + " after a handler failure", e);
                return true;
            }
            life.failed(e);
            LOG.log(Level.ERROR, "projection " + id + " stopped: the handler failed on event " + event.id()
                    + " at position " + recorded.position(), e);
            trySaveCheckpoint();
            return false;
        }
    }

    /** Whether a handler's exception comes from an interrupt: the thread's status, or an InterruptedException as a cause. */
    private static boolean interrupted(Exception e) {
        if (Thread.currentThread().isInterrupted()) {
            return true;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InterruptedException) {
                return true;
            }
        }
        return false;
    }

    private void saveCheckpoint() {
        checkpoints.save(id, position);
        checkpointPosition = position;
    }

    private void trySaveCheckpoint() {
        if (!positioned) {
            return; // the stored checkpoint was never loaded: saving 0 would move it back
        }
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
        return life.awaitCaughtUp(timeout);
    }

    /** The position at which the processor first caught up; -1 before that. Never changes once set. */
    public long caughtUpPosition() {
        return life.caughtUpPosition();
    }

    /** The processor's state, without the cost of {@link #status()}. */
    public State state() {
        return life.state();
    }

    /** The global position of the last handled event. */
    public long position() {
        return position;
    }

    /** The failure that stopped the processor, if it failed. */
    public Optional<Throwable> failure() {
        return life.failure();
    }

    /**
     * The processor's state, position, checkpoint and lag. Counting the events behind reads the
     * global log after the position (up to {@value #LAG_COUNT_CAP} events), so call it for
     * monitoring, not per event.
     */
    public ProjectionStatus status() {
        State state = life.state();
        long lag = state == State.NEW ? 0 : ProjectionStatus.countBehindIfReachable(reader, position, options.filter(),
                LAG_COUNT_CAP);
        return new ProjectionStatus(id, state, position, checkpointPosition, lag, lag == 0 ? Duration.ZERO : lagTime,
                handled, life.recentFailures(), life.outage());
    }

    /** The store outage the processor is waiting out, if any; see {@link ProjectionStatus#outage()}. */
    public Optional<ProjectionStatus.Outage> outage() {
        return life.outage();
    }

    /** Stops the processor after the current event, saves the checkpoint, and waits for its thread. */
    @Override
    public void close() throws InterruptedException {
        life.close();
    }

    /**
     * Asks the processor to stop after the current event, without waiting for it: for a caller that
     * must not wait, such as the processor's own handler.
     */
    void stop() {
        life.stop();
    }

    /** Whether the processor's thread has ended: it handles and saves nothing more. */
    boolean ended() {
        return life.ended();
    }

    /** Runs {@code action} once the processor's thread has ended (at once if it has). */
    void whenEnded(Runnable action) {
        life.whenEnded(action);
    }

    /** When the processor last saved, per its checkpoint store. */
    public Optional<Instant> lastCheckpointAt() {
        return checkpoints.load(id).map(Checkpoint::updatedAt);
    }
}
