package dev.estoria.sqlite;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.TransientStoreException;
import dev.estoria.projection.Checkpoint;
import dev.estoria.projection.ProjectionFailure;
import dev.estoria.projection.ProjectionId;
import dev.estoria.projection.ProjectionLifecycle;
import dev.estoria.projection.ProjectionProcessor;
import dev.estoria.projection.ProjectionStatus;
import dev.estoria.projection.ProjectionStatus.State;
import dev.estoria.subscription.Subscription;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Runs one projection whose read model lives in the same SQLite file as the events, exactly once:
 * the handler's writes for a batch of events and the checkpoint past them commit in one SQLite
 * transaction, so after any crash the read model and the checkpoint agree, and no event is applied
 * twice or skipped.
 *
 * <p>The life cycle follows {@link ProjectionProcessor}: {@link #start()} starts a thread that
 * loads the checkpoint (kept in the {@code estoria_checkpoints} table, so {@link
 * SqliteCheckpointStore} shows it), reads the events after it from {@link
 * SqliteEventStore#readAll} in ascending global position, catches up, then follows new appends,
 * woken by the store's append notifications (and, for appends by other processes, by a poll every
 * {@code pollInterval}). {@link #awaitCaughtUp}, {@link #status()} and {@link #close()} behave as
 * there.
 *
 * <ul>
 *   <li><b>One transaction per batch</b>: up to {@code batchSize} events (fewer once their payloads
 *       reach {@link dev.estoria.subscription.Subscription#BATCH_BYTES}) are taken together; on the
 *       store's writer thread, in a write transaction of its own, the runner calls the {@link
 *       SqliteEventHandler} once per event (each in its own savepoint) and then sets the
 *       checkpoint to the batch's last event; then it commits, durably per the store's {@link
 *       SqliteOptions#durability()}. While a batch runs, the store's appends wait: keep handlers
 *       short, or the batch size small.
 *   <li><b>Guarded checkpoint</b>: the transaction first checks that the stored checkpoint is still
 *       where this runner left it. If another runner of the same projection (in this process or
 *       another) or a rebuild moved it, the batch is rolled back and this runner fails, instead of
 *       applying events twice.
 *   <li><b>Failures</b>: a handler exception undoes that event's writes. By default the runner then
 *       commits the events before it with their checkpoint and stops ({@link State#FAILED}); with
 *       {@code continueOnError} it records the failure ({@link ProjectionStatus#failures()}),
 *       passes over the event and goes on. A failure of the store stops the runner with nothing of
 *       the batch written, unless it is a {@link TransientStoreException} (the write lock held by
 *       another process past the busy timeout): the batch is then tried again from the checkpoint
 *       after pauses of 100 ms doubling up to 10 s, each logged as a warning, for as long as that
 *       lasts; {@link #close()} ends a pause at once.
 *   <li><b>Caught up means durable</b>: {@link #awaitCaughtUp} returns true once the runner reached
 *       the head with its checkpoint committed. While idle at the head the checkpoint is saved
 *       again every {@code pollInterval}, so its {@code updatedAt} shows the runner is alive.
 *   <li><b>Options</b>: {@link ProjectionProcessor.Options} are reused: the filter ({@link
 *       dev.estoria.eventstore.EventFilter#applicationStreams()} by default, which leaves
 *       Estoria's own streams out), {@code batchSize} (events per transaction), {@code
 *       pollInterval} and {@code continueOnError}. {@code checkpointEvery} is not used: every
 *       transaction carries its checkpoint.
 * </ul>
 *
 * <p>Create the read model's tables with {@link SqliteEventStore#inWriteTransaction} and query them
 * with {@link SqliteEventStore#inReadTransaction} (or any SQLite connection to the file). To
 * rebuild, close the runner, then in one write transaction clear the read model and delete the
 * checkpoint, or start a new projection version. Close the runner before the store.
 */
public final class SqliteProjectionRunner implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SqliteProjectionRunner.class.getName());
    private static final long LAG_COUNT_CAP = 1_000_000;
    private static final String EVENT_SAVEPOINT = "estoria_event";

    private final SqliteEventStore store;
    private final ProjectionId id;
    private final SqliteEventHandler handler;
    private final ProjectionProcessor.Options options;
    private final Clock clock;

    private final ProjectionLifecycle life;
    private volatile long position;
    private volatile long handled;
    private volatile Duration lagTime = Duration.ZERO;

    private SqliteProjectionRunner(SqliteEventStore store, ProjectionId id, SqliteEventHandler handler,
            ProjectionProcessor.Options options, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.id = Objects.requireNonNull(id, "id");
        this.handler = Objects.requireNonNull(handler, "handler");
        this.options = Objects.requireNonNull(options, "options");
        this.clock = clock;
        this.life = new ProjectionLifecycle(id, options.closeGrace());
    }

    /**
     * A runner of projection {@code id} over {@code store}, not yet started.
     *
     * @throws IllegalArgumentException if the options' poll interval is not positive
     */
    public static SqliteProjectionRunner create(SqliteEventStore store, ProjectionId id, SqliteEventHandler handler,
            ProjectionProcessor.Options options) {
        Objects.requireNonNull(options, "options");
        if (options.pollInterval().isNegative() || options.pollInterval().isZero()) {
            throw new IllegalArgumentException("pollInterval must be positive, was " + options.pollInterval());
        }
        return new SqliteProjectionRunner(store, id, handler, options, Clock.systemUTC());
    }

    /** A runner with {@linkplain ProjectionProcessor.Options#defaults() default options}, not yet started. */
    public static SqliteProjectionRunner create(SqliteEventStore store, ProjectionId id, SqliteEventHandler handler) {
        return create(store, id, handler, ProjectionProcessor.Options.defaults());
    }

    /**
     * Starts the runner on its own thread.
     *
     * @throws IllegalStateException if it was already started
     */
    public SqliteProjectionRunner start() {
        life.start("estoria-sqlite-projection-" + id, this::run);
        return this;
    }

    /** What one transaction did. */
    private record Outcome(long position, long handled, Exception failure) {
    }

    private void run() {
        try {
            life.catchingUp();
            Optional<Long> start = life.throughOutages(LOG, () -> -1, () -> "loading the checkpoint",
                    () -> store.read("loading the checkpoint of " + id,
                            reader -> CheckpointTable.load(reader.prepare(CheckpointTable.LOAD), id))
                            .map(Checkpoint::position).orElse(0L));
            if (start.isEmpty()) {
                life.stopped();
                return;
            }
            position = start.get();
            // Each batch a transient store failure cuts short is tried again from the checkpoint.
            Optional<Boolean> followed = life.throughOutages(LOG, () -> position,
                    () -> "the batch after position " + position, this::follow);
            if (followed.isPresent() && !followed.get()) {
                return; // a handler failure stopped it
            }
            life.stopped();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            life.stopped();
        } catch (RuntimeException | Error e) {
            life.failed(e);
            LOG.log(Level.ERROR, "projection " + id + " failed at position " + position, e);
        }
    }

    /**
     * Follows the log after the committed {@link #position} until the runner stops (true) or a
     * handler failure stops it (false). A transient store failure is thrown, with nothing of the
     * batch written, to be tried again from the committed checkpoint.
     */
    private boolean follow() throws InterruptedException {
        try (Subscription subscription = life.follow(store, position, options.filter(), options.batchSize(),
                options.pollInterval())) {
            long lastSaved = 0;
            boolean savedThisRun = false;
            boolean atHead = false;
            List<Event> batch = new ArrayList<>(Math.min(options.batchSize(), 1024));
            while (!life.stopping()) {
                Optional<Event> next = atHead ? Optional.empty() : subscription.next(Duration.ZERO);
                atHead = false;
                if (next.isEmpty()) {
                    if (life.stopping()) {
                        break;
                    }
                    if (!savedThisRun || System.nanoTime() - lastSaved >= options.pollInterval().toNanos()) {
                        heartbeat();
                        lastSaved = System.nanoTime();
                        savedThisRun = true;
                    }
                    lagTime = Duration.ZERO;
                    life.reachedHead(position);
                    // A whole round went through: an outage being waited out is over.
                    life.storeAnswered();
                    next = subscription.next(options.pollInterval());
                    if (next.isEmpty()) {
                        continue;
                    }
                }
                batch.clear();
                batch.add(next.get());
                if (subscription.fillBatch(batch, options.batchSize())) {
                    atHead = true;
                }
                long expected = position;
                Outcome outcome = store.writeAlone(connection -> commit(connection, expected, batch));
                // The count first: whoever sees the new position sees the events counted with it.
                handled += outcome.handled();
                position = outcome.position();
                lastSaved = System.nanoTime();
                savedThisRun = true;
                life.storeAnswered();
                if (outcome.failure() != null) {
                    life.failed(outcome.failure());
                    return false;
                }
            }
            return true;
        }
    }

    /** On the writer thread, inside the batch's transaction. */
    private Outcome commit(Connection connection, long expected, List<Event> batch) throws SQLException {
        requireCheckpointAt(connection, expected);
        long[] last = {expected};
        long[] count = {0};
        Exception[] stop = {null};
        try (Statement control = connection.createStatement()) {
            GuardedConnection.run(connection, transaction -> {
                for (Event event : batch) {
                    long eventPosition = event.globalPosition().orElseThrow();
                    control.execute("SAVEPOINT " + EVENT_SAVEPOINT);
                    try {
                        lagTime = Duration.between(event.timestamp(), clock.instant());
                        handler.handle(transaction, event);
                    } catch (Exception e) {
                        // Undo this event's writes only; a savepoint that is gone means the handler
                        // ended the transaction, which fails the whole batch.
                        control.execute("ROLLBACK TO " + EVENT_SAVEPOINT);
                        control.execute("RELEASE " + EVENT_SAVEPOINT);
                        ProjectionFailure recorded = life.recordFailure(event, e, clock.instant());
                        if (!options.continueOnError()) {
                            stop[0] = e;
                            LOG.log(Level.ERROR, "projection " + id + " stopped: the handler failed on event "
                                    + event.id() + " at position " + recorded.position(), e);
                            return null;
                        }
                        LOG.log(Level.WARNING, "projection " + id + " skipped event " + event.id() + " at position "
                                + recorded.position() + " after a handler failure", e);
                        last[0] = eventPosition;
                        continue;
                    }
                    control.execute("RELEASE " + EVENT_SAVEPOINT);
                    last[0] = eventPosition;
                    count[0]++;
                }
                return null;
            });
        }
        if (last[0] != expected) {
            CheckpointTable.save(connection, id, last[0], clock);
        }
        return new Outcome(last[0], count[0], stop[0]);
    }

    private void requireCheckpointAt(Connection connection, long expected) throws SQLException {
        Optional<Checkpoint> stored = CheckpointTable.load(connection, id);
        boolean unmoved = stored.isEmpty() ? expected == 0 : stored.get().position() == expected;
        if (!unmoved) {
            throw new IllegalStateException("the checkpoint of projection " + id + " in " + store.file()
                    + " moved outside this runner (expected position " + expected + ", found "
                    + stored.map(c -> Long.toString(c.position())).orElse("none")
                    + "): another runner of the same projection or a rebuild is at work; nothing was written");
        }
    }

    private void heartbeat() {
        long at = position;
        store.writeShared(connection -> {
            requireCheckpointAt(connection, at);
            CheckpointTable.save(connection, id, at, clock);
            return null;
        });
    }

    /**
     * Waits until the runner first reached the head with its checkpoint committed.
     *
     * @return true once caught up; false on timeout, or if it stopped or failed before
     */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return life.awaitCaughtUp(timeout);
    }

    /** The position at which the runner first caught up; -1 before that. Never changes once set. */
    public long caughtUpPosition() {
        return life.caughtUpPosition();
    }

    /** The runner's state, without the cost of {@link #status()}. */
    public State state() {
        return life.state();
    }

    /** The global position of the last event whose transaction committed: the checkpoint. */
    public long position() {
        return position;
    }

    /** The projection this runner runs. */
    public ProjectionId id() {
        return id;
    }

    /** The failure that stopped the runner, if it failed. */
    public Optional<Throwable> failure() {
        return life.failure();
    }

    /**
     * The runner's state, position, checkpoint (always equal to the position: they commit
     * together) and lag. Counting the events behind reads the global log after the position (up
     * to {@value #LAG_COUNT_CAP} events), so call it for monitoring, not per event.
     */
    public ProjectionStatus status() {
        long at = position;
        State state = life.state();
        long lag = state == State.NEW ? 0
                : ProjectionStatus.countBehindIfReachable(store, at, options.filter(), LAG_COUNT_CAP);
        return new ProjectionStatus(id, state, at, at, lag, lag == 0 ? Duration.ZERO : lagTime, handled,
                life.recentFailures(), life.outage());
    }

    /** The store outage the runner is waiting out, if any; see {@link ProjectionStatus#outage()}. */
    public Optional<ProjectionStatus.Outage> outage() {
        return life.outage();
    }

    /** When the checkpoint was last committed, per the checkpoint table. */
    public Optional<Instant> lastCheckpointAt() {
        return SqliteCheckpointStore.of(store).load(id).map(Checkpoint::updatedAt);
    }

    /**
     * Stops the runner after the transaction in progress commits, and waits for its thread. If the
     * thread has not ended within the options' close grace (30 seconds by default) it is
     * interrupted. Called from work that holds the
     * store's write transaction (this runner's handler, or {@link SqliteEventStore#inWriteTransaction}
     * work), it does not wait: the runner's thread may be waiting for that very transaction, so it
     * ends once the work has returned.
     */
    @Override
    public void close() throws InterruptedException {
        if (store.holdsWriteConnection()) {
            life.stop();
            return;
        }
        life.close();
    }

    @Override
    public String toString() {
        return "SqliteProjectionRunner[" + id + " on " + store.file() + "]";
    }
}
