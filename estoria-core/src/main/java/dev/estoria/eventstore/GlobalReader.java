package dev.estoria.eventstore;

/**
 * Reads the events of all streams in one global order. An optional capability of an {@link
 * EventStore}, found with {@code instanceof}.
 *
 * <p>Contract of {@link #readAll}:
 *
 * <ol>
 *   <li>Events come in ascending global position. Every event has a position; positions strictly
 *       increase and may have gaps (a store may consume positions it never commits, and deletion
 *       removes events).
 *   <li>An event's position is the same in global reads and in stream reads.
 *   <li><b>Finite read.</b> The call fixes a frontier: the iterator yields events up to it and then
 *       ends, and stays ended even if later appends land. An append overlapping the call may fall
 *       on either side.
 *   <li><b>Stable prefix.</b> Once a read has yielded position P, no later commit adds an event at
 *       or below P. A consumer that resumes after its last position therefore never misses an
 *       event. Each implementation documents the mechanism that guarantees this.
 *   <li>An empty read (an empty store, or a position at or past the newest event) is an empty
 *       iterator, never an exception.
 *   <li>Positions are never reused, even after the events holding them were deleted.
 * </ol>
 */
public interface GlobalReader {

    /**
     * Opens a read of the global log.
     *
     * @return an open iterator; the caller closes it
     * @throws EventStoreException if the backend fails
     * @throws NullPointerException if {@code options} is null
     */
    StreamIterator readAll(ReadAllOptions options);

    /** Reads the whole global log up to the frontier. */
    default StreamIterator readAll() {
        return readAll(ReadAllOptions.defaults());
    }

    /**
     * The position of the newest event that a {@link #readAll()} started now would yield, or 0 if
     * it would yield none. The position is in the stable prefix, so a consumer that starts after it
     * misses none of the events committed later: it is where following the log "from now on"
     * starts. Deleted events do not count; their positions are never reused.
     *
     * <p>The default reads the whole log; stores answer from an index.
     *
     * @throws EventStoreException if the backend fails
     */
    default long headPosition() {
        long head = 0;
        try (StreamIterator events = readAll()) {
            while (events.hasNext()) {
                head = events.next().globalPosition().orElse(head);
            }
        }
        return head;
    }
}
