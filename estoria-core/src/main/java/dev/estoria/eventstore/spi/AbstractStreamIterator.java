package dev.estoria.eventstore.spi;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamIteratorClosedException;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * A {@link StreamIterator} skeleton for cursor-backed reads: subclasses fetch one event at a time
 * and release resources once; this class keeps the end, closed and look-ahead states right.
 *
 * <p>When the cursor reports its end, {@link #release()} runs at once, so a fully drained iterator
 * holds no resources even if the caller forgets to close it.
 */
public abstract class AbstractStreamIterator implements StreamIterator {

    private Event lookahead;
    private boolean exhausted;
    private volatile boolean closed;
    /** Why the iterator was closed for its reader, when not by the reader itself. */
    private volatile String closedReason;

    /**
     * Fetches the next event, or returns null at the end. Not called again after it returned null.
     */
    protected abstract Event fetchNext();

    /** Releases the cursor's resources. Called at most once. */
    protected abstract void release();

    @Override
    public final boolean hasNext() {
        if (closed) {
            String reason = closedReason;
            throw reason == null ? new StreamIteratorClosedException() : new StreamIteratorClosedException(reason);
        }
        if (lookahead != null) {
            return true;
        }
        if (exhausted) {
            return false;
        }
        Event event;
        try {
            event = fetchNext();
        } catch (RuntimeException | Error e) {
            // A failed cursor is useless; free it now rather than relying on the caller's close.
            exhausted = true;
            releaseOnce();
            throw e;
        }
        if (event == null) {
            exhausted = true;
            releaseOnce();
            return false;
        }
        lookahead = event;
        return true;
    }

    @Override
    public final Event next() {
        if (!hasNext()) {
            throw new NoSuchElementException("end of event stream");
        }
        Event event = lookahead;
        lookahead = null;
        return event;
    }

    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            lookahead = null;
            releaseOnce();
        }
    }

    /**
     * Closes the iterator for a reason other than its reader's close, such as the store being
     * closed: a later read throws a {@link StreamIteratorClosedException} that gives the reason.
     * Does nothing to an iterator already closed.
     */
    protected final void closeBecause(String reason) {
        if (!closed) {
            closedReason = Objects.requireNonNull(reason, "reason");
            close();
        }
    }

    private boolean released;

    private void releaseOnce() {
        if (!released) {
            released = true;
            release();
        }
    }
}
