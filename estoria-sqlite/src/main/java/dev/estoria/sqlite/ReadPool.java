package dev.estoria.sqlite;

import dev.estoria.eventstore.EventStoreException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import org.sqlite.SQLiteConfig;

/**
 * Read-only connections for reads, each used by one read at a time.
 *
 * <p>A read never waits for a connection: when none is idle a new one is opened, so a thread
 * holding several open iterators cannot deadlock against the pool. Up to {@link
 * SqliteOptions#readConnections()} idle connections are kept for reuse; the rest are closed when
 * their read ends.
 */
final class ReadPool {

    private static final int CACHED_STATEMENTS = 16;

    private final Path file;
    private final SqliteOptions options;
    private final ArrayDeque<Reader> idle = new ArrayDeque<>();
    private boolean closed;
    /** Set while the writer truncates the log: new reads wait for it (see {@link #pauseNewReads}). */
    private boolean paused;
    /** How many times new reads were paused; for tests. Guarded by this. */
    private long pauses;
    /** The threads that hold reads open (borrowed readers), with how many each. Guarded by this. */
    private final Map<Thread, Integer> openReads = new java.util.HashMap<>();

    ReadPool(Path file, SqliteOptions options) {
        this.file = file;
        this.options = options;
    }

    /** A read connection with its prepared statements and its read transaction state. */
    final class Reader {
        private final Connection connection;
        private final Statement control;
        /** The thread that borrowed this reader, while it is borrowed. Guarded by the pool. */
        private Thread holder;
        /** Recently used statements; filtered reads vary their SQL, so the cache is bounded. */
        private final Map<String, PreparedStatement> statements = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, PreparedStatement> eldest) {
                if (size() <= CACHED_STATEMENTS) {
                    return false;
                }
                try {
                    eldest.getValue().close();
                } catch (SQLException ignored) {
                    // A statement that fails to close is dropped all the same.
                }
                return true;
            }
        };

        private Reader(Connection connection) throws SQLException {
            this.connection = connection;
            this.control = connection.createStatement();
        }

        /**
         * Opens a read transaction; the snapshot is taken by the first statement that reads, and
         * every statement until {@link #endRead()} sees that same snapshot.
         */
        void beginRead() throws SQLException {
            control.execute("BEGIN");
        }

        PreparedStatement prepare(String sql) throws SQLException {
            PreparedStatement statement = statements.get(sql);
            if (statement == null) {
                statement = connection.prepareStatement(sql);
                statements.put(sql, statement);
            }
            return statement;
        }

        /** The connection, for work that runs inside this reader's read transaction. */
        Connection connection() {
            return connection;
        }

        void endRead() throws SQLException {
            control.execute("COMMIT");
        }

        private void closeQuietly() {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // Closing a read-only connection loses nothing.
            }
        }
    }

    /**
     * Makes reads that start from now on wait until {@link #resumeNewReads}, while the writer
     * checkpoints and truncates the log. That checkpoint waits for the reads in progress to end;
     * reads that keep starting would take up the reader slots of the log's index one after
     * another, so that one is always in use, and the checkpoint would never get them.
     */
    synchronized void pauseNewReads() {
        paused = true;
        pauses++;
    }

    synchronized long pauseCount() {
        return pauses;
    }

    /**
     * Whether {@code thread} holds a read open: a checkpoint that waits for the reads in progress
     * cannot finish before that thread ends its read, so the thread itself must not wait for one.
     */
    synchronized boolean holdsRead(Thread thread) {
        return openReads.containsKey(thread);
    }

    private synchronized Reader lent(Reader reader) {
        reader.holder = Thread.currentThread();
        openReads.merge(reader.holder, 1, Integer::sum);
        return reader;
    }

    private synchronized void returned(Reader reader) {
        if (reader.holder != null) {
            openReads.computeIfPresent(reader.holder, (thread, count) -> count == 1 ? null : count - 1);
            reader.holder = null;
        }
    }

    synchronized void resumeNewReads() {
        paused = false;
        notifyAll();
    }

    Reader borrow() {
        synchronized (this) {
            // The pause lasts as long as one checkpoint, which waits a bounded time for readers.
            boolean interrupted = false;
            while (paused && !closed) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (closed) {
                throw new EventStoreException("the event store on " + file + " is closed");
            }
            Reader reader = idle.pollFirst();
            if (reader != null) {
                return lent(reader);
            }
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setReadOnly(true);
        config.setBusyTimeout((int) options.busyTimeout().toMillis());
        try {
            return lent(new Reader(config.createConnection(Schema.url(file))));
        } catch (SQLException e) {
            throw new EventStoreException("cannot open a read connection to " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Ends the reader's read transaction and keeps it for reuse, or closes it when it failed, the
     * pool is full or the store is closed.
     */
    void giveBack(Reader reader) {
        returned(reader);
        boolean healthy;
        try {
            reader.endRead();
            healthy = true;
        } catch (SQLException e) {
            healthy = false;
        }
        synchronized (this) {
            if (healthy && !closed && idle.size() < options.readConnections()) {
                idle.addFirst(reader);
                return;
            }
        }
        reader.closeQuietly();
    }

    /** Closes a reader whose state is unknown after a failure. */
    void discard(Reader reader) {
        returned(reader);
        reader.closeQuietly();
    }

    /** Closes the idle connections; connections held by open iterators close when those end. */
    void close() {
        ArrayDeque<Reader> toClose;
        synchronized (this) {
            closed = true;
            notifyAll();
            toClose = new ArrayDeque<>(idle);
            idle.clear();
        }
        toClose.forEach(Reader::closeQuietly);
    }
}
