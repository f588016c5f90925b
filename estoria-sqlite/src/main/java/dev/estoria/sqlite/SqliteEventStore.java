package dev.estoria.sqlite;

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
import dev.estoria.eventstore.TransientStoreException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.spi.AppendListeners;
import dev.estoria.eventstore.spi.AppendValidation;
import dev.estoria.sqlite.SqliteFileException.Problem;
import dev.estoria.sqlite.WriteStatements.PendingEvent;
import dev.estoria.typeid.TypeId;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteConnection;

/**
 * An event store in one SQLite file: embedded, durable, and Estoria's default.
 *
 * <p>Open it with {@link #open(Path)} or {@link #open(Path, SqliteOptions)} and close it when done.
 * It implements {@link EventStore}, {@link GlobalReader} (filtered reads included), {@link
 * StreamDeleter}, {@link StreamLister}, {@link AppendNotifier} and {@link MultiStreamWriter} exactly
 * as their contracts state, and is thread-safe.
 *
 * <h2>The file</h2>
 *
 * <p>Opening creates the file, or checks an existing one and brings its schema to the current
 * version. The file is a SQLite database in WAL mode (with {@code -wal} and {@code -shm} files
 * beside it while open) marked as Estoria's by its {@code application_id} and carrying its schema
 * version in {@code user_version}. A file that is not a SQLite database, a SQLite database of
 * something else, a file written by a newer schema, or a damaged file is refused with a {@link
 * SqliteFileException} and left as it was. Keep the file on a local file system: SQLite's locking
 * does not work reliably over network file systems.
 *
 * <h2>Durability and group commit</h2>
 *
 * <p>{@link #appendStream} returns only once its transaction has committed; with the default
 * {@link SqliteOptions.Durability#FULL} that means the write-ahead log is flushed to stable
 * storage, so an acknowledged append survives a process crash, an operating system crash and a
 * power loss. {@link SqliteOptions.Durability#NORMAL} trades the last of those for speed; see
 * there.
 *
 * <p>The store has one write connection, used by one thread at a time. An append is validated on
 * the calling thread and queued. If the connection is free, the calling thread takes it and commits
 * the queue itself; otherwise it waits while the thread holding it, or the store's writer thread
 * after it, does. Whoever commits takes everything queued at that moment (never waiting for more,
 * so a lone append costs one transaction and no added delay), applies the appends inside one {@code
 * BEGIN IMMEDIATE} transaction and commits once: appends arriving together share one commit and one
 * flush. They are applied together, with statements shared by all, when their caller-chosen event
 * IDs are all new, and otherwise each in its own savepoint. An append that fails (a version
 * mismatch, a duplicate event ID) writes nothing and fails alone; the others commit. No append is
 * acknowledged before the commit has returned, and if the commit fails every append of the group
 * fails with an {@link EventStoreException}. Appends in one group run in queue order, each seeing
 * the effects of the earlier ones, as if they had run one after another. Deletions go through the
 * same queue. A {@link #appendStreams} call is one item of the queue: its appends are applied one
 * after another in one savepoint, and the first refusal rolls them all back. A caller waits for its
 * commit even if its thread is interrupted meanwhile (the
 * interrupt status is kept), so it always learns whether its write was made.
 *
 * <h2>Global order and the stable prefix</h2>
 *
 * <p>The global position is the {@code events} table's {@code AUTOINCREMENT} key: positions start
 * at 1, strictly increase in commit order, and are never handed out again, even after the events
 * holding them were deleted (SQLite keeps the high-water mark in {@code sqlite_sequence}).
 * Positions are assigned inside the write transaction, and SQLite lets one transaction write the
 * database at a time (one write connection here, and SQLite's write lock across processes), so a
 * transaction that commits later always holds higher positions than every earlier one: once a read
 * has seen position P, no commit can add an event at or below P. The stable prefix holds by
 * construction, with no gap-closing logic. Rolled-back transactions may leave gaps.
 *
 * <h2>Reads</h2>
 *
 * <p>Reads run on pooled read-only connections and never block the writer (WAL). Each read opens a
 * read transaction: the existence check of a stream and its events come from one snapshot, and that
 * snapshot is fixed before {@link #readStream} or {@link #readAll} returns, which fixes the read's
 * frontier. The iterator streams rows from a cursor and holds its connection until it is exhausted
 * or closed: close iterators you do not drain. An open iterator also pins its snapshot, so SQLite
 * cannot checkpoint the log past it and the {@code -wal} file grows until it is closed. An iterator
 * dropped unclosed is ended when it is garbage-collected, with a warning logged: a late safety net,
 * not a way to end reads. A read of any length needs constant memory.
 * A filtered global read ({@link dev.estoria.eventstore.EventFilter}) is evaluated in SQL, on
 * indexes of stream type and event type, so it costs what it returns rather than what it skips.
 *
 * <p>The log is checkpointed once it holds {@link SqliteOptions#checkpointPages()} pages, by
 * SQLite at commit; those checkpoints never wait for readers, so reads that overlap every commit
 * would keep them from finishing and the {@code -wal} file would grow without bound. Once the file
 * outgrows twice that limit (at least 1 MiB), the store runs a {@code TRUNCATE} checkpoint after
 * a commit (it looks at the file's size at most every 10 ms), which waits up to 100 ms for the reads in progress (new reads of this store wait for
 * it meanwhile) and empties the file; if a read still holds an older snapshot it is tried again
 * after further growth. Whenever SQLite writes the log from its start again, {@code
 * journal_size_limit} cuts the file back to that size, so a file grown while an iterator was open
 * shrinks once it is closed.
 *
 * <h2>Stored values</h2>
 *
 * <p>Payloads are stored as BLOBs and content types, event types and stream IDs as TEXT, all
 * verbatim; metadata is stored as a BLOB in a length-prefixed UTF-8 encoding. Timestamps are taken
 * from the system clock when the write transaction runs and kept as microseconds since the epoch:
 * they are truncated to microseconds before an append returns, so an append returns exactly what a
 * later read returns. Strings are stored as UTF-8, which cannot represent unpaired surrogates: an
 * append with such a string in its event type, content type, metadata or stream type is refused
 * with {@link IllegalArgumentException}, and no such stream can exist. Event UUIDs are unique
 * across the store (a unique index serves the idempotency lookup).
 *
 * <h2>Snapshots, checkpoints and read models in the same file</h2>
 *
 * <p>The file also has a table of durable snapshots ({@link SqliteSnapshotStore}), one of
 * projection checkpoints ({@link SqliteCheckpointStore}) and the leases and heartbeats by which the
 * workers of a partitioned projection, in one process or several, share its partitions ({@link
 * SqliteLeaseStore}); their writes go through the same queue and share its group commits,
 * so they never conflict with appends. An application may keep
 * its own tables in the file: {@link #inWriteTransaction} runs caller code in a write transaction
 * of its own on the writer thread, {@link #inReadTransaction} on a read connection, and {@link
 * SqliteProjectionRunner} commits a projection's read-model writes together with its checkpoint,
 * so each event is applied exactly once. Estoria's tables are {@code events}, {@code streams} and
 * those named {@code estoria_*}; an application's tables must not use these names.
 *
 * <h2>Several processes</h2>
 *
 * <p>Several stores, in one process or several, may open the same file at once: each write waits
 * for SQLite's write lock up to the {@linkplain SqliteOptions#busyTimeout() busy timeout} and then
 * fails with an {@link EventStoreException} (nothing written). All of them see one global order.
 */
public final class SqliteEventStore implements EventStore, GlobalReader, StreamDeleter, StreamLister, AppendNotifier,
        MultiStreamWriter, AutoCloseable {

    private static final String STREAM_VERSION = "SELECT version FROM streams WHERE stream_id = ?";
    private static final String READ_FORWARD = "SELECT " + EventRows.COLUMNS
            + " FROM events WHERE stream_id = ? AND version > ? ORDER BY version ASC LIMIT ?";
    private static final String READ_REVERSE = "SELECT " + EventRows.COLUMNS
            + " FROM events WHERE stream_id = ? AND version <= ? ORDER BY version DESC LIMIT ?";
    private static final String READ_ALL = "SELECT " + EventRows.COLUMNS
            + " FROM events WHERE position > ? ORDER BY position ASC LIMIT ?";
    private static final String LIST_STREAMS = "SELECT stream_id, version FROM streams";
    private static final String HEAD_POSITION = "SELECT coalesce(max(position), 0) FROM events";

    /** Room left in SQLite's row size limit for everything in a row but payload and metadata. */
    private static final int ROW_OVERHEAD = 64 * 1024;

    private final Path file;
    private final Connection writeConnection;
    private final WriteStatements writes;
    private final GroupCommitWriter writer;
    private final ReadPool reads;
    private final long maxEventBytes;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AppendListeners listeners;

    private SqliteEventStore(Path file, SqliteOptions options, Connection writeConnection) throws SQLException {
        this.file = file;
        this.listeners = new AppendListeners("event store on " + file);
        this.writeConnection = writeConnection;
        this.maxEventBytes = writeConnection.unwrap(SQLiteConnection.class).getDatabase().limit(0, -1) - ROW_OVERHEAD;
        this.writes = new WriteStatements(file, writeConnection, Clock.systemUTC());
        this.reads = new ReadPool(file, options);
        this.writer = new GroupCommitWriter(file, writeConnection, options.busyTimeout(),
                logLimitBytes(writeConnection, options), reads, writes);
    }

    /**
     * Opens the store in {@code file} with {@linkplain SqliteOptions#defaults() default options},
     * creating the file if it does not exist.
     *
     * @throws SqliteFileException if the file cannot be used; it is left as it was
     * @throws EventStoreException if SQLite fails otherwise
     */
    public static SqliteEventStore open(Path file) {
        return open(file, SqliteOptions.defaults());
    }

    /**
     * Opens the store in {@code file}, creating the file if it does not exist and bringing an
     * existing file's schema to the current version.
     *
     * <p>Before anything writes to an existing file, it is checked without writing: its header must
     * be a SQLite header, its {@code application_id} Estoria's (or the database entirely empty), its
     * schema version not newer than this code's, and its tables present and readable (with {@link
     * SqliteOptions#integrityCheckOnOpen()}, every page). A file that fails is left as it was.
     *
     * @throws SqliteFileException naming the file and the problem, if the file cannot be used
     * @throws EventStoreException if another connection keeps the file locked for longer than the
     *     busy timeout while it is created or migrated, or if SQLite fails otherwise
     * @throws NullPointerException if an argument is null
     */
    public static SqliteEventStore open(Path file, SqliteOptions options) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(options, "options");
        Path path = file.toAbsolutePath().normalize();
        Schema.inspect(path, options);
        Connection connection = openWriteConnection(path, options);
        try {
            Schema.migrate(path, connection);
            return new SqliteEventStore(path, options, connection);
        } catch (RuntimeException e) {
            closeQuietly(connection, e);
            throw e;
        } catch (SQLException e) {
            closeQuietly(connection, e);
            throw new EventStoreException("cannot open the event store in " + path + ": " + e.getMessage(), e);
        }
    }

    private static Connection openWriteConnection(Path path, SqliteOptions options) {
        SQLiteConfig config = new SQLiteConfig();
        config.setBusyTimeout((int) options.busyTimeout().toMillis());
        Connection connection;
        try {
            connection = config.createConnection(Schema.url(path));
        } catch (SQLException e) {
            throw Schema.classify(path, e, "cannot open it for writing");
        }
        try (Statement statement = connection.createStatement()) {
            String mode = enableWal(statement, options.busyTimeout());
            if (!"wal".equalsIgnoreCase(mode)) {
                throw new SqliteFileException(path, Problem.CANNOT_OPEN,
                        "SQLite cannot use WAL mode on it (journal mode stays \"" + mode + "\")");
            }
            String synchronous = switch (options.durability()) {
                case FULL -> "FULL";
                case NORMAL -> "NORMAL";
            };
            statement.execute("PRAGMA synchronous = " + synchronous);
            // Statement and savepoint journals are scratch data, never needed after a crash; in a
            // temporary file every insert of a group would write its pages to disk a second time.
            statement.execute("PRAGMA temp_store = MEMORY");
            // Every write of the store commits on this connection, so its setting decides when the log is
            // checkpointed (a connection of another process on the file brings its own).
            statement.execute("PRAGMA wal_autocheckpoint = " + options.checkpointPages());
            // When the log is next written from its start, its file is cut back to the limit: a
            // file once grown (while a read held an old snapshot) would otherwise keep its size.
            statement.execute("PRAGMA journal_size_limit = " + logLimitBytes(connection, options));
            return connection;
        } catch (SQLException e) {
            closeQuietly(connection, e);
            throw Schema.classify(path, e, "cannot configure it");
        } catch (RuntimeException e) {
            closeQuietly(connection, e);
            throw e;
        }
    }

    /** The least the log limit is, so that a small {@code checkpointPages} does not truncate the log at every commit. */
    static final long MIN_LOG_LIMIT_BYTES = 1 << 20;

    /**
     * The size of the {@code -wal} file above which the log is cut back: twice what {@code
     * checkpointPages} pages of log take, and at least {@value #MIN_LOG_LIMIT_BYTES} bytes. The
     * log grows past {@code checkpointPages} by the transaction that crosses it, so in steady use
     * the file stays below this; it outgrows it only while reads keep checkpoints from finishing,
     * or after one large transaction.
     */
    static long logLimitBytes(Connection connection, SqliteOptions options) throws SQLException {
        long pageSize;
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("PRAGMA page_size")) {
            pageSize = rows.next() ? rows.getLong(1) : 4096;
        }
        // Each frame of the log is a page and a 24-byte header; the file has a 32-byte header.
        return Math.max(MIN_LOG_LIMIT_BYTES, 2L * options.checkpointPages() * (pageSize + 24) + 32);
    }

    /**
     * Switches the file to WAL mode, or finds it there, and returns the journal mode. Switching a
     * file that is not in WAL mode yet (a new one) writes its header under a lock that SQLite asks
     * for without its busy handler: when another process or store opens the same new file at the
     * same moment, the pragma fails at once with SQLITE_BUSY instead of waiting. It is tried again
     * until the busy timeout has passed, as a wait for the lock would.
     */
    private static String enableWal(Statement statement, Duration busyTimeout) throws SQLException {
        long deadline = System.nanoTime() + busyTimeout.toNanos();
        long pause = TimeUnit.MILLISECONDS.toNanos(1);
        while (true) {
            try (ResultSet rows = statement.executeQuery("PRAGMA journal_mode = WAL")) {
                return rows.next() ? rows.getString(1) : "";
            } catch (SQLException e) {
                long left = deadline - System.nanoTime();
                if (!Schema.isBusy(e) || left <= 0) {
                    throw e;
                }
                LockSupport.parkNanos(Math.min(pause, left));
                pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(50));
            }
        }
    }

    private static void closeQuietly(Connection connection, Exception failure) {
        try {
            connection.close();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }

    /** The file this store keeps its events in, as an absolute path. */
    public Path file() {
        return file;
    }

    @Override
    public List<Event> appendStream(TypeId streamId, List<WritableEvent> events, AppendStreamOptions options) {
        List<WritableEvent> batch = AppendValidation.validate(streamId, events, options);
        List<PendingEvent> pending = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            pending.add(prepare(streamId, i, batch.get(i)));
        }
        List<Event> written;
        try {
            written = writer.submit(writes.appendWork(streamId, batch, pending, options.expectedVersion()));
        } catch (EventStoreException e) {
            throw naming("append to " + streamId, e);
        }
        listeners.wake();
        return written;
    }

    @Override
    public List<List<Event>> appendStreams(List<StreamAppend> appends) {
        List<List<WritableEvent>> batches = AppendValidation.validateAll(appends);
        List<StreamAppend> calls = List.copyOf(appends); // validated: no nulls
        List<List<PendingEvent>> pending = new ArrayList<>(batches.size());
        for (int a = 0; a < batches.size(); a++) {
            TypeId streamId = calls.get(a).streamId();
            List<WritableEvent> batch = batches.get(a);
            List<PendingEvent> prepared = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                prepared.add(prepare(streamId, i, batch.get(i)));
            }
            pending.add(prepared);
        }
        List<List<Event>> written;
        try {
            // One work item: applied in one savepoint (or a transaction of its own), so the first
            // refusal, thrown out of it, takes back the appends before it.
            written = writer.submit(connection -> {
                List<List<Event>> results = new ArrayList<>(batches.size());
                for (int a = 0; a < batches.size(); a++) {
                    StreamAppend append = calls.get(a);
                    results.add(writes.append(append.streamId(), batches.get(a), pending.get(a),
                            append.options().expectedVersion()));
                }
                return List.copyOf(results);
            });
        } catch (EventStoreException e) {
            throw naming("append to " + AppendValidation.describeStreams(calls), e);
        }
        listeners.wake();
        return written;
    }

    /**
     * The writer's failures name the file, not the stream: this names the stream too, keeping the
     * type. Other subclasses (a version mismatch, a missing stream) already name it.
     */
    private static EventStoreException naming(String what, EventStoreException e) {
        if (e.getClass() == TransientStoreException.class) {
            return new TransientStoreException(what + ": " + e.getMessage(), e);
        }
        return e.getClass() == EventStoreException.class ? new EventStoreException(what + ": " + e.getMessage(), e) : e;
    }

    /**
     * Registers a listener called after each append made through this store, on the appending
     * thread, once the appended events are visible to {@link #readAll}. Appends made by other store
     * instances or other processes on the same file are not signalled, so subscribers keep a slow
     * poll. An exception thrown by a listener is logged and ignored: the append it follows has
     * succeeded. Closing the store calls the listeners once more, so that waiting subscribers read
     * again at once and learn that the store is closed.
     */
    @Override
    public AutoCloseable onAppend(Runnable listener) {
        return listeners.add(listener);
    }

    private PendingEvent prepare(TypeId streamId, int index, WritableEvent event) {
        // Text UTF-8 cannot hold (unpaired surrogates) was refused by AppendValidation already.
        byte[] data = event.data();
        byte[] metadata = Encoding.encodeMetadata(event.metadata());
        AppendValidation.requireEventSize(streamId, index, event, metadata.length, maxEventBytes);
        return new PendingEvent(event.type(), event.eventId().orElseGet(TypeId::timeOrderedV7), data,
                event.contentType(), event.metadata(), metadata);
    }

    @Override
    public StreamIterator readStream(TypeId streamId, ReadStreamOptions options) {
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(options, "options");
        if (Encoding.wellFormedProblem(streamId.type()) != null) {
            // No append accepts such an ID, so no such stream exists.
            throw new StreamNotFoundException(streamId);
        }
        String stream = streamId.toString();
        return read("reading stream " + streamId, new EventRows(file, streamId), reader -> {
            PreparedStatement exists = reader.prepare(STREAM_VERSION);
            exists.setString(1, stream);
            try (ResultSet rows = exists.executeQuery()) {
                if (!rows.next()) {
                    throw new StreamNotFoundException(streamId);
                }
            }
            PreparedStatement query;
            if (options.direction() == Direction.FORWARD) {
                query = reader.prepare(READ_FORWARD);
                query.setLong(2, options.afterVersion());
            } else {
                query = reader.prepare(READ_REVERSE);
                query.setLong(2, options.afterVersion() == 0 ? Long.MAX_VALUE : options.afterVersion());
            }
            query.setString(1, stream);
            query.setLong(3, limit(options.count()));
            return query.executeQuery();
        });
    }

    /**
     * The newest stored position, from the end of the position index. Every committed event is in
     * the stable prefix here, since one writer commits them in position order.
     */
    @Override
    public long headPosition() {
        return read("reading the head position", reader -> {
            try (ResultSet rows = reader.prepare(HEAD_POSITION).executeQuery()) {
                return rows.next() ? rows.getLong(1) : 0;
            }
        });
    }

    @Override
    public StreamIterator readAll(ReadAllOptions options) {
        Objects.requireNonNull(options, "options");
        EventFilter filter = options.filter();
        if (filter.isAll()) {
            return read("reading all events", new EventRows(file), reader -> {
                PreparedStatement query = reader.prepare(READ_ALL);
                query.setLong(1, options.afterPosition());
                query.setLong(2, limit(options.count()));
                return query.executeQuery();
            });
        }
        // A type UTF-8 cannot hold was never stored, so it matches nothing.
        List<String> streamTypes = storable(filter.streamTypes());
        List<String> eventTypes = storable(filter.eventTypes());
        if (streamTypes.size() < filter.streamTypes().size() && streamTypes.isEmpty()
                || eventTypes.size() < filter.eventTypes().size() && eventTypes.isEmpty()) {
            return StreamIterator.empty();
        }
        StringBuilder sql = new StringBuilder("SELECT ").append(EventRows.COLUMNS)
                .append(" FROM events WHERE position > ?");
        List<String> arguments = new ArrayList<>();
        if (!streamTypes.isEmpty()) {
            sql.append(" AND stream_type IN (").append(placeholders(streamTypes.size())).append(')');
            arguments.addAll(streamTypes);
        } else if (!filter.includeInternalStreams()) {
            // A range rather than LIKE: LIKE ignores ASCII case, and a range can use the index.
            sql.append(" AND NOT (stream_type >= ? AND stream_type < ?)");
            arguments.add(EventFilter.INTERNAL_PREFIX);
            arguments.add(INTERNAL_PREFIX_END);
        }
        if (!eventTypes.isEmpty()) {
            sql.append(" AND event_type IN (").append(placeholders(eventTypes.size())).append(')');
            arguments.addAll(eventTypes);
        }
        sql.append(" ORDER BY position ASC LIMIT ?");
        return read("reading events matching " + filter, new EventRows(file), reader -> {
            PreparedStatement query = reader.prepare(sql.toString());
            int index = 1;
            query.setLong(index++, options.afterPosition());
            for (String argument : arguments) {
                query.setString(index++, argument);
            }
            query.setLong(index, limit(options.count()));
            return query.executeQuery();
        });
    }

    /** The first string after every string that starts with the internal prefix. */
    private static final String INTERNAL_PREFIX_END = EventFilter.INTERNAL_PREFIX.substring(0,
            EventFilter.INTERNAL_PREFIX.length() - 1)
            + (char) (EventFilter.INTERNAL_PREFIX.charAt(EventFilter.INTERNAL_PREFIX.length() - 1) + 1);

    private static List<String> storable(Set<String> types) {
        List<String> result = new ArrayList<>();
        for (String type : types) {
            if (Encoding.wellFormedProblem(type) == null) {
                result.add(type);
            }
        }
        result.sort(null);
        return result;
    }

    private static String placeholders(int count) {
        return String.join(", ", java.util.Collections.nCopies(count, "?"));
    }

    /** SQLite reads a negative LIMIT as no limit. */
    private static long limit(long count) {
        return count == 0 ? -1 : count;
    }

    private interface Query {
        ResultSet run(ReadPool.Reader reader) throws SQLException;
    }

    /** Runs a query in a new read transaction and hands the reader over to the returned iterator. */
    private StreamIterator read(String what, EventRows mapper, Query query) {
        ReadPool.Reader reader = reads.borrow();
        ResultSet rows = null;
        try {
            reader.beginRead();
            rows = query.run(reader);
            StreamIterator iterator = Cursor.open(reads, reader, rows, mapper, file);
            rows = null;
            reader = null;
            return iterator;
        } catch (SQLException e) {
            closeQuietly(rows);
            reads.discard(reader);
            reader = null;
            throw new EventStoreException(what + " from " + file + " failed: " + e.getMessage(), e);
        } finally {
            if (reader != null) {
                closeQuietly(rows);
                reads.giveBack(reader);
            }
        }
    }

    private static void closeQuietly(ResultSet rows) {
        if (rows != null) {
            try {
                rows.close();
            } catch (SQLException ignored) {
                // The reader is given back or discarded next, which ends its read either way.
            }
        }
    }

    @Override
    public void deleteStream(TypeId streamId, DeleteStreamOptions options) {
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(options, "options");
        if (Encoding.wellFormedProblem(streamId.type()) != null) {
            throw new StreamNotFoundException(streamId);
        }
        try {
            writer.submit(connection -> writes.delete(streamId, options));
        } catch (EventStoreException e) {
            throw naming((options.isTruncation() ? "truncating " : "deleting ") + streamId, e);
        }
    }

    @Override
    public List<StreamInfo> listStreams() {
        ReadPool.Reader reader = reads.borrow();
        boolean healthy = false;
        try {
            reader.beginRead();
            List<StreamInfo> streams = new ArrayList<>();
            try (ResultSet rows = reader.prepare(LIST_STREAMS).executeQuery()) {
                while (rows.next()) {
                    String id = rows.getString(1);
                    try {
                        streams.add(new StreamInfo(TypeId.parse(id), rows.getLong(2)));
                    } catch (IllegalArgumentException e) {
                        throw new EventStoreException("the stream row \"" + id + "\" in " + file + " is damaged: "
                                + e.getMessage(), e);
                    }
                }
            }
            healthy = true;
            streams.sort(Comparator.comparing(StreamInfo::streamId));
            return streams;
        } catch (SQLException e) {
            throw new EventStoreException("listing streams in " + file + " failed: " + e.getMessage(), e);
        } finally {
            if (healthy) {
                reads.giveBack(reader);
            } else {
                reads.discard(reader);
            }
        }
    }

    /**
     * Closes the store: the group of writes in progress commits, writes still queued fail with an
     * {@link EventStoreException}, later calls fail with one, and the connections are closed.
     * Iterators still open keep their read connection until they are closed. Idempotent. Called
     * from work inside a write transaction ({@link #inWriteTransaction} work, a projection handler),
     * it returns at once: that work goes on and commits, and the write connection is closed once it
     * has.
     *
     * @throws EventStoreException if SQLite fails to close the file cleanly; what was committed
     *     stays committed
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        reads.close();
        try {
            writer.close(this::closeWriteConnection);
        } finally {
            listeners.wake();
        }
    }

    /** Once the writer has stopped and nobody uses the write connection any more. */
    private void closeWriteConnection() {
        try {
            writes.close();
            // Closed last: the last connection to a file checkpoints the log into it.
            writeConnection.close();
        } catch (SQLException e) {
            throw new EventStoreException("closing " + file + " failed: " + e.getMessage(), e);
        }
    }

    /** Whether {@code thread} holds a read open (an iterator not yet ended); for tests. */
    boolean holdsRead(Thread thread) {
        return reads.holdsRead(thread);
    }

    /** How many times new reads waited for a checkpoint; for tests. */
    long readPauses() {
        return reads.pauseCount();
    }

    /** How many write transactions this store has committed; appends grouped together count once. */
    long commitCount() {
        return writer.commitCount();
    }

    void setWriterHooks(GroupCommitWriter.Hooks hooks) {
        writer.setHooks(hooks);
    }

    /** Whether the calling thread holds the write connection: it runs work inside a write transaction. */
    boolean holdsWriteConnection() {
        return writer.heldByCurrentThread();
    }

    /** Whether a thread holds the write connection now; for tests. */
    boolean writeConnectionHeld() {
        return writer.connectionHeld();
    }

    /** Runs work inside a shared write transaction, as appends run; for tests. */
    <T> T onWriter(GroupCommitWriter.Work<T> work) {
        return writer.submit(work);
    }

    /**
     * Runs {@code work} in a write transaction of its own on this store's writer thread, and
     * returns what it returned once the transaction has committed (durably, per the store's {@link
     * SqliteOptions#durability()}).
     *
     * <p>This is how an application keeps its own tables (a read model, for example) in the
     * store's file and changes them atomically. The work runs between the store's other writes,
     * never concurrently with them, and every write of the store waits while it runs: keep it
     * short. If the work throws, everything it wrote is rolled back and the exception is thrown
     * here ({@link SQLException}s wrapped in an {@link EventStoreException}). The connection is
     * lent under the rules of {@link SqlWork}.
     *
     * <p>Estoria's own tables are {@code events}, {@code streams} and every table whose name
     * starts with {@code estoria_}: read them if you must, but never write them, and do not give
     * your own tables such names.
     *
     * @throws IllegalStateException if the transaction ended inside the work (the work ran {@code
     *     COMMIT}, {@code END} or {@code ROLLBACK}, or SQLite rolled it back after an error), or if
     *     this is called from inside work that holds the write transaction
     * @throws EventStoreException if the store is closed, the work failed with an {@link
     *     SQLException}, or the commit failed
     * @throws NullPointerException if {@code work} is null
     */
    public <T> T inWriteTransaction(SqlWork<T> work) {
        Objects.requireNonNull(work, "work");
        return writer.submitAlone(connection -> GuardedConnection.run(connection, work));
    }

    /**
     * Runs {@code work} in a read transaction on one of this store's read-only connections and
     * returns what it returned. Every statement of the work sees one snapshot of the file, which
     * includes every write committed before this call; the read never blocks writes, nor they it.
     * The connection is lent under the rules of {@link SqlWork}.
     *
     * @throws EventStoreException if the store is closed or the work failed with an {@link
     *     SQLException}
     * @throws NullPointerException if {@code work} is null
     */
    public <T> T inReadTransaction(SqlWork<T> work) {
        Objects.requireNonNull(work, "work");
        return read("read transaction", reader -> GuardedConnection.run(reader.connection(), work));
    }

    /** Reads with one of the pooled readers, inside a read transaction. */
    interface ReaderWork<T> {
        T run(ReadPool.Reader reader) throws SQLException;
    }

    /** Runs {@code work} in a read transaction; {@code what} names it in failures. */
    <T> T read(String what, ReaderWork<T> work) {
        ReadPool.Reader reader = reads.borrow();
        boolean healthy = false;
        try {
            reader.beginRead();
            T result = work.run(reader);
            healthy = true;
            return result;
        } catch (SQLException e) {
            throw new EventStoreException(what + " on " + file + " failed: " + e.getMessage(), e);
        } finally {
            // A reader whose statement failed may hold statements sqlite-jdbc finalized for good
            // (see GroupCommitWriter), and one whose transaction cannot end is unusable: both are
            // closed, not reused.
            if (healthy) {
                reads.giveBack(reader);
            } else {
                reads.discard(reader);
            }
        }
    }

    /** Runs work of the store's own in a shared write transaction, sharing a group commit with appends. */
    <T> T writeShared(GroupCommitWriter.Work<T> work) {
        return writer.submit(work);
    }

    /** Runs work on the writer thread in a transaction of its own. */
    <T> T writeAlone(GroupCommitWriter.Work<T> work) {
        return writer.submitAlone(work);
    }

    /** The most bytes of payload and text one row may hold. */
    long maxValueBytes() {
        return maxEventBytes;
    }

    @Override
    public String toString() {
        return "SqliteEventStore[" + file + "]";
    }
}
