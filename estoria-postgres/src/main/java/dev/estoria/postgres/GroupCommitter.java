package dev.estoria.postgres;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.StreamVersionMismatchException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.spi.EventLocation;
import dev.estoria.eventstore.spi.IdempotentAppends;
import dev.estoria.typeid.TypeId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import javax.sql.DataSource;

/**
 * The append pipeline of {@link PostgresEventStore}: writer lanes that commit queued appends in
 * groups, each append with its own expectation check, all acknowledged after the shared commit.
 *
 * <p>Streams map to lanes by hash. A lane takes every queued append, up to {@link
 * PostgresOptions#maxGroupAppends()}, into one transaction; nothing waits for more appends to
 * arrive, and with the store's own pool a lone append that finds its lane idle commits on its
 * caller's thread. A group to distinct streams without caller-chosen event IDs commits as one
 * statement ({@link BulkAppendStatement}); any other group, and a group whose statement failed
 * before it could commit, runs each append under its own savepoint, which isolates the append that
 * failed. Deadlocks and event-ID collisions are retried in a later transaction, a few times.
 *
 * <p>The appends of one multi-stream call ({@link #appendAll}) bypass the lanes: they commit in a
 * transaction of their own, on the caller's thread, with the same single-append logic.
 *
 * <p>Every commit is reported to the store (its transaction ID), which wakes readers and
 * listeners. Failures say whether the append was written: "was not written" when nothing reached
 * the commit, "may or may not" when the answer to a sent commit was lost.
 */
final class GroupCommitter {

    private static final int MAX_ATTEMPTS = 5;
    private static final long MAX_BULK_BYTES = 16L << 20;

    /** Runs inside an append transaction after the append's rows are inserted; for tests. */
    interface AppendHook {
        /** Throwing rolls the append back and fails it with the thrown exception. */
        void afterInsert(TypeId streamId, List<Event> written);
    }

    private final DataSource dataSource;
    private final boolean ownsPool;
    private final PostgresOptions options;
    private final Schema schema;
    private final Sql.LocalTimeout localTimeout;
    private final String bulkAppendSql;
    private final LongConsumer onCommit;
    private final Lane[] lanes;
    /** Appends run again in a later transaction after a deadlock or an event ID collision. */
    private final AtomicLong retriedAppends = new AtomicLong();
    private final AtomicLong bulkGroups = new AtomicLong();
    private final AtomicLong bulkFallbacks = new AtomicLong();
    private volatile boolean closed;
    private volatile AppendHook appendHook;

    /**
     * @param ownsPool whether the pool is the store's own: its connections carry the statement
     *     timeout, and a socket timeout that bounds a commit run on a caller's thread
     * @param localTimeout how a transaction on a caller's pool gets the statement timeout
     * @param onCommit told the transaction ID of every commit that wrote events
     */
    GroupCommitter(DataSource dataSource, boolean ownsPool, PostgresOptions options, Schema schema,
            Sql.LocalTimeout localTimeout, LongConsumer onCommit) {
        this.dataSource = dataSource;
        this.ownsPool = ownsPool;
        this.options = options;
        this.schema = schema;
        this.localTimeout = localTimeout;
        this.bulkAppendSql = BulkAppendStatement.sql(schema);
        this.onCommit = onCommit;
        this.lanes = new Lane[options.writerLanes()];
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = new Lane(i);
        }
    }

    void start() {
        for (Lane lane : lanes) {
            lane.thread.start();
        }
    }

    /**
     * Commits one append and waits for its outcome, at most {@link PostgresOptions#appendTimeout()}.
     *
     * @throws StoreUnavailableException if no answer came in time; the append may or may not have
     *     been written
     */
    List<Event> append(Pending pending) {
        long start = System.nanoTime();
        TypeId streamId = pending.streamId;
        Lane lane = lanes[Math.floorMod(streamId.hashCode(), lanes.length)];
        // Only with the store's own pool, whose socket timeout bounds a call run on this thread.
        if (!ownsPool || !lane.runHere(pending)) {
            lane.submit(pending);
        }
        Duration timeout = options.appendTimeout();
        try {
            // The timeout counts from the call, including a first attempt made on this thread.
            long left = timeout.toNanos() - (System.nanoTime() - start);
            return pending.result.get(Math.max(0, left), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                // Rethrown in the caller's thread; keep the writer's stack as the cause for diagnosis.
                r.addSuppressed(new RuntimeException("append to " + streamId + " failed in the writer lane"));
                throw r;
            }
            throw new EventStoreException("append to " + streamId + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new StoreUnavailableException("append to " + streamId + ": no answer from PostgreSQL within "
                    + timeout.toMillis() + " ms; the append may or may not have been written", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EventStoreException("interrupted while appending to " + streamId
                    + "; the append may or may not have been written", e);
        }
    }

    /**
     * Lets the lanes commit what was queued before this call, waiting for each at most the append
     * timeout, and fails what is left. Appends submitted later fail at once.
     */
    void close() {
        closed = true;
        for (Lane lane : lanes) {
            lane.stop();
        }
        for (Lane lane : lanes) {
            try {
                lane.thread.join(options.appendTimeout().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            lane.failQueued();
        }
    }

    void setAppendHook(AppendHook hook) {
        this.appendHook = hook;
    }

    long bulkGroups() {
        return bulkGroups.get();
    }

    long bulkFallbacks() {
        return bulkFallbacks.get();
    }

    long retriedAppends() {
        return retriedAppends.get();
    }

    int queuedAppends() {
        int n = 0;
        for (Lane lane : lanes) {
            n += lane.queue.size() + (lane.waiting ? 1 : 0);
        }
        return n;
    }

    /** An event ready to insert: everything but the version, position and timestamp. */
    record Prepared(String type, UUID uuid, byte[] data, String contentType, byte[] metadata) {
    }

    /** Tells a lane to stop once the appends queued before it are committed. */
    private static final Pending POISON = new Pending(null, List.of(), List.of(), null);

    /** One queued append and the future its caller waits on. */
    static final class Pending {
        final TypeId streamId;
        final List<WritableEvent> batch;
        final List<Prepared> prepared;
        final AppendStreamOptions options;
        final CompletableFuture<List<Event>> result = new CompletableFuture<>();
        int attempts;

        Pending(TypeId streamId, List<WritableEvent> batch, List<Prepared> prepared, AppendStreamOptions options) {
            this.streamId = streamId;
            this.batch = batch;
            this.prepared = prepared;
            this.options = options;
        }

        boolean hasChosenIds() {
            for (WritableEvent e : batch) {
                if (e.eventId().isPresent()) {
                    return true;
                }
            }
            return false;
        }
    }

    /** What one append inside a group transaction produced. */
    private record Written(List<Event> events, boolean wroteNothing) {
    }

    /** State of one group transaction. */
    private static final class Tx {
        long xid;
        long base;
        int index; // next event index within the transaction (watermark mode)
        long lastStrict; // last strict position handed out
        boolean wrote;
    }

    /**
     * A writer thread that commits the appends of its streams in groups. Streams map to lanes by
     * hash, so two lanes of one process never wait for each other's stream locks.
     */
    private final class Lane {
        final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
        final Thread thread;
        /** Held by whoever commits for this lane: its thread, or a caller that found it idle. */
        final ReentrantLock turn = new ReentrantLock();
        /** The lane's thread has taken an append from the queue and waits for its turn. */
        volatile boolean waiting;

        Lane(int index) {
            thread = new Thread(this::run, "estoria-writer-" + options.schema() + "-" + index);
            thread.setDaemon(true);
        }

        void submit(Pending p) {
            queue.add(p);
            if (closed && !thread.isAlive()) {
                // close() may have drained the queue before this append got in.
                failQueued();
            }
        }

        void stop() {
            queue.add(POISON);
        }

        /**
         * Makes the first attempt at a lone append on the caller's thread when the lane is idle,
         * sparing it the two thread hand-offs of the queue; appends arriving meanwhile queue up and
         * form the lane's next group. An attempt to be made again (after a deadlock or an event ID
         * collision) goes to the lane, so the caller waits for it within the append timeout. Returns
         * false, having done nothing, if the lane is busy or has work queued.
         */
        boolean runHere(Pending p) {
            if (waiting || !queue.isEmpty() || !turn.tryLock()) {
                return false;
            }
            List<Pending> carry = new ArrayList<>();
            try {
                if (closed) {
                    return false;
                }
                commitGroup(new ArrayList<>(List.of(p)), carry);
            } catch (Throwable t) {
                p.result.completeExceptionally(new EventStoreException("append to " + p.streamId + " failed: " + t, t));
                carry.clear();
            } finally {
                turn.unlock();
            }
            carry.forEach(this::submit);
            return true;
        }

        void run() {
            List<Pending> carry = new ArrayList<>();
            boolean stop = false;
            while (!stop) {
                List<Pending> group = new ArrayList<>(carry);
                carry.clear();
                try {
                    if (group.isEmpty()) {
                        group.add(queue.take());
                    }
                } catch (InterruptedException e) {
                    break;
                }
                waiting = true;
                turn.lock();
                waiting = false;
                try {
                    stop = runGroup(group, carry);
                } finally {
                    turn.unlock();
                }
            }
            for (Pending p : carry) {
                p.result.completeExceptionally(new EventStoreException("event store closed before the append to "
                        + p.streamId + " was written"));
            }
            failQueued();
        }

        /** Drains what is queued into the group and commits it; returns whether the lane was told to stop. */
        private boolean runGroup(List<Pending> group, List<Pending> carry) {
            queue.drainTo(group, Math.max(0, options.maxGroupAppends() - group.size()));
            boolean stop = group.remove(POISON);
            if (group.isEmpty()) {
                return stop;
            }
            int events = 0;
            for (int i = 0; i < group.size(); i++) {
                events += group.get(i).prepared.size();
                if (events > Schema.MAX_EVENTS_PER_TRANSACTION) {
                    // Keep the transaction within the position index; the rest goes next.
                    List<Pending> rest = group.subList(i, group.size());
                    carry.addAll(rest);
                    rest.clear();
                    break;
                }
            }
            try {
                commitGroup(group, carry);
            } catch (Throwable t) {
                for (Pending p : group) {
                    if (!carry.contains(p)) {
                        p.result.completeExceptionally(new EventStoreException("append to " + p.streamId + " failed: " + t, t));
                    }
                }
            }
            return stop;
        }

        void failQueued() {
            Pending p;
            while ((p = queue.poll()) != null) {
                p.result.completeExceptionally(new EventStoreException("event store closed before the append to "
                        + p.streamId + " was written"));
            }
        }
    }

    private void commitGroup(List<Pending> group, List<Pending> carry) {
        if (!options.strictPositions() && canCommitInBulk(group) && commitInBulk(group, carry)) {
            return;
        }
        commitWithSavepoints(group, carry);
    }

    /**
     * Whether the group fits the bulk path: no caller-chosen event IDs (those need the idempotency
     * lookup, stream by stream), no stream twice (one statement cannot change a row twice), and at
     * most {@link #MAX_BULK_BYTES} of payload and metadata.
     */
    private static boolean canCommitInBulk(List<Pending> group) {
        Set<TypeId> streams = new HashSet<>();
        long bytes = 0;
        for (Pending p : group) {
            if (p.hasChosenIds() || !streams.add(p.streamId)) {
                return false;
            }
            for (Prepared e : p.prepared) {
                bytes += e.data().length + e.metadata().length;
            }
        }
        // One statement carries every payload in one array parameter; large groups go append by append.
        return bytes <= MAX_BULK_BYTES;
    }

    /**
     * Commits the group with one statement, which PostgreSQL runs as its own transaction: one round
     * trip and one WAL flush, whatever the group's size. The statement reserves the versions of the
     * streams whose expectation holds (a conditional update, or an insert of a new stream row, each
     * taking the stream's row lock and re-checking the expectation on the latest committed tip),
     * inserts the events of those appends, and returns each reserved stream's new tip with the
     * transaction ID and position base. An append whose stream it did not reserve goes the savepoint
     * path right after, which reports the exact version it finds, or succeeds if its expectation
     * holds by then; either way a later transaction decides it, and that is what its caller sees.
     *
     * <p>With a test hook, or with a caller's pool (whose statement timeout is set per transaction),
     * the statement runs inside an explicit transaction instead, committed by a second round trip.
     * Any failure before the commit rolls back and leaves the whole group to the savepoint path,
     * which isolates the append that caused it.
     *
     * @return false if nothing was decided and the group must go the savepoint path
     */
    private boolean commitInBulk(List<Pending> group, List<Pending> carry) {
        AppendHook hook = appendHook;
        boolean explicit = hook != null || !ownsPool;
        boolean committed = false; // autocommit: the statement, and so the transaction, returned
        boolean commitSent = false; // explicit: the commit was sent
        Connection c = null;
        BulkAppendStatement bulk = null;
        try {
            c = dataSource.getConnection();
            c.setAutoCommit(!explicit);
            if (!ownsPool) {
                begin(c);
            }
            bulk = new BulkAppendStatement(bulkAppendSql, group);
            Map<TypeId, long[]> reserved = bulk.run(c);
            committed = !explicit;
            long xid = -1;
            List<Pending> refused = new ArrayList<>();
            List<List<Event>> written = new ArrayList<>(group.size());
            for (int g = 0; g < group.size(); g++) {
                Pending p = group.get(g);
                long[] row = reserved.get(p.streamId);
                if (row == null) {
                    refused.add(p);
                    written.add(null);
                } else {
                    xid = row[1];
                    written.add(bulk.events(g, row[0] - p.prepared.size(), row[1], row[2]));
                }
            }
            if (explicit) {
                if (hook != null) {
                    for (int g = 0; g < group.size(); g++) {
                        if (written.get(g) != null) {
                            hook.afterInsert(group.get(g).streamId, written.get(g));
                        }
                    }
                }
                commitSent = true;
                c.commit();
            }
            if (xid >= 0) {
                onCommit.accept(xid);
            }
            for (int g = 0; g < group.size(); g++) {
                if (written.get(g) != null) {
                    group.get(g).result.complete(written.get(g));
                }
            }
            PostgresEventStore.closeQuietly(c);
            c = null;
            if (!refused.isEmpty()) {
                commitWithSavepoints(refused, carry);
            }
            bulkGroups.incrementAndGet();
            return true;
        } catch (SQLException | RuntimeException e) {
            PostgresEventStore.rollbackQuietly(c);
            // In autocommit mode the statement is the commit: a lost answer to a sent statement
            // leaves it unknown, while an error answer means its transaction rolled back.
            boolean unknown = committed || commitSent || (!explicit && bulk != null && bulk.sent
                    && Sql.isAnswerLost(e));
            if (!unknown && !Sql.isUnavailable(e)) {
                bulkFallbacks.incrementAndGet();
                return false;
            }
            failGroup(group, carry, e, unknown);
            return true;
        } finally {
            PostgresEventStore.closeQuietly(c);
        }
    }

    private void commitWithSavepoints(List<Pending> group, List<Pending> carry) {
        List<Object> outcomes = new ArrayList<>(group.size()); // List<Event>, RuntimeException or RETRY
        Object retry = new Object();
        boolean useSavepoints = group.size() > 1;
        boolean commitSent = false;
        Connection c = null;
        try {
            c = dataSource.getConnection();
            c.setAutoCommit(false);
            Tx tx = begin(c);
            for (Pending p : group) {
                Savepoint sp = useSavepoints ? c.setSavepoint() : null;
                int indexBefore = tx.index;
                long strictBefore = tx.lastStrict;
                try {
                    Written w = appendOne(c, tx, p);
                    if (w.wroteNothing()) {
                        if (sp != null) {
                            c.rollback(sp);
                        }
                        tx.index = indexBefore;
                        tx.lastStrict = strictBefore;
                    } else {
                        if (sp != null) {
                            c.releaseSavepoint(sp);
                        }
                        tx.wrote = true;
                    }
                    outcomes.add(w.events());
                } catch (SQLException e) {
                    if (sp == null || Sql.isUnavailable(e)) {
                        if (!Sql.isUnavailable(e) && (Sql.isRetryable(e) || Sql.isEventIdCollision(e))
                                && p.attempts + 1 < MAX_ATTEMPTS) {
                            c.rollback();
                            p.attempts++;
                            retriedAppends.incrementAndGet();
                            carry.add(p);
                            return;
                        }
                        throw e;
                    }
                    c.rollback(sp);
                    tx.index = indexBefore;
                    tx.lastStrict = strictBefore;
                    if ((Sql.isRetryable(e) || Sql.isEventIdCollision(e)) && p.attempts + 1 < MAX_ATTEMPTS) {
                        p.attempts++;
                        retriedAppends.incrementAndGet();
                        outcomes.add(retry);
                    } else {
                        outcomes.add(Sql.failure("append to " + p.streamId, e));
                    }
                } catch (RuntimeException e) {
                    if (sp != null) {
                        c.rollback(sp);
                    }
                    tx.index = indexBefore;
                    tx.lastStrict = strictBefore;
                    outcomes.add(e);
                }
            }
            if (tx.wrote) {
                storeStrictPosition(c, tx);
                commitSent = true;
                c.commit();
                onCommit.accept(tx.xid);
            } else {
                // Nothing to keep (failures, or retries answered from stored events): undo the tip reservations.
                c.rollback();
            }
            for (int i = 0; i < group.size(); i++) {
                Pending p = group.get(i);
                Object o = outcomes.get(i);
                if (o == retry) {
                    carry.add(p);
                } else if (o instanceof RuntimeException e) {
                    p.result.completeExceptionally(e);
                } else {
                    @SuppressWarnings("unchecked")
                    List<Event> events = (List<Event>) o;
                    p.result.complete(events);
                }
            }
        } catch (SQLException | RuntimeException e) {
            PostgresEventStore.rollbackQuietly(c);
            failGroup(group, carry, e, commitSent);
        } finally {
            PostgresEventStore.closeQuietly(c);
        }
    }

    /** Fails every append of the group not yet answered or carried, saying whether it may have been written. */
    private static void failGroup(List<Pending> group, List<Pending> carry, Exception e, boolean commitSent) {
        for (Pending p : group) {
            if (p.result.isDone() || carry.contains(p)) {
                continue;
            }
            p.result.completeExceptionally(failure("append to " + p.streamId, e, commitSent));
        }
    }

    /** The failure of an append transaction, saying whether the append may have been written. */
    private static EventStoreException failure(String action, Exception e, boolean commitSent) {
        if (commitSent) {
            return Sql.isUnavailable(e)
                    ? new StoreUnavailableException(action + ": connection lost during commit; the append may or"
                            + " may not have been written (" + e.getMessage() + ")", e)
                    : new EventStoreException(action + ": commit failed; the append may or may not have been"
                            + " written (" + e.getMessage() + ")", e);
        }
        if (Sql.isUnavailable(e)) {
            return new StoreUnavailableException(action + ": " + Sql.unavailable(e)
                    + "; the append was not written (" + e.getMessage() + ")", e);
        }
        return Sql.failure(action, e);
    }

    /**
     * Commits the appends of one {@code appendStreams} call in one transaction of their own, run on
     * the caller's thread rather than in a lane (its streams may belong to several lanes). Each
     * append is made by {@link #appendOne}, in list order, in that transaction: its expectation is
     * checked against the tip the earlier appends left, and the event index (or, in strict mode, the
     * allocator's position) carries on from them, so positions increase in list order. An append
     * whose events are stored already runs under a savepoint, taken back so that it writes nothing.
     * The first refusal rolls the whole transaction back and is thrown; nothing is visible to any
     * reader before the commit, and everything at once after it.
     *
     * <p>The rows of the streams that exist are locked first, in one sorted order, so two calls
     * sharing streams wait for each other instead of deadlocking. A deadlock that remains (with a
     * lane's group, or between calls creating the same new streams in different orders), a
     * serialization failure or an event ID collision runs the whole call again in a new
     * transaction, a few times.
     *
     * @throws StoreUnavailableException if PostgreSQL cannot be reached or does not answer in time
     * @throws EventStoreException if the transaction fails; the message says whether the call may
     *     have been written
     */
    List<List<Event>> appendAll(List<Pending> appends, String action) {
        for (int attempt = 1; ; attempt++) {
            boolean commitSent = false;
            Connection c = null;
            try {
                c = dataSource.getConnection();
                c.setAutoCommit(false);
                Tx tx = begin(c);
                lockStreams(c, appends);
                // One lookup of the call's chosen IDs: when none is stored, no append is a replay,
                // and each goes without a lookup and a savepoint of its own. One stored meanwhile
                // by another transaction makes an insert collide, which runs the call again.
                boolean anyStored = anyStored(c, appends);
                List<List<Event>> written = new ArrayList<>(appends.size());
                for (Pending p : appends) {
                    // Only caller-chosen IDs can find the append stored already; the savepoint then
                    // takes back the tip appendOne reserved.
                    boolean mayBeStored = anyStored && p.hasChosenIds();
                    Savepoint sp = mayBeStored ? c.setSavepoint() : null;
                    int indexBefore = tx.index;
                    long strictBefore = tx.lastStrict;
                    Written w = appendOne(c, tx, p, mayBeStored);
                    if (w.wroteNothing()) {
                        c.rollback(sp);
                        c.releaseSavepoint(sp); // rolled back to, it would still hold a subtransaction
                        tx.index = indexBefore;
                        tx.lastStrict = strictBefore;
                    } else {
                        if (sp != null) {
                            c.releaseSavepoint(sp);
                        }
                        tx.wrote = true;
                    }
                    written.add(w.events());
                }
                if (tx.wrote) {
                    storeStrictPosition(c, tx);
                    commitSent = true;
                    c.commit();
                    onCommit.accept(tx.xid);
                } else {
                    // Every append was stored already: nothing to keep.
                    c.rollback();
                }
                return List.copyOf(written);
            } catch (SQLException e) {
                PostgresEventStore.rollbackQuietly(c);
                if (!commitSent && !Sql.isUnavailable(e) && (Sql.isRetryable(e) || Sql.isEventIdCollision(e))
                        && attempt < MAX_ATTEMPTS) {
                    retriedAppends.incrementAndGet();
                    continue;
                }
                throw failure(action, e, commitSent);
            } catch (RuntimeException e) {
                // A refusal (a version mismatch, an event ID stored with other content) or a failure
                // before the commit: the rollback takes back every append of the call.
                PostgresEventStore.rollbackQuietly(c);
                throw e;
            } finally {
                PostgresEventStore.closeQuietly(c);
            }
        }
    }

    /** In strict mode, records the last position the transaction handed out, just before its commit. */
    private void storeStrictPosition(Connection c, Tx tx) throws SQLException {
        if (options.strictPositions()) {
            try (PreparedStatement u = c.prepareStatement("UPDATE " + schema.allocator() + " SET last_position = ?")) {
                u.setLong(1, tx.lastStrict);
                u.executeUpdate();
            }
        }
    }

    /** Whether any caller-chosen event ID of the appends is stored. */
    private boolean anyStored(Connection c, List<Pending> appends) throws SQLException {
        List<UUID> ids = new ArrayList<>();
        for (Pending p : appends) {
            for (WritableEvent e : p.batch) {
                e.eventId().ifPresent(ids::add);
            }
        }
        if (ids.isEmpty()) {
            return false;
        }
        try (PreparedStatement s = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM " + schema.events()
                + " WHERE event_uuid = ANY (?))")) {
            s.setArray(1, c.createArrayOf("uuid", ids.toArray()));
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /**
     * Locks the rows of the appends' streams that exist, in the order of their keys, when there are
     * several streams; a stream the call creates is locked when {@link #appendOne} inserts its row.
     * The lock rows node runs after the sort, so the rows are locked in that order.
     */
    private void lockStreams(Connection c, List<Pending> appends) throws SQLException {
        Set<TypeId> streams = new LinkedHashSet<>();
        for (Pending p : appends) {
            streams.add(p.streamId);
        }
        if (streams.size() < 2) {
            return;
        }
        String[] types = new String[streams.size()];
        UUID[] uuids = new UUID[streams.size()];
        int i = 0;
        for (TypeId streamId : streams) {
            types[i] = streamId.type();
            uuids[i++] = streamId.uuid();
        }
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM " + schema.streams() + " s"
                + " JOIN unnest(?::text[], ?::uuid[]) AS k(t, u) ON s.stream_type = k.t AND s.stream_uuid = k.u"
                + " ORDER BY s.stream_type, s.stream_uuid FOR UPDATE OF s")) {
            s.setArray(1, c.createArrayOf("text", types));
            s.setArray(2, c.createArrayOf("uuid", uuids));
            s.executeQuery().close();
        }
    }

    private Tx begin(Connection c) throws SQLException {
        Tx tx = new Tx();
        // The transaction's ID is taken first, so every event it writes is ordered by it. With a
        // caller's pool, the statement timeout is set here too, for the rest of the transaction.
        try (PreparedStatement s = c.prepareStatement("SELECT pg_current_xact_id()::text::bigint, m.position_base"
                + localTimeout.selectItem() + " FROM " + schema.meta() + " m")) {
            localTimeout.bind(s, 1);
            ResultSet rs = s.executeQuery();
            rs.next();
            tx.xid = rs.getLong(1);
            tx.base = rs.getLong(2);
            rs.close();
        }
        if (options.strictPositions()) {
            // Held until commit: this is what serialises strict-mode writers.
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT last_position FROM " + schema.allocator() + " FOR UPDATE")) {
                rs.next();
                tx.lastStrict = rs.getLong(1);
            }
        } else if (tx.xid >= (Long.MAX_VALUE - tx.base) >> Schema.INDEX_BITS) {
            throw new EventStoreException("global position space exhausted: transaction ID " + tx.xid
                    + " with position base " + tx.base + " no longer fits a 63-bit position");
        }
        return tx;
    }

    private Written appendOne(Connection c, Tx tx, Pending p) throws SQLException {
        return appendOne(c, tx, p, true);
    }

    /**
     * As {@link #appendOne(Connection, Tx, Pending)}; without {@code mayBeStored} the append's
     * chosen IDs are known to be new (a stored one would make the insert collide), and are not
     * looked up.
     */
    private Written appendOne(Connection c, Tx tx, Pending p, boolean mayBeStored) throws SQLException {
        TypeId streamId = p.streamId;
        int n = p.prepared.size();
        long tip;
        // Reserves the versions and row-locks the stream until the transaction ends.
        try (PreparedStatement s = c.prepareStatement("INSERT INTO " + schema.streams() + " AS s (stream_type, stream_uuid, tip)"
                + " VALUES (?, ?, ?) ON CONFLICT (stream_type, stream_uuid) DO UPDATE SET tip = s.tip + EXCLUDED.tip"
                + " RETURNING s.tip")) {
            s.setString(1, streamId.type());
            s.setObject(2, streamId.uuid());
            s.setLong(3, n);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                tip = rs.getLong(1);
            }
        }
        long current = tip - n;
        if (mayBeStored && p.hasChosenIds()) {
            // Runs after the stream lock, so a concurrent retry of the same append has committed by now.
            Map<UUID, EventLocation> stored = lookup(c, p.batch);
            OptionalLong first = IdempotentAppends.classify(streamId, p.batch, stored::get);
            if (first.isPresent()) {
                List<Event> run = readStored(c, streamId, first.getAsLong(), n);
                IdempotentAppends.requireSameContent(streamId, p.batch, run);
                return new Written(run, true);
            }
        }
        if (!p.options.expectedVersion().isSatisfiedBy(current)) {
            throw new StreamVersionMismatchException(streamId, p.options.expectedVersion(), current);
        }
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        OffsetDateTime ts = Sql.timestamp(now);
        List<Event> written = new ArrayList<>(n);
        try (PreparedStatement s = c.prepareStatement("INSERT INTO " + schema.events()
                + " (position, stream_type, stream_uuid, version, event_type, event_uuid, recorded_at, data, content_type,"
                + " metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (int i = 0; i < n; i++) {
                Prepared e = p.prepared.get(i);
                long position = options.strictPositions()
                        ? ++tx.lastStrict
                        : tx.base + (tx.xid << Schema.INDEX_BITS) + tx.index++;
                long version = current + i + 1;
                s.setLong(1, position);
                s.setString(2, streamId.type());
                s.setObject(3, streamId.uuid());
                s.setLong(4, version);
                s.setString(5, e.type());
                s.setObject(6, e.uuid());
                s.setObject(7, ts);
                s.setBytes(8, e.data());
                s.setString(9, e.contentType());
                s.setBytes(10, e.metadata());
                s.addBatch();
                written.add(new Event(new TypeId(e.type(), e.uuid()), streamId, version, OptionalLong.of(position),
                        now, e.data(), e.contentType(), p.batch.get(i).metadata()));
            }
            s.executeBatch();
        }
        AppendHook hook = appendHook;
        if (hook != null) {
            hook.afterInsert(streamId, List.copyOf(written));
        }
        return new Written(List.copyOf(written), false);
    }

    private Map<UUID, EventLocation> lookup(Connection c, List<WritableEvent> batch)
            throws SQLException {
        List<UUID> ids = new ArrayList<>();
        for (WritableEvent e : batch) {
            e.eventId().ifPresent(ids::add);
        }
        Map<UUID, EventLocation> found = new HashMap<>();
        try (PreparedStatement s = c.prepareStatement("SELECT event_uuid, stream_type, stream_uuid, version FROM "
                + schema.events() + " WHERE event_uuid = ANY (?)")) {
            s.setArray(1, c.createArrayOf("uuid", ids.toArray()));
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    found.put(rs.getObject(1, UUID.class), new EventLocation(
                            new TypeId(rs.getString(2), rs.getObject(3, UUID.class)), rs.getLong(4)));
                }
            }
        }
        return found;
    }

    private List<Event> readStored(Connection c, TypeId streamId, long firstVersion, int n) throws SQLException {
        List<Event> events = new ArrayList<>(n);
        try (PreparedStatement s = c.prepareStatement("SELECT " + Sql.EVENT_COLUMNS + " FROM " + schema.events()
                + " e WHERE e.stream_type = ? AND e.stream_uuid = ? AND e.version >= ? AND e.version < ? ORDER BY e.version")) {
            s.setString(1, streamId.type());
            s.setObject(2, streamId.uuid());
            s.setLong(3, firstVersion);
            s.setLong(4, firstVersion + n);
            try (ResultSet rs = s.executeQuery()) {
                EventRows mapper = new EventRows(streamId);
                while (rs.next()) {
                    events.add(mapper.read(rs));
                }
            }
        }
        return List.copyOf(events);
    }
}
