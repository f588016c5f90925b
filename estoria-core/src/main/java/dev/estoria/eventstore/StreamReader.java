package dev.estoria.eventstore;

import dev.estoria.typeid.TypeId;

/** Reads the events of one stream. */
public interface StreamReader {

    /**
     * Opens a read of one stream.
     *
     * <p>The read is finite: it yields the events that match {@code options} as of this call, in
     * the requested direction, and never events appended afterwards. See {@link ReadStreamOptions}
     * for the meaning of after-version, count and direction.
     *
     * <p>A stream that exists but has no matching events (a forward read at or past the tip, or a
     * stream truncated to empty) gives an empty iterator, not an exception.
     *
     * @return an open iterator; the caller closes it
     * @throws StreamNotFoundException if the stream was never written or was deleted as a whole
     * @throws EventStoreException if the backend fails
     * @throws NullPointerException if an argument is null
     */
    StreamIterator readStream(TypeId streamId, ReadStreamOptions options);

    /** Reads the whole stream, oldest first. */
    default StreamIterator readStream(TypeId streamId) {
        return readStream(streamId, ReadStreamOptions.defaults());
    }
}
