package dev.estoria.sqlite;

import dev.estoria.eventstore.EventStoreException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.sqlite.SQLiteCommitListener;
import org.sqlite.SQLiteConnection;

/**
 * The single thread that owns the write connection and commits writes in groups.
 *
 * <p>Callers hand in {@link Work} and wait. The thread takes whatever is queued (never waiting for
 * more, so a lone write pays no added latency), opens one {@code BEGIN IMMEDIATE} transaction,
 * runs each work item inside its own savepoint, and commits once. A work item that fails is rolled
 * back to its savepoint and fails alone; the others commit. Nobody hears of success before the
 * commit has returned, which with {@code synchronous=FULL} means the group is on stable storage.
 *
 * <p>Work submitted with {@link #submitAlone} runs in a transaction of its own instead, between the
 * groups before and after it in queue order: it is caller code that may misbehave (end the
 * transaction itself, take long), and sharing a transaction would let it harm other writers.
 *
 * <p>Because one thread makes every write of this store, and SQLite lets one transaction write a
 * database at a time, writes are applied in one order and each sees all earlier ones.
 */
final class GroupCommitWriter {

    /** One write, run on the writer thread inside its own savepoint. */
    interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** Points where tests can observe or stall the writer. */
    interface Hooks {
        Hooks NONE = new Hooks() {
        };

        /** Called on the submitting thread once its work is queued. */
        default void enqueued() {
        }

        /** Called on the writer thread with the transaction open and every item applied. */
        default void beforeCommit(int items) {
        }

        /** Called on the closing thread once no more work is accepted, before it waits for the writer. */
        default void closing() {
        }
    }

    /** Caps one transaction, so a flood of writers cannot build an unbounded one. */
    static final int MAX_GROUP = 512;

    private static final String SAVEPOINT = "estoria_write";

    private final Path file;
    private final Connection connection;
    private final Statement control;
    private final LinkedBlockingQueue<Request<?>> queue = new LinkedBlockingQueue<>();
    private final Object lifecycle = new Object();
    private final Thread thread;
    private final AtomicLong commits = new AtomicLong();
    /** Commits and rollbacks of whole transactions on the connection, whoever made them. */
    private final AtomicLong transactionEnds = new AtomicLong();
    private volatile boolean closed;
    private volatile Hooks hooks = Hooks.NONE;

    private static final Request<Void> STOP = new Request<>(null);

    GroupCommitWriter(Path file, Connection connection) throws SQLException {
        this.file = file;
        this.connection = connection;
        this.control = connection.createStatement();
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
        T result;
        RuntimeException failure;

        Request(Work<T> work) {
            this(work, false);
        }

        Request(Work<T> work, boolean alone) {
            this.work = work;
            this.alone = alone;
        }

        void apply(Connection connection) throws SQLException {
            result = work.run(connection);
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
     * Queues the work and waits until its group has committed.
     *
     * @return what the work returned
     * @throws RuntimeException whatever the work threw (the write was rolled back), or an {@link
     *     EventStoreException} if the store is closed or the transaction failed
     */
    <T> T submit(Work<T> work) {
        return await(new Request<>(work, false));
    }

    /**
     * Queues the work to run in a write transaction of its own and waits until that has committed.
     * The transaction commits whatever the work wrote when the work returns, and rolls it all back
     * when the work throws.
     *
     * @return what the work returned
     * @throws IllegalStateException if the transaction ended inside the work: the work ran {@code
     *     COMMIT}, {@code END} or {@code ROLLBACK} (what it wrote before may have been committed), or
     *     SQLite rolled the transaction back after an error
     * @throws RuntimeException whatever the work threw (nothing was written), or an {@link
     *     EventStoreException} if the store is closed, an {@link SQLException} of the work (wrapped;
     *     nothing was written) or the commit failed
     */
    <T> T submitAlone(Work<T> work) {
        return await(new Request<>(work, true));
    }

    private <T> T await(Request<T> request) {
        synchronized (lifecycle) {
            if (closed) {
                throw closedException();
            }
            queue.add(request);
        }
        hooks.enqueued();
        // Wait even through interrupts: the writer always finishes the work (a lock wait is bounded
        // by the busy timeout), and a caller is better served by the outcome than by "unknown".
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

    /**
     * Stops the writer: the group in progress finishes, work still queued fails with an {@link
     * EventStoreException}, and this returns once the thread has ended. Idempotent.
     */
    void close() {
        synchronized (lifecycle) {
            if (!closed) {
                closed = true;
                queue.add(STOP);
            }
        }
        hooks.closing();
        if (Thread.currentThread() == thread) {
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
    }

    private EventStoreException closedException() {
        return new EventStoreException("the event store on " + file + " is closed; the write was not made");
    }

    private void loop() {
        List<Request<?>> group = new ArrayList<>();
        while (true) {
            group.clear();
            try {
                group.add(queue.take());
            } catch (InterruptedException e) {
                // Nobody interrupts this private thread; if someone does, keep serving.
                continue;
            }
            queue.drainTo(group, MAX_GROUP - 1);
            group.remove(STOP);
            if (closed) {
                failAll(group, closedException());
                break;
            }
            // Runs of shared work commit together; work that must be alone splits them, in order.
            int start = 0;
            for (int i = 0; i <= group.size(); i++) {
                if (i < group.size() && !group.get(i).alone) {
                    continue;
                }
                if (i > start) {
                    guarded(group.subList(start, i), true);
                }
                if (i < group.size()) {
                    guarded(group.subList(i, i + 1), false);
                }
                start = i + 1;
            }
        }
        List<Request<?>> rest = new ArrayList<>();
        queue.drainTo(rest);
        rest.remove(STOP);
        failAll(rest, closedException());
    }

    private void guarded(List<Request<?>> requests, boolean shared) {
        try {
            if (shared) {
                commitGroup(requests);
            } else {
                commitAlone(requests.get(0));
            }
        } catch (RuntimeException | Error e) {
            // A bug or a JVM error must not leave callers waiting forever.
            rollbackQuietly();
            failAll(requests, new EventStoreException("write to " + file + " failed unexpectedly: " + e, e));
        }
    }

    private void commitAlone(Request<?> request) {
        try {
            control.execute("BEGIN IMMEDIATE");
        } catch (SQLException e) {
            request.future.completeExceptionally(new EventStoreException("cannot start a write transaction on "
                    + file + "; nothing was written: " + e.getMessage(), e));
            return;
        }
        long endsBefore = transactionEnds.get();
        try {
            request.apply(connection);
        } catch (SQLException | RuntimeException e) {
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
            control.execute("COMMIT");
        } catch (SQLException | RuntimeException e) {
            rollbackQuietly();
            request.failure = new EventStoreException("commit to " + file
                    + " failed; the write may or may not have been made: " + e.getMessage(), e);
            request.complete();
            return;
        }
        commits.incrementAndGet();
        request.complete();
    }

    private IllegalStateException endedByWork(Exception cause) {
        // SQLite's own rollback after an I/O error also ends it; the cause, if any, tells them apart.
        return new IllegalStateException("the write transaction on " + file + " ended inside the work: the work ran "
                + "COMMIT, END or ROLLBACK itself (the store begins and ends the transaction), or SQLite rolled it "
                + "back after an error; if the work ended it, some of its writes may have been committed", cause);
    }

    private void commitGroup(List<Request<?>> group) {
        try {
            control.execute("BEGIN IMMEDIATE");
        } catch (SQLException e) {
            failAll(group, new EventStoreException("cannot start a write transaction on " + file
                    + "; nothing was written: " + e.getMessage(), e));
            return;
        }
        long changesBefore = totalChanges();
        for (int i = 0; i < group.size(); i++) {
            Request<?> request = group.get(i);
            try {
                control.execute("SAVEPOINT " + SAVEPOINT);
                request.apply(connection);
                control.execute("RELEASE " + SAVEPOINT);
            } catch (SQLException | RuntimeException e) {
                RuntimeException failure = asFailure(e);
                if (!rollbackToSavepoint()) {
                    // SQLite ended the whole transaction (an I/O error, a full disk): nothing of
                    // this group is written, and every item must hear so.
                    rollbackQuietly();
                    request.failure = failure;
                    for (int j = 0; j < group.size(); j++) {
                        // Items that failed on their own keep their own, more precise, failure.
                        if (j != i && group.get(j).failure == null) {
                            group.get(j).failure = new EventStoreException("write to " + file
                                    + " was not made: the transaction it shared failed: " + failure.getMessage(), failure);
                        }
                    }
                    group.forEach(Request::complete);
                    return;
                }
                request.failure = failure;
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
            control.execute("COMMIT");
        } catch (SQLException | RuntimeException e) {
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

    private long totalChanges() {
        try {
            return connection.unwrap(SQLiteConnection.class).getDatabase().total_changes();
        } catch (SQLException e) {
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
            control.execute("ROLLBACK TO " + SAVEPOINT);
            control.execute("RELEASE " + SAVEPOINT);
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    private void rollbackQuietly() {
        try {
            control.execute("ROLLBACK");
        } catch (SQLException ignored) {
            // No transaction was open, or SQLite already rolled it back.
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
