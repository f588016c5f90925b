package dev.estoria.eventstore;

import dev.estoria.typeid.TypeId;
import java.util.List;

/** Appends events to streams. */
public interface StreamWriter {

    /**
     * Appends events to the end of a stream, all or nothing.
     *
     * <p>The events get consecutive versions after the stream's tip (starting at 1 for a new
     * stream), the store's timestamp and, where the store has a global order, increasing global
     * positions. The expectation in {@code options} is checked atomically with the write; if it
     * fails, nothing is written.
     *
     * <p><b>Idempotency.</b> When every event carries a caller-chosen {@linkplain
     * WritableEvent#eventId() event ID} and those IDs are already stored consecutively and in the
     * same order in this stream, and the events carry the same types, payloads, content types and
     * metadata, the append writes nothing and returns the stored events, whatever the expectation: a
     * retry after an ambiguous failure is safe. An ID stored anywhere else, a batch that only partly
     * matches, stored IDs with other content, or a batch that repeats an ID fails with {@link
     * DuplicateEventIdException}, and nothing is written.
     *
     * <p>Before anything is written the store refuses, with {@link IllegalArgumentException}, an
     * empty event list and metadata keys starting with {@value
     * WritableEvent#RESERVED_METADATA_PREFIX} (unless {@link
     * AppendStreamOptions#allowReservedMetadata()} is set). The inputs are never modified.
     *
     * @return the written events in append order, exactly as a later read returns them (IDs,
     *     versions, timestamps at the store's precision, positions, payload, content type and
     *     metadata)
     * @throws StreamVersionMismatchException if the expectation does not hold
     * @throws DuplicateEventIdException as described above
     * @throws IllegalArgumentException for invalid input, as described above
     * @throws EventStoreException if the backend fails; the append may or may not have been written
     * @throws NullPointerException if an argument or an element of {@code events} is null
     */
    List<Event> appendStream(TypeId streamId, List<WritableEvent> events, AppendStreamOptions options);

    /** Appends with no expectation. */
    default List<Event> appendStream(TypeId streamId, List<WritableEvent> events) {
        return appendStream(streamId, events, AppendStreamOptions.defaults());
    }
}
