package dev.estoria.sqlite;

import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.TransientStoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteCommitListener;
import org.sqlite.SQLiteConnection;
import org.sqlite.SQLiteException;

/**
 * Owns the write connection and commits writes in groups.
 *
 * <p>Callers hand in {@link Work} and wait. Whoever holds the connection takes whatever is queued
 * (never waiting for more, so a lone write pays no added latency), opens one {@code BEGIN
 * IMMEDIATE} transaction, runs each work item inside its own savepoint, and commits once. A work
 * item that fails is rolled back to its savepoint and fails alone; the others commit. A group of
 * one item needs no savepoint: the transaction is the item's unit, and its failure rolls the
 * transaction back. Nobody hears of success before the commit has returned, which with {@code
 * synchronous=FULL} means the group is on stable storage.
 *
 * <p>The connection is held by one thread at a time, under a lock. A caller submitting shared work
 * that finds the connection free commits the queue itself (leading the group, and completing the
 * others' work in it) until its own work is done, which spares a lone writer two thread hand-offs.
 * A caller that finds it taken just waits: the holder looks at the queue again after letting go,
 * and if work is left, it wakes the store's writer thread, which serves the queue until it is
 * empty. Queued work is taken only under the lock and in queue order, whoever takes it.
 *
 * <p>Consecutive {@link Batchable} items of one group with the same {@link Batcher} are applied
 * together, inside one savepoint, with statements shared by all of them: a savepoint and a few
 * statements per item were most of the connection holder's time under load. The batcher decides
 * each item's outcome itself, and hands the run back to be applied item by item (each in its own
 * savepoint, as other work) whenever it cannot: then nothing it did remains.
 *
 * <p>Work submitted with {@link #submitAlone} runs in a transaction of its own instead, between the
 * groups before and after it in queue order, and always on the writer thread: it is caller code
 * that may misbehave (end the transaction itself, take long), and sharing a transaction, or a
 * caller's thread, would let it harm other writers.
 *
 * <p>Because every write of this store is made under that one lock, and SQLite lets one
 * transaction write a database at a time, writes are applied in one order and each sees all
 * earlier ones.
 *
 * <p>After each transaction the holder looks at the size of the {@code -wal} file. SQLite's own
 * checkpoints (passive, after the commit that crosses {@code wal_autocheckpoint}) never wait for
 * readers: while reads overlap every commit, each copies only the frames no reader still needs, the
 * log is never written from its start again, and its file grows without bound. Once the file is
 * larger than the log limit, the holder runs a {@code TRUNCATE} checkpoint, which waits briefly
 * for the reads in progress to end (the store's new reads wait for it meanwhile), copies the whole
 * log and empties the file. A read that holds its snapshot for long (an iterator left open) keeps
 * it from succeeding; it is then tried again only once the file has grown further, by more after
 * every try in a row that fails, so the wait is paid rarely.
 */
final class GroupCommitWriter {

    /** One write, run inside the write transaction (in its own savepoint when it shares it). */
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** Work that can also be applied together with neighbouring work of the same batcher. */
    interface Batchable<T> extends Work<T> {
        /** Applies a run of such work together; runs are formed of items with equal batchers. */
        Batcher batcher();
    }

    /** The outcome of one item applied by a {@link Batcher}: its result, or the failure it alone gets. */
    record Outcome(Object result, RuntimeException failure) {
        static Outcome of(Object result) {
            return new Outcome(result, null);
        }

        static Outcome failed(RuntimeException failure) {
            return new Outcome(null, failure);
        }
    }

    /** Applies a run of {@link Batchable} work in one go, inside the write transaction. */
    interface Batcher {
        /**
         * Applies the items, in order, as if each ran alone in turn. An item whose outcome is a
         * failure must have written nothing.
         *
         * @return each item's outcome, in the order of {@code items}; or null, having written
         *     nothing, when the items must be applied one at a time instead
         * @throws SQLException if a statement failed; the writer undoes whatever was written and
         *     applies the items one at a time
         */
        Outcome[] applyAll(List<Batchable<?>> items) throws SQLException;
    }

    /** Points where tests can observe or stall the writer. */
    interface Hooks {
        Hooks NONE = new Hooks() {
        };

        /** Called on the submitting thread once its work is queued. */
        default void enqueued() {
        }

        /** Called on the thread holding the connection, with the transaction open and every item applied. */
        default void beforeCommit(int items) {
        }

        /** Called on the thread holding the connection after a run of work was applied together. */
        default void batched(int items) {
        }

        /** Called on the closing thread once no more work is accepted, before it waits for the writer. */
        default void closing() {
        }
    }

    private static final System.Logger LOG = System.getLogger(GroupCommitWriter.class.getName());

    /** Caps one transaction, so a flood of writers cannot build an unbounded one. */
    static final int MAX_GROUP = 512;

    private static final String SAVEPOINT = "estoria_write";

    /** SQLite's primary result code for a lock held by another connection. */
    private static final int SQLITE_BUSY = 5;

    /** The longest a {@code TRUNCATE} checkpoint waits for reads in progress (or another process's lock). */
    static final int LOG_TRUNCATE_WAIT_MILLIS = 100;
    /** How often, at most, the {@code -wal} file's size is looked at after a transaction. */
    static final long LOG_SIZE_CHECK_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** How many log limits of growth, at most, separate two {@code TRUNCATE} checkpoints that cannot finish. */
    static final int LOG_TRUNCATE_MAX_DISTANCE = 16;

    private final Path file;
    private final Connection connection;
    private final long busyTimeoutNanos;
    /** The {@code -wal} file; once larger than {@link #logLimitBytes} it is checkpointed and truncated. */
    private final Path log;
    private final long logLimitBytes;
    private final ReadPool reads;
    /**
     * The size the log file must pass before the next {@code TRUNCATE} checkpoint: the limit, and
     * after a checkpoint that could not finish, the file's size then plus a distance that doubles
     * with every such checkpoint in a row, up to {@value #LOG_TRUNCATE_MAX_DISTANCE} limits. Used
     * by the connection holder only.
     */
    private long logTruncateAbove;
    private long logTruncateDistance;
    /** The log file's size when the last {@code TRUNCATE} checkpoint could not finish, or 0. */
    private long logTruncateFailedAt;
    /** When the log file's size was last looked at ({@link System#nanoTime()}). */
    private long logSizeCheckedAt;
    /**
     * When a BEGIN that failed for another process's lock started, until one gets the lock again;
     * 0 when the last BEGIN got it. Used by the connection holder only.
     */
    private long lockedOutSince;
    /** The connection's busy timeout, in milliseconds, as last set; used by the connection holder only. */
    private int busyTimeoutSet;
    /** Told to prepare its statements again after a statement on the connection failed. */
    private final StatementCache statementCache;
    // Prepared once, and again after a failure (see renewStatements): parsing them anew for every
    // transaction and savepoint was a measurable share of the connection holder's time under load.
    // Used only by the holder of connectionLock, which orders their replacement with every use.
    private PreparedStatement begin;
    private PreparedStatement commit;
    private PreparedStatement rollback;
    private PreparedStatement savepoint;
    private PreparedStatement release;
    private PreparedStatement rollbackTo;
    /**
     * A statement on the connection failed since the statements were prepared. sqlite-jdbc
     * finalizes a prepared statement whose step fails with any code but BUSY, LOCKED, CONSTRAINT or
     * MISUSE (a full disk, an I/O error, a ROLLBACK with no transaction open); every later run of
     * it then fails with "statement is not executing", so the store would never write again.
     */
    private boolean statementFailed;
    /** Taken from only by the holder of {@link #connectionLock}, so peeking and polling agree. */
    private final ConcurrentLinkedQueue<Request<?>> queue = new ConcurrentLinkedQueue<>();
    /** Held by whoever uses the connection: a leading caller or the writer thread. */
    private final ReentrantLock connectionLock = new ReentrantLock();
    /** Released when the writer thread has queued work to serve, or the writer is closing. */
    private final Semaphore wake = new Semaphore(0);
    private final Object lifecycle = new Object();
    /** Set when the writer was closed from inside work: closes the connection once the writer stops. */
    private Runnable releaseWhenStopped; // guarded by lifecycle
    private final Thread thread;
    private final AtomicLong commits = new AtomicLong();
    /** Commits and rollbacks of whole transactions on the connection, whoever made them. */
    private final AtomicLong transactionEnds = new AtomicLong();
    private volatile boolean closed;
    private volatile Hooks hooks = Hooks.NONE;

    /**
     * Statements prepared on the writer's connection by the work it runs, kept across transactions.
     */
    interface StatementCache {
        /** Closes every kept statement and prepares it again (or drops it, to be prepared on next use). */
        void prepareAgain() throws SQLException;
    }

    /**
     * @param busyTimeout how long a write may wait for another process's lock on the file (see
     *     {@link #begin})
     * @param logLimitBytes the size of the {@code -wal} file above which the log is checkpointed
     *     and truncated after a transaction
     * @param reads the store's read connections, whose new reads wait while the log is truncated
     */
    GroupCommitWriter(Path file, Connection connection, Duration busyTimeout, long logLimitBytes, ReadPool reads,
            StatementCache statementCache) throws SQLException {
        this.file = file;
        this.connection = connection;
        this.busyTimeoutNanos = busyTimeout.toNanos();
        this.log = file.resolveSibling(file.getFileName() + "-wal");
        this.logLimitBytes = logLimitBytes;
        this.reads = reads;
        this.logTruncateAbove = logLimitBytes;
        this.logTruncateDistance = logLimitBytes;
        this.logSizeCheckedAt = System.nanoTime() - LOG_SIZE_CHECK_INTERVAL_NANOS;
        this.busyTimeoutSet = connection.unwrap(SQLiteConnection.class).getBusyTimeout();
        this.statementCache = statementCache;
        prepareControlStatements();
        connection.unwrap(SQLiteConnection.class).getDatabase().addCommitListener(new SQLiteCommitListener() {
            @Override
            public void onCommit() {
                transactionEnds.incrementAndGet();
            }

            @Override
            public void onRollback() {
                transactionEnds.incrementAndGet();
            }
        });
        this.thread = new Thread(this::loop, "estoria-sqlite-writer " + file.getFileName());
        // A forgotten close must not keep the JVM alive; an uncommitted group is simply not written.
        thread.setDaemon(true);
        thread.start();
    }

    private static final class Request<T> {
        final Work<T> work;
        final boolean alone;
        final CompletableFuture<T> future = new CompletableFuture<>();
        /** When the write was asked for: its wait for another process's lock counts from here. */
        final long queuedAt = System.nanoTime();
        T result;
        RuntimeException failure;

        Request(Work<T> work, boolean alone) {
            this.work = work;
            this.alone = alone;
        }

        void apply(Connection connection) throws SQLException {
            result = work.run(connection);
        }

        @SuppressWarnings("unchecked")
        void take(Outcome outcome) {
            result = (T) outcome.result();
            failure = outcome.failure();
        }

        void complete() {
            if (failure != null) {
                future.completeExceptionally(failure);
            } else {
                future.complete(result);
            }
        }
    }

    /**
     * Queues the work and waits until its group has committed. The work may run on the calling
     * thread or on another; either way one thread at a time holds the connection.
     *
     * @return what the work returned
     * @throws RuntimeException whatever the work threw (the write was rolled back), or an {@link
     *     EventStoreException} if the store is closed or the transaction failed
     * @throws IllegalStateException if the calling thread holds the connection (see {@link
     *     #refuseNested})
     */
    <T> T submit(Work<T> work) {
        refuseNested();
        Request<T> request = new Request<>(work, false);
        enqueue(request);
        // An interrupted caller leaves the work to the writer thread, so that the interrupt cannot
        // reach anything run for the group; it still waits for the outcome below.
        if (!Thread.currentThread().isInterrupted()) {
            lead(request);
        } else {
            wake.release();
        }
        return await(request);
    }

    /**
     * Queues the work to run in a write transaction of its own on the writer thread and waits until
     * that has committed. The transaction commits whatever the work wrote when the work returns, and
     * rolls it all back when the work throws.
     *
     * @return what the work returned
     * @throws IllegalStateException if the transaction ended inside the work: the work ran {@code
     *     COMMIT}, {@code END} or {@code ROLLBACK} (what it wrote before may have been committed), or
     *     SQLite rolled the transaction back after an error, or the calling thread holds the
     *     connection (see {@link #refuseNested})
     * @throws RuntimeException whatever the work threw (nothing was written), or an {@link
     *     EventStoreException} if the store is closed, an {@link SQLException} of the work (wrapped;
     *     nothing was written) or the commit failed
     */
    <T> T submitAlone(Work<T> work) {
        refuseNested();
        Request<T> request = new Request<>(work, true);
        enqueue(request);
        wake.release();
        return await(request);
    }

    /**
     * Work that holds the connection (caller code run by {@link #submitAlone}, such as a projection
     * handler) cannot wait for another write: that write is served only after the work's own
     * transaction ends, so it would wait for itself, and every later write of the store behind it.
     */
    private void refuseNested() {
        if (connectionLock.isHeldByCurrentThread()) {
            throw new IllegalStateException("a write to " + file + " was made from inside work that holds its write"
                    + " transaction (inWriteTransaction work or a projection handler), and would wait for that"
                    + " transaction to end; nothing was written. Write through the connection lent to the work, or"
                    + " after the work returns");
        }
    }

    private void enqueue(Request<?> request) {
        synchronized (lifecycle) {
            if (closed) {
                throw closedException();
            }
            queue.add(request);
        }
        hooks.enqueued();
    }

    /**
     * Commits queued groups on the calling thread while the connection is free and the caller's own
     * work is not done. If the connection is taken, its holder will see the request: it checks the
     * queue after unlocking, and this request was queued before the failed attempt to lock.
     */
    private void lead(Request<?> mine) {
        if (!connectionLock.tryLock()) {
            return;
        }
        try {
            while (!mine.future.isDone()) {
                if (closed) {
                    failQueued();
                    break;
                }
                Request<?> next = queue.peek();
                if (next == null || next.alone) {
                    // Work that must run alone belongs to the writer thread, and so does all after it.
                    break;
                }
                guarded(takeSharedRun(), true);
            }
        } finally {
            connectionLock.unlock();
        }
        handOff();
    }

    /** Called after unlocking the connection: work queued meanwhile must not be left unserved. */
    private void handOff() {
        if (!queue.isEmpty()) {
            wake.release();
        }
    }

    /** The shared work at the head of the queue, up to the next work that must run alone. */
    private List<Request<?>> takeSharedRun() {
        List<Request<?>> group = new ArrayList<>();
        Request<?> next;
        while (group.size() < MAX_GROUP && (next = queue.peek()) != null && !next.alone) {
            group.add(queue.poll());
        }
        return group;
    }

    private <T> T await(Request<T> request) {
        // Wait even through interrupts: the work is always finished (a lock wait is bounded by the
        // busy timeout), and a caller is better served by the outcome than by "unknown".
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return request.future.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException runtime) {
                        throw runtime;
                    }
                    throw new EventStoreException("write to " + file + " failed: " + e.getCause(), e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** How many transactions this writer has committed. */
    long commitCount() {
        return commits.get();
    }

    void setHooks(Hooks newHooks) {
        hooks = newHooks == null ? Hooks.NONE : newHooks;
    }

    /** Whether the calling thread holds the connection: it runs work inside a write transaction. */
    boolean heldByCurrentThread() {
        return connectionLock.isHeldByCurrentThread();
    }

    /** Whether a thread holds the connection now; for tests. */
    boolean connectionHeld() {
        return connectionLock.isLocked();
    }

    /**
     * Stops the writer: the group in progress finishes, work still queued fails with an {@link
     * EventStoreException}, and once the writer thread has ended and nobody uses the connection any
     * more, {@code release} runs (to close the connection). Called once.
     *
     * <p>Normally this waits for all that, and {@code release} runs on the calling thread. Called
     * from inside work that holds the connection (caller code run by {@link #submitAlone}), it cannot
     * wait for the work, which is its caller: it returns at once, the work goes on and its
     * transaction commits, and {@code release} runs on the writer thread as it stops.
     */
    void close(Runnable release) {
        boolean inside = Thread.currentThread() == thread || connectionLock.isHeldByCurrentThread();
        synchronized (lifecycle) {
            closed = true;
            if (inside) {
                // The writer thread stops only after this thread lets go of the connection.
                releaseWhenStopped = release;
            }
        }
        wake.release();
        hooks.closing();
        if (inside) {
            return;
        }
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        release.run();
    }

    /** Run by the writer thread as it stops, holding the connection lock; see {@link #close}. */
    private void releaseOnStop() {
        Runnable release;
        synchronized (lifecycle) {
            release = releaseWhenStopped;
            releaseWhenStopped = null;
        }
        if (release != null) {
            try {
                release.run();
            } catch (RuntimeException | Error e) {
                LOG.log(System.Logger.Level.WARNING, "closing the write connection to " + file + " failed", e);
            }
        }
    }

    private EventStoreException closedException() {
        return new EventStoreException("the event store on " + file + " is closed; the write was not made");
    }

    private void loop() {
        while (true) {
            try {
                wake.acquire();
            } catch (InterruptedException e) {
                // Nobody interrupts this private thread; if someone does, keep serving.
                continue;
            }
            wake.drainPermits();
            connectionLock.lock();
            try {
                while (!closed && !queue.isEmpty()) {
                    serveHead();
                }
                if (closed) {
                    // Leaders check the flag under the lock, so once this thread has ended nobody
                    // touches the connection again.
                    failQueued();
                    releaseOnStop();
                    return;
                }
            } finally {
                connectionLock.unlock();
            }
            handOff();
        }
    }

    /** Commits the next run of shared work as one group, or the next work that must run alone. */
    private void serveHead() {
        Request<?> next = queue.peek();
        if (next.alone) {
            guarded(List.of(queue.poll()), false);
        } else {
            guarded(takeSharedRun(), true);
        }
    }

    private void failQueued() {
        List<Request<?>> rest = new ArrayList<>();
        Request<?> next;
        while ((next = queue.poll()) != null) {
            rest.add(next);
        }
        failAll(rest, closedException());
    }

    private void guarded(List<Request<?>> requests, boolean shared) {
        if (statementFailed) {
            try {
                renewStatements();
            } catch (SQLException e) {
                failAll(requests, new EventStoreException("cannot prepare the write statements on " + file
                        + "; nothing was written: " + e.getMessage(), e));
                return;
            }
        }
        try {
            if (shared) {
                commitGroup(requests);
            } else {
                commitAlone(requests.get(0));
            }
        } catch (RuntimeException | Error e) {
            noteFailure(e);
            // A bug or a JVM error must not leave callers waiting forever.
            rollbackQuietly();
            failAll(requests, new EventStoreException("write to " + file + " failed unexpectedly: " + e, e));
        }
        truncateLogIfOvergrown();
    }

    /**
     * Between transactions: checkpoints the log and empties its file once the file has outgrown
     * the limit, which the passive checkpoints SQLite runs at commit cannot do while reads overlap
     * every commit (see the class comment). Waits at most {@value #LOG_TRUNCATE_WAIT_MILLIS} ms (or
     * the busy timeout, if shorter) for the reads in progress; reads of this store that start
     * meanwhile wait for the checkpoint. If it cannot finish (a read still holds an older
     * snapshot), the next try waits until the file has grown by the limit once more, and by twice
     * as much after each further try that cannot finish (at most {@value
     * #LOG_TRUNCATE_MAX_DISTANCE} limits), so a read that holds its snapshot for long costs few
     * such waits.
     */
    private void truncateLogIfOvergrown() {
        // Looking at the file's size after every transaction cost a lone writer about a fifth of its
        // appends/s (measured); between looks the log grows by what some milliseconds of writes add.
        long now = System.nanoTime();
        if (now - logSizeCheckedAt < LOG_SIZE_CHECK_INTERVAL_NANOS) {
            return;
        }
        logSizeCheckedAt = now;
        long size;
        try {
            size = Files.size(log);
        } catch (IOException e) {
            return; // No log file (yet, or any more): nothing to truncate.
        }
        if (size < logTruncateFailedAt) {
            // SQLite wrote the log from its start again and cut the file back: start afresh.
            logTruncateAbove = logLimitBytes;
            logTruncateDistance = logLimitBytes;
            logTruncateFailedAt = 0;
        }
        if (size <= logTruncateAbove) {
            return;
        }
        if (reads.holdsRead(Thread.currentThread())) {
            // This thread (a caller that committed its own write while an iterator of its own is
            // open) holds a read the checkpoint would wait for, and that read cannot end before
            // this returns: the checkpoint could only fail after pausing every thread's new reads.
            // Not counted as a failed try: the next commit made without such a read tries at once.
            logSizeCheckedAt = now - LOG_SIZE_CHECK_INTERVAL_NANOS;
            return;
        }
        boolean truncated = false;
        try {
            int wait = (int) Math.min(LOG_TRUNCATE_WAIT_MILLIS, TimeUnit.NANOSECONDS.toMillis(busyTimeoutNanos));
            if (wait != busyTimeoutSet) {
                connection.unwrap(SQLiteConnection.class).setBusyTimeout(wait);
                busyTimeoutSet = wait;
            }
            reads.pauseNewReads();
            // One row: whether it could not finish (busy), the log's frames, the frames copied.
            try (Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
                truncated = rows.next() && rows.getInt(1) == 0;
            } finally {
                reads.resumeNewReads();
            }
        } catch (SQLException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "checkpointing the log of " + file + " failed", e);
        }
        if (truncated) {
            logTruncateAbove = logLimitBytes;
            logTruncateDistance = logLimitBytes;
            logTruncateFailedAt = 0;
        } else {
            logTruncateFailedAt = size;
            logTruncateAbove = size + logTruncateDistance;
            logTruncateDistance = Math.min(logTruncateDistance * 2, LOG_TRUNCATE_MAX_DISTANCE * logLimitBytes);
        }
    }

    private void commitAlone(Request<?> request) {
        try {
            if (begin(List.of(request)).isEmpty()) {
                return;
            }
        } catch (SQLException e) {
            noteFailure(e);
            request.future.completeExceptionally(cannotBegin(e));
            return;
        }
        long endsBefore = transactionEnds.get();
        try {
            request.apply(connection);
        } catch (SQLException | RuntimeException e) {
            noteFailure(e);
            request.failure = transactionEnds.get() == endsBefore ? asFailure(e) : endedByWork(e);
            rollbackQuietly();
            request.complete();
            return;
        }
        if (transactionEnds.get() != endsBefore) {
            rollbackQuietly();
            request.failure = endedByWork(null);
            request.complete();
            return;
        }
        try {
            hooks.beforeCommit(1);
            commit.execute();
        } catch (SQLException | RuntimeException e) {
            noteFailure(e);
            rollbackQuietly();
            request.failure = new EventStoreException("commit to " + file
                    + " failed; the write may or may not have been made: " + e.getMessage(), e);
            request.complete();
            return;
        }
        commits.incrementAndGet();
        request.complete();
    }

    /**
     * Begins the write transaction. SQLite waits for another process's lock up to the busy timeout,
     * but only the time the store has been kept from the lock counts against a write: a write queued
     * while the store was already waiting for that lock has only what is left of its timeout, counted
     * from its call. When a group's writes have different times left, the wait is set for the
     * earliest; when it runs out, the writes whose time is up fail and the rest wait again for what
     * is left of theirs, so none fails before its own time nor waits past it. Otherwise every
     * transaction would wait a whole timeout of its own, and work queued behind k transactions that
     * waited for the lock would fail only after k + 1 of them. Time spent queued behind this store's
     * own work is not charged.
     *
     * @return the writes of the group the transaction was begun for; the others have failed
     */
    private List<Request<?>> begin(List<Request<?>> group) throws SQLException {
        List<Request<?>> waiting = group;
        while (true) {
            long now = System.nanoTime();
            // A write's wait counts from its call, or from when the store was first refused the
            // lock if later; when the store is not kept from the lock, from now.
            long start = lockedOutSince != 0 ? lockedOutSince : now;
            long earliest = Long.MAX_VALUE;
            for (Request<?> request : waiting) {
                earliest = Math.min(earliest, Math.max(request.queuedAt, start) + busyTimeoutNanos);
            }
            int millis = (int) TimeUnit.NANOSECONDS.toMillis(Math.max(0, earliest - now));
            if (millis != busyTimeoutSet) {
                connection.unwrap(SQLiteConnection.class).setBusyTimeout(millis);
                busyTimeoutSet = millis;
            }
            try {
                begin.execute();
                lockedOutSince = 0;
                return waiting;
            } catch (SQLException e) {
                if (!isBusy(e)) {
                    throw e;
                }
                // sqlite-jdbc keeps a statement that failed for BUSY: no need to prepare it again.
                if (lockedOutSince == 0) {
                    lockedOutSince = now;
                }
                // Fail the writes whose own time is up (at least the one the wait was set for);
                // the younger ones of the group wait on for what is left of theirs.
                long cutoff = Math.max(System.nanoTime(), earliest) + TimeUnit.MILLISECONDS.toNanos(1);
                List<Request<?>> expired = new ArrayList<>();
                List<Request<?>> rest = new ArrayList<>();
                for (Request<?> request : waiting) {
                    long deadline = Math.max(request.queuedAt, lockedOutSince) + busyTimeoutNanos;
                    (deadline <= cutoff ? expired : rest).add(request);
                }
                failAll(expired, cannotBegin(e));
                if (rest.isEmpty()) {
                    return rest;
                }
                waiting = rest;
            }
        }
    }

    /** The write lock held elsewhere past the busy timeout: it may be free on a later try. */
    private EventStoreException cannotBegin(SQLException e) {
        return new TransientStoreException("cannot start a write transaction on " + file + "; nothing was written: "
                + e.getMessage(), e);
    }

    private static boolean isBusy(SQLException e) {
        return e instanceof SQLiteException sqlite && (sqlite.getResultCode().code & 0xff) == SQLITE_BUSY;
    }

    private void prepareControlStatements() throws SQLException {
        begin = connection.prepareStatement("BEGIN IMMEDIATE");
        commit = connection.prepareStatement("COMMIT");
        rollback = connection.prepareStatement("ROLLBACK");
        savepoint = connection.prepareStatement("SAVEPOINT " + SAVEPOINT);
        release = connection.prepareStatement("RELEASE " + SAVEPOINT);
        rollbackTo = connection.prepareStatement("ROLLBACK TO " + SAVEPOINT);
    }

    /**
     * Before the next transaction, after a statement failed: ends a transaction a failed ROLLBACK
     * may have left open (it would hold the file's write lock and fail the next BEGIN), and
     * prepares every kept statement again, the work's and the writer's own.
     */
    private void renewStatements() throws SQLException {
        try (Statement end = connection.createStatement()) {
            end.execute("ROLLBACK");
        } catch (SQLException expected) {
            // No transaction was open: the usual case.
        }
        statementCache.prepareAgain();
        for (PreparedStatement statement : List.of(begin, commit, rollback, savepoint, release, rollbackTo)) {
            try {
                statement.close();
            } catch (SQLException ignored) {
                // Replaced all the same.
            }
        }
        prepareControlStatements();
        statementFailed = false;
    }

    /** Notes a failure; one that came from a statement on the connection renews the statements. */
    private void noteFailure(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLException) {
                statementFailed = true;
                return;
            }
        }
    }

    private IllegalStateException endedByWork(Exception cause) {
        // SQLite's own rollback after an I/O error also ends it; the cause, if any, tells them apart.
        return new IllegalStateException("the write transaction on " + file + " ended inside the work: the work ran "
                + "COMMIT, END or ROLLBACK itself (the store begins and ends the transaction), or SQLite rolled it "
                + "back after an error; if the work ended it, some of its writes may have been committed", cause);
    }

    private void commitGroup(List<Request<?>> whole) {
        List<Request<?>> group;
        try {
            group = begin(whole);
        } catch (SQLException e) {
            noteFailure(e);
            failAll(whole, cannotBegin(e));
            return;
        }
        if (group.isEmpty()) {
            return;
        }
        long changesBefore = totalChanges();
        if (group.size() == 1) {
            // Alone in the transaction, the item needs no savepoint: rolling back the transaction
            // undoes exactly what rolling back to the savepoint would.
            Request<?> request = group.get(0);
            try {
                request.apply(connection);
            } catch (SQLException | RuntimeException e) {
                noteFailure(e);
                request.failure = asFailure(e);
                rollbackQuietly();
                request.complete();
                return;
            }
        } else {
            if (!applyEach(group)) {
                return;
            }
        }
        if (changesBefore >= 0 && totalChanges() == changesBefore) {
            // Nothing to make durable (every item failed, or was an idempotent retry): skip the flush.
            rollbackQuietly();
            group.forEach(Request::complete);
            return;
        }
        try {
            hooks.beforeCommit(group.size());
            commit.execute();
        } catch (SQLException | RuntimeException e) {
            noteFailure(e);
            rollbackQuietly();
            EventStoreException failure = new EventStoreException("commit to " + file
                    + " failed; the write may or may not have been made: " + e.getMessage(), e);
            for (Request<?> request : group) {
                if (request.failure == null) {
                    request.failure = failure;
                }
            }
            group.forEach(Request::complete);
            return;
        }
        commits.incrementAndGet();
        group.forEach(Request::complete);
    }

    /**
     * Applies the items of a shared transaction: runs of batchable work together, the rest each in
     * its own savepoint.
     *
     * @return false if SQLite ended the whole transaction; every item has then been completed with
     *     a failure
     */
    private boolean applyEach(List<Request<?>> group) {
        int i = 0;
        while (i < group.size()) {
            int end = runEnd(group, i);
            if (end - i > 1) {
                Applied applied = applyTogether(group, i, end);
                if (applied == Applied.LOST) {
                    return false;
                }
                if (applied == Applied.DONE) {
                    i = end;
                    continue;
                }
            }
            for (; i < end; i++) {
                if (!applyAlone(group, i)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The end of the run of work, starting at {@code from}, that one batcher can apply together. */
    private static int runEnd(List<Request<?>> group, int from) {
        if (!(group.get(from).work instanceof Batchable<?> first)) {
            return from + 1;
        }
        int end = from + 1;
        while (end < group.size() && group.get(end).work instanceof Batchable<?> next
                && next.batcher() == first.batcher()) {
            end++;
        }
        return end;
    }

    private enum Applied { DONE, ONE_BY_ONE, LOST }

    /** Applies {@code group[from, end)} with its batcher, inside one savepoint. */
    private Applied applyTogether(List<Request<?>> group, int from, int end) {
        List<Request<?>> run = group.subList(from, end);
        List<Batchable<?>> items = new ArrayList<>(run.size());
        for (Request<?> request : run) {
            items.add((Batchable<?>) request.work);
        }
        Outcome[] outcomes;
        Exception thrown = null;
        try {
            savepoint.execute();
            outcomes = items.get(0).batcher().applyAll(items);
        } catch (SQLException | RuntimeException e) {
            noteFailure(e);
            outcomes = null;
            thrown = e;
        }
        if (outcomes == null || outcomes.length != run.size()) {
            if (!rollbackToSavepoint()) {
                // SQLite ended the whole transaction; which append's statement did it is unknown, but
                // the error (a full disk, an I/O error) is what every caller needs to see.
                failLostTransaction(group, -1, thrown != null ? asFailure(thrown) : new EventStoreException(
                        "write to " + file + " failed: the transaction ended while its appends were applied"));
                return Applied.LOST;
            }
            return Applied.ONE_BY_ONE;
        }
        try {
            release.execute();
        } catch (SQLException e) {
            noteFailure(e);
            if (!rollbackToSavepoint()) {
                failLostTransaction(group, -1, asFailure(e));
                return Applied.LOST;
            }
            return Applied.ONE_BY_ONE;
        }
        for (int k = 0; k < run.size(); k++) {
            run.get(k).take(outcomes[k]);
        }
        hooks.batched(run.size());
        return Applied.DONE;
    }

    /**
     * Applies {@code group[i]} in its own savepoint.
     *
     * @return false if SQLite ended the whole transaction; every item has then been completed with
     *     a failure
     */
    private boolean applyAlone(List<Request<?>> group, int i) {
        Request<?> request = group.get(i);
        try {
            savepoint.execute();
            request.apply(connection);
            release.execute();
        } catch (SQLException | RuntimeException e) {
            noteFailure(e);
            RuntimeException failure = asFailure(e);
            if (!rollbackToSavepoint()) {
                // SQLite ended the whole transaction (an I/O error, a full disk): nothing of
                // this group is written, and every item must hear so.
                failLostTransaction(group, i, failure);
                return false;
            }
            request.failure = failure;
        }
        return true;
    }

    /**
     * Rolls back what is left of a transaction SQLite ended, and completes the whole group: item
     * {@code failed} (if not -1) with {@code failure}, the others with a failure that points to it,
     * except items that failed on their own, which keep their own, more precise, failure.
     */
    private void failLostTransaction(List<Request<?>> group, int failed, RuntimeException failure) {
        rollbackQuietly();
        if (failed >= 0) {
            group.get(failed).failure = failure;
        }
        for (int j = 0; j < group.size(); j++) {
            Request<?> other = group.get(j);
            if (j != failed && other.failure == null) {
                other.failure = new EventStoreException("write to " + file
                        + " was not made: the transaction it shared failed: " + failure.getMessage(), failure);
            }
        }
        group.forEach(Request::complete);
    }

    private long totalChanges() {
        try {
            return connection.unwrap(SQLiteConnection.class).getDatabase().total_changes();
        } catch (SQLException e) {
            noteFailure(e);
            // Unknown: assume something changed, so the group commits as usual.
            return -1;
        }
    }

    private RuntimeException asFailure(Exception e) {
        if (e instanceof SQLException sql) {
            return new EventStoreException("write to " + file + " failed; nothing was written: " + sql.getMessage(), sql);
        }
        if (e instanceof SqlFailure tunnelled) {
            SQLException sql = tunnelled.getCause();
            return new EventStoreException("write to " + file + " failed; nothing was written: " + sql.getMessage(), sql);
        }
        return (RuntimeException) e;
    }

    private boolean rollbackToSavepoint() {
        try {
            rollbackTo.execute();
            release.execute();
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    private void rollbackQuietly() {
        try {
            rollback.execute();
        } catch (SQLException e) {
            // No transaction was open, or SQLite already rolled it back; the failure also cost
            // the statement, which is prepared again before the next transaction.
            noteFailure(e);
        }
    }

    private static void failAll(List<Request<?>> group, RuntimeException failure) {
        for (Request<?> request : group) {
            request.future.completeExceptionally(failure);
        }
    }

    /** Carries a {@link SQLException} through code that cannot throw checked exceptions. */
    static final class SqlFailure extends RuntimeException {
        SqlFailure(SQLException cause) {
            super(cause);
        }

        @Override
        public synchronized SQLException getCause() {
            return (SQLException) super.getCause();
        }
    }
}
