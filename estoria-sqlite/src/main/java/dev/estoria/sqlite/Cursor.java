package dev.estoria.sqlite;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.spi.AbstractStreamIterator;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * An iterator over an open query on a read connection. It holds the connection, and with it the
 * read transaction's snapshot, until it is exhausted or closed; rows are fetched one at a time, so
 * a read of any length needs constant memory.
 *
 * <p>An iterator dropped without being drained or closed would hold its connection, and pin its
 * snapshot so that the log could never be checkpointed past it, for as long as the store is open.
 * Once such an iterator is garbage-collected, its read is ended and its connection released, and a
 * warning is logged: a safety net that comes late, not a way to end reads.
 */
final class Cursor extends AbstractStreamIterator {

    private static final System.Logger LOG = System.getLogger(SqliteEventStore.class.getName());

    /** Ends the reads of iterators that were dropped unclosed; one daemon thread for every store. */
    private static final Cleaner CLEANER = Cleaner.create(task -> {
        Thread thread = new Thread(task, "estoria-sqlite-cursor-cleaner");
        thread.setDaemon(true);
        return thread;
    });

    private final Hold hold;
    private final Cleaner.Cleanable cleanable;
    private final ResultSet rows;
    private final EventRows mapper;
    private Event first;

    private Cursor(ReadPool pool, ReadPool.Reader reader, ResultSet rows, EventRows mapper, Path file, Event first) {
        this.hold = new Hold(pool, reader, rows, file);
        this.cleanable = CLEANER.register(this, hold);
        this.rows = rows;
        this.mapper = mapper;
        this.first = first;
    }

    /**
     * What a cursor holds, released once: when the cursor ends or is closed, or when it is
     * collected unclosed. It must not refer to the cursor, or the cursor would never be collected.
     */
    private static final class Hold implements Runnable {
        private final ReadPool pool;
        private final ReadPool.Reader reader;
        private final ResultSet rows;
        private final Path file;
        /** Whether the connection's state is unknown after a failure; it is then closed, not reused. */
        private volatile boolean failed;
        /** Whether the cursor itself let go (end, failure or close), rather than the collector. */
        private volatile boolean letGo;

        Hold(ReadPool pool, ReadPool.Reader reader, ResultSet rows, Path file) {
            this.pool = pool;
            this.reader = reader;
            this.rows = rows;
            this.file = file;
        }

        @Override
        public void run() {
            if (!letGo) {
                LOG.log(System.Logger.Level.WARNING, "a read of " + file + " was neither drained nor closed; its"
                        + " connection is released now that the iterator was garbage-collected. Close iterators you"
                        + " do not drain: until then each holds a connection and keeps the log from being checkpointed.");
            }
            try {
                rows.close();
            } catch (SQLException e) {
                failed = true;
            }
            if (failed) {
                pool.discard(reader);
            } else {
                pool.giveBack(reader);
            }
        }
    }

    /**
     * Fetches the first row now, so the read's snapshot (and its frontier) is fixed before this
     * returns, and returns an iterator that owns the reader from then on; an empty result gives the
     * reader back at once.
     */
    static StreamIterator open(ReadPool pool, ReadPool.Reader reader, ResultSet rows, EventRows mapper, Path file)
            throws SQLException {
        Event first = rows.next() ? mapper.read(rows) : null;
        if (first == null) {
            rows.close();
            pool.giveBack(reader);
            return StreamIterator.empty();
        }
        return new Cursor(pool, reader, rows, mapper, file, first);
    }

    @Override
    protected Event fetchNext() {
        if (first != null) {
            Event event = first;
            first = null;
            return event;
        }
        try {
            return rows.next() ? mapper.read(rows) : null;
        } catch (SQLException e) {
            hold.failed = true;
            throw new EventStoreException("reading " + hold.file + " failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            hold.failed = true;
            throw e;
        } finally {
            // The cursor must stay reachable while its rows are read, or the cleaner could end the
            // read under them.
            Reference.reachabilityFence(this);
        }
    }

    @Override
    protected void release() {
        hold.letGo = true;
        cleanable.clean();
    }
}
