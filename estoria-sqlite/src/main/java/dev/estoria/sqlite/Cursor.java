package dev.estoria.sqlite;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.spi.AbstractStreamIterator;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * An iterator over an open query on a read connection. It holds the connection, and with it the
 * read transaction's snapshot, until it is exhausted or closed; rows are fetched one at a time, so
 * a read of any length needs constant memory.
 */
final class Cursor extends AbstractStreamIterator {

    private final ReadPool pool;
    private final ReadPool.Reader reader;
    private final ResultSet rows;
    private final EventRows mapper;
    private final Path file;
    private Event first;
    private boolean failed;

    private Cursor(ReadPool pool, ReadPool.Reader reader, ResultSet rows, EventRows mapper, Path file, Event first) {
        this.pool = pool;
        this.reader = reader;
        this.rows = rows;
        this.mapper = mapper;
        this.file = file;
        this.first = first;
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
            failed = true;
            throw new EventStoreException("reading " + file + " failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    @Override
    protected void release() {
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
