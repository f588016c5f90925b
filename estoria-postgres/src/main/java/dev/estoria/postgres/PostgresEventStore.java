package dev.estoria.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.estoria.eventstore.AppendNotifier;
import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.eventstore.Direction;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventFilter;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.GlobalReader;
import dev.estoria.eventstore.MultiStreamWriter;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamAppend;
import dev.estoria.eventstore.StreamDeleter;
import dev.estoria.eventstore.StreamInfo;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamLister;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.spi.AbstractStreamIterator;
import dev.estoria.eventstore.spi.AppendListeners;
import dev.estoria.eventstore.spi.AppendValidation;
import dev.estoria.typeid.TypeId;
import java.lang.System.Logger.Level;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.lang.ref.WeakReference;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * The production event store, over PostgreSQL 13 or later.
 *
 * <p>Implements {@link EventStore}, {@link GlobalReader}, {@link StreamDeleter}, {@link
 * StreamLister} and {@link MultiStreamWriter} exactly as their contracts state. Thread-safe.
 *
 * <h2>Storage</h2>
 *
 * All tables live in one schema ({@link PostgresOptions#schema()}), created or migrated when the
 * store opens, under an advisory lock so processes opening at once take turns; its version is kept
 * in the schema's {@code meta} table, and a schema written by a newer version is refused with
 * {@link IncompatibleSchemaException}. A role that may not write the event tables (only {@code
 * SELECT} on them), or a read-only session, opens the store read-only ({@link #readOnly()}): it
 * serves every read and refuses appends and deletions. The {@code streams} table, one row per
 * stream, is the existence authority and holds the tip; an append locks only its stream's row, so
 * writers to different streams never wait on each other. Payloads are {@code bytea}, verbatim. Metadata is a
 * {@code bytea} in a length-prefixed UTF-8 encoding, because PostgreSQL text cannot hold U+0000;
 * strings with unpaired surrogates, types and content types with U+0000, and stream types over
 * 1,024 bytes of UTF-8 (a key of B-tree indexes) are refused with {@link
 * IllegalArgumentException}; a read or delete by a type no append accepts finds no stream. Event
 * UUIDs are unique across the store. Timestamps are truncated to microseconds (the precision of
 * {@code timestamptz}) before they are returned, so an append returns exactly what reads return.
 *
 * <h2>Global order (watermark mode, the default)</h2>
 *
 * Each append transaction records its transaction ID ({@code pg_current_xact_id()}, taken at its
 * start), and an event's position is {@code base + (xid << 20) + index}, where {@code index} counts
 * the events of the transaction. Positions are therefore known when the append returns, strictly
 * increase in read order, and may have gaps. {@link #readAll} returns only events whose transaction
 * is below {@code pg_snapshot_xmin(pg_current_snapshot())}: every such transaction has ended, and
 * every transaction that may still commit has a higher ID, so once a read has yielded position P no
 * later commit can add an event at or below P. No writer takes a store-wide lock or updates a
 * shared row. The one failure mode is delay, never loss: an open transaction that holds an ID, in
 * any database of the cluster, holds the feed back until it ends (see {@link #health()}).
 *
 * <p>Capacity: at most 2<sup>20</sup> (1,048,576) events per transaction, hence per append; larger
 * appends are refused. Positions stay below 2<sup>63</sup> for the first 2<sup>43</sup> (about 8.8
 * trillion) transaction IDs of the cluster. After a dump is restored into another cluster, whose
 * transaction IDs start low again, opening the store raises {@code base} above every position in
 * use (stored, or deleted), so positions keep increasing, and the restored rows fall below every
 * later watermark. Only a store that may write raises it: a read-only store refuses to open while
 * the base is still low, since its global reads would miss the restored events.
 *
 * <h2>Strict mode</h2>
 *
 * With {@link PostgresOptions#strict()}, one allocator row is locked from the start of an append
 * transaction to its commit and hands out dense positions in commit order (a rolled-back
 * reservation is handed out again; only deletion leaves gaps). Every writer of the schema waits for
 * that row, so throughput is about one transaction per WAL flush across all processes.
 *
 * <h2>Group commit</h2>
 *
 * Appends are queued to writer lanes (streams are assigned to lanes by hash). A lane takes every
 * queued append, up to {@link PostgresOptions#maxGroupAppends()}, into one transaction, with its own
 * expectation check per append, so one append's conflict or bad input fails only that append; all
 * are acknowledged after the shared commit. Nothing waits for more appends to arrive, and with the
 * store's own pool a lone append finding its lane idle commits on the caller's thread.
 *
 * <p>A group to distinct streams without caller-chosen event IDs commits as one statement, in one
 * round trip ({@code BulkAppendStatement}); any other group, and a group whose statement fails, runs
 * each append under its own savepoint.
 *
 * <h2>Multi-stream appends</h2>
 *
 * {@link #appendStreams} commits its appends in one transaction of their own, on the caller's
 * thread, outside the lanes: each append as {@link #appendStream} makes it, in list order, the
 * first refusal rolling back the whole call. Its events share one transaction ID, so they become
 * visible to global reads together, with positions increasing in list order (in strict mode the
 * allocator hands them out in that order). It costs about two round trips per append and one
 * commit for the call; the rows of its existing streams are locked first, in one sorted order, so
 * calls sharing streams wait for each other rather than deadlock, and a deadlock with other appends
 * runs the call again.
 *
 * <h2>Notifications</h2>
 *
 * The store is an {@link AppendNotifier}: its own commits wake local listeners at once, and with
 * {@link PostgresOptions#crossProcessNotifications()} (the default) so do other processes' commits
 * on the same schema, through {@code LISTEN/NOTIFY}. The {@code NOTIFY} is sent out of band, after
 * the commit, on a separate connection, so it never serialises appends; see {@link
 * #onAppend(Runnable)}.
 *
 * <h2>Companions</h2>
 *
 * {@link PostgresSnapshotStore}, {@link PostgresCheckpointStore}, {@link PostgresProjectionRunner}
 * and {@link PostgresLeaseStore} (the leases by which partitioned projection workers on any hosts
 * share the partitions) keep their tables in the same schema (created and migrated with it) and use
 * the store's pool.
 *
 * <h2>Failures</h2>
 *
 * Backend failures throw {@link EventStoreException}; a lost connection, a terminated backend, a
 * server restart or a timeout throws {@link StoreUnavailableException}. The pool replaces broken
 * connections, so the store recovers by itself. An append is acknowledged only after its commit.
 */
public final class PostgresEventStore implements EventStore, GlobalReader, StreamDeleter, StreamLister,
        MultiStreamWriter, AppendNotifier, AutoCloseable {

    /**
     * The most bytes of UTF-8 a stream type (and a snapshot's aggregate type) may have: it keys
     * B-tree indexes, whose entries PostgreSQL caps at about 2,700 bytes. A longer one is refused
     * on append with {@link IllegalArgumentException}, and nothing is written.
     */
    public static final int MAX_TYPE_BYTES = 1024;

    /**
     * The most bytes one event may have, counting its payload, its encoded metadata, its event type
     * and its content type (and the default of {@link PostgresOptions#maxEventBytes()}). PostgreSQL
     * builds each row it sends in one buffer of at most 1 GiB, and sends {@code bytea} to a client
     * reading in text format (pgJDBC does, for a statement's first runs on a connection) as hex, two
     * characters a byte: an event much over half a GiB is written, but a read of its stream then
     * fails with "invalid memory alloc request size", on every try. A larger event is refused on
     * append with {@link IllegalArgumentException}, and nothing of the append is written.
     */
    public static final int MAX_EVENT_BYTES = 500_000_000;

    private static final System.Logger LOG = System.getLogger(PostgresEventStore.class.getName());
    private static final int FETCH_SIZE = 256;
    /**
     * About how many bytes of payload and metadata one fetch of a read may bring into memory: a
     * read of events larger than {@code FETCH_BYTES / FETCH_SIZE} fetches fewer rows at a time (at
     * least one), so that large events do not multiply by the fetch's row count.
     */
    static final int FETCH_BYTES = 8 << 20;

    private final DataSource dataSource;
    private final HikariDataSource ownedPool;
    private final PostgresOptions options;
    private final Schema schema;
    private final GroupCommitter committer;
    private final Sql.LocalTimeout localTimeout;
    private final ScheduledExecutorService monitor;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The role the store's sessions run as, as opening found it; null until then. */
    private volatile String role;
    /** Why the store's sessions may not write (see {@link #readOnly()}), or null when they may. */
    private volatile String readOnlyReason;
    /** What the open iterators hold, so that closing the store ends them. */
    private final Set<CursorHold> openIterators = ConcurrentHashMap.newKeySet();
    /** The highest transaction ID this store has committed appends in; reads wait for it to settle. */
    private final AtomicLong lastCommittedXid = new AtomicLong();
    /**
     * The highest transaction ID other processes announced; reads wait for it to settle too. Cleared
     * when a read gave up waiting for it, so a bogus payload on the channel costs one wait, not one
     * per read.
     */
    private final AtomicLong remoteCommittedXid = new AtomicLong();
    /**
     * The highest transaction ID a read gave up waiting for (an older transaction held the feed
     * back); a watcher wakes the append listeners once it is visible, so the wake-up it stood for is
     * delayed, not lost.
     */
    private final AtomicLong heldBackXid = new AtomicLong();
    /**
     * The lowest watermark (snapshot xmin) a read saw when it gave up waiting; 0 when none. The
     * watcher wakes the listeners whenever the watermark has moved past it, since events held back
     * then may be visible now even while a younger transaction still holds back the latest one.
     * A value the watermark had not passed when the watch ended is kept (a read may have just
     * recorded it); at worst it costs one needless wake-up later.
     */
    private final AtomicLong heldBackXmin = new AtomicLong();
    private final AtomicBoolean watchingHeldBack = new AtomicBoolean();
    private final ScheduledExecutorService settleWatcher;
    private volatile boolean feedHeldBack;
    private final AppendListeners appendListeners;
    private final AtomicBoolean notificationPending = new AtomicBoolean();
    private final java.util.concurrent.ExecutorService notifier;
    /** LISTEN/NOTIFY between processes; null when the option is off. */
    private final CrossProcessNotifications crossProcess;

    private PostgresEventStore(DataSource dataSource, HikariDataSource ownedPool, PostgresOptions options,
            CrossProcessNotifications.ConnectionSource listenerSource,
            CrossProcessNotifications.ConnectionSource senderSource) {
        this.dataSource = dataSource;
        this.ownedPool = ownedPool;
        this.options = options;
        this.schema = new Schema(options.schema());
        this.appendListeners = new AppendListeners("event store in schema " + options.schema());
        this.localTimeout = new Sql.LocalTimeout(ownedPool == null, options.statementTimeout(), options.lockTimeout());
        this.committer = new GroupCommitter(dataSource, ownedPool != null, options, schema, localTimeout,
                this::committed);
        crossProcess = options.crossProcessNotifications()
                ? new CrossProcessNotifications(options.schema(), listenerSource, senderSource, ownedPool != null,
                        this::signalAppend, xid -> remoteCommittedXid.accumulateAndGet(xid, Math::max))
                : null;
        settleWatcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "estoria-settle-watcher-" + options.schema());
            t.setDaemon(true);
            return t;
        });
        notifier = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "estoria-append-notifier-" + options.schema());
            t.setDaemon(true);
            return t;
        });
        if (options.feedCheckInterval().isZero()) {
            monitor = null;
        } else {
            monitor = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "estoria-feed-monitor-" + options.schema());
                t.setDaemon(true);
                return t;
            });
        }
    }

    /**
     * Opens a store with default options over its own connection pool.
     *
     * @param jdbcUrl a {@code jdbc:postgresql:} URL, credentials included
     * @throws EventStoreException if the server cannot be reached or the schema cannot be used
     * @throws PermissionDeniedException if the role may not create a missing schema or store, or may
     *     write the event tables but lacks a privilege the position-base check needs; see {@link #readOnly()}
     */
    public static PostgresEventStore open(String jdbcUrl) {
        return open(jdbcUrl, PostgresOptions.defaults());
    }

    /**
     * Opens a store over its own connection pool (HikariCP), closed with the store. The pool's
     * connections get the options' statement timeout and an {@code application_name} of {@code
     * estoria:<schema>} (for a schema name over 55 characters, its start and a hash of it).
     *
     * @throws EventStoreException if the server cannot be reached or the schema cannot be used
     * @throws PermissionDeniedException if the role may not create a missing schema or store, or may
     *     write the event tables but lacks a privilege the position-base check needs; see {@link #readOnly()}
     */
    public static PostgresEventStore open(String jdbcUrl, PostgresOptions options) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(options, "options");
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setPoolName("estoria-" + options.schema());
        config.setMaximumPoolSize(options.poolSize());
        config.setMinimumIdle(Math.min(2, options.poolSize()));
        config.setConnectionTimeout(Math.max(250, options.connectionTimeout().toMillis()));
        config.setInitializationFailTimeout(-1);
        long connectSeconds = Math.max(1, ceilSeconds(options.connectionTimeout()));
        config.addDataSourceProperty("connectTimeout", Long.toString(connectSeconds));
        config.addDataSourceProperty("loginTimeout", Long.toString(connectSeconds));
        // A dead peer must not hang a read: the socket gives up a little after the server would have.
        config.addDataSourceProperty("socketTimeout", Long.toString(ceilSeconds(options.statementTimeout()) + 5));
        config.addDataSourceProperty("tcpKeepAlive", "true");
        // Set by a statement, not by the startup "options" parameter: the driver lets an "options"
        // parameter of the URL (the usual way to set a search_path) replace that one altogether.
        config.setConnectionInitSql("SET statement_timeout = " + options.statementTimeout().toMillis()
                + "; SET lock_timeout = " + options.lockTimeout().toMillis());
        config.addDataSourceProperty("ApplicationName", Schema.applicationName(options.schema(), ""));
        HikariDataSource pool = new HikariDataSource(config);
        // The LISTEN/NOTIFY connections live outside the pool, so they never take a pooled slot.
        java.util.Properties dedicated = new java.util.Properties();
        dedicated.setProperty("connectTimeout", Long.toString(connectSeconds));
        dedicated.setProperty("loginTimeout", Long.toString(connectSeconds));
        dedicated.setProperty("tcpKeepAlive", "true");
        dedicated.setProperty("ApplicationName", Schema.applicationName(options.schema(), ":notify"));
        // The listener's waits for notifications set their own short timeout; this one bounds its
        // idle check, so a connection that stopped answering is noticed and replaced.
        dedicated.setProperty("socketTimeout", Long.toString(ceilSeconds(options.statementTimeout()) + 5));
        try {
            return start(pool, pool, options, () -> java.sql.DriverManager.getConnection(jdbcUrl, dedicated),
                    () -> java.sql.DriverManager.getConnection(jdbcUrl, dedicated));
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    /**
     * Opens a store over the caller's data source, which the store does not close. Its transactions
     * and global reads set the options' {@code statement_timeout} and {@code lock_timeout} for
     * themselves ({@code SET LOCAL}); other statements, and socket and connection timeouts, are the
     * data source's to configure. Appends give up waiting after {@link PostgresOptions#appendTimeout()}.
     *
     * @throws EventStoreException if the server cannot be reached or the schema cannot be used
     * @throws PermissionDeniedException if the role may not create a missing schema or store, or may
     *     write the event tables but lacks a privilege the position-base check needs; see {@link #readOnly()}
     */
    public static PostgresEventStore open(DataSource dataSource, PostgresOptions options) {
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(options, "options");
        return start(dataSource, null, options, dataSource::getConnection, dataSource::getConnection);
    }

    private static PostgresEventStore start(DataSource dataSource, HikariDataSource ownedPool, PostgresOptions options,
            CrossProcessNotifications.ConnectionSource listenerSource,
            CrossProcessNotifications.ConnectionSource senderSource) {
        PostgresEventStore store = new PostgresEventStore(dataSource, ownedPool, options, listenerSource, senderSource);
        try (Connection c = dataSource.getConnection()) {
            int version = c.getMetaData().getDatabaseMajorVersion();
            if (version < 13) {
                throw new EventStoreException("PostgreSQL " + version + " is not supported; version 13 or later is required");
            }
            Schema.Opened opened = store.schema.migrate(c, options.strictPositions());
            store.role = opened.role();
            store.readOnlyReason = opened.readOnlyReason();
            if (opened.readOnly()) {
                LOG.log(Level.DEBUG, "opened event store schema {0} read-only: {1}", options.schema(),
                        opened.readOnlyReason());
            }
        } catch (SQLException | RuntimeException e) {
            if (store.monitor != null) {
                store.monitor.shutdownNow();
            }
            store.notifier.shutdownNow();
            store.settleWatcher.shutdownNow();
            if (store.crossProcess != null) {
                store.crossProcess.close();
            }
            throw e instanceof SQLException sql ? Sql.failure("opening event store schema " + options.schema(), sql)
                    : (RuntimeException) e;
        }
        store.committer.start();
        if (store.monitor != null) {
            long every = options.feedCheckInterval().toMillis();
            store.monitor.scheduleWithFixedDelay(store::checkFeed, every, every, TimeUnit.MILLISECONDS);
        }
        return store;
    }

    private static long ceilSeconds(Duration d) {
        return (d.toMillis() + 999) / 1000;
    }

    /** The options this store was opened with. */
    public PostgresOptions options() {
        return options;
    }

    /**
     * Whether this store was opened read-only: its sessions may not write the event tables (the
     * role holds no {@code INSERT}, {@code UPDATE} or {@code DELETE} privilege on them, or its
     * transactions are read-only, as on a standby or with {@code default_transaction_read_only}).
     * Such a store serves every read, and refuses appends and deletions with {@link
     * PermissionDeniedException}; the companions' writes (snapshots, checkpoints, leases) are left
     * to the role's privileges on their own tables. Decided when the store opens: a role granted
     * write privileges later must open the store again to write.
     */
    public boolean readOnly() {
        return readOnlyReason != null;
    }

    /** Throws {@link PermissionDeniedException} if the store was opened read-only. */
    private void ensureWritable(String action) {
        String reason = readOnlyReason;
        if (reason != null) {
            throw new PermissionDeniedException(action + " was refused: the store (schema " + options.schema()
                    + ") was opened read-only, since " + reason + ". Appends and deletions need a store opened by a"
                    + " role that may write (INSERT, UPDATE and DELETE on the schema's tables) in a read-write session.");
        }
    }

    /** Wraps a JDBC failure in the store's exception hierarchy, naming the store's role if it was refused. */
    EventStoreException failure(String action, Throwable e) {
        return Sql.failure(action, e, role);
    }

    /** The schema's table names, for the store's companions (snapshots, checkpoints, projections, leases). */
    Schema schema() {
        return schema;
    }

    /**
     * A pooled connection in a new transaction, with the options' statement and lock timeouts set
     * for the transaction when the pool is the caller's; for the store's companions. The caller
     * commits or rolls back, and closes it.
     *
     * @throws EventStoreException if the store is closed
     */
    Connection beginTransaction() throws SQLException {
        ensureOpen();
        Connection c = dataSource.getConnection();
        try {
            c.setAutoCommit(false);
            boundTransaction(c);
            return c;
        } catch (SQLException | RuntimeException e) {
            closeQuietly(c);
            throw e;
        }
    }

    /**
     * A connection for one read-only statement: auto-committed with the store's own pool (one round
     * trip), else a transaction from {@link #beginTransaction()}, which sets the statement timeout.
     * The caller commits when {@link Connection#getAutoCommit()} is false, and closes it.
     */
    Connection singleStatementConnection() throws SQLException {
        if (ownedPool == null) {
            return beginTransaction();
        }
        ensureOpen();
        Connection c = dataSource.getConnection();
        try {
            c.setAutoCommit(true);
            return c;
        } catch (SQLException | RuntimeException e) {
            closeQuietly(c);
            throw e;
        }
    }

    /**
     * Bounds a read statement on a caller's pool by the options' statement timeout, which the
     * store's own pool sets on its connections: a client-side timeout, in whole seconds (rounded
     * up), that cancels the statement, so a read waiting for a lock (a table rewrite, say) fails
     * instead of waiting without bound, with no round trip added.
     */
    private <S extends Statement> S bounded(S statement) throws SQLException {
        if (ownedPool == null) {
            long millis = options.statementTimeout().toMillis();
            statement.setQueryTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, (millis + 999) / 1000)));
        }
        return statement;
    }

    /**
     * Sets the statement and lock timeouts for the rest of the transaction just begun on {@code c},
     * if the pool is the caller's (the store's own pool sets them on its connections). A read whose
     * statements prefer binary results needs this beside {@link #bounded}: the driver describes such
     * a statement before it runs it, outside a client-side timeout, and a lock on the table holds
     * the description up.
     */
    private void boundTransaction(Connection c) throws SQLException {
        if (ownedPool == null) {
            try (PreparedStatement s = bounded(c.prepareStatement("SELECT 1" + localTimeout.selectItem()))) {
                localTimeout.bind(s, 1).execute();
            }
        }
    }

    /** Test hook: runs inside the append transaction after an append's inserts. */
    void setAppendHook(GroupCommitter.AppendHook hook) {
        committer.setAppendHook(hook);
    }

    /** How many groups committed through the single-statement path; for tests. */
    long bulkGroups() {
        return committer.bulkGroups();
    }

    /** How many groups the single-statement path handed to the savepoint path; for tests. */
    long bulkFallbacks() {
        return committer.bulkFallbacks();
    }

    /** How many appends were run again after a deadlock or event ID collision; for tests. */
    long retriedAppends() {
        return committer.retriedAppends();
    }

    /** Appends waiting in the lanes' queues, not yet taken into a transaction; for tests. */
    int queuedAppends() {
        return committer.queuedAppends();
    }

    /** Told by the committer of each commit that wrote events: wakes readers and listeners, here and elsewhere. */
    private void committed(long xid) {
        lastCommittedXid.accumulateAndGet(xid, Math::max);
        signalAppend();
        if (crossProcess != null) {
            crossProcess.announce(xid);
        }
    }

    // ------------------------------------------------------------------ appends

    /**
     * {@inheritDoc}
     *
     * <p>Also refused with {@link IllegalArgumentException}, before anything is written: more than
     * 2<sup>20</sup> events, a stream type, event type or content type containing U+0000 or an
     * unpaired surrogate, a stream type over 1,024 bytes of UTF-8, metadata strings with unpaired
     * surrogates, and an event over {@link PostgresOptions#maxEventBytes()} bytes.
     *
     * @throws StoreUnavailableException if PostgreSQL cannot be reached or no answer came within
     *     {@link PostgresOptions#appendTimeout()}; the append may or may not have been written
     */
    @Override
    public List<Event> appendStream(TypeId streamId, List<WritableEvent> events, AppendStreamOptions options) {
        List<WritableEvent> batch = AppendValidation.validate(streamId, events, options);
        if (batch.size() > Schema.MAX_EVENTS_PER_TRANSACTION) {
            throw new IllegalArgumentException("append to " + streamId + " has " + batch.size()
                    + " events; at most " + Schema.MAX_EVENTS_PER_TRANSACTION + " are allowed in one append");
        }
        GroupCommitter.Pending pending = prepare(streamId, batch, options);
        ensureOpen();
        ensureWritable("appending to stream " + streamId);
        return committer.append(pending);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The call is one transaction, run on the caller's thread (as a deletion is, not in a writer
     * lane), with the same per-append logic as {@link #appendStream}: each append locks its stream's
     * row, reserves its versions, checks its expectation and inserts its events, in list order; the
     * first refusal rolls the transaction back. The events of the call share its transaction ID, so
     * in watermark mode their positions are {@code base + (xid << 20) + index} with the index
     * counting on across the appends, and {@link #readAll} shows them all once the transaction is
     * below the watermark, never some of them; in strict mode the allocator hands out their positions
     * in list order. The rows of the streams that exist are locked first, in one sorted order, so
     * calls sharing streams do not deadlock on each other; a deadlock that remains (with other
     * appends, which lock in their own order) runs the call again, a few times.
     *
     * <p>Cost: two round trips per append (its stream row, its events), a few for the transaction
     * (its start, the lock of several streams, one lookup of the call's caller-chosen event IDs, the
     * commit), and one WAL flush for the whole call. Only when one of those IDs is stored already
     * does each append that chose IDs add its own lookup and a savepoint around it. The call is not
     * grouped with concurrent appends, and its stream rows stay locked until its commit, so appends
     * to those streams wait for it. Its waits are bounded by the statement and lock timeouts (and,
     * over the store's own pool, by the socket timeout), not by {@link PostgresOptions#appendTimeout()},
     * which bounds the wait for a writer lane.
     *
     * <p>Also refused with {@link IllegalArgumentException}, before anything is written: what {@link
     * #appendStream} refuses, and more than 2<sup>20</sup> events in the whole call (one transaction).
     * A store opened read-only refuses the call with {@link PermissionDeniedException}.
     *
     * @throws StoreUnavailableException if PostgreSQL cannot be reached or does not answer in time;
     *     the message says whether the call may have been written
     */
    @Override
    public List<List<Event>> appendStreams(List<StreamAppend> appends) {
        List<List<WritableEvent>> batches = AppendValidation.validateAll(appends);
        List<StreamAppend> calls = List.copyOf(appends); // validated: no nulls
        long total = 0;
        for (List<WritableEvent> batch : batches) {
            total += batch.size();
        }
        if (total > Schema.MAX_EVENTS_PER_TRANSACTION) {
            throw new IllegalArgumentException("appendStreams was given " + total + " events; at most "
                    + Schema.MAX_EVENTS_PER_TRANSACTION + " are allowed in one call, which is one transaction");
        }
        List<GroupCommitter.Pending> pending = new ArrayList<>(batches.size());
        for (int a = 0; a < batches.size(); a++) {
            StreamAppend append = calls.get(a);
            pending.add(prepare(append.streamId(), batches.get(a), append.options()));
        }
        String streams = AppendValidation.describeStreams(calls);
        ensureOpen();
        ensureWritable("appending to streams " + streams);
        return committer.appendAll(pending, "append to " + streams);
    }

    /**
     * Checks what PostgreSQL cannot store of a validated append (a stream type it cannot key, U+0000
     * in a type, an event over {@link PostgresOptions#maxEventBytes()}) and encodes its events.
     */
    private GroupCommitter.Pending prepare(TypeId streamId, List<WritableEvent> batch, AppendStreamOptions options) {
        MetadataCodec.requireStorableType(streamId.type(), "append to " + streamId + ": the stream type");
        List<GroupCommitter.Prepared> prepared = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            WritableEvent w = batch.get(i);
            // AppendValidation refused unpaired surrogates already; text also cannot hold U+0000.
            MetadataCodec.requireNoNul(w.type(), "append to " + streamId + ": event " + i + " event type");
            MetadataCodec.requireNoNul(w.contentType(), "append to " + streamId + ": event " + i + " content type");
            byte[] metadata;
            try {
                metadata = MetadataCodec.encode(w.metadata());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("append to " + streamId + ": event " + i + ": " + e.getMessage(), e);
            }
            AppendValidation.requireEventSize(streamId, i, w, metadata.length, this.options.maxEventBytes());
            prepared.add(new GroupCommitter.Prepared(w.type(), w.eventId().orElseGet(TypeId::timeOrderedV7), w.data(), w.contentType(), metadata));
        }
        return new GroupCommitter.Pending(streamId, batch, prepared, options);
    }

    // ------------------------------------------------------------------ reads

    @Override
    public StreamIterator readStream(TypeId streamId, ReadStreamOptions options) {
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(options, "options");
        ensureOpen();
        if (!MetadataCodec.isStorableText(streamId.type())) {
            // No append accepts such a type, so no such stream exists.
            throw new StreamNotFoundException(streamId);
        }
        boolean forward = options.direction() == Direction.FORWARD;
        String range = options.afterVersion() > 0 ? (forward ? " AND e.version > ?" : " AND e.version <= ?") : "";
        String order = forward ? " ORDER BY e.version" : " ORDER BY e.version DESC";
        String sql = "SELECT " + Sql.cursorColumns(true) + " FROM " + schema.events() + " e"
                + " WHERE e.stream_type = ? AND e.stream_uuid = ?" + range + order
                + (options.count() > 0 ? " LIMIT " + options.count() : "");
        // Most reads are short (an aggregate after its snapshot, a projection catching up): the
        // first statement, auto-committed, fetches at most one batch joined to the stream's row, so
        // one round trip answers the read, and an empty answer says by itself whether the stream
        // exists (no row at all) or has no events in the range (one row of NULLs). Only a read that
        // fills the batch is made again with a cursor, which needs a transaction.
        // It fetches whole, so it stops once its rows hold FETCH_BYTES: the row that crosses the
        // limit comes last (column 11 says so), and a read cut there goes on with a cursor.
        boolean bounded = options.count() > 0 && options.count() <= FETCH_SIZE;
        String size = "octet_length(e.data) + octet_length(e.metadata)";
        String shortSql = "SELECT " + Sql.STREAM_EVENT_COLUMNS + ", e.before + " + size
                + " >= " + FETCH_BYTES + " FROM " + schema.streams() + " s"
                + " LEFT JOIN LATERAL (SELECT * FROM (SELECT e.*, coalesce(sum(" + size + ") OVER (" + order.trim()
                + " ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before FROM " + schema.events() + " e"
                + " WHERE e.stream_type = s.stream_type AND e.stream_uuid = s.stream_uuid" + range + order
                + " LIMIT " + (bounded ? options.count() : FETCH_SIZE + 1) + ") e WHERE e.before < " + FETCH_BYTES
                + ") e ON true"
                + " WHERE s.stream_type = ? AND s.stream_uuid = ?" + order;
        Connection c = null;
        try {
            c = dataSource.getConnection();
            while (true) {
                c.setAutoCommit(true);
                List<Event> first = new ArrayList<>();
                boolean exists = false;
                boolean cut = false;
                try (PreparedStatement s = bounded(c.prepareStatement(shortSql))) {
                    int i = 1;
                    if (options.afterVersion() > 0) {
                        s.setLong(i++, options.afterVersion());
                    }
                    s.setString(i++, streamId.type());
                    s.setObject(i, streamId.uuid());
                    try (ResultSet rs = s.executeQuery()) {
                        EventRows mapper = new EventRows(streamId);
                        while (rs.next()) {
                            exists = true;
                            rs.getLong(1);
                            if (!rs.wasNull()) { // a NULL position: the stream's row, no event in range
                                first.add(mapper.read(rs));
                                cut |= rs.getBoolean(11);
                            }
                        }
                    }
                }
                if (first.isEmpty()) {
                    closeQuietly(c);
                    if (!exists) {
                        throw new StreamNotFoundException(streamId);
                    }
                    return StreamIterator.empty();
                }
                if (!cut && (bounded || first.size() <= FETCH_SIZE)) {
                    closeQuietly(c);
                    return StreamIterator.of(first);
                }
                c.setAutoCommit(false);
                beginSnapshotRead(c);
                boundTransaction(c);
                PreparedStatement s = bounded(c.prepareStatement(sql));
                bindStreamRead(s, 1, streamId, options);
                // One event first, then fetches sized by the events met (see CursorIterator).
                s.setFetchSize(1);
                first = null;
                Sql.preferBinaryResults(s);
                ResultSet rs = s.executeQuery();
                if (rs.next()) {
                    return track(new CursorIterator(c, s, rs, streamId, true));
                }
                // Deleted or truncated since the first statement: start over.
                closeQuietly(rs, s);
                c.rollback();
            }
        } catch (SQLException e) {
            closeQuietly(c);
            throw failure("reading stream " + streamId, e);
        } catch (RuntimeException | Error e) {
            // A stored row that does not decode, for instance: the connection must go back all the same.
            closeQuietly(c);
            throw e;
        }
    }

    private static void bindStreamRead(PreparedStatement s, int first, TypeId streamId, ReadStreamOptions options)
            throws SQLException {
        s.setString(first, streamId.type());
        s.setObject(first + 1, streamId.uuid());
        if (options.afterVersion() > 0) {
            s.setLong(first + 2, options.afterVersion());
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>In watermark mode the frontier is the visibility watermark of the call's snapshot: events
     * of transactions still running anywhere in the cluster, and of every later transaction, are
     * left for a later read. If this store's own last acknowledged append (or the last append
     * another process announced, see {@link #onAppend(Runnable)}) is not below the watermark yet, the
     * call first waits up to {@link PostgresOptions#readSettleTimeout()} for it, so a process reads
     * its own writes, and a woken subscriber the append that woke it, unless an older transaction
     * stays open.
     */
    @Override
    public StreamIterator readAll(ReadAllOptions options) {
        Objects.requireNonNull(options, "options");
        ensureOpen();
        String limit = options.count() > 0 ? " LIMIT " + options.count() : "";
        EventFilter filter = storable(options.filter());
        if (filter == null) {
            return StreamIterator.empty();
        }
        String where = filterSql(filter);
        Connection c = null;
        try {
            c = dataSource.getConnection();
            c.setAutoCommit(false);
            PreparedStatement s;
            if (this.options.strictPositions()) {
                beginSnapshotRead(c);
                boundTransaction(c);
                s = bounded(c.prepareStatement("SELECT " + Sql.cursorColumns(false) + " FROM " + schema.events()
                        + " e WHERE e.position > ?" + where + " ORDER BY e.position" + limit));
                s.setLong(1, options.afterPosition());
                bindFilter(c, s, 2, filter);
            } else {
                long watermark = watermark(c);
                s = bounded(c.prepareStatement("SELECT " + Sql.cursorColumns(false) + " FROM " + schema.events()
                        + " e WHERE e.position > ? AND e.position < ?" + where + " ORDER BY e.position" + limit));
                s.setLong(1, options.afterPosition());
                s.setLong(2, watermark);
                bindFilter(c, s, 3, filter);
            }
            // One event first, then fetches sized by the events met (see CursorIterator): what
            // earlier reads met says nothing of the events this one starts at.
            s.setFetchSize(1);
            Sql.preferBinaryResults(s);
            ResultSet rs = s.executeQuery();
            if (!rs.next()) {
                closeQuietly(rs, s, c);
                return StreamIterator.empty();
            }
            return track(new CursorIterator(c, s, rs, null, true));
        } catch (SQLException e) {
            closeQuietly(c);
            throw failure("reading all events after position " + options.afterPosition(), e);
        } catch (RuntimeException | Error e) {
            // An interrupt while the feed settles, say: the connection goes back to the pool.
            closeQuietly(c);
            throw e;
        }
    }

    /**
     * The newest position below the watermark (in strict mode, the newest position), from the end
     * of the position index: the same frontier {@link #readAll} fixes.
     */
    @Override
    public long headPosition() {
        ensureOpen();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                String sql = "SELECT coalesce(max(position), 0) FROM " + schema.events();
                PreparedStatement s;
                if (this.options.strictPositions()) {
                    s = bounded(c.prepareStatement(sql));
                } else {
                    long watermark = watermark(c);
                    s = bounded(c.prepareStatement(sql + " WHERE position < ?"));
                    s.setLong(1, watermark);
                }
                try (s; ResultSet rs = s.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            } finally {
                c.rollback();
            }
        } catch (SQLException e) {
            throw failure("reading the head position", e);
        }
    }

    /**
     * The position of the newest committed event, whether {@link #readAll} returns it yet or not; 0
     * if there is none. In watermark mode it is above {@link #headPosition()} while a transaction
     * older than that event's, anywhere in the cluster, is still open ({@link #health()} names the
     * oldest): such events are held back from readers, never lost. A reader that must see every
     * event committed before some moment (an export, a backup) takes this at that moment, and reads
     * until {@code headPosition()} has reached it. In strict mode the two are the same.
     *
     * @throws EventStoreException if the backend fails
     */
    public long committedHeadPosition() {
        ensureOpen();
        try (Connection c = dataSource.getConnection();
                Statement s = bounded(c.createStatement());
                ResultSet rs = s.executeQuery("SELECT coalesce(max(position), 0) FROM " + schema.events())) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw failure("reading the committed head position", e);
        }
    }

    /**
     * The filter without the types a {@code text} column cannot hold, which were never stored and so
     * match nothing (sent to the server they would match another type, or fail); null when every
     * type of a named set was such a type, so that nothing matches.
     */
    private static EventFilter storable(EventFilter filter) {
        if (filter.streamTypes().isEmpty() && filter.eventTypes().isEmpty()) {
            return filter; // the common case, on every read of a subscription
        }
        Set<String> streamTypes = storable(filter.streamTypes());
        Set<String> eventTypes = storable(filter.eventTypes());
        if (streamTypes.isEmpty() && !filter.streamTypes().isEmpty()
                || eventTypes.isEmpty() && !filter.eventTypes().isEmpty()) {
            return null;
        }
        return filter.withStreamTypes(streamTypes).withEventTypes(eventTypes);
    }

    private static Set<String> storable(Set<String> types) {
        Set<String> kept = new java.util.LinkedHashSet<>();
        for (String type : types) {
            if (MetadataCodec.isStorableText(type)) {
                kept.add(type);
            }
        }
        return kept;
    }

    /** The SQL conditions of a filter, in the order {@link #bindFilter} binds them; the same rule as {@link EventFilter#test}. */
    private static String filterSql(EventFilter filter) {
        StringBuilder sql = new StringBuilder();
        if (!filter.streamTypes().isEmpty()) {
            sql.append(" AND e.stream_type = ANY (?)");
        }
        if (!filter.eventTypes().isEmpty()) {
            sql.append(" AND e.event_type = ANY (?)");
        }
        if (!filter.includeInternalStreams() && filter.streamTypes().isEmpty()) {
            sql.append(" AND NOT starts_with(e.stream_type, '").append(EventFilter.INTERNAL_PREFIX).append("')");
        }
        // With stream types named, the list itself decides: an internal type passes only when named.
        return sql.toString();
    }

    private static void bindFilter(Connection c, PreparedStatement s, int first, EventFilter filter) throws SQLException {
        int i = first;
        if (!filter.streamTypes().isEmpty()) {
            s.setArray(i++, c.createArrayOf("text", filter.streamTypes().toArray()));
        }
        if (!filter.eventTypes().isEmpty()) {
            s.setArray(i, c.createArrayOf("text", filter.eventTypes().toArray()));
        }
    }

    /**
     * Makes the transaction just begun on {@code c} read one snapshot throughout: a cursor's large
     * events ({@link Sql#INLINE_BYTES}) are fetched by later statements, which must see the rows the
     * cursor sees, even if their stream is deleted meanwhile.
     */
    private static void beginSnapshotRead(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        }
    }

    /**
     * Starts a repeatable-read transaction and returns the position below which every event is
     * settled in its snapshot: {@code base + (xmin << 20)}. The transaction's later statements read
     * from the same snapshot.
     */
    private long watermark(Connection c) throws SQLException {
        long deadline = System.nanoTime() + this.options.readSettleTimeout().toNanos();
        long pause = 1;
        while (true) {
            try (Statement s = c.createStatement()) {
                s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                try (PreparedStatement q = bounded(c.prepareStatement("SELECT m.position_base,"
                        + " pg_snapshot_xmin(pg_current_snapshot())::text::bigint" + localTimeout.selectItem() + " FROM "
                        + schema.meta() + " m"));
                        ResultSet rs = localTimeout.bind(q, 1).executeQuery()) {
                    rs.next();
                    long base = rs.getLong(1);
                    long xmin = rs.getLong(2);
                    long remote = remoteCommittedXid.get();
                    if (xmin > Math.max(lastCommittedXid.get(), remote)) {
                        return base + (xmin << Schema.INDEX_BITS);
                    }
                    if (System.nanoTime() >= deadline) {
                        watchHeldBack(Math.max(lastCommittedXid.get(), remote), xmin);
                        if (xmin <= remote) {
                            remoteCommittedXid.compareAndSet(remote, 0);
                        }
                        return base + (xmin << Schema.INDEX_BITS);
                    }
                }
            }
            // An older transaction is still open; our own acknowledged appends are above the watermark.
            c.rollback();
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EventStoreException("interrupted while waiting for the global feed to settle", e);
            }
            pause = Math.min(pause * 2, 20);
        }
    }

    private CursorIterator track(CursorIterator it) {
        openIterators.add(it.hold);
        if (closed.get()) {
            it.close();
        }
        return it;
    }

    /** Iterators whose connection is still held; for tests. */
    int openIteratorCount() {
        return openIterators.size();
    }

    /** Returns the connections of iterators dropped unclosed; one daemon thread for every store. */
    private static final Cleaner CURSOR_CLEANER = Cleaner.create(task -> {
        Thread thread = new Thread(task, "estoria-postgres-cursor-cleaner");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * What an iterator holds, released once: when the iterator ends or is closed, when the store
     * closes, or when the iterator is collected unclosed. It refers to the iterator only weakly, or
     * the iterator would never be collected.
     */
    private static final class CursorHold implements Runnable {
        private final Set<CursorHold> registry;
        private final String what;
        private final Connection connection;
        private final PreparedStatement statement;
        private final ResultSet rows;
        private final WeakReference<CursorIterator> owner;
        private Cleaner.Cleanable cleanable;
        /** Whether the iterator itself let go (end, failure or close), rather than the collector. */
        private volatile boolean letGo;

        CursorHold(Set<CursorHold> registry, String what, Connection connection, PreparedStatement statement,
                ResultSet rows, CursorIterator owner) {
            this.registry = registry;
            this.what = what;
            this.connection = connection;
            this.statement = statement;
            this.rows = rows;
            this.owner = new WeakReference<>(owner);
        }

        @Override
        public void run() {
            if (!letGo) {
                LOG.log(Level.WARNING, "a read of " + what + " was neither drained nor closed; its"
                        + " connection goes back to the pool now that the iterator was garbage-collected. Close"
                        + " iterators you do not drain: until then each holds a connection and an open transaction.");
            }
            try {
                closeQuietly(rows, statement, connection);
            } finally {
                // Once the connection is back: until then the iterator still holds it.
                registry.remove(this);
            }
        }
    }

    /**
     * A read backed by a server-side cursor; holds its connection until exhausted or closed, or,
     * dropped unclosed, until it is garbage-collected (see {@link CursorHold}). Its
     * first fetch is one event; each later fetch asks for as many rows as hold about {@link
     * #FETCH_BYTES} of events as large as the largest of the fetch before it (1 to {@link
     * #FETCH_SIZE}), so events of similar size take about that much memory. Events over {@link
     * Sql#INLINE_BYTES} come without their payload and metadata, fetched on their own as each is
     * read, so a fetch sized for small events holds little more when large ones follow them.
     */
    private final class CursorIterator extends AbstractStreamIterator {
        private final CursorHold hold;
        private final ResultSet rows;
        private final TypeId streamId;
        private final EventRows mapper;
        private boolean onRow;
        /** The rows the fetch being read asked for, and how many of them are read. */
        private int fetchRows;
        private int readOfFetch;
        /** The largest event (payload and metadata bytes) of the fetch being read. */
        private long largest;

        CursorIterator(Connection connection, PreparedStatement statement, ResultSet rows, TypeId streamId, boolean onRow)
                throws SQLException {
            this.rows = rows;
            this.streamId = streamId;
            this.mapper = new EventRows(streamId, this::loadLarge);
            this.onRow = onRow;
            this.fetchRows = Math.max(1, statement.getFetchSize());
            // Last, so a constructor that throws leaves its resources to the caller alone.
            this.hold = new CursorHold(openIterators, streamId == null ? "all events" : "stream " + streamId,
                    connection, statement, rows, this);
            this.hold.cleanable = CURSOR_CLEANER.register(this, hold);
        }

        @Override
        protected Event fetchNext() {
            try {
                if (!onRow && !rows.next()) {
                    return null;
                }
                onRow = false;
                Event event = mapper.read(rows);
                if (!mapper.lastLeftOut()) {
                    largest = Math.max(largest, event.dataLength() + mapper.lastMetadataLength());
                }
                if (++readOfFetch == fetchRows) {
                    // The fetch is read: size the next one from its largest event.
                    fetchRows = (int) Math.max(1, Math.min(FETCH_SIZE, FETCH_BYTES / Math.max(1, largest)));
                    rows.setFetchSize(fetchRows);
                    readOfFetch = 0;
                    largest = 0;
                }
                return event;
            } catch (SQLException e) {
                throw failure(streamId == null ? "reading all events" : "reading stream " + streamId, e);
            } finally {
                // The iterator must stay reachable while its rows are read, or the cleaner could
                // close them underneath.
                Reference.reachabilityFence(this);
            }
        }

        /**
         * The payload and metadata of an event the cursor's row left out, read in the cursor's
         * transaction, whose snapshot still holds the row.
         */
        private byte[][] loadLarge(long position) throws SQLException {
            try (PreparedStatement s = bounded(hold.connection.prepareStatement("SELECT data, metadata FROM "
                    + schema.events() + " WHERE position = ?"))) {
                s.setLong(1, position);
                Sql.preferBinaryResults(s);
                try (ResultSet rs = s.executeQuery()) {
                    if (!rs.next()) {
                        throw new EventStoreException("the event at position " + position + " was read, but its payload"
                                + " was not found in the same snapshot");
                    }
                    return new byte[][] {rs.getBytes(1), rs.getBytes(2)};
                }
            }
        }

        @Override
        protected void release() {
            hold.letGo = true;
            hold.cleanable.clean();
        }

        /** Ends the read as the store closes; a later read says so. */
        void storeClosed() {
            closeBecause("the event store (schema " + options.schema() + ") was closed");
        }
    }

    // ------------------------------------------------------------------ deletion and listing

    @Override
    public void deleteStream(TypeId streamId, DeleteStreamOptions options) {
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(options, "options");
        ensureOpen();
        ensureWritable("deleting stream " + streamId);
        if (!MetadataCodec.isStorableText(streamId.type())) {
            throw new StreamNotFoundException(streamId);
        }
        // beginTransaction: over a caller's pool it sets the statement and lock timeouts, as appends do.
        try (Connection c = beginTransaction()) {
            try {
                long tip;
                try (PreparedStatement s = c.prepareStatement("SELECT tip FROM " + schema.streams()
                        + " WHERE stream_type = ? AND stream_uuid = ? FOR UPDATE")) {
                    s.setString(1, streamId.type());
                    s.setObject(2, streamId.uuid());
                    try (ResultSet rs = s.executeQuery()) {
                        if (!rs.next()) {
                            c.rollback();
                            throw new StreamNotFoundException(streamId);
                        }
                        tip = rs.getLong(1);
                    }
                }
                long cut = options.isTruncation() ? Math.min(options.toVersion(), tip) : tip;
                long highest = 0;
                try (PreparedStatement s = c.prepareStatement("WITH gone AS (DELETE FROM " + schema.events()
                        + " WHERE stream_type = ? AND stream_uuid = ? AND version <= ? RETURNING position)"
                        + " SELECT coalesce(max(position), 0) FROM gone")) {
                    s.setString(1, streamId.type());
                    s.setObject(2, streamId.uuid());
                    s.setLong(3, cut);
                    try (ResultSet rs = s.executeQuery()) {
                        rs.next();
                        highest = rs.getLong(1);
                    }
                }
                if (highest > 0) {
                    // Remembered so that a restore can never hand these positions out again.
                    try (PreparedStatement s = c.prepareStatement("UPDATE " + schema.meta()
                            + " SET deleted_position_high = ? WHERE deleted_position_high < ?")) {
                        s.setLong(1, highest);
                        s.setLong(2, highest);
                        s.executeUpdate();
                    }
                }
                if (!options.isTruncation()) {
                    try (PreparedStatement s = c.prepareStatement("DELETE FROM " + schema.streams()
                            + " WHERE stream_type = ? AND stream_uuid = ?")) {
                        s.setString(1, streamId.type());
                        s.setObject(2, streamId.uuid());
                        s.executeUpdate();
                    }
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c);
                throw e;
            }
        } catch (SQLException e) {
            throw failure("deleting stream " + streamId, e);
        }
    }

    @Override
    public List<StreamInfo> listStreams() {
        ensureOpen();
        List<StreamInfo> result = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                Statement s = bounded(c.createStatement());
                ResultSet rs = s.executeQuery("SELECT stream_type, stream_uuid, tip FROM " + schema.streams())) {
            while (rs.next()) {
                result.add(new StreamInfo(new TypeId(rs.getString(1), rs.getObject(2, UUID.class)), rs.getLong(3)));
            }
        } catch (SQLException e) {
            throw failure("listing streams", e);
        }
        // TypeId order (Java string and signed UUID comparison) differs from PostgreSQL's collation.
        result.sort(Comparator.comparing(StreamInfo::streamId));
        return result;
    }

    // ------------------------------------------------------------------ append notifications

    /**
     * {@inheritDoc}
     *
     * <p>Listeners run on one store thread after a commit of this store's appends, coalesced: several
     * commits while listeners run give one more call. In watermark mode an append is visible to
     * {@link #readAll} once older open transactions of the cluster have ended; a read from this
     * store waits up to {@link PostgresOptions#readSettleTimeout()} for that.
     *
     * <p><b>Other processes.</b> With {@link PostgresOptions#crossProcessNotifications()} (the
     * default), appends committed by other stores on the same schema and database wake the
     * listeners too, through {@code LISTEN/NOTIFY} on the channel {@code <schema>_appends} ({@code
     * estoria.<hash>.appends} for a schema name over 55 characters):
     *
     * <ul>
     *   <li>The {@code NOTIFY} is out of band: after a group transaction commits, a separate
     *       auto-commit {@code SELECT pg_notify(...)} is sent by one sender thread, coalesced (at
     *       most one in flight, at least 2 ms apart, then one more for the commits that landed
     *       meanwhile). It is never
     *       part of an append transaction, so it never serialises appends (a {@code NOTIFY} inside a
     *       transaction takes a cluster-wide lock at commit). Its payload is the committing
     *       transaction's ID, so the receiving process's next read waits for it to settle, as for
     *       its own appends.
     *   <li>The first registered listener starts a listener thread with its own connection that
     *       {@code LISTEN}s; this call waits up to {@link PostgresOptions#connectionTimeout()} for
     *       it, so appends committed elsewhere after it returns are heard. After a lost connection
     *       the thread reconnects with backoff, listens again and wakes the listeners once, since
     *       notifications sent meanwhile are lost.
     *   <li>A wake-up can come before its events are visible: an older transaction of the cluster
     *       may still hold the watermark below them. When a read gives up waiting for that (after
     *       {@link PostgresOptions#readSettleTimeout()}), a watcher polls the watermark with
     *       backoff (up to once a second) and wakes the listeners again once the events are
     *       visible, so the wake-up is delayed, not lost.
     *   <li>Notifications can be lost (a dropped connection, a failed send), so subscribers keep a
     *       slow poll as the safety net.
     *   <li>Connections: over a pool the store owns, the listener and the sender use one dedicated
     *       connection each, outside the pool, with the pool's socket timeout: after 10 s without
     *       traffic the listener checks its connection with a round trip, so one that stopped
     *       answering is replaced within that timeout. Over a caller's data source, the listener
     *       holds one of its connections while the store is open (its socket timeout is the data
     *       source's to set), and the sender borrows one per send.
     * </ul>
     */
    @Override
    public AutoCloseable onAppend(Runnable listener) {
        AutoCloseable registration = appendListeners.add(listener);
        if (crossProcess != null && !closed.get()) {
            crossProcess.ensureListening(options.connectionTimeout());
        }
        return registration;
    }

    /** The highest transaction ID other processes announced that reads still wait for; for tests. */
    long remoteCommittedXid() {
        return remoteCommittedXid.get();
    }

    /** The cross-process notifications, or null when they are off; for tests. */
    CrossProcessNotifications crossProcess() {
        return crossProcess;
    }

    private void signalAppend() {
        if (appendListeners.isEmpty() || !notificationPending.compareAndSet(false, true)) {
            return;
        }
        try {
            notifier.execute(() -> {
                notificationPending.set(false);
                appendListeners.wake();
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            notificationPending.set(false); // closing
        }
    }

    /**
     * Remembers that a read could not wait long enough for {@code xid} to settle, and starts the
     * watcher if it is not running. Only useful to listeners, so nothing is watched without them.
     */
    private void watchHeldBack(long xid, long xmin) {
        if (appendListeners.isEmpty()) {
            return;
        }
        heldBackXmin.accumulateAndGet(xmin, (seen, x) -> seen == 0 ? x : Math.min(seen, x));
        heldBackXid.accumulateAndGet(xid, Math::max);
        if (watchingHeldBack.compareAndSet(false, true)) {
            scheduleSettleCheck(20);
        }
    }

    private void scheduleSettleCheck(long delayMillis) {
        try {
            settleWatcher.schedule(() -> checkSettled(delayMillis), delayMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            watchingHeldBack.set(false); // closing
        }
    }

    /**
     * Wakes the listeners once the held-back transaction is below the watermark. A transaction ID at
     * or above the snapshot's {@code xmax} was never assigned (a bogus notification payload) and is
     * dropped. Polls with backoff up to a second while the feed stays held back.
     */
    private void checkSettled(long lastDelay) {
        long awaited = heldBackXid.get();
        if (closed.get() || awaited == 0) {
            watchingHeldBack.set(false);
            return;
        }
        boolean settled;
        boolean advanced = false;
        long xmin = 0;
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT pg_snapshot_xmin(t)::text::bigint, pg_snapshot_xmax(t)::text::bigint"
                        + " FROM pg_current_snapshot() t")) {
            rs.next();
            xmin = rs.getLong(1);
            settled = xmin > awaited || awaited >= rs.getLong(2);
            long seen = heldBackXmin.get();
            // The watermark moved since a read gave up: what was held back below it is visible now.
            advanced = seen != 0 && xmin > seen && heldBackXmin.compareAndSet(seen, xmin);
        } catch (SQLException | RuntimeException e) {
            settled = false;
        }
        if (settled && heldBackXid.compareAndSet(awaited, 0)) {
            // Forget only watermarks passed by now: a read that gave up meanwhile, at the current
            // watermark, keeps its own, which the watcher it restarts below needs.
            long passed = xmin;
            heldBackXmin.accumulateAndGet(passed, (seen, x) -> seen != 0 && seen < x ? 0 : seen);
            watchingHeldBack.set(false);
            signalAppend();
            // A read that timed out between the get and the reset above restarts the watcher itself.
            if (heldBackXid.get() != 0 && watchingHeldBack.compareAndSet(false, true)) {
                scheduleSettleCheck(20);
            }
            return;
        }
        if (advanced) {
            signalAppend();
        }
        scheduleSettleCheck(settled || advanced ? 20 : Math.min(1_000, lastDelay * 2));
    }

    // ------------------------------------------------------------------ feed health

    /**
     * Reports whether the global feed is held back: the oldest open transaction of the cluster that
     * holds a transaction ID (from {@code pg_stat_activity.backend_xid}, and prepared transactions),
     * and whether it is older than {@link PostgresOptions#feedLagThreshold()}.
     *
     * <p>Only transactions holding an ID hold the feed back; a long read-only transaction ({@code
     * backend_xmin} only) does not, although it delays vacuum. Seeing other users' query text needs
     * the {@code pg_read_all_stats} role. Against {@code idle in transaction} sessions, set {@code
     * idle_in_transaction_session_timeout} on the server or role. On a hot standby, which cannot see
     * the primary's transactions, it says so ({@link FeedHealth#standby()}).
     *
     * @throws EventStoreException if the check fails
     */
    public FeedHealth health() {
        ensureOpen();
        String sql = "SELECT pid, datname, usename, application_name, state, query, xact_start, now(), xid_age FROM ("
                + " SELECT pid, datname::text, usename::text, application_name, state, query, xact_start,"
                + " age(backend_xid)::bigint AS xid_age FROM pg_stat_activity"
                + " WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
                + " UNION ALL SELECT 0, database::text, owner::text, gid, 'prepared', NULL, prepared,"
                + " age(transaction)::bigint FROM pg_prepared_xacts) t ORDER BY xid_age DESC LIMIT 1";
        try (Connection c = dataSource.getConnection();
                Statement s = bounded(c.createStatement())) {
            Instant now;
            Optional<FeedHealth.Holder> holder = Optional.empty();
            boolean standby = false;
            try (ResultSet rs = s.executeQuery(sql)) {
                if (rs.next()) {
                    OffsetDateTime start = rs.getObject(7, OffsetDateTime.class);
                    now = rs.getObject(8, OffsetDateTime.class).toInstant();
                    Instant since = start == null ? now : start.toInstant();
                    holder = Optional.of(new FeedHealth.Holder(rs.getInt(1), rs.getString(2), rs.getString(3),
                            rs.getString(4), rs.getString(5), rs.getString(6), since,
                            Duration.between(since, now).isNegative() ? Duration.ZERO : Duration.between(since, now),
                            rs.getLong(9)));
                } else {
                    // A standby's sessions hold no transaction IDs: the ones that matter are the primary's.
                    try (Statement t = c.createStatement();
                            ResultSet r = t.executeQuery("SELECT now(), pg_is_in_recovery()")) {
                        r.next();
                        now = r.getObject(1, OffsetDateTime.class).toInstant();
                        standby = r.getBoolean(2);
                    }
                }
            }
            boolean heldBack = holder.isPresent() && holder.get().age().compareTo(options.feedLagThreshold()) >= 0;
            return new FeedHealth(heldBack, now, options.feedLagThreshold(), holder, standby);
        } catch (SQLException e) {
            throw failure("checking the global feed", e);
        }
    }

    private void checkFeed() {
        try {
            FeedHealth health = health();
            if (health.heldBack()) {
                feedHeldBack = true;
                LOG.log(Level.WARNING, "event store schema {0}: {1}. Global reads wait for it to end; end it"
                        + " (pg_terminate_backend) or set idle_in_transaction_session_timeout.",
                        options.schema(), health.describe());
            } else if (feedHeldBack) {
                feedHeldBack = false;
                LOG.log(Level.INFO, "event store schema {0}: global feed no longer held back", options.schema());
            }
        } catch (RuntimeException e) {
            LOG.log(Level.DEBUG, "event store schema " + options.schema() + ": feed health check failed", e);
        }
    }

    // ------------------------------------------------------------------ lifecycle

    void ensureOpen() {
        if (closed.get()) {
            throw new EventStoreException("event store (schema " + options.schema() + ") is closed");
        }
    }

    /**
     * Closes the store: queued appends not yet started fail, running ones finish, open iterators are
     * closed (a later read of one throws a {@link dev.estoria.eventstore.StreamIteratorClosedException}
     * saying that the store was closed; an iterator whose events were all fetched already, such as a
     * stream read of up to 256 events, may still be drained), a pool the store owns is closed, and the {@link
     * #onAppend} listeners are called once more, so that waiting subscribers learn of the close at
     * once. Idempotent. A caller whose thread is interrupted still gets every thread, connection and
     * pool released; its interrupt status is kept.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // The waits below (for the writer lanes, the notification threads, and inside HikariCP's
        // shutdown) would end at once on a pending interrupt, leaving threads and connections behind.
        boolean interrupted = Thread.interrupted();
        try {
            committer.close();
            if (monitor != null) {
                monitor.shutdownNow();
            }
            notifier.shutdownNow();
            // Closed from an append listener, this is the notifier's thread, which that just interrupted.
            interrupted |= Thread.interrupted();
            release();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void release() {
        settleWatcher.shutdownNow();
        if (crossProcess != null) {
            crossProcess.close();
        }
        for (CursorHold hold : List.copyOf(openIterators)) {
            CursorIterator it = hold.owner.get();
            if (it != null) {
                it.storeClosed();
            } else {
                hold.cleanable.clean(); // collected, its cleaning not yet run
            }
        }
        if (ownedPool != null) {
            ownedPool.close();
        }
        // Waiting subscribers read again at once, and learn that the store is closed.
        appendListeners.wake();
    }

    static void rollbackQuietly(Connection c) {
        if (c == null) {
            return;
        }
        try {
            if (!c.isClosed() && !c.getAutoCommit()) {
                c.rollback();
            }
        } catch (SQLException ignored) {
            // The connection is broken; closing it below returns it to the pool, which evicts it.
        }
    }

    static void closeQuietly(AutoCloseable... resources) {
        for (AutoCloseable r : resources) {
            if (r == null) {
                continue;
            }
            try {
                if (r instanceof Connection c && !c.isClosed() && !c.getAutoCommit()) {
                    try {
                        c.rollback();
                    } catch (SQLException ignored) {
                        // Broken connection: the pool evicts it on close.
                    }
                }
                r.close();
            } catch (Exception ignored) {
                // Nothing useful to do: the resource is being abandoned.
            }
        }
    }
}
