package dev.estoria.eventstore;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A finite, forward-only cursor over events, holding resources until closed.
 *
 * <p>A read is finite: it yields events up to the stream tip (or the global frontier) as of the call
 * that opened it, never events appended later. Reaching the end is not an error: {@link #hasNext()}
 * returns false, and stays false.
 *
 * <p>Close it: the iterator may hold a database cursor. It works in try-with-resources, in a
 * for-each loop ({@link #iterator()} returns the iterator itself, so it can be looped over once),
 * and as a {@link Stream} ({@link #stream()}, which closes the iterator when the stream is closed).
 * {@link #close()} is idempotent; {@link #hasNext()} or {@link #next()} after close throws {@link
 * StreamIteratorClosedException}.
 *
 * <p>Not thread-safe: use one iterator from one thread at a time.
 *
 * <pre>{@code
 * try (StreamIterator events = store.readStream(id, ReadStreamOptions.defaults())) {
 *     for (Event event : events) {
 *         // ...
 *     }
 * }
 * }</pre>
 */
public interface StreamIterator extends Iterator<Event>, Iterable<Event>, AutoCloseable {

    /**
     * Whether another event is available.
     *
     * @throws StreamIteratorClosedException if the iterator was closed
     * @throws EventStoreException if the backend fails while fetching
     */
    @Override
    boolean hasNext();

    /**
     * The next event.
     *
     * @throws NoSuchElementException at the end
     * @throws StreamIteratorClosedException if the iterator was closed
     * @throws EventStoreException if the backend fails while fetching
     */
    @Override
    Event next();

    /** Releases the iterator's resources. Idempotent; never throws for an already closed iterator. */
    @Override
    void close();

    /** Returns this iterator, so it can be used once in a for-each loop. */
    @Override
    default Iterator<Event> iterator() {
        return this;
    }

    /** A sequential, ordered stream of the remaining events that closes this iterator when closed. */
    default Stream<Event> stream() {
        Spliterator<Event> spliterator = Spliterators.spliteratorUnknownSize(
                this, Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.IMMUTABLE);
        return StreamSupport.stream(spliterator, false).onClose(this::close);
    }

    /** Reads the remaining events into a list, then closes the iterator. The list is never null. */
    default List<Event> toList() {
        try (this) {
            List<Event> events = new ArrayList<>();
            while (hasNext()) {
                events.add(next());
            }
            return events;
        }
    }

    /** An iterator over the given events, in order; for stores and tests. */
    static StreamIterator of(List<Event> events) {
        return new ListStreamIterator(events);
    }

    /** An iterator that is already at its end. */
    static StreamIterator empty() {
        return new ListStreamIterator(List.of());
    }
}
