package dev.estoria.postgres;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventFilter;
import dev.estoria.eventstore.TransientStoreException;
import dev.estoria.projection.Checkpoint;
import dev.estoria.projection.ProjectionId;
import dev.estoria.projection.ProjectionLifecycle;
import dev.estoria.projection.ProjectionStatus;
import dev.estoria.projection.ProjectionStatus.State;
import dev.estoria.subscription.Subscription;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Runs an exactly-once projection whose read model lives in the same PostgreSQL database as the
 * event store: the handler's writes for a batch of events and the projection's checkpoint commit in
 * one transaction, so after any crash the read model and the checkpoint agree, and every event is
 * applied exactly once.
 *
 * <ul>
 *   <li><b>Batches</b>: events come from a core {@link Subscription} over the store (after the
 *       committed checkpoint, with the filter), so ordering, the stable prefix and the wake-ups on
 *       appends (in this process and, through {@code LISTEN/NOTIFY}, in others) are the store's.
 *       The events available at once, up to {@code batchSize}, form a batch. For each batch the
 *       runner opens one transaction on the store's pool, calls the {@link TransactionalHandler}
 *       for each event in order with that transaction's connection, then upserts the checkpoint
 *       (the last event's position) in the {@code checkpoints} table of the store's schema and
 *       commits.
 *   <li><b>Crash</b>: an uncommitted batch is rolled back with the handler's writes; the next run
 *       resumes after the committed checkpoint.
 *   <li><b>Two runners of one projection</b> (a second process started by mistake, or a standby):
 *       each batch transaction first locks the projection's checkpoint row (created at position 0
 *       when the runner starts, if absent) and goes on only if it still holds the position the
 *       batch starts after. The other runner waits for that lock (again and again, however long the
 *       batch takes, though each wait ends at the store's lock timeout), sees the checkpoint moved,
 *       rolls back before its handler runs and resumes after it, so events are still applied exactly
 *       once, and the runners take turns rather than work in parallel. A checkpoint moved back or
 *       deleted by someone else (a rebuild, an operator) fails the runner instead, with nothing
 *       written: resuming there would apply events a second time to a read model that holds them.
 *   <li><b>Failures</b>: a handler exception rolls the batch back and stops the runner ({@link
 *       State#FAILED}) at the last committed batch. The database out of reach (a restart, a
 *       failover, a lost connection) is waited out however long it lasts: the batch is tried again
 *       from the committed checkpoint after pauses of 100 ms doubling up to 10 s, each logged as a
 *       warning. Other transient failures (a deadlock, a serialization failure, a statement
 *       timeout) are tried again up to four times in a row without a batch committed in between. {@link
 *       #close()} ends a pause at once. An {@link Error} thrown by the handler stops the runner as
 *       failed too.
 *   <li><b>Heartbeat</b>: at the head the checkpoint is saved again every poll interval (same
 *       position), so its {@code updatedAt} shows the runner is alive; the first such save happens
 *       before {@link #awaitCaughtUp} first returns true.
 * </ul>
 *
 * <p>The handler must write only through the connection it is given and must not commit, roll
 * back, close it or change its auto-commit mode; effects outside that transaction (messages, other
 * databases) are at-least-once as with any projection.
 */
public final class PostgresProjectionRunner implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(PostgresProjectionRunner.class.getName());
    private static final int MAX_TRANSIENT_ATTEMPTS = 5;

    /** Applies one event to a read model through the batch's transaction. */
    @FunctionalInterface
    public interface TransactionalHandler {

        /**
         * Applies {@code event}, writing only through {@code tx}. Throwing rolls the whole batch back.
         *
         * @param tx the batch's open transaction; never commit, roll back or close it
         * @param event the next event, in global order
         */
        void handle(Connection tx, Event event) throws Exception;
    }

    /**
     * Runner options.
     *
     * @param filter which events the projection handles
     * @param batchSize the most events one transaction applies, >= 1; a batch also ends once its
     *     payloads reach {@link dev.estoria.subscription.Subscription#BATCH_BYTES}
     * @param pollInterval how long to wait for a notification before reading anyway, and the idle
     *     heartbeat period; positive
     * @param closeGrace how long {@link PostgresProjectionRunner#close()} waits for the current batch
     *     to finish before it interrupts the handler (then it waits 5 seconds more); positive
     */
    public record Options(EventFilter filter, int batchSize, Duration pollInterval, Duration closeGrace) {

        public Options {
            Objects.requireNonNull(filter, "filter");
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be >= 1, was " + batchSize);
            }
            Objects.requireNonNull(pollInterval, "pollInterval");
            if (pollInterval.isNegative() || pollInterval.isZero()) {
                throw new IllegalArgumentException("pollInterval must be positive, was " + pollInterval);
            }
            ProjectionLifecycle.checkGrace(closeGrace);
        }

        /** Application streams, batches of 500, polling every second, a close grace of 30 seconds. */
        public static Options defaults() {
            return new Options(EventFilter.applicationStreams(), 500, Duration.ofSeconds(1),
                    ProjectionLifecycle.DEFAULT_CLOSE_GRACE);
        }

        public Options filter(EventFilter value) {
            return new Options(value, batchSize, pollInterval, closeGrace);
        }

        public Options batchSize(int value) {
            return new Options(filter, value, pollInterval, closeGrace);
        }

        public Options pollInterval(Duration value) {
            return new Options(filter, batchSize, value, closeGrace);
        }

        public Options closeGrace(Duration value) {
            return new Options(filter, batchSize, pollInterval, value);
        }
    }

    private final PostgresEventStore store;
    private final ProjectionId id;
    private final TransactionalHandler handler;
    private final Options options;

    private final ProjectionLifecycle life;
    private volatile long committed;
    /** How many batches in a row found the checkpoint row locked past the lock timeout; runner thread only. */
    private int lockTimeoutsInARow;
    private static final int LOCK_TIMEOUTS_BEFORE_WARNING = 4;
    private volatile long handled;
    /** Transactions this runner committed, heartbeats at the head included; the loop's thread only. */
    private long commits;

    private PostgresProjectionRunner(PostgresEventStore store, ProjectionId id, TransactionalHandler handler,
            Options options) {
        this.store = Objects.requireNonNull(store, "store");
        this.id = Objects.requireNonNull(id, "id");
        this.handler = Objects.requireNonNull(handler, "handler");
        this.options = Objects.requireNonNull(options, "options");
        this.life = new ProjectionLifecycle(id, options.closeGrace());
    }

    /** A runner of projection {@code id} over {@code store}, not yet started. */
    public static PostgresProjectionRunner create(PostgresEventStore store, ProjectionId id,
            TransactionalHandler handler, Options options) {
        return new PostgresProjectionRunner(store, id, handler, options);
    }

    /**
     * Starts the runner on its own thread.
     *
     * @throws IllegalStateException if it was already started
     */
    public PostgresProjectionRunner start() {
        life.start("estoria-projection-" + id, this::run);
        return this;
    }

    /**
     * Thrown inside the loop when another runner moved the checkpoint, or still holds its row after
     * the lock timeout: resume after the checkpoint.
     */
    private static final class Overtaken extends Exception {
        private static final long serialVersionUID = 1L;

        Overtaken() {
            super(null, null, false, false);
        }
    }

    private void run() {
        life.catchingUp();
        // Counted per episode: a batch committed since the last failure (the empty one of a heartbeat
        // at the head too) starts the counts again.
        int transientFailures = 0;
        int unavailableFailures = 0;
        long failedAt = -1;
        long commitsAtFailure = -1;
        boolean loaded = false;
        try {
            while (!life.stopping()) {
                try {
                    // After a retry or another runner's batch too, the checkpoint may only have moved
                    // forward: resuming from a lower one would apply events a second time.
                    long found = loadCheckpoint(!loaded);
                    if (!loaded) {
                        found = Math.max(found, 0); // only a deletion racing the start leaves none
                    } else if (found < committed) {
                        throw movedBack(found);
                    }
                    committed = found;
                    loaded = true;
                    follow();
                    transientFailures = 0;
                } catch (Overtaken o) {
                    LOG.log(Level.DEBUG, "projection {0}: another runner committed first; resuming after its checkpoint", id);
                    transientFailures = 0;
                    // The store answered a whole transaction: an outage being waited out is over,
                    // though this runner may keep losing the race for the checkpoint row.
                    life.storeAnswered();
                } catch (Exception e) {
                    if (life.stopping()) {
                        break;
                    }
                    if (committed != failedAt || commits != commitsAtFailure) {
                        transientFailures = 0;
                        unavailableFailures = 0;
                        failedAt = committed;
                        commitsAtFailure = commits;
                    }
                    // The database out of reach (a restart, a failover, a lost connection) is waited
                    // out however long it lasts; other transient failures (a deadlock, a
                    // serialization failure) are tried a few times.
                    int failures = 0;
                    if (storeUnavailable(e)) {
                        failures = ++unavailableFailures;
                    } else if (isTransient(e) && ++transientFailures < MAX_TRANSIENT_ATTEMPTS) {
                        failures = transientFailures;
                    }
                    if (failures > 0) {
                        life.waitingOutOutage(e);
                        Duration pause = ProjectionLifecycle.retryPause(failures);
                        LOG.log(Level.WARNING, "projection " + id + ": batch after position " + committed
                                + " failed (" + e + "); retrying from the checkpoint in " + pause.toMillis() + " ms", e);
                        life.pause(pause);
                        continue;
                    }
                    life.failed(e);
                    LOG.log(Level.ERROR, "projection " + id + " stopped at position " + committed, e);
                    return;
                }
            }
            life.stopped();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            life.stopped();
        } catch (Error e) {
            // A handler's Error ends the thread: say so, or the state would still read as running.
            life.failed(e);
            LOG.log(Level.ERROR, "projection " + id + " stopped at position " + committed, e);
        }
    }

    /** Follows the log from the committed checkpoint until stopped; throws to resynchronise. */
    private void follow() throws Exception {
        try (Subscription sub = life.follow(store, committed, options.filter(), options.batchSize(),
                options.pollInterval())) {
            follow(sub);
        }
    }

    private void follow(Subscription sub) throws Exception {
        // Grown as needed: the batch size may be huge (left to Subscription.BATCH_BYTES), and
        // sizing the list to it up front would fail the runner before its first event.
        List<Event> batch = new ArrayList<>(Math.min(options.batchSize(), 1024));
        while (!life.stopping()) {
            Optional<Event> next = sub.next(Duration.ZERO);
            if (next.isEmpty()) {
                if (life.stopping()) {
                    return;
                }
                // At the head: refresh the checkpoint (durable, and a heartbeat), then say so, then wait.
                commit(List.of());
                life.reachedHead(committed);
                // A whole round went through: an outage being waited out is over.
                life.storeAnswered();
                next = sub.next(options.pollInterval());
                if (next.isEmpty()) {
                    continue;
                }
            }
            batch.clear();
            batch.add(next.get());
            sub.fillBatch(batch, options.batchSize());
            commit(batch);
            life.storeAnswered();
        }
    }

    private void commit(List<Event> batch) throws Exception {
        long last = batch.isEmpty() ? committed : batch.get(batch.size() - 1).globalPosition().orElseThrow();
        Connection c = null;
        try {
            c = store.beginTransaction();
            // Taken first, so a second runner of the projection waits here, before any handler
            // write, and then sees the checkpoint moved.
            long found;
            try {
                found = lockCheckpoint(c);
                lockTimeoutsInARow = 0;
            } catch (SQLException e) {
                if (!Sql.isLockTimeout(e)) {
                    throw e;
                }
                // Another runner's batch held the row past the lock timeout: its turn, not a
                // failure. Wait again, from the checkpoint it may have moved meanwhile. Said now and
                // then, since a transaction left open on the row (not a runner) would hold it forever.
                c.rollback();
                if (++lockTimeoutsInARow % LOCK_TIMEOUTS_BEFORE_WARNING == 0) {
                    LOG.log(Level.WARNING, "projection " + id + ": its checkpoint row has been locked by another"
                            + " transaction through " + lockTimeoutsInARow + " lock timeouts in a row (another runner's"
                            + " long batch, or a transaction left open on it); still waiting");
                }
                throw new Overtaken();
            }
            if (found != committed) {
                c.rollback();
                if (found < committed) {
                    // Deleted or moved back (a rebuild, an operator): resuming there would apply the
                    // events after it a second time to a read model that already holds them.
                    throw movedBack(found);
                }
                throw new Overtaken();
            }
            for (Event event : batch) {
                handler.handle(c, event);
            }
            if (PostgresCheckpointStore.upsert(c, store.schema(), id, last, committed).isEmpty()) {
                c.rollback();
                throw new Overtaken();
            }
            c.commit();
            commits++;
            // The count first: whoever sees the new position sees the events counted with it.
            handled += batch.size();
            committed = last;
        } catch (Exception e) {
            PostgresEventStore.rollbackQuietly(c);
            throw e;
        } finally {
            PostgresEventStore.closeQuietly(c);
        }
    }

    private long lockCheckpoint(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT position FROM " + store.schema().checkpoints()
                + " WHERE projection_name = ? AND projection_version = ? FOR UPDATE")) {
            s.setString(1, id.name());
            s.setInt(2, id.version());
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getLong(1) : -1;
            }
        }
    }

    private IllegalStateException movedBack(long found) {
        return new IllegalStateException("the checkpoint of projection " + id + " moved back outside this runner"
                + " (expected position " + committed + ", found " + (found < 0 ? "none" : Long.toString(found))
                + "); nothing was written");
    }

    /**
     * Loads the checkpoint; on the runner's first load, creates it at position 0 when the projection
     * never ran, so batches can lock it. Returns -1 for a missing checkpoint otherwise.
     */
    private long loadCheckpoint(boolean create) throws SQLException {
        Connection c = store.beginTransaction();
        try {
            if (create) {
                try (PreparedStatement s = c.prepareStatement("INSERT INTO " + store.schema().checkpoints()
                        + " (projection_name, projection_version, position, updated_at)"
                        + " VALUES (?, ?, 0, clock_timestamp()) ON CONFLICT DO NOTHING")) {
                    s.setString(1, id.name());
                    s.setInt(2, id.version());
                    s.executeUpdate();
                }
            }
            long position = PostgresCheckpointStore.load(c, store.schema(), id).map(Checkpoint::position).orElse(-1L);
            c.commit();
            return position;
        } finally {
            PostgresEventStore.closeQuietly(c);
        }
    }

    /**
     * Whether the database could not be reached (waited out however long it lasts). A statement
     * timeout is not that: the server answered, and a handler whose statement always runs too long
     * must not be tried forever, so it counts among the few-times transient failures.
     */
    private static boolean storeUnavailable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TransientStoreException) {
                return true;
            }
            if (t instanceof SQLException s) {
                return !Sql.isStatementTimeout(s) && Sql.isUnavailable(s);
            }
        }
        return false;
    }

    private static boolean isTransient(Throwable e) {
        if (e instanceof StoreUnavailableException || Sql.isUnavailable(e)) {
            return true;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && Sql.isRetryable(s)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Waits until the runner first reached the head with its checkpoint committed.
     *
     * @return true once caught up; false on timeout, or if it stopped or failed before
     */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return life.awaitCaughtUp(timeout);
    }

    /** The position of the last committed batch's last event (the checkpoint this runner committed). */
    public long position() {
        return committed;
    }

    /** How many events this runner applied in committed batches. */
    public long handled() {
        return handled;
    }

    /** The runner's state. */
    public State state() {
        return life.state();
    }

    /** The failure that stopped the runner, if it failed. */
    public Optional<Throwable> failure() {
        return life.failure();
    }

    /**
     * The outage the runner is waiting out, if any: PostgreSQL out of reach, or a deadlock or
     * serialization failure being tried again; over once a batch commits or the runner reaches the
     * head again.
     */
    public Optional<ProjectionStatus.Outage> outage() {
        return life.outage();
    }

    /**
     * Stops the runner: the current batch commits (or, if the handler is still running, finishes and
     * commits), the thread ends. Waits up to the close grace (30 s by default) for it, then
     * interrupts it. Called from the handler, it does not wait: the runner stops once the batch
     * commits.
     */
    @Override
    public void close() throws InterruptedException {
        life.close();
    }
}
